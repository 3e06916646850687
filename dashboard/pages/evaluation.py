"""Did it work? The evaluation of a done forum action (/evaluation?action=ID): the
target area around it, the ring around that (where crime could move), a control area
(matched on the trend before the action, or chosen), equal periods before and after,
counts and the Bowers & Johnson measures for all incidents and at night only, and a
verdict in plain words that says when the numbers are too small to tell.

Below it, the after-dark lens: where incidents happen after dark and no light is
planned, to guide the next lighting decision. For the team only."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import components, filters, ids
from dashboard.figures.evaluation import LENS_MIN_KNOWN
from geodata.db import get_engine
from geodata.evaluation import CONTROL_CELLS, RING_METRES, TARGET_METRES
from geodata.queries import actions as queries
from geodata.queries import wards
from geodata.stats.after_dark import MIN_COUNT, MIN_SHARE

dash.register_page(
    __name__,
    path="/evaluation",
    name="Did it work?",
    title="Action evaluation · Crime and violence observatory",
    order=65,
)

RING_MODES = (
    {"label": "Metres around the target", "value": "metres"},
    {"label": "Rings of hexagons", "value": "rings"},
)
CONTROL_MODES = (
    {
        "label": f"Matched: the {CONTROL_CELLS} hexagons that followed the same trend",
        "value": "matched",
    },
    {"label": "Wards I choose", "value": "wards"},
    {"label": "Hexagons I choose", "value": "cells"},
)
LENS_NOTE = (
    "The last 12 months of the chosen categories. Darker hexagons had more of their "
    "incidents between sunset and sunrise (hexagons with fewer than "
    f"{LENS_MIN_KNOWN} incidents of known time are left blank). Black outlines mark "
    f"places with at least {MIN_COUNT} incidents of known time, over {MIN_SHARE:.0%} of "
    "them after dark, and no lighting action planned, under way or done."
)
_GRAPH = {"displaylogo": False, "scrollZoom": True, "responsive": True}


def action_options(engine) -> list[dict]:
    """Done actions with a place, newest completion first."""
    frame = queries.actions_frame(engine, ("done",))
    frame = frame[frame["geometry"].notna()].sort_values(
        ["completed_on", "id"], ascending=False, na_position="last"
    )
    return [
        {"label": f"{row['title']} (done {row['completed_on']:%d %b %Y})", "value": int(row["id"])}
        for row in frame.to_dict("records")
    ]


def _parse_action(value, options: list[dict]) -> int | None:
    try:
        wanted = int(str(value))
    except ValueError:
        return None
    return wanted if any(o["value"] == wanted for o in options) else None


def _number(label: str, control_id: str, value: float, step: float, unit: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=control_id, className="filter-label"),
            html.Div(
                [
                    dcc.Input(
                        id=control_id, type="number", value=value, min=0, step=step, debounce=True
                    ),
                    html.Span(f" {unit}"),
                ]
            ),
        ],
        className="filter",
    )


def _settings(engine, action, categories) -> html.Div:
    options = action_options(engine)
    ward_table = wards.ward_table(engine)
    ward_options = [
        {"label": name, "value": code}
        for code, name in zip(ward_table["code"], ward_table["name"], strict=True)
    ]
    allowed = filters.allowed_categories(public=False)
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Action", htmlFor=ids.EVAL_ACTION, className="filter-label"),
                    dcc.Dropdown(
                        id=ids.EVAL_ACTION,
                        options=options,
                        value=_parse_action(action, options),
                        placeholder="Choose a done action",
                        clearable=False,
                    ),
                ],
                className="filter filter-wide",
            ),
            html.Div(
                [
                    html.Label("Categories", htmlFor=ids.EVAL_CATEGORIES, className="filter-label"),
                    dcc.Dropdown(
                        id=ids.EVAL_CATEGORIES,
                        options=components.category_options(allowed),
                        value=list(filters.parse_categories(categories, allowed)),
                        multi=True,
                        placeholder="All categories",
                    ),
                ],
                className="filter filter-wide",
            ),
            _number("Target: the action and", ids.EVAL_TARGET_M, TARGET_METRES, 10, "metres"),
            html.Div(
                [
                    html.Label("Ring", htmlFor=ids.EVAL_RING_MODE, className="filter-label"),
                    dcc.RadioItems(id=ids.EVAL_RING_MODE, options=list(RING_MODES), value="metres"),
                    dcc.Input(
                        id=ids.EVAL_RING_M,
                        type="number",
                        value=RING_METRES,
                        min=0,
                        step=10,
                        debounce=True,
                    ),
                    html.Span(" metres, or "),
                    dcc.Input(
                        id=ids.EVAL_RING_K,
                        type="number",
                        value=1,
                        min=1,
                        max=5,
                        step=1,
                        debounce=True,
                    ),
                    html.Span(" rings"),
                ],
                className="filter",
            ),
            html.Div(
                [
                    html.Label(
                        "Control area", htmlFor=ids.EVAL_CONTROL_MODE, className="filter-label"
                    ),
                    dcc.RadioItems(
                        id=ids.EVAL_CONTROL_MODE, options=list(CONTROL_MODES), value="matched"
                    ),
                    dcc.Dropdown(
                        id=ids.EVAL_CONTROL_WARDS,
                        options=ward_options,
                        value=[],
                        multi=True,
                        placeholder="Wards for the control area",
                    ),
                    dcc.Input(
                        id=ids.EVAL_CONTROL_CELLS,
                        type="text",
                        value="",
                        debounce=True,
                        placeholder="Hexagon ids (resolution 9), separated by commas",
                    ),
                ],
                className="filter filter-wide",
            ),
            _number("Longest period", ids.EVAL_MAX_DAYS, 365, 1, "days before and after"),
        ],
        className="filter-bar evaluation-settings",
        role="search",
    )


def layout(action=None, categories=None, **_query) -> html.Div:
    engine = get_engine()
    return html.Div(
        [
            html.H1("Did it work?", className="page-title"),
            _settings(engine, action, categories),
            html.P(id=ids.EVAL_MESSAGE, className="status", role="status"),
            html.P(id=ids.EVAL_PERIODS, className="note"),
            html.Div(id=ids.EVAL_VERDICTS, className="verdicts", **{"aria-live": "polite"}),
            dcc.Graph(id=ids.EVAL_MAP, className="map-graph", config=_GRAPH),
            html.Div(id=ids.EVAL_RESULTS, className="panels"),
            html.Ul(id=ids.EVAL_NOTES, className="notes"),
            html.H2("After dark: dark hot spots with no light planned"),
            html.P(LENS_NOTE, className="note"),
            html.P(id=ids.EVAL_LENS_STATUS, className="status", role="status"),
            dcc.Graph(id=ids.EVAL_LENS_MAP, className="map-graph", config=_GRAPH),
            html.Div(id=ids.EVAL_LENS_TABLE, className="table-wrap"),
            html.Footer(id=ids.EVAL_ATTRIBUTION, className="attribution"),
            html.Div(id=ids.EVAL_URL_SYNC, hidden=True),
        ],
        className="page page-evaluation",
    )
