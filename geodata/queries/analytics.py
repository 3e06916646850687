"""Reads behind the analytics pages (hot spots, crime clock, trends), all from the
pre-aggregated tables geodata.aggregates keeps in step with every load, except
`placed_counts` (the aggregates do not keep which incidents sit on a place's point).

Every function takes the engine and one hashable IncidentFilter
(geodata.queries.filters: dates, categories, agencies, wards, counties, the
time-of-day band and a focus cell).

Results are cached per data version (geodata.cache): treat frames as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from geodata import rollup
from geodata.aggregates import count_unit
from geodata.cache import cached
from geodata.h3grid import MAP_RESOLUTIONS, RESOLUTIONS, cell_sql, fitting_resolution
from geodata.queries import maps
from geodata.queries.filters import IncidentFilter, cell_resolution
from geodata.stats.aoristic import aoristic_hours

__all__ = ["IncidentFilter", "cell_resolution"]  # re-exported for the pages

CELLS = rollup.DAILY["cells"]
HOURS = rollup.DAILY["hours"]
MONTH = rollup.MONTH_OF_DAY
# Below any group's true sum: the smallest weight is an event's share of one hour.
_NETS_TO_ZERO = 1e-9


@dataclass(frozen=True)
class Query:
    """A FROM ... WHERE over one aggregate table (or its daily and monthly rows, see
    geodata.rollup.source), the value to sum and its parameters."""

    table: str
    value: str
    where: str
    params: dict
    signed: bool = False  # rows subtracted (geodata.rollup.Source)
    month: str = MONTH  # the first day of a row's month, as SQL

    def also(self, clause: str) -> Query:
        """The same query with `clause` ANDed to its WHERE."""
        return replace(self, where=f"{clause} AND {self.where}")

    def select(self, columns: str, group: str = "", order: str = "") -> str:
        sql = f"SELECT {columns} FROM {self.table} WHERE {self.where}"
        if group:
            sql += f" GROUP BY {group}"
            if self.signed:  # a group the daily rows do not hold nets to zero
                sql += f" HAVING abs(sum({self.value})) > {_NETS_TO_ZERO}"
        if order:
            sql += f" ORDER BY {order}"
        return sql


def _check_res(res: int) -> None:
    if res not in MAP_RESOLUTIONS:
        raise ValueError(f"H3 resolution must be one of {MAP_RESOLUTIONS}, not {res!r}")


def build_query(
    filters: IncidentFilter,
    *,
    timed_only: bool = False,
    hourly: bool = False,
    needs: tuple[str, ...] | None = None,
    spans: tuple[tuple[date | None, date | None], ...] | None = None,
) -> Query:
    """The table, value and WHERE clause for a set of filters.

    Without a band the day table is enough (one row per group); a band,
    `timed_only` or `hourly` needs the per-hour table.

    `needs`: the columns the caller selects or groups by besides the value. With
    them given, whole months come from the monthly rollups wherever those keep every
    column asked for (geodata.rollup.source); None reads the daily tables only.
    `spans`: the inclusive day ranges read (default start..end), each split into
    whole months and edge days on its own.
    """
    where = filters.where(timed_only=timed_only)
    kind = "hours" if filters.hours or timed_only or hourly else "cells"
    used = None if needs is None else {*needs, *where.columns}
    src = rollup.source(kind, spans or ((filters.start, filters.end),), used)
    value = "weight" if kind == "hours" else "n"
    params = {**where.params, **src.params}
    return Query(src.table, value, where.sql, params, src.signed, src.month)


def _read(engine: Engine, sql: str, params: dict) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn, params=params)


@cached
def cell_counts(
    engine: Engine,
    res: int,
    filters: IncidentFilter,
) -> pd.DataFrame:
    """Incidents per H3 cell at `res`: h3 (int64), count (float64; whole numbers
    without a band), only cells with incidents, ordered by cell."""
    _check_res(res)
    q = build_query(filters)
    column = cell_sql(res)  # coarser than 7: the parent of h3_7, computed in SQL
    sql = q.also(f"{column} IS NOT NULL").select(
        f"{column} AS h3, sum({q.value}) AS count",
        group="1",
        order="1",
    )
    frame = _read(engine, f"SELECT * FROM ({sql}) t WHERE count > 0", q.params)
    return frame.astype({"h3": "int64", "count": "float64"})


def drawn_resolution(engine: Engine, res: int, filters: IncidentFilter, budget: int) -> int:
    """The finest resolution from `res` down at which the cells holding incidents
    under `filters` number at most `budget` (geodata.h3grid.fitting_resolution).

    Which cells hold incidents does not depend on the count unit (every weight is
    positive): for every ward, filtered by dates and categories only, the monthly map
    rollup can prove a national view too fine down to resolution 7
    (geodata.queries.maps.rollup_view, shared with the map page) instead of grouping
    every incident by cell (780 ms at resolution 8 and a million)."""
    others = filters.agencies or filters.wards or filters.counties or filters.hours
    if res in RESOLUTIONS and not others and filters.cell is None:
        view = maps.rollup_view(engine, res, budget, filters.start, filters.end, filters.categories)
        if view is not None:
            return view.res
    return fitting_resolution(cell_counts(engine, res, filters)["h3"].to_numpy(), res, budget)


# Incidents placed from their location text on a gazetteer place's point, under the
# aggregates' column names so build_query's WHERE applies unchanged. The count unit's
# weight is taken over all incidents, as the aggregates take it: an event's share is
# one over the records in its group, the groups sized only for the placed records
# (found through their partial index: sizing every group cost a second a read).
_PLACED = """
SELECT {columns} FROM (
    SELECT i.occurred_from::date AS day, i.category, i.agency_id, i.ward_code,
           i.h3_7, i.h3_8, i.h3_9, i.occurred_from, i.occurred_to, i.time_known,
           p.kind, ST_Y(i.geom) AS lat, ST_X(i.geom) AS lon, {weight} AS n
    FROM incidents i
    JOIN places p ON p.id = i.place_id
    LEFT JOIN (
        SELECT event_group_id, count(*) AS size FROM incidents
        WHERE event_group_id IN (
            SELECT event_group_id FROM incidents WHERE geocode_method = 'gazetteer'
        )
        GROUP BY event_group_id
    ) g ON g.event_group_id = i.event_group_id
    WHERE i.geocode_method = 'gazetteer' AND i.h3_9 IS NOT NULL
) t
WHERE {where}
{group}
"""
# The count unit's weight (geodata.aggregates._weight_sql) over _PLACED's group sizes.
_PLACED_WEIGHTS = {"records": "1.0", "events": "1.0 / coalesce(g.size, 1)"}
_PLACE_KEYS = "{cell} AS cell, lat, lon, kind"


def _band_share(rows: pd.DataFrame, hours: tuple[int, ...]) -> np.ndarray:
    """Each incident's aoristic share inside the hours, as the hours aggregate holds it."""
    spread = aoristic_hours(rows["occurred_from"], rows["occurred_to"], rows["time_known"])
    hour = spread["hour"].to_numpy("datetime64[h]").astype(np.int64) % 24
    band = np.isin(hour, sorted({int(h) % 24 for h in hours}))
    at = spread["incident"].to_numpy()[band]
    return np.bincount(at, spread["weight"].to_numpy()[band], minlength=len(rows))


