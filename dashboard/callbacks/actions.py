"""Actions page callbacks: clicks on the map become the vertices of a point, line or
area; the form saves through geodata.actions (create or update, team only, audited);
the map and the tracker redraw after each save; Edit fills the form from an action.
Also registers the evaluation page's callbacks and both pages' roles."""

from __future__ import annotations

from datetime import timedelta

import dash
from dash import ALL, ClientsideFunction, Input, Output, Patch, State, ctx, html, no_update

from dashboard import auth, components, filters, ids
from dashboard.callbacks import evaluation as evaluation_callbacks
from dashboard.figures import action_tracker
from dashboard.figures import actions as figures
from dashboard.figures import map as map_figures
from dashboard.options import AppOptions
from geodata.actions import create_action, update_action
from geodata.cache import cached
from geodata.db import get_engine
from geodata.errors import ObservatoryError
from geodata.queries import actions as queries
from geodata.queries import maps, wards

PAGE_ROLES = {"/actions": ("team",), "/evaluation": ("team",)}
CONTEXT_RES = 9  # hexagons about 350 m across: the scale of a light or a path
COARSER_HINT = "Actions are drawn exactly; the hot-spot page shows finer cells for a county."
MODE_NAMES = {"point": "point", "line": "line", "polygon": "area"}
# The form's fields, in the order of the callbacks' outputs and states.
FIELDS = (
    ("kind", ids.ACT_KIND, "value"),
    ("title", ids.ACT_TITLE, "value"),
    ("description", ids.ACT_DESCRIPTION, "value"),
    ("responsible_agency", ids.ACT_AGENCY, "value"),
    ("forum", ids.ACT_FORUM, "value"),
    ("priority", ids.ACT_PRIORITY, "value"),
    ("status", ids.ACT_STATUS, "value"),
    ("decided_on", ids.ACT_DECIDED, "value"),
    ("started_on", ids.ACT_STARTED, "value"),
    ("due_on", ids.ACT_DUE, "value"),
    ("completed_on", ids.ACT_COMPLETED, "value"),
)
EMPTY_FORM = {name: "" for name, _, _ in FIELDS} | {"kind": None, "status": "proposed"}


def next_vertices(trigger: str | None, vertices: list, click: dict | None, mode: str) -> list:
    """The drawing after one event: a click adds a vertex (a point keeps only the
    last), undo drops the last, clear empties it."""
    vertices = list(vertices or [])
    if trigger == ids.ACT_DRAW_CLEAR:
        return []
    if trigger == ids.ACT_DRAW_UNDO:
        return vertices[:-1]
    if trigger == ids.ACT_CLICK and click and "lon" in click and "lat" in click:
        vertex = [round(float(click["lon"]), 7), round(float(click["lat"]), 7)]
        return [vertex] if mode == "point" else [*vertices, vertex]
    if trigger == ids.ACT_DRAW_MODE and mode == "point":
        return vertices[-1:]
    return vertices


def drawing_status(vertices: list, mode: str) -> str:
    if not vertices:
        return f"Click the map to place the {MODE_NAMES.get(mode, mode)}."
    if mode == "point":
        lon, lat = vertices[-1]
        return f"Point at latitude {lat:.5f}, longitude {lon:.5f}."
    need = 2 if mode == "line" else 3
    n = len(vertices)
    text = f"{MODE_NAMES[mode].capitalize()}: {n} point{'s' if n != 1 else ''} placed"
    if n < need:
        return f"{text}; click at least {need - n} more."
    return f"{text}; ready to save (keep clicking to add more)."


def form_values(values: dict, vertices: list, mode: str) -> dict:
    """What the form sends to geodata.actions: every field (a blank one clears it),
    and the drawn geometry only when one is drawn (editing keeps the stored place)."""
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    geometry = figures.vertices_geometry(vertices, mode)
    if vertices and geometry is None:
        need = 2 if mode == "line" else 3
        raise ObservatoryError(
            f"the {MODE_NAMES[mode]} has {len(vertices)} point(s); click at least {need} on "
            "the map, or choose Point."
        )
    if geometry is not None:
        cleaned["geometry"] = geometry
    return cleaned


