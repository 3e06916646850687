"""English and Kiswahili labels for the public app.

Every label the public app shows is a key here with both languages (a test checks);
`t(key, lang, **values)` formats it. Unknown keys raise KeyError, so a missing
translation fails in tests rather than showing an English word on a Kiswahili page.
"""

from __future__ import annotations

from geodata.categories import CATEGORIES

LANGUAGES: tuple[str, ...] = ("en", "sw")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "sw": "Kiswahili"}

_CATEGORIES: dict[str, tuple[str, str]] = {
    "homicide": ("Homicide", "Mauaji"),
    "assault": ("Assault", "Shambulio"),
    "sexual_violence": ("Sexual violence", "Unyanyasaji wa kingono"),
    "domestic_violence": ("Domestic violence", "Ukatili wa nyumbani"),
    "child_abuse": ("Child abuse", "Unyanyasaji wa watoto"),
    "robbery": ("Robbery", "Unyang'anyi"),
    "burglary": ("Burglary", "Uvunjaji wa nyumba"),
    "theft": ("Theft", "Wizi"),
    "stock_theft": ("Stock theft", "Wizi wa mifugo"),
    "vehicle_theft": ("Vehicle or motorcycle theft", "Wizi wa magari/pikipiki"),
    "drugs": ("Drugs", "Dawa za kulevya"),
    "mob_justice": ("Mob justice", "Haki ya umati"),
    "public_disorder": ("Public disorder", "Vurugu"),
    "fraud": ("Fraud", "Ulaghai"),
    "other": ("Other", "Mengineyo"),
}

_MONTHS: tuple[tuple[str, str], ...] = (
    ("January", "Januari"),
    ("February", "Februari"),
    ("March", "Machi"),
    ("April", "Aprili"),
    ("May", "Mei"),
    ("June", "Juni"),
    ("July", "Julai"),
    ("August", "Agosti"),
    ("September", "Septemba"),
    ("October", "Oktoba"),
    ("November", "Novemba"),
    ("December", "Desemba"),
)

# Forum actions ("you said, we did") and their status.
_ACTION_STATUSES: dict[str, tuple[str, str]] = {
    "proposed": ("Proposed", "Imependekezwa"),
    "agreed": ("Agreed", "Imekubaliwa"),
    "in_progress": ("In progress", "Inaendelea"),
    "done": ("Done", "Imekamilika"),
    "dropped": ("Dropped", "Imesitishwa"),
}

