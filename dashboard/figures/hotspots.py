"""The hot-spot map: H3 hexagons or wards coloured by a measure (incidents, rate per
1,000 residents, Gi* class, emerging hot-spot class), drawn offline like the
incident map (dashboard.figures.map).

Pure builders. A `Layer` is what colours a map: a value per location, hover texts
and a colour scale. `choropleth` draws locations with a layer; `layer_patch` turns
a layer into a dash Patch so a change of measure or filters resends colours only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Patch

from dashboard.figures import map as map_figures
from dashboard.figures import theme
from geodata.stats.hotspots import LABELS as GI_LABELS

MEASURES = {
    "count": "Incidents",
    "rate": "Rate per 1,000 residents",
    "gi": "Hot spots (Gi*, FDR)",
    "emerging": "Emerging hot spots",
}
# Diverging blue-red (ColorBrewer RdBu): readable with the common colour-vision
# deficiencies, and darker means more certain on both sides.
GI_COLOURS = {
    -3: "#2166ac",
    -2: "#67a9cf",
    -1: "#d1e5f0",
    0: "#f2f2f2",
    1: "#fddbc7",
    2: "#ef8a62",
    3: "#b2182b",
}
# Hot patterns each their own colour (Okabe-Ito, colour-blind safe); every cold
# pattern shares one, since the forum looks for places getting worse.
EMERGING_CLASSES: tuple[tuple[str, str], ...] = (
    ("new hot spot", "#E69F00"),
    ("consecutive hot spot", "#F0E442"),
    ("intensifying hot spot", "#D55E00"),
    ("persistent hot spot", "#CC79A7"),
    ("diminishing hot spot", "#56B4E9"),
    ("sporadic hot spot", "#009E73"),
    ("oscillating hot spot", "#999933"),
    ("historical hot spot", "#882255"),
    ("cold spot", "#0072B2"),
    ("no pattern", "#f2f2f2"),
)
FOCUS_COLOUR = "#000000"
# The map's "Show" choice: a hexagon resolution or wards.
RESOLUTIONS = (
    {"label": "Large hexagons (res 7)", "value": "7"},
    {"label": "Medium (res 8)", "value": "8"},
    {"label": "Small (res 9)", "value": "9"},
    {"label": "Wards", "value": "wards"},
)
DEFAULT_RES = "8"
DEFAULT_MEASURE = "count"


def parse_res(value: object) -> str:
    return value if value in {o["value"] for o in RESOLUTIONS} else DEFAULT_RES


def parse_measure(value: object) -> str:
    return value if value in MEASURES else DEFAULT_MEASURE


@dataclass(frozen=True)
class Layer:
    z: list
    text: list[str]
    colorscale: list
    zmin: float
    zmax: float
    colorbar: dict

    def trace_properties(self) -> dict:
        return {
            "z": self.z,
            "text": self.text,
            "colorscale": self.colorscale,
            "zmin": self.zmin,
            "zmax": self.zmax,
            "colorbar": self.colorbar,
        }


def stepped_scale(colours: Sequence[str]) -> list[list]:
    """A colour scale giving integer z = 0..n-1 one flat colour each."""
    n = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def count_layer(locations: Sequence, values: pd.Series, unit: str = "incidents") -> Layer:
    """Counts (or rates) per location; locations without a value are hidden."""
    z = [None if pd.isna(v) else float(v) for v in values.reindex(list(locations))]
    top = max([v for v in z if v is not None] or [1.0])
    return Layer(
        z=z,
        text=["" if v is None else f"{_number(v)} {unit}" for v in z],
        colorscale=theme.SEQUENTIAL,
        zmin=0.0,
        zmax=max(top, 1e-9),
        colorbar={
            "title": {"text": unit.capitalize(), "side": "right"},
            "thickness": 18,
            "len": 0.9,
        },
    )


def gi_layer(locations: Sequence, gi: pd.DataFrame) -> Layer:
    """Gi* classes (hotspots() rows: cell, count, gi_z, bin, label) per location."""
    rows = gi.set_index("cell").reindex(list(locations))
    bins = rows["bin"].fillna(0).astype(int)
    return Layer(
        z=(bins + 3).tolist(),
        text=[
            f"{GI_LABELS[b]} · {_number(c if pd.notna(c) else 0)} incidents · z {z:.1f}"
            for b, c, z in zip(bins, rows["count"], rows["gi_z"].fillna(0), strict=True)
        ],
        colorscale=stepped_scale([GI_COLOURS[b] for b in range(-3, 4)]),
        zmin=-0.5,
        zmax=6.5,
        colorbar={
            "title": {"text": "Gi* class (FDR)", "side": "right"},
            "tickvals": list(range(7)),
            "ticktext": [GI_LABELS[b] for b in range(-3, 4)],
            "thickness": 18,
            "len": 0.9,
        },
    )


def emerging_class(category: str) -> str:
    """The legend class of an emerging_hotspots category."""
    return "cold spot" if category.endswith("cold spot") else category


def emerging_layer(locations: Sequence, emerging: pd.DataFrame) -> Layer:
    """Emerging hot-spot classes (emerging_hotspots rows: cell, category, ...)."""
    names = [name for name, _ in EMERGING_CLASSES]
    rows = emerging.set_index("cell").reindex(list(locations))
    classes = [emerging_class(c) if isinstance(c, str) else "no pattern" for c in rows["category"]]
    return Layer(
        z=[names.index(c) for c in classes],
        text=[
            f"{cat if isinstance(cat, str) else 'no pattern'} · hot in {int(h or 0)} months"
            for cat, h in zip(rows["category"], rows["hot_months"].fillna(0), strict=True)
        ],
        colorscale=stepped_scale([colour for _, colour in EMERGING_CLASSES]),
        zmin=-0.5,
        zmax=len(names) - 0.5,
        colorbar={
            "title": {"text": "Emerging hot spots", "side": "right"},
            "tickvals": list(range(len(names))),
            "ticktext": names,
            "thickness": 18,
            "len": 0.9,
        },
    )


def focus_layer(geojson: dict | None) -> dict:
    """A thick outline around the focused cell or ward. Always the map's first layer,
    empty without a focus, so a Patch can replace it by position."""
    empty = {"type": "FeatureCollection", "features": []}
    return {
        "sourcetype": "geojson",
        "source": geojson if geojson and geojson.get("features") else empty,
        "type": "line",
        "color": FOCUS_COLOUR,
        "line": {"width": 4},
    }


def choropleth(
    locations: Sequence[str],
    geojson: dict,
    layer: Layer,
    *,
    outlines: dict | None = None,
    focus: dict | None = None,
    style: str = "white-bg",
    height_px: int = 600,
    note: str = "",
) -> go.Figure:
    """Locations (hex ids or ward codes, the features' ids in `geojson`) coloured by
    `layer`, ward outlines above, the focus outlined in black, `note` written on the
    map; the view fits the shapes drawn. Dash gets the faster `choropleth_shell` +
    `fill_shapes`, which build the same figure without plotly copying the shapes."""
    has_outlines = bool(outlines and outlines.get("features"))
    bounds = map_figures.geojson_bounds(geojson) if locations else None
    bounds = bounds or (map_figures.geojson_bounds(outlines) if has_outlines else None)
    fig = choropleth_shell(
        bounds, outlines=has_outlines, focus=focus, style=style, height_px=height_px, note=note
    )
    fig.data[0].update(locations=list(locations), **layer.trace_properties())
    fig.data[0].geojson = geojson  # after building: no deep copy of the shapes
    if has_outlines:
        fig.layout.map.layers[1].source = outlines
    return fig


def choropleth_shell(
    bounds: map_figures.Bounds | None,
    *,
    outlines: bool,
    focus: dict | None = None,
    style: str = "white-bg",
    height_px: int = 600,
    note: str = "",
) -> go.Figure:
    """The hot-spot map without locations, colours or shapes (see fill_shapes): the
    focus layer first, an empty ward outline layer second when `outlines`."""
    trace = go.Choroplethmap(
        locations=[],
        marker={"opacity": 0.85, "line": {"width": 0.5, "color": theme.HEX_EDGE_COLOUR}},
        hovertemplate="%{text}<extra></extra>",
        name="hot spots",
    )
    fig = go.Figure(trace)
    centre, zoom = map_figures.view_for_bounds(
        bounds or map_figures.KENYA_BOUNDS, height_px=height_px
    )
    theme.apply(fig)
    empty = {"type": "FeatureCollection", "features": []}
    layers = [focus_layer(focus)] + ([map_figures.ward_layer(empty)] if outlines else [])
    fig.update_layout(
        map={"style": style, "center": centre, "zoom": zoom, "layers": layers},
        uirevision="hotspot-map",
        height=height_px,
        annotations=[map_figures.note_annotation(note)] if note else [],
    )
    return fig


def fill_shapes(
    figure: dict, locations: Sequence[str], shapes, layer: Layer, outlines: dict | None
) -> dict:
    """A `choropleth_shell` figure dict with its locations, colours, shapes (a GeoJSON
    dict or map_figures.HexShapes' serialised GeoJSON) and ward outlines."""
    map_figures.with_shapes(figure, shapes, outlines, outline_layer=1)
    figure["data"][0].update(locations=list(locations), **layer.trace_properties())
    return figure


def hex_ids(cells: Sequence[int] | np.ndarray) -> list[str]:
    return map_figures.hex_ids(cells)


def layer_patch(layer: Layer, focus: dict | None) -> Patch:
    """New colours and focus outline for the shapes already drawn."""
    patch = Patch()
    for key, value in layer.trace_properties().items():
        patch["data"][0][key] = value
    patch["layout"]["map"]["layers"][0] = focus_layer(focus)
    return patch
