"""Aoristic crime clock: incidents known only as a window spread over the hours.

Ratcliffe's aoristic method as in the R `aoristic` package (docs/methods.md): an
incident that happened some time between `occurred_from` and `occurred_to` gives
each hour it overlaps the share overlap / window length, so its weights sum to 1.

Rules, by kind of incident (the `kind` codes below):
- exact: the time is known and there is no end (or end == start): weight 1 in its hour.
- window: 0 < length <= max_hours (default 168 = 7 days): proportional overlap.
- long: longer than max_hours, so the time of day tells nothing: 1/168 on every hour
  of the week, starting from the hour of `occurred_from` (the R package's rule).
- reversed: end before start, a data error: weight 1 in the start hour (R's rule),
  counted apart so it can be reported.
- date only (`time_known` false): never in an hour bin. Spread over the weekdays
  of its dates instead (1/days each, a week or more gives 1/7 each).

Times are naive East Africa Time; weekday 0 is Monday.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

HOUR = 3600
WEEK_HOURS = 168
KINDS = ("exact", "window", "long", "reversed", "date_only")
EXACT, WINDOW, LONG, REVERSED, DATE_ONLY = range(len(KINDS))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday
_CHUNK = 250_000  # incidents expanded at a time, to bound memory


@dataclass(frozen=True)
class CrimeClock:
    """Weighted counts by category. `hour`: category, hour (0-23), weight.
    `weekday_hour`: category, weekday (0=Mon), hour, weight. `date_only`:
    category, weekday, weight, for incidents with no time. `kinds`: per category,
    the number of incidents of each kind (see KINDS)."""

    hour: pd.DataFrame
    weekday_hour: pd.DataFrame
    date_only: pd.DataFrame
    kinds: pd.DataFrame


def epoch_seconds(values) -> np.ndarray:
    """Seconds since 1970-01-01 (naive local time); NaT becomes the int64 minimum."""
    stamps = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[s]")
    return stamps.astype(np.int64)


def window_bounds(
    occurred_from, occurred_to, time_known, max_hours: int = WEEK_HOURS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, kind) per incident, in seconds since 1970, after the rules above.

    `kind` indexes KINDS. Exact and reversed incidents get end == start; long ones
    start at their first full hour and last exactly one week.
    """
    start = epoch_seconds(occurred_from)
    end = epoch_seconds(occurred_to)
    known = np.asarray(time_known, dtype=bool)
    end = np.where(pd.isna(pd.Series(occurred_to)).to_numpy(), start, end)
    length = end - start
    kind = np.select(
        [~known, length == 0, length < 0, length > max_hours * HOUR],
        [DATE_ONLY, EXACT, REVERSED, LONG],
        default=WINDOW,
    )
    end = np.where((kind == DATE_ONLY) | (kind == REVERSED), start, end)
    long = kind == LONG
    start = np.where(long, start // HOUR * HOUR, start)
    end = np.where(long, start + WEEK_HOURS * HOUR, end)
    return start, end, kind


def _expand(
    start: np.ndarray, end: np.ndarray, chunk: int = _CHUNK
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield (incident position, absolute hour, weight) for every hour each window
    touches, a chunk of incidents at a time. Zero-length windows weigh 1."""
    for lo in range(0, start.size, chunk):
        s, e = start[lo : lo + chunk], end[lo : lo + chunk]
        first = s // HOUR
        last = np.where(e > s, -(-e // HOUR) - 1, first)  # hour holding the end
        n_hours = last - first + 1
        incident = np.repeat(np.arange(s.size), n_hours)
        step = np.arange(incident.size) - np.repeat(np.cumsum(n_hours) - n_hours, n_hours)
        hour = first[incident] + step
        s_i, e_i = s[incident], e[incident]
        overlap = np.minimum(e_i, (hour + 1) * HOUR) - np.maximum(s_i, hour * HOUR)
        length = e_i - s_i
        weight = np.where(length > 0, overlap / np.where(length > 0, length, 1), 1.0)
        yield incident + lo, hour, weight


def aoristic_hours(
    occurred_from, occurred_to, time_known, max_hours: int = WEEK_HOURS
) -> pd.DataFrame:
    """Per-incident hourly weights: incident (row position), hour (start of the hour,
    datetime64), weight. Date-only incidents have no rows."""
    start, end, kind = window_bounds(occurred_from, occurred_to, time_known, max_hours)
    timed = np.flatnonzero(kind != DATE_ONLY)
    parts = list(_expand(start[timed], end[timed]))
    incident = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, np.int64)
    hour = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.int64)
    weight = np.concatenate([p[2] for p in parts]) if parts else np.empty(0)
    return pd.DataFrame(
        {
            "incident": timed[incident],
            "hour": (hour * HOUR).astype("datetime64[s]"),
            "weight": weight,
        }
    )


def _categories(incidents: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    if "category" not in incidents:
        return np.zeros(len(incidents), dtype=np.int64), pd.Index(["all"])
    codes, names = pd.factorize(incidents["category"], sort=True)
    return codes.astype(np.int64), pd.Index(names)


def _date_only_weekdays(start_days: np.ndarray, end_days: np.ndarray) -> Iterator:
    """(position, weekday, weight) over the dates of each date-only incident."""
    n_days = np.clip(end_days - start_days + 1, 1, 7)  # 7 days cover every weekday
    pos = np.repeat(np.arange(start_days.size), n_days)
    step = np.arange(pos.size) - np.repeat(np.cumsum(n_days) - n_days, n_days)
    weekday = (start_days[pos] + step + _EPOCH_WEEKDAY) % 7
    return pos, weekday, 1.0 / n_days[pos]


def crime_clock(incidents: pd.DataFrame, max_hours: int = WEEK_HOURS) -> CrimeClock:
    """Hour-of-day and weekday x hour aoristic counts by category.

    incidents: columns occurred_from, occurred_to (NaT when none), time_known and
    optionally category (else everything is "all"). Weights of timed incidents sum
    to their number; date-only incidents appear only in `date_only`.
    """
    codes, names = _categories(incidents)
    start, end, kind = window_bounds(
        incidents["occurred_from"], incidents["occurred_to"], incidents["time_known"], max_hours
    )
    date_only = kind == DATE_ONLY
    timed = np.flatnonzero(~date_only)
    grid = np.zeros(len(names) * 7 * 24)
    for pos, hour, weight in _expand(start[timed], end[timed]):
        weekday = (hour // 24 + _EPOCH_WEEKDAY) % 7
        key = codes[timed[pos]] * 168 + weekday * 24 + hour % 24
        grid += np.bincount(key, weights=weight, minlength=grid.size)
    cube = grid.reshape(len(names), 7, 24)
    index = pd.MultiIndex.from_product(
        [names, range(7), range(24)], names=["category", "weekday", "hour"]
    )
    weekday_hour = pd.DataFrame({"weight": cube.ravel()}, index=index).reset_index()
    hour = weekday_hour.groupby(["category", "hour"], as_index=False)["weight"].sum()
    return CrimeClock(
        hour=hour,
        weekday_hour=weekday_hour,
        date_only=_date_only_table(incidents, codes, names, date_only),
        kinds=_kinds_table(codes, names, kind),
    )


def _date_only_table(incidents, codes, names, date_only) -> pd.DataFrame:
    rows = np.flatnonzero(date_only)
    first = epoch_seconds(incidents["occurred_from"])[rows] // 86400
    to = incidents["occurred_to"].iloc[rows]
    last = np.where(pd.isna(to).to_numpy(), first, epoch_seconds(to) // 86400)
    pos, weekday, weight = _date_only_weekdays(first, last)
    table = np.bincount(codes[rows][pos] * 7 + weekday, weights=weight, minlength=len(names) * 7)
    index = pd.MultiIndex.from_product([names, range(7)], names=["category", "weekday"])
    return pd.DataFrame({"weight": table}, index=index).reset_index()


def _kinds_table(codes, names, kind) -> pd.DataFrame:
    table = np.bincount(codes * len(KINDS) + kind, minlength=len(names) * len(KINDS))
    frame = pd.DataFrame(table.reshape(len(names), len(KINDS)), columns=list(KINDS))
    frame.insert(0, "category", names)
    return frame