@cached
def placed_counts(
    engine: Engine,
    res: int,
    filters: IncidentFilter,
) -> pd.DataFrame:
    """The part of `cell_counts` that sits on a gazetteer place's point because only a
    location text placed it: cell (int64 at `res`), lat, lon, kind (the place's), count.

    Same filters and values as cell_counts (with a band, each incident's aoristic
    share inside it), so every count here is part of its cell's count there.
    """
    _check_res(res)
    q = build_query(filters.but(hours=()))
    hours = filters.band
    keys = _PLACE_KEYS.format(cell=cell_sql(res))
    weight = _PLACED_WEIGHTS[count_unit()]
    if not hours:
        sql = _PLACED.format(
            columns=f"{keys}, sum(n) AS count",
            weight=weight,
            where=q.where,
            group="GROUP BY 1, 2, 3, 4",
        )
        frame = _read(engine, sql, q.params)
    else:
        columns = f"{keys}, n, occurred_from, occurred_to, time_known"
        rows = _read(
            engine,
            _PLACED.format(columns=columns, weight=weight, where=q.where, group=""),
            q.params,
        )
        rows["count"] = rows["n"].to_numpy(float) * _band_share(rows, hours)
        frame = rows.groupby(["cell", "lat", "lon", "kind"], dropna=False, as_index=False)[
            "count"
        ].sum()
    frame = frame[frame["count"] > 0].sort_values(["cell", "lat", "lon"], ignore_index=True)
    return frame.astype({"cell": "int64", "count": "float64"})


@cached
def cell_month_counts(
    engine: Engine,
    res: int,
    filters: IncidentFilter,
) -> pd.DataFrame:
    """Incidents per H3 cell at `res` and calendar month: cell, month (first day,
    Timestamp), count; for the emerging hot-spot classification."""
    _check_res(res)
    q = build_query(filters)
    column = cell_sql(res)
    sql = q.also(f"{column} IS NOT NULL").select(
        f"{column} AS cell, {MONTH} AS month, sum({q.value}) AS count",
        group="1, 2",
        order="1, 2",
    )
    frame = _read(engine, sql, q.params)
    frame["month"] = pd.to_datetime(frame["month"])
    return frame.astype({"cell": "int64", "count": "float64"})


_CELL_WARDS = """
SELECT c.cell, w.code AS ward_code, w.name, c.count
FROM ({counts}) c JOIN wards w ON w.code = c.ward_code
WHERE c.count > 0
ORDER BY c.cell, c.count DESC, w.name, w.code
"""


