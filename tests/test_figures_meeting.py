"""The meeting figures read without hover on a projector: every number is written on
the figure, no type is smaller than MIN_FONT_SIZE, and colours come from the
colour-blind-safe palettes (Okabe-Ito for categories, viridis for amounts)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import agenda
from dashboard.figures import meeting, theme
from geodata.h3grid import from_hex

VIRIDIS = {"#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89", "#26828e", "#31688e",
           "#3e4989", "#440154"}  # fmt: skip
CELLS = [from_hex(h) for h in ("887a45b801fffff", "887a45b803fffff", "887a45b805fffff")]


def font_sizes(fig: go.Figure) -> list[float]:
    """Every font size the figure sets (layout, axes, traces, annotations), with the
    theme's defaults filled in where a part sets none."""
    sizes = [fig.layout.font.size]
    sizes += [a.font.size for a in fig.layout.annotations if a.font.size is not None]
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        if axis.visible is not False and axis.tickfont.size is not None:
            sizes.append(axis.tickfont.size)
    if fig.layout.title.text:
        sizes.append(fig.layout.title.font.size)
    for trace in fig.data:
        textfont = getattr(trace, "textfont", None)
        if textfont is not None and textfont.size is not None:
            sizes.append(textfont.size)
        colorbar = getattr(trace, "colorbar", None)
        if colorbar is not None and colorbar.tickfont.size is not None:
            sizes.append(colorbar.tickfont.size)
    return [float(s) for s in sizes if s is not None]


def assert_projector_type(fig: go.Figure) -> None:
    sizes = font_sizes(fig)
    assert sizes and min(sizes) >= meeting.MIN_FONT_SIZE, sizes
    assert fig.layout.font.size >= 28
    assert fig.layout.paper_bgcolor == theme.BACKGROUND == "#ffffff"
    assert fig.layout.font.color == theme.TEXT_COLOUR


def test_clock_bars_label_every_hour_rounded():
    hours = pd.DataFrame({"hour": [0, 20, 20, 21], "weight": [1.4, 10.0, 2.6, 0.5]})
    fig = meeting.clock_bars(hours)
    (bar,) = fig.data
    assert list(bar.x) == [f"{h:02d}" for h in range(24)]
    assert list(bar.y)[20] == pytest.approx(12.6)
    assert list(bar.text)[0] == "1" and list(bar.text)[20] == "13" and list(bar.text)[5] == "0"
    assert bar.constraintext == "none"  # a number is never shrunk away
    assert bar.marker.color in meeting.OKABE_ITO
    assert_projector_type(fig)


def test_change_bars_show_both_months_the_change_and_small_number_marks():
    table = agenda.change_table(
        pd.Series({"robbery": 40, "theft": 6, "assault": 12}),
        pd.Series({"robbery": 32, "theft": 2, "homicide": 1}),
        {"robbery": "Robbery", "theft": "Theft", "assault": "Assault", "homicide": "Homicide"},
    )
    assert table["label"].tolist() == ["Robbery", "Assault", "Theft", "Homicide"]
    assert table["change"].tolist() == ["+25%", "new", "+200%", "-100%"]
    assert table["small_number"].tolist() == [False, True, True, True]
    fig = meeting.change_bars(table, this_label="Aug 2024", last_label="Jul 2024")
    last, this = fig.data
    assert (last.name, this.name) == ("Jul 2024", "Aug 2024")
    assert {last.marker.color, this.marker.color} <= set(meeting.OKABE_ITO)
    assert list(this.text) == ["0", "6", "12", "40"]  # bottom to top
    assert list(last.text) == ["1", "2", "0", "32"]
    assert this.y[-1] == "Robbery" and this.y[0] == f"Homicide {meeting.SMALL_NUMBER_MARK}"
    changes = [a.text for a in fig.layout.annotations]
    assert changes == ["<b>-100%</b>", "<b>+200%</b>", "<b>new</b>", "<b>+25%</b>"]
    assert_projector_type(fig)


def test_hotspot_map_rings_the_top_cells_with_viridis_colours():
    counts = pd.DataFrame({"h3": CELLS, "count": [5, 2, 9]})
    fig = meeting.hotspot_map(counts, None, top_cells=[CELLS[2]])
    (trace,) = fig.data
    assert {colour for _, colour in trace.colorscale} <= VIRIDIS
    assert trace.colorbar.tickfont.size >= meeting.MIN_FONT_SIZE
    (ring,) = fig.layout.map.layers
    assert ring.type == "line" and ring.color == meeting.HIGHLIGHT_COLOUR
    assert len(ring.source["features"]) == 1
    assert fig.layout.map.style == "white-bg"  # nothing fetched from the internet
    assert_projector_type(fig)


def test_okabe_ito_is_the_published_palette():
    assert meeting.OKABE_ITO == (
        "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
    )  # fmt: skip
