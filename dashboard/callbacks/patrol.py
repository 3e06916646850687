"""Patrol planner callbacks (issue #6): plan a shift, show the sheet, save it, send
it as a one-page PDF, and score saved plans against the month that followed.

Every callback works within the viewer's wards (`viewer_scope`): a commander plans,
opens and scores only plans inside their station's wards. The browser holds the
plan's parameters (or a saved plan's id), never its data: the server recomputes.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import dash
import flask
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update
from werkzeug.exceptions import Forbidden

from dashboard import auth, components, ids
from dashboard.figures import patrol as figures
from dashboard.options import AppOptions
from dashboard.patrol_sheet import SheetContent, patrol_sheet, plan_lines
from geodata import patrol_service
from geodata.db import get_engine
from geodata.errors import ObservatoryError
from geodata.patrol_area import area_geojson
from geodata.patrol_plans import PlanParameters, save_plan
from geodata.queries import patrol as queries
from geodata.queries import wards as ward_queries
from geodata.stats.patrol import ALL_DAYS, WEEKDAYS, WEEKEND

PAGE_ROLES = ("team", "commander")
DAY_CHOICES = {"all": ALL_DAYS, "weekdays": WEEKDAYS, "weekend": WEEKEND}


def viewer_scope() -> tuple[str, ...] | None:
    """Wards the viewer may plan for: None is every ward. Refuses the public app and
    any role but the team and commanders. Without login (an app built without
    `dashboard.auth`, as in development and browser tests) everything is open."""
    from dashboard.options import current

    if current().public:
        raise Forbidden("The patrol planner is not part of the public view.")
    if auth._EXTENSION not in flask.current_app.extensions:  # auth not installed
        return None
    user = auth.current_user()
    if user is None or user.role not in PAGE_ROLES:
        raise Forbidden("The patrol planner is for the team and station commanders.")
    return auth.ward_scope()


def scoped_wards(wards, scope: tuple[str, ...] | None) -> tuple[str, ...]:
    """The chosen wards, refusing any outside the viewer's scope."""
    chosen = tuple(dict.fromkeys(str(w) for w in (wards or ())))
    if scope is not None and not set(chosen) <= set(scope):
        raise ObservatoryError("You may plan only for your station's wards.")
    return chosen


def plan_area(
    engine, wards, vertices: list | None, drawn: str | None
) -> tuple[tuple[str, ...], str | None]:
    """(ward codes, area) to plan on: the chosen wards, or with a finished drawing
    the drawing cut to the wards it may cover (see `drawn_station_area`)."""
    scope = viewer_scope()
    chosen = scoped_wards(wards, scope)
    if vertices and not drawn:
        raise ObservatoryError("Finish the drawn area, or Clear it, before planning.")
    if not drawn:
        return chosen, None
    area = patrol_service.drawn_station_area(engine, drawn, chosen, scope)
    return area.ward_codes, area.area


def parameters_from_controls(
    station,
    wards,
    start_hour,
    end_hour,
    days,
    categories,
    n_points,
    officer_hours,
    as_of,
    vertices=None,
    drawn=None,
    engine=None,
) -> PlanParameters:
    """PlanParameters from the widgets' values and the drawn area (checked; mistakes
    in words)."""
    try:
        chosen_day = date.fromisoformat(str(as_of)[:10]) if as_of else date.today()
    except ValueError as exc:
        raise ObservatoryError("Pick the planning date from the calendar.") from exc
    if n_points in (None, "") or officer_hours in (None, ""):
        raise ObservatoryError("Fill in the number of points and the officer-hours.")
    ward_codes, area = plan_area(engine or get_engine(), wards, vertices, drawn)
    return PlanParameters(
        ward_codes=ward_codes,
        area=area,
        start_hour=int(start_hour),
        end_hour=int(end_hour),
        days=DAY_CHOICES.get(days, ALL_DAYS),
        categories=tuple(categories or ()),
        n_points=int(n_points),
        officer_hours=float(officer_hours),
        as_of=chosen_day,
        station=station or None,
    )


def _area_label(engine, params: PlanParameters) -> str:
    table = ward_queries.ward_table(engine)
    names = table.set_index("code")["name"].to_dict()
    wards = ", ".join(names.get(c, c) for c in params.ward_codes)
    if params.area:
        wards = f"the drawn area (orange line) in {wards}"
        return f"{params.station}: {wards}" if params.station else wards[0].upper() + wards[1:]
    return f"{params.station} ({wards})" if params.station else wards


