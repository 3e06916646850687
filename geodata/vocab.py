"""Controlled vocabularies of the template: agency types, case statuses, victim sex,
and the synonyms clerks write for them."""

from __future__ import annotations

import re

AGENCY_TYPES: tuple[str, ...] = (
    "police_station",
    "ap_post",
    "chief",
    "childrens_office",
    "health_facility",
    "rescue_centre",
    "paralegal",
    "school",
    "community",
)

STATUSES: tuple[str, ...] = (
    "reported",
    "under_investigation",
    "in_court",
    "convicted",
    "acquitted",
    "withdrawn",
    "referred",
    "resolved_locally",
)


def vocab_key(text: str) -> str:
    """Lower case, apostrophes dropped, every other run of punctuation or space one `_`."""
    text = text.strip().lower().replace("'", "").replace("\u2019", "")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _table(canonical: tuple[str, ...], synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Synonym key -> value, plus each key without `_` so `P.B.C` finds `pbc`."""
    table = {value: value for value in canonical}
    for value, words in synonyms.items():
        assert value in canonical, value
        table.update({vocab_key(word): value for word in words})
    compact = {key.replace("_", ""): value for key, value in table.items()}
    return compact | table


def _lookup(table: dict[str, str], text: str) -> str | None:
    key = vocab_key(text)
    return table.get(key) or table.get(key.replace("_", ""))


_AGENCY_TYPE_SYNONYMS = _table(
    AGENCY_TYPES,
    {
        "police_station": ("police", "police station", "police post", "kps", "station"),
        "ap_post": ("ap", "ap post", "ap camp", "administration police", "admin police"),
        "chief": ("chiefs office", "chief office", "assistant chief", "sub chief", "chief camp"),
        "childrens_office": (
            "childrens office",
            "children office",
            "childrens department",
            "children services",
            "dco",
            "sub county childrens office",
        ),
        "health_facility": (
            "health facility",
            "hospital",
            "health centre",
            "health center",
            "dispensary",
            "clinic",
            "gbv recovery centre",
        ),
        "rescue_centre": ("rescue centre", "rescue center", "safe house", "shelter"),
        "paralegal": ("paralegal desk", "paralegals", "legal aid"),
        "school": ("school guidance office", "guidance office", "guidance and counselling"),
        "community": ("community group", "nyumba kumi", "csf", "community safety forum", "cbo"),
    },
)

_STATUS_SYNONYMS = _table(
    STATUSES,
    {
        "reported": ("new", "open", "recorded", "received", "booked", "ob entry"),
        "under_investigation": (
            "pui",
            "pending",
            "pending under investigation",
            "under investigation",
            "under investigations",
            "investigation",
            "investigations ongoing",
            "investigating",
            "ui",
            "pending investigation",
            "file under investigation",
            "awaiting investigation",
            "pfa",
            "pending further action",
        ),
        "in_court": (
            "taken to court",
            "in court",
            "court",
            "charged",
            "charged in court",
            "arraigned",
            "pbc",
            "pending before court",
            "pending in court",
            "pending court",
            "case in court",
            "ptc",
            "pending trial",
        ),
        "convicted": ("conviction", "jailed", "sentenced", "fined", "imprisoned", "guilty"),
        "acquitted": ("acquittal", "discharged", "not guilty", "case dismissed"),
        "withdrawn": (
            "case withdrawn",
            "withdrew",
            "complainant withdrew",
            "complaint withdrawn",
            "dropped",
            "nfpa",
            "no further police action",
        ),
        "referred": (
            "referral",
            "referred to hospital",
            "referred to police",
            "referred to childrens office",
            "referred to rescue centre",
            "referred to court",
            "forwarded",
            "transferred",
        ),
        "resolved_locally": (
            "resolved",
            "resolved locally",
            "settled",
            "settled out of court",
            "reconciled",
            "reconciliation",
            "arbitrated",
            "arbitration",
            "mediated",
            "mediation",
            "amicably settled",
        ),
    },
)

_SEX = {
    "f": "F",
    "female": "F",
    "ke": "F",
    "kike": "F",
    "woman": "F",
    "girl": "F",
    "w": "F",
    "m": "M",
    "male": "M",
    "me": "M",
    "kiume": "M",
    "man": "M",
    "boy": "M",
}

# Written where a value is unknown; read as "no value", never as a problem.
UNKNOWN_WORDS: frozenset[str] = frozenset(
    {"", "na", "n_a", "nil", "none", "unknown", "not_known", "unk", "not_indicated", "null", "x"}
)


def agency_type(text: str) -> str | None:
    """The agency type for a clerk's spelling, or None when not recognised."""
    return _lookup(_AGENCY_TYPE_SYNONYMS, text)


def status(text: str) -> str | None:
    """The case status for a clerk's spelling, or None when not recognised."""
    return _lookup(_STATUS_SYNONYMS, text)


def victim_sex(text: str) -> str | None:
    """'F' or 'M' for the spellings clerks use (English and Kiswahili), else None."""
    return _SEX.get(vocab_key(text))
