"""The monthly meeting: a fixed agenda stepped through one screen at a time (Next and
Previous, or the arrow and page keys a presenter's remote sends), and the meeting
pack to take away (PDF, and the figures as PNG).

The URL holds the item shown (`?item=2`) with the same filter keys as the map, so a
reload or a bookmark opens the same screen; `?projector=1` (any page) turns on the
large, high-contrast projector style.
"""

from __future__ import annotations

from datetime import datetime

import dash
from dash import dcc, html

from dashboard import agenda, filters, ids, options
from geodata.db import get_engine
from geodata.queries import analytics, maps, wards

dash.register_page(
    __name__,
    path="/meeting",
    name="Meeting",
    title="Monthly meeting · Crime and violence observatory",
    order=90,
)


def parse_item(value: object) -> int:
    """The agenda item from the URL: 1 when missing or not a number, clamped to 1-4."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), len(agenda.AGENDA_TITLES))


def scope_from_query(query: dict, public: bool) -> agenda.Scope:
    """The agenda's filters from the query string (the analytics pages' keys;
    defaults: the last twelve months of data, everything). A focus on one hexagon
    or ward is left out: a meeting is about the whole area in view."""
    engine = get_engine()
    first, last = maps.date_bounds(engine)
    view = filters.view_from_values(query, first=first, last=last, public=public)
    args = view.query_args(public)
    agencies = analytics.agency_list(engine)
    agency_names = dict(zip(agencies["id"], agencies["name"], strict=True))
    ward_names = dict(zip(*(wards.ward_table(engine)[c] for c in ("code", "name")), strict=True))
    chosen_agencies = tuple(a for a in view.agencies if a in agency_names)
    chosen_wards = tuple(w for w in view.wards if w in ward_names)
    return agenda.Scope(
        start=view.start,
        end=view.end,
        categories=args["categories"],
        agencies=chosen_agencies,
        wards=chosen_wards,
        hours=args["hours"],
        agency_names=tuple(agency_names[a] for a in chosen_agencies),
        ward_names=tuple(ward_names[w] for w in chosen_wards),
    )


def _agenda_list(current: int) -> html.Ol:
    return html.Ol(
        [
            html.Li(title, className="current" if n == current else None)
            for n, (_key, title) in enumerate(agenda.AGENDA_TITLES, start=1)
        ],
        id=ids.MEETING_AGENDA,
        className="agenda-steps",
        **{"aria-label": "Agenda"},
    )


def _controls(current: int) -> html.Div:
    return html.Div(
        [
            html.Button("◀ Previous", id=ids.MEETING_PREV, className="button", n_clicks=0),
            html.Span(
                f"Item {current} of {len(agenda.AGENDA_TITLES)}",
                id=ids.MEETING_POSITION,
                className="agenda-position",
                **{"aria-live": "polite"},
            ),
            html.Button("Next ▶", id=ids.MEETING_NEXT, className="button", n_clicks=0),
        ],
        className="agenda-controls",
    )


def _exports() -> html.Div:
    return html.Div(
        [
            html.Button("Meeting pack (PDF)", id=ids.MEETING_PDF, className="button"),
            html.Button("Figures (PNG, zip)", id=ids.MEETING_PNGS, className="button"),
            html.Span(id=ids.MEETING_EXPORT_STATUS, className="status", role="status"),
            dcc.Download(id=ids.MEETING_DOWNLOAD_PDF),
            dcc.Download(id=ids.MEETING_DOWNLOAD_PNGS),
        ],
        className="agenda-exports",
    )


def layout(item=None, **query) -> html.Div:
    public = options.current().public
    if public:
        return html.Div(
            [
                html.H1("Monthly meeting", className="page-title"),
                html.P(
                    "The meeting agenda is for forum members; it is not part of the public view."
                ),
            ],
            className="page page-meeting",
        )
    current = parse_item(item)
    scope = scope_from_query(query, public)
    return html.Div(
        [
            html.H1("Monthly meeting", className="page-title"),
            html.P(
                agenda.filter_stamp(scope, datetime.now()), id=ids.MEETING_STAMP, className="stamp"
            ),
            _agenda_list(current),
            _controls(current),
            html.Div(id=ids.MEETING_BODY, className="agenda-screen"),
            html.P(
                "Keys: → or Page Down for the next item, ← or Page Up for the previous one.",
                className="agenda-keys",
            ),
            _exports(),
            dcc.Store(id=ids.MEETING_ITEM, data=current),
            dcc.Store(id=ids.MEETING_SCOPE, data=agenda.scope_record(scope)),
        ],
        className="page page-meeting",
    )
