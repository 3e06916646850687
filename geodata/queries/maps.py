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
from geodata.h3grid import RESOLUTIONS, cell_sql, fitting_resolution, parents
from geodata.map_rollup import TABLE as MAP_ROLLUP
from geodata.map_rollup import WARDS as WARDS_ROLLUP
from geodata.rollup import Bound, split_span


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
    kinds, kind_params = _category_ward(categories, wards)
    return " AND ".join(clauses + kinds), params | kind_params


def _category_ward(categories: tuple[str, ...], wards: tuple[str, ...]) -> tuple[list, dict]:
    """Conditions on category and ward (none for an empty choice), and their parameters."""
    clauses, params = [], {}
    if categories:
        clauses.append("category = ANY(:categories)")
        params["categories"] = list(categories)
    if wards:
        clauses.append("ward_code = ANY(:wards)")
        params["wards"] = list(wards)
    return clauses, params


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
    `requested` down whose cells fit the budget."""

    requested: int
    res: int
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
    resolution with at most `budget` cells (geodata.h3grid.fitting_resolution).

    Without a ward filter, the monthly map rollup (geodata.map_rollup) first tries to
    prove that every resolution from `res` to 7 is over the budget; the view is then
    counted at resolution 6 from the rollup and the range's edge days, with the same
    result, instead of from every incident at `res` (a second nationally)."""
    if not wards and res in RESOLUTIONS:
        view = rollup_view(engine, res, budget, start, end, categories)
        if view is not None:
            return view
    counts = hex_counts(engine, res, start, end, categories, wards)
    drawn = fitting_resolution(counts["h3"].to_numpy(), res, budget)
    return HexView(res, drawn, coarsen_counts(counts, drawn))


@cached
def rollup_view(
    engine: Engine,
    res: int,
    budget: int,
    start: date | None,
    end: date | None,
    categories: tuple[str, ...],
) -> HexView | None:
    """The view at resolution 6 or coarser when the monthly map rollup proves the
    finer ones, from `res` (7, 8 or 9) down to 7, over the budget; None when it cannot
    (the caller counts the incidents). Every ward, the incidents without one too."""
    pieces = split_span(start, end)
    ranges, whole, params = _month_ranges(pieces)
    if not ranges:
        return None
    if categories:
        kind = "category = ANY(:categories)"
        params["categories"] = list(categories)
    else:
        kind = "category IS NULL"
    inside = " OR ".join(f"({w})" for w in whole) or "FALSE"
    floors = ", ".join(
        f"coalesce(max(cells_{r}) FILTER (WHERE {inside}), 0) AS cells_{r}"
        for r in range(7, res + 1)
    )
    sql = text(
        f"SELECT h3_6 AS h3, sum(n)::bigint AS count, {floors} FROM {MAP_ROLLUP} "
        f"WHERE {kind} AND ({' OR '.join(f'({r})' for r in ranges)}) GROUP BY h3_6"
    )
    with engine.connect() as conn:
        cells = pd.read_sql(sql, conn, params=params)
        # A cell's busiest whole month is a floor for its range: summed over the
        # resolution-6 cells, floors over the budget prove the resolution too fine.
        if any(cells[f"cells_{r}"].sum() <= budget for r in range(7, res + 1)):
            return None
        edges = _edge_counts(conn, pieces, categories)
    edges = edges.astype({"h3": "int64", "count": "int64"})
    counts = pd.concat([cells.astype({"h3": "int64", "count": "int64"}), edges])
    counts = counts[["h3", "count"]]
    counts = counts.groupby("h3", sort=True, as_index=False)["count"].sum()
    counts = counts[counts["count"] != 0].reset_index(drop=True)
    drawn = fitting_resolution(counts["h3"].to_numpy(), 6, budget)
    return HexView(res, drawn, coarsen_counts(counts, drawn))


