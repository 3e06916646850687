"""Figures for the monthly meeting at projector scale: every number is written on the
figure (a projector audience cannot hover), type is large, and colours come from
palettes that read the same with every common colour-vision deficiency and in
greyscale (viridis for amounts, Okabe-Ito for categories).

Pure builders: frames in, figures out. The same figures go on the screen and, as
PNG, into the meeting pack.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import map as map_figures
from dashboard.figures import theme
from geodata.stats.trends import SMALL_NUMBER

# Sizes in CSS pixels of a figure drawn about 1100 px wide (beside the numbers on
# a projector, or as the PNG on a landscape A4 page).
FONT_SIZE = 28
TITLE_SIZE = 34
LABEL_SIZE = 26  # the numbers written on bars
MIN_FONT_SIZE = 24  # nothing on a meeting figure is smaller
WIDTH, HEIGHT = 1100, 760  # the size PNGs are drawn at

# Okabe and Ito (2008), "Color Universal Design": distinguishable by viewers with
# any common colour-vision deficiency. Black first, as the strongest contrast.
OKABE_ITO: tuple[str, ...] = (
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
THIS_PERIOD_COLOUR = "#0072B2"  # Okabe-Ito blue: this month, dark on white
LAST_PERIOD_COLOUR = "#56B4E9"  # Okabe-Ito sky blue: last month, lighter
HIGHLIGHT_COLOUR = "#D55E00"  # Okabe-Ito vermillion: the top cells on the map
# Viridis reversed, as on the map page: darker means more, also in greyscale.
SEQUENTIAL = theme.SEQUENTIAL
SMALL_NUMBER_MARK = "*"
SMALL_NUMBER_NOTE = (
    f"{SMALL_NUMBER_MARK} fewer than {SMALL_NUMBER} incidents in one of the two months: "
    "a change this size is mostly chance"
)
HOUR_LABELS = tuple(f"{h:02d}" for h in range(24))


def projector_layout(fig: go.Figure, title: str | None = None) -> go.Figure:
    """Large type and a white background on any figure, in place; returns it."""
    theme.apply(fig)
    fig.update_layout(
        font={"size": FONT_SIZE, "color": theme.TEXT_COLOUR},
        hoverlabel={"font": {"size": FONT_SIZE}},
        legend={"font": {"size": FONT_SIZE}},
        margin={"l": 20, "r": 40, "t": 90 if title else 30, "b": 30},
        title=(
            {"text": title, "font": {"size": TITLE_SIZE}, "x": 0.01, "xanchor": "left"}
            if title
            else None
        ),
    )
    fig.update_xaxes(tickfont={"size": FONT_SIZE}, title_font={"size": FONT_SIZE})
    fig.update_yaxes(tickfont={"size": FONT_SIZE}, title_font={"size": FONT_SIZE})
    return fig


def cell_outline_layer(cells: Sequence[int]) -> dict | None:
    """A thick vermillion line around each of `cells` (no glyphs: offline-safe)."""
    if not len(cells):
        return None
    return {
        "sourcetype": "geojson",
        "source": map_figures.hex_geojson(cells),
        "type": "line",
        "color": HIGHLIGHT_COLOUR,
        "line": {"width": 4},
    }


def hotspot_map(
    counts: pd.DataFrame,
    wards: dict | None,
    *,
    top_cells: Sequence[int] = (),
    style: str = "white-bg",
    title: str | None = None,
) -> go.Figure:
    """The month's incidents per hexagon at projector scale, the `top_cells` ringed.

    Numbers stay off the map (map labels need font files from the internet); the
    page and the pack list the ringed cells with their counts beside it.
    """
    fig = map_figures.incident_map(counts, wards, style=style, height_px=HEIGHT)
    # The hexagons' and wards' GeoJSON step out while the figure is restyled: plotly
    # deep-copies whatever an update touches, seconds for every ward in Kenya.
    trace = fig.data[0]
    hexes, trace.geojson = trace.geojson, None
    outlines = fig.layout.map.layers[0] if fig.layout.map.layers else None
    if outlines is not None:
        ward_shapes, outlines.source = outlines.source, None
    fig.update_traces(
        colorbar={
            "title": {"text": "Incidents per hexagon", "font": {"size": FONT_SIZE}},
            "tickfont": {"size": FONT_SIZE},
            "thickness": 30,
        },
        marker={"opacity": 0.9},
    )
    projector_layout(fig, title)
    layer = cell_outline_layer(list(top_cells))
    if layer is not None:
        fig.update_layout(map={"layers": [*fig.layout.map.layers, layer]})
    fig.update_layout(uirevision=None)
    fig.data[0].geojson = hexes
    if outlines is not None:
        fig.layout.map.layers[0].source = ward_shapes
    return fig


def clock_bars(hours: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Incidents by hour of the day (columns hour 0-23, weight), each bar labelled.

    Weights are aoristic (an incident known only as a window is shared over its
    hours), so labels are rounded to whole incidents.
    """
    weights = (
        hours.groupby("hour")["weight"].sum().reindex(range(24), fill_value=0.0)
        if len(hours)
        else pd.Series(0.0, index=range(24))
    )
    values = weights.to_numpy(dtype=float)
    fig = go.Figure(
        go.Bar(
            x=list(HOUR_LABELS),
            y=values,
            marker={"color": THIS_PERIOD_COLOUR},
            text=[f"{v:.0f}" for v in values],
            textposition="outside",
            textfont={"size": LABEL_SIZE, "color": theme.TEXT_COLOUR},
            cliponaxis=False,
            constraintext="none",  # never shrink a number to fit
            hoverinfo="skip",
        )
    )
    projector_layout(fig, title)
    fig.update_xaxes(title_text="Hour of the day (East Africa Time)", type="category")
    fig.update_yaxes(visible=False, range=[0, max(values.max(initial=0.0), 1.0) * 1.2])
    fig.update_layout(bargap=0.15)
    return fig


