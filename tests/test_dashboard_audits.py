"""The safety audit, justice chain and police feedback pages in headless Chromium on
the seeded demo: each opens with no error in the browser console, and what they show
matches numbers worked out here by hand from the demo's raw files (the Kobo survey
export, the feedback file) or counted straight from the tables."""

from __future__ import annotations

import csv
import io
import math
import time
from datetime import date

import pytest
from sqlalchemy import text

from dashboard import ids
from dashboard.app import create_app
from etl.demo import load_truth
from geodata.vocab import vocab_key

pytestmark = pytest.mark.browser

DEMO_SEED = 20241
DEMO_REFERENCE = date(2024, 9, 30)
Z95 = 1.959963984540054
TRUST_YES = {"a_lot", "somewhat"}
UNSAFE_YES = {"unsafe", "very_unsafe"}
NO_ANSWER = {"dont_know", ""}


@pytest.fixture
def demo(empty_db, tmp_path):
    from etl.demo import run_demo

    run = run_demo(DEMO_SEED, tmp_path / "demo", reference_date=DEMO_REFERENCE, engine=empty_db)
    return empty_db, run.build


def _rows(path) -> list[dict]:
    data = path.read_bytes().decode("utf-8-sig")
    separator = ";" if data.splitlines()[0].count(";") > 2 else ","
    return list(csv.DictReader(io.StringIO(data), delimiter=separator))


def weighted_share(answers: list[tuple[str, float]], yes: set[str]) -> tuple[float, float, float]:
    """By hand: the weighted share of yes among those who answered, and its 95%
    interval (Wilson's, from the design effective sample size p(1-p)/V with the
    linearised variance V = sum(w^2 (y-p)^2) / (sum w)^2, at most the respondents)."""
    kept = [(1.0 if a in yes else 0.0, w) for a, w in answers if a not in NO_ANSWER]
    total = sum(w for _, w in kept)
    p = sum(y * w for y, w in kept) / total
    variance = sum(w * w * (y - p) ** 2 for y, w in kept) / total**2
    n = min(p * (1 - p) / variance, len(kept))
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return p, centre - half, centre + half