def sheet_for(engine, current: dict) -> tuple[str, SheetContent]:
    """(default plan name, sheet content) for the store's fresh or saved plan."""
    if current.get("plan_id") is not None:
        saved = queries.saved_plan(engine, int(current["plan_id"]), viewer_scope())
        params = patrol_service.plan_parameters(saved["plan"])
        start, end = saved["plan"]["shift_start"], saved["plan"]["shift_end"]
        points, schedule, name = saved["points"], saved["schedule"], saved["plan"]["name"]
        points = points.assign(
            peak_label=[patrol_service.peak_label(h) for h in points["peak_hours"]]
        )
    else:
        params = PlanParameters.from_dict(current["params"])
        scoped_wards(params.ward_codes, viewer_scope())
        plan = patrol_service.plan_shift(engine, params)
        start, end, points, schedule = plan.shift_start, plan.shift_end, plan.points, plan.schedule
        name = f"{params.station or 'Patrol'}, {start:%a %d %b %Y} {start:%H:%M}-{end:%H:%M}"
    wards = queries.ward_outlines(engine, params.ward_codes)
    lines = plan_lines(
        _area_label(engine, params), start, end, params.days, params.categories,
        params.officer_hours, params.as_of, params.lookback_weeks,
    )  # fmt: skip
    attribution = "; ".join(ward_queries.ward_attributions(engine))
    return name, SheetContent(
        f"Patrol sheet: {name}", lines, points, schedule, wards, attribution, datetime.now(),
        area_geojson(params.area),
    )  # fmt: skip


def points_table(points: pd.DataFrame) -> html.Table:
    header = html.Tr(
        [html.Th(h) for h in ("No.", "Nearest landmark", "Peak hours", "What happens there")]
    )
    rows = []
    for p in points.itertuples(index=False):
        near = p.landmark if isinstance(p.landmark, str) else "–"
        if isinstance(p.landmark, str) and not pd.isna(p.landmark_m):
            near = f"{p.landmark} ({round(float(p.landmark_m), -1):.0f} m)"
        rows.append(
            html.Tr(
                [
                    html.Td(str(p.point)),
                    html.Td(near),
                    html.Td(p.peak_label),
                    html.Td(p.activity or "–"),
                ]
            )
        )
    return html.Table([html.Thead(header), html.Tbody(rows)], className="table")


def schedule_table(schedule: pd.DataFrame) -> html.Table:
    header = html.Tr([html.Th(h) for h in ("From", "To", "Point", "Officer")])
    rows = [
        html.Tr([html.Td(f"{pd.Timestamp(v.start):%H:%M}"), html.Td(f"{pd.Timestamp(v.end):%H:%M}"),
                 html.Td(str(v.point)), html.Td(str(v.officer))])
        for v in schedule.itertuples(index=False)
    ]  # fmt: skip
    return html.Table([html.Thead(header), html.Tbody(rows)], className="table table-compact")


def saved_options(engine) -> list[dict]:
    plans = queries.saved_plans(engine, viewer_scope())
    return [
        {"label": f"{p.name} (planned {p.as_of:%d %b %Y})", "value": int(p.id)}
        for p in plans.itertuples()
    ]


def _file_name(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:60]
    return f"patrol-sheet-{slug or 'plan'}.pdf"


def evaluation_text(score: patrol_service.PlanScore) -> str:
    plan, naive = score.row("planner"), score.row("naive")
    period = f"{score.start:%d %b %Y} to {score.end:%d %b %Y}"
    if plan["hit_rate"] is None or pd.isna(plan["hit_rate"]):
        return f"No incidents of the plan's categories in its shift window from {period} yet."
    return (
        f"From {period}: {plan['hits']:.0f} of {plan['incidents']:.0f} incidents in the shift "
        f"window fell in this plan's cells ({plan['hit_rate']:.0%} on {plan['area_share']:.1%} "
        f"of the area, PAI {plan['pai']:.1f}); last month's top cells caught "
        f"{naive['hit_rate']:.0%} (PAI {naive['pai']:.1f})."
    )


