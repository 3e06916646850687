"""Pure builders of the actions and evaluation pages, without a browser: actions drawn
over maps by kind and status, planned lines dashed, the drawing turned into a
geometry geodata accepts, the timeline, the tracker's overdue flags and public
columns, and the evaluation's verdicts, tables and maps."""

from __future__ import annotations

import json
import math
from datetime import date

import h3
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from dash import html

from dashboard import ids
from dashboard.callbacks.actions import drawing_status, form_values, next_vertices
from dashboard.callbacks.evaluation import parse_cells
from dashboard.figures import action_tracker
from dashboard.figures import actions as figures
from dashboard.figures import evaluation as eval_figures
from dashboard.figures.map import incident_map
from geodata.actions import check_action
from geodata.errors import ObservatoryError

LON, LAT = 36.95, -0.80
SQUARE = [[LON, LAT], [LON + 0.004, LAT], [LON + 0.004, LAT + 0.004], [LON, LAT + 0.004]]


def _action(i, kind, status, geometry, **dates) -> dict:
    row = {
        "id": i,
        "kind": kind,
        "status": status,
        "title": f"{kind} {i}",
        "geometry": geometry,
        **{k: dates.get(k) for k in ("decided_on", "started_on", "due_on", "completed_on")},
    }
    return row


def _frame() -> pd.DataFrame:
    point = {"type": "Point", "coordinates": [LON, LAT]}
    line = {"type": "LineString", "coordinates": [[LON, LAT], [LON + 0.01, LAT]]}
    polygon = {"type": "Polygon", "coordinates": [[*SQUARE, SQUARE[0]]]}
    return pd.DataFrame(
        [
            _action(1, "lighting", "done", point, started_on=date(2024, 3, 1),
                    completed_on=date(2024, 3, 20)),
            _action(2, "patrol", "agreed", polygon, decided_on=date(2024, 4, 1),
                    due_on=date(2024, 6, 1)),
            _action(3, "pathway_clearing", "in_progress", line, started_on=date(2024, 5, 1),
                    due_on=date(2024, 5, 15)),
            _action(4, "cctv", "dropped", point, decided_on=date(2024, 1, 1)),
            _action(5, "community_meeting", "proposed", None),
            _action(6, "cctv", "agreed", point, due_on=date(2024, 9, 1)),
        ]
    )  # fmt: skip


def _metres(lon0, lat0, lon1, lat1) -> float:
    kx = 111_320.0 * math.cos(math.radians((lat0 + lat1) / 2))
    return math.hypot((lon1 - lon0) * kx, (lat1 - lat0) * 111_320.0)


def test_overlay_styles_actions_by_kind_and_status():
    traces = figures.action_overlay_traces(_frame())
    texts = " ".join(str(t.text) for t in traces)
    assert "cctv 4" not in texts  # dropped: changed nothing on the ground
    assert "community_meeting" not in texts  # no place to draw
    by_colour: dict[str, list] = {}
    for trace in traces:
        colour = trace.line.color if trace.mode == "lines" else trace.marker.color
        by_colour.setdefault(colour, []).append(trace)
    light = by_colour[figures.KIND_COLOURS["lighting"]]
    assert [t.mode for t in light] == ["markers"]  # done: one solid disc
    cctv = [t for t in traces if "cctv 6" in str(t.text)]
    assert [t.marker.color for t in cctv] == [figures.KIND_COLOURS["cctv"], "#ffffff"]  # hollow
    patrol = by_colour[figures.KIND_COLOURS["patrol"]]
    assert all(t.fill in (None, "none") for t in patrol)  # planned area: outline only
    assert None in patrol[0].lon  # ... drawn as dashes
    # One legend entry per kind drawn, whatever the number of traces.
    assert sorted(t.name for t in traces if t.showlegend) == sorted(
        ["Street lighting", "Patrols", "Path clearing", "CCTV"]
    )


def test_a_done_area_is_filled_and_a_done_line_is_solid():
    frame = _frame().assign(status="done")
    traces = figures.action_overlay_traces(frame)
    patrol = [t for t in traces if "patrol" in str(t.text)]
    assert patrol[0].fill == "toself" and "0.35" in patrol[0].fillcolor
    path = [t for t in traces if "pathway_clearing" in str(t.text)]
    assert None not in path[0].lon and len(path[0].lon) == 2


def test_dashes_cover_their_share_of_the_line():
    line = [(LON, LAT), (LON + 0.01, LAT)]  # about 1.1 km
    length = _metres(*line[0], *line[1])
    pieces = figures.dashed(line)
    drawn = sum(_metres(*p[0], *p[-1]) for p in pieces)
    share = figures.DASH_M / (figures.DASH_M + figures.GAP_M)
    assert pieces[0][0] == line[0]
    assert drawn == pytest.approx(length * share, rel=0.05)
    assert all(_metres(*p[0], *p[-1]) <= figures.DASH_M + 1e-6 for p in pieces)


