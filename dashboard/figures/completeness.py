"""Completeness page pieces: which agencies saw which events, by ward and month, and
the capture-recapture estimates with their assumptions beside them.

Pure builders: frames from geodata.queries.linkage in, Dash components or a figure out.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from dashboard.figures import theme
from dashboard.markdown_table import markdown_table
from geodata.categories import LABELS

SOURCE_COLOURS = {"police_only": "#0072B2", "both": "#009E73", "other_only": "#E69F00"}
SOURCE_LABELS = {
    "police_only": "police only",
    "both": "police and another agency",
    "other_only": "other agencies only",
}
TABLE_HEADER = ("Month", "Ward", "Agencies that reported", *SOURCE_LABELS.values())


def _ward(name: object) -> str:
    return name if isinstance(name, str) and name else "no ward known"


def ward_month_table(table: pd.DataFrame, max_rows: int = 400) -> dcc.Markdown:
    """geodata.queries.linkage.completeness_by_ward_month as a table (first rows), one
    Markdown component (dashboard.markdown_table)."""
    head = table.head(max_rows)
    counts = [head[column].astype("int64").map("{:,}".format) for column in SOURCE_LABELS]
    rows = zip(
        pd.to_datetime(head["month"]).dt.strftime("%b %Y"),
        head["ward_name"].map(_ward),
        head["agencies"],
        *counts,
        strict=True,
    )
    right = range(3, len(TABLE_HEADER))
    return dcc.Markdown(markdown_table(TABLE_HEADER, rows, right=right), className="table-md")


def sources_by_month(table: pd.DataFrame) -> go.Figure:
    """Events per month, stacked by who recorded them (every ward together)."""
    monthly = table.groupby("month")[list(SOURCE_LABELS)].sum().sort_index()
    fig = go.Figure(
        [
            go.Bar(
                x=list(monthly.index),
                y=monthly[column].tolist(),
                name=label,
                marker_color=SOURCE_COLOURS[column],
                hovertemplate=f"%{{y:,}} events {label}<extra></extra>",
            )
            for column, label in SOURCE_LABELS.items()
        ]
    )
    theme.apply(fig)
    fig.update_layout(
        barmode="stack",
        yaxis_title="events",
        xaxis={"tickformat": "%b %Y"},
        legend={"orientation": "h", "y": 1.08, "x": 0},
    )
    return fig


def _label(category: str) -> str:
    return LABELS.get(category, category.capitalize())


def _interval(row: dict) -> str:
    if not row["enough_overlap"]:
        return "not enough overlap"
    return (
        f"{row['estimated_total']:,.0f} ({row['interval_low']:,.0f} to {row['interval_high']:,.0f})"
    )


def estimates_table(estimates: pd.DataFrame, min_overlap: int) -> html.Table:
    """Per category: events the police, the others and both recorded, and the Chapman
    estimate of all events with its 95 % interval, or "not enough overlap"."""
    header = (
        "Category", "Police", "Other agencies", "Both", "Recorded by any",
        "Estimated events (95 % interval)", "Recorded by none (estimate)",
    )  # fmt: skip
    rows = [
        html.Tr(
            [
                html.Td(_label(row["category"])),
                *(html.Td(f"{int(row[c]):,}", className="number") for c in ("n1", "n2", "m")),
                html.Td(f"{int(row['seen']):,}", className="number"),
                html.Td(_interval(row), className="number" if row["enough_overlap"] else "muted"),
                html.Td(
                    f"{row['unrecorded']:,.0f}" if row["enough_overlap"] else "–",
                    className="number",
                ),
            ],
            title=row["sentence"],
            className=None if row["enough_overlap"] else "withheld",
        )
        for row in estimates.to_dict("records")
    ]
    return html.Table(
        [
            html.Caption(
                f"Estimates are shown only where at least {min_overlap} events were recorded "
                "by both the police and another agency."
            ),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in header])),
            html.Tbody(rows),
        ],
        className="data-table",
    )


def assumptions_list(assumptions: Sequence[str]) -> html.Div:
    """The assumptions, stated beside the estimates they qualify."""
    return html.Div(
        [
            html.H3("What the estimate assumes"),
            html.Ul([html.Li(a) for a in assumptions]),
            html.P(
                "Where these do not hold the estimate is biased, usually too low: read it as "
                "a lower bound on how much goes unrecorded, not as a count."
            ),
        ],
        className="assumptions",
    )
