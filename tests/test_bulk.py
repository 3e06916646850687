"""Large loads rebuild indexes and re-check foreign keys once (geodata.bulk): the
tables must come out exactly as they went in, whatever happens in between."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from geodata import bulk
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