def test_drawn_vertices_become_a_geometry_geodata_accepts():
    assert figures.vertices_geometry(SQUARE, "point") == {
        "type": "Point",
        "coordinates": SQUARE[-1],
    }
    assert figures.vertices_geometry(SQUARE[:1], "line") is None
    polygon = figures.vertices_geometry(SQUARE, "polygon")
    assert polygon["coordinates"][0][0] == polygon["coordinates"][0][-1]
    record = check_action({"kind": "patrol", "title": "Night patrol", "geometry": polygon})
    assert record.geometry.geom_type == "Polygon" and record.geometry.area > 0
    with pytest.raises(ObservatoryError, match="area has 2 point"):
        form_values({"kind": "patrol", "title": "x"}, SQUARE[:2], "polygon")


def test_clicks_undo_and_clear_edit_the_drawing():
    click = {"lon": LON, "lat": LAT, "at": 1}
    drawn = next_vertices(ids.ACT_CLICK, [], click, "polygon")
    drawn = next_vertices(ids.ACT_CLICK, drawn, {"lon": LON + 0.01, "lat": LAT}, "polygon")
    assert drawn == [[LON, LAT], [LON + 0.01, LAT]]
    assert "click at least 1 more" in drawing_status(drawn, "polygon")
    assert next_vertices(ids.ACT_DRAW_UNDO, drawn, click, "polygon") == [[LON, LAT]]
    assert next_vertices(ids.ACT_CLICK, drawn, click, "point") == [[LON, LAT]]
    assert next_vertices(ids.ACT_DRAW_CLEAR, drawn, click, "polygon") == []
    assert drawing_status([[LON, LAT]], "point").startswith("Point at latitude -0.80000")
    trace = figures.drawn_trace(SQUARE, "polygon")
    assert list(trace.lon) == [v[0] for v in SQUARE] + [SQUARE[0][0]] and trace.fill == "toself"


def test_timeline_bars_span_start_to_completion_and_hatch_planned_ones():
    fig = figures.actions_timeline(_frame())
    bars = {t.y[0]: t for t in fig.data}
    light = bars["lighting 1 (Done)"]
    assert light.base[0] == "2024-03-01" and light.x[0] == 19 * 86_400_000
    assert light.marker.pattern.shape == ""
    assert bars["patrol 2 (Agreed)"].marker.pattern.shape == "/"
    assert not any("community_meeting" in y for y in bars)  # no dates, no bar
    assert not any("cctv 4" in y for y in bars)  # dropped
    (line,) = figures.completion_lines(_frame())
    assert line["x0"] == "2024-03-20"


def _tracker() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [7, 8],
            "status": ["in_progress", "done"],
            "status_label": ["In progress", "Done"],
            "overdue": [True, False],
            "days_overdue": [21, 0],
            "kind": ["patrol", "lighting"],
            "kind_label": ["Patrols", "Street lighting"],
            "title": ["Patrols near the Tin Bar", "Light at the stage"],
            "forum": ["CSF", "CSF"],
            "responsible_agency": ["Police", "County - Energy"],
            "priority": [None, None],
            "wards": ["Ward A", None],
            "decided_on": [date(2024, 1, 2), date(2024, 1, 3)],
            "started_on": [None, None],
            "due_on": [date(2024, 8, 1), date(2024, 3, 1)],
            "completed_on": [None, date(2024, 2, 20)],
        }
    )


def _texts(component) -> list[str]:
    found = []
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None:
            found += _texts(child)
    return found


def test_tracker_flags_overdue_actions_and_links_evaluations():
    table = action_tracker.tracker_html(_tracker(), "t", evaluable=[8])
    rows = table.children[2].children
    assert "⚠ 21 days overdue" in _texts(rows[0]) and rows[0].className == "overdue"
    assert "overdue" not in " ".join(_texts(rows[1]))
    links = [c for c in rows[1].children[-1].children if getattr(c, "href", None)]
    assert [link.href for link in links] == ["/evaluation?action=8"]
    assert not [c for c in rows[0].children[-1].children if getattr(c, "href", None)]
    assert "1 overdue" in table.children[0].children

    public = _tracker()[["kind_label", "status_label", "wards", "decided_on", "due_on"]]
    public = public.assign(completed_on=None, overdue=[True, False], days_overdue=[21, 0])
    text = " ".join(_texts(action_tracker.public_tracker_html(public, "p")))
    assert "Tin Bar" not in text and "Police" not in text and "21 days overdue" in text


def _result(code="displacement", small=False, wdq=-0.48) -> dict:
    counts = {
        "target_before": 120, "target_after": 40, "ring_before": 30, "ring_after": 70,
        "control_before": 200, "control_after": 190,
    }  # fmt: skip
    measures = [
        {"name": "gross_effect", "value": 80.0, "interpretation": "80 fewer",
         "small_numbers": small},
        {"name": "wdq", "value": wdq, "interpretation": "displacement smaller than the gain",
         "small_numbers": small},
        {"name": "total_net_effect", "value": None, "interpretation": "undefined: ...",
         "small_numbers": small},
    ]  # fmt: skip
    verdict = {"code": code, "headline": "Crime fell and partly moved", "detail": "numbers",
               "small_numbers": small}  # fmt: skip
    return {"counts": counts, "measures": measures, "verdict": verdict}


