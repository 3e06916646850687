"""Monthly rollups of the daily aggregate tables (geodata.aggregates), and the one
place that decides which of the two a read sums.

At national scale the daily tables hold about as many rows as there are incidents
(a million incidents: 980,000 cell rows, 1,470,000 hour rows), because a row is a
day and a resolution-9 cell. Keyed by month, category, agency and ward instead, the
cells hold a third of that (317,000), and national reads by category, agency or ward
alone sum coarser grains of the same table (`LEVELS`); by month, category, weekday
and hour the hours hold 56,000. Keeping an H3 cell in either key saves almost nothing (a million
incidents over Kenya spread over 72,000 resolution-7 cells: 614,000 monthly rows),
so cell reads stay on the daily tables. Rows are written in month order: a range of
months then reads adjacent pages.

A date range reads its whole months from the monthly tables and only its partial
edge days from the daily ones (`source`), so results equal the daily-only sums.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection, text

from geodata import bulk
from geodata.map_rollup import refresh_map_rollup

DAILY = {"cells": "incident_cells_daily", "hours": "incident_hours_daily"}
MONTHLY = {"cells": "incident_cells_monthly", "hours": "incident_hours_monthly"}
KEYS = {"cells": ("category", "agency_id", "ward_code"), "hours": ("category", "weekday", "hour")}
VALUES = {"cells": ("n", "daylight", "darkness"), "hours": ("weight",)}
# The cells rollup holds each month at several grains, `level` telling which keys a
# row has (the others NULL), smallest first: a national read by category sums 24
# rows a year instead of 160,000.
LEVELS = {1: ("category",), 3: ("agency_id",), 2: ("ward_code",), 0: KEYS["cells"]}
# The first day of a daily row's month (date_trunc on the date itself would cast it
# to a timestamp with time zone and back for each row; same result).
MONTH_OF_DAY = "date_trunc('month', day::timestamp)::date"


def _sums(kind: str) -> str:
    return ", ".join(f"sum({v})" for v in VALUES[kind])


def _insert_from_daily(kind: str, where: str) -> str:
    keys, values = ", ".join(KEYS[kind]), ", ".join(VALUES[kind])
    level = ("level, ", "0, ") if kind == "cells" else ("", "")
    return (
        f"INSERT INTO {MONTHLY[kind]} ({level[0]}month, {keys}, {values}) "
        f"SELECT {level[1]}{MONTH_OF_DAY}, {keys}, {_sums(kind)} FROM {DAILY[kind]} "
        f"WHERE {where} GROUP BY {MONTH_OF_DAY}, {keys} ORDER BY {MONTH_OF_DAY}"
    )


def _insert_levels(where: str) -> str:
    """The coarser grains of the cells rollup, summed from its full-key rows in one
    scan (GROUPING SETS; GROUPING() has a bit set for each key a set leaves out)."""
    keys = KEYS["cells"]
    coarse = {k: v for k, v in LEVELS.items() if k}
    masks = {
        level: sum(1 << (len(keys) - 1 - i) for i, key in enumerate(keys) if key not in held)
        for level, held in coarse.items()
    }
    level = " ".join(f"WHEN {mask} THEN {lvl}" for lvl, mask in masks.items())
    sets = ", ".join(f"(month, {', '.join(held)})" for held in coarse.values())
    columns, values = ", ".join(keys), ", ".join(VALUES["cells"])
    return (
        f"INSERT INTO incident_cells_monthly (level, month, {columns}, {values}) "
        f"SELECT CASE GROUPING({columns}) {level} END, month, {columns}, {_sums('cells')} "
        f"FROM incident_cells_monthly WHERE level = 0 AND {where} "
        f"GROUP BY GROUPING SETS ({sets}) ORDER BY month"
    )


def refresh_rollups(
    conn: Connection, agencies: Sequence[int] | None, incidents: pd.DataFrame | None = None
) -> None:
    """Rebuild the monthly rows of `agencies` (every agency when None) from the daily
    tables, on the caller's connection and transaction, after the daily refresh.
    `incidents`: every incident (occurred_from, category, h3_9), when the caller holds
    them, for the map rollup (geodata.map_rollup).

    The hours rollup and the coarser cell grains have no agency key: they rebuild
    every month the agencies had rows in before (a re-import can move an incident to
    another month) or have now."""
    exists = conn.execute(text("SELECT to_regclass('incident_cells_monthly')")).scalar()
    if exists is None:  # migrations before 0009 refresh the daily tables only
        return
    if agencies is None:
        tables = tuple(MONTHLY.values())
        conn.execute(text(f"TRUNCATE {', '.join(tables)}"))
        # Index upkeep row by row was two thirds of a national rebuild (1M incidents:
        # 4.4 s); one sort per index after the insert costs a fraction of it.
        with bulk.indexes_deferred(conn, tables):
            conn.execute(text(_insert_from_daily("cells", "TRUE")))
            conn.execute(text(_insert_levels("TRUE")))
            conn.execute(text(_insert_from_daily("hours", "TRUE")))
        conn.execute(text(f"ANALYZE {', '.join(tables)}"))
        refresh_map_rollup(conn, None, incidents)
        return
    if not agencies:
        return
    chosen = {"agencies": [int(a) for a in agencies]}
    months = sorted(
        conn.execute(
            text(
                "SELECT month FROM incident_cells_monthly "
                "WHERE level = 0 AND agency_id = ANY(:agencies) "
                f"UNION SELECT DISTINCT {MONTH_OF_DAY} FROM incident_cells_daily "
                "WHERE agency_id = ANY(:agencies)"
            ),
            chosen,
        ).scalars()
    )
    conn.execute(
        text("DELETE FROM incident_cells_monthly WHERE level = 0 AND agency_id = ANY(:agencies)"),
        chosen,
    )
    conn.execute(text(_insert_from_daily("cells", "agency_id = ANY(:agencies)")), chosen)
    if not months:
        return
    refresh_map_rollup(conn, months)
    by_month = {"months": months}
    conn.execute(
        text("DELETE FROM incident_cells_monthly WHERE level > 0 AND month = ANY(:months)"),
        by_month,
    )
    conn.execute(text(_insert_levels("month = ANY(:months)")), by_month)
    conn.execute(text("DELETE FROM incident_hours_monthly WHERE month = ANY(:months)"), by_month)
    # Day ranges, not a test of each row's month: the planner then reads a range (or
    # the table) instead of matching 1.5 million months against a list (2.2 s).
    runs, params = [], {}
    for i, (first, after) in enumerate(_runs(months)):
        runs.append(f"(day >= :first_{i} AND day < :after_{i})")
        params |= {f"first_{i}": first, f"after_{i}": after}
    conn.execute(text(_insert_from_daily("hours", " OR ".join(runs))), params)


def _runs(months: Sequence[date]) -> list[tuple[date, date]]:
    """Sorted months as (first day, day after) of each run of consecutive months."""
    runs: list[tuple[date, date]] = []
    for month in months:
        if runs and runs[-1][1] == month:
            runs[-1] = (runs[-1][0], _next_month(month))
        else:
            runs.append((month, _next_month(month)))
    return runs


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


@dataclass(frozen=True)
class Pieces:
    """How one inclusive span of days is read. `months`: (first month, the month
    after the last, label) ranges of monthly rows, None bounds unbounded; a label
    dates every row of the range (None: each row its month). `plus`: (first day, day
    after the last) of daily rows added; `minus`: (first day, day after, label) of
    daily rows subtracted, dated `label`."""

    months: list[tuple[date | None, date | None, date | None]] = field(default_factory=list)
    plus: list[tuple[date, date]] = field(default_factory=list)
    minus: list[tuple[date, date, date]] = field(default_factory=list)


def split_span(start: date | None, end: date | None) -> Pieces:
    """The inclusive days `start`..`end` (None: unbounded) as whole months and the
    days of partial months. A partial month missing fewer days than it holds reads
    the whole month less the missing days (a year ending on 31 December starts on
    2 January: one day subtracted instead of thirty added), its rows dated the first
    day it holds, so a date filter or a CASE on the span keeps them in the span."""
    pieces = Pieces()
    first = None if start is None else (start if start.day == 1 else _next_month(start))
    after = None
    if end is not None:
        after = end + timedelta(days=1)
        if after.day != 1:
            after = end.replace(day=1)
    if first is None or after is None or first < after:
        pieces.months.append((first, after, None))
    partial = []
    if start is not None and start.day != 1:
        partial.append((start, min(_next_month(start), _after(end))))
    if end is not None and end + timedelta(days=1) != _next_month(end):
        month = end.replace(day=1)
        if start is None or start <= month:  # else the start month above holds it
            partial.append((month if start is None else max(month, start), _after(end)))
    for held, stop in partial:
        month, month_after = held.replace(day=1), _next_month(held)
        if (month_after - month) - (stop - held) >= stop - held:
            pieces.plus.append((held, stop))
            continue
        pieces.months.append((month, month_after, held))
        if month < held:
            pieces.minus.append((month, held, held))
        if stop < month_after:
            pieces.minus.append((stop, month_after, held))
    return pieces


def _after(end: date | None) -> date:
    return date.max if end is None else end + timedelta(days=1)


class Bound:
    """Half-open ranges of days as SQL conditions, the days bound as parameters
    (`params`, named `{prefix}_0`, `{prefix}_1`, ...)."""

    def __init__(self, prefix: str = "rollup") -> None:
        self.prefix = prefix
        self.params: dict = {}

    def value(self, day: date) -> str:
        name = f"{self.prefix}_{len(self.params)}"
        self.params[name] = day
        return f"CAST(:{name} AS date)"

    def within(self, column: str, low: date | None, high: date | None) -> str:
        """`column` in [low, high); an open end has no condition."""
        bounds = [f"{column} >= {self.value(low)}"] if low is not None else []
        bounds += [f"{column} < {self.value(high)}"] if high is not None else []
        return " AND ".join(bounds) or "TRUE"


@dataclass(frozen=True)
class Source:
    """A FROM item over an aggregate's rows (`table`), its parameters, and whether
    some rows are subtracted (`signed`: a group can then sum to zero, where the daily
    rows would have no group; readers drop such groups)."""

    table: str
    params: dict
    signed: bool = False
    month: str = MONTH_OF_DAY  # the first day of a row's month


def source(
    kind: str,
    spans: Iterable[tuple[date | None, date | None]],
    needs: Iterable[str] | None,
) -> Source:
    """The rows of `kind` ("cells" or "hours") as a FROM item with the columns `day`,
    `month` and the monthly keys and values: whole months from the monthly table, partial
    months from the daily one (split_span). The daily table as it is when a column
    in `needs` is not kept monthly, or `needs` is None.

    Spans must not overlap (segment reads pass adjacent segments). The caller still
    filters `day` by its range: every row is dated inside its span."""
    available = {"day", *KEYS[kind], *VALUES[kind]}
    if needs is None or not set(needs) <= available:
        return Source(DAILY[kind], {})
    grain = ""
    if kind == "cells":  # the smallest grain holding every key asked for
        level = next(k for k, keys in LEVELS.items() if set(needs) & set(KEYS[kind]) <= set(keys))
        grain = f"level = {level} AND "
    values = VALUES[kind]
    columns = ", ".join((*KEYS[kind], *values))
    negated = ", ".join((*KEYS[kind], *(f"-{v} AS {v}" for v in values)))
    bound = Bound()
    bind, within, params = bound.value, bound.within, bound.params
    whole, plus, branches, signed = [], [], [], False
    for start, end in spans:
        pieces = split_span(start, end)
        signed = signed or bool(pieces.minus)
        for low, high, label in pieces.months:
            if label is None:
                whole.append(within("month", low, high))
            else:
                branches.append(
                    f"SELECT {bind(label)} AS day, month, {columns} FROM {MONTHLY[kind]} "
                    f"WHERE {grain}{within('month', low, high)}"
                )
        plus += [within("day", low, high) for low, high in pieces.plus]
        branches += [
            f"SELECT {bind(label)} AS day, {MONTH_OF_DAY} AS month, {negated} "
            f"FROM {DAILY[kind]} "
            f"WHERE {within('day', low, high)}"
            for low, high, label in pieces.minus
        ]
    if not whole and not branches:
        return Source(DAILY[kind], {})
    if whole:
        branches.append(
            f"SELECT month AS day, month, {columns} FROM {MONTHLY[kind]} WHERE {grain}("
            + " OR ".join(f"({w})" for w in whole)
            + ")"
        )
    if plus:
        branches.append(
            f"SELECT day, {MONTH_OF_DAY} AS month, {columns} FROM {DAILY[kind]} WHERE "
            + " OR ".join(f"({p})" for p in plus)
        )
    return Source("(" + " UNION ALL ".join(branches) + ") AS src", params, signed, "month")
