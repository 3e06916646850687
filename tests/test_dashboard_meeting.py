"""A monthly meeting driven in headless Chromium on the seeded demo: filter the map,
click a hexagon, enter projector mode, step through the agenda with the keys a
presenter's remote sends, and take the meeting pack away as a PDF with one page per
agenda item, with no error in the browser console."""

from __future__ import annotations

import io
import time
from datetime import date, timedelta
from pathlib import Path

import h3
import pytest
from pypdf import PdfReader
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from dashboard import agenda, ids
from dashboard.app import create_app
from geodata.actions import create_action
from geodata.categories import LABELS
from geodata.h3grid import from_hex

pytestmark = pytest.mark.browser

DEMO_SEED = 20241
DEMO_REFERENCE = date(2024, 9, 30)
CATEGORY = "robbery"


@pytest.fixture
def demo(count_records, empty_db, tmp_path):
    """The seeded demo through the real ETL, and a forum action long overdue."""
    from etl.demo import run_demo

    run_demo(DEMO_SEED, tmp_path / "demo", reference_date=DEMO_REFERENCE, engine=empty_db)
    create_action(
        empty_db,
        {"kind": "awareness", "title": "Talks in the schools", "status": "agreed",
         "due_on": "2024-08-31"},
    )  # fmt: skip
    return empty_db


