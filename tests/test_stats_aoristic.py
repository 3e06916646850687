"""Aoristic crime clock: worked examples by hand, weights summing to one, and
date-only incidents kept out of every hour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata.stats.aoristic import EXACT, REVERSED, aoristic_hours, crime_clock, window_bounds


def incidents(*rows) -> pd.DataFrame:
    """Rows of (from, to or None, time_known, category)."""
    frame = pd.DataFrame(rows, columns=["occurred_from", "occurred_to", "time_known", "category"])
    frame["occurred_from"] = pd.to_datetime(frame["occurred_from"])
    frame["occurred_to"] = pd.to_datetime(frame["occurred_to"])
    return frame


def hours_of(frame: pd.DataFrame) -> dict[str, float]:
    got = aoristic_hours(frame["occurred_from"], frame["occurred_to"], frame["time_known"])
    return {str(h)[5:16]: w for h, w in zip(got["hour"], got["weight"], strict=True)}


def test_overnight_window_is_spread_by_overlap():
    # 22:30 to 01:30 is three hours: half an hour, two full hours, half an hour.
    frame = incidents(("2024-03-04 22:30", "2024-03-05 01:30", True, "burglary"))
    assert hours_of(frame) == pytest.approx(
        {"03-04 22:00": 0.5 / 3, "03-04 23:00": 1 / 3, "03-05 00:00": 1 / 3, "03-05 01:00": 0.5 / 3}
    )


def test_window_inside_one_hour_and_window_ending_on_the_hour():
    frame = incidents(
        ("2024-03-04 10:10", "2024-03-04 10:50", True, "theft"),
        ("2024-03-04 18:00", "2024-03-04 20:00", True, "theft"),
    )
    assert hours_of(frame.iloc[:1]) == {"03-04 10:00": 1.0}
    # Ends at 20:00 sharp: the 20:00 hour gets nothing.
    assert hours_of(frame.iloc[1:]) == {"03-04 18:00": 0.5, "03-04 19:00": 0.5}


def test_exact_missing_end_and_reversed_windows_weigh_one_in_the_start_hour():
    frame = incidents(
        ("2024-03-04 10:15", None, True, "assault"),
        ("2024-03-04 10:15", "2024-03-04 10:15", True, "assault"),
        ("2024-03-04 10:15", "2024-03-04 08:00", True, "assault"),  # end before start
    )
    for i in range(3):
        assert hours_of(frame.iloc[[i]]) == {"03-04 10:00": 1.0}
    _, _, kind = window_bounds(frame["occurred_from"], frame["occurred_to"], frame["time_known"])
    assert kind.tolist() == [EXACT, EXACT, REVERSED]


def test_window_longer_than_a_week_spreads_evenly_over_the_week():
    frame = incidents(("2024-03-01 09:40", "2024-03-20 08:00", True, "burglary"))
    clock = crime_clock(frame)
    assert clock.weekday_hour["weight"].to_numpy() == pytest.approx(np.full(168, 1 / 168))
    assert clock.kinds.loc[0, "long"] == 1


def test_date_only_incidents_never_reach_an_hour():
    frame = incidents(
        ("2024-03-05 00:00", None, False, "theft"),  # a Tuesday, no time
        ("2024-03-06 00:00", "2024-03-07 00:00", False, "theft"),  # Wed or Thu
        ("2024-03-05 14:20", None, True, "theft"),
    )
    clock = crime_clock(frame)
    assert clock.hour["weight"].sum() == pytest.approx(1.0)
    assert clock.hour.set_index("hour").loc[14, "weight"] == 1.0
    assert clock.hour.set_index("hour").loc[0, "weight"] == 0.0  # nothing piled at midnight
    assert aoristic_hours(frame["occurred_from"], frame["occurred_to"], frame["time_known"])[
        "incident"
    ].tolist() == [2]
    by_day = clock.date_only.set_index("weekday")["weight"]
    assert by_day.to_dict() == {0: 0.0, 1: 1.0, 2: 0.5, 3: 0.5, 4: 0.0, 5: 0.0, 6: 0.0}
    assert clock.kinds.loc[0, ["date_only", "exact"]].tolist() == [2, 1]


def test_weekday_hour_matches_the_calendar_by_category():
    frame = incidents(
        ("2024-03-03 23:30", "2024-03-04 00:30", True, "burglary"),  # Sunday into Monday
        ("2024-03-08 12:05", None, True, "assault"),  # a Friday
    )
    cube = crime_clock(frame).weekday_hour.set_index(["category", "weekday", "hour"])["weight"]
    assert cube[("burglary", 6, 23)] == 0.5 and cube[("burglary", 0, 0)] == 0.5
    assert cube[("assault", 4, 12)] == 1.0
    assert cube.sum() == 2.0 and len(cube) == 2 * 168


def random_incidents(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 525_600, n), unit="min")
    minutes = rng.choice([0, 7, 45, 180, 600, 2000, 9000, 20000], n) + rng.integers(0, 59, n)
    frame = pd.DataFrame(
        {
            "occurred_from": start,
            "occurred_to": start + pd.to_timedelta(minutes, unit="min"),
            "time_known": rng.random(n) < 0.9,
            "category": rng.choice(["assault", "burglary", "theft"], n),
        }
    )
    frame.loc[rng.random(n) < 0.2, "occurred_to"] = pd.NaT
    return frame


def test_weights_sum_to_one_per_incident_over_random_windows():
    frame = random_incidents(10_000, seed=1)
    got = aoristic_hours(frame["occurred_from"], frame["occurred_to"], frame["time_known"])
    per_incident = got.groupby("incident")["weight"].sum()
    timed = np.flatnonzero(frame["time_known"])
    assert per_incident.index.tolist() == timed.tolist()
    assert np.allclose(per_incident, 1.0, atol=1e-12)
    assert (got["weight"] > 0).all()


def test_clock_totals_equal_incident_counts_by_category():
    frame = random_incidents(10_000, seed=2)
    clock = crime_clock(frame)
    timed = frame[frame["time_known"]].groupby("category").size()
    hour_totals = clock.hour.groupby("category")["weight"].sum()
    assert np.allclose(hour_totals, timed.reindex(hour_totals.index), atol=1e-8)
    undated = frame[~frame["time_known"]].groupby("category").size()
    assert np.allclose(clock.date_only.groupby("category")["weight"].sum(), undated)
    assert clock.kinds.set_index("category").sum(axis=1).sum() == len(frame)


def test_no_category_column_counts_everything_as_all():
    frame = incidents(("2024-03-04 10:15", None, True, "x")).drop(columns="category")
    assert crime_clock(frame).hour["category"].unique().tolist() == ["all"]
