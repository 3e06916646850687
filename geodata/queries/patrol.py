"""Reads behind the patrol planner (issue #6): station areas, the incidents a plan is
made from and scored on, the H3 cells of an area, nearest landmarks, saved plans.

Incidents are counted once per event (a linked group's best-placed record stands
for it) and only with a map position (an H3 resolution-9 cell). No victim detail is
ever selected: the planner is for commanders and shows places and times only.

`ward_scope` arguments follow `dashboard.auth.ward_scope()`: None is every ward
(team), a tuple the wards a commander's station covers. Results are cached per data
version (see geodata.cache): treat them as read-only.
"""

from __future__ import annotations

import json
from datetime import datetime

import h3
import pandas as pd
import shapely
from sqlalchemy import Engine, text

from geodata.cache import cached
from geodata.errors import ObservatoryError
from geodata.h3grid import FINEST

STATION_TYPES: tuple[str, ...] = ("police_station", "ap_post")
# A ward with fewer of a station's incidents is a stray record, not its area.
STATION_MIN_SHARE = 0.01

# Each ward belongs to the station (of each type) that records most incidents there:
# a location text matched to a same-named place beyond a station's area, or a victim
# who walked to a farther station, then never widens that station's area. Counts
# come from agency_ward_counts (kept by triggers on incidents): counting a million
# incidents here took 0.7 s on every first planner page after a load.
_STATIONS = text(
    """
    WITH per_ward AS (
        SELECT a.id, a.name, a.agency_type, c.ward_code, c.n
        FROM agencies a JOIN agency_ward_counts c ON c.agency_id = a.id
        WHERE a.agency_type = ANY(:types) AND c.ward_code IS NOT NULL AND c.n > 0
    ), ranked AS (
        SELECT *, n::float / sum(n) OVER (PARTITION BY id) AS share,
               row_number() OVER (PARTITION BY agency_type, ward_code ORDER BY n DESC, id) AS r
        FROM per_ward
    )
    SELECT id AS agency_id, name, agency_type, sum(n)::bigint AS incidents,
           array_agg(ward_code ORDER BY ward_code)
               FILTER (WHERE r = 1 AND share >= :min_share) AS wards
    FROM ranked GROUP BY id, name, agency_type
    ORDER BY sum(n) DESC, name
    """
)


@cached
def station_areas(engine: Engine, min_share: float = STATION_MIN_SHARE) -> pd.DataFrame:
    """Police stations and AP posts with their areas: the wards where they record more
    incidents than any other station of their type, each holding at least
    `min_share` of their incidents. Columns agency_id, name, agency_type, incidents
    (with a ward), ward_codes (tuple); busiest first."""
    with engine.connect() as conn:
        frame = pd.read_sql(
            _STATIONS, conn, params={"types": list(STATION_TYPES), "min_share": min_share}
        )
    frame["ward_codes"] = [tuple(w or ()) for w in frame.pop("wards")]
    return frame


def _area_clause(ward_codes: tuple[str, ...], area: str | None, column: str) -> tuple[str, dict]:
    clauses, params = [f"{column} IS NOT NULL"], {}
    if ward_codes:
        clauses.append("ward_code = ANY(:wards)")
        params["wards"] = list(ward_codes)
    if area:
        clauses.append("ST_Intersects(geom, ST_SetSRID(ST_GeomFromGeoJSON(:area), 4326))")
        params["area"] = area
    return " AND ".join(clauses), params


# One row per event: a linked group's best-placed record stands for it.
_EVENTS = """
SELECT DISTINCT ON (COALESCE(event_group_id, -id))
       h3_9 AS cell, occurred_from, occurred_to, time_known, category
FROM incidents WHERE {where}
ORDER BY COALESCE(event_group_id, -id), geocode_confidence DESC NULLS LAST, id
"""


