"""Reads behind the incident map page: counts per H3 cell, headline numbers, the
date range of the data and counts per category, for a date range and categories.

Dates are inclusive calendar days in East Africa Time; an empty `categories` tuple
means every category, an empty `wards` tuple every ward (and incidents with none).
Results are cached per data version (see geodata.cache): treat returned frames as
read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, text

from geodata import settings
from geodata.cache import cached
from geodata.errors import ObservatoryError
from geodata.h3grid import RESOLUTIONS, fitting_resolution, parents


def _where(
    start: date | None,
    end: date | None,
    categories: tuple[str, ...],
    wards: tuple[str, ...] = (),
) -> tuple[str, dict]:
    """A WHERE clause on occurred_from, category and ward, with its bound parameters."""
    clauses, params = ["TRUE"], {}
    if start is not None:
        clauses.append("occurred_from >= :start")
        params["start"] = start
    if end is not None:
        # Whole end day included: compare with the next midnight.
        clauses.append("occurred_from < :end_next")
        params["end_next"] = end + timedelta(days=1)
    if categories:
        clauses.append("category = ANY(:categories)")
        params["categories"] = list(categories)
    if wards:
        clauses.append("ward_code = ANY(:wards)")
        params["wards"] = list(wards)
    return " AND ".join(clauses), params


@cached
def hex_counts(
    engine: Engine,
    res: int,
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Incidents per H3 cell at `res` (7, 8 or 9): columns h3 (int64), count (int64),
    only cells with at least one incident, ordered by cell."""
    if res not in RESOLUTIONS:
        raise ValueError(f"H3 resolution must be one of {RESOLUTIONS}, not {res!r}")
    where, params = _where(start, end, categories, wards)
    sql = text(
        f"SELECT h3_{res} AS h3, count(*) AS count FROM incidents "
        f"WHERE h3_{res} IS NOT NULL AND {where} GROUP BY h3_{res} ORDER BY h3_{res}"
    )
    with engine.connect() as conn:
        frame = pd.read_sql(sql, conn, params=params)
    return frame.astype({"h3": "int64", "count": "int64"})


def max_cells() -> int:
    """The most hexagons a map draws (OBSERVATORY_MAP_MAX_CELLS)."""
    raw = settings.get("OBSERVATORY_MAP_MAX_CELLS") or "15000"
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ObservatoryError(
            f"OBSERVATORY_MAP_MAX_CELLS is {raw!r}; set it to a whole number of hexagons "
            "such as 15000."
        )
    return value


def coarsen_counts(counts: pd.DataFrame, res: int) -> pd.DataFrame:
    """Counts per cell (columns h3, count) summed into their parents at `res`, ordered
    by cell; the same frame when it is already at `res`."""
    cells = counts["h3"].to_numpy(dtype="int64")
    up = parents(cells, res)
    if not len(cells) or (up == cells).all():
        return counts
    frame = pd.DataFrame({"h3": up, "count": counts["count"].to_numpy()})
    return frame.groupby("h3", sort=True, as_index=False)["count"].sum()


@dataclass(frozen=True)
class HexView:
    """What a map draws: counts per cell at `res`, the finest resolution from
    `requested` down whose cells fit the budget (`requested_cells` at `requested`)."""

    requested: int
    res: int
    requested_cells: int
    counts: pd.DataFrame

    @property
    def coarsened(self) -> bool:
        return self.res != self.requested


@cached
def hex_view(
    engine: Engine,
    res: int,
    budget: int,
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> HexView:
    """hex_counts at `res`, or summed into the parents at the finest coarser
    resolution with at most `budget` cells (geodata.h3grid.fitting_resolution)."""
    counts = hex_counts(engine, res, start, end, categories, wards)
    drawn = fitting_resolution(counts["h3"].to_numpy(), res, budget)
    return HexView(res, drawn, len(counts), coarsen_counts(counts, drawn))


@cached
def category_ward_counts(
    engine: Engine,
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Incidents per category and ward (ward_code None for none): category,
    ward_code, count, placed (with a map position). The one scan behind
    headline_numbers and category_counts; grouping by ward also counts the distinct
    wards at a fraction of what count(DISTINCT ward_code) costs (it sorts)."""
    where, params = _where(start, end, categories, wards)
    sql = text(
        "SELECT category, ward_code, count(*) AS count, count(geom) AS placed "
        f"FROM incidents WHERE {where} GROUP BY category, ward_code"
    )
    with engine.connect() as conn:
        frame = pd.read_sql(sql, conn, params=params)
    return frame.astype({"category": "object", "count": "int64", "placed": "int64"})


@cached
def category_counts(
    engine: Engine,
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Incidents per category: columns category, count; largest first, ties by name."""
    counts = category_ward_counts(engine, start, end, categories, wards)
    frame = counts.groupby("category", as_index=False)["count"].sum()
    frame = frame.sort_values(["count", "category"], ascending=[False, True], ignore_index=True)
    return frame.astype({"category": "object", "count": "int64"})


@cached
def headline_numbers(
    engine: Engine,
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> dict:
    """The numbers at the top of the map page.

    incidents: count; wards: distinct wards with at least one incident;
    placed: incidents with a map position; placed_share: placed / incidents
    (None when there are no incidents); top_category / top_category_count: the most
    frequent category (None / 0 when there are no incidents).
    """
    counts = category_ward_counts(engine, start, end, categories, wards)
    incidents, placed = int(counts["count"].sum()), int(counts["placed"].sum())
    with_ward = int(counts["ward_code"].dropna().nunique())
    by_category = category_counts(engine, start, end, categories, wards)
    top = by_category.iloc[0] if len(by_category) else None
    return {
        "incidents": incidents,
        "wards": with_ward,
        "placed": placed,
        "placed_share": (placed / incidents) if incidents else None,
        "top_category": None if top is None else str(top["category"]),
        "top_category_count": 0 if top is None else int(top["count"]),
    }


@cached
def date_bounds(engine: Engine) -> tuple[date | None, date | None]:
    """The first and last day with an incident, or (None, None) with no incidents."""
    sql = text("SELECT min(occurred_from)::date, max(occurred_from)::date FROM incidents")
    with engine.connect() as conn:
        first, last = conn.execute(sql).one()
    return first, last
