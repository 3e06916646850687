"""The place review page in headless Chromium on the seeded demo: a clerk picks a
suggestion for the most frequent text in the queue and saves; every incident with
that text is re-placed there, the text leaves the queue, a re-import of the agency's
file keeps its rows where the clerk put them, and the browser console stays clean."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import text

from dashboard import ids
from dashboard.app import create_app
from dashboard.figures.review import TABLE_ROWS, text_value
from geodata import cache
from geodata.gazetteer.normalise import normalise_place
from geodata.queries import review
from tests.linked_demo import DEMO_REFERENCE, DEMO_SEED

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_run(empty_db, tmp_path):
    from etl.demo import run_demo

    cache.clear()
    run = run_demo(DEMO_SEED, tmp_path / "demo", reference_date=DEMO_REFERENCE, engine=empty_db)
    return empty_db, run


def _rows_with_key(engine, key: str) -> pd.DataFrame:
    """Non-GPS incidents whose location text (or ward text, without one) has `key`."""
    with engine.connect() as conn:
        rows = pd.read_sql(
            text(
                "SELECT i.id, a.name AS agency, i.record_ref, i.location_text, i.ward_text, "
                "i.geocode_method, i.geocode_confidence, i.place_id, i.ward_code, i.h3_8, "
                "i.import_id, i.row_hash, i.updated_at FROM incidents i "
                "JOIN agencies a ON a.id = i.agency_id WHERE i.geocode_method <> 'gps' "
                "ORDER BY i.id"
            ),
            conn,
        )
    keys = [
        normalise_place(loc) or normalise_place(ward)
        for loc, ward in zip(rows.location_text, rows.ward_text, strict=True)
    ]
    return rows[[k == key for k in keys]].reset_index(drop=True)


def _place(engine, place_id: int) -> tuple[str, str]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text("SELECT name, ward_code FROM places WHERE id = :p"), {"p": place_id}
            ).one()
        )


def _queued_values(dash_duo) -> list[str]:
    """The text each Review button of the queue table stands for."""
    raw = dash_duo.driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{ids.REV_QUEUE} button'))"
        ".map(function (b) { return b.id; });"
    )
    return [json.loads(r)["index"] for r in raw]


def _reimport(engine, run, rows: pd.DataFrame) -> dict:
    """Ingest again the file that last wrote the first of `rows`, dated as before."""
    from etl.demo.justice import ingest_dated

    with engine.connect() as conn:
        name = conn.execute(
            text("SELECT file_name FROM imports WHERE id = :i"), {"i": int(rows.import_id[0])}
        ).scalar_one()
    (dated,) = [d for d in run.build.dated if d.path.name == name]
    (report,) = ingest_dated(engine, [dated])
    return report


def test_resolving_the_top_text_re_places_all_its_rows(dash_duo, demo_run):
    engine, run = demo_run
    queue = review.review_queue.uncached(engine)
    assert len(queue) > 3 and queue["records"].is_monotonic_decreasing
    top = queue.iloc[0].to_dict()
    assert top["records"] > 1, "the top text repeats: one save re-places several rows"
    places = [s for s in top["suggestions"] if s["value"].startswith("place:")]
    assert places, f"the demo's top text has a place among its suggestions: {top}"
    chosen = places[0]
    place_id = int(chosen["value"].removeprefix("place:"))
    place_name, place_ward = _place(engine, place_id)
    key = normalise_place(top["alias_text"])
    before = _rows_with_key(engine, key)
    assert len(before) >= top["records"]
    assert ((before.place_id != place_id) | (before.geocode_confidence < 0.9)).any()

    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(f"{dash_duo.server_url}/review")
    value = text_value(top["location_text"], top["ward_text"])
    dash_duo.wait_for_contains_text(f"#{ids.REV_STATUS}", "need a reviewer", timeout=90)
    dash_duo.wait_for_contains_text(f"#{ids.REV_TEXT}", top["location_text"] or top["ward_text"])
    dash_duo.wait_for_contains_text(f"#{ids.REV_CURRENT}", f"{top['records']:,} records")
    assert value in _queued_values(dash_duo)
    dash_duo.wait_for_element(f"#{ids.REV_MAP} .js-plotly-plot", timeout=30)
    dash_duo.select_dcc_dropdown(f"#{ids.REV_SUGGESTION}", value=chosen["label"])
    dash_duo.find_element(f"#{ids.REV_SAVE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.REV_MESSAGE}", "records re-placed", timeout=60)

    after = _rows_with_key(engine, key)
    assert after["id"].tolist() == before["id"].tolist()
    assert (after.geocode_method == "gazetteer").all(), after.geocode_method.value_counts()
    assert (after.place_id == place_id).all()
    assert (after.ward_code == place_ward).all() and after.h3_8.notna().all()
    assert (after.geocode_confidence >= 0.9).all()
    remaining = review.review_queue.uncached(engine)
    assert key not in {normalise_place(t) for t in remaining["alias_text"]}
    # The page reloaded its queue: the saved text is no longer offered.
    dash_duo.wait_for_contains_text(f"#{ids.REV_STATUS}", f"{len(remaining):,} texts")
    queued = _queued_values(dash_duo)
    assert queued == [
        text_value(loc, ward)
        for loc, ward in remaining[["location_text", "ward_text"]]
        .head(TABLE_ROWS)
        .itertuples(index=False)
    ]
    assert value not in queued

    report = _reimport(engine, run, after)
    assert not report.get("failed"), report
    again = _rows_with_key(engine, key)
    placement = ["id", "geocode_method", "geocode_confidence", "place_id", "ward_code", "h3_8"]
    pd.testing.assert_frame_equal(again[placement], after[placement])
    # The rows that file wrote last come back unchanged (rows a later status re-issue
    # rewrote get their old status back, but stay where the clerk put them).
    mine = after.import_id == after.import_id[0]
    assert mine.sum() >= 1
    pd.testing.assert_frame_equal(
        again.loc[mine, ["id", "row_hash", "updated_at"]],
        after.loc[mine, ["id", "row_hash", "updated_at"]],
    )
    print(
        f"resolved {top['alias_text']!r} -> {place_name} ({place_ward}): {len(after)} records "
        f"re-placed; queue {len(queue)} -> {len(remaining)} texts"
    )
    assert dash_duo.get_logs() == []


def _far_place(engine, offered: set[str]) -> tuple[int, str, str, str]:
    """A gazetteer place not offered for the text (id, name, ward name, and a piece of
    its name from inside it that no other place's name or alias holds)."""
    with engine.connect() as conn:
        places = conn.execute(
            text(
                "SELECT p.id, p.name, w.name, array_to_string(p.aliases, ' ') FROM places p "
                "JOIN wards w ON w.code = p.ward_code ORDER BY p.id"
            )
        ).all()
    for place_id, name, ward, _ in places:
        piece = name[1:6].lower()
        others = [f"{n} {a}".lower() for i, n, _, a in places if i != place_id]
        if f"place:{place_id}" in offered or len(piece.strip()) < 5:
            continue
        if not any(piece in other for other in others):
            return place_id, name, ward, piece
    raise AssertionError("the demo gazetteer has a place with a name of its own")


def test_typing_part_of_a_place_name_offers_it_and_saving_places_the_text_there(dash_duo, demo_run):
    from dashboard.callbacks.review import search_options

    engine, _ = demo_run
    top = review.review_queue.uncached(engine).iloc[0].to_dict()
    value = text_value(top["location_text"], top["ward_text"])
    own = search_options(engine, "", None, [], value)
    place_id, name, ward, piece = _far_place(engine, {o["value"] for o in own})
    label = f"{name}, {ward} ward"
    # Without a browser: the search finds it, an option already chosen stays offered,
    # and a single letter or an unknown name offers the text's own choices only.
    found = search_options(engine, piece.upper(), own[0]["value"], own, value)
    assert [o["label"] for o in found if o["value"] == f"place:{place_id}"] == [label]
    assert own[0]["value"] in [o["value"] for o in found]
    assert len(search_options(engine, "a", None, own, value)) == len(own)
    assert search_options(engine, "zzqx no such place", None, own, value) == []

    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(f"{dash_duo.server_url}/review")
    dash_duo.wait_for_contains_text(f"#{ids.REV_CURRENT}", f"{top['records']:,} records", 90)
    dash_duo.wait_for_element(f"#{ids.REV_MAP} .js-plotly-plot", timeout=30)
    dash_duo.find_element(f"#{ids.REV_SUGGESTION}").click()
    menu = dash_duo.wait_for_element(".dash-dropdown-options", timeout=10)
    assert label not in menu.text, "the whole gazetteer is not sent up front"
    dash_duo.find_element(".dash-dropdown-search").send_keys(piece)
    dash_duo.wait_for_contains_text(".dash-dropdown-options", label, timeout=30)
    (option,) = [o for o in dash_duo.find_elements(".dash-dropdown-option") if o.text == label]
    option.click()
    dash_duo.wait_for_contains_text(f"#{ids.REV_SUGGESTION}", name, timeout=10)
    dash_duo.find_element(f"#{ids.REV_SAVE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.REV_MESSAGE}", "records re-placed", timeout=60)
    after = _rows_with_key(engine, normalise_place(top["alias_text"]))
    assert len(after) >= top["records"] and (after.place_id == place_id).all()
    assert dash_duo.get_logs() == []


def test_links_and_completeness_pages_confirm_and_estimate(dash_duo, demo_run):
    from dashboard.callbacks.links import GROUPS_SHOWN
    from geodata.queries import linkage

    engine, _ = demo_run
    groups = linkage.linked_groups.uncached(engine).drop_duplicates("group_id")
    first = int(groups["group_id"].iloc[0])
    estimates = linkage.capture_recapture_by_category.uncached(engine)
    thin = estimates[~estimates["enough_overlap"]]

    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(f"{dash_duo.server_url}/links")
    dash_duo.wait_for_contains_text(f"#{ids.LNK_STATUS}", "not yet confirmed", timeout=60)
    dash_duo.wait_for_contains_text(f"#link-group-{first}", f"Event {first}")
    dash_duo.find_element(f"#link-group-{first} .button-primary").click()
    dash_duo.wait_for_contains_text(f"#{ids.LNK_MESSAGE}", "confirmed", timeout=30)
    # Confirmed groups make way for the next ones to review.
    dash_duo.wait_for_no_elements(f"#link-group-{first}", timeout=30)
    assert len(dash_duo.find_elements(".link-group")) == min(GROUPS_SHOWN, len(groups) - 1)
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT confirmed FROM event_groups WHERE id = :g"), {"g": first}
        ).scalar_one()

    dash_duo.wait_for_page(f"{dash_duo.server_url}/completeness")
    dash_duo.wait_for_contains_text(f"#{ids.CMP_ASSUMPTIONS}", "Independent sources", timeout=60)
    dash_duo.wait_for_contains_text(f"#{ids.CMP_ESTIMATES}", "All categories")
    shown = dash_duo.find_element(f"#{ids.CMP_ESTIMATES}").text
    overall = estimates.iloc[0]
    assert f"{overall['estimated_total']:,.0f} ({overall['interval_low']:,.0f}" in shown
    assert not len(thin) or "not enough overlap" in shown
    dash_duo.wait_for_element(f"#{ids.CMP_TABLE} table", timeout=30)
    assert dash_duo.get_logs() == []
