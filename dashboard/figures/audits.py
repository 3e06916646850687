"""Safety audit figures: survey indicators by ward with their 95% intervals, the dark
figure by category, feeling unsafe after dark against the after-dark share of
recorded incidents, and the places named as unsafe on the map.

Pure builders: frames from geodata.queries.audits in, figures out. Every estimate is
drawn with its interval, and every bar carries its number, so a forum reads the
uncertainty without hovering. Colours are Okabe-Ito (colour-blind safe) and the type
is larger than the dashboard default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import map as map_figures
from dashboard.figures import theme
from dashboard.figures.meeting import OKABE_ITO

FONT_SIZE = 18
ESTIMATE_COLOUR = OKABE_ITO[5]  # blue
REFERENCE_COLOUR = OKABE_ITO[6]  # vermillion
RECORD_COLOUR = OKABE_ITO[1]  # orange
INDICATOR_LABELS = {
    "unsafe_after_dark": "Feel unsafe walking after dark",
    "trust_police": "Trust the police",
}
ALL_WARDS = "all"


def indicator_label(indicator: str) -> str:
    if indicator.startswith("victimised:"):
        category = indicator.removeprefix("victimised:").replace("_", " ")
        return f"Victim of {category} (last 12 months)"
    return INDICATOR_LABELS.get(indicator, indicator.replace("_", " "))


def _layout(fig: go.Figure, title: str | None, height: int) -> go.Figure:
    theme.apply(fig)
    fig.update_layout(
        font={"size": FONT_SIZE},
        height=height,
        margin={"l": 10, "r": 30, "t": 60 if title else 20, "b": 50},
        title={"text": title, "x": 0.01, "xanchor": "left"} if title else None,
        showlegend=False,
    )
    return fig


def _labels(y, x, text) -> go.Scatter:
    """The numbers written just right of each interval, clear of the error bar."""
    return go.Scatter(
        y=y,
        x=x,
        text=text,
        mode="text",
        textposition="middle right",
        cliponaxis=False,
        showlegend=False,
        hoverinfo="skip",
        name="labels",
    )


def _percent(p: float) -> str:
    return "-" if p is None or np.isnan(p) else f"{p * 100:.0f}%"


def indicator_by_ward(table: pd.DataFrame, indicator: str, title: str | None = None) -> go.Figure:
    """One bar per ward: the weighted share (percent) with its 95% interval as an
    error bar and written beside it; the whole round's share as a dashed line.
    `table`: survey_indicators rows (ward_code, ward_name, indicator, proportion,
    low, high, respondents)."""
    rows = table[table["indicator"] == indicator]
    wards = rows[rows["ward_code"] != ALL_WARDS].sort_values("proportion", kind="stable")
    p, low, high = (wards[c].to_numpy(float) for c in ("proportion", "low", "high"))
    text = [
        f"{_percent(a)} ({_percent(lo)}-{_percent(hi)}), n={n}"
        for a, lo, hi, n in zip(p, low, high, wards["respondents"], strict=True)
    ]
    bar = go.Bar(
        x=p * 100,
        y=wards["ward_name"].fillna(wards["ward_code"]),
        orientation="h",
        marker={"color": ESTIMATE_COLOUR},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": (high - p) * 100,
            "arrayminus": (p - low) * 100,
            "color": theme.TEXT_COLOUR,
            "thickness": 2,
        },
        hovertext=text,
        hovertemplate="%{y}: %{hovertext}<extra></extra>",
        name=indicator_label(indicator),
    )
    y = wards["ward_name"].fillna(wards["ward_code"])
    fig = go.Figure([bar, _labels(y, high * 100 + 1, text)])
    overall = rows[rows["ward_code"] == ALL_WARDS]
    if len(overall):
        share = float(overall["proportion"].iloc[0]) * 100
        fig.add_vline(
            x=share,
            line={"dash": "dash", "color": REFERENCE_COLOUR, "width": 3},
            annotation_text=f"all wards {share:.0f}%",
            annotation_position="top",
        )
    fig.update_xaxes(
        title=f"{indicator_label(indicator)} (%, with 95% interval)",
        range=[0, float(np.nanmax(high, initial=0.5)) * 160 + 5],
        tickvals=[0, 20, 40, 60, 80, 100],
        ticksuffix="%",
    )
    return _layout(fig, title, height=max(320, 48 * len(wards) + 140))


def dark_figure_chart(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Per category, survey-estimated victimisations per recorded incident with its
    95% interval; the line at 1 is "as many as were recorded". `table`: dark_figures
    rows for one ward (or ALL_WARDS)."""
    rows = table.dropna(subset=["ratio"]).sort_values("ratio", kind="stable")
    ratio, low, high = (rows[c].to_numpy(float) for c in ("ratio", "ratio_low", "ratio_high"))
    labels = rows["category"].str.replace("_", " ").str.capitalize()
    text = [
        f"x{r:.1f} ({lo:.1f}-{hi:.1f}); {int(n)} recorded"
        for r, lo, hi, n in zip(ratio, low, high, rows["recorded"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=ratio,
            y=labels,
            orientation="h",
            marker={"color": ESTIMATE_COLOUR},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": high - ratio,
                "arrayminus": ratio - low,
                "color": theme.TEXT_COLOUR,
                "thickness": 2,
            },
            hovertext=text,
            hovertemplate="%{y}: %{hovertext}<extra></extra>",
            name="dark figure",
        )
    )
    fig.add_trace(_labels(labels, high * 1.02, text))
    fig.add_vline(
        x=1,
        line={"dash": "dash", "color": REFERENCE_COLOUR, "width": 3},
        annotation_text="as many as recorded",
        annotation_position="top",
    )
    top = float(np.nanmax(high)) if len(high) else 2.0
    fig.update_xaxes(
        title="Victimisations in the survey per recorded incident", range=[0, top * 1.45]
    )
    return _layout(fig, title, height=max(320, 56 * len(rows) + 140))


