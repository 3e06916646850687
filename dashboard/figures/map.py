"""The incident map: H3 hexagons coloured by count over ward outlines, drawn with
MapLibre and no remote tiles, fonts or topojson (the `white-bg` style is a plain
background; outlines are a GeoJSON line layer, never a symbol layer, so no glyphs
are fetched).

Pure builders: frames and GeoJSON in, figures or plain lists out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import h3
import numpy as np
import orjson
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import theme
from geodata.errors import ObservatoryError
from geodata.h3grid import cell_ring_array, cell_rings, resolution_of

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


def hex_geojson(cells: Iterable[int], decimals: int = COORD_DECIMALS) -> dict:
    """Cell polygons, each feature's id its hex string, coordinates rounded to keep
    responses small. Vectorised (geodata.h3grid.cell_rings): a national map has
    thousands of hexagons and is built on the request's clock."""
    cells = np.asarray(list(cells) if not isinstance(cells, np.ndarray) else cells, np.int64)
    rings = cell_rings(cells.tolist(), decimals)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": hex_id,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            for hex_id, ring in zip(hex_ids(cells), rings, strict=True)
        ],
    }


def hex_ids(cells: Iterable[int] | np.ndarray) -> list[str]:
    """Hex strings of int64 cells (h3.int_to_str's form: lower case, no leading zeros)."""
    return [format(cell, "x") for cell in np.asarray(cells, dtype=np.int64).tolist()]


@dataclass(frozen=True)
class HexShapes:
    """Hexagons ready to send: feature ids, the GeoJSON already serialised (orjson
    writes a Fragment as is, so the thousands of polygons never exist as Python lists
    and dicts: building those, and the garbage collector walking them, was most of
    the time of a national map) and their bounds."""

    ids: list[str]
    geojson: orjson.Fragment
    bounds: Bounds | None


_FEATURE = b'{"type":"Feature","id":"%s","geometry":{"type":"Polygon","coordinates":[[[%s]]]}}'


def hex_shapes(cells: Iterable[int] | np.ndarray, decimals: int = COORD_DECIMALS) -> HexShapes:
    """The polygons of `cells` (as hex_geojson gives them) serialised in one pass."""
    cells = np.asarray(cells if isinstance(cells, np.ndarray) else list(cells), dtype=np.int64)
    ids = hex_ids(cells)
    rings = cell_ring_array(cells.tolist(), decimals)
    if rings is None:  # a pentagon: the slow path keeps it exact
        collection = hex_geojson(cells, decimals)
        return HexShapes(ids, orjson.Fragment(orjson.dumps(collection)), hex_bounds(collection))
    if not len(cells):
        return HexShapes([], orjson.Fragment(b'{"type":"FeatureCollection","features":[]}'), None)
    # [[[x,y],...,[x,y]],[[x,y],...]]: ring bodies sit between "]],[[" separators.
    body = orjson.dumps(rings, option=orjson.OPT_SERIALIZE_NUMPY)[3:-3].split(b"]],[[")
    features = b",".join(
        _FEATURE % (hex_id.encode(), ring) for hex_id, ring in zip(ids, body, strict=True)
    )
    geojson = b'{"type":"FeatureCollection","features":[' + features + b"]}"
    (west, south), (east, north) = rings.reshape(-1, 2).min(axis=0), rings.reshape(-1, 2).max(0)
    bounds = (float(west), float(south), float(east), float(north))
    return HexShapes(ids, orjson.Fragment(geojson), bounds)


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
    if len(geojson.get("bbox") or ()) == 4:  # given (geodata.queries.wards): no ring walk
        west, south, east, north = geojson["bbox"]
        return float(west), float(south), float(east), float(north)
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


def coarser_note(requested: int, res: int, budget: int, hint: str = "") -> str:
    """Why the map shows larger hexagons than asked, in words ("" when it does not)."""
    if res == requested:
        return ""
    area = h3.average_hexagon_area(res, unit="km^2")
    size = f"{area:,.0f} km²" if area >= 10 else f"{area:.1f} km²"
    text = (
        f"Showing resolution {res} (hexagons of about {size}): at resolution {requested} "
        f"this view has more than the {budget:,} hexagons a map can draw."
    )
    return f"{text} {hint}" if hint else text


def note_annotation(text: str) -> dict:
    """A note written on the map itself, bottom left, readable over any colour."""
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0.01,
        "y": 0.01,
        "xanchor": "left",
        "yanchor": "bottom",
        "align": "left",
        "showarrow": False,
        "bgcolor": "rgba(255, 255, 255, 0.9)",
        "bordercolor": theme.MUTED_COLOUR,
        "borderwidth": 1,
        "borderpad": 4,
        "font": {"size": 13},
    }


