"""The dashboard in headless Chromium: the map page loads, draws hexagons over ward
outlines, follows the filters and the URL, fetches nothing from outside this
machine, and leaves no error in the browser console."""

from __future__ import annotations

import time
from datetime import date, timedelta
from urllib.parse import urlparse

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy import text

from dashboard import ids
from dashboard.app import create_app
from geodata.boundaries import load_ward_frame
from geodata.categories import LABELS

pytestmark = pytest.mark.browser

TEST_ATTRIBUTION = "Test wards, drawn for the observatory's tests (CC0)"
LAST_DAY = date(2024, 6, 30)
CATEGORIES = ("theft", "assault", "robbery", "burglary", "sexual_violence")
N_ROWS = 400
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
DEMO_SEED = 20241
DEMO_REFERENCE = date(2024, 9, 30)


def _test_wards() -> gpd.GeoDataFrame:
    """Two square wards side by side near Nairobi, about 5.5 km a side."""
    return gpd.GeoDataFrame(
        {"code": ["T1", "T2"], "name": ["West Square", "East Square"], "county": ["Test"] * 2},
        geometry=[box(36.80, -1.35, 36.85, -1.30), box(36.85, -1.35, 36.90, -1.30)],
        crs="EPSG:4326",
    )


def _template_rows(seed: int = 20240630) -> pd.DataFrame:
    """Template-shaped rows over 18 months, so the 12-month default leaves some out."""
    rng = np.random.default_rng(seed)
    first = LAST_DAY - timedelta(days=547)
    days = rng.integers(0, 548, N_ROWS)
    days[0] = 547  # the last day has data: the default range ends there
    return pd.DataFrame(
        {
            "agency": "Test Police Station",
            "agency_type": "police",
            "record_ref": [f"OB/{i:04d}" for i in range(N_ROWS)],
            "category": rng.choice(CATEGORIES, N_ROWS, p=[0.4, 0.25, 0.15, 0.1, 0.1]),
            "occurred_on": [(first + timedelta(days=int(d))).isoformat() for d in days],
            "occurred_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 60, (N_ROWS, 2)) % 24],
            "latitude": rng.uniform(-1.349, -1.301, N_ROWS).round(6),
            "longitude": rng.uniform(36.801, 36.899, N_ROWS).round(6),
        }
    )


def _load(engine, tmp_path) -> None:
    from etl.ingest import ingest_files

    load_ward_frame(engine, _test_wards(), attribution=TEST_ATTRIBUTION)
    path = tmp_path / "test_police.csv"
    _template_rows().to_csv(path, index=False)
    (report,) = ingest_files([path], progress=False, engine=engine)
    assert not report["failed"] and report["inserted"] == N_ROWS, report


@pytest.fixture
def demo(empty_db, tmp_path):
    """The seeded demo, loaded through the real ETL (as `observatory demo --no-serve`)."""
    from etl.demo import run_demo

    run_demo(DEMO_SEED, tmp_path / "demo", reference_date=DEMO_REFERENCE, engine=empty_db)
    return empty_db


@pytest.fixture
def loaded(empty_db, tmp_path):
    _load(empty_db, tmp_path)
    return empty_db


def _db_count(engine, start: date, end: date, category: str | None = None) -> int:
    """Incidents in [start, end] counted straight from the table, not through the app."""
    sql = "SELECT count(*) FROM incidents WHERE occurred_from::date BETWEEN :start AND :end" + (
        " AND category = :category" if category else ""
    )
    with engine.connect() as conn:
        return conn.execute(
            text(sql), {"start": start, "end": end, "category": category}
        ).scalar_one()


def _graph_data(dash_duo) -> dict:
    return dash_duo.driver.execute_script(
        f"var g = document.querySelector('#{ids.MAP_GRAPH} .js-plotly-plot');"
        # _fullData holds z decoded from the compact typed-array encoding.
        "var t = g._fullData[0];"
        "return {z: Array.from(t.z || []), locations: Array.from(t.locations || []),"
        " layers: (g.layout.map.layers || []).map(function (l) { return l.type; }),"
        " style: g.layout.map.style};"
    )