def perception_vs_record(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """One point per ward: the share feeling unsafe after dark (with its interval)
    against the after-dark share of its recorded incidents; the diagonal is where
    the two agree. `table`: perception_vs_record rows."""
    rows = table.dropna(subset=["after_dark_share", "proportion"])
    p, low, high = (rows[c].to_numpy(float) for c in ("proportion", "low", "high"))
    size = np.sqrt(rows["known"].to_numpy(float).clip(min=1))
    points = go.Scatter(
        x=rows["after_dark_share"] * 100,
        y=p * 100,
        mode="markers+text",
        text=rows["ward_name"],
        textposition="top center",
        marker={
            "size": 10 + 30 * size / max(size.max(), 1),
            "color": ESTIMATE_COLOUR,
            "line": {"color": theme.TEXT_COLOUR, "width": 1},
        },
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (high - p) * 100,
            "arrayminus": (p - low) * 100,
            "color": theme.MUTED_COLOUR,
        },
        customdata=np.column_stack([rows["known"], rows["respondents"]]),
        hovertemplate="%{text}<br>%{y:.0f}% feel unsafe after dark (n=%{customdata[1]})"
        "<br>%{x:.0f}% of %{customdata[0]} incidents after dark<extra></extra>",
        name="wards",
    )
    fig = go.Figure(points)
    fig.add_trace(
        go.Scatter(
            x=[0, 100],
            y=[0, 100],
            mode="lines",
            name="agreement",
            line={"dash": "dot", "color": REFERENCE_COLOUR, "width": 2},
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(title="Recorded incidents after dark (%)", range=[0, 100], ticksuffix="%")
    fig.update_yaxes(title="Feel unsafe after dark (%)", range=[0, 100], ticksuffix="%")
    return _layout(fig, title, height=560)


def unsafe_places_map(
    places: pd.DataFrame,
    wards: dict | None = None,
    *,
    attribution: str | None = None,
    style: str = "white-bg",
    height_px: int = 560,
) -> go.Figure:
    """Places named as unsafe, matched to the gazetteer, as circles sized by how
    many respondents named them, over ward outlines. Unmatched texts are left out
    (list them beside the map). `places`: unsafe_places rows."""
    placed = places.dropna(subset=["lat", "lon"])
    mentions = placed["mentions"].to_numpy(float)
    trace = go.Scattermap(
        lat=placed["lat"],
        lon=placed["lon"],
        mode="markers",
        marker={
            "size": 8 + 32 * np.sqrt(mentions / max(mentions.max(), 1)) if len(mentions) else [],
            "color": REFERENCE_COLOUR,
            "opacity": 0.8,
        },
        text=placed["name"],
        customdata=placed["mentions"],
        hovertemplate="%{text}: named by %{customdata} respondents<extra></extra>",
        name="unsafe places",
    )
    has_wards = bool(wards and wards.get("features"))
    bounds = None
    if len(placed):
        bounds = (
            placed["lon"].min(),
            placed["lat"].min(),
            placed["lon"].max(),
            placed["lat"].max(),
        )
    elif has_wards:
        bounds = map_figures.geojson_bounds(wards)
    centre, zoom = map_figures.view_for_bounds(
        bounds or map_figures.KENYA_BOUNDS, height_px=height_px
    )
    fig = go.Figure(trace)
    theme.apply(fig)
    fig.update_layout(
        font={"size": FONT_SIZE},
        height=height_px,
        map={
            "style": style,
            "center": centre,
            "zoom": min(zoom, 15),
            "layers": [map_figures.ward_layer(wards)] if has_wards else [],
        },
        showlegend=False,
    )
    if attribution:
        fig.add_annotation(
            text=attribution,
            x=0,
            y=0,
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font={"size": 12, "color": theme.MUTED_COLOUR},
            bgcolor="rgba(255,255,255,0.8)",
        )
    return fig
