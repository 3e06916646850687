"""The crime clock: a 24-hour radial clock by category, a weekday x hour heat map,
incidents with a date but no time shown apart (by weekday, never at an hour), and
the daylight/darkness split. Pure builders over geodata.queries.analytics'
ClockTables and daylight_counts frames (geodata.queries.clock)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import theme
from geodata.categories import LABELS
from geodata.stats.aoristic import WEEKDAYS

TOP_CATEGORIES = 5
OTHERS = "All other categories"
# Okabe-Ito: distinguishable with every common colour-vision deficiency.
CATEGORY_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#999999")
DAYLIGHT_COLOUR = "#E69F00"
DARKNESS_COLOUR = "#1f2a44"
UNKNOWN_COLOUR = "#bbbbbb"


def _label(category: str) -> str:
    return LABELS.get(category, category)


def top_categories(hour: pd.DataFrame, top: int = TOP_CATEGORIES) -> pd.DataFrame:
    """`hour` (category, hour, weight) with all but the `top` heaviest categories
    merged into one, ordered heaviest first (the merged one last)."""
    totals = hour.groupby("category")["weight"].sum().sort_values(ascending=False, kind="stable")
    keep = list(totals.index[:top])
    merged = hour.assign(category=hour["category"].where(hour["category"].isin(keep), OTHERS))
    summed = merged.groupby(["category", "hour"], as_index=False)["weight"].sum()
    order = {c: i for i, c in enumerate([*keep, OTHERS])}
    return summed.sort_values(
        ["category", "hour"], key=lambda s: s.map(order) if s.name == "category" else s
    )


def peak_hours(hour: pd.DataFrame, n: int = 3) -> list[int]:
    """The `n` hours of the day with the most (weighted) incidents, heaviest first."""
    by_hour = hour.groupby("hour")["weight"].sum().reindex(range(24), fill_value=0.0)
    return [int(h) for h in by_hour.sort_values(ascending=False, kind="stable").index[:n]]


def radial_clock(hour: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """A 24-hour clock (midnight at the top, clockwise), one stacked ring segment per
    hour and category (the top categories, the rest merged)."""
    traces = []
    frame = top_categories(hour)
    for i, (category, rows) in enumerate(frame.groupby("category", sort=False)):
        label = category if category == OTHERS else _label(category)
        traces.append(
            go.Barpolar(
                r=rows["weight"].round(2).tolist(),
                theta=(rows["hour"] * 15 + 7.5).tolist(),
                width=[15] * len(rows),
                name=label,
                marker={"color": CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)]},
                customdata=rows["hour"].tolist(),
                hovertemplate=f"{label}<br>%{{customdata}}:00-%{{customdata}}:59: "
                "%{r:,.1f} incidents<extra></extra>",
            )
        )
    return theme.figure(
        traces,
        polar={
            "angularaxis": {
                "rotation": 90,
                "direction": "clockwise",
                "tickmode": "array",
                "tickvals": [h * 15 for h in range(0, 24, 3)],
                "ticktext": [f"{h:02d}:00" for h in range(0, 24, 3)],
            },
            "radialaxis": {"showticklabels": True, "tickformat": ",.0f"},
            "barmode": "stack",
        },
        legend={"orientation": "h", "y": -0.1},
        margin={"l": 40, "r": 40, "t": 40 if title else 20, "b": 40},
        **({"title": {"text": title}} if title else {}),
    )


def weekday_hour_heatmap(weekday_hour: pd.DataFrame) -> go.Figure:
    """Weekday (rows, Monday first) x hour of day, all chosen categories together."""
    grid = (
        weekday_hour.groupby(["weekday", "hour"])["weight"]
        .sum()
        .unstack("hour")
        .reindex(index=range(7), columns=range(24), fill_value=0.0)
        .fillna(0.0)
    )
    return theme.figure(
        go.Heatmap(
            z=grid.round(2).to_numpy().tolist(),
            x=[f"{h:02d}" for h in range(24)],
            y=list(WEEKDAYS),
            colorscale=theme.SEQUENTIAL,
            zmin=0,
            colorbar={"title": {"text": "Incidents", "side": "right"}, "thickness": 14},
            hovertemplate="%{y} %{x}:00: %{z:,.1f} incidents<extra></extra>",
        ),
        yaxis={"autorange": "reversed", "title": None},
        xaxis={"title": "Hour of day"},
        margin={"l": 50, "r": 10, "t": 10, "b": 50},
    )


def date_only_bars(date_only: pd.DataFrame) -> go.Figure:
    """Incidents with a date but no time, by weekday: never drawn at an hour."""
    by_day = date_only.groupby("weekday")["weight"].sum().reindex(range(7), fill_value=0.0)
    return theme.figure(
        go.Bar(
            x=list(WEEKDAYS),
            y=by_day.round(2).tolist(),
            marker={"color": UNKNOWN_COLOUR, "line": {"color": "#555555", "width": 1}},
            hovertemplate="%{x}: %{y:,.1f} incidents, time not recorded<extra></extra>",
        ),
        yaxis={"title": "Incidents", "tickformat": ",.0f"},
        margin={"l": 60, "r": 10, "t": 10, "b": 40},
    )


def daylight_bars(daylight: pd.DataFrame, top: int = 8) -> go.Figure:
    """Per category (heaviest first): incidents in daylight, in darkness, and with
    no time or place, as horizontal stacked bars."""
    rows = daylight.sort_values("total", ascending=False, kind="stable").head(top).iloc[::-1]
    labels = [_label(c) for c in rows["category"]]
    traces = [
        go.Bar(
            y=labels,
            x=rows[column].round(1).tolist(),
            name=name,
            orientation="h",
            marker={"color": colour},
            hovertemplate=f"%{{y}}: %{{x:,.1f}} in {name.lower()}<extra></extra>",
        )
        for column, name, colour in (
            ("daylight", "Daylight", DAYLIGHT_COLOUR),
            ("darkness", "Darkness", DARKNESS_COLOUR),
            ("unknown", "No time or place", UNKNOWN_COLOUR),
        )
    ]
    return theme.figure(
        traces,
        barmode="stack",
        legend={"orientation": "h", "y": -0.15},
        xaxis={"title": "Incidents", "tickformat": ",.0f"},
        margin={"l": 140, "r": 10, "t": 10, "b": 60},
    )
