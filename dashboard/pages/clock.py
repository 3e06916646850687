"""The crime clock: when incidents happen, by hour and weekday, with incidents known
only as a window spread over its hours and those with no time shown apart."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import filter_bar, ids, options

dash.register_page(
    __name__,
    path="/clock",
    name="Crime clock",
    title="Crime clock · Crime and violence observatory",
    order=20,
)

_GRAPH = {"displaylogo": False, "responsive": True}


def _panel(title: str, graph_id: str, note: str = "") -> html.Section:
    return html.Section(
        [
            html.H2(title),
            html.P(note, className="note") if note else None,
            dcc.Graph(id=graph_id, config=_GRAPH, className="analytics-graph"),
        ],
        className="panel",
    )


def layout(**query) -> html.Div:
    _state, bar, status = filter_bar.page_filters(query, options.current().public)
    return html.Div(
        [
            html.H1("Crime clock", className="page-title"),
            bar,
            html.P(status, className="status", role="status"),
            html.Section(id=ids.CLOCK_SUMMARY, className="headlines", **{"aria-live": "polite"}),
            html.Div(
                [
                    _panel(
                        "Hour of day",
                        ids.CLOCK_RADIAL,
                        "Midnight at the top. An incident known only as a window (say, "
                        "overnight) counts a share in each hour of the window.",
                    ),
                    _panel("Weekday and hour", ids.CLOCK_HEATMAP),
                ],
                className="panels",
            ),
            html.Div(
                [
                    _panel(
                        "Date known, time not recorded",
                        ids.CLOCK_DATE_ONLY,
                        "These incidents are never placed at an hour (not at midnight, "
                        "not at noon): they are counted by weekday only.",
                    ),
                    _panel(
                        "Daylight and darkness",
                        ids.CLOCK_DAYLIGHT,
                        "Sunrise and sunset at each incident's place and date. Not limited "
                        "by the time-of-day filter.",
                    ),
                ],
                className="panels",
            ),
            html.H2("Forum actions over the same months"),
            html.P(
                "Street lights act at night: read the darkness share beside when each "
                "light was finished.",
                className="note",
            ),
            dcc.Graph(id=ids.CLOCK_ACTIONS, config={"displaylogo": False, "responsive": False}),
        ],
        className="page page-clock",
    )
