"""The patrol planner in headless Chromium, on the seeded demo: plan the night shift
for the busiest station, see numbered points with landmarks and a schedule, download
a valid one-page PDF sheet, save the plan and open it again; draw the station area
around the busiest night hot spot by clicking the map (real mouse clicks on the
MapLibre canvas), plan inside it, print it and reopen it with its polygon; nothing
fetched from outside this machine and no error in the browser console."""

from __future__ import annotations

import io
import math
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pytest
import shapely
from pypdf import PdfReader

from dashboard import ids
from dashboard.app import create_app
from dashboard.callbacks.patrol_area import drawing_after, drawing_status
from dashboard.figures.patrol import DRAW_INDEX, DRAWN_AREA_COLOUR
from geodata.patrol_plans import PlanParameters
from geodata.patrol_service import plan_shift
from geodata.queries import patrol as queries
from tests.map_clicks import click_map
from tests.test_patrol_service import NIGHT, _metres, load_planner_demo

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def demo_truth(engine, tmp_path_factory):
    """The planner demo, loaded once for the module: (engine, truth)."""
    return engine, load_planner_demo(engine, tmp_path_factory.mktemp("demo"))


@pytest.fixture
def demo(demo_truth):
    return demo_truth[0]


def _wait_for_file(folder: Path, suffix: str, timeout: float = 90.0) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        if done:
            time.sleep(0.5)  # let Chromium finish writing
            return done[0]
        time.sleep(0.3)
    raise AssertionError(f"no {suffix} file arrived in {folder}")


def _outside_requests(dash_duo) -> list[str]:
    entries = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });"
    )
    return [
        url
        for url in entries
        if urlparse(url).scheme not in {"data", "blob"}
        and urlparse(url).hostname not in LOCAL_HOSTS
    ]


def test_plan_a_night_shift_and_download_its_one_page_sheet(dash_duo, demo):
    busiest = queries.station_areas(demo).iloc[0]
    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(f"{dash_duo.server_url}/patrol", timeout=30)
    dash_duo.wait_for_contains_text(f"#{ids.PATROL_STATION}", busiest["name"], timeout=30)
    dash_duo.wait_for_contains_text(f"#{ids.PATROL_CATEGORIES}", "Robbery")

    dash_duo.find_element(f"#{ids.PATROL_PLAN_BUTTON}").click()
    dash_duo.wait_for_contains_text(f"#{ids.PATROL_STATUS}", "Planned 5 points", timeout=60)
    dash_duo.wait_for_element(f"#{ids.PATROL_POINTS} tbody tr", timeout=30)
    rows = dash_duo.find_elements(f"#{ids.PATROL_POINTS} tbody tr")
    assert [r.find_elements("css selector", "td")[0].text for r in rows] == list("12345")
    landmarks = [r.find_elements("css selector", "td")[1].text for r in rows]
    assert all(" m)" in text for text in landmarks), landmarks
    assert dash_duo.find_elements(f"#{ids.PATROL_SCHEDULE} tbody tr")
    dash_duo.wait_for_element(f"#{ids.PATROL_MAP} canvas.maplibregl-canvas", timeout=30)
    dash_duo.wait_for_contains_text(f"#{ids.PATROL_MAP_ATTRIBUTION}", "Ward boundaries")

    dash_duo.find_element(f"#{ids.PATROL_PDF_BUTTON}").click()
    pdf_path = _wait_for_file(Path(dash_duo.download_path), ".pdf")
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    words = reader.pages[0].extract_text()
    for text in landmarks:
        assert text.split(" (")[0] in words
    assert "Visit schedule" in words

    dash_duo.find_element(f"#{ids.PATROL_SAVE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.PATROL_STATUS}", "Saved as plan", timeout=30)
    assert len(queries.saved_plans(demo)) >= 1
    # The saved plan opens with its evaluation (no later month in the demo yet).
    dash_duo.wait_for_contains_text(f"#{ids.PATROL_EVAL_TEXT}", "incidents", timeout=30)

    assert _outside_requests(dash_duo) == []
    assert dash_duo.get_logs() == []