def change_bars(
    table: pd.DataFrame,
    *,
    this_label: str,
    last_label: str,
    title: str | None = None,
) -> go.Figure:
    """This month against last month per group (rows in display order; columns
    label, current, previous, change, small_number): grouped bars, both numbers
    written on them and the change ("+25%", "new") at the right; a dagger marks a
    change too small to mean much."""
    labels = [
        f"{row.label} {SMALL_NUMBER_MARK}" if row.small_number else str(row.label)
        for row in table.itertuples()
    ][::-1]
    fig = go.Figure()
    for column, name, colour in (
        ("previous", last_label, LAST_PERIOD_COLOUR),
        ("current", this_label, THIS_PERIOD_COLOUR),
    ):
        values = table[column].to_numpy(dtype=float)[::-1]
        fig.add_bar(
            x=values,
            y=labels,
            name=name,
            orientation="h",
            marker={"color": colour},
            text=[f"{v:,.0f}" for v in values],
            textposition="outside",
            textfont={"size": LABEL_SIZE, "color": theme.TEXT_COLOUR},
            cliponaxis=False,
            constraintext="none",  # never shrink a number to fit
            hoverinfo="skip",
        )
    projector_layout(fig, title)
    top = float(np.nanmax(table[["current", "previous"]].to_numpy(dtype=float), initial=1.0))
    fig.update_xaxes(visible=False, range=[0, max(top, 1.0) * 1.45])
    fig.update_yaxes(automargin=True, ticksuffix="  ")
    fig.update_layout(
        barmode="group",
        legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0, "traceorder": "reversed"},
    )
    for label, change in zip(labels, table["change"].tolist()[::-1], strict=True):
        fig.add_annotation(
            x=1.0,
            xref="paper",
            xanchor="right",
            y=label,
            text=f"<b>{change}</b>",
            showarrow=False,
            font={"size": FONT_SIZE, "color": theme.TEXT_COLOUR},
        )
    return fig
