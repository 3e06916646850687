"""Patrol planner figures (issue #6): the map of numbered patrol points over their
hexagons and the ward outlines, and the "did it cover the crime" chart.

Numbers on the map are drawn as line strokes (seven-segment digits), not text:
MapLibre draws text with a symbol layer whose glyphs come from a font server, which
an offline laptop or the PDF renderer cannot reach. Lines and circles need nothing.

Pure builders: frames and GeoJSON in, figures out.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import theme
from dashboard.figures.actions import drawn_trace
from dashboard.figures.map import (
    KENYA_BOUNDS,
    TILE_SIZE,
    geojson_bounds,
    hex_bounds,
    hex_geojson,
    incident_map,
    view_for_bounds,
    ward_layer,
)
from geodata.h3grid import to_hex

POINT_COLOUR = "#440154"  # the darkest step of the theme's scale
DIGIT_COLOUR = "#ffffff"
CELL_COLOUR = "#fde725"
MARKER_PX = 30
DIGIT_PX = 15  # digit height on screen at the planned zoom
PLAN_COLOUR, NAIVE_COLOUR, AREA_COLOUR = "#31688e", "#b5de2b", "#9a9a9a"
# The drawn station area: Okabe-Ito vermillion, apart from the grey ward outlines and
# the purple points, and named so on the sheet ("orange line").
DRAWN_AREA_COLOUR = "#d55e00"
DRAWN_AREA_WIDTH = 3
DRAW_INDEX = 1  # the drawing's trace on the drawing map (after the hexagons)

# Segments of a digit one unit wide and two high, from its lower left corner:
# a top, b upper right, c lower right, d bottom, e lower left, f upper left, g middle.
_SEGMENTS = {
    "a": ((0, 2), (1, 2)),
    "b": ((1, 2), (1, 1)),
    "c": ((1, 1), (1, 0)),
    "d": ((0, 0), (1, 0)),
    "e": ((0, 0), (0, 1)),
    "f": ((0, 1), (0, 2)),
    "g": ((0, 1), (1, 1)),
    "m": ((0.5, 0), (0.5, 2)),  # a centred upright, for "1"
}
_DIGITS = {
    "0": "abcdef",
    "1": "m",
    "2": "abged",
    "3": "abgcd",
    "4": "fgbc",
    "5": "afgcd",
    "6": "afgedc",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
}


def number_strokes(number: int, lat: float, lon: float, height: float) -> tuple[list, list]:
    """(lats, lons) of line segments drawing `number` centred on (lat, lon), `height`
    degrees tall; segments are separated by None (one scattermap line trace)."""
    text = str(int(number))
    unit = height / 2  # a digit is two units high, one wide, with half a unit between
    width = unit * (1.5 * len(text) - 0.5)
    lats: list = []
    lons: list = []
    for k, digit in enumerate(text):
        left = lon - width / 2 + k * 1.5 * unit
        for segment in _DIGITS[digit]:
            (x0, y0), (x1, y1) = _SEGMENTS[segment]
            lons += [left + x0 * unit, left + x1 * unit, None]
            lats += [lat - unit + y0 * unit, lat - unit + y1 * unit, None]
    return lats, lons


def _degrees_per_pixel(zoom: float) -> float:
    return 360.0 / (TILE_SIZE * 2**zoom)


def _hover(points: pd.DataFrame) -> list[str]:
    out = []
    for p in points.itertuples(index=False):
        landmark = getattr(p, "landmark", None)
        near = f"near {landmark}" if isinstance(landmark, str) and landmark else "no landmark"
        out.append(
            f"<b>Point {p.point}</b>, {near}<br>Peak hours: {p.peak_label}"
            f"<br>{getattr(p, 'activity', '') or ''}"
        )
    return out


def area_layer(area: dict) -> dict:
    """The drawn station area (a GeoJSON geometry) as a MapLibre line layer."""
    feature = {"type": "Feature", "properties": {}, "geometry": area}
    return {
        "sourcetype": "geojson",
        "source": {"type": "FeatureCollection", "features": [feature]},
        "type": "line",
        "color": DRAWN_AREA_COLOUR,
        "line": {"width": DRAWN_AREA_WIDTH},
    }


def _area_bounds(area: dict | None):
    if not area:
        return None
    return geojson_bounds({"features": [{"geometry": area}]})


def patrol_map(
    points: pd.DataFrame,
    wards: dict | None = None,
    *,
    area: dict | None = None,
    style: str = "white-bg",
    width_px: int = 900,
    height_px: int = 600,
) -> go.Figure:
    """Numbered patrol points (columns point, cells, lat, lon, peak_label, and
    optionally landmark, activity) over their hexagons, the ward outlines and the
    drawn station area (a GeoJSON geometry, when the plan has one); the view fits
    the drawn area, else the wards, else the points."""
    cells = [int(c) for cells in points["cells"] for c in cells]
    hexes = hex_geojson(cells)
    has_wards = bool(wards and wards.get("features"))
    bounds = (
        _area_bounds(area)
        or (geojson_bounds(wards) if has_wards else None)
        or hex_bounds(hexes)
        or KENYA_BOUNDS
    )
    centre, zoom = view_for_bounds(bounds, width_px=width_px, height_px=height_px, padding=0.05)
    fig = go.Figure()
    fig.add_trace(
        go.Choroplethmap(
            locations=[to_hex(c) for c in cells],
            z=[1] * len(cells),
            colorscale=[[0, CELL_COLOUR], [1, CELL_COLOUR]],
            showscale=False,
            marker={"opacity": 0.55, "line": {"width": 1, "color": POINT_COLOUR}},
            hoverinfo="skip",
            name="patrol cells",
        )
    )
    fig.data[0].geojson = hexes
    fig.add_trace(
        go.Scattermap(
            lat=points["lat"].tolist(),
            lon=points["lon"].tolist(),
            mode="markers",
            marker={"size": MARKER_PX, "color": POINT_COLOUR, "opacity": 0.95},
            text=_hover(points),
            hovertemplate="%{text}<extra></extra>",
            name="patrol points",
        )
    )
    height = DIGIT_PX * _degrees_per_pixel(zoom)
    lats, lons = [], []
    for p in points.itertuples(index=False):
        more_lats, more_lons = number_strokes(p.point, p.lat, p.lon, height)
        lats += more_lats
        lons += more_lons
    fig.add_trace(
        go.Scattermap(
            lat=lats,
            lon=lons,
            mode="lines",
            line={"width": 3, "color": DIGIT_COLOUR},
            hoverinfo="skip",
            name="point numbers",
        )
    )
    theme.apply(fig)
    fig.update_layout(
        showlegend=False,
        width=None,
        height=height_px,
        map={
            "style": style,
            "center": centre,
            "zoom": zoom,
            "layers": ([ward_layer(wards)] if has_wards else [])
            + ([area_layer(area)] if area else []),
        },
    )
    return fig


def sheet_map(
    points: pd.DataFrame,
    wards: dict | None,
    width_px: int,
    height_px: int,
    area: dict | None = None,
):
    """`patrol_map` at a fixed size, for the printed sheet."""
    fig = patrol_map(points, wards, area=area, width_px=width_px, height_px=height_px)
    fig.update_layout(width=width_px, height=height_px)
    return fig


def drawing_trace(vertices: Sequence[Sequence[float]]) -> go.Scattermap:
    """The station area being drawn ([[lon, lat], ...]), in the sheet's area colour:
    the actions page's drawing, so both pages draw alike."""
    trace = drawn_trace(vertices, "polygon")
    trace.update(
        marker={"color": DRAWN_AREA_COLOUR, "size": 12},
        line={"color": DRAWN_AREA_COLOUR, "width": DRAWN_AREA_WIDTH},
        fillcolor="rgba(213, 94, 0, 0.15)",
        name="Station area being drawn",
    )
    return trace


