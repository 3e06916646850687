"""The crime chart/graph: monthly trends by category and by agency, the last 28 days
against the 28 before and the year to date against last year, and the CompStat
table by ward."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import filter_bar, ids, options

dash.register_page(
    __name__,
    path="/trends",
    name="Trends",
    title="Trends · Crime and violence observatory",
    order=30,
)

_GRAPH = {"displaylogo": False, "responsive": True}


def layout(**query) -> html.Div:
    _state, bar, status = filter_bar.page_filters(query, options.current().public)
    return html.Div(
        [
            html.H1("Trends", className="page-title"),
            bar,
            html.P(status, className="status", role="status"),
            html.P(
                "Comparisons end on the last day of the chosen dates.",
                className="note",
            ),
            html.Section(id=ids.TREND_CARDS, className="headlines", **{"aria-live": "polite"}),
            html.H2("Incidents per month by category"),
            dcc.Graph(id=ids.TREND_CATEGORY, config=_GRAPH, className="analytics-graph"),
            html.H2("Forum actions over the same months"),
            dcc.Graph(id=ids.TREND_ACTIONS, config={"displaylogo": False, "responsive": False}),
            html.H2("Incidents per month by agency"),
            dcc.Graph(id=ids.TREND_AGENCY, config=_GRAPH, className="analytics-graph"),
            html.H2("CompStat by ward"),
            html.Div(id=ids.TREND_COMPSTAT, className="table-wrap"),
        ],
        className="page page-trends",
    )
