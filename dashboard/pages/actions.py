"""Forum actions: draw where an action happens on the map, record it (kind, title,
agency, forum, dates, status, priority), edit it as it moves on (mark it done with its
completion date), and follow every action in the "you said, we did" tracker, overdue
ones flagged. A done action opens its evaluation (/evaluation?action=ID).

For the team only (the default for a page `dashboard.auth.PAGE_ROLES` does not list;
declared in `dashboard.callbacks.actions`)."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from geodata.actions import ACTION_KINDS, ACTION_STATUSES, KIND_LABELS, STATUS_LABELS

dash.register_page(
    __name__,
    path="/actions",
    name="Actions",
    title="Forum actions · Crime and violence observatory",
    order=60,
)

DRAW_MODES = (
    {"label": "Point", "value": "point"},
    {"label": "Line", "value": "line"},
    {"label": "Area", "value": "polygon"},
)
TRACKER_VIEWS = (
    {"label": "Team view", "value": "team"},
    {"label": "Public view (as published)", "value": "public"},
)
DATE_HINT = "YYYY-MM-DD"


def _field(label: str, control, control_id: str, note: str = "") -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=control_id, className="filter-label"),
            control,
            html.Small(note, className="field-note") if note else None,
        ],
        className="form-field",
    )


def _text(control_id: str, placeholder: str = "") -> dcc.Input:
    return dcc.Input(id=control_id, type="text", value="", placeholder=placeholder, debounce=False)


def _form() -> html.Section:
    kinds = [{"label": KIND_LABELS[k], "value": k} for k in ACTION_KINDS]
    statuses = [{"label": STATUS_LABELS[s], "value": s} for s in ACTION_STATUSES]
    dates = [
        ("Decided on", ids.ACT_DECIDED, ""),
        ("Started on", ids.ACT_STARTED, ""),
        ("Due by", ids.ACT_DUE, ""),
        ("Completed on", ids.ACT_COMPLETED, "needed when done"),
    ]
    return html.Section(
        [
            html.H2("New action", id=ids.ACT_FORM_TITLE),
            _field(
                "Kind",
                dcc.Dropdown(id=ids.ACT_KIND, options=kinds, value=None, clearable=False),
                ids.ACT_KIND,
            ),
            _field("Title", _text(ids.ACT_TITLE, "Street light at the stage"), ids.ACT_TITLE),
            _field(
                "Description",
                dcc.Textarea(id=ids.ACT_DESCRIPTION, value="", rows=3),
                ids.ACT_DESCRIPTION,
                "No names or phone numbers: the tracker is published.",
            ),
            _field(
                "Responsible agency or office",
                _text(ids.ACT_AGENCY, "County Government - Energy"),
                ids.ACT_AGENCY,
            ),
            _field("Forum", _text(ids.ACT_FORUM), ids.ACT_FORUM),
            _field("Priority", _text(ids.ACT_PRIORITY, "Robberies after dark"), ids.ACT_PRIORITY),
            _field(
                "Status",
                dcc.Dropdown(
                    id=ids.ACT_STATUS, options=statuses, value="proposed", clearable=False
                ),
                ids.ACT_STATUS,
            ),
            html.Div(
                [_field(label, _text(i, DATE_HINT), i, note) for label, i, note in dates],
                className="form-dates",
            ),
            html.Div(
                [
                    html.Button("Save action", id=ids.ACT_SAVE, className="button-primary"),
                    html.Button("New action", id=ids.ACT_NEW, className="button"),
                ],
                className="form-buttons",
            ),
            html.P(id=ids.ACT_MESSAGE, className="status", role="status"),
        ],
        className="panel action-form",
        **{"aria-label": "Action details"},
    )


def _drawing() -> html.Section:
    return html.Section(
        [
            html.Div(
                [
                    html.Span("Draw", className="filter-label"),
                    dcc.RadioItems(
                        id=ids.ACT_DRAW_MODE, options=list(DRAW_MODES), value="point", inline=True
                    ),
                    html.Button("Undo last point", id=ids.ACT_DRAW_UNDO, className="button"),
                    html.Button("Clear drawing", id=ids.ACT_DRAW_CLEAR, className="button"),
                ],
                className="draw-toolbar",
            ),
            html.P(
                "Click the map to place the action: once for a point, at each bend for a "
                "line, at each corner for an area. Drag to move the map, scroll to zoom.",
                id=ids.ACT_DRAW_STATUS,
                className="note",
                role="status",
            ),
            dcc.Graph(
                id=ids.ACT_MAP,
                className="map-graph",
                config={"displaylogo": False, "scrollZoom": True, "responsive": True},
            ),
            html.Footer(id=ids.ACT_MAP_ATTRIBUTION, className="attribution"),
        ],
        className="panel action-map",
    )


def layout(**_query) -> html.Div:
    return html.Div(
        [
            html.H1("Forum actions", className="page-title"),
            html.P(
                "What the forum decided, where, and whether it was done. Done actions with "
                "a place can be evaluated: did incidents fall, and did they move next door?",
                className="note",
            ),
            html.Div([_drawing(), _form()], className="actions-grid"),
            html.H2("You said, we did"),
            dcc.RadioItems(
                id=ids.ACT_TRACKER_VIEW, options=list(TRACKER_VIEWS), value="team", inline=True
            ),
            html.Div(id=ids.ACT_TRACKER, className="table-wrap", **{"aria-live": "polite"}),
            dcc.Store(id=ids.ACT_CLICK),
            dcc.Store(id=ids.ACT_VERTICES, data=[]),
            dcc.Store(id=ids.ACT_EDITING, data=None),
            dcc.Store(id=ids.ACT_REFRESH, data=0),
            html.Div(id=ids.ACT_BIND, hidden=True),
        ],
        className="page page-actions",
    )
