"""Place review: the location texts the ETL could not place, or placed with a
confidence below the auto-accept setting, most frequent first. A clerk picks the
right place (from the suggestions, or by clicking a marker on the map), or the ward
only, or adds a new gazetteer place by naming it and clicking its point. Saving
records the choice as an alias and re-places every incident with that text, now and
in every later import.

For the team only (`dashboard.auth.PAGE_ROLES`)."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids

dash.register_page(
    __name__,
    path="/review",
    name="Place review",
    title="Place review · Crime and violence observatory",
    order=80,
)


def _field(label: str, control, control_id: str, note: str = "") -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=control_id, className="filter-label"),
            control,
            html.Small(note, className="field-note") if note else None,
        ],
        className="form-field",
    )


def _choice() -> html.Section:
    return html.Section(
        [
            html.H2("Where is it?"),
            _field(
                "Text under review",
                dcc.Dropdown(id=ids.REV_TEXT, clearable=False, placeholder="Nothing to review"),
                ids.REV_TEXT,
            ),
            html.P(id=ids.REV_CURRENT, className="status"),
            _field(
                "Suggested places",
                dcc.Dropdown(id=ids.REV_SUGGESTION, placeholder="Pick a place or click the map"),
                ids.REV_SUGGESTION,
                "suggestions first, then other places near them",
            ),
            html.Fieldset(
                [
                    html.Legend("Or add a new place"),
                    _field(
                        "Name",
                        dcc.Input(id=ids.REV_NEW_NAME, type="text", value="", debounce=False),
                        ids.REV_NEW_NAME,
                    ),
                    _field(
                        "Kind",
                        dcc.Input(
                            id=ids.REV_NEW_KIND,
                            type="text",
                            value="",
                            placeholder="market, stage, school ...",
                            debounce=False,
                        ),
                        ids.REV_NEW_KIND,
                    ),
                    html.P(
                        "Click the map where the place is.", id=ids.REV_NEW_POINT, className="note"
                    ),
                ],
                className="review-new-place",
            ),
            html.Button("Save", id=ids.REV_SAVE, className="button-primary", n_clicks=0),
            html.P(id=ids.REV_MESSAGE, className="status", role="status"),
        ],
        className="review-choice",
    )


def layout(**_query) -> html.Div:
    return html.Div(
        [
            html.H1("Places to review", className="page-title"),
            html.P(id=ids.REV_STATUS, className="status", role="status"),
            html.Div(
                [
                    _choice(),
                    html.Div(
                        [
                            dcc.Graph(
                                id=ids.REV_MAP,
                                className="map-graph",
                                config={"displaylogo": False, "scrollZoom": True},
                            ),
                            html.Footer(id=ids.REV_MAP_ATTRIBUTION, className="attribution"),
                        ],
                        className="review-map",
                    ),
                ],
                className="review-columns",
            ),
            html.H2("Texts by number of records"),
            html.Div(id=ids.REV_QUEUE, className="table-wrap"),
            dcc.Store(id=ids.REV_CLICK),
            dcc.Store(id=ids.REV_REFRESH, data=0),
            html.Div(id=ids.REV_BIND, hidden=True),
        ],
        className="page page-review",
    )