def _wait_for_map(dash_duo) -> None:
    dash_duo.wait_for_element(f"#{ids.MAP_GRAPH} .js-plotly-plot", timeout=30)
    dash_duo.wait_for_element(f"#{ids.MAP_GRAPH} canvas.maplibregl-canvas", timeout=30)


def _wait_until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _resources(dash_duo) -> list[dict]:
    return dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) {"
        " return {url: e.name, size: e.encodedBodySize, raw: e.decodedBodySize}; });"
    )


def _db_categories(engine, start: date, end: date) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT category, count(*) FROM incidents "
                "WHERE occurred_from::date BETWEEN :start AND :end "
                "GROUP BY category ORDER BY count(*) DESC, category"
            ),
            {"start": start, "end": end},
        )
        return [(c, int(n)) for c, n in rows]


def _updates(dash_duo) -> list[dict]:
    return [r for r in _resources(dash_duo) if "_dash-update-component" in r["url"]]


def _outside_requests(dash_duo) -> list[str]:
    """URLs the page fetched from anywhere but this machine (data:/blob: are local)."""
    return [
        r["url"]
        for r in _resources(dash_duo)
        if urlparse(r["url"]).scheme not in {"data", "blob"}
        and urlparse(r["url"]).hostname not in LOCAL_HOSTS
    ]


def test_demo_map_follows_the_category_filter_offline(dash_duo, demo):
    with demo.connect() as conn:
        last = conn.execute(text("SELECT max(occurred_from)::date FROM incidents")).scalar_one()
    start = last - timedelta(days=364)
    everything = _db_count(demo, start, last)
    by_category = _db_categories(demo, start, last)
    category, expected = by_category[1]  # not the top one: the headline must change
    assert 0 < expected < everything

    dash_duo.start_server(create_app())
    _wait_for_map(dash_duo)
    dash_duo.wait_for_text_to_equal(f"#{ids.HEADLINE_INCIDENTS}", f"{everything:,}", timeout=30)
    dash_duo.wait_for_text_to_equal(f"#{ids.HEADLINE_TOP_CATEGORY}", LABELS[by_category[0][0]])
    drawn = _graph_data(dash_duo)
    assert drawn["style"] == "white-bg" and drawn["layers"] == ["line"]
    assert len(drawn["locations"]) > 20
    dash_duo.wait_for_contains_text(f"#{ids.MAP_ATTRIBUTION}", "Ward boundaries")
    before = _updates(dash_duo)

    dash_duo.select_dcc_dropdown(f"#{ids.MAP_CATEGORIES}", value=LABELS[category])
    dash_duo.wait_for_text_to_equal(f"#{ids.HEADLINE_INCIDENTS}", f"{expected:,}", timeout=30)
    with demo.connect() as conn:
        placed = conn.execute(
            text(
                "SELECT count(*) FROM incidents WHERE h3_8 IS NOT NULL AND category = :c "
                "AND occurred_from::date BETWEEN :start AND :end"
            ),
            {"c": category, "start": start, "end": last},
        ).scalar_one()
    recoloured = _wait_until(
        lambda: (d := _graph_data(dash_duo)) and sum(z for z in d["z"] if z is not None) == placed
    )
    assert recoloured, "the hexagons were not recoloured for the chosen category"
    assert f"categories={category}" in dash_duo.driver.current_url

    # Bytes on the wire: the first map within 1 MB, a filter change within 200 kB
    # (colours only, never the hexagons again).
    after = _updates(dash_duo)[len(before) :]
    first_map, filter_change = max(r["size"] for r in before), max(r["size"] for r in after)
    print(
        f"first map {first_map:,} B ({max(r['raw'] for r in before):,} B uncompressed); "
        f"filter change {filter_change:,} B ({max(r['raw'] for r in after):,} B)"
    )
    assert first_map <= 1_000_000 and filter_change <= 200_000
    assert _outside_requests(dash_duo) == []
    assert dash_duo.get_logs() == []


