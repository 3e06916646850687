"""The patrol planner (issue #6), for station commanders and the team: choose the
station area, the shift and what matters; get numbered patrol points with a visit
schedule, a printable one-page sheet, and for saved plans how well they covered the
crime that followed. Never in the public app; never a victim detail."""

from __future__ import annotations

from datetime import timedelta

import dash
from dash import dcc, html

from dashboard import components, ids, options
from dashboard.callbacks.patrol import saved_options, viewer_scope
from dashboard.callbacks.patrol_area import COMMANDER_HELP, DRAW_HELP
from dashboard.filters import allowed_categories
from geodata.db import get_engine
from geodata.patrol_plans import MAX_OFFICER_HOURS, MAX_POINTS
from geodata.queries import maps, wards
from geodata.queries import patrol as queries

dash.register_page(
    __name__,
    path="/patrol",
    name="Patrol planner",
    title="Patrol planner · Crime and violence observatory",
    order=40,
)

HOURS = [{"label": f"{h:02d}:00", "value": h} for h in range(24)]
DAYS = [
    {"label": "Every day", "value": "all"},
    {"label": "Weekdays (Mon-Fri)", "value": "weekdays"},
    {"label": "Weekends (Sat-Sun)", "value": "weekend"},
]
NIGHT_CATEGORIES = ["robbery", "assault"]


def _field(label: str, control, target: str, wide: bool = False) -> html.Div:
    return html.Div(
        [html.Label(label, htmlFor=target, className="filter-label"), control],
        className="filter filter-wide" if wide else "filter",
    )


def _controls(engine, scope) -> html.Div:
    stations = queries.station_areas(engine)
    if scope is not None:
        keep = [bool(set(w) & set(scope)) for w in stations["ward_codes"]]
        stations = stations.loc[keep]  # .loc: an empty list selects no rows, not no columns
    table = wards.ward_table(engine)
    if scope is not None:
        table = table[table["code"].isin(scope)]
    first = stations.iloc[0] if len(stations) else None
    chosen = (
        [] if first is None else [w for w in first["ward_codes"] if scope is None or w in scope]
    )
    if scope is not None and not chosen:
        chosen = list(scope)
    _, last = maps.date_bounds(engine)
    as_of = (last + timedelta(days=1)) if last else None
    station_options = [{"label": s, "value": s} for s in stations["name"]]
    ward_options = [{"label": f"{r.name} ({r.code})", "value": r.code} for r in table.itertuples()]
    return html.Div(
        [
            _field("Station", dcc.Dropdown(id=ids.PATROL_STATION, options=station_options,
                   value=None if first is None else first["name"], clearable=True,
                   placeholder="Choose a station"), ids.PATROL_STATION),
            _field("Wards", dcc.Dropdown(id=ids.PATROL_WARDS, options=ward_options,
                   value=chosen, multi=True), ids.PATROL_WARDS, wide=True),
            _field("Shift starts", dcc.Dropdown(id=ids.PATROL_START_HOUR, options=HOURS,
                   value=18, clearable=False), ids.PATROL_START_HOUR),
            _field("Shift ends", dcc.Dropdown(id=ids.PATROL_END_HOUR, options=HOURS, value=6,
                   clearable=False), ids.PATROL_END_HOUR),
            _field("Days", dcc.Dropdown(id=ids.PATROL_DAYS, options=DAYS, value="all",
                   clearable=False), ids.PATROL_DAYS),
            _field("Categories", dcc.Dropdown(id=ids.PATROL_CATEGORIES,
                   options=components.category_options(allowed_categories(False)),
                   value=NIGHT_CATEGORIES, multi=True, placeholder="All categories"),
                   ids.PATROL_CATEGORIES, wide=True),
            _field("Patrol points", dcc.Input(id=ids.PATROL_POINTS_WANTED, type="number",
                   min=1, max=MAX_POINTS, step=1, value=5), ids.PATROL_POINTS_WANTED),
            _field("Officer-hours", dcc.Input(id=ids.PATROL_OFFICER_HOURS, type="number",
                   min=1, max=MAX_OFFICER_HOURS, step=0.5, value=16), ids.PATROL_OFFICER_HOURS),
            _field("Plan from data before", dcc.DatePickerSingle(id=ids.PATROL_AS_OF,
                   date=as_of, display_format="D MMM YYYY", first_day_of_week=1),
                   ids.PATROL_AS_OF),
        ],
        className="filter-bar no-print",
        role="search",
    )  # fmt: skip


