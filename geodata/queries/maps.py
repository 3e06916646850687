"""Reads behind the incident map page: counts per H3 cell, headline numbers, the
date range of the data and counts per category, for a date range and categories.

Dates are inclusive calendar days in East Africa Time; an empty `categories` tuple
means every category, an empty `wards` tuple every ward (and incidents with none).
Results are cached per data version (see geodata.cache): treat returned frames as
read-only.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, text

from geodata.cache import cached
from geodata.h3grid import RESOLUTIONS


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


@cached
def category_counts(
    engine: Engine,
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Incidents per category: columns category, count; largest first, ties by name."""
    where, params = _where(start, end, categories, wards)
    sql = text(
        f"SELECT category, count(*) AS count FROM incidents WHERE {where} "
        "GROUP BY category ORDER BY count(*) DESC, category"
    )
    with engine.connect() as conn:
        frame = pd.read_sql(sql, conn, params=params)
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
    where, params = _where(start, end, categories, wards)
    sql = text(
        "SELECT count(*) AS incidents, count(DISTINCT ward_code) AS wards, "
        f"count(geom) AS placed FROM incidents WHERE {where}"
    )
    with engine.connect() as conn:
        row = conn.execute(sql, params).one()
    incidents, with_ward, placed = int(row.incidents), int(row.wards), int(row.placed)
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