def test_map_page_follows_the_category_filter_offline(dash_duo, loaded):
    start, end = LAST_DAY - timedelta(days=364), LAST_DAY
    everything = _db_count(loaded, start, end)
    thefts = _db_count(loaded, start, end, "theft")
    assert 0 < thefts < everything < N_ROWS  # the data can tell the filters apart

    dash_duo.start_server(create_app())
    _wait_for_map(dash_duo)
    dash_duo.wait_for_text_to_equal(f"#{ids.HEADLINE_INCIDENTS}", f"{everything:,}", timeout=20)
    drawn = _graph_data(dash_duo)
    assert drawn["style"] == "white-bg" and drawn["layers"] == ["line"]
    assert sum(z for z in drawn["z"] if z is not None) == everything
    dash_duo.wait_for_contains_text(f"#{ids.MAP_ATTRIBUTION}", TEST_ATTRIBUTION)

    dash_duo.select_dcc_dropdown(f"#{ids.MAP_CATEGORIES}", value="Theft")
    dash_duo.wait_for_text_to_equal(f"#{ids.HEADLINE_INCIDENTS}", f"{thefts:,}", timeout=20)
    dash_duo.wait_for_text_to_equal(f"#{ids.HEADLINE_TOP_CATEGORY}", "Theft")
    recoloured = _wait_until(
        lambda: (
            (d := _graph_data(dash_duo)) and sum(z for z in d["z"] if z is not None) == thefts and d
        )
    )
    assert recoloured, "the hexagons were not recoloured for thefts only"
    # Colours only: the same hexagons, the ones without a theft hidden.
    assert recoloured["locations"] == drawn["locations"]
    assert None in recoloured["z"]
    assert "categories=theft" in dash_duo.driver.current_url

    assert _outside_requests(dash_duo) == []
    assert dash_duo.get_logs() == []


def test_a_bookmarked_view_opens_with_its_filters(dash_duo, loaded):
    start, end = date(2024, 1, 1), date(2024, 3, 31)
    assaults = _db_count(loaded, start, end, "assault")
    assert assaults > 0

    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(
        f"{dash_duo.server_url}/?start={start}&end={end}&categories=assault", timeout=20
    )
    _wait_for_map(dash_duo)
    dash_duo.wait_for_text_to_equal(f"#{ids.HEADLINE_INCIDENTS}", f"{assaults:,}", timeout=20)
    dash_duo.wait_for_contains_text(f"#{ids.MAP_CATEGORIES}", "Assault")
    assert sum(z for z in _graph_data(dash_duo)["z"] if z is not None) == assaults

    dash_duo.find_element("a[href='/about']").click()
    dash_duo.wait_for_contains_text(f"#{ids.ABOUT_AGENCIES}", "Test Police Station", timeout=20)
    dash_duo.wait_for_contains_text(f"#{ids.ABOUT_WARDS}", TEST_ATTRIBUTION)
    assert "nav-link active" in dash_duo.find_element("a[href='/about']").get_attribute("class")
    assert dash_duo.get_logs() == []


def test_public_map_offers_no_sensitive_category(dash_duo, loaded):
    # The public app has its own map (dashboard/public_pages; tests/test_public_app.py):
    # whole months, the last twelve by default, sensitive categories left out.
    dash_duo.start_server(create_app(public=True))
    dash_duo.wait_for_element(f"#{ids.PUB_MAP_IMAGE}", timeout=30)
    first_month = date(LAST_DAY.year - 1, LAST_DAY.month + 1, 1)
    everything = _db_count(loaded, first_month, LAST_DAY)
    sensitive = _db_count(loaded, first_month, LAST_DAY, "sexual_violence")
    assert sensitive > 0
    summary = dash_duo.find_element(f"#{ids.PUB_MAP_SUMMARY} span")
    shown = int(summary.get_attribute("data-count"))
    assert 0 < shown <= everything - sensitive
    dash_duo.find_element(f"#{ids.PUB_MAP_CATEGORY}").click()
    options = dash_duo.wait_for_element(".dash-dropdown-options").text
    assert "Theft" in options and "Sexual violence" not in options
    assert dash_duo.get_logs() == []
