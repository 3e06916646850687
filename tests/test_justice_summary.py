"""The per-case justice summary (geodata.justice_summary) is kept in step by every
load: after re-imports that change statuses, wards and categories, its rows equal a
rebuild from the histories, and the page's reads equal geodata.stats.justice on the
same cases and histories."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text

from geodata import bulk, summaries
from geodata.queries import justice as justice_queries
from geodata.stats import justice
from tests.ingest_helpers import HEADER, ingest_one, load_square_wards, row, write_csv

COLUMNS = [*HEADER, "status", "reported_on"]
STATUSES = ["Reported", "PUI", "PBC", "convicted", "acquitted", "case withdrawn", ""]
CATEGORIES = ["theft", "robbery", "assault"]


def _register(rng: np.random.Generator, previous: list[dict] | None, cases: int) -> list[dict]:
    """A register of `cases` rows; a re-issue moves about half the cases to another
    status and a few to another ward (position) or category."""
    rows = []
    for k in range(cases):
        if previous is None:
            values = row(
                record_ref=f"R{k}",
                category=CATEGORIES[int(rng.integers(3))],
                occurred_on=f"{int(rng.integers(1, 28)):02d}/0{int(rng.integers(1, 4))}/2024",
                reported_on="" if rng.random() < 0.3 else "28/03/2024",
                latitude=f"{-1.35 + rng.uniform(-0.04, 0.04):.5f}",
                longitude=f"{36.8 + rng.choice([-0.05, 0.05]):.5f}",
                status=STATUSES[int(rng.integers(len(STATUSES)))],
            )
        else:
            values = dict(previous[k])
            if rng.random() < 0.5:
                values["status"] = STATUSES[int(rng.integers(len(STATUSES)))]
            if rng.random() < 0.1:
                values["longitude"] = f"{36.8 + rng.choice([-0.05, 0.05]):.5f}"
            if rng.random() < 0.1:
                values["category"] = CATEGORIES[int(rng.integers(3))]
        rows.append(values)
    return rows


def _summary(engine) -> dict[str, list[str]]:
    """The per-case rows and their counts, as text in a fixed order."""
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT t::text FROM {table} t ORDER BY 1")).scalars().all()
            for table in ("justice_cases", "justice_states", "justice_days")
        }


_MONTHS = (("04", "30"), ("05", "31"), ("06", "30"), ("07", "31"))


def _load_dated_registers(
    engine, tmp_path, seed: int = 5, cases: int = 120, months: int = len(_MONTHS)
) -> None:
    """The first `months` monthly issues of one register, each loaded as of its
    month's end."""
    rng = np.random.default_rng(seed)
    with engine.connect() as conn:
        wards = conn.execute(text("SELECT count(*) FROM wards")).scalar_one()
    if not wards:  # loading the later months onto the first
        load_square_wards(engine)
    url = engine.url.render_as_string(hide_password=False)
    rows = None
    for month, day in _MONTHS[:months]:
        rows = _register(rng, rows, cases)
        dated = create_engine(
            url, connect_args={"options": f"-c observatory.observed_on=2024-{month}-{day}"}
        )
        try:
            ingest_one(dated, write_csv(tmp_path / f"{month}.csv", rows, header=COLUMNS))
        finally:
            dated.dispose()


def test_summary_after_reimports_equals_a_rebuild_from_the_histories(empty_db, tmp_path):
    _load_dated_registers(empty_db, tmp_path)
    kept = _summary(empty_db)
    with empty_db.connect() as conn:
        changes = conn.execute(
            text(
                "SELECT count(*) FROM incident_status_history "
                "GROUP BY incident_id HAVING count(*) > 2"
            )
        ).all()
    assert len(changes) > 10  # cases moved more than once: spells with lengths
    with empty_db.begin() as conn:
        summaries.refresh(conn)
    rebuilt = _summary(empty_db)
    assert len(kept["justice_cases"]) == 120
    assert {len(rows) > 20 for rows in kept.values()} == {True}
    assert kept == rebuilt  # differences applied load by load equal a recount


def _rewritten_case_by_case(engine) -> dict[str, list[str]]:
    """The summary after rewriting every case through the path of a small load."""
    with engine.begin() as conn:
        ids = conn.execute(text("SELECT id FROM incidents")).scalars().all()
        assert not bulk.is_bulk(conn, "justice_cases", len(ids))
        summaries.refresh(conn, incident_ids=list(ids))
    return _summary(engine)


