"""Daylight and darkness in Kenya: plausible sunrise times, solar noon against an
independent equation-of-time formula, and the aoristic daylight share."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from geodata.stats.daylight import daylight_share, daylight_split, is_daylight, sun_table, sun_times

NAIROBI = (-1.2864, 36.8172)
MOMBASA = (-4.0435, 39.6682)
KISUMU = (-0.0917, 34.7680)


def minutes(t: dt.datetime) -> float:
    return t.hour * 60 + t.minute + t.second / 60


def noaa_solar_noon_eat(day: dt.date, lon: float) -> float:
    """Solar noon in minutes after EAT midnight from NOAA's equation of time (an
    independent formula: astral is not used)."""
    gamma = 2 * math.pi / 365 * (day.timetuple().tm_yday - 1)
    eot = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    return 720 + 4 * (45 - lon) - eot  # EAT is the mean time of 45 degrees east


def test_nairobi_sunrise_at_the_march_equinox_is_about_0635():
    sunrise, sunset = sun_times(*NAIROBI, dt.date(2024, 3, 20))
    assert dt.time(6, 30) <= sunrise.time() <= dt.time(6, 42)
    assert dt.time(18, 36) <= sunset.time() <= dt.time(18, 48)


@pytest.mark.parametrize("month", range(1, 13))
def test_sunrise_noon_and_day_length_near_the_equator(month):
    day = dt.date(2024, month, 15)
    sunrise, sunset = sun_times(*NAIROBI, day)
    assert dt.time(6, 5) <= sunrise.time() <= dt.time(6, 50)
    # Near the equator the day lasts about 12 hours all year (plus refraction).
    assert 12 * 60 - 5 <= minutes(sunset) - minutes(sunrise) <= 12 * 60 + 15
    noon = (minutes(sunrise) + minutes(sunset)) / 2
    assert noon == pytest.approx(noaa_solar_noon_eat(day, NAIROBI[1]), abs=1.5)


def test_solar_noon_is_earlier_on_the_coast_by_four_minutes_a_degree():
    day = dt.date(2024, 6, 1)
    coast_noon = sum(minutes(t) for t in sun_times(*MOMBASA, day)) / 2
    lake_noon = sum(minutes(t) for t in sun_times(*KISUMU, day)) / 2
    assert lake_noon - coast_noon == pytest.approx(4 * (MOMBASA[1] - KISUMU[1]), abs=0.5)


def test_night_and_midday_in_three_towns():
    instants = pd.to_datetime(["2024-03-20 21:00", "2024-03-20 12:00", "2024-07-01 03:00"])
    for lat, lon in (NAIROBI, MOMBASA, KISUMU):
        assert is_daylight(instants, lat, lon).tolist() == [False, True, False]


def test_vectorised_table_matches_solving_at_each_point():
    rng = np.random.default_rng(4)
    lat, lon = rng.uniform(-4.7, 4.6, 200), rng.uniform(34.0, 41.9, 200)
    days = rng.integers(19_000, 19_800, 200)
    rise, fall = sun_table(days, lat, lon)
    epoch = dt.datetime(1970, 1, 1)
    for i in range(200):
        day = (epoch + dt.timedelta(days=int(days[i]))).date()
        sunrise, sunset = sun_times(lat[i], lon[i], day)
        assert abs((sunrise - epoch).total_seconds() - rise[i]) <= 60
        assert abs((sunset - epoch).total_seconds() - fall[i]) <= 60


def test_daylight_share_of_windows_and_instants():
    day = dt.date(2024, 3, 20)
    sunrise_next, _ = sun_times(*NAIROBI, day + dt.timedelta(days=1))
    _, sunset = sun_times(*NAIROBI, day)
    start = dt.datetime(2024, 3, 20, 18, 0)
    end = dt.datetime(2024, 3, 21, 7, 0)
    light = (sunset - start) + (end - sunrise_next)
    share = daylight_share(
        pd.to_datetime([start, "2024-03-20 10:00", "2024-03-20 23:00", "2024-03-20", start]),
        pd.to_datetime([end, None, None, None, end]),
        [True, True, True, False, True],
        lat=np.array([NAIROBI[0]] * 4 + [np.nan]),
        lon=NAIROBI[1],
    )
    assert share[0] == pytest.approx(light / (end - start), abs=1e-9)
    assert share[1:3].tolist() == [1.0, 0.0]
    assert np.isnan(share[3]) and np.isnan(share[4])  # date only; no position


def test_daylight_split_adds_up_by_category():
    rng = np.random.default_rng(8)
    n = 2000
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 525_600, n), unit="min")
    frame = pd.DataFrame(
        {
            "occurred_from": start,
            "occurred_to": start + pd.to_timedelta(rng.integers(0, 900, n), unit="min"),
            "time_known": rng.random(n) < 0.9,
            "lat": NAIROBI[0],
            "lon": NAIROBI[1],
            "category": rng.choice(["assault", "theft"], n),
        }
    )
    split = daylight_split(frame).set_index("category")
    assert np.allclose(split[["daylight", "darkness", "unknown"]].sum(axis=1), split["total"])
    assert split["total"].sum() == n
    assert split["unknown"].sum() == (~frame["time_known"]).sum()
    # Uniform times of day near the equator: about half in daylight.
    assert 0.45 < split["daylight"].sum() / (split["daylight"] + split["darkness"]).sum() < 0.56
