"""The analytics figure builders and filter parsing, without a browser: hot-spot
layers and their patches, the crime clock's shape, trend lines and the CompStat
table's small-number warnings, and the URL state of the shared filters."""

from __future__ import annotations

from datetime import date

import h3
import numpy as np
import pandas as pd
import pytest

from dashboard import filter_bar, filters
from dashboard.figures import clock, hotspots, trends
from geodata.h3grid import from_hex
from geodata.stats.emerging import CATEGORIES as EMERGING_CATEGORIES
from geodata.stats.hotspots import hotspots as gi_hotspots
from geodata.stats.trends import compstat_table, monthly_counts

CENTRE = h3.latlng_to_cell(-1.28, 36.82, 8)


def _cells(k: int = 3) -> list[str]:
    return sorted(h3.grid_disk(CENTRE, k))


def test_count_layer_hides_cells_without_incidents_and_scales_from_zero():
    cells = _cells(1)
    values = pd.Series([5.0, 2.5], index=cells[:2])
    layer = hotspots.count_layer(cells, values)
    assert layer.z[:2] == [5.0, 2.5] and layer.z[2:] == [None] * (len(cells) - 2)
    assert (layer.zmin, layer.zmax) == (0.0, 5.0)
    assert layer.text[:2] == ["5 incidents", "2.5 incidents"]


def test_gi_layer_colours_significant_cells_by_class():
    cells = _cells(4)
    counts = pd.DataFrame({"cell": [from_hex(c) for c in cells], "count": 1.0})
    cluster = [from_hex(c) for c in h3.grid_disk(CENTRE, 1)]
    counts.loc[counts["cell"].isin(cluster), "count"] = 20.0
    gi = gi_hotspots(counts, pad=0)
    gi = gi.assign(cell=hotspots.hex_ids(gi["cell"]))
    layer = hotspots.gi_layer(cells, gi)
    centre = cells.index(CENTRE)
    assert layer.z[centre] == 6  # hot 99 (bin +3, shifted to 0..6)
    assert layer.text[centre].startswith("hot 99")
    assert layer.colorbar["ticktext"][6] == "hot 99"
    assert layer.colorbar["ticktext"][0] == "cold 99"
    # Each class one flat colour: the scale has two stops per class.
    assert len(layer.colorscale) == 14
    assert layer.colorscale[12][1] == layer.colorscale[13][1] == hotspots.GI_COLOURS[3]


def test_every_emerging_category_has_a_legend_class():
    names = [name for name, _ in hotspots.EMERGING_CLASSES]
    assert {hotspots.emerging_class(c) for c in EMERGING_CATEGORIES} <= set(names)
    frame = pd.DataFrame({"cell": _cells(0), "category": ["new hot spot"], "hot_months": [1]})
    layer = hotspots.emerging_layer(_cells(1), frame)
    assert layer.z[_cells(1).index(CENTRE)] == names.index("new hot spot")
    assert set(layer.z) == {names.index("new hot spot"), names.index("no pattern")}


def test_choropleth_draws_offline_with_a_focus_outline_and_patches_colours():
    cells = _cells(2)
    layer = hotspots.count_layer(cells, pd.Series(1.0, index=cells))
    geojson = hotspots.map_figures.hex_geojson(from_hex(c) for c in cells)
    focus = hotspots.map_figures.hex_geojson([from_hex(CENTRE)])
    fig = hotspots.choropleth(cells, geojson, layer, focus=focus)
    assert fig.layout.map.style == "white-bg"
    assert [layer.type for layer in fig.layout.map.layers] == ["line"]
    assert fig.layout.map.layers[0].source["features"][0]["id"] == CENTRE
    assert list(fig.data[0].locations) == cells
    patch = hotspots.layer_patch(layer, None).to_plotly_json()
    paths = {tuple(op["location"]) for op in patch["operations"]}
    assert ("data", 0, "z") in paths and ("layout", "map", "layers", 0) in paths
    # Colours only: the hexagon shapes are never resent.
    assert not any("geojson" in path for path in paths)


def _hours(peak: tuple[int, ...]) -> pd.DataFrame:
    rows = [
        {"category": c, "hour": h, "weight": (10.0 if h in peak else 1.0) * (2 if c == "a" else 1)}
        for c in ("a", "b", "c", "d", "e", "f", "g")
        for h in range(24)
    ]
    return pd.DataFrame(rows)


def test_radial_clock_runs_clockwise_from_midnight_and_merges_small_categories():
    fig = clock.radial_clock(_hours((20, 21, 22)))
    assert fig.layout.polar.angularaxis.rotation == 90
    assert fig.layout.polar.angularaxis.direction == "clockwise"
    assert len(fig.data) == clock.TOP_CATEGORIES + 1
    assert fig.data[-1].name == clock.OTHERS
    assert fig.data[0].theta[0] == 7.5  # 00:00-00:59 centred on its slice
    assert clock.peak_hours(_hours((20, 21, 22))) == [20, 21, 22]


