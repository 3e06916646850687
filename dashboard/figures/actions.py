"""Forum actions drawn over maps and beside charts: markers, lines and areas styled by
kind (colour) and status (filled = done; hollow or dashed = planned or under way), a
legend that reads on a projector, a timeline of actions, and the geometry being
drawn on the actions page.

Pure builders: an `actions_frame` (geodata.queries.actions) in, plotly traces or
figures out. Markers are circles only: any other MapLibre symbol needs sprites and
glyphs fetched from the internet, and the dashboard works offline. Scattermap lines
cannot be dashed, so a planned line is drawn as dashes (short pieces separated by
gaps) computed here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import map as map_figures
from dashboard.figures import theme
from geodata.actions import ACTION_KINDS, KIND_LABELS, STATUS_LABELS

# Okabe-Ito, one colour per kind: distinguishable with every common colour-vision
# deficiency. Yellow goes to a kind that is rarely on a map (it has no place).
KIND_COLOURS: dict[str, str] = {
    "lighting": "#E69F00",
    "pathway_clearing": "#009E73",
    "bush_clearing": "#56B4E9",
    "patrol": "#0072B2",
    "cctv": "#CC79A7",
    "community_meeting": "#D55E00",
    "awareness": "#F0E442",
    "other": "#000000",
}
DONE = "done"
# Shown on maps by default: a dropped action changed nothing on the ground.
MAPPED_STATUSES: tuple[str, ...] = ("proposed", "agreed", "in_progress", "done")
MARKER_SIZE = 20
HOLLOW_SIZE = 10
LINE_WIDTH = 5
DASH_M, GAP_M = 25.0, 15.0
FILL_OPACITY = 0.35
LEGEND_FONT_SIZE = 18
DRAWN_COLOUR = "#000000"
_M_PER_DEG = 111_320.0


def _is_done(status: str) -> bool:
    return status == DONE


def _hover(row: dict) -> str:
    parts = [f"<b>{KIND_LABELS.get(row['kind'], row['kind'])}</b>: {row['title']}"]
    status = STATUS_LABELS.get(row["status"], row["status"])
    if row["status"] == DONE and row.get("completed_on"):
        status += f" on {row['completed_on']:%d %b %Y}"
    elif row.get("due_on"):
        status += f", due {row['due_on']:%d %b %Y}"
    parts.append(status)
    return "<br>".join(parts)


def _lines_of(geometry: dict) -> list[list[tuple[float, float]]]:
    """The lines a geometry draws: a line's vertices, a polygon's rings (closed)."""
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "LineString":
        return [[tuple(c[:2]) for c in coords]]
    if kind == "MultiLineString":
        return [[tuple(c[:2]) for c in line] for line in coords]
    if kind == "Polygon":
        return [[tuple(c[:2]) for c in ring] for ring in coords]
    if kind == "MultiPolygon":
        return [[tuple(c[:2]) for c in ring] for poly in coords for ring in poly]
    return []


def _points_of(geometry: dict) -> list[tuple[float, float]]:
    if geometry["type"] == "Point":
        return [tuple(geometry["coordinates"][:2])]
    if geometry["type"] == "MultiPoint":
        return [tuple(c[:2]) for c in geometry["coordinates"]]
    return []


def dashed(line: Sequence[tuple[float, float]], dash_m: float = DASH_M, gap_m: float = GAP_M):
    """A line cut into dashes `dash_m` long with `gap_m` gaps: a list of short lines."""
    if len(line) < 2:
        return [list(line)]
    lat0 = sum(p[1] for p in line) / len(line)
    kx = _M_PER_DEG * math.cos(math.radians(lat0))
    pieces, current, on, left = [], [line[0]], True, dash_m
    for (x0, y0), (x1, y1) in zip(line, line[1:], strict=False):
        length = math.hypot((x1 - x0) * kx, (y1 - y0) * _M_PER_DEG)
        done = 0.0
        while length - done > left:
            done += left
            point = (x0 + (x1 - x0) * done / length, y0 + (y1 - y0) * done / length)
            if on:
                pieces.append([*current, point])
            current, on = [point], not on
            left = gap_m if on is False else dash_m
        left -= length - done
        current.append((x1, y1))
    if on and len(current) > 1:
        pieces.append(current)
    return pieces


def _joined(lines: Iterable[Sequence[tuple[float, float]]]) -> tuple[list, list]:
    """Lines as one trace's lon/lat lists, separated by None (gaps)."""
    lon, lat = [], []
    for line in lines:
        if lon:
            lon.append(None)
            lat.append(None)
        lon += [p[0] for p in line]
        lat += [p[1] for p in line]
    return lon, lat