def test_a_commander_plans_only_within_their_wards():
    from dashboard.callbacks.patrol import scoped_wards
    from geodata.errors import ObservatoryError

    assert scoped_wards(["W1", "W2", "W1"], ("W1", "W2", "W3")) == ("W1", "W2")
    assert scoped_wards(["W9"], None) == ("W9",)  # the team: every ward
    with pytest.raises(ObservatoryError, match="your station's wards"):
        scoped_wards(["W1", "W9"], ("W1", "W2"))


def _drawn_corners(dash_duo) -> list[tuple[float, float]]:
    """(lon, lat) of the corners drawn on the drawing map, as the page holds them."""
    trace = dash_duo.driver.execute_script(
        f"var gd = document.querySelector('#{ids.PATROL_DRAW_MAP} .js-plotly-plot');"
        f"var t = gd.data[{DRAW_INDEX}]; return [t.lon, t.lat];"
    )
    return list(zip(*trace, strict=True))


def _area_layers(dash_duo) -> int:
    return dash_duo.driver.execute_script(
        f"var gd = document.querySelector('#{ids.PATROL_MAP} .js-plotly-plot');"
        "return (gd.layout.map.layers || []).filter(function (l) {"
        f"  return l.color === '{DRAWN_AREA_COLOUR}'; }}).length;"
    )


def _night_spot(engine, truth) -> dict:
    """The planted night hot spot under the busiest station's first patrol point."""
    busiest = queries.station_areas(engine).iloc[0]
    params = PlanParameters(
        ward_codes=busiest["ward_codes"],
        categories=NIGHT,
        as_of=date.fromisoformat(truth["period"]["end"]).replace(day=1),
    )
    top = plan_shift(engine, params).points.iloc[0]
    spots = [s for s in truth["model"]["hot_spots"] if set(s["categories"]) & set(NIGHT)]
    return min(spots, key=lambda s: _metres(top.lat, top.lon, s["lat"], s["lon"]))


