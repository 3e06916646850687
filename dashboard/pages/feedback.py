"""Feedback on police services: ratings per station over time, complaints by
category and how many were resolved, beside trust in the police from the safety
audit surveys. Team only."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from geodata.db import get_engine
from geodata.queries import feedback

dash.register_page(
    __name__,
    path="/feedback",
    name="Police feedback",
    title="Feedback on police services · Crime and violence observatory",
    order=72,
)

# Each figure sets its own height (a bar per ward or category): no fixed-height box.
_GRAPH = {"displaylogo": False}


def layout(**_query) -> html.Div:
    stations = feedback.feedback_stations(get_engine())
    status = (
        "No feedback loaded yet: load a file with `observatory feedback load`."
        if not stations
        else ""
    )
    return html.Div(
        [
            html.H1("Feedback on police services", className="page-title"),
            html.Div(
                html.Div(
                    [
                        html.Label("Stations", htmlFor=ids.FB_STATIONS, className="filter-label"),
                        dcc.Dropdown(
                            id=ids.FB_STATIONS,
                            options=[{"label": s, "value": s} for s in stations],
                            value=[],
                            multi=True,
                            placeholder="All stations",
                        ),
                    ],
                    className="filter filter-wide",
                ),
                className="filter-bar",
                role="search",
            ),
            html.P(status, id=ids.FB_STATUS, className="status", role="status"),
            html.Section(id=ids.FB_HEADLINES, className="headlines", **{"aria-live": "polite"}),
            html.Div(id=ids.FB_STATION_TABLE, className="table-wrap"),
            html.H2("Mean rating per month"),
            html.P(
                "Hollow points: months with fewer than 5 ratings, too few to read much into.",
                className="note",
            ),
            dcc.Graph(id=ids.FB_RATINGS, config=_GRAPH, className="audit-graph"),
            html.H2("Complaints by category, and the share resolved"),
            dcc.Graph(id=ids.FB_COMPLAINTS, config=_GRAPH, className="audit-graph"),
            html.H2("Trust in the police (safety audit surveys)"),
            dcc.Graph(id=ids.FB_TRUST, config=_GRAPH, className="audit-graph"),
        ],
        className="page page-feedback",
    )