def _line_trace(kind, done, lines, hover, legend_shown) -> go.Scattermap:
    lines = lines if done else [d for line in lines for d in dashed(line)]
    lon, lat = _joined(lines)
    return go.Scattermap(
        lon=lon,
        lat=lat,
        mode="lines",
        line={"color": KIND_COLOURS[kind], "width": LINE_WIDTH},
        hoverinfo="text",
        text=hover,
        name=KIND_LABELS[kind],
        legendgroup=kind,
        showlegend=not legend_shown,
    )


def _fill_trace(kind: str, rings: list, hover: str) -> go.Scattermap:
    lon, lat = _joined(rings)
    return go.Scattermap(
        lon=lon,
        lat=lat,
        mode="lines",
        fill="toself",
        fillcolor=_rgba(KIND_COLOURS[kind], FILL_OPACITY),
        line={"color": KIND_COLOURS[kind], "width": 1},
        hoverinfo="text",
        text=hover,
        name=KIND_LABELS[kind],
        legendgroup=kind,
        showlegend=False,
    )


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _point_traces(kind, done, points, hovers, legend_shown) -> list[go.Scattermap]:
    lon, lat = [p[0] for p in points], [p[1] for p in points]
    traces = [
        go.Scattermap(
            lon=lon,
            lat=lat,
            mode="markers",
            marker={"size": MARKER_SIZE, "color": KIND_COLOURS[kind]},
            hoverinfo="text",
            text=hovers,
            name=KIND_LABELS[kind],
            legendgroup=kind,
            showlegend=not legend_shown,
        )
    ]
    if not done:  # hollow: a white centre inside the coloured disc
        traces.append(
            go.Scattermap(
                lon=lon,
                lat=lat,
                mode="markers",
                marker={"size": HOLLOW_SIZE, "color": theme.BACKGROUND},
                hoverinfo="text",
                text=hovers,
                legendgroup=kind,
                showlegend=False,
            )
        )
    return traces


def _placed(frame: pd.DataFrame, statuses: Sequence[str]) -> list[dict]:
    rows = frame[frame["status"].isin(list(statuses)) & frame["geometry"].notna()]
    return rows.to_dict("records")


def action_overlay_traces(
    actions: pd.DataFrame, statuses: Sequence[str] = MAPPED_STATUSES
) -> list[go.Scattermap]:
    """Traces drawing every placed action with one of `statuses` over a map: colour by
    kind; done actions solid (filled disc, solid line, filled area), others hollow
    disc, dashed line, dashed outline. One legend entry per kind shown; add
    `status_legend_traces()` to explain solid and hollow."""
    traces: list[go.Scattermap] = []
    shown: set[str] = set()
    for row in _placed(actions, statuses):
        kind = row["kind"] if row["kind"] in KIND_COLOURS else "other"
        done, geometry, hover = _is_done(row["status"]), row["geometry"], _hover(row)
        if points := _points_of(geometry):
            traces += _point_traces(kind, done, points, [hover] * len(points), kind in shown)
        else:
            lines = _lines_of(geometry)
            if done and geometry["type"] in ("Polygon", "MultiPolygon"):
                traces.append(_fill_trace(kind, lines, hover))
            traces.append(_line_trace(kind, done, lines, hover, kind in shown))
        shown.add(kind)
    return traces


