"""Daylight and darkness: sunrise and sunset (astral) for Kenyan places and dates.

Daylight is sunrise <= t < sunset (the sun's upper edge on the horizon, standard
refraction: astral's defaults), in East Africa Time (UTC+3, no daylight saving).

Vectorised look-ups solve the sun once per (date, latitude band of LAT_STEP
degrees) at a reference longitude and shift by 4 minutes per degree of longitude:
the sun crosses 1 degree of longitude in 4 minutes, and within a few degrees the
change of the sun's declination in that time is far below a second. Across Kenya
the result stays within a minute of solving at each point (tests check it).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd
from astral import Observer
from astral.sun import sunrise, sunset

from geodata.stats.aoristic import DATE_ONLY, WEEK_HOURS, epoch_seconds, window_bounds

EAT = dt.timezone(dt.timedelta(hours=3))
LAT_STEP = 0.5
REFERENCE_LON = 37.5  # near the middle of Kenya
DAY = 86400
_EPOCH = dt.date(1970, 1, 1)


@lru_cache(maxsize=100_000)
def _sun_seconds(day: int, lat: float, lon: float) -> tuple[int, int]:
    """Sunrise and sunset as seconds after local (EAT) midnight of `day` (days since
    1970-01-01)."""
    date = _EPOCH + dt.timedelta(days=day)
    observer = Observer(latitude=lat, longitude=lon)
    midnight = dt.datetime.combine(date, dt.time(), tzinfo=EAT)
    rise = sunrise(observer, date, tzinfo=EAT) - midnight
    fall = sunset(observer, date, tzinfo=EAT) - midnight
    return round(rise.total_seconds()), round(fall.total_seconds())


def sun_times(lat: float, lon: float, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Sunrise and sunset at a place on a date, naive EAT datetimes (cached per
    date and position rounded to 0.01 degree, about 1 km)."""
    rise, fall = _sun_seconds((day - _EPOCH).days, round(lat, 2), round(lon, 2))
    midnight = dt.datetime.combine(day, dt.time())
    return midnight + dt.timedelta(seconds=rise), midnight + dt.timedelta(seconds=fall)


def sun_table(days, lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Sunrise and sunset, in seconds since 1970 (naive EAT), for arrays of days
    (since 1970-01-01), latitudes and longitudes (broadcast together)."""
    days, lat, lon = np.broadcast_arrays(
        np.asarray(days, np.int64), np.asarray(lat, float), np.asarray(lon, float)
    )
    band = np.round(lat / LAT_STEP).astype(np.int64)
    keys, inverse = np.unique(np.stack([days.ravel(), band.ravel()]), axis=1, return_inverse=True)
    solved = np.array(
        [_sun_seconds(int(d), float(b) * LAT_STEP, REFERENCE_LON) for d, b in keys.T],
        dtype=np.int64,
    ).reshape(-1, 2)
    shift = np.round((REFERENCE_LON - lon.ravel()) * 240).astype(np.int64)
    base = days.ravel() * DAY + shift
    rise = base + solved[inverse.ravel(), 0]
    fall = base + solved[inverse.ravel(), 1]
    return rise.reshape(days.shape), fall.reshape(days.shape)


def is_daylight(instants, lat, lon) -> np.ndarray:
    """True where each instant (naive EAT) falls between sunrise and sunset at its
    place. lat/lon: scalars or arrays matching `instants`."""
    seconds = epoch_seconds(instants)
    rise, fall = sun_table(seconds // DAY, lat, lon)
    return (seconds >= rise) & (seconds < fall)


def daylight_share(
    occurred_from, occurred_to, time_known, lat, lon, max_hours: int = WEEK_HOURS
) -> np.ndarray:
    """Share of each incident's window that lies in daylight, 0..1.

    Same rules as aoristic.window_bounds: an exact time is 0 or 1; a window gives
    the share of its length between sunrise and sunset; a long window (over
    max_hours) the share of the week it is spread over. NaN for date-only
    incidents and incidents with no position.
    """
    start, end, kind = window_bounds(occurred_from, occurred_to, time_known, max_hours)
    lat = np.broadcast_to(np.asarray(lat, float), start.shape)
    lon = np.broadcast_to(np.asarray(lon, float), start.shape)
    share = np.full(start.shape, np.nan)
    usable = (kind != DATE_ONLY) & np.isfinite(lat) & np.isfinite(lon)
    rows = np.flatnonzero(usable)
    s, e = start[rows], end[rows]
    first = s // DAY
    n_days = np.where(e > s, (e - 1) // DAY - first + 1, 1)
    pos = np.repeat(np.arange(rows.size), n_days)
    day = first[pos] + np.arange(pos.size) - np.repeat(np.cumsum(n_days) - n_days, n_days)
    rise, fall = sun_table(day, lat[rows][pos], lon[rows][pos])
    overlap = np.clip(np.minimum(e[pos], fall) - np.maximum(s[pos], rise), 0, None)
    length = e - s
    in_light = np.bincount(pos, weights=overlap, minlength=rows.size)
    instant_light = (s[pos] >= rise) & (s[pos] < fall)
    exact = np.bincount(pos, weights=instant_light, minlength=rows.size) > 0
    share[rows] = np.where(length > 0, in_light / np.where(length > 0, length, 1), exact)
    return share


def daylight_split(incidents: pd.DataFrame, max_hours: int = WEEK_HOURS) -> pd.DataFrame:
    """Weighted incidents in daylight and in darkness, by category.

    incidents: occurred_from, occurred_to, time_known, lat, lon and optionally
    category. Returns category, daylight, darkness, unknown (date-only or no
    position), total; daylight + darkness + unknown = total for each category.
    """
    share = daylight_share(
        incidents["occurred_from"],
        incidents["occurred_to"],
        incidents["time_known"],
        incidents["lat"].to_numpy(float),
        incidents["lon"].to_numpy(float),
        max_hours,
    )
    category = incidents.get("category", "all")
    frame = pd.DataFrame(
        {
            "category": category,
            "daylight": np.nan_to_num(share, nan=0.0),
            "darkness": np.nan_to_num(1.0 - share, nan=0.0),
            "unknown": np.isnan(share).astype(float),
            "total": 1.0,
        },
        index=incidents.index,
    )
    return frame.groupby("category", as_index=False, sort=True).sum()