def _wait_until(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _trace(dash_duo, graph_id: str, index: int = 0) -> dict | None:
    return dash_duo.driver.execute_script(
        "var g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        "if (!g || !g._fullData || g._fullData.length <= arguments[1]) { return null; }"
        "var t = g._fullData[arguments[1]];"
        "return {x: Array.from(t.x || []), y: Array.from(t.y || []), type: t.type,"
        " height: g._fullLayout.height};",
        graph_id,
        index,
    )


def _open(dash_duo, path: str, ready: str) -> None:
    dash_duo.find_element(f"a.nav-link[href^='{path}']").click()
    dash_duo.wait_for_element(ready, timeout=60)


def _check_audits(dash_duo, build) -> None:
    export = _rows(build.survey.export)
    trust = weighted_share(
        [(r["grp_police/trust_police"], float(r["weight"])) for r in export], TRUST_YES
    )
    value = f"#{ids.AUD_TRUST_VALUE}"
    _open(dash_duo, "/audits", value)
    dash_duo.wait_for_text_to_equal(f"#{ids.AUD_RESPONDENTS}", f"{len(export):,}", timeout=60)
    shown = dash_duo.find_element(value)
    assert shown.text == f"{trust[0] * 100:.1f}%"
    assert dash_duo.find_element(f"#{ids.AUD_TRUST_INTERVAL}").text == (
        f"95% interval {trust[1] * 100:.1f}% to {trust[2] * 100:.1f}%"
    )
    unrounded = [float(shown.get_attribute(f"data-{k}")) for k in ("proportion", "low", "high")]
    assert unrounded == pytest.approx(list(trust), abs=1e-9)
    assert 0.25 < trust[0] < 0.45 and trust[2] - trust[1] < 0.08  # ~1,500 households

    # The bars by ward: the share feeling unsafe after dark in each ward.
    names = {
        vocab_key(w["name"]): w["name"] for w in load_truth(build.folder)["geography"]["wards"]
    }
    by_ward: dict[str, list] = {}
    for r in export:
        by_ward.setdefault(names[r["grp_location/ward"]], []).append(
            (r["grp_safety/walk_after_dark"], float(r["weight"]))
        )
    bars = _wait_until(lambda: _trace(dash_duo, ids.AUD_INDICATOR_GRAPH))
    assert bars and bars["type"] == "bar" and len(bars["y"]) == len(by_ward)
    assert bars["height"] >= 40 * len(by_ward)  # a readable bar per ward, none squeezed
    for ward, percent in zip(bars["y"], bars["x"], strict=True):
        assert percent == pytest.approx(weighted_share(by_ward[ward], UNSAFE_YES)[0] * 100)

    dark = _wait_until(lambda: _trace(dash_duo, ids.AUD_DARK_GRAPH))
    assert dark and {c.lower() for c in dark["y"]} == {
        "theft", "burglary", "robbery", "assault", "sexual violence", "domestic violence"
    }  # fmt: skip
    perception = _wait_until(lambda: _trace(dash_duo, ids.AUD_PERCEPTION_GRAPH))
    assert perception and len(perception["x"]) == len(by_ward) and perception["height"] > 400
    places = _wait_until(lambda: _trace(dash_duo, ids.AUD_PLACES_MAP))
    assert places is not None
    attribution = dash_duo.find_element(f"#{ids.AUD_ATTRIBUTION}").text
    assert build.geography.attribution in attribution


def _check_justice(dash_duo, engine) -> None:
    _open(dash_duo, "/justice", f"#{ids.JUS_STUCK} tbody tr")
    with engine.connect() as conn:
        reported = conn.execute(text("SELECT count(*) FROM incidents")).scalar_one()
        investigated = conn.execute(
            text(
                "SELECT count(DISTINCT incident_id) FROM incident_status_history WHERE status IN "
                "('under_investigation', 'in_court', 'convicted', 'acquitted')"
            )
        ).scalar_one()
    funnel = _wait_until(lambda: _trace(dash_duo, ids.JUS_FUNNEL))
    assert funnel["x"][:2] == [reported, investigated]
    assert 0.2 < investigated / reported < 0.7
    stuck = dash_duo.find_elements(f"#{ids.JUS_STUCK} tbody tr")
    assert len(stuck) == 20
    days = [int(row.find_elements("css selector", "td")[-1].text.replace(",", "")) for row in stuck]
    assert days == sorted(days, reverse=True) and days[0] > 30
    assert _wait_until(lambda: _trace(dash_duo, ids.JUS_CHANGE))
    assert _wait_until(lambda: _trace(dash_duo, ids.JUS_DURATIONS))
    rows = _wait_until(lambda: dash_duo.find_elements(f"#{ids.JUS_FUNNEL_TABLE} tbody tr"))
    assert len(rows) >= 6  # one per category with cases


def _check_feedback(dash_duo, build) -> None:
    records = _rows(build.survey.feedback)
    complaints = [r for r in records if r["complaint_category"]]
    resolved = sum(r["resolved"] == "yes" for r in complaints) / len(complaints)
    mean = sum(int(r["rating"]) for r in records) / len(records)
    _open(dash_duo, "/feedback", f"#{ids.FB_HEADLINES}-records")
    dash_duo.wait_for_text_to_equal(f"#{ids.FB_HEADLINES}-records", f"{len(records):,}")
    assert dash_duo.find_element(f"#{ids.FB_HEADLINES}-rating").text == f"{mean:.1f} / 5"
    assert dash_duo.find_element(f"#{ids.FB_HEADLINES}-complaints").text == f"{len(complaints):,}"
    assert dash_duo.find_element(f"#{ids.FB_HEADLINES}-resolved").text == f"{resolved:.0%}"
    stations = {r["station"] for r in records}
    table = dash_duo.find_elements(f"#{ids.FB_STATION_TABLE} tbody tr")
    assert {row.find_elements("css selector", "td")[0].text for row in table} == stations
    ratings = _wait_until(lambda: _trace(dash_duo, ids.FB_RATINGS))
    assert ratings and ratings["type"] == "scatter" and ratings["height"] > 400
    trust = _wait_until(lambda: _trace(dash_duo, ids.FB_TRUST))
    export = _rows(build.survey.export)
    p = weighted_share(
        [(r["grp_police/trust_police"], float(r["weight"])) for r in export], TRUST_YES
    )[0]
    assert trust["y"] == [pytest.approx(p * 100)]


def test_audit_justice_and_feedback_pages_on_the_demo(dash_duo, demo):
    engine, build = demo
    dash_duo.start_server(create_app())
    _check_audits(dash_duo, build)
    _check_justice(dash_duo, engine)
    _check_feedback(dash_duo, build)
    assert dash_duo.get_logs() == []
