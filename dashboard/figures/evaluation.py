"""The evaluation page's pieces: the target, ring and control cells on a map, the
plain-language verdicts, the counts and measures tables (all incidents and night
only, small numbers flagged), and the after-dark lens map of dark hot spots with no
light planned.

Pure builders: plain data (`geodata.evaluation.Evaluation.as_dict()`, the lens frames)
in, figures and html out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard import ids
from dashboard.figures import actions as action_figures
from dashboard.figures import map as map_figures
from dashboard.figures import theme
from dashboard.figures.hotspots import stepped_scale
from geodata.h3grid import from_hex

# Night first: most actions (lights above all) act after dark.
SUBSETS = {"night": "At night only (between sunset and sunrise)", "all": "All incidents"}
# Okabe-Ito: the target orange, its ring blue, the control green.
AREA_COLOURS = {"target": "#E69F00", "ring": "#56B4E9", "control": "#009E73"}
AREA_LABELS = {
    "target": "Target area",
    "ring": "Ring (displacement buffer)",
    "control": "Control area",
}
MEASURE_LABELS = {
    "gross_effect": "Gross effect (before − after, target)",
    "net_effect": "Net effect (relative to control)",
    "success_measure": "Success measure (below 0: success)",
    "buffer_displacement": "Buffer displacement measure",
    "wdq": "Weighted displacement quotient (WDQ)",
    "total_net_effect": "Total net effect (incidents prevented, net)",
}
COUNT_ROWS = (("target", "Target area"), ("ring", "Ring"), ("control", "Control area"))
SMALL_MARK = "⚠"
SMALL_NOTE = (
    "Small numbers: fewer than 20 incidents in the target before, or 10 in the control "
    "(or the ring) in a period. Chance alone moves such counts as much as an action would."
)
UNLIT_COLOUR = "#000000"
LENS_COLOURS = ("#f2f2f2", "#bdc9e1", "#67a9cf", "#1c6ea4", "#08306b")
LENS_BINS = (0.0, 0.4, 0.5, 0.6, 0.7, 1.0001)
# A share of fewer incidents is mostly chance: such cells are left uncoloured.
LENS_MIN_KNOWN = 5


def format_value(name: str, value: float | None) -> str:
    """A measure as shown: WDQ and ratios to 2 decimals, counts whole, None as a dash."""
    if value is None:
        return "–"
    if name in ("gross_effect", "total_net_effect"):
        return f"{value:+,.0f}"
    return f"{value:+.2f}"


def verdict_block(result: dict, subset: str) -> html.Section:
    """The verdict in large plain language, with the small-number warning."""
    verdict = result["verdict"]
    small = verdict["small_numbers"]
    return html.Section(
        [
            html.H3(SUBSETS[subset]),
            html.P(
                verdict["headline"],
                id=ids.eval_value("verdict", subset),
                className="verdict-headline",
            ),
            html.P(verdict["detail"], className="verdict-detail"),
            html.P(f"{SMALL_MARK} {SMALL_NOTE}", className="small-number-note") if small else None,
        ],
        className=f"verdict verdict-{verdict['code']}" + (" verdict-small" if small else ""),
    )


def counts_table(counts: dict, periods: dict) -> html.Table:
    """Incidents per area before and after (a `result["counts"]` mapping)."""
    before, after = period_label(periods["before"]), period_label(periods["after"])
    rows = [
        html.Tr(
            [
                html.Th(label, scope="row"),
                html.Td(f"{counts[f'{key}_before']:,.0f}", className="number"),
                html.Td(f"{counts[f'{key}_after']:,.0f}", className="number"),
            ]
        )
        for key, label in COUNT_ROWS
    ]
    return html.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th("Area"),
                        html.Th(f"Before: {before}"),
                        html.Th(f"After: {after}"),
                    ]
                )
            ),
            html.Tbody(rows),
        ],
        className="table data-table counts-table",
    )


def measures_table(measures: Sequence[dict], subset: str) -> html.Table:
    """One row per measure: its value, what it means, a warning mark on small numbers."""
    short = {"wdq": "wdq", "total_net_effect": "tne"}
    rows = []
    for m in measures:
        named = {"id": ids.eval_value(short[m["name"]], subset)} if m["name"] in short else {}
        rows.append(
            html.Tr(
                [
                    html.Th(MEASURE_LABELS.get(m["name"], m["name"]), scope="row"),
                    html.Td(
                        format_value(m["name"], m["value"]),
                        className="number",
                        **named,
                        **{"data-value": "" if m["value"] is None else repr(float(m["value"]))},
                    ),
                    html.Td(
                        [m["interpretation"]]
                        + (
                            [html.Span(f" {SMALL_MARK}", title=SMALL_NOTE)]
                            if m["small_numbers"]
                            else []
                        )
                    ),
                ],
                className="small-numbers" if m["small_numbers"] else None,
            )
        )
    return html.Table(
        [
            html.Thead(html.Tr([html.Th("Measure"), html.Th("Value"), html.Th("Meaning")])),
            html.Tbody(rows),
        ],
        className="table data-table measures-table",
    )


def results_section(evaluation: dict) -> list:
    """Counts and measures for all incidents and for night-only ones."""
    parts: list = []
    for subset in sorted(evaluation["results"], key=list(SUBSETS).index):
        result = evaluation["results"][subset]
        parts.append(
            html.Section(
                [
                    html.H3(SUBSETS.get(subset, subset)),
                    counts_table(result["counts"], evaluation["periods"]),
                    measures_table(result["measures"], subset),
                ],
                className="panel",
            )
        )
    return parts


def period_label(period: Sequence[str]) -> str:
    """A half-open [start, end) period of ISO timestamps as whole days, both included."""
    first = date.fromisoformat(period[0][:10])
    last = date.fromisoformat(period[1][:10]) - timedelta(days=1)
    return f"{first:%d %b %Y} to {last:%d %b %Y}"


def periods_text(evaluation: dict) -> str:
    p = evaluation["periods"]
    matched = evaluation["areas"]["control_method"] == "matched"
    return (
        f"Before: {period_label(p['before'])}, up to the start; after: "
        f"{period_label(p['after'])}, from the day after completion; {p['days']} days each. "
        f"Control: {'matched on the trend before the action' if matched else 'chosen'}."
    )


def areas_map(
    areas: dict,
    actions: pd.DataFrame,
    outlines: dict | None = None,
    *,
    style: str = "white-bg",
    height_px: int = 520,
) -> dict:
    """Target, ring and control cells (hex ids in `areas`) in their colours, the
    action (and any other mapped action) drawn above, ward outlines (polygons or
    lines). The plain figure dict Dash sends (see `_map`)."""
    names = list(AREA_COLOURS)
    locations, z, text = [], [], []
    for i, name in enumerate(names):
        for hex_id in areas.get(name, []):
            locations.append(hex_id)
            z.append(i)
            text.append(AREA_LABELS[name])
    trace = go.Choroplethmap(
        colorscale=stepped_scale([AREA_COLOURS[n] for n in names]),
        zmin=-0.5,
        zmax=len(names) - 0.5,
        marker={"opacity": 0.7, "line": {"width": 0.5, "color": theme.HEX_EDGE_COLOUR}},
        colorbar={
            "tickvals": list(range(len(names))),
            "ticktext": [AREA_LABELS[n] for n in names],
            "thickness": 18,
            "len": 0.6,
        },
        hovertemplate="%{text}<extra></extra>",
        name="areas",
    )
    cells = map_figures.hex_shapes(_cells(locations))
    figure = _map(trace, cells, actions, outlines, style, height_px, "evaluation-map")
    figure["data"][0].update(locations=cells.ids, z=z, text=text)
    return figure


def _cells(hex_ids: Sequence[str]) -> list[int]:
    return [from_hex(h) for h in hex_ids]


_EMPTY = {"type": "FeatureCollection", "features": []}


def _map(trace, cells, actions, outlines, style, height_px, revision, extra=()) -> dict:
    """The map as a plain figure dict: plotly builds it with empty shapes, which are
    put in place afterwards (`map_figures.with_shapes`). Plotly validates and copies
    every GeoJSON it is given: a national ward outline layer cost seconds that way.
    `extra`: line layers (dicts with their `source`) drawn above the ward outlines."""
    fig = go.Figure(trace)
    has_outlines = bool(outlines and outlines.get("features"))
    bounds = cells.bounds or (map_figures.geojson_bounds(outlines) if has_outlines else None)
    centre, zoom = map_figures.view_for_bounds(
        bounds or map_figures.KENYA_BOUNDS, height_px=height_px
    )
    theme.apply(fig)
    layers = [map_figures.ward_layer(_EMPTY)] if has_outlines else []
    layers += [{**layer, "source": _EMPTY} for layer in extra]
    fig.update_layout(
        map={"style": style, "center": centre, "zoom": zoom, "layers": layers},
        uirevision=revision,
    )
    figure = action_figures.add_action_overlay(fig, actions).to_plotly_json()
    map_figures.with_shapes(figure, cells.geojson, outlines)
    placed = figure["layout"]["map"].get("layers", [])[len(layers) - len(extra) :]
    for layer, wanted in zip(placed, extra, strict=True):
        layer["source"] = wanted["source"]
    return figure


def lens_map(
    lens: pd.DataFrame,
    unlit: pd.DataFrame,
    lights: pd.DataFrame,
    outlines: dict | None = None,
    *,
    style: str = "white-bg",
    height_px: int = 560,
) -> dict:
    """Cells with at least LENS_MIN_KNOWN incidents of known time coloured by their
    share after dark, the dark hot spots with no light planned outlined thick in black, and the
    lighting actions drawn above. The plain figure dict Dash sends (see `_map`)."""
    shown = lens[lens["known"] >= LENS_MIN_KNOWN]
    bins = pd.cut(shown["share"], LENS_BINS, right=False, labels=False).fillna(0).astype(int)
    labels = ["under 40 %", "40–50 %", "50–60 %", "60–70 %", "70 % or more"]
    trace = go.Choroplethmap(
        colorscale=stepped_scale(list(LENS_COLOURS)),
        zmin=-0.5,
        zmax=len(LENS_COLOURS) - 0.5,
        marker={"opacity": 0.8, "line": {"width": 0.5, "color": theme.HEX_EDGE_COLOUR}},
        colorbar={
            "title": {"text": "Share after dark", "side": "right"},
            "tickvals": list(range(len(labels))),
            "ticktext": labels,
            "thickness": 18,
            "len": 0.6,
        },
        hovertemplate="%{text}<extra></extra>",
        name="after dark",
    )
    cells = map_figures.hex_shapes(_cells(shown["hex"]))
    unlit_layer = {
        "sourcetype": "geojson",
        "source": map_figures.hex_shapes(_cells(unlit["hex"])).geojson,
        "type": "line",
        "color": UNLIT_COLOUR,
        "line": {"width": 4},
    }
    figure = _map(trace, cells, lights, outlines, style, height_px, "lens-map", [unlit_layer])
    figure["data"][0].update(
        locations=cells.ids,
        z=bins.tolist(),
        text=[
            f"{share:.0%} after dark of {known:,.0f} with a time"
            + (" · not lit" if not lit else "")
            for share, known, lit in zip(shown["share"], shown["known"], shown["lit"], strict=True)
        ],
    )
    return figure


def unlit_table(unlit: pd.DataFrame, top: int = 10) -> html.Table | html.P:
    """The dark hot spots with no light planned, most dark crime first."""
    if unlit.empty:
        return html.P("No dark hot spot without a light planned in these dates and categories.")
    rows = [
        html.Tr(
            [
                html.Td(row["hex"]),
                html.Td(f"{row['after_dark']:,.0f}", className="number"),
                html.Td(f"{row['known']:,.0f}", className="number"),
                html.Td(f"{row['share']:.0%}", className="number"),
            ]
        )
        for row in unlit.head(top).to_dict("records")
    ]
    return html.Table(
        [
            html.Caption(
                f"{len(unlit):,} dark hot spots with no light planned (outlined in black "
                f"on the map)" + (f"; the first {top}." if len(unlit) > top else ".")
            ),
            html.Thead(
                html.Tr(
                    [
                        html.Th("Hexagon"),
                        html.Th("After dark"),
                        html.Th("With a time"),
                        html.Th("Share after dark"),
                    ]
                )
            ),
            html.Tbody(rows),
        ],
        className="table data-table",
    )


def empty_map(message: str = "") -> go.Figure:
    """A blank figure (no axes) with an optional message, while nothing can be shown."""
    fig = go.Figure()
    theme.apply(fig)
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        height=120,
        annotations=[{"text": message, "showarrow": False, "font": {"size": 18}}]
        if message
        else [],
    )
    return fig
