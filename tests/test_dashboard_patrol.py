"""The patrol planner in headless Chromium, on the seeded demo: plan the night shift
for the busiest station, see numbered points with landmarks and a schedule, download
a valid one-page PDF sheet, save the plan and open it again; nothing fetched from
outside this machine and no error in the browser console."""

from __future__ import annotations

import io
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from pypdf import PdfReader

from dashboard import ids
from dashboard.app import create_app
from geodata.queries import patrol as queries
from tests.test_patrol_service import load_planner_demo

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture
def demo(engine, tmp_path):
    load_planner_demo(engine, tmp_path / "demo")
    return engine


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
    assert len(queries.saved_plans(demo)) == 1
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
