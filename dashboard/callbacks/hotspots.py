"""Hot-spot page callbacks: filters, resolution and measure in; the map (or only its
colours, as a Patch), a summary and the URL out; a click on the map sets the focus
every analytics page shares. Counts are limited to the viewer's wards
(`auth.scoped_filters`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qsl

import dash
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, html, no_update

from dashboard import auth, components, filter_bar, filters, ids
from dashboard.figures import actions as action_figures
from dashboard.figures import hotspots as figures
from dashboard.figures import map as map_figures
from dashboard.figures.map import hex_geojson
from dashboard.options import AppOptions
from geodata.cache import cached, data_version
from geodata.db import get_engine
from geodata.errors import ObservatoryError
from geodata.h3grid import from_hex
from geodata.queries import actions as action_queries
from geodata.queries import analytics, comparisons, maps, wards
from geodata.queries.filters import IncidentFilter
from geodata.stats.hotspots import LABELS as GI_LABELS
from geodata.stats.hotspots import scale_note

HEX_ONLY = "Gi* and emerging hot spots are computed on hexagons: showing incidents per ward."
WARDS_ONLY = "Rates per 1,000 residents need ward populations: choose Wards. Showing incidents."
NO_POPULATION = "No ward population is loaded: rates cannot be computed."


@dataclass(frozen=True)
class Drawn:
    """What a map shows: its locations (hex ids or ward codes), colours and notes."""

    locations: list[str]
    layer: figures.Layer
    notes: tuple[str, ...]
    summary: list
    res: int | None = None  # the hexagons' resolution (None: wards)
    map_note: str = ""  # written on the map: why it shows larger hexagons than asked


def _ward_map(engine, args: IncidentFilter, measure: str) -> Drawn:
    counts = analytics.ward_counts(engine, args).set_index("ward_code")
    notes: list[str] = []
    if measure in ("gi", "emerging"):
        notes.append(HEX_ONLY)
    if measure == "rate" and counts["rate"].notna().any():
        layer = figures.count_layer(counts.index, counts["rate"], "per 1,000 residents")
    else:
        if measure == "rate":
            notes.append(NO_POPULATION)
        layer = figures.count_layer(counts.index, counts["count"])
    top = counts.sort_values("count", ascending=False).head(5)
    summary = [
        f"{name}: {count:,.0f}" for name, count in zip(top["name"], top["count"], strict=True)
    ]
    return Drawn(list(counts.index), layer, tuple(notes), summary)


COARSER_HINT = "Choose a county or ward for finer cells."


def _hex_map_within_budget(
    engine, res: int, args: IncidentFilter, measure: str, budget: int
) -> Drawn:
    """The hexagon map at `res`, or at the finest coarser resolution whose cells with
    incidents fit `budget`; every measure is then computed at the resolution drawn."""
    drawn_res = analytics.drawn_resolution(engine, res, args, budget)
    drawn = _hex_map(engine, drawn_res, args, measure)
    note = map_figures.coarser_note(res, drawn_res, budget, COARSER_HINT)
    notes = (note, *drawn.notes) if note else drawn.notes
    return replace(drawn, notes=notes, res=drawn_res, map_note=note)


def _hex_map(engine, res: int, args: IncidentFilter, measure: str) -> Drawn:
    notes: list[str] = []
    if measure == "gi":
        gi = comparisons.gi_cells(engine, res, args)
        # Empty cells of the study grid that are not significant look like no cell:
        # leaving them out keeps the map within its budget of shapes.
        shown = gi[(gi["count"] > 0) | (gi["bin"] != 0)]
        locations = figures.hex_ids(shown["cell"])
        hot = gi[gi["bin"] > 0].sort_values(["bin", "gi_z"], ascending=False).head(5)
        summary = [
            f"{(gi['bin'] >= 2).sum():,} of {len(gi):,} hexagons are hot spots at 95 % or more "
            f"(after the false discovery rate correction)",
            *(
                f"{figures.hex_ids([c])[0]}: {GI_LABELS[b]}, {n:,.0f} incidents"
                for c, b, n in zip(hot["cell"], hot["bin"], hot["count"], strict=True)
            ),
        ]
        scale = scale_note(res, len(gi))  # street-scale hot spots need resolution 9
        layer = figures.gi_layer(locations, _hex_index(shown))
        return Drawn(locations, layer, (scale,) if scale else (), summary)
    if measure == "emerging":
        try:
            emerging = comparisons.emerging_cells(engine, res, args)
        except ObservatoryError as exc:
            notes.append(str(exc))
        else:
            locations = figures.hex_ids(emerging["cell"])
            classes = emerging["category"].map(figures.emerging_class).value_counts()
            summary = [f"{name}: {n:,} hexagons" for name, n in classes.items()]
            layer = figures.emerging_layer(locations, _hex_index(emerging))
            return Drawn(locations, layer, (), summary)
    if measure == "rate":
        notes.append(WARDS_ONLY)
    counts = analytics.cell_counts(engine, res, args)
    locations = figures.hex_ids(counts["h3"])
    values = pd.Series(counts["count"].to_numpy(), index=locations)
    top = values.sort_values(ascending=False).head(5)
    summary = [f"{cell}: {n:,.0f} incidents" for cell, n in top.items()]
    return Drawn(locations, figures.count_layer(locations, values), tuple(notes), summary)


def _hex_index(frame):
    """A stats frame keyed by hex id instead of the int64 cell."""
    return frame.assign(cell=figures.hex_ids(frame["cell"]))


def drawn_for(engine, state: filters.ViewFilters, res: str, measure: str, public: bool) -> Drawn:
    """What the map shows for a view (kept per data version: a national layer is
    thousands of values and hover texts)."""
    return _drawn(engine, state, res, measure, public, maps.max_cells())


@cached
def _drawn(engine, state, res: str, measure: str, public: bool, budget: int) -> Drawn:
    # The map itself is never narrowed to the focus: the focus is what it sets.
    args = replace(state, focus=None).query_args(public)
    args.pop("start"), args.pop("end")
    args.pop("cell")
    dates = {"start": state.start, "end": state.end}
    if res == "wards":
        return _ward_map(engine, IncidentFilter(**dates, **args), measure)
    query = IncidentFilter(**dates, **args)
    return _hex_map_within_budget(engine, int(res), query, measure, budget)


def _shapes(engine, drawn: Drawn) -> tuple:
    """(shapes, bounds) of what `drawn` colours: ward polygons as GeoJSON, hexagons
    serialised in one pass (map_figures.hex_shapes)."""
    if drawn.res is None:
        wanted = set(drawn.locations)
        outlines = wards.ward_outlines_geojson(engine)
        subset = {**outlines, "features": [f for f in outlines["features"] if f["id"] in wanted]}
        return subset, map_figures.geojson_bounds(subset)
    decimals = 4 if drawn.res <= 7 else map_figures.COORD_DECIMALS
    shapes = map_figures.hex_shapes([int(h, 16) for h in drawn.locations], decimals)
    return shapes.geojson, shapes.bounds


def focus_geojson(engine, focus: str | None) -> dict | None:
    kind, _, value = (focus or "").partition(":")
    if kind == "cell":
        return hex_geojson([from_hex(value)])
    if kind == "ward":
        outlines = wards.ward_outlines_geojson(engine)
        return {**outlines, "features": [f for f in outlines["features"] if f["id"] == value]}
    return None


def _summary(drawn: Drawn) -> list:
    return [html.Ul([html.Li(line) for line in drawn.summary], className="summary-list")]


@cached
def map_figure(engine, state: filters.ViewFilters, res: str, measure: str, opts: AppOptions):
    """The whole map as the plain dict Dash sends, kept per data version."""
    drawn = drawn_for(engine, state, res, measure, opts.public)
    shapes, bounds = _shapes(engine, drawn)
    outlines = wards.ward_lines_geojson(engine) if res != "wards" else None
    if bounds is None and outlines and outlines["features"]:
        bounds = map_figures.geojson_bounds(outlines)
    figure = figures.choropleth_shell(
        bounds,
        outlines=bool(outlines and outlines["features"]),
        focus=focus_geojson(engine, state.focus),
        style=opts.map_style,
        note=drawn.map_note,
    )
    # Forum actions above the hexagons (traces after data[0]: colour patches still fit).
    actions = action_queries.actions_frame(engine)
    figure = action_figures.add_action_overlay(figure, actions).to_plotly_json()
    return figures.fill_shapes(figure, drawn.locations, shapes, drawn.layer, outlines)


def register(app: dash.Dash, opts: AppOptions) -> None:
    @app.callback(
        Output(ids.HOT_MAP, "figure"),
        Output(ids.HOT_DRAWN, "data"),
        Output(ids.HOT_STATUS, "children"),
        Output(ids.HOT_SUMMARY, "children"),
        Output(ids.HOT_ATTRIBUTION, "children"),
        *filter_bar.INPUTS,
        Input(ids.HOT_RES, "value"),
        Input(ids.HOT_MEASURE, "value"),
        State(ids.HOT_DRAWN, "data"),
    )
    def update_hotspots(*values):
        *view, res, measure, previous = values
        engine = get_engine()
        first, last = maps.date_bounds(engine)
        state = auth.scoped_filters(filter_bar.view_from_inputs(view, first, last, opts.public))
        res, measure = figures.parse_res(res), figures.parse_measure(measure)
        drawn = drawn_for(engine, state, res, measure, opts.public)
        record = {
            "version": data_version(engine),
            "res": res,
            "measure": measure,
            "view": state.query_string(),
            "budget": maps.max_cells(),
        }
        status = " ".join(drawn.notes)
        focus = focus_geojson(engine, state.focus)
        same_shapes = previous and all(
            previous.get(k) == record[k] for k in ("version", "res", "budget")
        )
        if same_shapes and "view" in previous and "measure" in previous:
            patch = _patch(engine, previous, drawn, focus, opts.public)
            if patch is not None:
                return patch, no_update, status, _summary(drawn), no_update
        figure = map_figure(engine, state, res, measure, opts)
        attribution = components.attribution_text(wards.ward_attributions(engine))
        return figure, record, status, _summary(drawn), attribution

    @app.callback(
        Output(ids.FILTER_FOCUS, "data", allow_duplicate=True),
        Input(ids.HOT_MAP, "clickData"),
        State(ids.HOT_RES, "value"),
        prevent_initial_call=True,
    )
    def focus_on_click(click, res):
        points = (click or {}).get("points") or []
        location = points[0].get("location") if points else None
        if not location:
            return no_update
        return filters.parse_focus(f"{'ward' if res == 'wards' else 'cell'}:{location}")

    # Resolution and measure join the filters in the address bar.
    app.clientside_callback(
        ClientsideFunction("analytics", "syncHotspotUrl"),
        Output(ids.HOT_URL_SYNC, "children"),
        Input(ids.HOT_RES, "value"),
        Input(ids.HOT_MEASURE, "value"),
    )


def _patch(engine, previous: dict, drawn: Drawn, focus, public: bool):
    """Colours for the shapes already drawn, when every new location is among them
    (the drawn locations are recomputed from the cached reads, not sent back)."""
    first, last = maps.date_bounds(engine)
    old_state = auth.scoped_filters(
        filters.view_from_values(
            dict(parse_qsl(previous["view"].lstrip("?"))), first=first, last=last, public=public
        )
    )
    old = drawn_for(engine, old_state, previous["res"], previous["measure"], public)
    if old.res != drawn.res or not set(drawn.locations) <= set(old.locations):
        return None
    return figures.layer_patch(_relayer(drawn, old.locations), focus)


def _relayer(drawn: Drawn, locations: list[str]) -> figures.Layer:
    """`drawn`'s layer re-aligned to the locations already in the browser (hidden
    where `drawn` has none)."""
    position = {loc: i for i, loc in enumerate(drawn.locations)}
    pick = [position.get(loc) for loc in locations]
    layer = drawn.layer
    return replace(
        layer,
        z=[None if i is None else layer.z[i] for i in pick],
        text=["" if i is None else layer.text[i] for i in pick],
    )
