"""The map page's reads against a real PostGIS, checked against the template rows."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from sqlalchemy import text

from geodata.aggregates import refresh_aggregates
from geodata.cache import bump_version
from geodata.h3grid import points_to_cell_columns
from geodata.queries import maps
from geodata.queries.filters import IncidentFilter
from tests.test_dashboard_map import LAST_DAY, _load, _template_rows


@pytest.fixture
def loaded(empty_db, tmp_path):
    _load(empty_db, tmp_path)
    return empty_db


def _expected(start: date, end: date, categories: tuple[str, ...] = ()):
    rows = _template_rows()
    day = rows["occurred_on"].map(date.fromisoformat)
    keep = (day >= start) & (day <= end)
    if categories:
        keep &= rows["category"].isin(categories)
    return rows[keep]


def test_reads_agree_with_the_rows_that_were_loaded(loaded):
    start, end = date(2024, 1, 1), date(2024, 3, 31)
    rows = _expected(start, end, ("theft", "assault"))
    cells = points_to_cell_columns(rows["latitude"].to_numpy(), rows["longitude"].to_numpy())[8]
    expected = dict(zip(*np.unique(cells, return_counts=True), strict=True))

    counts = maps.hex_counts(loaded, 8, start, end, ("theft", "assault"))
    assert counts.dtypes.to_dict() == {"h3": np.dtype("int64"), "count": np.dtype("int64")}
    assert dict(zip(counts["h3"], counts["count"], strict=True)) == expected

    numbers = maps.headline_numbers(loaded, start, end, ("theft", "assault"))
    top = rows["category"].value_counts()
    assert numbers["incidents"] == numbers["placed"] == len(rows)
    assert numbers["placed_share"] == 1.0 and numbers["wards"] == 2
    assert (numbers["top_category"], numbers["top_category_count"]) == (top.index[0], top.iloc[0])

    by_category = maps.category_counts(loaded, start, end)
    assert dict(zip(by_category["category"], by_category["count"], strict=True)) == (
        _expected(start, end)["category"].value_counts().to_dict()
    )
    assert maps.date_bounds(loaded)[1] == LAST_DAY


def test_headlines_count_incidents_with_no_place_or_no_ward(loaded):
    """One read gives every headline: unplaced incidents count but are not placed,
    incidents with no ward count but add no ward; categories largest first."""
    with loaded.begin() as conn:
        conn.execute(
            text(
                "UPDATE incidents SET geom = NULL, h3_7 = NULL, h3_8 = NULL, h3_9 = NULL "
                "WHERE id % 5 = 0"
            )
        )
        conn.execute(text("UPDATE incidents SET ward_code = NULL WHERE id % 7 = 0"))
        # As a reviewer's placement does: the summaries follow the incidents.
        refresh_aggregates(conn)
        bump_version(conn)
    start, end = date(2024, 1, 1), date(2024, 3, 31)
    numbers = maps.headline_numbers(loaded, start, end)
    with loaded.connect() as conn:
        want = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT ward_code), count(geom), "
                "count(*) FILTER (WHERE ward_code IS NULL) FROM incidents "
                "WHERE occurred_from >= :start AND occurred_from < :after"
            ),
            {"start": start, "after": date(2024, 4, 1)},
        ).one()
    assert 0 < numbers["placed"] < numbers["incidents"] and want[3] > 0
    assert (numbers["incidents"], numbers["wards"], numbers["placed"]) == tuple(want[:3])
    counts = _expected(start, end)["category"].value_counts().to_dict()
    by_category = maps.category_counts(loaded, start, end)
    assert list(zip(by_category["category"], by_category["count"], strict=True)) == sorted(
        counts.items(), key=lambda item: (-item[1], item[0])
    )


def test_reads_of_an_empty_database_say_so(empty_db):
    assert maps.date_bounds(empty_db) == (None, None)
    assert maps.hex_counts(empty_db, 8, None, None).empty
    numbers = maps.headline_numbers(empty_db, None, None)
    assert numbers["incidents"] == 0 and numbers["placed_share"] is None
    assert numbers["top_category"] is None
    with pytest.raises(ValueError, match="resolution"):
        maps.hex_counts(empty_db, 6, None, None)


def test_a_view_over_the_cell_budget_is_drawn_coarser_and_says_so(loaded):
    from dashboard.callbacks.map import map_figure
    from geodata.h3grid import parents
    from geodata.queries import analytics

    start, end = date(2023, 1, 1), LAST_DAY
    fine = maps.hex_counts(loaded, 8, start, end)
    assert len(fine) > 30  # the two test wards hold many res-8 cells with incidents

    within = maps.hex_view(loaded, 8, len(fine), start, end)
    assert (within.res, within.coarsened) == (8, False)
    assert within.counts.equals(fine)

    view = maps.hex_view(loaded, 8, 30, start, end)
    assert view.coarsened and view.res < 8 and len(view.counts) <= 30
    # Every incident still counted once, in the parent of its cell.
    expected = fine.assign(h3=parents(fine["h3"].to_numpy(), view.res)).groupby("h3")["count"]
    assert (
        dict(zip(view.counts["h3"], view.counts["count"], strict=True)) == expected.sum().to_dict()
    )
    # The SQL parents agree with the numpy ones (the hot-spot page reads them so).
    sql = analytics.cell_counts(loaded, view.res, IncidentFilter(start, end))
    assert sql["h3"].tolist() == view.counts["h3"].tolist()
    assert sql["count"].tolist() == view.counts["count"].astype(float).tolist()

    figure = map_figure(loaded, 8, 30, (start, end, (), ()), "white-bg")
    (note,) = figure["layout"]["annotations"]
    assert (
        note["text"].startswith(f"Showing resolution {view.res}") and "30 hexagons" in note["text"]
    )
    assert len(figure["data"][0]["locations"]) == len(view.counts)
    unchanged = map_figure(loaded, 8, len(fine), (start, end, (), ()), "white-bg")
    assert not unchanged["layout"].get("annotations")
    assert len(unchanged["data"][0]["locations"]) == len(fine)


def test_a_filter_that_would_fit_finer_recolours_the_drawn_map(loaded):
    """A filter change is colours only (a Patch of kilobytes), even when the filtered
    view alone would fit the budget at a finer resolution than the one drawn."""
    from dashboard.callbacks.map import _colour_patch, _drawn_record
    from geodata.cache import data_version

    start, end = date(2023, 1, 1), LAST_DAY
    everything = (start, end, (), ())
    budget = len(maps.hex_counts(loaded, 8, start, end)) - 1
    drawn_view = maps.hex_view(loaded, 8, budget, *everything)
    assert drawn_view.coarsened
    version = data_version(loaded)
    drawn = _drawn_record(version, everything, drawn_view, budget)

    category = _template_rows()["category"].value_counts().index[-1]
    one = (start, end, (category,), ())
    view = maps.hex_view(loaded, 8, budget, *one)
    assert view.res > drawn_view.res  # alone it would be drawn finer
    patch = _colour_patch(loaded, view, drawn, version, budget, one)
    assert patch is not None
    z = patch.to_plotly_json()["operations"][0]["params"]["value"]
    assert len(z) == len(drawn_view.counts)  # the hexagons already drawn
    assert sum(v for v in z if v) == len(_expected(start, end, (category,)))
    # The other way round (more cells than the drawn resolution can hold) redraws.
    wider = _drawn_record(version, everything, view, budget)
    assert _colour_patch(loaded, drawn_view, wider, version, budget, everything) is None


def test_the_cell_budget_setting_is_checked(monkeypatch):
    from geodata.errors import ObservatoryError

    monkeypatch.delenv("OBSERVATORY_MAP_MAX_CELLS", raising=False)
    assert maps.max_cells() == 15_000
    monkeypatch.setenv("OBSERVATORY_MAP_MAX_CELLS", "2500")
    assert maps.max_cells() == 2500
    for bad in ("0", "many"):
        monkeypatch.setenv("OBSERVATORY_MAP_MAX_CELLS", bad)
        with pytest.raises(ObservatoryError, match="OBSERVATORY_MAP_MAX_CELLS"):
            maps.max_cells()


def test_ward_lines_draw_each_shared_boundary_once(loaded):
    from geodata.queries import wards

    (feature,) = wards.ward_lines_geojson(loaded)["features"]
    assert feature["geometry"]["type"] in ("LineString", "MultiLineString")
    coords = feature["geometry"]["coordinates"]
    lines = [coords] if feature["geometry"]["type"] == "LineString" else coords
    # Two 0.05-degree squares side by side: seven edges, the middle one drawn once
    # (both outlines would draw eight).
    length = sum(math.dist(a, b) for line in lines for a, b in zip(line, line[1:], strict=False))
    assert length == pytest.approx(7 * 0.05, abs=1e-6)