def incident_map(
    counts: pd.DataFrame,
    wards: dict | None = None,
    *,
    style: str = "white-bg",
    height_px: int = 600,
    note: str = "",
) -> go.Figure:
    """Hexagons coloured by incident count (columns h3, count) over ward outlines
    (polygons or lines), with `note` written on the map when given.

    The view fits the hexagons, or the wards when there are none, or Kenya. For a
    large map Dash sends, `incident_map_json` builds the same figure much faster.
    """
    hexes = hex_geojson(counts["h3"].to_numpy(dtype=np.int64), decimals_for(counts))
    ids = [f["id"] for f in hexes["features"]]
    z = counts["count"].to_numpy(dtype=np.int64)
    fig = _incident_map_shell(counts, ids, z, hex_bounds(hexes), wards, style, height_px, note)
    # Set after building: go.Figure deep-copies the traces it is given.
    fig.data[0].geojson = hexes
    if fig.layout.map.layers:
        fig.layout.map.layers[0].source = wards
    return fig


def incident_map_json(
    counts: pd.DataFrame,
    wards: dict | None = None,
    *,
    style: str = "white-bg",
    height_px: int = 600,
    note: str = "",
) -> dict:
    """`incident_map` as the plain dict Dash sends, built much faster (see
    incident_map_shell)."""
    shell, shapes = incident_map_shell(counts, wards, style=style, height_px=height_px, note=note)
    return fill_incident_map(shell.to_plotly_json(), counts, shapes, wards)


def incident_map_shell(
    counts: pd.DataFrame,
    wards: dict | None = None,
    *,
    style: str = "white-bg",
    height_px: int = 600,
    note: str = "",
) -> tuple[go.Figure, HexShapes]:
    """The incident map without its cells, colours and shapes, and those shapes.
    Add traces to the shell, then `fill_incident_map(shell.to_plotly_json(), ...)`:
    plotly never validates or copies the thousands of shapes."""
    shapes = hex_shapes(counts["h3"].to_numpy(dtype=np.int64), decimals_for(counts))
    shell = _incident_map_shell(counts, [], [], shapes.bounds, wards, style, height_px, note)
    return shell, shapes


def fill_incident_map(
    figure: dict, counts: pd.DataFrame, shapes: HexShapes, wards: dict | None
) -> dict:
    """An incident_map_shell's dict with its cells, colours, shapes and outlines."""
    with_shapes(figure, shapes.geojson, wards)
    figure["data"][0]["locations"] = shapes.ids
    figure["data"][0]["z"] = counts["count"].to_numpy(dtype=np.int64).tolist()
    return figure


def with_shapes(figure: dict, shapes, outlines: dict | None, outline_layer: int = 0) -> dict:
    """A figure dict built without its shapes, with them put in place: the first
    trace's GeoJSON, and the ward outlines in map layer `outline_layer` when drawn."""
    figure["data"][0]["geojson"] = shapes
    layers = figure["layout"].get("map", {}).get("layers") or []
    if outlines and outlines.get("features") and len(layers) > outline_layer:
        layers[outline_layer]["source"] = outlines
    return figure


def decimals_for(counts: pd.DataFrame) -> int:
    """Coordinate decimals for the cells of `counts`: 4 (about 11 m) is finer than a
    pixel for resolution 7 and coarser hexagons (over a kilometre a side), 5 below."""
    cells = counts["h3"].to_numpy(dtype=np.int64)
    if len(cells) and int(resolution_of(cells[:1])[0]) <= 7:
        return 4
    return COORD_DECIMALS


_EMPTY = {"type": "FeatureCollection", "features": []}


def _incident_map_shell(
    counts: pd.DataFrame,
    locations: list[str],
    z,
    bounds: Bounds | None,
    wards: dict | None,
    style: str,
    height_px: int,
    note: str,
) -> go.Figure:
    """The incident map with an empty outline layer and no hexagon shapes."""
    trace = go.Choroplethmap(
        locations=locations,
        z=z,
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
    bounds = bounds or (geojson_bounds(wards) if has_wards else None)
    centre, zoom = view_for_bounds(bounds or KENYA_BOUNDS, height_px=height_px)
    fig = go.Figure(trace)
    theme.apply(fig)
    fig.update_layout(
        map={
            "style": style,
            "center": centre,
            "zoom": zoom,
            "layers": [ward_layer(_EMPTY)] if has_wards else [],
        },
        # Keeps the viewer's pan and zoom when new data arrives.
        uirevision="incident-map",
        annotations=[note_annotation(note)] if note else [],
    )
    return fig