@cached
def actions_figure(engine, vertices: tuple, mode: str, style: str, budget: int) -> dict:
    """The actions map as the plain dict Dash sends, kept per data version (a national
    context layer is a few megabytes to build)."""
    last = maps.date_bounds(engine)[1]
    start = None if last is None else last - timedelta(days=364)
    view = maps.hex_view(engine, CONTEXT_RES, budget, start, last, (), ())
    outlines = wards.ward_lines_geojson(engine)
    frame = queries.actions_frame(engine)
    note = map_figures.coarser_note(CONTEXT_RES, view.res, budget, COARSER_HINT)
    return figures.actions_map(
        view.counts, outlines, frame, [list(v) for v in vertices], mode, style=style, note=note
    )


def _actions_figure(engine, vertices, mode, opts: AppOptions):
    drawn = tuple(tuple(v) for v in (vertices or []))
    figure = actions_figure(engine, drawn, mode or "point", opts.map_style, maps.max_cells())
    attribution = components.attribution_text(wards.ward_attributions(engine))
    return figure, attribution


def _tracker(engine, view: str):
    if view == "public":
        return action_tracker.public_tracker_html(
            queries.public_tracker(engine), ids.ACT_TRACKER + "-table"
        )
    frame = queries.actions_frame(engine)
    evaluable = frame.loc[(frame["status"] == "done") & frame["geometry"].notna(), "id"]
    table = queries.tracker_table(engine)
    if table.empty:
        return html.P("No actions yet: draw one on the map and save it.")
    return action_tracker.tracker_html(table, ids.ACT_TRACKER + "-table", evaluable.tolist())


def _form_from_action(record: dict) -> dict:
    values = {}
    for name, _, _ in FIELDS:
        value = record.get(name)
        values[name] = value.isoformat() if hasattr(value, "isoformat") else (value or "")
    return values


def register(app: dash.Dash, opts: AppOptions) -> None:
    auth.declare_page_roles(app, PAGE_ROLES)
    evaluation_callbacks.register(app, opts)

    app.clientside_callback(
        ClientsideFunction("actions", "bindMapClicks"),
        Output(ids.ACT_BIND, "children"),
        Input(ids.ACT_MAP, "figure"),
        State(ids.ACT_MAP, "id"),
        State(ids.ACT_CLICK, "id"),
    )

    @app.callback(
        Output(ids.ACT_MAP, "figure"),
        Output(ids.ACT_MAP_ATTRIBUTION, "children"),
        Input(ids.ACT_REFRESH, "data"),
        State(ids.ACT_VERTICES, "data"),
        State(ids.ACT_DRAW_MODE, "value"),
    )
    def draw_map(_refresh, vertices, mode):
        return _actions_figure(get_engine(), vertices, mode, opts)

    @app.callback(
        Output(ids.ACT_VERTICES, "data"),
        Input(ids.ACT_CLICK, "data"),
        Input(ids.ACT_DRAW_UNDO, "n_clicks"),
        Input(ids.ACT_DRAW_CLEAR, "n_clicks"),
        Input(ids.ACT_DRAW_MODE, "value"),
        State(ids.ACT_VERTICES, "data"),
        prevent_initial_call=True,
    )
    def edit_drawing(click, _undo, _clear, mode, vertices):
        return next_vertices(ctx.triggered_id, vertices, click, mode)

    @app.callback(
        Output(ids.ACT_MAP, "figure", allow_duplicate=True),
        Output(ids.ACT_DRAW_STATUS, "children"),
        Input(ids.ACT_VERTICES, "data"),
        State(ids.ACT_DRAW_MODE, "value"),
        prevent_initial_call=True,
    )
    def show_drawing(vertices, mode):
        patch = Patch()
        patch["data"][figures.DRAWN_INDEX] = figures.drawn_trace(vertices or [], mode)
        return patch, drawing_status(vertices or [], mode)

    @app.callback(
        Output(ids.ACT_TRACKER, "children"),
        Input(ids.ACT_REFRESH, "data"),
        Input(ids.ACT_TRACKER_VIEW, "value"),
    )
    def show_tracker(_refresh, view):
        return _tracker(get_engine(), view)

    def actions_timeline(start, end):
        start, end = filters.parse_date(start), filters.parse_date(end)
        dates = (start, end) if start and end else None
        figure = figures.actions_timeline(queries.actions_frame(get_engine()), date_range=dates)
        # The box takes the figure's height, which grows with the number of actions.
        return figure, {"height": f"{figure.layout.height}px"}

    # One timeline beside the trend chart and on the clock's page, following the dates.
    for graph in (ids.TREND_ACTIONS, ids.CLOCK_ACTIONS):
        app.callback(
            Output(graph, "figure"),
            Output(graph, "style"),
            Input(ids.FILTER_DATES, "start_date"),
            Input(ids.FILTER_DATES, "end_date"),
        )(actions_timeline)

    _register_form(app)


