"""Completeness: for each ward and month, which agencies reported and how many events
the police alone, the other agencies alone, or both recorded; and per category a
two-source capture-recapture (Chapman) estimate of the events no agency recorded,
with its interval and the assumptions it rests on, where the overlap allows one.

For the team only (declared in `dashboard.callbacks.links`)."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids

dash.register_page(
    __name__,
    path="/completeness",
    name="Completeness",
    title="Completeness · Crime and violence observatory",
    order=86,
)


def layout(**_query) -> html.Div:
    return html.Div(
        [
            html.H1("Who recorded what", className="page-title"),
            html.P(id=ids.CMP_STATUS, className="status", role="status"),
            html.H2("Events no agency recorded (estimate)"),
            html.Div(
                [
                    html.Div(id=ids.CMP_ESTIMATES, className="table-wrap"),
                    html.Aside(id=ids.CMP_ASSUMPTIONS),
                ],
                className="completeness-estimates",
            ),
            html.H2("By ward and month"),
            dcc.Graph(id=ids.CMP_GRAPH, config={"displaylogo": False, "responsive": True}),
            html.Div(id=ids.CMP_TABLE, className="table-wrap"),
            html.Div(id=ids.CMP_LOAD, hidden=True),
        ],
        className="page page-completeness",
    )
