"""Vectorised parsing of the template's dates, times and coordinates.

Every parser takes a Series of text cells ("" when empty) and returns values plus a
mask of cells that were written but could not be read. Registers repeat the same
dates thousands of times, so dates and times are parsed once per distinct text and
spread back with `take`; each format is tried only on the cells still unparsed.
Dates are day first, as written in Kenya.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

KENYA_LAT = (-4.7, 5.5)
KENYA_LON = (33.9, 41.9)

# Tried in order on what is still unparsed; `%Y` needs four digits, so `12/3/24`
# falls through to `%y`.
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d-%m-%y",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%B-%Y",
    "%d %b, %Y",
    "%d %B, %Y",
    "%d/%b/%Y",
    "%Y/%m/%d",
    "%B %d %Y",
    "%b %d %Y",
    "%B %d, %Y",
    "%b %d, %Y",
)
# Date and time in one cell, as spreadsheets and database exports write them.
DATETIME_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
)
# Excel day numbers 20000-80000 are 1954-2119: anything else is not a date serial.
_SERIAL_RANGE = (20000, 80000)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")

_TIME = re.compile(
    r"^(?:(?P<h>\d{1,2})[:.h](?P<m>\d{2})(?::\d{2}(?:\.\d+)?)?"
    r"|(?P<hh>\d{1,2})(?P<mm>\d{2})|(?P<ho>\d{1,2}))(?P<ap>am|pm)?$"
)
_TIME_SPLIT = re.compile(
    r"^(?P<date>.+?)[ T,]+(?P<time>\d{1,2}[:.]\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?\s*m\.?)?"
    r"|\d{3,4}\s*(?:hrs?|h)|\d{1,2}\s*[ap]\.?\s*m\.?)$",
    re.IGNORECASE,
)
_COORD = re.compile(r"^(?P<pre>[NSEW])?\s*(?P<num>[+-]?\d+(?:[.,]\d+)?)\s*°?\s*(?P<post>[NSEW])?$")
_GPS = re.compile(
    r"^\(?\s*(?P<a>[NSEW]?\s*[+-]?\d+(?:\.\d+)?\s*°?\s*[NSEW]?)\s*[,;/ ]\s*"
    r"(?P<b>[NSEW]?\s*[+-]?\d+(?:\.\d+)?\s*°?\s*[NSEW]?)\s*\)?$"
)


@dataclass
class Parsed:
    """Parsed values, and which written cells could not be read."""

    values: pd.Series
    bad: pd.Series
    has_time: pd.Series | None = None


def clean_text(cells: pd.Series, repeated: bool = False) -> pd.Series:
    """Cells stripped, inner whitespace single spaces, missing as "".

    `repeated` columns (a few dozen distinct values) are cleaned once per value.
    """
    cells = cells.fillna("").astype(str)
    if repeated:
        codes, uniques = pd.factorize(cells)
        clean = clean_text(pd.Series(uniques, dtype=str)).to_numpy()
        return pd.Series(clean[codes], index=cells.index, dtype=str)
    cells = cells.str.strip()
    # Only the few cells with runs of spaces, tabs or line breaks go through Python's
    # regex engine (pyarrow's RE2 has no Unicode `\s`).
    messy = cells.str.contains("[\t\n\r\x0b\x0c\xa0\u2000-\u200b]|  ", regex=True)
    if messy.any():
        cells = cells.copy()
        cells[messy] = cells[messy].str.replace(r"\s+", " ", regex=True)
    return cells


def to_float(cells: pd.Series) -> pd.Series:
    """Decimal numbers; NaN for "" and for anything else that is not a number."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(cells.astype(str))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
    try:  # Arrow's cast is 20 times faster than pandas' parser when every cell is a number
        values = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        return pd.Series(values, index=cells.index, dtype=float)
    except pa.ArrowInvalid:
        return pd.to_numeric(cells.where(cells != ""), errors="coerce").astype(float)


def _by_unique(cells: pd.Series, parse_unique) -> tuple:
    """Run `parse_unique` on the distinct texts and spread its Series back to `cells`."""
    codes, uniques = pd.factorize(cells.fillna("").astype(str))
    results = parse_unique(pd.Series(uniques, dtype=str))
    return tuple(pd.Series(r.to_numpy()[codes], index=cells.index, dtype=r.dtype) for r in results)


def _normal_date_text(text: pd.Series) -> pd.Series:
    text = text.str.strip().str.replace(r"\s+", " ", regex=True)
    text = text.str.replace(r"(?<=\d)(st|nd|rd|th)\b", "", regex=True, case=False)
    return text.str.replace(r"\bsept\b", "sep", regex=True, case=False)


