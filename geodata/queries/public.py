"""Reads behind the public app: aggregates only, never a row of the incidents table.

Every count is of events (records of several agencies linked into one event group
count once; the best-placed record stands for the event), over whole calendar months
(the finest time the public app shows; `start`/`end` are the first days of the first
and last month). Every function returns counts already suppressed by
`geodata.stats.suppression`: the dashboard never sees a number it may not publish.

Sensitive categories (`geodata.categories.SENSITIVE`) appear only in
`sensitive_ward_quarters`, by ward x quarter; an event any of whose linked records is
sensitive is left out of the map and the clock entirely, so a rescue centre's case
never reaches a hexagon through the police record linked to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import shapely
from sqlalchemy import Engine, text

from geodata.cache import cached
from geodata.categories import CATEGORIES, SENSITIVE
from geodata.stats import suppression
from geodata.stats.suppression import DisplayUnit

PUBLIC_CATEGORIES: tuple[str, ...] = tuple(c for c in CATEGORIES if c not in SENSITIVE)
SENSITIVE_CATEGORIES: tuple[str, ...] = tuple(c for c in CATEGORIES if c in SENSITIVE)

# One row per event among records of the chosen categories in [start, end), leaving
# out any event that has a sensitive record.
_EVENTS = """
SELECT DISTINCT ON (COALESCE(i.event_group_id, -i.id))
       i.h3_8, i.h3_7, i.ward_code, i.occurred_from, i.time_known, i.occurred_to
FROM incidents i
WHERE i.occurred_from >= :start AND i.occurred_from < :end
  AND i.category = ANY(:categories)
  AND NOT (i.category = ANY(:sensitive))
  AND (i.event_group_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM incidents s
        WHERE s.event_group_id = i.event_group_id AND s.category = ANY(:sensitive)))