@cached
def planner_incidents(
    engine: Engine,
    start: datetime,
    end: datetime,
    ward_codes: tuple[str, ...],
    area: str | None = None,
    categories: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Placed events starting in [start, end) in `ward_codes` (and inside the GeoJSON
    polygon `area` when given), of `categories` (empty: all): cell (int64, H3 res 9),
    occurred_from, occurred_to (NaT when none), time_known, category; by time."""
    where, params = _area_clause(ward_codes, area, "h3_9")
    where += " AND occurred_from >= :start AND occurred_from < :end"
    params.update(start=start, end=end)
    if categories:
        where += " AND category = ANY(:categories)"
        params["categories"] = list(categories)
    with engine.connect() as conn:
        frame = pd.read_sql(text(_EVENTS.format(where=where)), conn, params=params)
    frame = frame.astype({"cell": "int64", "time_known": "bool"})
    for column in ("occurred_from", "occurred_to"):
        frame[column] = pd.to_datetime(frame[column])
    return frame.sort_values(["occurred_from", "cell"], kind="mergesort").reset_index(drop=True)


_AREA_SHAPE = text(
    """
    SELECT ST_AsGeoJSON(CASE WHEN CAST(:area AS text) IS NULL THEN u.geom
        ELSE ST_Intersection(u.geom, ST_SetSRID(ST_GeomFromGeoJSON(CAST(:area AS text)), 4326))
        END)
    FROM (SELECT ST_Union(geom) AS geom FROM wards WHERE code = ANY(:wards)) u
    """
)


@cached
def area_cells(
    engine: Engine, ward_codes: tuple[str, ...], area: str | None = None, res: int = FINEST
) -> tuple[int, ...]:
    """H3 cells overlapping the study area (the wards, cut to `area` when given),
    sorted: every placed incident of the area lies in one, so PAI area shares are
    shares of this set."""
    with engine.connect() as conn:
        shape = conn.execute(_AREA_SHAPE, {"wards": list(ward_codes), "area": area}).scalar()
    if not shape:
        return ()
    geometry = shapely.from_geojson(shape)
    if geometry.is_empty:
        return ()
    cells = h3.h3shape_to_cells_experimental(h3.geo_to_h3shape(geometry), res, "overlap")
    return tuple(sorted(h3.str_to_int(c) if isinstance(c, str) else int(c) for c in cells))


# A drawn area meets a ward only where their insides overlap: a corner clicked on
# a ward's edge does not bring the neighbouring ward into the plan.
_DRAWN_WARDS = text(
    """
    SELECT w.code, w.name
    FROM wards w, (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:area), 4326) AS g) d
    WHERE ST_Intersects(w.geom, d.g) AND NOT ST_Touches(w.geom, d.g)
    ORDER BY w.code
    """
)


@cached
def drawn_area_wards(engine: Engine, area: str) -> pd.DataFrame:
    """Wards whose inside overlaps the drawn GeoJSON polygon `area`: code, name."""
    with engine.connect() as conn:
        return pd.read_sql(_DRAWN_WARDS, conn, params={"area": area})


# The drawn area cut to the wards; polygons only (a cut along a ward's edge can
# leave lines and points behind).
_CLIPPED = text(
    """
    SELECT ST_AsGeoJSON(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Intersection(
        ST_SetSRID(ST_GeomFromGeoJSON(:area), 4326), u.geom)), 3)), 7)
    FROM (SELECT ST_Union(geom) AS geom FROM wards WHERE code = ANY(:wards)) u
    """
)
_HAS_EVENTS = text(
    """
    SELECT EXISTS (SELECT 1 FROM incidents WHERE h3_9 IS NOT NULL AND ward_code = ANY(:wards)
        AND ST_Intersects(geom, ST_SetSRID(ST_GeomFromGeoJSON(:area), 4326)))
    """
)


@cached
def clipped_area(engine: Engine, area: str, ward_codes: tuple[str, ...]) -> str | None:
    """The part of the drawn GeoJSON polygon `area` inside `ward_codes`, as GeoJSON
    MultiPolygon text, or None when nothing of it is inside them."""
    with engine.connect() as conn:
        clipped = conn.execute(_CLIPPED, {"area": area, "wards": list(ward_codes)}).scalar()
    if not clipped or not json.loads(clipped).get("coordinates"):
        return None
    return clipped


@cached
def area_has_incidents(engine: Engine, area: str, ward_codes: tuple[str, ...]) -> bool:
    """True when any placed incident (any time, any category) lies inside `area` and
    `ward_codes`."""
    with engine.connect() as conn:
        return bool(conn.execute(_HAS_EVENTS, {"area": area, "wards": list(ward_codes)}).scalar())


_OUTLINES = text(
    """
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
        json_build_object('type', 'Feature', 'id', code,
            'properties', json_build_object('name', name),
            'geometry', ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(geom, 0.0001)), 5)::json
        ) ORDER BY code), '[]'::json))
    FROM wards WHERE code = ANY(:wards)
    """
)


@cached
def ward_outlines(engine: Engine, ward_codes: tuple[str, ...]) -> dict:
    """The chosen wards as a FeatureCollection (id = code, property name)."""
    with engine.connect() as conn:
        return conn.execute(_OUTLINES, {"wards": list(ward_codes)}).scalar_one()


_NEAREST = text(
    """
    SELECT q.idx, n.name, n.kind, n.metres
    FROM unnest(CAST(:lats AS float8[]), CAST(:lons AS float8[])) WITH ORDINALITY
         AS q(lat, lon, idx)
    LEFT JOIN LATERAL (
        SELECT p.name, p.kind,
               ST_Distance(p.geom::geography,
                           ST_SetSRID(ST_MakePoint(q.lon, q.lat), 4326)::geography) AS metres
        FROM places p
        ORDER BY p.geom <-> ST_SetSRID(ST_MakePoint(q.lon, q.lat), 4326)
        LIMIT 1
    ) n ON TRUE
    ORDER BY q.idx
    """
)


@cached
def nearest_landmarks(
    engine: Engine, lats: tuple[float, ...], lons: tuple[float, ...]
) -> pd.DataFrame:
    """The gazetteer place nearest each point (KNN on the GiST index): name, kind,
    metres, one row per point in order; name None when the gazetteer is empty."""
    if not lats:
        return pd.DataFrame({"name": [], "kind": [], "metres": []})
    with engine.connect() as conn:
        frame = pd.read_sql(_NEAREST, conn, params={"lats": list(lats), "lons": list(lons)})
    frame = frame.astype({"name": "object", "kind": "object", "metres": "float64"})
    return frame[["name", "kind", "metres"]].reset_index(drop=True)


_PLAN_COLUMNS = """
    p.id, p.name, p.created_by, p.created_at, p.station, p.ward_codes, p.start_hour,
    p.end_hour, p.days, p.categories, p.n_points, p.officer_hours, p.as_of, p.shift_start,
    p.shift_end, p.parameters, ST_AsGeoJSON(p.area, 7) AS area
