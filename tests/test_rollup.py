"""The monthly rollups (geodata.rollup): every reader that takes whole months from
them and partial months from the daily tables returns what summing the daily tables
alone returns, for ranges that start and end mid-month, lie inside one month, cover
whole months or are open, in both count units; and a re-import that moves an
incident to another month moves it in the rollups too."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from geodata import rollup
from geodata.boundaries import load_ward_frame
from geodata.queries import analytics, comparisons
from geodata.queries import clock as clock_queries
from geodata.queries.filters import IncidentFilter
from tests.test_queries_analytics import AGENCIES, N_ROWS, _ingest, _rows, _wards

# The data runs from 2022-07-02 to 2024-06-30.
RANGES = [
    (date(2023, 3, 17), date(2024, 5, 9)),  # mid-month at both ends
    (date(2023, 8, 2), date(2024, 6, 30)),  # a month less its first day
    (date(2024, 2, 10), date(2024, 2, 20)),  # inside one month
    (date(2024, 3, 2), date(2024, 3, 30)),  # one month less both ends
    (date(2023, 7, 1), date(2024, 5, 31)),  # whole months
    (None, date(2024, 4, 27)),
    (date(2023, 9, 14), None),
    (None, None),
]
FILTERS = [{}, {"categories": ("theft", "assault"), "wards": ("T1",)}, {"counties": ("Test",)}]


@pytest.fixture(params=["records", "events"])
def loaded(request, empty_db, tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_COUNT_UNIT", request.param)
    load_ward_frame(empty_db, _wards(), attribution="Test wards (CC0)")
    for seed, agency in enumerate(AGENCIES):
        report = _ingest(empty_db, tmp_path, _rows(agency, seed + 1), f"{seed}.csv")
        assert report["inserted"] == N_ROWS
    return empty_db


def _daily(engine, sql: str, params: dict) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn, params=params)


def _where(start, end, **filters) -> tuple[str, dict]:
    """The filters over a daily table: the oracle sums the daily rows alone."""
    where = IncidentFilter(start, end, **filters).where()
    return where.sql, where.params


def _close(got: pd.Series, want: pd.Series) -> None:
    np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-9, atol=1e-9)


def test_split_span_covers_each_day_once():
    """Whole months plus added days less subtracted days are exactly the span's days,
    each row dated inside the span."""
    rng = np.random.default_rng(7)
    origin = date(2023, 1, 1)
    for _ in range(300):
        a, b = sorted(int(x) for x in rng.integers(0, 500, 2))
        start, end = origin + timedelta(days=a), origin + timedelta(days=b)
        pieces = rollup.split_span(start, end)
        days: dict[date, int] = {}
        for low, high, label in pieces.months:
            day = low or origin
            while day < (high or date(2025, 1, 1)):
                days[day] = days.get(day, 0) + 1
                day += timedelta(days=1)
            assert label is None or start <= label <= end
        for low, high in pieces.plus:
            for k in range((high - low).days):
                days[low + timedelta(days=k)] = days.get(low + timedelta(days=k), 0) + 1
        for low, high, label in pieces.minus:
            assert start <= label <= end and label.month == low.month
            for k in range((high - low).days):
                days[low + timedelta(days=k)] = days.get(low + timedelta(days=k), 0) - 1
        want = {start + timedelta(days=k): 1 for k in range((end - start).days + 1)}
        assert {d: n for d, n in days.items() if n} == want, (start, end)
        # Never more daily days than half a month per partial month.
        assert (
            sum((h - lo).days for lo, h in pieces.plus)
            + sum((h - lo).days for lo, h, _ in pieces.minus)
            <= 2 * 16
        )


def test_rollups_hold_the_daily_rows_grouped_by_month(loaded):
    _assert_rollups_hold_the_daily_rows(loaded)


def _assert_rollups_hold_the_daily_rows(loaded) -> None:
    grains = [("hours", rollup.KEYS["hours"], "TRUE")]
    grains += [("cells", keys, f"level = {level}") for level, keys in rollup.LEVELS.items()]
    for kind, keys, level in grains:
        keys = ", ".join(keys)
        sums = ", ".join(f"sum({v}) AS {v}" for v in rollup.VALUES[kind])
        order = f"ORDER BY 1, {keys} NULLS FIRST"
        monthly = _daily(
            loaded,
            f"SELECT month, {keys}, {sums} FROM {rollup.MONTHLY[kind]} WHERE {level} "
            f"GROUP BY month, {keys} {order}",
            {},
        )
        daily = _daily(
            loaded,
            f"SELECT {rollup.MONTH_OF_DAY} AS month, {keys}, {sums} FROM {rollup.DAILY[kind]} "
            f"GROUP BY 1, {keys} {order}",
            {},
        )
        assert len(monthly) == len(daily) >= 24
        pd.testing.assert_frame_equal(monthly, daily, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("start, end", RANGES)
def test_trend_and_ward_counts_match_the_daily_sums(loaded, start, end):
    q = analytics.build_query(IncidentFilter(start, end), needs=("day", "category"))
    if start is None or end is None or (end - start).days > 40:
        assert rollup.MONTHLY["cells"] in q.table  # whole months come from the rollup
    for filters in FILTERS:
        where, params = _where(start, end, **filters)
        for by, column in analytics.GROUPS.items():
            got = analytics.monthly_trend(loaded, IncidentFilter(start, end, **filters), by=by)
            want = _daily(
                loaded,
                f"SELECT {rollup.MONTH_OF_DAY} AS date, {column} AS group_key, sum(n) AS count "
                f"FROM incident_cells_daily WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2",
                params,
            )
            assert got["date"].dt.date.tolist() == want["date"].tolist()
            assert got["group"].tolist() == want["group_key"].tolist()
            _close(got["count"], want["count"])
        wards = analytics.ward_counts(loaded, IncidentFilter(start, end, **filters))
        want = _daily(
            loaded,
            f"SELECT ward_code, sum(n) AS count FROM incident_cells_daily WHERE {where} GROUP BY 1",
            params,
        ).set_index("ward_code")["count"]
        _close(wards["count"], wards["ward_code"].map(want).fillna(0.0))


@pytest.mark.parametrize("start, end", RANGES)
def test_clock_and_daylight_match_the_daily_sums(loaded, start, end):
    for filters in FILTERS[:2]:
        where, params = _where(start, end, **filters)
        got = clock_queries.clock_weights(loaded, IncidentFilter(start, end, **filters))
        want = _daily(
            loaded,
            "SELECT category, weekday, hour, sum(weight) AS weight FROM incident_hours_daily "
            f"WHERE {where} GROUP BY 1, 2, 3",
            params,
        )
        assert sorted(got.hour["category"].unique()) == sorted(want["category"].unique())
        timed = want[want["hour"].notna()].astype({"hour": "int64"})
        cube = got.weekday_hour.merge(timed, how="left", on=["category", "weekday", "hour"])
        _close(cube["weight_x"], cube["weight_y"].fillna(0.0))
        undated = want[want["hour"].isna()].groupby(["category", "weekday"], as_index=False)
        merged = got.date_only.merge(
            undated["weight"].sum(), how="left", on=["category", "weekday"]
        )
        _close(merged["weight_x"], merged["weight_y"].fillna(0.0))

        light = clock_queries.daylight_counts(loaded, IncidentFilter(start, end, **filters))
        want = _daily(
            loaded,
            "SELECT category, sum(daylight) AS daylight, sum(darkness) AS darkness, "
            f"sum(n) AS total FROM incident_cells_daily WHERE {where} GROUP BY 1 ORDER BY 1",
            params,
        )
        assert light["category"].tolist() == want["category"].tolist()
        for column in ("daylight", "darkness", "total"):
            _close(light[column], want[column])


@pytest.mark.parametrize("as_of", [date(2024, 6, 30), date(2024, 3, 13), date(2023, 12, 31)])
def test_compstat_segments_match_the_daily_sums(loaded, as_of):
    bounds = comparisons._segment_bounds(as_of)
    daily = _daily(
        loaded,
        "SELECT day, ward_code, n FROM incident_cells_daily WHERE day >= :a AND day < :b",
        {"a": bounds[0], "b": bounds[-1]},
    )
    at = (
        np.searchsorted(
            np.array(bounds, dtype="datetime64[D]"),
            daily["day"].to_numpy("datetime64[D]"),
            side="right",
        )
        - 1
    )
    daily["date"] = pd.to_datetime(np.array(bounds, dtype="datetime64[D]")[at])
    want = daily.groupby(["date", "ward_code"], as_index=False)["n"].sum()
    got = analytics.segment_counts(loaded, bounds, IncidentFilter(), by="ward").dropna(
        subset=["group"]
    )
    assert got["date"].tolist() == want["date"].tolist()
    assert got["group"].tolist() == want["ward_code"].tolist()
    _close(got["count"], want["n"])
    cards = comparisons.period_cards(loaded, as_of, IncidentFilter())
    recent_first, recent_last = cards["recent"]["current_period"]
    total = daily[(daily["day"] >= recent_first) & (daily["day"] <= recent_last)]["n"].sum()
    assert cards["recent"]["current"] == int(total)


def test_a_reimport_that_moves_an_incident_to_another_month_moves_it_in_the_rollup(
    loaded, tmp_path
):
    agency = "North Police Station"
    changed = _rows(agency, 1)
    old_day = date.fromisoformat(changed.loc[5, "occurred_on"])
    new_day = date(2022, 8, 15) if old_day.year > 2022 else date(2024, 5, 15)
    category = changed.loc[5, "category"]
    changed.loc[5, "occurred_on"] = new_day.isoformat()

    def month_total(day: date) -> float:
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        frame = analytics.monthly_trend(loaded, IncidentFilter(first, last, (category,)))
        return float(frame["count"].sum())

    before = month_total(old_day), month_total(new_day)
    report = _ingest(loaded, tmp_path, changed, "moved.csv")
    assert report["updated"] == 1
    after = month_total(old_day), month_total(new_day)
    assert after[0] < before[0] and after[1] > before[1]
    assert after[0] + after[1] == pytest.approx(before[0] + before[1])
    clock = clock_queries.clock_weights(
        loaded, IncidentFilter(new_day.replace(day=1), new_day.replace(day=28))
    )
    hours = _daily(
        loaded,
        "SELECT sum(weight) FROM incident_hours_daily WHERE day >= :a AND day <= :b",
        {"a": new_day.replace(day=1), "b": new_day.replace(day=28)},
    ).iloc[0, 0]
    assert clock.timed_total + clock.date_only_total == pytest.approx(hours)
    _assert_rollups_hold_the_daily_rows(loaded)