_LABELS: dict[str, tuple[str, str]] = {
    "app.title": ("Community safety observatory", "Kituo cha takwimu za usalama wa jamii"),
    "app.subtitle": (
        "Recorded incidents by area, for the Community Safety Forum",
        "Matukio yaliyorekodiwa kwa eneo, kwa Jukwaa la Usalama wa Jamii",
    ),
    "nav.map": ("Map", "Ramani"),
    "nav.trends": ("Trends", "Mwenendo"),
    "nav.clock": ("Time of day", "Saa za siku"),
    "nav.actions": ("You said, we did", "Mlisema, tulifanya"),
    "nav.about": ("About the data", "Kuhusu takwimu"),
    "language.label": ("Language", "Lugha"),
    "map.title": ("Incidents by area", "Matukio kwa eneo"),
    "map.legend": ("Incidents in the period", "Matukio katika kipindi"),
    "map.unit.h3_8": ("Small area (about 0.7 km²)", "Eneo dogo (takriban km² 0.7)"),
    "map.unit.h3_7": ("Larger area (about 5 km²)", "Eneo kubwa (takriban km² 5)"),
    "map.unit.ward": ("Rest of the ward", "Sehemu iliyobaki ya wadi"),
    "map.unit.suppressed": ("Too few to show", "Ni machache mno kuonyeshwa"),
    "map.fewer_than": ("fewer than {n}", "chini ya {n}"),
    "map.count": ("{n} incidents", "matukio {n}"),
    "map.not_placed": ("Not placed on a ward", "Haijawekwa kwenye wadi"),
    "map.attribution": (
        "Ward boundaries: Kenya County Assembly Boundaries, Omare B.D.A. and "
        "Omare G.J.M, 2017, CC BY 4.0",
        "Mipaka ya wadi: Kenya County Assembly Boundaries, Omare B.D.A. na "
        "Omare G.J.M, 2017, CC BY 4.0",
    ),
    "map.note": (
        "Areas with fewer than {n} incidents are joined with their neighbours so that "
        "no one can be identified.",
        "Maeneo yenye matukio chini ya {n} yameunganishwa na jirani zake ili mtu "
        "yeyote asitambulike.",
    ),
    "filter.period": ("Period", "Kipindi"),
    "filter.from": ("From", "Kuanzia"),
    "filter.to": ("To", "Hadi"),
    "filter.category": ("Type of incident", "Aina ya tukio"),
    "filter.all_categories": ("All types", "Aina zote"),
    "filter.ward": ("Ward", "Wadi"),
    "filter.all_wards": ("All wards", "Wadi zote"),
    "trend.title": ("Incidents per month", "Matukio kwa mwezi"),
    "trend.month": ("Month", "Mwezi"),
    "trend.quarter": ("Quarter", "Robo mwaka"),
    "trend.quarter_value": ("Quarter {q}, {year}", "Robo ya {q}, {year}"),
    "trend.incidents": ("Incidents", "Matukio"),
    "trend.total": ("Total", "Jumla"),
    "clock.title": ("Time of day", "Saa za siku"),
    "clock.hour": ("Hour", "Saa"),
    "clock.share": ("Share of incidents (%)", "Asilimia ya matukio (%)"),
    "clock.too_few": (
        "The time of day is shown from {n} incidents upwards.",
        "Saa za siku zinaonyeshwa kuanzia matukio {n} na zaidi.",
    ),
    "sensitive.title": (
        "Violence against women and children, by ward and quarter",
        "Ukatili dhidi ya wanawake na watoto, kwa wadi na robo mwaka",
    ),
    "sensitive.note": (
        "Shown by ward and quarter only, and only where there are at least {n} "
        "incidents, to protect survivors.",
        "Huonyeshwa kwa wadi na robo mwaka pekee, na pale tu palipo na matukio "
        "{n} au zaidi, ili kuwalinda walionusurika.",
    ),
    "actions.title": ("You said, we did", "Mlisema, tulifanya"),
    "actions.concern": ("What residents raised", "Kile wakazi walichoibua"),
    "actions.action": ("What was done", "Kilichofanyika"),
    "actions.status": ("Status", "Hali"),
    "actions.updated": ("Last update", "Taarifa ya mwisho"),
    "actions.none": ("No actions recorded yet.", "Bado hakuna hatua zilizorekodiwa."),
    "data.none": ("No incidents in this period.", "Hakuna matukio katika kipindi hiki."),
    "data.source": (
        "Counts come from agency registers as loaded; a place with no incident recorded "
        "is not necessarily a place with no crime.",
        "Idadi zinatoka kwenye rejista za taasisi kama zilivyopakiwa; mahali pasipo na "
        "tukio lililorekodiwa si lazima pawe mahali pasipo na uhalifu.",
    ),
    "data.updated": ("Data up to {date}", "Takwimu hadi {date}"),
    # The public app's pages (dashboard/public_pages).
    "nav.sensitive": ("Women and children", "Wanawake na watoto"),
    "nav.menu": ("Pages", "Kurasa"),
    "map.shown": ("{n} incidents shown on the map", "Matukio {n} yameonyeshwa kwenye ramani"),
    "map.too_few": (
        "Too few incidents in this period and type to show on the map.",
        "Matukio ni machache mno katika kipindi na aina hii kuonyeshwa kwenye ramani.",
    ),
    "map.legend_ward": (
        "A shaded ward: incidents in it outside the areas drawn",
        "Wadi iliyotiwa rangi: matukio ndani yake nje ya maeneo yaliyochorwa",
    ),
    "map.legend_h3_7": (
        "A large hexagon: incidents in it outside the small hexagons drawn",
        "Pembe-sita kubwa: matukio ndani yake nje ya pembe-sita ndogo zilizochorwa",
    ),
    "map.legend_fewer": (
        "Hatched: fewer than {n} incidents, not counted anywhere else",
        "Mistari: matukio chini ya {n}, hayajahesabiwa mahali pengine",
    ),
    "map.range_open": ("{n} or more", "{n} au zaidi"),
    "clock.based_on": (
        "Shares of {n} incidents with a known time, by hour.",
        "Asilimia za matukio {n} yenye saa inayojulikana, kwa saa.",
    ),
    "sensitive.none": (
        "No ward had {n} or more incidents of this type in this quarter.",
        "Hakuna wadi iliyokuwa na matukio {n} au zaidi ya aina hii katika robo hii.",
    ),
    "sensitive.alt": (
        "Map of wards with {n} or more incidents of this type",
        "Ramani ya wadi zenye matukio {n} au zaidi ya aina hii",
    ),
    "actions.kind": ("Action", "Hatua"),
    "actions.overdue": ("Overdue", "Imechelewa"),
    "actions.decided": ("Decided", "Iliamuliwa"),
    "actions.due": ("Due", "Inatarajiwa"),
    "actions.completed": ("Completed", "Ilikamilika"),
    "page.not_found": ("There is no page here.", "Hakuna ukurasa hapa."),
    "page.home": ("Back to the map", "Rudi kwenye ramani"),
    "map.boundaries": ("Ward boundaries: {source}", "Mipaka ya wadi: {source}"),
    "sensitive.legend_fewer": (
        "Hatched: fewer than {n}, or none",
        "Mistari: chini ya {n}, au hakuna",
    ),
    "dropdown.search": ("Search", "Tafuta"),
    "dropdown.clear_search": ("Clear search", "Futa utafutaji"),
    "dropdown.clear_selection": ("Clear selection", "Futa chaguo"),
    "dropdown.no_options_found": ("Nothing to choose", "Hakuna cha kuchagua"),
}