def status_legend_traces() -> list[go.Scattermap]:
    """Two legend-only entries: what solid and hollow mean."""
    grey = theme.MUTED_COLOUR
    return [
        go.Scattermap(
            lon=[None],
            lat=[None],
            mode="markers",
            marker={"size": MARKER_SIZE, "color": grey},
            name="Solid: done",
            legendgroup="status",
            hoverinfo="skip",
        ),
        go.Scattermap(
            lon=[None],
            lat=[None],
            mode="markers",
            marker={"size": MARKER_SIZE - 6, "color": "#bbbbbb"},
            name="Hollow or dashed: planned",
            legendgroup="status",
            hoverinfo="skip",
        ),
    ]


def overlay_legend() -> dict:
    """Layout `legend` for a map with actions: large type, top left, boxed."""
    return {
        "font": {"size": LEGEND_FONT_SIZE},
        "title": {"text": "Forum actions"},
        "x": 0.01,
        "y": 0.99,
        "xanchor": "left",
        "yanchor": "top",
        "bgcolor": "rgba(255, 255, 255, 0.9)",
        "bordercolor": theme.MUTED_COLOUR,
        "borderwidth": 1,
        "itemsizing": "constant",
    }


def add_action_overlay(
    fig: go.Figure, actions: pd.DataFrame, statuses: Sequence[str] = MAPPED_STATUSES
) -> go.Figure:
    """`fig` (a map) with the actions drawn above its traces and the legend shown.
    Appends traces only, so Patches addressing data[0] keep working."""
    traces = action_overlay_traces(actions, statuses)
    if not traces:
        return fig
    fig.add_traces([*traces, *status_legend_traces()])
    fig.update_layout(showlegend=True, legend=overlay_legend())
    return fig


def drawn_trace(vertices: Sequence[Sequence[float]], mode: str) -> go.Scattermap:
    """The geometry being drawn ([[lon, lat], ...]): its vertices, joined for a line,
    closed for a polygon. Always a trace (empty when nothing is drawn) so the page
    can replace it in place."""
    pts = [tuple(v[:2]) for v in vertices]
    if mode == "point":
        pts = pts[-1:]
    elif mode == "polygon" and len(pts) >= 3:
        pts = [*pts, pts[0]]
    return go.Scattermap(
        lon=[p[0] for p in pts],
        lat=[p[1] for p in pts],
        mode="markers" if mode == "point" else "lines+markers",
        marker={"size": 14, "color": DRAWN_COLOUR},
        line={"color": DRAWN_COLOUR, "width": 3},
        fill="toself" if mode == "polygon" and len(pts) >= 4 else "none",
        fillcolor="rgba(0, 0, 0, 0.15)",
        name="Being drawn",
        hoverinfo="skip",
        showlegend=False,
    )


def vertices_geometry(vertices: Sequence[Sequence[float]], mode: str) -> dict | None:
    """A GeoJSON geometry from drawn vertices, or None when too few are drawn (a line
    needs 2, an area 3)."""
    pts = [[round(float(v[0]), 7), round(float(v[1]), 7)] for v in vertices]
    if not pts:
        return None
    if mode == "point":
        return {"type": "Point", "coordinates": pts[-1]}
    if mode == "line":
        return {"type": "LineString", "coordinates": pts} if len(pts) >= 2 else None
    if len(pts) < 3:
        return None
    return {"type": "Polygon", "coordinates": [[*pts, pts[0]]]}


def _span(row: dict) -> tuple[date, date] | None:
    start = row.get("started_on") or row.get("decided_on")
    end = row.get("completed_on") or row.get("due_on")
    if start is None and end is None:
        return None
    start, end = start or end, end or start
    return (start, end) if end >= start else (end, start)