"""
_IN_SCOPE = "(CAST(:scope AS text[]) IS NULL OR p.ward_codes <@ CAST(:scope AS text[]))"


def _scope(ward_scope: tuple[str, ...] | None) -> list[str] | None:
    return None if ward_scope is None else list(ward_scope)


@cached
def saved_plans(engine: Engine, ward_scope: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Saved plans the viewer may open (all of them for the team; for a commander,
    those wholly inside their station's wards), newest first: the plan columns, with
    ward_codes, days and categories as tuples and area as GeoJSON text or None."""
    sql = text(f"SELECT {_PLAN_COLUMNS} FROM patrol_plans p WHERE {_IN_SCOPE} ORDER BY p.id DESC")
    with engine.connect() as conn:
        frame = pd.read_sql(sql, conn, params={"scope": _scope(ward_scope)})
    for column in ("ward_codes", "days", "categories"):
        frame[column] = [tuple(v or ()) for v in frame[column]]
    return frame


@cached
def saved_plan(engine: Engine, plan_id: int, ward_scope: tuple[str, ...] | None = None) -> dict:
    """One saved plan the viewer may open: {"plan": its row as a dict (parameters a
    dict), "points": point, cells (tuple of int), lat, lon, score, peak_hours,
    landmark, landmark_m, activity; "schedule": point, start, end, officer}."""
    params = {"id": int(plan_id), "scope": _scope(ward_scope)}
    with engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    f"SELECT {_PLAN_COLUMNS} FROM patrol_plans p WHERE p.id = :id AND {_IN_SCOPE}"
                ),
                params,
            )
            .mappings()
            .one_or_none()
        )
        if row is None:
            raise ObservatoryError(f"There is no saved plan {plan_id} you may open.")
        points = pd.read_sql(
            text(
                "SELECT point, cells, lat, lon, score, peak_hours, landmark, landmark_m, "
                "activity FROM patrol_plan_points WHERE plan_id = :id ORDER BY point"
            ),
            conn,
            params=params,
        )
        schedule = pd.read_sql(
            text(
                "SELECT point, starts_at AS start, ends_at AS end, officer "
                "FROM patrol_plan_visits WHERE plan_id = :id ORDER BY starts_at, officer, id"
            ),
            conn,
            params=params,
        )
    plan = dict(row)
    for key in ("ward_codes", "days", "categories"):
        plan[key] = tuple(plan[key] or ())
    if isinstance(plan["parameters"], str):
        plan["parameters"] = json.loads(plan["parameters"])
    points["cells"] = [tuple(int(c) for c in cells) for cells in points["cells"]]
    points["peak_hours"] = [tuple(int(h) for h in hours) for hours in points["peak_hours"]]
    return {"plan": plan, "points": points, "schedule": schedule}
