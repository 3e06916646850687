"""The crime chart/graph: monthly trend lines by category or agency, the 28-day and
year-to-date comparison cards, and the CompStat table by ward with percent change
and a warning where numbers are too small to read a change into. Pure builders."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.figures import theme
from dashboard.figures.clock import CATEGORY_COLOURS
from geodata.stats.trends import SMALL_NUMBER

TOP_LINES = 6
SMALL_WARNING = f"Fewer than {SMALL_NUMBER} incidents: a change this small is mostly chance."
WARNING_MARK = "⚠"


def monthly_lines(
    monthly: pd.DataFrame, labels: Mapping | None = None, top: int = TOP_LINES
) -> go.Figure:
    """One line per group (monthly_counts output: month, group, count), the `top`
    largest groups by total, every month shown even with no incident."""
    labels = labels or {}
    totals = monthly.groupby("group")["count"].sum().sort_values(ascending=False, kind="stable")
    fig = go.Figure()
    for i, group in enumerate(totals.index[:top]):
        rows = monthly[monthly["group"] == group].sort_values("month")
        name = str(labels.get(group, group))
        fig.add_trace(
            go.Scatter(
                x=rows["month"].dt.strftime("%Y-%m-%d").tolist(),
                y=rows["count"].round(1).tolist(),
                mode="lines+markers",
                name=name,
                line={"color": CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)], "width": 3},
                hovertemplate=f"{name}<br>%{{x|%b %Y}}: %{{y:,.0f}}<extra></extra>",
            )
        )
    theme.apply(fig)
    fig.update_layout(
        xaxis={"tickformat": "%b %Y", "dtick": "M1", "title": None},
        yaxis={"title": "Incidents per month", "rangemode": "tozero", "tickformat": ",.0f"},
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 70, "r": 10, "t": 10, "b": 80},
        hovermode="x unified",
    )
    return fig


def _change_text(label: str, small: bool) -> list:
    parts: list = [html.Span(label, className="change")]
    if small:
        parts.append(html.Span(f" {WARNING_MARK}", className="small-number", title=SMALL_WARNING))
    return parts


def period_card(title: str, card: Mapping, value_id: str) -> html.Div:
    """A comparison card: current count, previous count, change, small-number note."""
    (c0, c1), (p0, p1) = card["current_period"], card["previous_period"]
    return html.Div(
        [
            html.Div(title, className="headline-label"),
            html.Div(f"{card['current']:,}", id=value_id, className="headline-value"),
            html.Div(
                [f"vs {card['previous']:,} · ", *_change_text(card["label"], card["small_number"])],
                className="headline-note",
            ),
            html.Div(
                f"{c0:%d %b %Y}–{c1:%d %b %Y} vs {p0:%d %b %Y}–{p1:%d %b %Y}",
                className="headline-note",
            ),
            html.Div(SMALL_WARNING, className="small-number-note")
            if card["small_number"]
            else None,
        ],
        className="headline",
    )


COMPSTAT_HEADER = (
    "Ward",
    "Last 28 days",
    "28 days before",
    "Change",
    "Year to date",
    "Same days last year",
    "Change",
)


def compstat_rows(table: pd.DataFrame) -> list[dict]:
    """compstat_by_ward rows as plain values for display (and tests)."""
    return [
        {
            "ward": row["ward"],
            "name": row["name"],
            "recent": int(row["recent"]),
            "before": int(row["before"]),
            "label_28": row["label_28"],
            "small_28": bool(row["small_28"]),
            "ytd": int(row["ytd"]),
            "ytd_last_year": int(row["ytd_last_year"]),
            "label_ytd": row["label_ytd"],
            "small_ytd": bool(row["small_ytd"]),
        }
        for _, row in table.iterrows()
    ]


def compstat_html(table: pd.DataFrame, table_id: str) -> html.Table:
    """The CompStat table: wards by largest 28-day rise, totals last; a warning mark
    (with its explanation on hover and in the caption) on small numbers."""
    body = []
    for row in compstat_rows(table):
        total = row["ward"] == "All wards"
        body.append(
            html.Tr(
                [
                    html.Td(row["name"]),
                    html.Td(f"{row['recent']:,}", className="number"),
                    html.Td(f"{row['before']:,}", className="number"),
                    html.Td(_change_text(row["label_28"], row["small_28"]), className="number"),
                    html.Td(f"{row['ytd']:,}", className="number"),
                    html.Td(f"{row['ytd_last_year']:,}", className="number"),
                    html.Td(_change_text(row["label_ytd"], row["small_ytd"]), className="number"),
                ],
                className="total" if total else None,
            )
        )
    return html.Table(
        [
            html.Caption(f"{WARNING_MARK} {SMALL_WARNING}"),
            html.Thead(html.Tr([html.Th(h) for h in COMPSTAT_HEADER])),
            html.Tbody(body),
        ],
        id=table_id,
        className="table compstat",
    )
