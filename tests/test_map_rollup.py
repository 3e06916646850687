"""The national map read from the monthly map rollup (geodata.map_rollup) draws
exactly what counting every incident draws, for ranges starting and ending mid-month,
and the rollup stays right when one agency's file is imported again."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from geodata import cache
from geodata.h3grid import fitting_resolution
from geodata.map_rollup import TABLE, refresh_map_rollup
from geodata.queries import maps

CATEGORIES = ("theft", "assault", "robbery", "burglary")
FIRST_DAY = date(2023, 1, 1)


def _rows(seed: int, agency: str, n: int) -> pd.DataFrame:
    """Incidents over two years around Nairobi (about 110 km a side: a few dozen
    resolution-6 cells), busier near the centre, as an agency file."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 730, n)
    return pd.DataFrame(
        {
            "agency": agency,
            "agency_type": "police",
            "record_ref": [f"{agency[:3]}/{i:05d}" for i in range(n)],
            "category": rng.choice(CATEGORIES, n, p=[0.4, 0.3, 0.2, 0.1]),
            "occurred_on": [(FIRST_DAY + timedelta(days=int(d))).isoformat() for d in days],
            "occurred_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 60, (n, 2)) % 24],
            "latitude": (-1.3 + rng.normal(0, 0.25, n)).clip(-1.8, -0.8).round(6),
            "longitude": (36.8 + rng.normal(0, 0.25, n)).clip(36.3, 37.3).round(6),
        }
    )


def _ingest(engine, tmp_path, frame: pd.DataFrame, name: str) -> None:
    from etl.ingest import ingest_files

    path = tmp_path / name
    frame.to_csv(path, index=False)
    (report,) = ingest_files([path], progress=False, engine=engine)
    assert not report["failed"], report


@pytest.fixture
def spread(empty_db, tmp_path):
    from geodata.boundaries import load_ward_frame
    from tests.test_dashboard_map import TEST_ATTRIBUTION, _test_wards

    load_ward_frame(empty_db, _test_wards(), attribution=TEST_ATTRIBUTION)
    _ingest(empty_db, tmp_path, _rows(1, "North Station", 2500), "north.csv")
    _ingest(empty_db, tmp_path, _rows(2, "South Station", 1500), "south.csv")
    return empty_db


def _counted(engine, res, budget, start, end, categories) -> tuple[int, pd.DataFrame]:
    """The view as counting every incident draws it."""
    counts = maps.hex_counts(engine, res, start, end, categories)
    drawn = fitting_resolution(counts["h3"].to_numpy(), res, budget)
    return drawn, maps.coarsen_counts(counts, drawn)


RANGES = [
    (date(2023, 1, 2), date(2023, 12, 31)),  # a whole month less one day, then whole ones
    (date(2023, 3, 15), date(2024, 6, 10)),  # both edges mid-month
    (date(2023, 5, 1), date(2023, 5, 31)),  # one whole month
    (date(2023, 7, 3), date(2023, 7, 20)),  # days inside one month
    (date(2024, 2, 1), date(2024, 2, 27)),  # a month less its last days
    (None, date(2023, 8, 16)),
    (date(2024, 11, 5), None),
    (None, None),
]