def actions_timeline(
    actions: pd.DataFrame,
    statuses: Sequence[str] = MAPPED_STATUSES,
    date_range: tuple[date, date] | None = None,
) -> go.Figure:
    """A Gantt-style chart: one bar per action from its start (or decision) to its
    completion (or due date), coloured by kind, solid when done and hatched while
    planned or under way. Lay it beside a trend chart with the same `date_range`."""
    fig = go.Figure()
    rows = [r for r in actions.to_dict("records") if r["status"] in statuses and _span(r)]
    rows.sort(key=lambda r: (_span(r)[0], r["id"]))
    shown: set[str] = set()
    for row in rows:
        start, end = _span(row)
        kind = row["kind"] if row["kind"] in KIND_COLOURS else "other"
        days = max((end - start).days, 1)
        fig.add_trace(
            go.Bar(
                base=[start.isoformat()],
                x=[days * 86_400_000],  # a date axis measures bars in milliseconds
                y=[f"{row['title']} ({STATUS_LABELS.get(row['status'], row['status'])})"],
                orientation="h",
                marker={
                    "color": KIND_COLOURS[kind],
                    "pattern": {"shape": "" if _is_done(row["status"]) else "/"},
                    "line": {"color": KIND_COLOURS[kind], "width": 2},
                },
                name=KIND_LABELS[kind],
                legendgroup=kind,
                showlegend=kind not in shown,
                hovertext=_hover(row),
                hoverinfo="text",
            )
        )
        shown.add(kind)
    theme.apply(fig)
    fig.update_layout(
        barmode="overlay",
        xaxis={
            "type": "date",
            "tickformat": "%b %Y",
            **({"range": [d.isoformat() for d in date_range]} if date_range else {}),
        },
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"font": {"size": LEGEND_FONT_SIZE}, "orientation": "h", "y": -0.15},
        margin={"l": 10, "r": 10, "t": 10, "b": 60},
        height=max(220, 60 + 36 * len(rows)),
    )
    return fig


def completion_lines(actions: pd.DataFrame, kinds: Sequence[str] = ACTION_KINDS) -> list[dict]:
    """Layout shapes: a dotted vertical line at each done action's completion date, for
    a trend chart with a date x axis (`fig.update_layout(shapes=...)`)."""
    done = actions[(actions["status"] == DONE) & actions["kind"].isin(list(kinds))]
    return [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": row["completed_on"].isoformat(),
            "x1": row["completed_on"].isoformat(),
            "y0": 0,
            "y1": 1,
            "line": {"color": KIND_COLOURS.get(row["kind"], "#000000"), "width": 2, "dash": "dot"},
        }
        for row in done.to_dict("records")
        if row["completed_on"] is not None
    ]


DRAWN_INDEX = 1  # the drawn geometry's trace on the actions map (after the hexagons)


def actions_map(
    counts: pd.DataFrame,
    outlines: dict | None,
    actions: pd.DataFrame,
    vertices: Sequence[Sequence[float]] = (),
    mode: str = "point",
    *,
    style: str = "white-bg",
    height_px: int = 600,
    note: str = "",
) -> dict:
    """The map to draw actions on, as the plain dict Dash sends: incidents per hexagon
    (columns h3, count) faint for context, the geometry being drawn (trace
    DRAWN_INDEX, replaced in place while drawing), every mapped action above, ward
    outlines, the legend and `note` written on the map."""
    fig, shapes = map_figures.incident_map_shell(
        counts, outlines, style=style, height_px=height_px, note=note
    )
    fig.update_traces(marker_opacity=0.45, colorbar={"len": 0.5, "y": 0.25}, selector=0)
    fig.add_trace(drawn_trace(vertices, mode))
    add_action_overlay(fig, actions)
    fig.update_layout(uirevision="actions-map")
    return map_figures.fill_incident_map(fig.to_plotly_json(), counts, shapes, outlines)
