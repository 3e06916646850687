"""Template cells in, clean incident rows out, plus the rows quarantined with a
reason a clerk can act on and warnings about optional values that were left out.

Required values (agency, record_ref, category, occurred_on) decide whether a row
is kept; an unreadable optional value (time, end of window, coordinates, sex,
status) never costs the row, it is left empty and reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from etl import parse
from etl.headers import TEMPLATE_COLUMNS
from etl.report import count_texts, problem, shown
from geodata import categories, vocab

_DATE_HINT = "write the day first, e.g. 12/03/2024"
EARLIEST = pd.Timestamp("1960-01-01")

CLEAN_COLUMNS = (
    "row",
    "agency",
    "agency_type",
    "record_ref",
    "category",
    "category_text",
    "occurred_from",
    "occurred_to",
    "time_known",
    "reported_on",
    "location_text",
    "ward_text",
    "victim_sex",
    "victim_age",
    "status",
    "lat",
    "lon",
)


@dataclass
class Normalised:
    frame: pd.DataFrame  # CLEAN_COLUMNS, one row per kept incident
    rows_read: int
    quarantine: list[dict] = field(default_factory=list)
    quarantined_rows: int = 0
    warnings: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    category_other_texts: dict[str, int] = field(default_factory=dict)
    status_other_texts: dict[str, int] = field(default_factory=dict)


# Columns with few distinct values (cleaned once per value) and columns whose parsers
# handle inner spaces themselves (only stripped).
_REPEATED = {"agency", "agency_type", "category", "ward", "victim_sex", "victim_age", "status"}
_PARSED = {
    "occurred_on",
    "occurred_time",
    "occurred_until",
    "reported_on",
    "latitude",
    "longitude",
    "gps",
}


class _Problems:
    """Collects per-row problems; `mask` marks rows that are quarantined."""

    def __init__(self, rows: pd.Series) -> None:
        self.rows = rows
        self.mask = pd.Series(False, index=rows.index)
        self.items: list[dict] = []

    def add(self, mask: pd.Series, column: str, values, reason) -> None:
        """`reason` is a function of the cell's text, or a Series of ready reasons;
        `values` a Series, or a function making it (only called when needed)."""
        if not mask.any():
            return
        self.mask |= mask
        values = values() if callable(values) else values
        reasons = reason[mask] if isinstance(reason, pd.Series) else values[mask].map(reason)
        for row, value, why in zip(self.rows[mask], values[mask], reasons, strict=True):
            self.items.append(problem(row, column, value, why))


def _cells(raw: pd.DataFrame) -> pd.DataFrame:
    cells = pd.DataFrame({"row": raw["row"].to_numpy()}, index=raw.index)
    empty = pd.Series("", index=raw.index, dtype=str)
    for column in TEMPLATE_COLUMNS:
        if column not in raw:
            cells[column] = empty
        elif column in _PARSED:  # the parsers read spaces themselves
            cells[column] = raw[column].fillna("").astype(str).str.strip()
        else:
            cells[column] = parse.clean_text(raw[column], repeated=column in _REPEATED)
    return cells.reset_index(drop=True)


def _map_unique(cells: pd.Series, fn) -> pd.Series:
    """`fn` (text -> text or None) applied once per distinct text: registers repeat a
    few dozen values. The result is Arrow-backed text, which loads without copying."""
    codes, uniques = pd.factorize(cells)
    mapped = pd.array([fn(u) for u in uniques], dtype="str")
    return pd.Series(mapped.take(codes, allow_fill=True), index=cells.index)


def _is_unknown_word(cells: pd.Series) -> pd.Series:
    """True where a cell says "unknown", "n/a", "nil" and the like."""
    codes, uniques = pd.factorize(cells)
    flags = np.array([vocab.vocab_key(u) in vocab.UNKNOWN_WORDS for u in uniques] + [False])
    return pd.Series(flags[codes], index=cells.index)


def normalise(
    raw: pd.DataFrame,
    agency: str | None = None,
    agency_type: str | None = None,
    today: pd.Timestamp | None = None,
) -> Normalised:
    """Check and convert every row; `agency`/`agency_type` fill empty cells."""
    cells = _cells(raw)
    blank = (cells[list(TEMPLATE_COLUMNS)] == "").all(axis=1)
    cells = cells[~blank].reset_index(drop=True)
    quarantine = _Problems(cells["row"])
    warnings = _Problems(cells["row"])
    out = pd.DataFrame({"row": cells["row"]})
    out["agency"], out["agency_type"] = _agency(cells, agency, agency_type, quarantine)
    out["record_ref"] = _record_refs(cells, out["agency"], quarantine)
    out["occurred_from"], out["time_known"] = _occurred(cells, quarantine, warnings, today)
    out["occurred_to"] = _until(cells, out["occurred_from"], warnings)
    out["reported_on"] = _reported(cells, warnings)
    out["category"], other_texts = _category(cells, quarantine)
    out["category_text"] = cells["category"].replace("", None)
    out["location_text"] = cells["location"].replace("", None)
    out["ward_text"] = cells["ward"].replace("", None)
    out["victim_sex"] = _sex(cells, warnings)
    out["victim_age"] = _map_unique(cells["victim_age"], _age)
    out["status"], status_texts = _status(cells)
    counts = {"blank_rows": int(blank.sum())}
    out["lat"], out["lon"] = _coordinates(cells, warnings, counts)
    kept = ~quarantine.mask
    counts["unreadable_times"] = sum(1 for w in warnings.items if w["column"] == "occurred_time")
    return Normalised(
        frame=out.loc[kept, list(CLEAN_COLUMNS)].reset_index(drop=True),
        rows_read=len(cells),
        quarantine=quarantine.items,
        quarantined_rows=int(quarantine.mask.sum()),
        warnings=warnings.items,
        counts=counts,
        category_other_texts=count_texts(cells.loc[kept & (other_texts != ""), "category"]),
        status_other_texts=count_texts(status_texts[kept & (status_texts != "")]),
    )


def _agency(
    cells: pd.DataFrame, agency: str | None, agency_type: str | None, quarantine: _Problems
) -> tuple[pd.Series, pd.Series]:
    names = cells["agency"].where(cells["agency"] != "", (agency or "").strip())
    quarantine.add(
        names == "",
        "agency",
        names,
        lambda _: "agency is empty; fill it in or pass --agency",
    )
    types = _map_unique(cells["agency_type"], vocab.agency_type)
    unknown = (cells["agency_type"] != "") & types.isna()
    accepted = ", ".join(vocab.AGENCY_TYPES)
    quarantine.add(
        unknown,
        "agency_type",
        cells["agency_type"],
        lambda v: f"agency_type {shown(v)} is not one of {accepted}",
    )
    return names, types.where(types.notna(), agency_type)


def _record_refs(cells: pd.DataFrame, agencies: pd.Series, quarantine: _Problems) -> pd.Series:
    refs = cells["record_ref"]
    quarantine.add(refs == "", "record_ref", refs, lambda _: "record_ref is empty")
    one_agency = len(agencies) == 0 or bool((agencies == agencies.iloc[0]).all())
    key = refs if one_agency else agencies.str.casefold() + "\x1f" + refs
    given = (refs != "") & (agencies != "")
    repeat = given & key.duplicated(keep="first")
    if repeat.any():
        first = cells["row"].groupby(key).transform("first").astype(str)
        reasons = "record_ref " + refs.map(shown) + " repeats row " + first
        quarantine.add(repeat, "record_ref", refs, reasons + "; each record_ref may appear once")
    return refs


def _occurred(
    cells: pd.DataFrame, quarantine: _Problems, warnings: _Problems, today: pd.Timestamp | None
) -> tuple[pd.Series, pd.Series]:
    text = cells["occurred_on"]
    day = parse.parse_datetimes(text)
    quarantine.add(text == "", "occurred_on", text, lambda _: "occurred_on is empty")
    quarantine.add(
        day.bad,
        "occurred_on",
        text,
        lambda v: f"occurred_on {shown(v)} is not a date ({_DATE_HINT})",
    )
    latest = (today or pd.Timestamp.now()).normalize() + pd.Timedelta(days=1)
    quarantine.add(
        day.values.notna() & (day.values.dt.normalize() > latest),
        "occurred_on",
        text,
        lambda v: f"occurred_on {shown(v)} is in the future; check the year ({_DATE_HINT})",
    )
    quarantine.add(
        day.values < EARLIEST,
        "occurred_on",
        text,
        lambda v: f"occurred_on {shown(v)} is before 1960; check the year",
    )
    time = parse.parse_times(cells["occurred_time"])
    warnings.add(
        time.bad,
        "occurred_time",
        cells["occurred_time"],
        lambda v: f"occurred_time {shown(v)} is not a time (e.g. 21:30); kept with the date only",
    )
    with_time = time.values.notna() & day.values.notna()
    start = day.values.where(
        ~with_time, day.values.dt.normalize() + pd.to_timedelta(time.values, unit="min")
    )
    return start, (with_time | day.has_time).astype(bool)


def _until(cells: pd.DataFrame, start: pd.Series, warnings: _Problems) -> pd.Series:
    """End of the window: a date and time, a date (its last minute), or a time on the
    start day (the next day when it is earlier than the start)."""
    text = cells["occurred_until"]
    when = parse.parse_datetimes(text)
    time = parse.parse_times(text.where(when.values.isna(), ""))
    whole_day = pd.Timedelta(days=1) - pd.Timedelta(minutes=1)
    end = when.values.where(when.has_time, when.values + whole_day)
    same_day = start.dt.normalize() + pd.to_timedelta(time.values, unit="min")
    same_day = same_day.where(same_day >= start, same_day + pd.Timedelta(days=1))
    end = end.where(end.notna(), same_day)
    warnings.add(
        (text != "") & end.isna(),
        "occurred_until",
        text,
        lambda v: f"occurred_until {shown(v)} is neither a date nor a time; left empty",
    )
    before = end.notna() & start.notna() & (end < start)
    warnings.add(
        before,
        "occurred_until",
        text,
        lambda v: f"occurred_until {shown(v)} is before occurred_on; left empty",
    )
    return end.where(~before)


def _reported(cells: pd.DataFrame, warnings: _Problems) -> pd.Series:
    text = cells["reported_on"]
    when = parse.parse_datetimes(text)
    warnings.add(
        when.bad,
        "reported_on",
        text,
        lambda v: f"reported_on {shown(v)} is not a date ({_DATE_HINT}); left empty",
    )
    return when.values


def _category(cells: pd.DataFrame, quarantine: _Problems) -> tuple[pd.Series, pd.Series]:
    text = cells["category"]
    quarantine.add(text == "", "category", text, lambda _: "category is empty")
    known = _map_unique(text, lambda t: categories.classify(t) if t else None)
    other = (text != "") & known.isna()
    return known.where(~other, "other"), text.where(other, "")


def _sex(cells: pd.DataFrame, warnings: _Problems) -> pd.Series:
    text = cells["victim_sex"]
    sex = _map_unique(text, vocab.victim_sex)
    unread = (text != "") & sex.isna() & ~_is_unknown_word(text)
    warnings.add(
        unread,
        "victim_sex",
        text,
        lambda v: f"victim_sex {shown(v)} is not female/male (F, M, ke, me); left empty",
    )
    return sex


_YEARS = r"\s*(?:years?|yrs?|y|yo)?\.?"
_AGE = re.compile(
    rf"^(?:(?P<a>\d{{1,3}}){_YEARS}|(?P<lo>\d{{1,3}})\s*(?:-|\u2013|to)\s*(?P<hi>\d{{1,3}}){_YEARS}"
    rf"|(?P<plus>\d{{1,3}})\s*(?:\+|and above|and over){_YEARS})$"
)


def _age(text: str) -> str | None:
    """Years as a whole number, a band as `18-24`, `60+`; other words kept lower case."""
    key = text.strip().lower()
    if vocab.vocab_key(key) in vocab.UNKNOWN_WORDS:
        return None
    match = _AGE.match(key)
    if match is None:
        return key[:20]
    if match["a"]:
        return str(int(match["a"])) if int(match["a"]) <= 120 else None
    if match["lo"]:
        return f"{int(match['lo'])}-{int(match['hi'])}"
    return f"{int(match['plus'])}+"


def _status(cells: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    text = cells["status"]
    status = _map_unique(text, vocab.status)
    unknown = (text != "") & status.isna() & ~_is_unknown_word(text)
    return status, text.where(unknown, "")


def _coordinates(
    cells: pd.DataFrame, warnings: _Problems, counts: dict[str, int]
) -> tuple[pd.Series, pd.Series]:
    lat = parse.parse_coordinates(cells["latitude"]).values
    lon = parse.parse_coordinates(cells["longitude"]).values
    gps_lat, gps_lon = parse.parse_gps(cells["gps"])
    pair = lat.notna() & lon.notna()
    lat, lon = lat.where(pair, gps_lat.values), lon.where(pair, gps_lon.values)
    written = (cells["latitude"] != "") | (cells["longitude"] != "") | (cells["gps"] != "")
    unread = written & (lat.isna() | lon.isna())

    def shown_pair() -> pd.Series:
        pair = cells["latitude"] + ", " + cells["longitude"]
        return pair.where(cells["gps"] == "", cells["gps"])

    for column, rows in (("gps", cells["gps"] != ""), ("latitude", cells["gps"] == "")):
        warnings.add(
            unread & rows,
            column,
            shown_pair,
            lambda v: f"coordinates {shown(v)} are not decimal degrees; kept without a position",
        )
    lat, lon = lat.where(~unread), lon.where(~unread)
    lat, lon, swapped = parse.fix_swapped(lat, lon)
    outside = lat.notna() & lon.notna() & ~parse.in_kenya(lat, lon)
    warnings.add(
        outside,
        "latitude",
        lambda: lat.round(6).astype(str) + ", " + lon.round(6).astype(str),
        lambda v: f"coordinates {shown(v)} lie outside Kenya; kept without a position or ward",
    )
    counts["unreadable_coordinates"] = int(unread.sum())
    counts["swapped_coordinates"] = int(swapped.sum())
    counts["outside_kenya"] = int(outside.sum())
    return lat.where(~outside).astype(float), lon.where(~outside).astype(float)
