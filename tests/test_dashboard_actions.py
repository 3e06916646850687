"""Forum actions in headless Chromium, on the seeded demo loaded through the real ETL:
draw an action by clicking the map (a real mouse click on the MapLibre canvas), save
it, mark it done, open its evaluation and read the verdict; then open the evaluation
of the demo's planted street light and find the planted displacement (the night WDQ)
with the right sign and size. Nothing fetched from outside this machine and no error
in the browser console."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from h3.api import basic_int as h3i
from selenium.webdriver.common.by import By
from sqlalchemy import text

from dashboard import ids
from dashboard.app import create_app
from geodata.evaluation import evaluate_action
from geodata.queries.actions import actions_frame, geometry_cells
from geodata.queries.maps import date_bounds, hex_counts
from tests.map_clicks import click_map
from tests.test_dashboard_map import DEMO_REFERENCE, DEMO_SEED

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TITLE = "Light at the busy corner (browser test)"
# The planted light moves half of the prevented night robberies into its ring:
# expected WDQ -0.5. The agencies record only some of the robberies, and place the
# displaced ones less well, so the measured value is smaller (-0.22 on this seed and
# reference date; -0.26 on geodata's test of the same demo). The page must show it
# below 0 (displacement, not diffusion) and within the tolerance geodata's own test
# of the evaluation states (tests/test_evaluation.py).
WDQ_TOLERANCE = 0.35


@pytest.fixture
def demo(empty_db, tmp_path):
    """The seeded demo (with its planted actions), loaded as `observatory demo`."""
    from etl.demo import load_truth, run_demo

    folder = tmp_path / "demo"
    run_demo(DEMO_SEED, folder, reference_date=DEMO_REFERENCE, engine=empty_db)
    return empty_db, load_truth(folder)["actions"]


def _busy_place(engine) -> tuple[float, float]:
    """The centre of the busiest small hexagon at least 800 m from every demo action."""
    near_actions = set()
    for geometry in actions_frame(engine)["geometry"].dropna():
        near_actions |= geometry_cells(geometry, 800.0)
    counts = hex_counts(engine, 9, None, None, ())
    counts = counts[~counts["h3"].isin(list(near_actions))]
    cell = int(counts.sort_values(["count", "h3"], ascending=False).iloc[0]["h3"])
    return h3i.cell_to_latlng(cell)


def _type(dash_duo, element_id: str, value: str) -> None:
    box = dash_duo.find_element(f"#{element_id}")
    box.clear()
    box.send_keys(value)


def _row(dash_duo, action_id: int):
    return dash_duo.find_element(f"#{ids.ACT_TRACKER} tr[data-action='{action_id}']")


def _wait_until(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _stored(engine, title: str):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT id, kind, status, completed_on, ST_X(geom) AS lon, ST_Y(geom) AS lat "
                "FROM actions WHERE title = :t"
            ),
            {"t": title},
        ).first()


def _drawn_on_map(dash_duo, title: str) -> bool:
    return dash_duo.driver.execute_script(
        "var gd = document.querySelector(arguments[0]); var title = arguments[1];"
        "return gd.data.some(function (t) { return String(t.text).indexOf(title) >= 0; });",
        f"#{ids.ACT_MAP} .js-plotly-plot",
        title,
    )


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


def _draw_and_save(dash_duo, engine, lat, lon, started, due) -> int:
    dash_duo.wait_for_element(f"#{ids.ACT_MAP}[data-clicks-bound='true']", timeout=30)
    pixel = click_map(dash_duo, ids.ACT_MAP, lat, lon)
    dash_duo.wait_for_contains_text(f"#{ids.ACT_DRAW_STATUS}", "Point at latitude", timeout=20)
    shown = dash_duo.find_element(f"#{ids.ACT_DRAW_STATUS}").text
    clicked_lat = float(shown.split("latitude ")[1].split(",")[0])
    clicked_lon = float(shown.split("longitude ")[1].rstrip("."))
    # Where the mouse went down (to the pixel: offsets are whole pixels).
    assert abs(clicked_lat - lat) < 1.5 * pixel and abs(clicked_lon - lon) < 1.5 * pixel, shown

    dash_duo.select_dcc_dropdown(f"#{ids.ACT_KIND}", value="Street lighting")
    _type(dash_duo, ids.ACT_TITLE, TITLE)
    _type(dash_duo, ids.ACT_AGENCY, "County Government - Energy")
    _type(dash_duo, ids.ACT_FORUM, "Demo Town Community Safety Forum")
    dash_duo.select_dcc_dropdown(f"#{ids.ACT_STATUS}", value="In progress")
    _type(dash_duo, ids.ACT_DECIDED, (started - timedelta(days=20)).isoformat())
    _type(dash_duo, ids.ACT_STARTED, started.isoformat())
    _type(dash_duo, ids.ACT_DUE, due.isoformat())
    dash_duo.find_element(f"#{ids.ACT_SAVE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ACT_MESSAGE}", "Saved new action", timeout=20)
    stored = _stored(engine, TITLE)
    assert stored.kind == "lighting" and stored.status == "in_progress"
    assert abs(stored.lat - clicked_lat) < 1e-5 and abs(stored.lon - clicked_lon) < 1e-5
    return int(stored.id)


def test_draw_an_action_mark_it_done_and_evaluate_it(dash_duo, demo):
    engine, _truth = demo
    lat, lon = _busy_place(engine)
    first, last = date_bounds(engine)
    started = first + (last - first) / 2
    completed = started + timedelta(days=7)

    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(f"{dash_duo.server_url}/actions", timeout=30)
    dash_duo.wait_for_element(f"#{ids.ACT_MAP} canvas.maplibregl-canvas", timeout=30)
    dash_duo.wait_for_element(f"#{ids.ACT_TRACKER} table, #{ids.ACT_TRACKER} p", timeout=30)
    action_id = _draw_and_save(dash_duo, engine, lat, lon, started, completed)
    dash_duo.wait_for_contains_text(f"#{ids.ACT_TRACKER}", TITLE, timeout=20)
    assert _wait_until(lambda: _drawn_on_map(dash_duo, TITLE)), "the new action is not on the map"
    assert "In progress" in _row(dash_duo, action_id).text
    assert not _row(dash_duo, action_id).find_elements(By.LINK_TEXT, "Evaluate")

    # Mark it done, with its completion date.
    _row(dash_duo, action_id).find_element(By.XPATH, ".//button[text()='Edit']").click()
    dash_duo.wait_for_contains_text(f"#{ids.ACT_FORM_TITLE}", f"Editing action {action_id}")
    assert dash_duo.find_element(f"#{ids.ACT_TITLE}").get_attribute("value") == TITLE
    dash_duo.select_dcc_dropdown(f"#{ids.ACT_STATUS}", value="Done")
    _type(dash_duo, ids.ACT_COMPLETED, completed.isoformat())
    dash_duo.find_element(f"#{ids.ACT_SAVE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ACT_MESSAGE}", f"Updated action {action_id}")
    stored = _stored(engine, TITLE)
    assert stored.status == "done" and stored.completed_on == completed
    link = _wait_until(lambda: _row(dash_duo, action_id).find_elements(By.LINK_TEXT, "Evaluate"))
    assert link and "Done" in _row(dash_duo, action_id).text

    link[0].click()
    verdict = f"#{ids.eval_value('verdict', 'all')}"
    dash_duo.wait_for_element(verdict, timeout=60)
    assert f"action={action_id}" in dash_duo.driver.current_url
    assert dash_duo.find_element(verdict).text  # a plain-language headline
    details = dash_duo.find_elements(f"#{ids.EVAL_VERDICTS} .verdict-detail")
    assert len(details) == 2 and all(d.text.startswith("Target area ") for d in details)
    dash_duo.wait_for_contains_text(f"#{ids.EVAL_ACTION}", TITLE)
    dash_duo.wait_for_contains_text(f"#{ids.EVAL_PERIODS}", "days each")
    assert dash_duo.find_element(f"#{ids.eval_value('verdict', 'night')}").text
    assert _outside_requests(dash_duo) == []
    assert dash_duo.get_logs() == []


def test_the_planted_street_light_shows_its_displacement(dash_duo, demo):
    engine, truth = demo
    light = truth["light"]
    frame = actions_frame(engine)
    light_id = int(frame.loc[frame["action_ref"] == light["action_ref"], "id"].iloc[0])

    dash_duo.start_server(create_app())
    # The tracker: the demo's actions overdue on its reference date are overdue today too.
    dash_duo.wait_for_page(f"{dash_duo.server_url}/actions", timeout=30)
    dash_duo.wait_for_element(f"#{ids.ACT_TRACKER} table", timeout=30)
    assert truth["overdue_on_reference_date"]
    refs = frame.set_index("action_ref")
    for ref in truth["overdue_on_reference_date"]:
        row = _row(dash_duo, int(refs.loc[ref, "id"]))
        assert "overdue" in row.get_attribute("class") and "days overdue" in row.text
    light_row = _row(dash_duo, light_id)
    assert "Done" in light_row.text and light_row.find_elements(By.LINK_TEXT, "Evaluate")

    dash_duo.wait_for_page(
        f"{dash_duo.server_url}/evaluation?action={light_id}&categories={light['category']}",
        timeout=30,
    )
    cell = f"#{ids.eval_value('wdq', 'night')}"
    dash_duo.wait_for_element(cell, timeout=90)
    wdq = float(dash_duo.find_element(cell).get_attribute("data-value"))
    shown = dash_duo.find_element(cell).text
    print(f"night WDQ shown {shown} ({wdq:.3f}); planted {light['expected_wdq']}")
    assert wdq < 0, "the planted displacement shows as diffusion"
    assert abs(wdq - light["expected_wdq"]) <= WDQ_TOLERANCE
    assert shown == f"{wdq:+.2f}"
    # The page shows what geodata computes for its default settings, to the digit.
    backend = evaluate_action(engine, light_id, categories=(light["category"],))
    assert wdq == pytest.approx(backend.results["night"].measures["wdq"].value, abs=1e-12)
    night = dash_duo.find_element(f"#{ids.eval_value('verdict', 'night')}").text
    assert night.startswith("Crime fell in the target area"), night
    assert "moved" in night and "Too few" not in night
    dash_duo.wait_for_contains_text(f"#{ids.EVAL_LENS_TABLE}", "dark hot spots", timeout=60)
    assert _outside_requests(dash_duo) == []
    assert dash_duo.get_logs() == []
