"""The hot-spot map: hexagons (H3 resolution 7, 8 or 9) or wards, coloured by
incidents, rate per 1,000 residents, Gi* hot-spot class or emerging hot-spot class.
Clicking a hexagon or ward focuses every analytics page on it (the `focus` filter in
the URL)."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import filter_bar, ids, options
from dashboard.figures.hotspots import MEASURES, RESOLUTIONS, parse_measure, parse_res

dash.register_page(
    __name__,
    path="/hotspots",
    name="Hot spots",
    title="Hot spots · Crime and violence observatory",
    order=10,
)


def layout(res=None, measure=None, **query) -> html.Div:
    """The page for the query string's filters, resolution and measure."""
    _state, bar, status = filter_bar.page_filters(query, options.current().public)
    return html.Div(
        [
            html.H1("Hot spots", className="page-title"),
            bar,
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Show", htmlFor=ids.HOT_RES, className="filter-label"),
                            dcc.RadioItems(
                                id=ids.HOT_RES,
                                options=list(RESOLUTIONS),
                                value=parse_res(res),
                                inline=True,
                            ),
                        ],
                        className="filter filter-wide",
                    ),
                    html.Div(
                        [
                            html.Label(
                                "Colour by", htmlFor=ids.HOT_MEASURE, className="filter-label"
                            ),
                            dcc.RadioItems(
                                id=ids.HOT_MEASURE,
                                options=[{"label": v, "value": k} for k, v in MEASURES.items()],
                                value=parse_measure(measure),
                                inline=True,
                            ),
                        ],
                        className="filter filter-wide",
                    ),
                ],
                className="filter-bar",
            ),
            html.P(status, id=ids.HOT_STATUS, className="status", role="status"),
            dcc.Graph(
                id=ids.HOT_MAP,
                className="map-graph",
                config={"displaylogo": False, "scrollZoom": True, "responsive": True},
            ),
            html.Section(id=ids.HOT_SUMMARY, className="summary", **{"aria-live": "polite"}),
            html.P(
                [
                    "Click a hexagon or ward to focus every page on it. Hot spots: Getis-Ord "
                    "Gi* on the hexagon grid with a false discovery rate correction; emerging "
                    "hot spots need at least ten months. See ",
                    html.A("how the statistics are computed", href="/about"),
                    ".",
                ],
                className="note",
            ),
            html.Footer(id=ids.HOT_ATTRIBUTION, className="attribution"),
            dcc.Store(id=ids.HOT_DRAWN),
            html.Div(id=ids.HOT_URL_SYNC, hidden=True),
        ],
        className="page page-hotspots",
    )