def test_draw_the_station_area_around_a_hot_spot_and_plan_inside_it(dash_duo, demo_truth):
    engine, truth = demo_truth
    spot = _night_spot(engine, truth)
    reach = 2.5 * spot["radius_m"] / 111_320.0  # degrees of latitude
    corners = [
        (
            spot["lat"] + reach * math.sin(a),
            spot["lon"] + reach * math.cos(a) / math.cos(math.radians(spot["lat"])),
        )
        for a in (2 * math.pi * k / 5 for k in range(5))
    ]
    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(f"{dash_duo.server_url}/patrol", timeout=30)
    dash_duo.wait_for_element(f"#{ids.PATROL_DRAW_MAP}[data-clicks-bound='true']", timeout=30)
    status = f"#{ids.PATROL_DRAW_STATUS}"

    # Two corners are not an area: Finish says so in words.
    for lat, lon in corners[:2]:
        click_map(dash_duo, ids.PATROL_DRAW_MAP, lat, lon)
    dash_duo.wait_for_contains_text(status, "2 corners placed", timeout=20)
    dash_duo.find_element(f"#{ids.PATROL_DRAW_FINISH}").click()
    dash_duo.wait_for_contains_text(status, "Not finished: The drawn area has 2 corners")
    # The polygon grows with each click, then closes on Finish.
    for n, (lat, lon) in enumerate(corners[2:], start=3):
        click_map(dash_duo, ids.PATROL_DRAW_MAP, lat, lon)
        dash_duo.wait_for_contains_text(status, f"{n} corners placed", timeout=20)
    drawn = _drawn_corners(dash_duo)
    assert len(drawn) == 6 and drawn[0] == drawn[-1]  # five corners, closed for the fill
    polygon = shapely.Polygon(drawn[:-1])
    assert polygon.contains(shapely.Point(spot["lon"], spot["lat"]))
    dash_duo.find_element(f"#{ids.PATROL_DRAW_FINISH}").click()
    dash_duo.wait_for_contains_text(status, "Station area finished with 5 corners", timeout=20)

    dash_duo.find_element(f"#{ids.PATROL_PLAN_BUTTON}").click()
    dash_duo.wait_for_contains_text(f"#{ids.PATROL_STATUS}", "Planned", timeout=60)
    dash_duo.wait_for_contains_text(f"#{ids.PATROL_SHEET_LINES}", "drawn area", timeout=30)
    dash_duo.wait_for_element(f"#{ids.PATROL_MAP} canvas.maplibregl-canvas", timeout=30)
    assert _area_layers(dash_duo) == 1  # the polygon beside the ward outlines
    map_bottom, table_top = dash_duo.driver.execute_script(
        f"return [document.querySelector('#{ids.PATROL_MAP} canvas.maplibregl-canvas')"
        ".getBoundingClientRect().bottom,"
        f" document.getElementById('{ids.PATROL_POINTS}').getBoundingClientRect().top];"
    )
    assert map_bottom <= table_top  # the map does not cover the points table

    dash_duo.find_element(f"#{ids.PATROL_PDF_BUTTON}").click()
    pdf = _wait_for_file(Path(dash_duo.download_path), ".pdf").read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1 and reader.pages[0].images
    words = reader.pages[0].extract_text()
    assert "drawn area (orange line)" in words and "Visit schedule" in words

    name = dash_duo.find_element(f"#{ids.PATROL_NAME}")
    name.clear()
    name.send_keys("Night shift around the hot spot")
    dash_duo.find_element(f"#{ids.PATROL_SAVE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.PATROL_STATUS}", "Saved as plan", timeout=30)
    plan_id = int(dash_duo.find_element(f"#{ids.PATROL_STATUS}").text.split()[-1].rstrip("."))
    saved = queries.saved_plan(engine, plan_id)
    assert saved["plan"]["area"] is not None
    points = saved["points"]
    assert len(points) >= 1
    for point in points.itertuples():
        assert polygon.contains(shapely.Point(point.lon, point.lat)), point.point
    assert (
        _metres(points.iloc[0].lat, points.iloc[0].lon, spot["lat"], spot["lon"])
        < (spot["radius_m"])
    )

    # A fresh page: the saved plan reopens with its polygon.
    dash_duo.wait_for_page(f"{dash_duo.server_url}/patrol", timeout=30)
    dash_duo.wait_for_element(f"#{ids.PATROL_SAVED}", timeout=30)
    dash_duo.select_dcc_dropdown(f"#{ids.PATROL_SAVED}", index=0)  # newest first
    dash_duo.wait_for_contains_text(f"#{ids.PATROL_SHEET_LINES}", "drawn area", timeout=30)
    dash_duo.wait_for_element(f"#{ids.PATROL_MAP} canvas.maplibregl-canvas", timeout=30)
    assert _area_layers(dash_duo) == 1

    assert _outside_requests(dash_duo) == []
    assert dash_duo.get_logs() == []


def test_drawing_clicks_finish_and_clear_in_words():
    vertices, area = drawing_after(ids.PATROL_CLICK, [], None, {"lon": 36.9, "lat": -0.8})
    assert vertices == [[36.9, -0.8]] and area is None
    assert drawing_status(vertices, area).endswith("click at least 2 more, then Finish.")
    finished = '{"type": "Polygon", "coordinates": []}'
    # A finished area takes no more corners, until Clear.
    more, still = drawing_after(ids.PATROL_CLICK, vertices, finished, {"lon": 37.0, "lat": -0.7})
    assert more == vertices and still == finished
    assert "Clear to draw again" in drawing_status(more, still)
    assert drawing_after(ids.PATROL_DRAW_CLEAR, vertices, finished, None) == ([], None)
    assert drawing_status([], None) == "No area drawn: the plan covers the chosen wards."