def _register_form(app: dash.Dash) -> None:
    field_outputs = [Output(i, p, allow_duplicate=True) for _, i, p in FIELDS]

    @app.callback(
        Output(ids.ACT_MESSAGE, "children"),
        Output(ids.ACT_REFRESH, "data"),
        Output(ids.ACT_EDITING, "data"),
        Output(ids.ACT_VERTICES, "data", allow_duplicate=True),
        Output(ids.ACT_FORM_TITLE, "children"),
        Input(ids.ACT_SAVE, "n_clicks"),
        State(ids.ACT_EDITING, "data"),
        State(ids.ACT_VERTICES, "data"),
        State(ids.ACT_DRAW_MODE, "value"),
        State(ids.ACT_REFRESH, "data"),
        *(State(i, p) for _, i, p in FIELDS),
        prevent_initial_call=True,
    )
    @auth.require_role("team")
    def save(_clicks, editing, vertices, mode, refresh, *field_values):
        values = dict(zip((name for name, _, _ in FIELDS), field_values, strict=True))
        engine = get_engine()
        try:
            values = form_values(values, vertices or [], mode)
            if editing is None:
                action_id = create_action(engine, values)
                auth.audit("actions.create", {"id": action_id})
                verb = "Saved new"
            else:
                action_id = int(editing)
                update_action(engine, action_id, values)
                auth.audit("actions.update", {"id": action_id, "status": values.get("status")})
                verb = "Updated"
        except ObservatoryError as exc:
            return f"Not saved: {exc}", no_update, no_update, no_update, no_update
        title = values.get("title") or queries.action_record(engine, action_id)["title"]
        message = f"{verb} action {action_id}: {title}."
        return message, (refresh or 0) + 1, action_id, [], f"Editing action {action_id}"

    @app.callback(
        *field_outputs,
        Output(ids.ACT_EDITING, "data", allow_duplicate=True),
        Output(ids.ACT_FORM_TITLE, "children", allow_duplicate=True),
        Output(ids.ACT_VERTICES, "data", allow_duplicate=True),
        Output(ids.ACT_MESSAGE, "children", allow_duplicate=True),
        Input({"type": ids.ACT_EDIT, "index": ALL}, "n_clicks"),
        Input(ids.ACT_NEW, "n_clicks"),
        prevent_initial_call=True,
    )
    def fill_form(edit_clicks, new_clicks):
        trigger = ctx.triggered_id
        if trigger == ids.ACT_NEW:
            values = [EMPTY_FORM[name] for name, _, _ in FIELDS]
            return *values, None, "New action", [], ""
        # A redrawn tracker brings new Edit buttons, which fire with no click.
        if not isinstance(trigger, dict) or not any(edit_clicks or []):
            return (no_update,) * (len(FIELDS) + 4)
        if not (ctx.triggered and ctx.triggered[0]["value"]):
            return (no_update,) * (len(FIELDS) + 4)
        record = queries.action_record(get_engine(), int(trigger["index"]))
        values = _form_from_action(record)
        title = f"Editing action {record['id']}: {record['title']}"
        note = "Draw on the map only to replace its place; otherwise it stays where it is."
        return *(values[name] for name, _, _ in FIELDS), int(record["id"]), title, [], note
