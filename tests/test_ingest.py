"""`etl.ingest` against PostGIS: loading, placing, re-running and updating."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import text

from etl.ingest import ingest_files
from geodata import h3grid, incident_store
from tests.conftest import REPO
from tests.ingest_helpers import (
    dump,
    incidents,
    ingest_one,
    load_grid_wards,
    load_square_wards,
    row,
    write_csv,
)

EXAMPLE = REPO / "docs" / "examples" / "template-example.csv"
BLANK = REPO / "docs" / "examples" / "template-blank.csv"


def _balanced(report: dict) -> bool:
    placed = report["inserted"] + report["updated"] + report["unchanged"]
    return report["rows_read"] == placed + report["quarantined"]


def test_the_shipped_example_loads_every_row(empty_db):
    report = ingest_one(empty_db, EXAMPLE)
    assert not report["failed"]
    assert (report["rows_read"], report["inserted"], report["quarantined"]) == (15, 15, 0)
    assert report["swapped_coordinates"] == 1
    assert report["category_other_texts"] == {"Malicious damage to property": 1}
    stored = {r["record_ref"]: r for r in incidents(empty_db)}
    assert stored["OB 03/03/2024"]["category"] == "sexual_violence"
    assert stored["OB 03/03/2024"]["occurred_from"] == datetime(2024, 3, 3, 21, 30)
    assert stored["OB 06/03/2024"]["occurred_from"] == datetime(2024, 3, 6, 23, 0)
    assert stored["OB 06/03/2024"]["occurred_to"] == datetime(2024, 3, 7, 6, 0)
    assert stored["OB 04/03/2024"]["lat"] == pytest.approx(-1.316)
    assert stored["OB 07/03/2024"]["lat"] == pytest.approx(-1.312)  # swapped back
    assert stored["OB 08/03/2024"]["geocode_method"] == "unresolved"
    assert stored["OB 01/03/2024"]["status"] == "under_investigation"
    assert stored["OB 04/03/2024"]["status"] == "under_investigation"  # written PUI


def test_the_blank_template_has_every_column_and_loads_nothing(empty_db):
    report = ingest_one(empty_db, BLANK, agency_type="police_station")
    assert not report["failed"]
    assert report["rows_read"] == 0
    assert len(report["columns"]) == 16 and not report["ignored_columns"]


def test_positions_get_their_ward_and_h3_cells(empty_db, tmp_path):
    load_square_wards(empty_db)
    rows = [
        row(record_ref="in-w1", latitude="-1.35", longitude="36.75"),
        row(record_ref="in-w2", latitude="-1.35", longitude="36.85"),
        row(record_ref="on-edge", latitude="-1.35", longitude="36.8"),
        row(record_ref="kenya-no-ward", latitude="0.5", longitude="35.0"),
        row(record_ref="abroad", latitude="-33.9", longitude="18.4"),
        row(record_ref="no-position", location="Olympic stage"),
    ]
    report = ingest_one(empty_db, write_csv(tmp_path / "w.csv", rows))
    stored = {r["record_ref"]: r for r in incidents(empty_db)}
    assert stored["in-w1"]["ward_code"] == "W1"
    assert stored["in-w2"]["ward_code"] == "W2"
    assert stored["on-edge"]["ward_code"] == "W1"  # on the shared edge: lowest code, every run
    assert stored["kenya-no-ward"]["ward_code"] is None
    assert stored["kenya-no-ward"]["geocode_method"] == "gps"  # position kept, ward not guessed
    assert stored["abroad"]["geom"] is None and stored["abroad"]["geocode_method"] == "unresolved"
    assert stored["no-position"]["geocode_method"] == "unresolved"
    assert stored["no-position"]["location_text"] == "Olympic stage"
    assert report["no_ward"] == 2 and report["outside_kenya"] == 1
    assert {w["row"] for w in report["warnings"]} == {5, 6}
    cells = h3grid.points_to_cell_columns([-1.35], [36.75])
    for res in (7, 8, 9):
        assert stored["in-w1"][f"h3_{res}"] == int(cells[res][0])
    assert stored["no-position"]["h3_9"] is None


def test_ward_assignment_probes_the_points_index_once_per_ward(empty_db):
    load_grid_wards(empty_db)
    with empty_db.connect() as conn, conn.begin() as transaction:
        incident_store.create_stage(conn)
        conn.execute(
            text(
                'INSERT INTO stage_incidents ("row", lat, lon) '
                "SELECT g, -1.55 + (g % 97) * 0.009, 36.55 + (g % 89) * 0.01 "
                "FROM generate_series(1, 20000) g"
            )
        )
        plan = incident_store.explain_ward_assignment(conn)
        transaction.rollback()
    # A million points against 1,450 wards: 1,450 index probes, never a scan of
    # every point per ward.
    assert "ix_placed_geom" in plan
    assert "Seq Scan on placed" not in plan


def test_rerunning_a_file_changes_nothing(empty_db, tmp_path):
    load_square_wards(empty_db)
    first = ingest_one(empty_db, EXAMPLE)
    before = dump(empty_db)["incidents"]
    second = ingest_one(empty_db, EXAMPLE)
    assert second["unchanged"] == second["rows_read"] == first["inserted"] == 15
    assert second["inserted"] == second["updated"] == 0
    assert dump(empty_db)["incidents"] == before


def test_a_changed_row_is_updated_and_the_rest_unchanged(empty_db, tmp_path):
    rows = [row(record_ref=f"OB {i}", latitude="-1.35", longitude="36.75") for i in range(5)]
    ingest_one(empty_db, write_csv(tmp_path / "a.csv", rows))
    rows[2]["category"] = "robbery"
    rows.append(row(record_ref="OB 99"))
    report = ingest_one(empty_db, write_csv(tmp_path / "b.csv", rows))
    assert (report["inserted"], report["updated"], report["unchanged"]) == (1, 1, 4)
    stored = {r["record_ref"]: r for r in incidents(empty_db)}
    assert stored["OB 2"]["category"] == "robbery"
    assert stored["OB 2"]["import_id"] == report["import_id"]
    assert stored["OB 1"]["import_id"] != report["import_id"]
    assert len(stored) == 6


def test_the_same_reference_at_two_agencies_is_two_incidents(empty_db, tmp_path):
    rows = [row(record_ref="OB 1"), row(record_ref="OB 1", agency="Kilimani Police Station")]
    report = ingest_one(empty_db, write_csv(tmp_path / "a.csv", rows))
    assert report["inserted"] == 2 and len(report["agencies"]) == 2


def test_agency_names_match_ignoring_case(empty_db, tmp_path):
    ingest_one(empty_db, write_csv(tmp_path / "a.csv", [row(record_ref="1")]))
    again = [row(record_ref="1", agency="KIBERA POLICE STATION", agency_type="")]
    report = ingest_one(empty_db, write_csv(tmp_path / "b.csv", again))
    assert report["unchanged"] == 1
    assert report["agencies"][0]["name"] == "Kibera Police Station"


def test_every_file_balances(empty_db, tmp_path):
    rows = [
        row(record_ref="1"),
        row(record_ref="2", occurred_on="31/02/2024"),
        row(record_ref="1"),
        row(record_ref="", category=""),
        row(record_ref="3", category="something new"),
    ]
    report = ingest_one(empty_db, write_csv(tmp_path / "a.csv", rows))
    assert _balanced(report)
    assert (report["inserted"], report["quarantined"]) == (2, 3)
    rows[1]["occurred_on"] = "28/02/2024"
    report = ingest_one(empty_db, write_csv(tmp_path / "a.csv", rows))
    assert _balanced(report)
    assert (report["inserted"], report["unchanged"], report["quarantined"]) == (1, 2, 2)


def test_category_synonyms_and_other_texts(empty_db, tmp_path):
    texts = ["Murder", "ABH", "H/B", "ubakaji", "GBV", "Cattle rustling", "chang'aa", "Arson"]
    rows = [row(record_ref=str(i), category=t) for i, t in enumerate(texts)] + [
        row(record_ref="x", category="arson ")
    ]
    report = ingest_one(empty_db, write_csv(tmp_path / "a.csv", rows))
    stored = {r["record_ref"]: (r["category"], r["category_text"]) for r in incidents(empty_db)}
    assert [stored[str(i)][0] for i in range(len(texts))] == [
        "homicide",
        "assault",
        "burglary",
        "sexual_violence",
        "domestic_violence",
        "stock_theft",
        "drugs",
        "other",
    ]
    assert stored["7"] == ("other", "Arson")
    assert report["category_other_texts"] == {"Arson": 1, "arson": 1}


def test_swapped_coordinates_are_corrected_and_counted(empty_db, tmp_path):
    load_square_wards(empty_db)
    rows = [
        row(record_ref="1", latitude="36.75", longitude="-1.35"),
        row(record_ref="2", gps="36.85, -1.35"),
        row(record_ref="3", latitude="-1.35", longitude="36.75"),
    ]
    report = ingest_one(empty_db, write_csv(tmp_path / "a.csv", rows))
    assert report["swapped_coordinates"] == 2
    stored = {r["record_ref"]: r for r in incidents(empty_db)}
    assert (stored["1"]["lat"], stored["1"]["lon"], stored["1"]["ward_code"]) == (
        -1.35,
        36.75,
        "W1",
    )
    assert stored["2"]["ward_code"] == "W2"


def test_unreadable_coordinates_keep_the_row_and_are_counted(empty_db, tmp_path):
    rows = [
        row(record_ref="1", latitude="near the river", longitude="36.75"),
        row(record_ref="2", latitude="-1.35", longitude=""),
        row(record_ref="3", latitude="-1.35", longitude="36.75"),
    ]
    report = ingest_one(empty_db, write_csv(tmp_path / "a.csv", rows))
    assert report["inserted"] == 3 and report["unreadable_coordinates"] == 2
    assert {w["row"] for w in report["warnings"]} == {2, 3}
    methods = {r["record_ref"]: r["geocode_method"] for r in incidents(empty_db)}
    assert methods == {"1": "unresolved", "2": "unresolved", "3": "gps"}


def test_times_and_windows_are_stored_in_local_time(empty_db, tmp_path):
    rows = [
        row(record_ref="1", occurred_time="2130hrs"),
        row(record_ref="2", occurred_time=""),
        row(record_ref="3", occurred_time="22:00", occurred_until="06:30"),
        row(record_ref="4", occurred_time="late"),
    ]
    report = ingest_one(empty_db, write_csv(tmp_path / "a.csv", rows))
    stored = {r["record_ref"]: r for r in incidents(empty_db)}
    assert stored["1"]["occurred_from"] == datetime(2024, 3, 12, 21, 30)
    assert stored["1"]["time_known"] is True
    assert stored["2"]["time_known"] is False
    assert stored["3"]["occurred_to"] == datetime(2024, 3, 13, 6, 30)
    assert stored["4"]["time_known"] is False and report["unreadable_times"] == 1


def test_a_failure_mid_load_leaves_the_database_as_it_was(empty_db, tmp_path, monkeypatch):
    load_square_wards(empty_db)
    ingest_one(empty_db, EXAMPLE)
    before = dump(empty_db)
    real_copy = incident_store.copy_stage

    def copy_then_fail(conn, frame):
        real_copy(conn, frame)
        raise RuntimeError("simulated crash after staging")

    monkeypatch.setattr(incident_store, "copy_stage", copy_then_fail)
    rows = [row(record_ref=f"new {i}", agency="Another Station") for i in range(3)]
    with pytest.raises(RuntimeError, match="simulated"):
        ingest_files([write_csv(tmp_path / "a.csv", rows)], engine=empty_db)
    assert dump(empty_db) == before


def test_a_database_refusal_fails_the_file_and_stores_nothing(empty_db, tmp_path):
    before = dump(empty_db)
    with empty_db.begin() as conn:
        conn.execute(
            text(
                "ALTER TABLE incidents ADD CONSTRAINT ck_test_no_fraud CHECK (category <> 'fraud')"
            )
        )
    try:
        rows = [row(record_ref="1"), row(record_ref="2", category="forgery")]
        good = write_csv(tmp_path / "good.csv", [row(record_ref="3")])
        bad_report, good_report = ingest_files(
            [write_csv(tmp_path / "bad.csv", rows), good], engine=empty_db
        )
    finally:
        with empty_db.begin() as conn:
            conn.execute(text("ALTER TABLE incidents DROP CONSTRAINT ck_test_no_fraud"))
    assert bad_report["failed"] and "bad.csv" in bad_report["error"]
    assert bad_report["inserted"] == 0
    assert not good_report["failed"] and good_report["inserted"] == 1
    assert [r["record_ref"] for r in incidents(empty_db)] == ["3"]
    assert dump(empty_db)["imports"] != before["imports"]


def test_the_import_keeps_its_report(empty_db):
    report = ingest_one(empty_db, EXAMPLE)
    with empty_db.connect() as conn:
        stored = conn.execute(
            text("SELECT file_name, file_sha256, agency_id, report FROM imports WHERE id = :i"),
            {"i": report["import_id"]},
        ).one()
    assert stored.file_name == "template-example.csv"
    assert stored.file_sha256 == report["sha256"]
    assert stored.report["inserted"] == 15
    assert stored.agency_id == report["agencies"][0]["id"]


def test_a_load_bumps_the_data_version(empty_db):
    from geodata import cache

    version = cache.data_version(empty_db)
    ingest_one(empty_db, EXAMPLE)
    assert cache.data_version(empty_db) > version


def test_a_large_generated_file_balances_and_places_every_point(empty_db, tmp_path):
    import numpy as np

    load_grid_wards(empty_db)
    rng = np.random.default_rng(11)
    n = 5000
    frame = pd.DataFrame(
        {
            "agency": "Grid Station",
            "agency_type": "police_station",
            "record_ref": [f"OB {i}" for i in range(n)],
            "category": rng.choice(["theft", "assault", "robbery"], n),
            "occurred_on": rng.choice(["12/03/2024", "2024-03-13", "14-Mar-2024"], n),
            "latitude": rng.uniform(-1.59, -0.61, n).round(5),
            "longitude": rng.uniform(36.51, 37.49, n).round(5),
        }
    )
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    report = ingest_one(empty_db, path)
    assert report["inserted"] == n and report["no_ward"] == 0
    with empty_db.connect() as conn:
        wrong = conn.execute(
            text(
                "SELECT count(*) FROM incidents i JOIN wards w ON w.code = i.ward_code "
                "WHERE NOT ST_Covers(w.geom, i.geom)"
            )
        ).scalar_one()
    assert wrong == 0


def test_large_files_show_a_progress_bar_on_a_terminal(empty_db, tmp_path):
    import io

    from rich.console import Console
    from rich.progress import Progress

    from etl import ingest

    rows = [row(record_ref=f"OB {i}", location="x" * 200) for i in range(5000)]
    path = write_csv(tmp_path / "large.csv", rows)
    assert path.stat().st_size > ingest.PROGRESS_MIN_BYTES
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with Progress(console=console, auto_refresh=False) as bar:
        report = ingest.ingest_file(empty_db, path, bar=bar)
        bar.refresh()
    assert report.inserted == 5000
    assert "large.csv" in screen.getvalue()
