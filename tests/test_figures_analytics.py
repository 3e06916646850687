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
from geodata.stats.trends import compstat_table, month_coverage, monthly_counts, paced_counts

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


def _paced(first: date, last: date, per_day: dict[str, float]) -> pd.DataFrame:
    """Steady incidents every day from first to last, per group, as the trends page
    gets them: monthly counts with their coverage."""
    days = pd.date_range(first, last, freq="D")
    daily = pd.concat(
        [pd.DataFrame({"date": days, "group": g, "count": n}) for g, n in per_day.items()]
    )
    monthly = monthly_counts(daily, first.replace(day=1), last, by=("group",))
    return paced_counts(monthly, month_coverage(first, last))


def test_a_partial_last_month_is_marked_and_paced_not_drawn_as_a_fall():
    """Data to 21 Nov at a steady two thefts a day: November holds 42 in 21 days.
    Drawn as a month it would fall from 62 to 42; it is drawn hollow at its pace (60),
    joined by a dotted segment and labelled with its days."""
    fig = trends.monthly_lines(_paced(date(2024, 9, 1), date(2024, 11, 21), {"theft": 2.0}))
    line, dotted, hollow = fig.data
    assert line.name == "theft" and line.showlegend is not False
    assert list(line.x) == ["2024-09-01", "2024-10-01", "2024-11-01"]
    assert list(line.y) == [60, 62, None]  # the solid line stops at the last whole month
    assert list(hollow.x) == ["2024-11-01"] and list(hollow.y) == [60.0]
    assert hollow.marker.symbol == "circle-open" and hollow.showlegend is False
    assert hollow.customdata[0][1:] == [42, 21]  # the real count and days, in the hover
    assert dotted.line.dash == "dot" and dotted.showlegend is False
    assert list(dotted.x) == ["2024-10-01", "2024-11-01", None]
    assert list(dotted.y) == [62, 60, None]
    (label,) = fig.layout.annotations
    assert label.text == "1–21 Nov: partial, drawn at its pace" and label.x == "2024-11-01"


def test_a_partial_first_month_and_a_month_of_too_few_days():
    """Data from 10 Jan to 3 Mar: January is paced (22 days), March (3 days) gets
    no point at all, only its label; whole months keep their counts."""
    monthly = _paced(date(2024, 1, 10), date(2024, 3, 3), {"theft": 1.0, "robbery": 3.0})
    fig = trends.monthly_lines(monthly, {"theft": "Theft", "robbery": "Robbery"})
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert names == ["Robbery", "Theft"]
    robbery, dotted, hollow = fig.data[:3]
    assert list(robbery.y) == [None, 87, None]
    assert list(hollow.x) == ["2024-01-01", "2024-03-01"]
    assert hollow.y[0] == pytest.approx(93.0) and hollow.y[1] is None
    assert [a.text for a in fig.layout.annotations] == [
        "10–31 Jan: partial, drawn at its pace",
        "1–3 Mar: partial, too few days to draw",
    ]
    # Only January has a pace to join to February.
    assert list(dotted.x) == ["2024-01-01", "2024-02-01", None]


def test_period_card_withholds_the_change_the_data_cannot_support():
    card = {
        "current": 310,
        "previous": 31,
        "label": "+900%",
        "small_number": False,
        "current_period": (date(2024, 1, 1), date(2024, 3, 28)),
        "previous_period": (date(2023, 1, 1), date(2023, 3, 28)),
        "not_comparable": "last year's data starts 3 Mar 2023: not comparable",
    }
    text = str(trends.period_card("Year to date", card, "ytd").to_plotly_json())
    assert "+900%" not in text and "last year's data starts 3 Mar 2023: not comparable" in text
    small = {**card, "previous": 3, "small_number": True, "not_comparable": None}
    text = str(trends.period_card("Year to date", small, "ytd").to_plotly_json())
    assert trends.WARNING_MARK in text and trends.SMALL_WARNING in text
    plain = {**card, "previous": 155, "label": "+100%", "not_comparable": None}
    text = str(trends.period_card("Year to date", plain, "ytd").to_plotly_json())
    assert "+100%" in text and trends.WARNING_MARK not in text
    assert trends.SMALL_WARNING not in text


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
    # Year to date against a last year the data does not reach: no percent shown.
    assert rows["All wards"]["label_ytd"] == "new"
    reason = "no data before 1 May 2024: not comparable"
    withheld = trends.compstat_html(table, "t", {"recent": None, "ytd": reason})
    assert f"Year to date: {reason}" in str(withheld.children[0].to_plotly_json())
    for row in withheld.children[2].children:  # body rows: plain elements
        cells = row["props"]["children"]
        recent_change, ytd_change = cells[3]["props"]["children"], cells[6]["props"]["children"]
        assert [c["props"]["children"] for c in ytd_change] == [trends.NOT_COMPARABLE]
        assert ytd_change[0]["props"]["title"] == reason
        assert recent_change[0]["props"]["children"] != trends.NOT_COMPARABLE


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