def test_heatmap_and_date_only_panel():
    cube = pd.DataFrame(
        [
            {"category": "a", "weekday": d, "hour": h, "weight": float(d == 5 and h == 22)}
            for d in range(7)
            for h in range(24)
        ]  # fmt: skip
    )
    fig = clock.weekday_hour_heatmap(cube)
    assert np.array(fig.data[0].z).shape == (7, 24)
    assert fig.data[0].z[5][22] == 1.0 and list(fig.data[0].y)[5] == "Sat"
    undated = pd.DataFrame({"category": "a", "weekday": range(7), "weight": [0, 0, 3, 0, 0, 0, 1]})
    bars = clock.date_only_bars(undated)
    assert list(bars.data[0].x) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert list(bars.data[0].y) == [0, 0, 3, 0, 0, 0, 1]


def test_daylight_bars_stack_daylight_darkness_and_unknown():
    frame = pd.DataFrame(
        {
            "category": ["robbery", "theft"],
            "daylight": [2.0, 9.0],
            "darkness": [7.5, 1.0],
            "unknown": [0.5, 0.0],
            "total": [10.0, 10.0],
        }
    )
    fig = clock.daylight_bars(frame)
    assert [t.name for t in fig.data] == ["Daylight", "Darkness", "No time or place"]
    assert fig.layout.barmode == "stack"
    assert list(fig.data[1].y) == ["Theft", "Robbery"] and list(fig.data[1].x) == [1.0, 7.5]


def test_monthly_lines_show_every_month_for_the_top_groups():
    days = pd.to_datetime(["2024-01-05", "2024-03-02", "2024-03-03"])
    daily = pd.DataFrame({"date": days, "group": ["theft", "theft", "robbery"], "count": 1.0})
    monthly = monthly_counts(daily, date(2024, 1, 1), date(2024, 4, 30), by=("group",))
    fig = trends.monthly_lines(monthly, {"theft": "Theft", "robbery": "Robbery"})
    assert [t.name for t in fig.data] == ["Theft", "Robbery"]
    assert list(fig.data[0].x) == ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]
    assert list(fig.data[0].y) == [1, 0, 1, 0]


def test_compstat_table_marks_small_numbers():
    days = pd.date_range("2024-05-01", "2024-06-30", freq="D")
    daily = pd.DataFrame({"date": days, "ward": "W1", "count": 2.0})
    daily = pd.concat(
        [daily, pd.DataFrame({"date": [pd.Timestamp("2024-06-20")], "ward": ["W2"], "count": 1})]
    )
    table = compstat_table(daily, date(2024, 6, 30), wards=["W1", "W2"])
    table.insert(1, "name", table["ward"].map({"W1": "Big", "W2": "Small"}).fillna("All wards"))
    rows = {r["ward"]: r for r in trends.compstat_rows(table)}
    assert rows["W1"]["recent"] == 56 and not rows["W1"]["small_28"]
    assert rows["W2"]["label_28"] == "new" and rows["W2"]["small_28"]
    html_table = trends.compstat_html(table, "t")
    text = str(html_table.to_plotly_json())
    assert trends.WARNING_MARK in text and "Small" in text


def test_view_filters_round_trip_through_the_query_string():
    state = filters.ViewFilters(
        start=date(2024, 1, 1),
        end=date(2024, 3, 31),
        categories=("robbery",),
        agencies=(2, 5),
        wards=("W1",),
        band=(18, 6),
        focus=f"cell:{CENTRE}",
    )
    query = state.query_string()
    assert "hours=18-6" in query and f"focus=cell:{CENTRE}" in query
    parsed = dict(p.split("=", 1) for p in query.lstrip("?").split("&"))
    assert filters.view_from_values(parsed) == state
    assert state.hours() == (0, 1, 2, 3, 4, 5, 18, 19, 20, 21, 22, 23)
    args = state.query_args()
    assert args["cell"] == from_hex(CENTRE) and args["wards"] == ("W1",)
    ward_focus = filters.ViewFilters(None, None, focus="ward:W9").query_args()
    assert ward_focus["wards"] == ("W9",) and ward_focus["cell"] is None


@pytest.mark.parametrize(
    ("value", "band"),
    [("18-6", (18, 6)), ("night", (18, 6)), ("6-18", (6, 18)), ("5-5", None), ("x", None)],
)
def test_band_parsing(value, band):
    assert filters.parse_band(value) == band


def test_bad_focus_and_sensitive_categories_in_the_public_app():
    assert filters.parse_focus("cell:zzz") is None
    assert filters.parse_focus("ward:") is None
    public = filters.ViewFilters(None, None).query_args(public=True)
    assert "sexual_violence" not in public["categories"] and "theft" in public["categories"]


def test_filter_bar_custom_hours_and_focus_text():
    assert filter_bar.band_value((18, 6)) == ("18-6", 18, 6)
    assert filter_bar.band_value((20, 2)) == (filter_bar.CUSTOM, 20, 2)
    values = (None, None, [], [], [], filter_bar.CUSTOM, 20, 2, None)
    state = filter_bar.view_from_inputs(values, date(2024, 1, 1), date(2024, 6, 30), False)
    assert state.band == (20, 2) and state.start == date(2024, 1, 1)
    assert filter_bar.focus_text("ward:W1", {"W1": "Kilele"}) == "Focus: ward Kilele"
