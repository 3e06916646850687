"""The incident map: H3 hexagons coloured by count over ward outlines, drawn with
MapLibre and no remote tiles, fonts or topojson (the `white-bg` style is a plain
background; outlines are a GeoJSON line layer, never a symbol layer, so no glyphs
are fetched).

Pure builders: frames and GeoJSON in, figures or plain lists out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import h3
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import theme
from geodata.errors import ObservatoryError
from geodata.h3grid import to_hex

TILE_SIZE = 512  # MapLibre's tile size in CSS pixels at zoom 0
KENYA_BOUNDS = (33.9, -4.7, 41.9, 5.0)  # west, south, east, north
COORD_DECIMALS = 5  # about a metre: finer only adds bytes to every response
MAP_STYLES = {"none": "white-bg", "osm": "open-street-map"}
COLOURBAR_TITLE = "Incidents per hexagon"

Bounds = tuple[float, float, float, float]


def map_style_for(tiles: str | None) -> str:
    """The MapLibre style for the OBSERVATORY_TILES setting (`none` or `osm`)."""
    key = (tiles or "none").strip().lower()
    if key not in MAP_STYLES:
        raise ObservatoryError(
            f"OBSERVATORY_TILES is {tiles!r}; set it to `none` (offline, the default) or `osm`."
        )
    return MAP_STYLES[key]


def round_coordinates(geojson: dict, decimals: int = COORD_DECIMALS) -> dict:
    """A copy of a GeoJSON object with every coordinate rounded."""

    def _round(value):
        if isinstance(value, float):
            return round(value, decimals)
        if isinstance(value, list | tuple):
            return [_round(v) for v in value]
        return value

    def _walk(obj):
        if isinstance(obj, dict):
            return {k: (_round(v) if k == "coordinates" else _walk(v)) for k, v in obj.items()}
        if isinstance(obj, list):
            return [_walk(v) for v in obj]
        return obj

    return _walk(geojson)


def hex_geojson(cells: Iterable[int]) -> dict:
    """Cell polygons, each feature's id its hex string, coordinates rounded to keep
    responses small (built directly: a national map has tens of thousands)."""
    features = []
    for cell in cells:
        hex_id = to_hex(cell)
        boundary = np.round(np.asarray(h3.cell_to_boundary(hex_id))[:, ::-1], COORD_DECIMALS)
        ring = boundary.tolist()
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "id": hex_id,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _positions(coords) -> Iterable[tuple[float, float]]:
    if coords and isinstance(coords[0], int | float):
        yield float(coords[0]), float(coords[1])
        return
    for part in coords:
        yield from _positions(part)


def geojson_bounds(geojson: dict | None) -> Bounds | None:
    """(west, south, east, north) of every coordinate in a FeatureCollection, or None."""
    if not geojson:
        return None
    lons, lats = [], []
    for feature in geojson.get("features", []):
        geometry = feature.get("geometry") or {}
        for lon, lat in _positions(geometry.get("coordinates") or []):
            lons.append(lon)
            lats.append(lat)
    if not lons:
        return None
    return min(lons), min(lats), max(lons), max(lats)


def hex_bounds(hexes: dict) -> Bounds | None:
    """Bounds of hexagon polygons, vectorised (every ring has 7 positions except the
    twelve pentagons, which none of Kenya's cells are)."""
    rings = [f["geometry"]["coordinates"][0] for f in hexes["features"]]
    if not rings:
        return None
    if any(len(r) != len(rings[0]) for r in rings):
        return geojson_bounds(hexes)
    coords = np.asarray(rings, dtype=float).reshape(-1, 2)
    (west, south), (east, north) = coords.min(axis=0), coords.max(axis=0)
    return float(west), float(south), float(east), float(north)


def _mercator_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def view_for_bounds(
    bounds: Bounds, width_px: int = 900, height_px: int = 600, padding: float = 0.1
) -> tuple[dict, float]:
    """Centre ({"lat", "lon"}) and zoom that fit `bounds` in a map of the given size,
    leaving `padding` (a share of each side) free."""
    west, south, east, north = bounds
    y_south, y_north = _mercator_y(south), _mercator_y(north)
    centre_lat = math.degrees(2 * math.atan(math.exp((y_south + y_north) / 2)) - math.pi / 2)
    centre = {"lat": centre_lat, "lon": (west + east) / 2}
    usable_w = width_px * (1 - 2 * padding)
    usable_h = height_px * (1 - 2 * padding)
    lon_span = max(east - west, 1e-6)
    y_span = max(y_north - y_south, 1e-8)
    zoom_w = math.log2(usable_w * 360 / (TILE_SIZE * lon_span))
    zoom_h = math.log2(usable_h * 2 * math.pi / (TILE_SIZE * y_span))
    return centre, max(0.0, min(zoom_w, zoom_h, 16.0))


def hex_z(sent_cells: Sequence[int], counts: pd.DataFrame) -> list[int | None]:
    """Counts aligned to the cells already drawn; None hides a cell with no incident.

    Lets a filter change send only new colours, never the hexagon geometry again.
    """
    by_cell = dict(zip(counts["h3"].tolist(), counts["count"].tolist(), strict=True))
    return [by_cell.get(int(cell)) for cell in sent_cells]


def colour_max(counts: pd.DataFrame) -> int:
    """Top of the colour scale (the scale starts at zero so colours compare honestly)."""
    return max(int(counts["count"].max()), 1) if len(counts) else 1


def ward_layer(wards: dict) -> dict:
    """Ward outlines as a MapLibre line layer drawn above the hexagons."""
    return {
        "sourcetype": "geojson",
        "source": wards,
        "type": "line",
        "color": theme.WARD_OUTLINE_COLOUR,
        "line": {"width": theme.WARD_OUTLINE_WIDTH},
    }


def incident_map(
    counts: pd.DataFrame,
    wards: dict | None = None,
    *,
    style: str = "white-bg",
    height_px: int = 600,
) -> go.Figure:
    """Hexagons coloured by incident count (columns h3, count) over ward outlines.

    The view fits the hexagons, or the wards when there are none, or Kenya.
    """
    cells = counts["h3"].to_numpy(dtype=np.int64)
    hexes = hex_geojson(cells)
    trace = go.Choroplethmap(
        locations=[to_hex(c) for c in cells],
        z=counts["count"].to_numpy(dtype=np.int64),
        colorscale=theme.SEQUENTIAL,
        zmin=0,
        zmax=colour_max(counts),
        marker={"opacity": 0.85, "line": {"width": 0.5, "color": theme.HEX_EDGE_COLOUR}},
        colorbar={
            "title": {"text": COLOURBAR_TITLE, "side": "right"},
            "thickness": 18,
            "len": 0.8,
            "tickformat": ",d",
        },
        hovertemplate="%{z:,} incidents<extra></extra>",
        name="incidents",
    )
    has_wards = bool(wards and wards.get("features"))
    bounds = hex_bounds(hexes) or (geojson_bounds(wards) if has_wards else None)
    centre, zoom = view_for_bounds(bounds or KENYA_BOUNDS, height_px=height_px)
    fig = go.Figure(trace)
    # Set after building: go.Figure deep-copies the traces it is given, which costs
    # seconds for a national map's tens of thousands of hexagons.
    fig.data[0].geojson = hexes
    theme.apply(fig)
    fig.update_layout(
        map={
            "style": style,
            "center": centre,
            "zoom": zoom,
            "layers": [ward_layer(wards)] if has_wards else [],
        },
        # Keeps the viewer's pan and zoom when new data arrives.
        uirevision="incident-map",
    )
    return fig
