"""How each kind of agency words each category: the synonym table's English and
Kiswahili forms, agency habits (casing, jargon), and a few wordings the table does
not know (stored as `other` with the text kept, as the template promises)."""

from __future__ import annotations

import numpy as np

_POLICE: dict[str, tuple[str, ...]] = {
    "homicide": ("Murder", "Manslaughter", "Attempted murder"),
    "assault": ("Assault causing actual bodily harm", "ABH", "Grievous harm", "Common assault",
                "Assault", "GBH"),
    "sexual_violence": ("Rape", "Attempted rape", "Indecent act", "Sexual assault"),
    "domestic_violence": ("Domestic violence", "Wife battering", "Domestic dispute", "GBV"),
    "child_abuse": ("Child neglect", "Child abuse", "Abandonment", "Child labour"),
    "robbery": ("Robbery with violence", "Robbery", "Attempted robbery", "RWV", "Mugging"),
    "burglary": ("House breaking", "Burglary", "H/B", "Store breaking", "Breaking and stealing",
                 "Housebreaking"),
    "theft": ("Stealing", "Theft", "Theft of phone", "Pickpocketing", "Stealing from person",
              "Shoplifting"),
    "stock_theft": ("Stock theft", "Theft of livestock", "Stealing stock"),
    "vehicle_theft": ("Theft of motor cycle", "Theft of motor vehicle", "Boda boda theft"),
    "drugs": ("Possession of narcotic drugs", "Possession of bhang", "Chang'aa", "Illicit brew",
              "Dealing in drugs"),
    "mob_justice": ("Mob justice", "Lynching"),
    "public_disorder": ("Creating disturbance", "Affray", "Drunk and disorderly",
                        "Being drunk and disorderly"),
    "fraud": ("Obtaining by false pretences", "Obtaining money by false pretences", "Fraud",
              "Forgery"),
    "other": ("Malicious damage", "Trespass", "Missing person", "Threatening violence"),
}  # fmt: skip
_HEALTH: dict[str, tuple[str, ...]] = {
    "assault": ("Assault", "GBH", "Stabbing", "Wounding", "Fighting"),
    "sexual_violence": ("Rape", "Sexual assault", "Sexual violence"),
    "domestic_violence": ("GBV", "Gender based violence", "Wife battering", "Domestic violence"),
    "child_abuse": ("Child abuse", "Child neglect"),
    "robbery": ("Robbery with violence", "Mugging"),
    "homicide": ("Homicide", "Murder"),
    "mob_justice": ("Mob justice", "Lynching"),
}  # fmt: skip
_RESCUE: dict[str, tuple[str, ...]] = {
    "sexual_violence": ("Rape", "Ubakaji", "Attempted rape", "Sexual violence"),
    "domestic_violence": ("GBV", "Gender based violence", "Wife battering", "Family violence"),
    "child_abuse": ("Child abuse", "Child marriage", "Unyanyasaji wa watoto", "Child neglect"),
}  # fmt: skip
_CHIEF: dict[str, tuple[str, ...]] = {
    "theft": ("Wizi",),
    "assault": ("Shambulio", "Fighting"),
    "domestic_violence": ("Domestic dispute", "Wife battering", "GBV"),
    "child_abuse": ("Unyanyasaji wa watoto", "Child neglect"),
    "stock_theft": ("Cattle rustling", "Stock theft"),
    "mob_justice": ("Mob justice",),
    "drugs": ("Chang\u2019aa", "Bhang", "Illicit brew"),
    "public_disorder": ("Creating disturbance", "Drunk and disorderly"),
    "robbery": ("Unyang\u2019anyi",),
    "homicide": ("Mauaji",),
    "sexual_violence": ("Ubakaji",),
    "other": ("Land dispute", "Boundary dispute", "Witchcraft accusation"),
}  # fmt: skip
_CHILDREN: dict[str, tuple[str, ...]] = {
    "child_abuse": ("Child neglect", "Child abuse", "Abandonment", "Child labour",
                    "Child marriage"),
    "sexual_violence": ("Defilement", "Indecent act", "Attempted defilement"),
}  # fmt: skip
# Child victims of sexual violence are recorded as defilement.
_MINOR_SEXUAL = ("Defilement", "Attempted defilement", "Indecent act")
BY_AGENCY_TYPE = {
    "police_station": _POLICE,
    "health_facility": _HEALTH,
    "rescue_centre": _RESCUE,
    "chief": _CHIEF,
    "childrens_office": _CHILDREN,
}
# Wordings the shipped synonym table does not know: the row becomes `other`.
UNKNOWN: dict[str, tuple[str, ...]] = {
    "assault": ("Cut wound", "Asault"),  # an injury, not an offence; a slip of the pen
    "theft": ("Stealling",),
    "stock_theft": ("Wizi wa mifugo",),
    "burglary": ("Breaking into a building", "Burgarly"),
    "robbery": ("Robery",),
    "domestic_violence": ("Dhuluma ya nyumbani",),
}
UNKNOWN_SHARE = 0.03


def category_texts(
    rng: np.random.Generator, agency_type: str, categories: np.ndarray, ages: np.ndarray
) -> list[str]:
    """One wording per record, as this kind of agency writes the category."""
    table = BY_AGENCY_TYPE[agency_type]
    out = []
    for category, age in zip(categories, ages, strict=True):
        if category == "sexual_violence" and 0 <= age < 18:
            choices = _MINOR_SEXUAL
        else:
            choices = table.get(category) or _POLICE[category]
        if category in UNKNOWN and rng.random() < UNKNOWN_SHARE:
            choices = UNKNOWN[category]
        text = str(choices[int(rng.integers(len(choices)))])
        draw = rng.random()
        if agency_type == "police_station" and draw < 0.15:
            text = text.upper()
        elif agency_type == "chief" and draw < 0.3:
            text = text.lower()
        out.append(text)
    return out


def known_wordings() -> set[tuple[str, str]]:
    """(wording, category) for every wording meant to be recognised (for tests)."""
    pairs = {
        (w, c)
        for table in BY_AGENCY_TYPE.values()
        for c, ws in table.items()
        if c != "other"
        for w in ws
    }
    return pairs | {(w, "sexual_violence") for w in _MINOR_SEXUAL}
