"""A station area drawn on the patrol planner's map (issue #6): the clicked corners
checked and turned into a GeoJSON polygon, and the polygon checked when it comes
back from the browser or the database. Pure: no database, no dash.

Mistakes are told in words (`ObservatoryError`), never as a traceback: a commander
clicks corners on a map, and a crossed edge or a third click missed is ordinary.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import shapely
from shapely.geometry import Polygon

from geodata.errors import ObservatoryError

MIN_CORNERS = 3
DECIMALS = 7  # about a centimetre: as the actions page stores drawn places
AREA_TYPES = ("Polygon", "MultiPolygon")
MIN_AREA_DEG2 = 1e-8  # about 120 m² at the equator: smaller is a slip, not an area


def _corners(vertices: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """(lon, lat) pairs, rounded, without repeats: a double click is one corner, and
    a last click back on the first corner only closes the ring."""
    corners: list[tuple[float, float]] = []
    for vertex in vertices or ():
        try:
            lon, lat = (round(float(v), DECIMALS) for v in list(vertex)[:2])
        except (TypeError, ValueError) as exc:
            raise ObservatoryError("A corner of the drawn area is not a place on the map.") from exc
        if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
            raise ObservatoryError("A corner of the drawn area is not a place on the map.")
        if not corners or corners[-1] != (lon, lat):
            corners.append((lon, lat))
    if len(corners) > 1 and corners[0] == corners[-1]:
        corners.pop()
    return corners


def polygon_from_vertices(vertices: Sequence[Sequence[float]]) -> dict:
    """The drawn corners ([[lon, lat], ...] in click order) as a GeoJSON Polygon
    geometry, refusing fewer than three corners, corners on one line and edges that
    cross each other."""
    corners = _corners(vertices)
    if len(corners) < MIN_CORNERS:
        n = len(corners)
        raise ObservatoryError(
            f"The drawn area has {n} corner{'' if n == 1 else 's'}: click at least "
            f"{MIN_CORNERS} corners on the map, then Finish."
        )
    ring = Polygon(corners)
    if ring.convex_hull.area < MIN_AREA_DEG2:
        raise ObservatoryError(
            "The drawn corners lie on one line and enclose almost nothing: click Clear "
            "and draw around the area."
        )
    if not ring.is_valid:
        raise ObservatoryError(
            "The drawn area's edges cross each other: click Clear and click the corners "
            "in order around the area (clockwise or anticlockwise)."
        )
    return {"type": "Polygon", "coordinates": [[*map(list, corners), list(corners[0])]]}


def area_shape(area: str | dict) -> shapely.Geometry:
    """A stored or sent area (GeoJSON geometry, as text or a dict) as a shapely
    polygon or multipolygon; refuses anything else in words."""
    try:
        text = area if isinstance(area, str) else json.dumps(area)
        shape = shapely.from_geojson(text)
    except (TypeError, ValueError, shapely.errors.GEOSException) as exc:
        raise ObservatoryError("The drawn area is not a polygon: clear it and draw again.") from exc
    if shape.geom_type not in AREA_TYPES or shape.is_empty:
        raise ObservatoryError("The drawn area is not a polygon: clear it and draw again.")
    return shape


def area_geojson(area: str | dict | None) -> dict | None:
    """The area as a GeoJSON geometry dict (for maps), or None."""
    if not area:
        return None
    return json.loads(area) if isinstance(area, str) else dict(area)


def covers(area: str | dict, lat: float, lon: float) -> bool:
    """True when (lat, lon) lies inside the area or on its edge."""
    return bool(area_shape(area).covers(shapely.Point(lon, lat)))


NUDGE_DEG = 0.0003  # about 30 m: how far past the edge a point may be pulled in


def pull_inside(shape: shapely.Geometry, lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) as is when inside `shape`; else a spot just inside it, near the
    original. A patrol point is the middle of its hexagons, and a hexagon on the
    edge of a drawn area can have its middle outside it: officers are sent inside."""
    point = shapely.Point(lon, lat)
    if shape.contains(point):
        return lat, lon
    reach = shape.distance(point) + NUDGE_DEG
    spot = shape.intersection(point.buffer(reach)).representative_point()
    return float(spot.y), float(spot.x)
