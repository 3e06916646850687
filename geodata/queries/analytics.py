"""Reads behind the analytics pages (hot spots, crime clock, trends), all from the
pre-aggregated tables geodata.aggregates keeps in step with every load, except
`placed_counts` (the aggregates do not keep which incidents sit on a place's point).

Every function takes the engine and the same hashable filters (tuples, never lists):

    start, end    inclusive days (the day an incident started); None: unbounded
    categories    category keys; () every category
    agencies      agency ids; () every agency
    wards         ward codes; () every ward (and incidents with no ward)
    counties      county names; () every county
    hours         hours of the day (0-23) of the time-of-day band; () all day.
                  With a band, counts are the aoristic share of each incident inside
                  those hours, so they can be fractional; incidents with a date but no
                  time cannot be placed in a band and are left out.
    cell          an H3 cell (int64, resolution 4 to 9) to focus on; None: all

Results are cached per data version (geodata.cache): treat frames as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from geodata.aggregates import _weight_sql, count_unit
from geodata.cache import cached
from geodata.h3grid import MAP_RESOLUTIONS, cell_sql
from geodata.stats.aoristic import aoristic_hours

CELLS = "incident_cells_daily"
HOURS = "incident_hours_daily"
# The first day of a row's month. date_trunc on the date itself would cast it to a
# timestamp with time zone and back for each of a million rows; same result.
MONTH = "date_trunc('month', day::timestamp)::date"


@dataclass(frozen=True)
class Query:
    """A FROM ... WHERE over one aggregate table, the value to sum and its parameters."""

    table: str
    value: str
    where: str
    params: dict

    def select(self, columns: str, group: str = "", order: str = "") -> str:
        sql = f"SELECT {columns} FROM {self.table} WHERE {self.where}"
        if group:
            sql += f" GROUP BY {group}"
        if order:
            sql += f" ORDER BY {order}"
        return sql


def cell_resolution(cell: int) -> int:
    """The resolution of an H3 cell (bits 52-55 of the index)."""
    res = (int(cell) >> 52) & 0xF
    if res not in MAP_RESOLUTIONS:
        raise ValueError(f"H3 cell {cell} is at resolution {res}, not one of {MAP_RESOLUTIONS}")
    return res


def _check_res(res: int) -> None:
    if res not in MAP_RESOLUTIONS:
        raise ValueError(f"H3 resolution must be one of {MAP_RESOLUTIONS}, not {res!r}")


def build_query(
    start: date | None = None,
    end: date | None = None,
    categories: tuple[str, ...] = (),
    agencies: tuple[int, ...] = (),
    wards: tuple[str, ...] = (),
    counties: tuple[str, ...] = (),
    hours: tuple[int, ...] = (),
    cell: int | None = None,
    *,
    timed_only: bool = False,
) -> Query:
    """The table, value and WHERE clause for a set of filters.

    Without a band the day table is enough (one row per group); a band, or
    `timed_only`, needs the per-hour table.
    """
    clauses, params = ["TRUE"], {}
    if start is not None:
        clauses.append("day >= :start")
        params["start"] = start
    if end is not None:
        clauses.append("day <= :end")
        params["end"] = end
    if categories:
        clauses.append("category = ANY(:categories)")
        params["categories"] = list(categories)
    if agencies:
        clauses.append("agency_id = ANY(:agencies)")
        params["agencies"] = [int(a) for a in agencies]
    if wards:
        clauses.append("ward_code = ANY(:wards)")
        params["wards"] = list(wards)
    if counties:
        # An array, not IN (SELECT ...): the planner then reads the county's rows
        # through the ward_code index instead of joining every row in the range.
        clauses.append(
            "ward_code = ANY(ARRAY(SELECT code FROM wards WHERE county = ANY(:counties)))"
        )
        params["counties"] = list(counties)
    if cell is not None:
        clauses.append(f"{cell_sql(cell_resolution(cell))} = :cell")
        params["cell"] = int(cell)
    if hours:
        clauses.append("hour = ANY(:hours)")
        params["hours"] = sorted({int(h) % 24 for h in hours})
    elif timed_only:
        clauses.append("hour IS NOT NULL")
    if hours or timed_only:
        return Query(HOURS, "weight", " AND ".join(clauses), params)
    return Query(CELLS, "n", " AND ".join(clauses), params)


def _read(engine: Engine, sql: str, params: dict) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn, params=params)


@cached
def cell_counts(
    engine: Engine,
    res: int,
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    agencies: tuple[int, ...] = (),
    wards: tuple[str, ...] = (),
    counties: tuple[str, ...] = (),
    hours: tuple[int, ...] = (),
    cell: int | None = None,
) -> pd.DataFrame:
    """Incidents per H3 cell at `res`: h3 (int64), count (float64; whole numbers
    without a band), only cells with incidents, ordered by cell."""
    _check_res(res)
    q = build_query(start, end, categories, agencies, wards, counties, hours, cell)
    column = cell_sql(res)  # coarser than 7: the parent of h3_7, computed in SQL
    sql = q.select(
        f"{column} AS h3, sum({q.value}) AS count",
        group="1",
        order="1",
    ).replace("WHERE", f"WHERE {column} IS NOT NULL AND", 1)
    frame = _read(engine, f"SELECT * FROM ({sql}) t WHERE count > 0", q.params)
    return frame.astype({"h3": "int64", "count": "float64"})


# Incidents placed from their location text on a gazetteer place's point, under the
# aggregates' column names so build_query's WHERE applies unchanged. The count unit's
# weight is taken over all incidents, as the aggregates take it.
_PLACED = """
SELECT {columns} FROM (
    SELECT i.occurred_from::date AS day, i.category, i.agency_id, i.ward_code,
           i.h3_7, i.h3_8, i.h3_9, i.occurred_from, i.occurred_to, i.time_known,
           i.geocode_method, i.place_id, p.kind, ST_Y(i.geom) AS lat, ST_X(i.geom) AS lon,
           {weight} AS n
    FROM incidents i LEFT JOIN places p ON p.id = i.place_id
) t
WHERE geocode_method = 'gazetteer' AND place_id IS NOT NULL AND h3_9 IS NOT NULL
  AND {where}
{group}
"""
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
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    agencies: tuple[int, ...] = (),
    wards: tuple[str, ...] = (),
    counties: tuple[str, ...] = (),
    hours: tuple[int, ...] = (),
    cell: int | None = None,
) -> pd.DataFrame:
    """The part of `cell_counts` that sits on a gazetteer place's point because only a
    location text placed it: cell (int64 at `res`), lat, lon, kind (the place's), count.

    Same filters and values as cell_counts (with a band, each incident's aoristic
    share inside it), so every count here is part of its cell's count there.
    """
    _check_res(res)
    q = build_query(start, end, categories, agencies, wards, counties, (), cell)
    keys = _PLACE_KEYS.format(cell=cell_sql(res))
    weight = _weight_sql(count_unit())
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
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    agencies: tuple[int, ...] = (),
    wards: tuple[str, ...] = (),
    counties: tuple[str, ...] = (),
    hours: tuple[int, ...] = (),
    cell: int | None = None,
) -> pd.DataFrame:
    """Incidents per H3 cell at `res` and calendar month: cell, month (first day,
    Timestamp), count; for the emerging hot-spot classification."""
    _check_res(res)
    q = build_query(start, end, categories, agencies, wards, counties, hours, cell)
    column = cell_sql(res)
    sql = q.select(
        f"{column} AS cell, {MONTH} AS month, sum({q.value}) AS count",
        group="1, 2",
        order="1, 2",
    ).replace("WHERE", f"WHERE {column} IS NOT NULL AND", 1)
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
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    agencies: tuple[int, ...] = (),
    wards: tuple[str, ...] = (),
    counties: tuple[str, ...] = (),
    hours: tuple[int, ...] = (),
) -> pd.DataFrame:
    """The wards the incidents of each of `cells` (at `res`) fall in, in one read:
    cell (int64), ward_code, name, count (> 0), each cell's busiest ward first (ties by
    name). A cell can straddle a ward boundary; incidents with no ward are left out."""
    _check_res(res)
    if not cells:
        return pd.DataFrame(
            {"cell": pd.Series([], dtype="int64"), "ward_code": [], "name": [], "count": []}
        )
    q = build_query(start, end, categories, agencies, wards, counties, hours)
    column = cell_sql(res)
    counts = q.select(
        f"{column} AS cell, ward_code, sum({q.value}) AS count", group="1, 2"
    ).replace("WHERE", f"WHERE {column} = ANY(:cells) AND ward_code IS NOT NULL AND", 1)
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
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    agencies: tuple[int, ...] = (),
    wards: tuple[str, ...] = (),
    counties: tuple[str, ...] = (),
    hours: tuple[int, ...] = (),
    cell: int | None = None,
) -> pd.DataFrame:
    """Every ward in view with its incidents and rate: ward_code, name, county,
    population (NA when not loaded), count, rate (per 1,000 residents; NaN without
    a population). Wards with no incident count 0."""
    q = build_query(start, end, categories, agencies, wards, counties, hours, cell)
    counts = q.select(f"ward_code, sum({q.value}) AS count", group="ward_code")
    in_view = ["TRUE"]
    if wards:
        in_view.append("w.code = ANY(:wards)")
    if counties:
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
    categories: tuple[str, ...] = (),
    agencies: tuple[int, ...] = (),
    wards: tuple[str, ...] = (),
    counties: tuple[str, ...] = (),
    hours: tuple[int, ...] = (),
    cell: int | None = None,
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
    q = build_query(bounds[0], None, categories, agencies, wards, counties, hours, cell)
    params = {**q.params, **{f"b{i}": b for i, b in enumerate(bounds)}}
    branches = " ".join(f"WHEN day >= :b{i} THEN :b{i}" for i in range(len(bounds) - 2, -1, -1))
    sql = q.select(
        f"CASE {branches} END AS date, {column} AS group_key, sum({q.value}) AS count",
        group="1, 2",
        order="1, 2",
    ).replace("WHERE", f"WHERE day < :b{len(bounds) - 1} AND", 1)
    frame = _read(engine, sql, params).rename(columns={"group_key": "group"})
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.astype({"count": "float64"})


@cached
def monthly_trend(
    engine: Engine,
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    agencies: tuple[int, ...] = (),
    wards: tuple[str, ...] = (),
    counties: tuple[str, ...] = (),
    hours: tuple[int, ...] = (),
    cell: int | None = None,
    by: str = "category",
) -> pd.DataFrame:
    """Incidents per calendar month and group (`by`: category, agency or ward), the
    input of geodata.stats.trends.monthly_counts: date (the month's first day,
    Timestamp), group (category key, agency id or ward code), count. Months with
    none are absent; partial months at the ends count only the days in range."""
    column = GROUPS[by]
    q = build_query(start, end, categories, agencies, wards, counties, hours, cell)
    sql = q.select(
        f"{MONTH} AS date, {column} AS group_key, sum({q.value}) AS count",
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