def _draw_area(scope) -> html.Section:
    """The map to draw the station area on (filled by dashboard.callbacks.patrol_area)."""
    note = DRAW_HELP + (COMMANDER_HELP if scope is not None else "")
    return html.Section(
        [
            html.H2("Station area on the map"),
            html.P(note, className="note"),
            html.Div(
                [
                    html.Button("Finish area", id=ids.PATROL_DRAW_FINISH, className="button"),
                    html.Button("Clear area", id=ids.PATROL_DRAW_CLEAR, className="button"),
                    html.Span(
                        "No area drawn: the plan covers the chosen wards.",
                        id=ids.PATROL_DRAW_STATUS,
                        role="status",
                    ),
                ],
                className="draw-toolbar",
            ),
            dcc.Graph(
                id=ids.PATROL_DRAW_MAP,
                className="patrol-draw-map",
                config={"displaylogo": False, "scrollZoom": True, "responsive": True},
            ),
            html.Footer(id=ids.PATROL_DRAW_ATTRIBUTION, className="attribution"),
            dcc.Store(id=ids.PATROL_CLICK),
            dcc.Store(id=ids.PATROL_VERTICES, data=[]),
            dcc.Store(id=ids.PATROL_AREA, data=None),
            html.Div(id=ids.PATROL_DRAW_BIND, hidden=True),
        ],
        className="patrol-draw no-print",
    )


def _sheet() -> html.Section:
    return html.Section(
        [
            html.H2(id=ids.PATROL_SHEET_TITLE),
            html.Div(id=ids.PATROL_SHEET_LINES, className="sheet-lines"),
            dcc.Graph(
                id=ids.PATROL_MAP,
                className="patrol-map",
                config={"displaylogo": False, "scrollZoom": True, "responsive": True},
            ),
            html.Footer(id=ids.PATROL_MAP_ATTRIBUTION, className="attribution"),
            html.H3("Patrol points"),
            html.P(
                "Numbers match the map. Peak hours: the busiest hours of the shift there, "
                "busiest first. Counts are over the look-back window.",
                className="note",
            ),
            html.Div(id=ids.PATROL_POINTS),
            html.H3("Visit schedule"),
            html.P(
                "Visits of 10-15 minutes in a random order that changes every shift; "
                "no point is visited again within two hours.",
                className="note",
            ),
            html.Div(id=ids.PATROL_SCHEDULE),
            html.Div(
                [
                    _field(
                        "Plan name",
                        dcc.Input(id=ids.PATROL_NAME, type="text", maxLength=120, debounce=True),
                        ids.PATROL_NAME,
                        wide=True,
                    ),
                    html.Button("Save plan", id=ids.PATROL_SAVE, className="button"),
                    html.Button("Download PDF", id=ids.PATROL_PDF_BUTTON, className="button"),
                    html.Button("Print", id=ids.PATROL_PRINT, className="button"),
                    dcc.Download(id=ids.PATROL_DOWNLOAD),
                    html.Span(id=ids.PATROL_PRINTED, hidden=True),
                ],
                className="filter-bar no-print",
            ),  # fmt: skip
        ],
        id=ids.PATROL_SHEET,
        className="patrol-sheet",
        hidden=True,
    )


def _past_plans(engine) -> html.Section:
    return html.Section(
        [
            html.H2("Did it cover the crime?"),
            html.P(
                "Open a saved plan: the share of the incidents in its shift window during "
                "the month after it that fell in its cells (hit rate), against last "
                "month's top cells and against the share of the area the cells cover. "
                "PAI = hit rate / area share; 1 is no better than patrolling at random.",
                className="note",
            ),
            dcc.Dropdown(
                id=ids.PATROL_SAVED,
                options=saved_options(engine),
                placeholder="Choose a saved plan",
            ),
            html.P(id=ids.PATROL_EVAL_TEXT, role="status"),
            dcc.Graph(
                id=ids.PATROL_EVAL_GRAPH,
                config={"displaylogo": False, "responsive": True},
                style={"display": "none"},
            ),
        ],
        className="patrol-past no-print",
    )


def layout(**_query) -> html.Div:
    if options.current().public:
        return html.Div(
            [html.H1("Patrol planner"), html.P("The patrol planner is not in the public view.")],
            className="page",
        )
    engine = get_engine()
    scope = viewer_scope()
    return html.Div(
        [
            html.H1("Patrol planner", className="page-title no-print"),
            _controls(engine, scope),
            _draw_area(scope),
            html.Div(
                html.Button("Plan the shift", id=ids.PATROL_PLAN_BUTTON, className="button"),
                className="filter-bar no-print",
            ),
            html.P(id=ids.PATROL_STATUS, className="status no-print", role="status"),
            dcc.Store(id=ids.PATROL_CURRENT),
            _sheet(),
            _past_plans(engine),
        ],
        className="page page-patrol",
    )
