"""Drawing the station area on the patrol planner's map (issue #6): a click on the
map adds a corner (caught in the browser by the actions page's `bindMapClicks`),
the polygon grows on the map, Finish checks it and Clear starts again.

What a drawing means: with wards chosen, only the part of it inside them is
planned; with the Wards box empty, the wards it overlaps are used. A commander's
drawing is cut to their station's wards, and refused when it lies wholly outside
them. The finished polygon (GeoJSON text) waits in PATROL_AREA for the Plan button,
which checks it again on the server.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import dash
import pandas as pd
from dash import ClientsideFunction, Input, Output, Patch, State, ctx, no_update

from dashboard import components, ids
from dashboard.callbacks.patrol import scoped_wards, viewer_scope
from dashboard.figures import patrol as figures
from dashboard.options import AppOptions
from dashboard.payload import figure_json
from geodata import patrol_service
from geodata.cache import cached
from geodata.db import get_engine
from geodata.errors import ObservatoryError
from geodata.patrol_area import MIN_CORNERS, polygon_from_vertices
from geodata.queries import maps
from geodata.queries import patrol as queries
from geodata.queries import wards as ward_queries

CONTEXT_RES = 9  # the planner's cells: the hexagons a patrol point is made of
# With no ward chosen (the team, before choosing a station) the map shows every
# ward's outline and no cells: on a national database even coarse cells took
# seconds to count, build and send (18,000 at resolution 7 on the benchmark).
NO_CELLS = pd.DataFrame({"h3": pd.Series(dtype="int64"), "count": pd.Series(dtype="int64")})
CONTEXT_WEEKS = 26  # the planner's look-back (PlanParameters.lookback_weeks)

DRAW_HELP = (
    "Optional: click the map at each corner of the station area, then Finish; Clear "
    "starts again. With wards chosen above, only the part of the drawing inside them "
    "is planned; with the Wards box empty, the wards the drawing covers are used."
)
COMMANDER_HELP = " A drawing is cut to your station's wards; one wholly outside them is refused."


def drawing_after(trigger, vertices: list | None, area: str | None, click: dict | None):
    """(corners, finished area) after a click or Clear. A finished area takes no
    more corners: a stray click must not reopen what Finish checked."""
    vertices = list(vertices or [])
    if trigger == ids.PATROL_DRAW_CLEAR:
        return [], None
    if trigger == ids.PATROL_CLICK and not area and click and "lon" in click and "lat" in click:
        return [*vertices, [round(float(click["lon"]), 7), round(float(click["lat"]), 7)]], None
    return vertices, area


def drawing_status(vertices: list, area: str | None) -> str:
    n = len(vertices)
    if area:
        return f"Station area finished with {n} corners: plan the shift, or Clear to draw again."
    if not n:
        return "No area drawn: the plan covers the chosen wards."
    placed = f"Station area: {n} corner{'' if n == 1 else 's'} placed"
    if n < MIN_CORNERS:
        return f"{placed}; click at least {MIN_CORNERS - n} more, then Finish."
    return f"{placed}; Finish to close it, or keep clicking to add corners."


def finish_message(drawn: str, chosen: tuple[str, ...], scope) -> str:
    """What Finish tells: the wards the plan will cover, or why it cannot."""
    area = patrol_service.drawn_station_area(get_engine(), drawn, chosen, scope)
    corners = len(json.loads(drawn)["coordinates"][0]) - 1
    return (
        f"Station area finished with {corners} corners. The plan covers the drawing inside "
        f"{', '.join(area.ward_names)}. Plan the shift to use it; Clear to draw again."
    )


def _draw_figure(engine, wards, categories, as_of, vertices, scope, opts: AppOptions):
    codes = tuple(wards or ()) or (() if scope is None else tuple(scope))
    try:
        end = date.fromisoformat(str(as_of)[:10]) if as_of else None
    except ValueError:
        end = None
    drawn = tuple(tuple(v) for v in (vertices or []))
    return draw_figure(engine, codes, tuple(categories or ()), end, drawn, opts.map_style)


@cached
def draw_figure(engine, codes: tuple, categories: tuple, end, vertices: tuple, style: str) -> dict:
    """The drawing map as the plain dict Dash sends, kept per data version: with no
    ward chosen it carries the outlines of every ward in Kenya (the light shared
    lines), which plotly takes most of a second to build."""
    start = None if end is None else end - timedelta(weeks=CONTEXT_WEEKS)
    drawn = [list(v) for v in vertices]
    if codes:
        counts = maps.hex_counts(engine, CONTEXT_RES, start, end, categories, codes)
        outlines = queries.ward_outlines(engine, codes)
        return figure_json(
            figures.draw_map(counts, outlines, drawn, style=style, revision=",".join(codes))
        )
    # Every ward's lines go to the browser as the stored JSON text, never parsed here.
    lines = ward_queries.ward_lines_serialised(engine)
    return figures.draw_map_passing_outlines(
        NO_CELLS, lines.geojson, lines.features, lines.bbox, drawn, style=style
    )


def register(app: dash.Dash, opts: AppOptions) -> None:
    # One click binding for every drawing map (actions, review, patrol).
    app.clientside_callback(
        ClientsideFunction("actions", "bindMapClicks"),
        Output(ids.PATROL_DRAW_BIND, "children"),
        Input(ids.PATROL_DRAW_MAP, "figure"),
        State(ids.PATROL_DRAW_MAP, "id"),
        State(ids.PATROL_CLICK, "id"),
    )

    @app.callback(
        Output(ids.PATROL_DRAW_MAP, "figure"),
        Output(ids.PATROL_DRAW_ATTRIBUTION, "children"),
        Input(ids.PATROL_WARDS, "value"),
        Input(ids.PATROL_CATEGORIES, "value"),
        State(ids.PATROL_AS_OF, "date"),
        State(ids.PATROL_VERTICES, "data"),
    )
    def draw_map(wards, categories, as_of, vertices):
        engine = get_engine()
        scope = viewer_scope()
        try:
            chosen = scoped_wards(wards, scope)
        except ObservatoryError:
            chosen = ()
        figure = _draw_figure(engine, chosen, categories, as_of, vertices, scope, opts)
        attribution = components.attribution_text(ward_queries.ward_attributions(engine))
        return figure, attribution

    @app.callback(
        Output(ids.PATROL_VERTICES, "data"),
        Output(ids.PATROL_AREA, "data"),
        Output(ids.PATROL_DRAW_STATUS, "children"),
        Input(ids.PATROL_CLICK, "data"),
        Input(ids.PATROL_DRAW_FINISH, "n_clicks"),
        Input(ids.PATROL_DRAW_CLEAR, "n_clicks"),
        State(ids.PATROL_VERTICES, "data"),
        State(ids.PATROL_AREA, "data"),
        State(ids.PATROL_WARDS, "value"),
        prevent_initial_call=True,
    )
    def edit_drawing(click, _finish, _clear, vertices, area, wards):
        if ctx.triggered_id != ids.PATROL_DRAW_FINISH:
            vertices, area = drawing_after(ctx.triggered_id, vertices, area, click)
            return vertices, area, drawing_status(vertices, area)
        if area:
            return no_update, no_update, drawing_status(vertices or [], area)
        try:
            drawn = json.dumps(polygon_from_vertices(vertices or []))
            scope = viewer_scope()
            message = finish_message(drawn, scoped_wards(wards, scope), scope)
        except ObservatoryError as exc:
            return no_update, None, f"Not finished: {exc}"
        return no_update, drawn, message

    @app.callback(
        Output(ids.PATROL_DRAW_MAP, "figure", allow_duplicate=True),
        Input(ids.PATROL_VERTICES, "data"),
        prevent_initial_call=True,
    )
    def show_drawing(vertices):
        patch = Patch()
        patch["data"][figures.DRAW_INDEX] = figures.drawing_trace(vertices or [])
        return patch