# Kinds of forum action (geodata.actions.KIND_LABELS), for "you said, we did".
_ACTION_KINDS: dict[str, tuple[str, str]] = {
    "lighting": ("Street lighting", "Taa za barabarani"),
    "pathway_clearing": ("Path clearing", "Kusafisha njia"),
    "bush_clearing": ("Bush clearing", "Kufyeka vichaka"),
    "patrol": ("Patrols", "Doria"),
    "cctv": ("CCTV", "Kamera za ulinzi (CCTV)"),
    "community_meeting": ("Community meeting", "Mkutano wa jamii"),
    "awareness": ("Awareness campaign", "Kampeni ya uhamasishaji"),
    "other": ("Other", "Nyingine"),
}


def _table() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for key, (en, sw) in _LABELS.items():
        table[key] = {"en": en, "sw": sw}
    for category in CATEGORIES:
        en, sw = _CATEGORIES[category]
        table[f"category.{category}"] = {"en": en, "sw": sw}
    for number, (en, sw) in enumerate(_MONTHS, start=1):
        table[f"month.{number}"] = {"en": en, "sw": sw}
    for status, (en, sw) in _ACTION_STATUSES.items():
        table[f"status.{status}"] = {"en": en, "sw": sw}
    for kind, (en, sw) in _ACTION_KINDS.items():
        table[f"kind.{kind}"] = {"en": en, "sw": sw}
    for lang in LANGUAGES:
        table[f"language.{lang}"] = {"en": LANGUAGE_NAMES[lang], "sw": LANGUAGE_NAMES[lang]}
    return table


TRANSLATIONS: dict[str, dict[str, str]] = _table()
ACTION_STATUSES: tuple[str, ...] = tuple(_ACTION_STATUSES)


def language(lang: str | None) -> str:
    """A supported language code; anything else falls back to English."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str | None = DEFAULT_LANGUAGE, **values: object) -> str:
    """The label for `key` in `lang`, with `{name}` placeholders filled from `values`."""
    text = TRANSLATIONS[key][language(lang)]
    return text.format(**values) if values else text


def category(name: str, lang: str | None = DEFAULT_LANGUAGE) -> str:
    return t(f"category.{name}", lang)


def month(number: int, lang: str | None = DEFAULT_LANGUAGE) -> str:
    return t(f"month.{number}", lang)


def month_year(year: int, number: int, lang: str | None = DEFAULT_LANGUAGE) -> str:
    """'March 2025' / 'Machi 2025'."""
    return f"{month(number, lang)} {year}"


def fewer_than(threshold: int, lang: str | None = DEFAULT_LANGUAGE) -> str:
    return t("map.fewer_than", lang, n=threshold)