def test_verdict_and_measures_say_what_they_mean_and_warn_on_small_numbers():
    block = eval_figures.verdict_block(_result(), "night")
    assert block.children[1].id == ids.eval_value("verdict", "night")
    assert block.children[1].children == "Crime fell and partly moved"
    assert block.children[3] is None  # no warning
    small = eval_figures.verdict_block(_result("too_few", small=True), "all")
    assert "Small numbers" in small.children[3].children
    table = eval_figures.measures_table(_result()["measures"], "night")
    cells = {
        getattr(row.children[1], "id", None): row.children[1] for row in table.children[1].children
    }
    wdq = cells[ids.eval_value("wdq", "night")]
    assert wdq.children == "-0.48" and float(wdq.to_plotly_json()["props"]["data-value"]) == -0.48
    assert cells[ids.eval_value("tne", "night")].children == "–"
    assert eval_figures.format_value("gross_effect", 80.0) == "+80"


def test_counts_table_and_periods_name_whole_days():
    periods = {
        "before": ["2024-01-01T00:00:00", "2024-06-01T00:00:00"],
        "after": ["2024-07-01T00:00:00", "2024-11-30T00:00:00"],
        "days": 152,
    }
    table = eval_figures.counts_table(_result()["counts"], periods)
    text = " ".join(_texts(table))
    assert "01 Jan 2024 to 31 May 2024" in text and "120" in text and "190" in text
    summary = eval_figures.periods_text(
        {"periods": periods, "areas": {"control_method": "matched"}}
    )
    assert "152 days each" in summary and "matched" in summary


def test_areas_map_and_lens_map_draw_their_cells():
    home = h3.latlng_to_cell(LAT, LON, 9)
    ring = sorted(h3.grid_ring(home, 1))
    control = sorted(h3.grid_ring(home, 5))[:3]
    fig = eval_figures.areas_map(
        {"target": [home], "ring": ring, "control": control}, _frame(), None
    )
    fig = go.Figure(json.loads(pio.json.to_json_plotly(fig)))  # as the browser gets it
    hexes = fig.data[0]
    assert list(hexes.z) == [0] + [1] * 6 + [2] * 3
    assert len(hexes.geojson["features"]) == 10
    assert any("lighting 1" in str(t.text) for t in fig.data[1:])  # the action above

    lens = pd.DataFrame(
        {
            "cell": [0, 0, 0],
            "hex": [home, ring[0], ring[1]],
            "incidents": [30, 12, 5],
            "known": [25, 12, 0],
            "after_dark": [20.0, 3.0, 0.0],
            "share": [0.8, 0.25, float("nan")],
            "lift": [1.6, 0.5, float("nan")],
            "lit": [False, False, False],
        }
    )
    fig = eval_figures.lens_map(lens, lens.iloc[:1], _frame().iloc[:1], None)
    fig = go.Figure(json.loads(pio.json.to_json_plotly(fig)))
    assert list(fig.data[0].locations) == [home, ring[0]]  # no known time: not coloured
    assert list(fig.data[0].z) == [4, 0]
    outline = fig.layout.map.layers[-1]
    assert outline.type == "line" and outline.source["features"][0]["id"] == home
    table = eval_figures.unlit_table(lens.iloc[:1])
    assert "80%" in " ".join(_texts(table))


def test_control_hexagons_are_checked():
    home = h3.latlng_to_cell(LAT, LON, 9)
    assert parse_cells(f"{home}, {home}\n") == (int(home, 16),)
    with pytest.raises(ObservatoryError, match="not a resolution-9 hexagon"):
        parse_cells(h3.cell_to_parent(home, 8))
    with pytest.raises(ObservatoryError, match="'nonsense'"):
        parse_cells("nonsense")


def test_the_evaluation_page_shows_nothing_broken_without_data():
    fig = eval_figures.empty_map("Nothing yet")
    assert fig.layout.annotations[0].text == "Nothing yet"
    assert isinstance(eval_figures.unlit_table(pd.DataFrame()), html.P)


def test_overlay_goes_above_an_existing_map_and_follows_the_trend_dates():
    home = h3.latlng_to_cell(LAT, LON, 8)
    counts = pd.DataFrame({"h3": [int(home, 16)], "count": [7]})
    fig = figures.add_action_overlay(incident_map(counts), _frame())
    assert fig.data[0].type == "choroplethmap" and list(fig.data[0].z) == [7]  # patches fit
    assert {t.type for t in fig.data[1:]} == {"scattermap"} and fig.layout.showlegend
    assert fig.layout.legend.font.size >= 18  # readable on a projector
    bare = figures.add_action_overlay(incident_map(counts), _frame().iloc[:0])
    assert len(bare.data) == 1
    timeline = figures.actions_timeline(_frame(), date_range=(date(2024, 1, 1), date(2024, 6, 30)))
    assert list(timeline.layout.xaxis.range) == ["2024-01-01", "2024-06-30"]
