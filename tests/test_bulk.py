"""Large loads rebuild indexes and re-check foreign keys once (geodata.bulk): the
tables must come out exactly as they went in, whatever happens in between."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from geodata import bulk
from tests.conftest import truncate_all
from tests.ingest_helpers import dump, ingest_one, load_square_wards, row, write_csv


@pytest.fixture
def small_bulk(monkeypatch):
    """Let loads of a few hundred rows take the bulk path (real loads need 20,000)."""
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)


TABLES = ("incidents", "incident_status_history", "incident_cells_daily", "incident_hours_daily")


def _schema(engine) -> dict[str, list]:
    """Every index and constraint definition of the loaded tables."""
    with engine.connect() as conn:
        return {
            table: sorted(
                [
                    *conn.execute(
                        text("SELECT indexdef FROM pg_indexes WHERE tablename = :t"), {"t": table}
                    ).scalars(),
                    *conn.execute(
                        text(
                            "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
                            "WHERE conrelid = CAST(:t AS regclass)"
                        ),
                        {"t": table},
                    ).scalars(),
                ]
            )
            for table in TABLES
        }


def _rows(n: int, status: str = "PUI") -> list[dict]:
    return [
        row(
            record_ref=f"OB {i}",
            latitude=f"{-1.39 + (i % 9) * 0.01:.4f}",
            longitude=f"{36.71 + (i % 17) * 0.01:.4f}",
            occurred_time="21:30",
            status=status,
        )
        for i in range(n)
    ]


def test_a_first_load_leaves_every_index_and_key_as_it_was(empty_db, tmp_path, small_bulk):
    load_square_wards(empty_db)
    before = _schema(empty_db)
    report = ingest_one(empty_db, write_csv(tmp_path / "first.csv", _rows(300)))
    assert report["inserted"] == 300
    assert _schema(empty_db) == before
    with empty_db.connect() as conn:
        placed = conn.execute(text("SELECT count(ward_code) FROM incidents")).scalar_one()
        history = conn.execute(text("SELECT count(*) FROM incident_status_history")).scalar_one()
        cells = conn.execute(text("SELECT sum(n) FROM incident_cells_daily")).scalar_one()
    assert placed == 300 and history == 300 and round(cells) == 300
    # The keys are checked again after the rebuild: an incident of no agency is refused.
    with pytest.raises(IntegrityError), empty_db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incidents (agency_id, record_ref, category) VALUES (-5, 'x', 'theft')"
            )
        )


def test_a_small_load_onto_a_large_table_and_a_rerun_change_nothing_else(
    empty_db, tmp_path, small_bulk
):
    load_square_wards(empty_db)
    first = write_csv(tmp_path / "first.csv", _rows(300))
    ingest_one(empty_db, first)
    with empty_db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE incidents"))
    state = dump(empty_db)
    rerun = ingest_one(empty_db, first)
    assert rerun["unchanged"] == 300 and rerun["inserted"] == rerun["updated"] == 0
    assert dump(empty_db)["incidents"] == state["incidents"]
    more = [row(record_ref="OB new", latitude="-1.35", longitude="36.75")]
    report = ingest_one(empty_db, write_csv(tmp_path / "more.csv", more))
    assert report["inserted"] == 1
    with empty_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM incidents")).scalar_one() == 301


def test_a_failure_inside_a_deferred_block_restores_the_indexes(empty_db):
    before = _schema(empty_db)
    with (
        pytest.raises(RuntimeError),
        empty_db.begin() as conn,
        bulk.indexes_deferred(conn, TABLES),
    ):
        assert _count_indexes(conn, "incidents") == 2  # the unique ones stay
        raise RuntimeError("a load that fails half way")
    assert _schema(empty_db) == before


def _count_indexes(conn, table: str) -> int:
    return conn.execute(
        text("SELECT count(*) FROM pg_indexes WHERE tablename = :t"), {"t": table}
    ).scalar_one()


def test_only_loads_large_next_to_the_table_take_the_bulk_path(empty_db, tmp_path, monkeypatch):
    load_square_wards(empty_db)
    with empty_db.connect() as conn:
        assert bulk.is_bulk(conn, "incidents", 20_000)  # an empty table: a national load
        assert not bulk.is_bulk(conn, "incidents", 19_999)  # a day's register: row by row
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    with empty_db.connect() as conn:
        assert bulk.is_bulk(conn, "incidents", 10)
        assert not bulk.is_bulk(conn, "incidents", 0)
    ingest_one(empty_db, write_csv(tmp_path / "first.csv", _rows(300)))
    with empty_db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE incidents"))
        assert bulk.stored_rows(conn, "incidents") == 300
        assert bulk.is_bulk(conn, "incidents", 150)
        assert not bulk.is_bulk(conn, "incidents", 149)


# Records by their reference, not their id: ids are drawn from a sequence, and ON
# CONFLICT draws one for every row it is offered, inserted or not.
_STORED_STATE = {
    "incidents": "SELECT agency_id, record_ref, category, status, occurred_from, ward_code, "
    "h3_9, ST_AsText(geom), row_hash, import_id FROM incidents ORDER BY record_ref",
    "incident_status_history": "SELECT i.record_ref, h.status, h.observed_on, h.import_id "
    "FROM incident_status_history h JOIN incidents i ON i.id = h.incident_id ORDER BY 1, h.id",
    "incident_cells_daily": "SELECT day, category, agency_id, ward_code, h3_9, "
    "round(n::numeric, 9), round(daylight::numeric, 9) FROM incident_cells_daily "
    "ORDER BY 1, 2, 3, 4, 5",
    "incident_hours_daily": "SELECT day, category, agency_id, ward_code, h3_9, weekday, hour, "
    "round(weight::numeric, 9) FROM incident_hours_daily ORDER BY 1, 2, 3, 4, 5, 6, 7",
}


def _stored_state(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {name: conn.execute(text(sql)).all() for name, sql in _STORED_STATE.items()}


def _load_first_then_mixed(engine, tmp_path) -> tuple[dict, dict, dict]:
    """300 rows, then a file re-issuing them (100 with a new status, 200 as they were)
    beside 200 new ones, then that file again."""
    load_square_wards(engine)
    first = ingest_one(engine, write_csv(tmp_path / "first.csv", _rows(300)))
    again = _rows(300)
    for changed in again[:100]:
        changed["status"] = "PBC"
    new = [
        row(
            record_ref=f"NEW {i}",
            latitude="-1.36",
            longitude=f"{36.72 + i * 1e-4:.4f}",
            status="PUI",
        )
        for i in range(200)
    ]
    mixed = write_csv(tmp_path / "mixed.csv", again + new)
    return first, ingest_one(engine, mixed), ingest_one(engine, mixed)


def test_the_bulk_path_stores_what_the_row_by_row_path_stores(empty_db, tmp_path, monkeypatch):
    """Plain INSERT of the new rows with the unique key checked once after, ON CONFLICT
    for the changed ones, the status-history trigger on both: the same incidents,
    history and aggregates as a load that takes none of these shortcuts."""
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1_000_000)
    row_by_row = _load_first_then_mixed(empty_db, tmp_path)
    expected = _stored_state(empty_db)
    truncate_all(empty_db)
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    before = _schema(empty_db)
    bulk_reports = _load_first_then_mixed(empty_db, tmp_path)
    counts = ("inserted", "updated", "unchanged", "no_ward")
    for got, want in zip(bulk_reports, row_by_row, strict=True):
        assert [got[c] for c in counts] == [want[c] for c in counts]
    assert [r["inserted"] for r in bulk_reports] == [300, 200, 0]
    assert [r["updated"] for r in bulk_reports] == [0, 100, 0]
    assert _stored_state(empty_db) == expected
    assert len(expected["incident_status_history"]) == 300 + 100 + 200
    assert _schema(empty_db) == before  # the unique key is back, as it was


def test_a_duplicate_slipping_past_the_deferred_unique_key_fails_the_load(empty_db):
    with (
        pytest.raises(IntegrityError),
        empty_db.begin() as conn,
        bulk.unique_deferred(conn, "incidents"),
    ):
        agency = conn.execute(
            text("INSERT INTO agencies (name, agency_type) VALUES ('A', 'police') RETURNING id")
        ).scalar_one()
        for _ in range(2):
            conn.execute(
                text(
                    "INSERT INTO incidents (agency_id, record_ref, category, occurred_from, "
                    "time_known, geocode_method, row_hash) "
                    "VALUES (:a, 'OB 1', 'theft', now(), true, 'gps', 'x')"
                ),
                {"a": agency},
            )
    with empty_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM incidents")).scalar_one() == 0
