"""Map page callbacks: filters in, hexagon colours, headline numbers and the
bookmarkable URL out. Each parses its inputs, asks geodata.queries, calls a pure
builder and returns. Counts are limited to the viewer's wards (a commander's
station); the ward outlines are geography and drawn whole."""

from __future__ import annotations

import dash
from dash import ClientsideFunction, Input, Output, Patch, State, no_update

from dashboard import auth, components, filters, ids
from dashboard.figures import map as map_figures
from dashboard.options import AppOptions
from geodata.cache import cached, data_version
from geodata.db import get_engine
from geodata.queries import maps, wards

_FILTER_INPUTS = (
    Input(ids.MAP_DATES, "start_date"),
    Input(ids.MAP_DATES, "end_date"),
    Input(ids.MAP_CATEGORIES, "value"),
)


def _query_args(engine, start, end, categories, opts: AppOptions) -> tuple:
    """(start, end, categories, wards) to pass to geodata.queries.maps."""
    first, last = maps.date_bounds(engine)
    state = filters.from_values(start, end, categories, first=first, last=last, public=opts.public)
    state = auth.scoped_filters(state)
    return state.start, state.end, filters.query_categories(state, opts.public), state.wards


NOTE_HINT = "The hot-spot page draws finer hexagons for a county or ward."


def _drawn_record(version: int, args: tuple, view: maps.HexView, budget: int) -> dict:
    start, end, categories, wards = args
    return {
        "version": version,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "categories": list(categories),
        "wards": list(wards),
        "res": view.res,
        "budget": budget,
    }


def _colour_patch(
    engine, view: maps.HexView, drawn: dict | None, version: int, budget: int, args: tuple
) -> Patch | None:
    """New colours for the hexagons already in the browser, or None when some cell
    with incidents is not among them, the view needs a coarser resolution than the
    one drawn (or the data changed) and the map must be redrawn. A view that would
    fit at a finer resolution (a filter to one category holds fewer cells) keeps the
    drawn one: colours only, a few kilobytes instead of a new map of megabytes. The
    wards are never taken from the browser: a record drawn for other wards (the
    viewer's scope changed) is redrawn."""
    wards = args[-1]
    if not drawn or drawn.get("version") != version or drawn.get("wards") != list(wards):
        return None
    drawn_res = drawn.get("res")
    if drawn.get("budget") != budget or not isinstance(drawn_res, int) or drawn_res > view.res:
        return None
    drawn_args = (
        filters.parse_date(drawn["start"]),
        filters.parse_date(drawn["end"]),
        tuple(drawn["categories"]),
        wards,
    )
    drawn_view = maps.hex_view(engine, view.requested, budget, *drawn_args)
    if drawn_view.res != drawn_res:
        return None
    drawn_cells = drawn_view.counts["h3"].tolist()
    counts = maps.coarsen_counts(view.counts, drawn_res)
    if not set(counts["h3"].tolist()) <= set(drawn_cells):
        return None
    patch = Patch()
    patch["data"][0]["z"] = map_figures.hex_z(drawn_cells, counts)
    patch["data"][0]["zmax"] = map_figures.colour_max(counts)
    return patch


@cached
def map_figure(engine, res: int, budget: int, args: tuple, style: str) -> dict:
    """The whole map as the plain dict Dash sends, kept per data version (its shapes
    are one serialised string, a few megabytes nationally)."""
    view = maps.hex_view(engine, res, budget, *args)
    note = map_figures.coarser_note(view.requested, view.res, budget, NOTE_HINT)
    outlines = wards.ward_lines_geojson(engine)
    return map_figures.incident_map_json(view.counts, outlines, style=style, note=note)


def register(app: dash.Dash, opts: AppOptions) -> None:
    res = opts.hex_resolution

    @app.callback(
        Output(ids.MAP_GRAPH, "figure"),
        Output(ids.MAP_DRAWN, "data"),
        Output(ids.MAP_ATTRIBUTION, "children"),
        *_FILTER_INPUTS,
        State(ids.MAP_DRAWN, "data"),
    )
    def update_map(start, end, categories, drawn):
        engine = get_engine()
        args = _query_args(engine, start, end, categories, opts)
        budget = maps.max_cells()
        view = maps.hex_view(engine, res, budget, *args)
        version = data_version(engine)
        patch = _colour_patch(engine, view, drawn, version, budget, args)
        if patch is not None:
            return patch, no_update, no_update
        figure = map_figure(engine, res, budget, args, opts.map_style)
        attribution = (
            components.attribution_text(wards.ward_attributions(engine))
            if wards.ward_lines_geojson(engine)["features"]
            else []
        )
        return figure, _drawn_record(version, args, view, budget), attribution

    @app.callback(Output(ids.MAP_HEADLINES, "children"), *_FILTER_INPUTS)
    def update_headlines(start, end, categories):
        engine = get_engine()
        numbers = maps.headline_numbers(engine, *_query_args(engine, start, end, categories, opts))
        return components.headline_cards(numbers)

    # The address bar follows the filters (see assets/clientside.js).
    app.clientside_callback(
        ClientsideFunction("observatory", "syncMapUrl"),
        Output(ids.MAP_URL_SYNC, "children"),
        *_FILTER_INPUTS,
    )
