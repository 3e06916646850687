"""The justice chain: how many reported cases were investigated, taken to court and
decided (convicted, acquitted, withdrawn, resolved locally), how long cases wait at
each stage, the open cases waiting longest, and the change between two periods;
by category, agency and ward. Built from the statuses the registers carry over
time. Team only: the waiting cases are listed by the registers' references."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import components, ids
from geodata.categories import CATEGORIES
from geodata.db import get_engine
from geodata.queries import sources, wards

dash.register_page(
    __name__,
    path="/justice",
    name="Justice chain",
    title="Justice chain · Crime and violence observatory",
    order=71,
)

# Each figure sets its own height (a bar per ward or category): no fixed-height box.
_GRAPH = {"displaylogo": False}
BY_OPTIONS = [
    {"label": "All together", "value": "none"},
    {"label": "By category", "value": "category"},
    {"label": "By agency", "value": "agency"},
    {"label": "By ward", "value": "ward_code"},
]
PERIOD_OPTIONS = [
    {"label": "Last 3 months against the 3 before", "value": 3},
    {"label": "Last 6 months against the 6 before", "value": 6},
]


def _multi(label: str, component_id: str, options: list[dict], placeholder: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=component_id, className="filter-label"),
            dcc.Dropdown(
                id=component_id, options=options, value=[], multi=True, placeholder=placeholder
            ),
        ],
        className="filter filter-wide",
    )


def _filters(engine) -> html.Div:
    agencies = sources.agency_summary(engine)["agency"].tolist()
    ward_rows = wards.ward_table(engine)
    return html.Div(
        [
            _multi(
                "Categories",
                ids.JUS_CATEGORIES,
                components.category_options(CATEGORIES),
                "All categories",
            ),
            _multi(
                "Agencies",
                ids.JUS_AGENCIES,
                [{"label": a, "value": a} for a in agencies],
                "All agencies",
            ),
            _multi(
                "Wards",
                ids.JUS_WARDS,
                [{"label": n, "value": c} for c, n in ward_rows[["code", "name"]].to_numpy()],
                "All wards",
            ),
        ],
        className="filter-bar",
        role="search",
    )


def layout(**_query) -> html.Div:
    return html.Div(
        [
            html.H1("The justice chain", className="page-title"),
            _filters(get_engine()),
            html.P(id=ids.JUS_STATUS, className="status", role="status"),
            html.H2("From report to outcome"),
            dcc.Graph(id=ids.JUS_FUNNEL, config=_GRAPH, className="audit-graph"),
            html.Div(
                [
                    html.Label("Compare", htmlFor=ids.JUS_BY, className="filter-label"),
                    dcc.RadioItems(
                        id=ids.JUS_BY, options=BY_OPTIONS, value="category", inline=True
                    ),
                ],
                className="filter",
            ),
            html.Div(id=ids.JUS_FUNNEL_TABLE, className="table-wrap"),
            html.H2("Days at each stage"),
            dcc.Graph(id=ids.JUS_DURATIONS, config=_GRAPH, className="audit-graph"),
            html.H2("Open cases waiting longest"),
            html.Div(id=ids.JUS_STUCK, className="table-wrap"),
            html.H2("Change between periods"),
            dcc.RadioItems(id=ids.JUS_PERIOD, options=PERIOD_OPTIONS, value=6, inline=True),
            dcc.Graph(id=ids.JUS_CHANGE, config=_GRAPH, className="audit-graph"),
        ],
        className="page page-justice",
    )
