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
from geodata.cache import data_version
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


def _drawn_record(version: int, args: tuple) -> dict:
    start, end, categories, wards = args
    return {
        "version": version,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "categories": list(categories),
        "wards": list(wards),
    }


def _colour_patch(
    engine, counts, drawn: dict | None, version: int, res: int, args: tuple
) -> Patch | None:
    """New colours for the hexagons already in the browser, or None when some cell
    with incidents is not among them (or the data changed) and the map must be
    redrawn. The wards are never taken from the browser: a record drawn for other
    wards (the viewer's scope changed) is redrawn."""
    wards = args[-1]
    if not drawn or drawn.get("version") != version or drawn.get("wards") != list(wards):
        return None
    drawn_args = (
        filters.parse_date(drawn["start"]),
        filters.parse_date(drawn["end"]),
        tuple(drawn["categories"]),
        wards,
    )
    drawn_cells = maps.hex_counts(engine, res, *drawn_args)["h3"].tolist()
    if not set(counts["h3"].tolist()) <= set(drawn_cells):
        return None
    patch = Patch()
    patch["data"][0]["z"] = map_figures.hex_z(drawn_cells, counts)
    patch["data"][0]["zmax"] = map_figures.colour_max(counts)
    return patch


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
        counts = maps.hex_counts(engine, res, *args)
        version = data_version(engine)
        patch = _colour_patch(engine, counts, drawn, version, res, args)
        if patch is not None:
            return patch, no_update, no_update
        outlines = wards.ward_outlines_geojson(engine)
        figure = map_figures.incident_map(counts, outlines, style=opts.map_style)
        attribution = (
            components.attribution_text(wards.ward_attributions(engine))
            if outlines["features"]
            else []
        )
        return figure, _drawn_record(version, args), attribution

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