def _month_ranges(pieces) -> tuple[list[str], list[str], dict]:
    """Conditions on a rollup's `month` for each range of months split_span reads,
    those of months wholly inside the span, and their parameters."""
    bound = Bound("month")
    ranges, whole = [], []
    for low, high, label in pieces.months:
        ranges.append(bound.within("month", low, high))
        if label is None:  # months wholly inside the range: their cells are the range's
            whole.append(ranges[-1])
    return ranges, whole, bound.params


def _edge_counts(conn, pieces, categories: tuple[str, ...]) -> pd.DataFrame:
    """Incidents per resolution-6 cell on the days split_span adds (+) to or takes (-)
    from the rollup's months."""
    sql, params = _edge_sql(pieces, categories, (), f"{cell_sql(6)} AS h3", "h3_7 IS NOT NULL")
    if sql is None:
        # int64, not the float64 of an empty column: a concat would round the cells.
        return pd.DataFrame({"h3": pd.Series([], dtype="int64"), "count": 0})
    return pd.read_sql(text(sql), conn, params=params)


def _edge_sql(pieces, categories, wards, keys: str, where: str, sums: tuple = ("count",)):
    """SELECT `keys`, signed counts over the days split_span adds to or takes from
    the rollup's months (None when there are none): `sums` name count(*) and then
    count(geom)."""
    days = [(low, high, 1) for low, high in pieces.plus]
    days += [(low, high, -1) for low, high, _ in pieces.minus]
    if not days:
        return None, {}
    bound = Bound("edge")
    signs, spans = [], []
    for low, high, sign in days:
        span = f"({bound.within('occurred_from', low, high)})"
        signs.append(f"WHEN {span} THEN {sign}")
        spans.append(span)
    kinds, kind_params = _category_ward(categories, wards)
    where = " AND ".join([where, *kinds])
    params = bound.params | kind_params
    sign = f"CASE {' '.join(signs)} END"
    counted = [f"sum({sign}) AS {sums[0]}"]
    if len(sums) > 1:
        counted.append(f"sum(CASE WHEN geom IS NULL THEN 0 ELSE {sign} END) AS {sums[1]}")
    group = ", ".join(str(i + 1) for i in range(keys.count(" AS ")))
    sql = (
        f"SELECT {keys}, {', '.join(counted)} FROM incidents "
        f"WHERE {where} AND ({' OR '.join(spans)}) GROUP BY {group}"
    )
    return sql, params


@cached
def category_ward_counts(
    engine: Engine,
    start: date | None,
    end: date | None,
    categories: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Incidents per category and ward (ward_code None for none): category,
    ward_code, count, placed (with a map position). The one read behind
    headline_numbers and category_counts: the range's whole months from the monthly
    rollup (geodata.map_rollup), its edge days from the incidents."""
    pieces = split_span(start, end)
    ranges, _, params = _month_ranges(pieces)
    filters, kind_params = _category_ward(categories, wards)
    params |= kind_params
    within = " OR ".join(f"({r})" for r in ranges) or "FALSE"
    sql = text(
        "SELECT category, ward_code, sum(n)::bigint AS count, sum(placed)::bigint AS placed "
        f"FROM {WARDS_ROLLUP} WHERE ({within}) {''.join(f' AND {f}' for f in filters)} "
        "GROUP BY category, ward_code"
    )
    edges, edge_params = _edge_sql(
        pieces,
        categories,
        wards,
        "category AS category, ward_code AS ward_code",
        "TRUE",
        ("count", "placed"),
    )
    with engine.connect() as conn:
        frame = pd.read_sql(sql, conn, params=params)
        if edges is not None:
            frame = pd.concat([frame, pd.read_sql(text(edges), conn, params=edge_params)])
    keys = ["category", "ward_code"]
    frame = frame.groupby(keys, dropna=False, as_index=False)[["count", "placed"]].sum()
    frame = frame[frame["count"] != 0].reset_index(drop=True)
    frame["ward_code"] = frame["ward_code"].astype(object).where(frame["ward_code"].notna(), None)
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