def _try_formats(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    todo = text != ""
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce").astype("datetime64[us]")
        out[todo] = parsed
        todo &= out.isna()
    return out


def _excel_serials(text: pd.Series) -> pd.Series:
    number = pd.to_numeric(text.where(text.str.fullmatch(r"\d{5}(?:\.\d+)?")), errors="coerce")
    number = number.where(number.between(*_SERIAL_RANGE))
    days = pd.to_timedelta((number * 1440).round(), unit="min")
    return (_EXCEL_EPOCH + days).astype("datetime64[us]")


def _parse_unique_datetimes(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    text = _normal_date_text(text.astype(str))
    out = _try_formats(text, DATE_FORMATS)
    has_time = pd.Series(False, index=text.index)
    todo = (text != "") & out.isna()
    if todo.any():
        serial = _excel_serials(text[todo])
        out[todo] = serial
        has_time[todo] = serial.notna() & (serial.dt.normalize() != serial)
        todo &= out.isna()
    if todo.any():
        both = _try_formats(text.where(todo, ""), DATETIME_FORMATS)
        out[todo] = both[todo]
        # A spreadsheet export writes 00:00:00 on a date-only cell.
        has_time[todo] = both[todo].notna() & (both[todo].dt.normalize() != both[todo])
        todo &= out.isna()
    if todo.any():
        split = text[todo].str.extract(_TIME_SPLIT)
        day = _try_formats(split["date"].fillna(""), DATE_FORMATS)
        minutes, _ = _parse_unique_times(split["time"].fillna(""))
        joined = day + pd.to_timedelta(minutes, unit="min")
        out[todo] = joined
        has_time[todo] = joined.notna()
    bad = (text != "") & out.isna()
    return out, has_time, bad


def parse_datetimes(cells: pd.Series) -> Parsed:
    """Dates, or date and time in one cell, in every form the template accepts.

    `has_time` is True where the cell also held a time of day.
    """
    values, has_time, bad = _by_unique(cells, _parse_unique_datetimes)
    return Parsed(values, bad.astype(bool), has_time.astype(bool))


def _parse_unique_times(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    key = text.astype(str).str.lower().str.replace(r"\s+", "", regex=True)
    key = key.str.replace(r"([ap])\.?m\.?$", r"\1m", regex=True)
    key = key.str.replace(r"(?<=\d)(?:hours|hrs|hr|h)$", "", regex=True)
    parts = key.str.extract(_TIME)
    hour = pd.to_numeric(parts["h"].fillna(parts["hh"]).fillna(parts["ho"]), errors="coerce")
    minute = pd.to_numeric(parts["m"].fillna(parts["mm"]), errors="coerce").fillna(0)
    ampm = parts["ap"].fillna("")
    twelve = ampm != ""
    hour = hour.where(~twelve | hour.between(1, 12))
    hour = hour.where(parts["ho"].isna() | twelve)  # a bare "9" is not a time
    hour = hour.where(~twelve, (hour % 12) + np.where(ampm == "pm", 12, 0))
    minutes = (hour * 60 + minute).where(hour.between(0, 23) & (minute < 60))
    words = {"noon": 720.0, "midday": 720.0, "midnight": 0.0}
    minutes = minutes.fillna(key.map(words))
    fraction = pd.to_numeric(key.where(key.str.fullmatch(r"0?\.\d+")), errors="coerce")
    minutes = minutes.fillna((fraction * 1440).round())
    bad = (key != "") & minutes.isna()
    return minutes.astype(float), bad


def parse_times(cells: pd.Series) -> Parsed:
    """Times of day (`21:30`, `2130hrs`, `9.30pm`, `9:30 PM`) as minutes after midnight."""
    minutes, bad = _by_unique(cells, _parse_unique_times)
    return Parsed(minutes.astype(float), bad.astype(bool))


def parse_coordinates(cells: pd.Series) -> Parsed:
    """Decimal degrees; a hemisphere letter (`1.3133 S`, `E 36.78`) sets the sign."""
    cells = cells.fillna("").astype(str)
    if not (cells != "").any():
        return Parsed(pd.Series(np.nan, index=cells.index), pd.Series(False, index=cells.index))
    values = to_float(cells)
    todo = (cells != "") & values.isna()
    if todo.any():
        text = cells[todo].str.strip().str.upper()
        parts = text.str.extract(_COORD)
        number = pd.to_numeric(parts["num"].str.replace(",", ".", regex=False), errors="coerce")
        letter = parts["pre"].fillna(parts["post"]).fillna("")
        two_letters = parts["pre"].notna() & parts["post"].notna()
        signed = number.abs().where(~letter.isin(["S", "W"]), -number.abs())
        signed = signed.where(letter != "", number).where(~two_letters)
        values[todo] = signed.astype(float)
    bad = (cells != "") & values.isna()
    return Parsed(values, bad)


def parse_gps(cells: pd.Series) -> tuple[Parsed, Parsed]:
    """A `gps` cell holding both: `-1.3133, 36.7876` -> (latitude, longitude)."""
    cells = cells.fillna("").astype(str)
    given = cells != ""
    lat = pd.Series(np.nan, index=cells.index)
    lon = pd.Series(np.nan, index=cells.index)
    if given.any():
        parts = cells[given].str.strip().str.upper().str.extract(_GPS)
        lat[given] = parse_coordinates(parts["a"].fillna("")).values
        lon[given] = parse_coordinates(parts["b"].fillna("")).values
    unread = given & (lat.isna() | lon.isna())
    return Parsed(lat.where(~unread), unread), Parsed(lon.where(~unread), unread)


def in_kenya(lat: pd.Series, lon: pd.Series) -> pd.Series:
    return lat.between(*KENYA_LAT) & lon.between(*KENYA_LON)


def fix_swapped(lat: pd.Series, lon: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Swap latitude and longitude where only the swapped order lies in Kenya.

    Kenya's latitude and longitude ranges do not overlap, so a swap is unambiguous.
    """
    swapped = ~in_kenya(lat, lon) & in_kenya(lon, lat)
    return lat.where(~swapped, lon), lon.where(~swapped, lat), swapped
