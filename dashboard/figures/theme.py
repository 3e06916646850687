"""One look for every figure: system fonts (nothing fetched), large type that reads on
a projector, and colour scales that colour-blind viewers and greyscale prints read
the same way."""

from __future__ import annotations

import plotly.graph_objects as go

# The fonts already on the viewer's machine; no web font is ever requested.
FONT_FAMILY = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif'
)
FONT_SIZE = 16
TEXT_COLOUR = "#111111"
MUTED_COLOUR = "#4a4a4a"
BACKGROUND = "#ffffff"

# Viridis reversed: few incidents pale yellow, many dark purple. Perceptually
# uniform and readable with every common colour-vision deficiency; darker means
# more, which also survives greyscale printing.
SEQUENTIAL: list[list[float | str]] = [
    [0.0, "#fde725"],
    [0.125, "#b5de2b"],
    [0.25, "#6ece58"],
    [0.375, "#35b779"],
    [0.5, "#1f9e89"],
    [0.625, "#26828e"],
    [0.75, "#31688e"],
    [0.875, "#3e4989"],
    [1.0, "#440154"],
]

WARD_OUTLINE_COLOUR = "#222222"
WARD_OUTLINE_WIDTH = 1.2
HEX_EDGE_COLOUR = "rgba(255, 255, 255, 0.6)"


def base_layout() -> dict:
    """Layout settings every figure shares."""
    return {
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": TEXT_COLOUR},
        "paper_bgcolor": BACKGROUND,
        "plot_bgcolor": BACKGROUND,
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": FONT_SIZE + 2}},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
    }


def figure(data, **layout) -> go.Figure:
    """A figure of `data` with the shared look and `layout` over it, validated once
    (`apply` then `update_layout` walks the layout twice: a third of a clock's time)."""
    return go.Figure(data=data, layout={**base_layout(), **layout})


def apply(fig: go.Figure) -> go.Figure:
    fig.update_layout(**base_layout())
    return fig