@cached
def cell_wards(
    engine: Engine,
    res: int,
    cells: tuple[int, ...],
    filters: IncidentFilter,
) -> pd.DataFrame:
    """The wards the incidents of each of `cells` (at `res`) fall in, in one read:
    cell (int64), ward_code, name, count (> 0), each cell's busiest ward first (ties by
    name). A cell can straddle a ward boundary; incidents with no ward are left out."""
    _check_res(res)
    if not cells:
        return pd.DataFrame(
            {"cell": pd.Series([], dtype="int64"), "ward_code": [], "name": [], "count": []}
        )
    q = build_query(filters.but(cell=None))
    column = cell_sql(res)
    counts = q.also(f"{column} = ANY(:cells) AND ward_code IS NOT NULL").select(
        f"{column} AS cell, ward_code, sum({q.value}) AS count", group="1, 2"
    )
    params = {**q.params, "cells": [int(c) for c in cells]}
    frame = _read(engine, _CELL_WARDS.format(counts=counts), params)
    return frame.astype({"cell": "int64", "count": "float64"})


_WARD_COUNTS = """
SELECT w.code AS ward_code, w.name, w.county, w.population, coalesce(c.count, 0) AS count
FROM wards w
LEFT JOIN ({counts}) c ON c.ward_code = w.code
WHERE {wards}
ORDER BY w.code
"""


@cached
def ward_counts(
    engine: Engine,
    filters: IncidentFilter,
) -> pd.DataFrame:
    """Every ward in view with its incidents and rate: ward_code, name, county,
    population (NA when not loaded), count, rate (per 1,000 residents; NaN without
    a population). Wards with no incident count 0."""
    q = build_query(filters, needs=("ward_code",))
    counts = q.select(f"ward_code, sum({q.value}) AS count", group="ward_code")
    in_view = ["TRUE"]
    if filters.wards:
        in_view.append("w.code = ANY(:wards)")
    if filters.counties:
        in_view.append("w.county = ANY(:counties)")
    sql = _WARD_COUNTS.format(counts=counts, wards=" AND ".join(in_view))
    frame = _read(engine, sql, q.params)
    frame["population"] = frame["population"].astype("Int64")
    frame["count"] = frame["count"].astype(float)
    population = frame["population"].astype("float64").where(frame["population"] > 0)
    frame["rate"] = (1000.0 * frame["count"] / population).astype(float)
    return frame


GROUPS = {"category": "category", "agency": "agency_id", "ward": "ward_code"}


@cached
def segment_counts(
    engine: Engine,
    bounds: tuple[date, ...],
    filters: IncidentFilter,
    by: str = "ward",
) -> pd.DataFrame:
    """Incidents per group in the day segments [bounds[i], bounds[i+1]) (sorted
    days): date (the segment's first day), group, count.

    Comparison periods (28 days, year to date ...) are unions of such segments, so
    summing these rows by date gives exact period counts from a few rows per group
    instead of one per day.
    """
    bounds = tuple(sorted(set(bounds)))
    column = GROUPS[by]
    segments = tuple((first, after - timedelta(days=1)) for first, after in pairwise(bounds))
    q = build_query(filters.but(start=bounds[0], end=None), needs=("day", column), spans=segments)
    params = {**q.params, **{f"b{i}": b for i, b in enumerate(bounds)}}
    branches = " ".join(f"WHEN day >= :b{i} THEN :b{i}" for i in range(len(bounds) - 2, -1, -1))
    sql = q.also(f"day < :b{len(bounds) - 1}").select(
        f"CASE {branches} END AS date, {column} AS group_key, sum({q.value}) AS count",
        group="1, 2",
        order="1, 2",
    )
    frame = _read(engine, sql, params).rename(columns={"group_key": "group"})
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.astype({"count": "float64"})


@cached
def monthly_trend(
    engine: Engine,
    filters: IncidentFilter,
    by: str = "category",
) -> pd.DataFrame:
    """Incidents per calendar month and group (`by`: category, agency or ward), the
    input of geodata.stats.trends.monthly_counts: date (the month's first day,
    Timestamp), group (category key, agency id or ward code), count. Months with
    none are absent; partial months at the ends count only the days in range."""
    column = GROUPS[by]
    q = build_query(filters, needs=("day", column))
    sql = q.select(
        f"{q.month} AS date, {column} AS group_key, sum({q.value}) AS count",
        group="1, 2",
        order="1, 2",
    )
    frame = _read(engine, sql, q.params).rename(columns={"group_key": "group"})
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.astype({"count": "float64"})


@cached
def agency_list(engine: Engine) -> pd.DataFrame:
    """id, name, agency_type of every agency, by name (for the agency filter)."""
    return _read(engine, "SELECT id, name, agency_type FROM agencies ORDER BY name, id", {})
