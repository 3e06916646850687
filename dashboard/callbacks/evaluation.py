"""Evaluation page callbacks: the settings in, geodata.evaluation's result out as a
map of the areas, verdicts, tables and notes; the after-dark lens beside it. Each
parses its inputs, calls geodata, calls the pure builders in
dashboard.figures.evaluation and returns. Mistakes (an action not done, too few days
of data, a bad hexagon id) come back as one message, never a traceback."""

from __future__ import annotations

import re
from datetime import timedelta

import dash
import h3
from dash import ClientsideFunction, Input, Output, html

from dashboard import components, filters, ids
from dashboard.figures import evaluation as figures
from dashboard.options import AppOptions
from dashboard.payload import plain
from geodata.cache import cached
from geodata.db import get_engine
from geodata.errors import ObservatoryError
from geodata.evaluation import RING_METRES, TARGET_METRES, after_dark_for_area, evaluate_action
from geodata.h3grid import FINEST, from_hex
from geodata.queries import actions as queries
from geodata.queries import maps, wards
from geodata.stats.impact_areas import ring_cells

LENS_DAYS = 365
_SETTINGS = (
    Input(ids.EVAL_ACTION, "value"),
    Input(ids.EVAL_CATEGORIES, "value"),
    Input(ids.EVAL_TARGET_M, "value"),
    Input(ids.EVAL_RING_MODE, "value"),
    Input(ids.EVAL_RING_M, "value"),
    Input(ids.EVAL_RING_K, "value"),
    Input(ids.EVAL_CONTROL_MODE, "value"),
    Input(ids.EVAL_CONTROL_WARDS, "value"),
    Input(ids.EVAL_CONTROL_CELLS, "value"),
    Input(ids.EVAL_MAX_DAYS, "value"),
)


def parse_cells(text: str | None) -> tuple[int, ...]:
    """Hexagon ids typed or pasted (commas, spaces or new lines between them)."""
    cells = []
    for token in re.split(r"[\s,;]+", (text or "").strip()):
        if not token:
            continue
        if not h3.is_valid_cell(token) or h3.get_resolution(token) != FINEST:
            raise ObservatoryError(
                f"control hexagons: {token!r} is not a resolution-{FINEST} hexagon id; copy "
                "the ids from the hot-spot map with 'Small (res 9)' shown."
            )
        cells.append(from_hex(token))
    return tuple(sorted(set(cells)))


def _areas(engine, action_id: int, target_m: float, ring_m: float | None, ring_k: int):
    target = set(queries.action_cells(engine, action_id, target_m))
    if ring_m is None:
        return target, ring_cells(target, k=ring_k)
    return target, set(queries.action_cells(engine, action_id, ring_m)) - target


def chosen_control(engine, mode, ward_codes, cells_text, action_id, target_m, ring_m, ring_k):
    """The control cells the user chose (None: matched), outside target and ring."""
    if mode == "wards":
        if not ward_codes:
            raise ObservatoryError("choose at least one ward for the control area.")
        outlines = wards.ward_outlines_geojson(engine)["features"]
        chosen = set()
        for feature in outlines:
            if feature["id"] in set(ward_codes):
                chosen |= queries.geometry_cells(feature["geometry"])
    elif mode == "cells":
        chosen = set(parse_cells(cells_text))
        if not chosen:
            raise ObservatoryError("type or paste at least one hexagon id for the control area.")
    else:
        return None
    target, ring = _areas(engine, action_id, target_m, ring_m, ring_k)
    control = chosen - target - ring
    if not control:
        raise ObservatoryError(
            "every chosen control hexagon lies in the target area or its ring: choose "
            "hexagons further away."
        )
    return tuple(sorted(control))