def draw_map(
    counts: pd.DataFrame,
    wards: dict | None,
    vertices: Sequence[Sequence[float]] = (),
    *,
    style: str = "white-bg",
    height_px: int = 460,
    revision: str = "",
) -> go.Figure:
    """The map to draw a station area on: incidents per hexagon (columns h3, count)
    faint for context, the ward outlines, and the corners clicked so far joined into
    the growing polygon (trace DRAW_INDEX, replaced in place while drawing). The
    view is kept while drawing and refits when `revision` (the wards) changes."""
    fig = incident_map(counts, wards, style=style, height_px=height_px)
    fig.update_traces(marker_opacity=0.45, colorbar={"len": 0.5, "y": 0.25}, selector=0)
    fig.add_trace(drawing_trace(vertices))
    fig.update_layout(uirevision=f"patrol-draw {revision}", height=height_px)
    return fig


def draw_map_passing_outlines(
    counts: pd.DataFrame,
    outlines,
    features: int,
    bbox: tuple[float, float, float, float] | None,
    vertices: Sequence[Sequence[float]] = (),
    *,
    style: str = "white-bg",
    height_px: int = 460,
    revision: str = "",
) -> dict:
    """`draw_map` as the plain dict Dash sends, with `outlines` (a FeatureCollection
    of `features` features already serialised, e.g. an orjson.Fragment, bounded by
    `bbox`) put in the outline layer untouched: plotly never sees its coordinates."""
    # A one-feature stand-in gives the map its outline layer and the view its bounds.
    stand_in = None
    if features and bbox:
        stand_in = {
            "type": "FeatureCollection",
            "bbox": list(bbox),
            "features": [{"type": "Feature", "properties": {}, "geometry": None}],
        }
    fig = draw_map(counts, stand_in, vertices, style=style, height_px=height_px, revision=revision)
    figure = fig.to_plotly_json()
    if stand_in is not None:
        figure["layout"]["map"]["layers"][0]["source"] = outlines
    return figure


