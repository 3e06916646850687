"""Feedback on police services: mean rating per station by month, complaints by
category, and trust in police from the surveys, for one page.

Pure builders: frames from geodata.queries.feedback and .audits in, figures out;
Okabe-Ito colours, one per station, in a fixed order so a station keeps its colour.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import theme
from dashboard.figures.meeting import OKABE_ITO

FONT_SIZE = 18
STATION_COLOURS = OKABE_ITO[5:] + OKABE_ITO[1:5] + OKABE_ITO[:1]
MIN_RATED = 5  # fewer ratings in a month: the point is drawn hollow


def _layout(fig: go.Figure, title: str | None, height: int) -> go.Figure:
    theme.apply(fig)
    fig.update_layout(
        font={"size": FONT_SIZE},
        height=height,
        margin={"l": 10, "r": 30, "t": 60 if title else 20, "b": 50},
        title={"text": title, "x": 0.01, "xanchor": "left"} if title else None,
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def station_colour(stations: list[str], station: str) -> str:
    return STATION_COLOURS[sorted(stations).index(station) % len(STATION_COLOURS)]


def ratings_over_time(monthly: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Mean rating (1-5) per station and month, one line per station; months with
    fewer than MIN_RATED ratings are hollow points. `monthly`: feedback_monthly rows."""
    stations = sorted(monthly["station"].unique())
    traces = []
    for station in stations:
        rows = monthly[monthly["station"] == station].sort_values("month")
        few = rows["rated"] < MIN_RATED
        colour = station_colour(stations, station)
        traces.append(
            go.Scatter(
                x=rows["month"],
                y=rows["mean_rating"],
                name=station,
                mode="lines+markers",
                line={"color": colour, "width": 3},
                marker={
                    "size": 11,
                    "color": ["white" if f else colour for f in few],
                    "line": {"color": colour, "width": 2},
                },
                customdata=rows["rated"],
                hovertemplate="%{x|%b %Y}: %{y:.1f} from %{customdata} ratings"
                "<extra>" + station + "</extra>",
            )
        )
    fig = go.Figure(traces)
    fig.update_yaxes(title="Mean rating (1-5)", range=[1, 5.2], dtick=1)
    fig.update_xaxes(title=None, dtick="M1", tickformat="%b\n%Y")
    return _layout(fig, title, height=440)


def complaints_by_category(complaints: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Complaints per category, stacked by station, with the share resolved written
    on each bar. `complaints`: feedback_complaints rows."""
    stations = sorted(complaints["station"].unique())
    totals = complaints.groupby("complaint_category")[["complaints", "resolved"]].sum()
    order = totals.sort_values("complaints").index.tolist()
    traces = []
    for station in stations:
        rows = complaints[complaints["station"] == station].set_index("complaint_category")
        rows = rows[["complaints"]].reindex(order, fill_value=0)
        traces.append(
            go.Bar(
                y=[c.replace("_", " ") for c in order],
                x=rows["complaints"],
                name=station,
                orientation="h",
                marker={"color": station_colour(stations, station)},
                hovertemplate="%{y}: %{x} complaints<extra>" + station + "</extra>",
            )
        )
    fig = go.Figure(traces)
    fig.add_trace(
        go.Scatter(
            y=[c.replace("_", " ") for c in order],
            x=totals.loc[order, "complaints"],
            mode="text",
            text=[
                f"  {t} ({r / t:.0%} resolved)" if t else ""
                for t, r in zip(
                    totals.loc[order, "complaints"], totals.loc[order, "resolved"], strict=True
                )
            ],
            textposition="middle right",
            showlegend=False,
            hoverinfo="skip",
        )
    )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="Complaints", range=[0, totals["complaints"].max() * 1.5 + 1])
    return _layout(fig, title, height=max(320, 50 * len(order) + 160))


def trust_over_rounds(trust: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Trust in police per survey round (share with 95% interval). `trust`:
    trust_in_police rows (round, proportion, low, high, respondents)."""
    p = trust["proportion"] * 100
    fig = go.Figure(
        go.Scatter(
            x=trust["round"],
            y=p,
            mode="markers+lines+text",
            text=[f"{v:.0f}%" for v in p],
            textposition="middle right",
            marker={"size": 14, "color": OKABE_ITO[5]},
            line={"color": OKABE_ITO[5]},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": trust["high"] * 100 - p,
                "arrayminus": p - trust["low"] * 100,
            },
            customdata=trust["respondents"],
            hovertemplate="%{x}: %{y:.0f}% trust the police (n=%{customdata})<extra></extra>",
            name="trust in police",
        )
    )
    fig.update_yaxes(title="Trust the police (%, 95% interval)", range=[0, 100], ticksuffix="%")
    fig.update_layout(showlegend=False)
    return _layout(fig, title, height=380)