def test_national_loads_store_the_summary_a_case_by_case_rewrite_stores(
    empty_db, tmp_path, monkeypatch
):
    """Every load here takes the national path (a recount, the cases with one status
    apart from those with spells); rewriting each case as a small load does gives the
    same rows and counts, and the table keeps its keys and indexes."""

    def schema() -> list[str]:
        with empty_db.connect() as conn:
            return sorted(
                conn.execute(
                    text(
                        "SELECT indexdef FROM pg_indexes WHERE tablename = 'justice_cases' "
                        "UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) "
                        "FROM pg_constraint WHERE conrelid = 'justice_cases'::regclass"
                    )
                ).scalars()
            )

    before = schema()
    national = {"BULK_MIN_ROWS": 1, "BULK_SHARE": 0.0}
    for months in (1, len(_MONTHS)):  # one status per case, then cases with spells
        for name, value in national.items():
            monkeypatch.setattr(bulk, name, value)
        _load_dated_registers(empty_db, tmp_path, seed=11, months=months)
        loaded = _summary(empty_db)
        monkeypatch.undo()
        assert len(loaded["justice_cases"]) == 120 and schema() == before
        finished = [r for r in loaded["justice_days"] if ",finished," in r]
        assert bool(finished) == (months > 1)
        assert _rewritten_case_by_case(empty_db) == loaded


def test_summary_reads_equal_the_history_reference_after_reimports(empty_db, tmp_path):
    _load_dated_registers(empty_db, tmp_path, seed=8)
    for args in ({}, {"categories": ("robbery", "theft")}, {"wards": ("W2",)}):
        cases, history = justice_queries.cases_and_history.uncached(empty_db, **args)
        count, as_of = justice_queries.case_count_and_latest_day.uncached(empty_db, **args)
        assert count == len(cases) and as_of == date(2024, 7, 31)
        for by in ((), ("category",), ("agency_type",), ("ward_code",)):
            pd.testing.assert_frame_equal(
                justice_queries.justice_funnel.uncached(empty_db, None, None, by, **args),
                justice.funnel(cases, history, by),
                check_dtype=False,
            )
        durations = justice_queries.justice_durations.uncached(empty_db, as_of, **args)
        expected = justice.stage_durations(history, as_of)
        assert durations["finished"].sum() > 5
        pd.testing.assert_frame_equal(durations, expected, check_dtype=False)
        stuck = justice_queries.stuck_cases.uncached(empty_db, as_of, 15, **args)
        reference = justice.stuck_cases(cases, history, as_of, 15)[list(stuck.columns)]
        pd.testing.assert_frame_equal(stuck, reference, check_dtype=False)
        periods = ((date(2024, 3, 1), date(2024, 5, 31)), (date(2024, 6, 1), date(2024, 8, 31)))
        pd.testing.assert_frame_equal(
            justice_queries.justice_change.uncached(empty_db, *periods, **args),
            justice.period_change(cases, history, *periods),
            check_dtype=False,
        )


def test_a_status_change_on_reimport_moves_the_case_along_the_funnel(empty_db, tmp_path):
    load_square_wards(empty_db)
    first = [row(record_ref="C1", status="PUI", reported_on="01/03/2024", location="x")]
    ingest_one(empty_db, write_csv(tmp_path / "a.csv", first, header=COLUMNS))
    funnel = justice_queries.justice_funnel(empty_db).set_index("stage")["cases"]
    assert funnel[["under_investigation", "in_court", "convicted"]].tolist() == [1, 0, 0]
    later = [row(record_ref="C1", status="convicted", reported_on="01/03/2024", location="x")]
    ingest_one(empty_db, write_csv(tmp_path / "b.csv", later, header=COLUMNS))
    funnel = justice_queries.justice_funnel(empty_db).set_index("stage")["cases"]
    assert funnel[["under_investigation", "in_court", "convicted"]].tolist() == [1, 1, 1]
    _, as_of = justice_queries.case_count_and_latest_day(empty_db)
    assert justice_queries.stuck_cases(empty_db, as_of).empty  # convicted: no longer open
