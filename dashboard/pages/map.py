"""The incident map: hexagons coloured by count, ward outlines, filters and headline
numbers. The filters start from the URL query string so a view can be bookmarked."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import components, filters, ids, options
from geodata.db import get_engine
from geodata.queries import maps

dash.register_page(
    __name__,
    path="/",
    name="Map",
    title="Incident map · Crime and violence observatory",
    order=0,
)


def _filter_bar(state: filters.MapFilters, first, last, public: bool) -> html.Div:
    allowed = filters.allowed_categories(public)
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Dates", htmlFor=ids.MAP_DATES, className="filter-label"),
                    dcc.DatePickerRange(
                        id=ids.MAP_DATES,
                        start_date=state.start,
                        end_date=state.end,
                        min_date_allowed=first,
                        max_date_allowed=last,
                        display_format="D MMM YYYY",
                        first_day_of_week=1,
                    ),
                ],
                className="filter",
            ),
            html.Div(
                [
                    html.Label("Categories", htmlFor=ids.MAP_CATEGORIES, className="filter-label"),
                    dcc.Dropdown(
                        id=ids.MAP_CATEGORIES,
                        options=components.category_options(allowed),
                        value=list(state.categories),
                        multi=True,
                        placeholder="All categories",
                    ),
                ],
                className="filter filter-wide",
            ),
        ],
        className="filter-bar",
        role="search",
    )


def layout(start=None, end=None, categories=None, **_other) -> html.Div:
    """The page for the query string's filters (defaults: the last 12 months)."""
    public = options.current().public
    first, last = maps.date_bounds(get_engine())
    state = filters.from_values(start, end, categories, first=first, last=last, public=public)
    status = (
        "No incidents loaded yet: load agency files with `observatory ingest`."
        if last is None
        else ""
    )
    return html.Div(
        [
            html.H1("Incidents on the map", className="page-title"),
            _filter_bar(state, first, last, public),
            html.P(status, id=ids.MAP_STATUS, className="status", role="status"),
            html.Section(id=ids.MAP_HEADLINES, className="headlines", **{"aria-live": "polite"}),
            dcc.Graph(
                id=ids.MAP_GRAPH,
                className="map-graph",
                config={"displaylogo": False, "scrollZoom": True, "responsive": True},
            ),
            html.Footer(id=ids.MAP_ATTRIBUTION, className="attribution"),
            dcc.Store(id=ids.MAP_DRAWN),
            html.Div(id=ids.MAP_URL_SYNC, hidden=True),
        ],
        className="page page-map",
    )
