"""Header matching for the observatory template: which file column is which template
column, which columns hold personal identifiers (never read), and which are ignored.

Matching ignores case and every character that is not a letter or a digit, so
`OB No.`, `ob_number` and `O.B. Number` meet on the same key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from geodata.errors import ObservatoryError

# Template column -> synonyms (the column's own name is always accepted).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "agency": (
        "station",
        "police station",
        "station name",
        "facility",
        "facility name",
        "agency name",
        "reporting agency",
        "source",
        "office",
    ),
    "agency_type": ("agency type", "source type", "type of agency", "facility type"),
    "record_ref": (
        "ob no",
        "ob number",
        "ob ref",
        "ref",
        "ref no",
        "reference",
        "reference no",
        "reference number",
        "record ref",
        "record reference",
        "record no",
        "case no",
        "case number",
        "case ref",
        "register no",
        "register number",
        "serial no",
        "file no",
    ),
    "category": (
        "offence",
        "offense",
        "offence type",
        "incident type",
        "type of incident",
        "crime",
        "crime type",
        "nature of case",
        "nature of offence",
        "nature of incident",
        "case type",
    ),
    "occurred_on": (
        "date",
        "date of occurrence",
        "incident date",
        "date of incident",
        "occurrence date",
        "date occurred",
        "date of offence",
        "date time",
        "date and time",
    ),
    "occurred_time": ("time", "time of occurrence", "incident time", "time of incident"),
    "occurred_until": ("until", "end time", "to", "occurred to", "time until", "end date"),
    "reported_on": ("date reported", "reported", "reported date", "date of report", "report date"),
    "latitude": ("lat", "y", "gps lat", "gps latitude", "lat dd"),
    "longitude": ("lon", "lng", "long", "x", "gps long", "gps lon", "gps longitude", "lon dd"),
    "gps": ("coordinates", "location gps", "gps coordinates", "coords", "lat long", "lat lon"),
    "location": (
        "place",
        "place of occurrence",
        "scene",
        "scene of crime",
        "locality",
        "location name",
        "landmark",
        "village",
        "estate",
    ),
    "ward": ("county assembly ward", "ward name"),
    "victim_sex": ("sex", "gender", "victim gender", "sex of victim"),
    "victim_age": ("age", "victim age", "age of victim", "age group", "age band"),
    "status": ("case status", "action taken", "outcome", "case outcome"),
}

TEMPLATE_COLUMNS: tuple[str, ...] = tuple(SYNONYMS)
# agency_type is required too, but may come from --agency-type or an agency already
# known to the database, so it is checked when agencies are resolved.
REQUIRED: tuple[str, ...] = ("agency", "record_ref", "category", "occurred_on")

# Headers holding names, phone numbers or identity numbers. Matched on the key
# (letters and digits only) after the template synonyms, so `agency name` is still
# the agency. A false positive only drops a column; a false negative leaks a name.
_PII_CONTAINS = (
    "name",
    "complainant",
    "suspect",
    "accused",
    "offender",
    "witness",
    "informant",
    "phone",
    "mobile",
    "telephone",
    "cell",
    "msisdn",
    "contact",
    "email",
    "nationalid",
    "idno",
    "idnumber",
    "idnum",
    "passport",
    "birthcert",
    "huduma",
    "krapin",
    "nhif",
    "address",
)
_PII_EXACT = ("id", "tel", "telno", "ids", "pin", "names", "next of kin", "nextofkin")


def header_key(header: str) -> str:
    """The matching key: lower case letters and digits only."""
    return re.sub(r"[^a-z0-9]+", "", str(header).lower())


_BY_KEY: dict[str, str] = {}
for _column, _words in SYNONYMS.items():
    for _word in (_column, *_words):
        _BY_KEY.setdefault(header_key(_word), _column)


def is_personal(header: str) -> bool:
    """True when a header names a column of personal identifiers."""
    key = header_key(header)
    if key in _BY_KEY:
        return False
    if key in {header_key(word) for word in _PII_EXACT}:
        return True
    if key.startswith("tel"):
        return True
    return any(part in key for part in _PII_CONTAINS)


@dataclass
class HeaderMap:
    """Which file column (by position) feeds which template column."""

    columns: dict[str, int] = field(default_factory=dict)
    matched: dict[str, str] = field(default_factory=dict)  # file header -> template column
    dropped: list[str] = field(default_factory=list)  # personal identifiers, never read
    ignored: list[str] = field(default_factory=list)  # not in the template

    def positions(self) -> list[int]:
        return sorted(self.columns.values())


def map_headers(headers: list[str]) -> HeaderMap:
    """Match a file's header row to the template (the first column of a kind wins)."""
    result = HeaderMap()
    for position, raw in enumerate(headers):
        header = "" if raw is None else str(raw).strip()
        column = _BY_KEY.get(header_key(header))
        if not header:
            continue
        if column and column not in result.columns:
            result.columns[column] = position
            result.matched[header] = column
        elif is_personal(header):
            result.dropped.append(header)
        else:
            result.ignored.append(header)
    return result


def accepted_headers(column: str) -> str:
    """`a`, `b` or `c`: the spellings accepted for a template column, for messages."""
    words = (column, *SYNONYMS[column])
    return ", ".join(f"`{w}`" for w in words)


def require(headers: HeaderMap, file_name: str, fallbacks: dict[str, str | None]) -> None:
    """Raise when a required column is missing and no command-line value stands in."""
    for column in REQUIRED:
        if column in headers.columns or fallbacks.get(column):
            continue
        if column == "agency":
            fix = "add a column 'agency' or pass --agency"
        else:
            fix = f"add a column {column!r}"
        raise ObservatoryError(
            f"{file_name}: no {column} column ({fix}; headers accepted for it: "
            f"{accepted_headers(column)})."
        )