def register(app: dash.Dash, opts: AppOptions) -> None:  # noqa: C901 - one place per page
    if opts.public:
        return  # the public app has no patrol planner
    from dashboard.callbacks import patrol_area  # it imports this module's scope checks

    patrol_area.register(app, opts)

    @app.callback(
        Output(ids.PATROL_WARDS, "value"),
        Input(ids.PATROL_STATION, "value"),
        prevent_initial_call=True,
    )
    def station_wards(station):
        scope = viewer_scope()
        found = queries.station_areas(get_engine())
        row = found[found["name"] == station]
        if row.empty:
            return no_update
        return [w for w in row.iloc[0]["ward_codes"] if scope is None or w in scope]

    @app.callback(
        Output(ids.PATROL_CURRENT, "data"),
        Output(ids.PATROL_STATUS, "children"),
        Input(ids.PATROL_PLAN_BUTTON, "n_clicks"),
        State(ids.PATROL_STATION, "value"),
        State(ids.PATROL_WARDS, "value"),
        State(ids.PATROL_START_HOUR, "value"),
        State(ids.PATROL_END_HOUR, "value"),
        State(ids.PATROL_DAYS, "value"),
        State(ids.PATROL_CATEGORIES, "value"),
        State(ids.PATROL_POINTS_WANTED, "value"),
        State(ids.PATROL_OFFICER_HOURS, "value"),
        State(ids.PATROL_AS_OF, "date"),
        State(ids.PATROL_VERTICES, "data"),
        State(ids.PATROL_AREA, "data"),
        prevent_initial_call=True,
    )
    def plan(_clicks, *controls):
        try:
            params = parameters_from_controls(*controls)
            planned = patrol_service.plan_shift(get_engine(), params)
        except ObservatoryError as exc:
            return no_update, str(exc)
        return {"params": params.as_dict()}, (
            f"Planned {len(planned.points)} points and {len(planned.schedule)} visits from "
            f"{planned.incidents:,} placed incidents."
        )

    @app.callback(
        Output(ids.PATROL_SHEET, "hidden"),
        Output(ids.PATROL_SHEET_TITLE, "children"),
        Output(ids.PATROL_SHEET_LINES, "children"),
        Output(ids.PATROL_MAP, "figure"),
        Output(ids.PATROL_MAP_ATTRIBUTION, "children"),
        Output(ids.PATROL_POINTS, "children"),
        Output(ids.PATROL_SCHEDULE, "children"),
        Output(ids.PATROL_NAME, "value"),
        Input(ids.PATROL_CURRENT, "data"),
        prevent_initial_call=True,
    )
    def show_sheet(current):
        if not current:
            return True, "", [], {}, [], [], [], ""
        engine = get_engine()
        name, sheet = sheet_for(engine, current)
        figure = figures.patrol_map(
            sheet.points, sheet.wards, area=sheet.area, style=opts.map_style
        )
        attribution = components.attribution_text(ward_queries.ward_attributions(engine))
        return (
            False, sheet.title, [html.P(line) for line in sheet.lines], figure, attribution,
            points_table(sheet.points), schedule_table(sheet.schedule), name,
        )  # fmt: skip

    @app.callback(
        Output(ids.PATROL_SAVED, "options"),
        Output(ids.PATROL_SAVED, "value"),
        Output(ids.PATROL_STATUS, "children", allow_duplicate=True),
        Input(ids.PATROL_SAVE, "n_clicks"),
        State(ids.PATROL_CURRENT, "data"),
        State(ids.PATROL_NAME, "value"),
        prevent_initial_call=True,
    )
    def save(_clicks, current, name):
        if not current or "params" not in current:
            return no_update, no_update, "Plan a shift first; a saved plan is already kept."
        engine = get_engine()
        try:
            params = PlanParameters.from_dict(current["params"])
            scoped_wards(params.ward_codes, viewer_scope())
            planned = patrol_service.plan_shift(engine, params)
            user = auth.current_user() if auth._EXTENSION in flask.current_app.extensions else None
            plan_id = save_plan(engine, name, params, planned.points, planned.schedule,
                                user.username if user else None)  # fmt: skip
        except ObservatoryError as exc:
            return no_update, no_update, str(exc)
        return saved_options(engine), plan_id, f"Saved as plan {plan_id}."

    @app.callback(
        Output(ids.PATROL_DOWNLOAD, "data"),
        Output(ids.PATROL_STATUS, "children", allow_duplicate=True),
        Input(ids.PATROL_PDF_BUTTON, "n_clicks"),
        State(ids.PATROL_CURRENT, "data"),
        prevent_initial_call=True,
    )
    def download(_clicks, current):
        if not current:
            return no_update, "Plan a shift or open a saved plan first."
        try:
            name, sheet = sheet_for(get_engine(), current)
            pdf = patrol_sheet(sheet)
        except ObservatoryError as exc:
            return no_update, str(exc)
        return dcc.send_bytes(pdf, _file_name(name)), "The patrol sheet is downloading."

    @app.callback(
        Output(ids.PATROL_CURRENT, "data", allow_duplicate=True),
        Output(ids.PATROL_EVAL_GRAPH, "figure"),
        Output(ids.PATROL_EVAL_GRAPH, "style"),
        Output(ids.PATROL_EVAL_TEXT, "children"),
        Input(ids.PATROL_SAVED, "value"),
        prevent_initial_call=True,
    )
    def open_saved(plan_id):
        if plan_id is None:
            return no_update, {}, {"display": "none"}, ""
        try:
            score = patrol_service.evaluate_saved_plan(get_engine(), int(plan_id), viewer_scope())
        except ObservatoryError as exc:
            return no_update, {}, {"display": "none"}, str(exc)
        figure = figures.evaluation_chart(score.table)
        return {"plan_id": int(plan_id)}, figure, {}, evaluation_text(score)

    app.clientside_callback(
        ClientsideFunction("patrol", "printSheet"),
        Output(ids.PATROL_PRINTED, "children"),
        Input(ids.PATROL_PRINT, "n_clicks"),
        prevent_initial_call=True,
    )