def _percent(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.0%}"


def _pai(value) -> str:
    return "PAI –" if value is None or pd.isna(value) else f"PAI {value:.1f}"


def evaluation_chart(table: pd.DataFrame, labels: Sequence[str] | None = None) -> go.Figure:
    """Share of the shift's incidents inside each plan's cells, beside the share of
    the area those cells cover (what patrolling at random would catch). `table`:
    rows "planner" and "naive" of `geodata.stats.patrol.compare_plans`."""
    rows = table.set_index("plan")
    planner, naive = rows.loc["planner"], rows.loc["naive"]
    names = list(labels or ("This plan", "Last month's top cells", "Area share (random patrols)"))
    values = [planner["hit_rate"], naive["hit_rate"], planner["area_share"]]
    texts = [
        f"{_percent(planner['hit_rate'])}<br>{_pai(planner['pai'])}",
        f"{_percent(naive['hit_rate'])}<br>{_pai(naive['pai'])}",
        f"{_percent(planner['area_share'])}<br>PAI 1.0",
    ]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=[0 if v is None or pd.isna(v) else float(v) for v in values],
            text=texts,
            textposition="outside",
            marker={"color": [PLAN_COLOUR, NAIVE_COLOUR, AREA_COLOUR]},
            hovertemplate="%{x}: %{y:.0%} of incidents<extra></extra>",
        )
    )
    theme.apply(fig)
    top = max([float(v) for v in values if v is not None and not pd.isna(v)] + [0.1])
    fig.update_layout(
        height=380,
        margin={"l": 60, "r": 20, "t": 20, "b": 60},
        yaxis={"title": "Share of incidents in the cells", "tickformat": ".0%",
               "range": [0, min(1.0, top * 1.35) or 1.0]},
        showlegend=False,
    )  # fmt: skip
    return fig