ORDER BY COALESCE(i.event_group_id, -i.id), i.geocode_confidence DESC NULLS LAST, i.id
"""


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def _check_categories(categories: tuple[str, ...]) -> tuple[str, ...]:
    """The categories to count: () means every public one; a sensitive one is a bug."""
    if any(c in SENSITIVE for c in categories):
        raise ValueError("sensitive categories are shown by ward x quarter only")
    unknown = set(categories) - set(PUBLIC_CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}")
    return categories or PUBLIC_CATEGORIES


def _event_params(start: date, end: date, categories: tuple[str, ...]) -> dict:
    return {
        "start": month_start(start),
        "end": next_month(end),
        "categories": list(_check_categories(categories)),
        "sensitive": sorted(SENSITIVE),
    }


@cached
def month_bounds(engine: Engine) -> tuple[date | None, date | None]:
    """First days of the first and last month with an incident; (None, None) if none."""
    sql = text("SELECT min(occurred_from)::date, max(occurred_from)::date FROM incidents")
    with engine.connect() as conn:
        first, last = conn.execute(sql).one()
    if first is None:
        return None, None
    return month_start(first), month_start(last)


@cached
def map_units(
    engine: Engine,
    start: date,
    end: date,
    categories: tuple[str, ...] = (),
    threshold: int = suppression.DEFAULT_THRESHOLD,
) -> tuple[DisplayUnit, ...]:
    """The public map's display units for the months `start`..`end` (adaptive H3
    suppression: resolution 8, then 7, then the ward, else "fewer than N")."""
    # 0, not NULL, for "no cell": a NULL would turn the column into floats, which
    # cannot hold a 64-bit H3 index exactly.
    sql = text(
        "SELECT COALESCE(h3_8, 0) AS h3_8, COALESCE(h3_7, 0) AS h3_7, ward_code, "
        f"count(*) AS count FROM ({_EVENTS}) e GROUP BY 1, 2, 3"
    )
    with engine.connect() as conn:
        rows = pd.read_sql(sql, conn, params=_event_params(start, end, categories))
    if rows.empty:
        return ()
    return tuple(suppression.adaptive_units(rows, threshold))


@dataclass(frozen=True)
class HourShares:
    """The public crime clock: `total` events with a known hour, and each hour's share
    of them in per cent (None when `total` is too small to show hours at all)."""

    total: int
    shares: tuple[float, ...] | None


@cached
def hour_shares(
    engine: Engine,
    start: date,
    end: date,
    categories: tuple[str, ...] = (),
    threshold: int = suppression.DEFAULT_THRESHOLD,
) -> HourShares:
    """Events with an exact time (known, and within one hour) by hour of day, as
    shares; the hours are withheld below `suppression.CLOCK_MIN_TOTAL` events."""
    sql = text(
        "SELECT extract(hour FROM occurred_from)::int AS hour, count(*) AS count "
        f"FROM ({_EVENTS}) e WHERE time_known AND (occurred_to IS NULL OR "
        "occurred_to - occurred_from <= interval '1 hour') GROUP BY 1 ORDER BY 1"
    )
    with engine.connect() as conn:
        rows = pd.read_sql(sql, conn, params=_event_params(start, end, categories))
    counts = [0] * 24
    for hour, count in zip(rows["hour"], rows["count"], strict=True):
        counts[int(hour)] = int(count)
    total = sum(counts)
    if total < max(suppression.CLOCK_MIN_TOTAL, threshold):
        return HourShares(total, None)
    return HourShares(total, tuple(round(100.0 * c / total, 1) for c in counts))


@cached
def sensitive_quarters(engine: Engine) -> tuple[str, ...]:
    """Quarters ('2024-Q1') that have any incident, oldest first."""
    sql = text(
        "SELECT DISTINCT extract(year FROM occurred_from)::int AS y, "
        "extract(quarter FROM occurred_from)::int AS q FROM incidents ORDER BY 1, 2"
    )
    with engine.connect() as conn:
        return tuple(f"{y}-Q{q}" for y, q in conn.execute(sql).all())


@cached
def sensitive_ward_quarters(
    engine: Engine,
    category: str,
    threshold: int = suppression.DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Events of one sensitive category per ward x quarter, only where there are at
    least `threshold`: columns ward_code, quarter ('2024-Q1'), category, count."""
    if category not in SENSITIVE:
        raise ValueError(f"{category!r} is not a sensitive category")
    sql = text(
        "SELECT ward_code, quarter, :category AS category, count(*) AS count FROM ("
        "  SELECT DISTINCT ON (COALESCE(event_group_id, -id)) ward_code,"
        "    extract(year FROM occurred_from)::int || '-Q' ||"
        "    extract(quarter FROM occurred_from)::int AS quarter"
        "  FROM incidents WHERE category = :category AND ward_code IS NOT NULL"
        "  ORDER BY COALESCE(event_group_id, -id), geocode_confidence DESC NULLS LAST, id"
        ") e GROUP BY ward_code, quarter"
    )
    with engine.connect() as conn:
        rows = pd.read_sql(sql, conn, params={"category": category})
    return suppression.sensitive_by_ward_quarter(rows, threshold)


@cached
def ward_shapes(engine: Engine, tolerance: float = 0.0005) -> pd.DataFrame:
    """Wards to draw under the public maps: those within the extent of the wards that
    have any incident (every ward when none has), simplified by `tolerance` degrees.
    Columns code, name, geometry (shapely), ordered by code. Ward boundaries are
    published data: drawing them reveals nothing about the incidents."""
    sql = text(
        "WITH active AS (SELECT ST_Extent(w.geom) AS box FROM wards w WHERE EXISTS "
        "  (SELECT 1 FROM incidents i WHERE i.ward_code = w.code)) "
        "SELECT code, name, ST_AsBinary(ST_SimplifyPreserveTopology(geom, :tol)) AS wkb "
        "FROM wards, active WHERE active.box IS NULL OR geom && active.box ORDER BY code"
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"tol": float(tolerance)}).all()
    return pd.DataFrame(
        {
            "code": [r.code for r in rows],
            "name": [r.name for r in rows],
            "geometry": [shapely.from_wkb(bytes(r.wkb)) for r in rows],
        }
    )