def _positive(value, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number >= 0 else default


def evaluation_outputs(engine, values, opts: AppOptions) -> tuple:
    """message, periods, verdicts, map, results, notes for the page's settings."""
    action, categories, target_m, ring_mode, ring_m, ring_k = values[:6]
    control_mode, ward_codes, cells, days = values[6:]
    if action is None:
        return "Choose a done action to evaluate.", "", [], figures.empty_map(), [], []
    allowed = filters.allowed_categories(public=False)
    categories = filters.parse_categories(categories or [], allowed)
    target_m = _positive(target_m, TARGET_METRES)
    ring_m = None if ring_mode == "rings" else _positive(ring_m, RING_METRES)
    ring_k = max(1, int(_positive(ring_k, 1)))
    control = chosen_control(
        engine, control_mode, ward_codes, cells, int(action), target_m, ring_m, ring_k
    )
    result = evaluate_action(
        engine,
        int(action),
        categories=categories,
        target_metres=target_m,
        ring_metres=ring_m,
        ring_k=ring_k,
        control_cells=control,
        max_days=max(28, int(_positive(days, 365))),
    ).as_dict()
    verdicts = [figures.verdict_block(result["results"][s], s) for s in ("night", "all")]
    figure = figures.areas_map(
        result["areas"],
        queries.actions_frame(engine),
        wards.ward_lines_geojson(engine),
        style=opts.map_style,
    )
    notes = [html.Li(n) for n in result["notes"]]
    return (
        "",
        figures.periods_text(result),
        verdicts,
        figure,
        figures.results_section(result),
        notes,
    )


@cached
def lens_payload(engine, categories: tuple[str, ...], style: str) -> tuple:
    """status, lens map, unlit table for the last LENS_DAYS of data, kept per data
    version as plain JSON (like dashboard.callbacks.analytics.clock_payload): drawing
    the national lens's 5,700 cells costs more than its cached reads. The map is
    already the plain dict Dash sends (its ward lines alone are 120,000 values to
    walk again)."""
    status, figure, table = lens_outputs(engine, categories, style)
    return status, figure, plain(table)


def lens_outputs(engine, categories: tuple[str, ...], style: str) -> tuple:
    """status, lens map, unlit table for the last LENS_DAYS of data."""
    last = maps.date_bounds(engine)[1]
    if last is None:
        return "No incidents loaded yet.", figures.empty_map(), []
    lens = after_dark_for_area(
        engine,
        last - timedelta(days=LENS_DAYS - 1),
        last,
        tuple(categories),
        min_known=figures.LENS_MIN_KNOWN,
    )
    lights = queries.actions_frame(engine)
    lights = lights[lights["kind"] == "lighting"]
    figure = figures.lens_map(
        lens.lens, lens.unlit, lights, wards.ward_lines_geojson(engine), style=style
    )
    return "", figure, figures.unlit_table(lens.unlit)


def register(app: dash.Dash, opts: AppOptions) -> None:
    @app.callback(
        Output(ids.EVAL_MESSAGE, "children"),
        Output(ids.EVAL_PERIODS, "children"),
        Output(ids.EVAL_VERDICTS, "children"),
        Output(ids.EVAL_MAP, "figure"),
        Output(ids.EVAL_RESULTS, "children"),
        Output(ids.EVAL_NOTES, "children"),
        *_SETTINGS,
    )
    def update_evaluation(*values):
        try:
            return evaluation_outputs(get_engine(), values, opts)
        except ObservatoryError as exc:
            return f"Cannot evaluate: {exc}", "", [], figures.empty_map(), [], []

    @app.callback(
        Output(ids.EVAL_LENS_STATUS, "children"),
        Output(ids.EVAL_LENS_MAP, "figure"),
        Output(ids.EVAL_LENS_TABLE, "children"),
        Output(ids.EVAL_ATTRIBUTION, "children"),
        Input(ids.EVAL_CATEGORIES, "value"),
    )
    def update_lens(categories):
        engine = get_engine()
        attribution = components.attribution_text(wards.ward_attributions(engine))
        try:
            allowed = filters.allowed_categories(public=False)
            chosen = filters.parse_categories(categories or [], allowed)
            return (*lens_payload(engine, chosen, opts.map_style), attribution)
        except ObservatoryError as exc:
            return f"After-dark lens: {exc}", figures.empty_map(), [], attribution

    app.clientside_callback(
        ClientsideFunction("actions", "syncEvaluationUrl"),
        Output(ids.EVAL_URL_SYNC, "children"),
        Input(ids.EVAL_ACTION, "value"),
        Input(ids.EVAL_CATEGORIES, "value"),
    )