def _wait_until(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _press(dash_duo, key) -> None:
    dash_duo.find_element("body").send_keys(key)


def _font_px(dash_duo, selector: str) -> float:
    return float(
        dash_duo.driver.execute_script(
            "return parseFloat(getComputedStyle(document.querySelector(arguments[0])).fontSize);",
            selector,
        )
    )


def _click_busiest_cell(dash_duo, graph_id: str) -> str:
    """Clicks the hexagon with most incidents the way plotly reports a click."""
    return dash_duo.driver.execute_script(
        "var g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        "var t = g._fullData[0]; var z = Array.from(t.z); var i = 0;"
        "z.forEach(function (v, k) { if (v !== null && v > z[i]) { i = k; } });"
        "g.emit('plotly_click', {points: [{curveNumber: 0, pointNumber: i, pointIndex: i,"
        " location: t.locations[i], z: z[i]}]});"
        "return t.locations[i];",
        graph_id,
    )


def _db_count(engine, cell: str | None, first: date, last: date, timed: bool) -> int:
    """Robberies in [first, last] (in `cell`, with a time) counted from the table."""
    where = "category = :c AND occurred_from::date BETWEEN :a AND :b"
    params = {"c": CATEGORY, "a": first, "b": last}
    if cell:
        where += f" AND h3_{h3.get_resolution(cell)} = :cell"
        params["cell"] = from_hex(cell)
    if timed:
        where += " AND time_known"
    with engine.connect() as conn:
        return conn.execute(
            text(f"SELECT count(*) FROM incidents WHERE {where}"), params
        ).scalar_one()


def _open(dash_duo, label: str, ready: str) -> None:
    dash_duo.find_element(f"a.nav-link[href^='/{label}']").click()
    dash_duo.wait_for_element(ready, timeout=60)


def _analytics(dash_duo, engine) -> None:
    """Filters on the analytics pages, a click on a hexagon, and the crime clock and
    the trends following it (each checked against the incidents table)."""
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(occurred_from)::date FROM incidents")).scalar_one()
    first, year_start = last - timedelta(days=364), date(last.year, 1, 1)
    timed = f"#{ids.CLOCK_SUMMARY}-timed"

    _open(dash_duo, "hotspots", f"#{ids.HOT_MAP} .js-plotly-plot")
    dash_duo.select_dcc_dropdown(f"#{ids.FILTER_CATEGORIES}", value=LABELS[CATEGORY])
    _wait_until(lambda: f"categories={CATEGORY}" in dash_duo.driver.current_url)
    _open(dash_duo, "clock", timed)
    everything = _db_count(engine, None, first, last, timed=True)
    dash_duo.wait_for_text_to_equal(timed, f"{everything:,}", timeout=30)
    _open(dash_duo, "trends", f"#{ids.TREND_YTD}")
    ytd = _db_count(engine, None, year_start, last, timed=False)
    dash_duo.wait_for_text_to_equal(f"#{ids.TREND_YTD}", f"{ytd:,}", timeout=30)

    _open(dash_duo, "hotspots", f"#{ids.HOT_MAP} canvas.maplibregl-canvas")
    cell = _wait_until(lambda: _click_busiest_cell(dash_duo, ids.HOT_MAP))
    assert cell and _wait_until(lambda: f"focus=cell:{cell}" in dash_duo.driver.current_url)
    _open(dash_duo, "clock", timed)
    in_cell = _db_count(engine, cell, first, last, timed=True)
    assert 0 < in_cell < everything
    dash_duo.wait_for_text_to_equal(timed, f"{in_cell:,}", timeout=30)
    _open(dash_duo, "trends", f"#{ids.TREND_YTD}")
    ytd_in_cell = _db_count(engine, cell, year_start, last, timed=False)
    assert ytd_in_cell < ytd
    dash_duo.wait_for_text_to_equal(f"#{ids.TREND_YTD}", f"{ytd_in_cell:,}", timeout=30)


def _downloaded(folder: Path, suffix: str) -> Path | None:
    done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
    return done[0] if done else None


def test_a_meeting_from_the_map_to_the_pack(dash_duo, demo):
    dash_duo.start_server(create_app())
    dash_duo.wait_for_element(f"#{ids.MAP_GRAPH} canvas.maplibregl-canvas", timeout=60)

    # The map, filtered to one category.
    dash_duo.select_dcc_dropdown(f"#{ids.MAP_CATEGORIES}", value=LABELS[CATEGORY])
    dash_duo.wait_for_text_to_equal(f"#{ids.HEADLINE_TOP_CATEGORY}", LABELS[CATEGORY], timeout=30)
    assert f"categories={CATEGORY}" in dash_duo.driver.current_url
    _analytics(dash_duo, demo)

    # Projector mode: large type, kept in the address.
    dash_duo.find_element(f"#{ids.PROJECTOR_TOGGLE}").click()
    dash_duo.wait_for_class_to_equal(f"#{ids.APP}", "app projector", timeout=10)
    assert "projector=1" in dash_duo.driver.current_url
    assert _font_px(dash_duo, ".app-main") >= 28

    # The meeting opens on the same filters, item 1, in projector mode.
    dash_duo.find_element("a.nav-link[href^='/meeting']").click()
    dash_duo.wait_for_contains_text(".agenda-title", "1. This month's hot spots", timeout=60)
    url = dash_duo.driver.current_url
    assert "/meeting?" in url and f"categories={CATEGORY}" in url and "projector=1" in url
    dash_duo.wait_for_contains_text(f"#{ids.MEETING_STAMP}", f"Categories: {LABELS[CATEGORY]}")
    assert "projector" in dash_duo.find_element(f"#{ids.APP}").get_attribute("class")
    assert _font_px(dash_duo, ".agenda-number") >= 1.8 * 28  # numbers read without hover
    assert dash_duo.find_element(f"#{ids.MEETING_PREV}").get_attribute("disabled")

    # Stepped with the keys a presenter's remote sends.
    for key, number in (
        (Keys.ARROW_RIGHT, 2),
        (Keys.PAGE_DOWN, 3),
        (Keys.ARROW_RIGHT, 4),
        (Keys.ARROW_RIGHT, 4),  # the last item stays
        (Keys.PAGE_UP, 3),
        (Keys.ARROW_LEFT, 2),
        (Keys.ARROW_RIGHT, 3),
        (Keys.ARROW_RIGHT, 4),
    ):
        _press(dash_duo, key)
        title = agenda.AGENDA_TITLES[number - 1][1]
        dash_duo.wait_for_text_to_equal(f"#{ids.MEETING_POSITION}", f"Item {number} of 4")
        dash_duo.wait_for_contains_text(".agenda-title", f"{number}. {title}", timeout=30)
        assert f"item={number}" in dash_duo.driver.current_url
    dash_duo.wait_for_contains_text(".agenda-actions", "Talks in the schools")
    # The demo plants overdue actions of its own: ours must be among the flagged rows.
    flagged = [e.text for e in dash_duo.find_elements(".agenda-actions .agenda-row.flagged")]
    assert any("Talks in the schools" in row and "OVERDUE" in row for row in flagged), flagged
    assert dash_duo.find_element(f"#{ids.MEETING_NEXT}").get_attribute("disabled")

    # The pack: a PDF with one page per agenda item, stamped with the filters.
    dash_duo.find_element(f"#{ids.MEETING_PDF}").click()
    folder = Path(dash_duo.download_path)
    pack = _wait_until(lambda: _downloaded(folder, ".pdf"), timeout=120)
    assert pack, f"no PDF in {folder}: {list(folder.iterdir())}"
    data = pack.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == len(agenda.AGENDA_TITLES)
    for number, page in enumerate(reader.pages, start=1):
        words = " ".join(page.extract_text().split())
        assert f"{number}. {agenda.AGENDA_TITLES[number - 1][1]}" in words
        assert f"Categories: {LABELS[CATEGORY]}" in words
    dash_duo.wait_for_contains_text(f"#{ids.MEETING_EXPORT_STATUS}", "Saved meeting-pack-")

    assert dash_duo.get_logs() == []