def test_the_rollup_draws_what_counting_every_incident_draws(spread):
    from_rollup = 0
    for start, end in RANGES:
        for categories in ((), ("theft",), ("assault", "robbery")):
            for res in (8, 9):
                fine = len(maps.hex_counts(spread, res, start, end, categories))
                # From a budget every resolution fits down to one that fits none.
                for budget in sorted({fine, fine // 4, 40, 12, 3, 1}):
                    cache.clear()
                    quick = maps.rollup_view.uncached(spread, res, budget, start, end, categories)
                    from_rollup += quick is not None
                    view = maps.hex_view(spread, res, budget, start, end, categories)
                    drawn, counts = _counted(spread, res, budget, start, end, categories)
                    case = (start, end, categories, res, budget)
                    assert (view.requested, view.res) == (res, drawn), case
                    assert view.counts.equals(counts), case
                    if quick is not None:
                        assert quick.res == drawn and quick.counts.equals(counts), case
    assert from_rollup > 40  # the rollup decided many of them, not only the fallback


def test_the_hot_spot_map_draws_the_resolution_its_own_counts_give(spread):
    """The hot-spot page decides its resolution from the map rollup where it can; the
    cells it then draws are those its own (event-weighted) counts fit in the budget."""
    from geodata.queries import analytics
    from geodata.queries.filters import IncidentFilter

    agency = _scalar(spread, "SELECT min(id) FROM agencies")
    ward = _scalar(spread, "SELECT min(ward_code) FROM incidents")
    decided = 0
    for start, end in RANGES[:4]:
        for extra in ({}, {"categories": ("theft",)}, {"agencies": (agency,)}, {"wards": (ward,)}):
            filters = IncidentFilter(start=start, end=end, **extra)
            for res in (7, 8, 9):
                fine = len(analytics.cell_counts.uncached(spread, res, filters))
                for budget in sorted({fine, fine // 4, 12, 3}):
                    cache.clear()
                    counted = analytics.cell_counts(spread, res, filters)["h3"].to_numpy()
                    expected = fitting_resolution(counted, res, budget)
                    got = analytics.drawn_resolution(spread, res, filters, budget)
                    assert got == expected, (start, end, extra, res, budget)
                    if not (filters.agencies or filters.wards):
                        view = maps.rollup_view(spread, res, budget, start, end, filters.categories)
                        decided += view is not None
    assert decided > 10  # the rollup decided many of them, not only the counts


def _scalar(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def _table(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(text(f"SELECT * FROM {TABLE}"), conn)
    frame["category"] = frame["category"].fillna("")
    keys = ["category", "month", "h3_6"]
    return frame.sort_values(keys, ignore_index=True)


def test_the_rollup_holds_what_the_incidents_hold(spread):
    stored = _table(spread)
    with spread.connect() as conn:
        expected = pd.read_sql(
            text(
                "SELECT date_trunc('month', occurred_from)::date AS month, "
                "category, h3_6, count(*) AS n, "
                "count(DISTINCT h3_7) AS cells_7, count(DISTINCT h3_8) AS cells_8, "
                "count(DISTINCT h3_9) AS cells_9 FROM (SELECT *, "
                "((h3_7 & ~(15::bigint << 52)) | (6::bigint << 52) | 134217727) AS h3_6 "
                "FROM incidents WHERE h3_9 IS NOT NULL) i "
                "GROUP BY GROUPING SETS ((1, 2, h3_6), (1, h3_6))"
            ),
            conn,
        )
    expected["category"] = expected["category"].fillna("")  # the every-category rows
    expected = expected.sort_values(["category", "month", "h3_6"], ignore_index=True)
    assert len(stored) == len(expected) > 100
    for column in ("month", "category", "h3_6", "n", "cells_7", "cells_8", "cells_9"):
        assert stored[column].tolist() == expected[column].tolist(), column


def test_a_reimported_agency_moves_its_incidents_in_the_rollup(spread, tmp_path, monkeypatch):
    # Counting records, a re-import rebuilds only its agency's months.
    monkeypatch.setenv("OBSERVATORY_COUNT_UNIT", "records")
    moved = _rows(2, "South Station", 1500)
    moved["occurred_on"] = [
        (date.fromisoformat(d) + timedelta(days=40)).isoformat() for d in moved["occurred_on"]
    ]
    moved.loc[:199, "category"] = "burglary"
    _ingest(spread, tmp_path, moved, "south_again.csv")
    after = _table(spread)
    with spread.begin() as conn:
        refresh_map_rollup(conn, None)
    rebuilt = _table(spread)
    assert after.equals(rebuilt)
    start, end = date(2024, 12, 2), date(2025, 2, 9)  # only the moved rows reach 2025
    drawn, counts = _counted(spread, 8, 1, start, end, ())
    view = maps.hex_view(spread, 8, 1, start, end)
    assert view.res == drawn and view.counts.equals(counts) and counts["count"].sum() > 0


def test_headline_counts_from_the_rollup_equal_counting_every_incident(spread):
    with spread.begin() as conn:  # some incidents with no place
        conn.execute(
            text(
                "UPDATE incidents SET geom = NULL, h3_7 = NULL, h3_8 = NULL, h3_9 = NULL "
                "WHERE id % 7 = 0"
            )
        )
        refresh_map_rollup(conn, None)
    cache.clear()
    for start, end in RANGES:
        for categories, wards in (((), ()), (("theft", "robbery"), ()), ((), ("T1",))):
            counts = maps.category_ward_counts(spread, start, end, categories, wards)
            where, params = maps._where(start, end, categories, wards)
            with spread.connect() as conn:
                expected = pd.read_sql(
                    text(
                        "SELECT category, ward_code, count(*) AS count, count(geom) AS placed "
                        f"FROM incidents WHERE {where} GROUP BY 1, 2"
                    ),
                    conn,
                    params=params,
                )
            case = (start, end, categories, wards)
            assert counts["ward_code"].map(lambda w: w is None or isinstance(w, str)).all()
            got = counts.fillna({"ward_code": ""}).sort_values(["category", "ward_code"])
            want = expected.fillna({"ward_code": ""}).sort_values(["category", "ward_code"])
            assert len(want) > 0 or wards, case  # a ward can be empty for weeks
            assert got["ward_code"].tolist() == want["ward_code"].tolist(), case
            for column in ("category", "count", "placed"):
                assert got[column].tolist() == want[column].tolist(), case
    assert (counts["placed"] < counts["count"]).any()
