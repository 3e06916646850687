"""Reads behind the crime clock: aoristic weights by weekday and hour, and the
daylight/darkness split, from the pre-aggregated tables (geodata.aggregates). Same
filters and caching as geodata.queries.analytics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from geodata.cache import cached
from geodata.queries.analytics import _read, build_query
from geodata.queries.filters import IncidentFilter


@dataclass(frozen=True)
class ClockTables:
    """Weighted incidents by category for the crime clock, in the shapes of
    geodata.stats.aoristic.CrimeClock: `hour` (category, hour, weight),
    `weekday_hour` (category, weekday 0=Mon, hour, weight), `date_only`
    (category, weekday, weight) for incidents with a date but no time."""

    hour: pd.DataFrame
    weekday_hour: pd.DataFrame
    date_only: pd.DataFrame

    @property
    def timed_total(self) -> float:
        return float(self.weekday_hour["weight"].sum())

    @property
    def date_only_total(self) -> float:
        return float(self.date_only["weight"].sum())


@cached
def clock_weights(
    engine: Engine,
    filters: IncidentFilter,
) -> ClockTables:
    """The crime clock's aoristic weights summed over the filters (precomputed per
    incident at load, geodata.aggregates). Only categories with incidents appear;
    every weekday and hour is present for each of them."""
    q = build_query(filters.but(hours=()), hourly=True, needs=("category", "weekday", "hour"))
    sql = q.select(
        "category, weekday, hour, sum(weight) AS weight",
        group="category, weekday, hour",
        order="category, weekday, hour",
    )
    frame = _read(engine, sql, q.params)
    names = sorted(frame["category"].unique())
    timed = frame[frame["hour"].notna()]
    if filters.hours:
        timed = timed[timed["hour"].isin(filters.band)]
    cube = _complete(timed, names, ["weekday", "hour"], [range(7), range(24)])
    hour = cube.groupby(["category", "hour"], as_index=False)["weight"].sum()
    undated = frame[frame["hour"].isna()] if not filters.hours else frame.iloc[0:0]
    date_only = _complete(undated, names, ["weekday"], [range(7)])
    return ClockTables(hour=hour, weekday_hour=cube, date_only=date_only)


def _complete(frame: pd.DataFrame, names, keys: list[str], ranges) -> pd.DataFrame:
    """Weights on the full grid of categories x keys, zeros where none."""
    index = pd.MultiIndex.from_product([names, *ranges], names=["category", *keys])
    weights = (
        frame.astype(dict.fromkeys(keys, "int64")).groupby(["category", *keys])["weight"].sum()
    )
    full = weights.reindex(index, fill_value=0.0).astype(float)
    return full.reset_index()


@cached
def daylight_counts(
    engine: Engine,
    filters: IncidentFilter,
) -> pd.DataFrame:
    """Incidents in daylight and darkness by category, in the shape of
    geodata.stats.daylight.daylight_split: category, daylight, darkness, unknown
    (no time or no place), total. Not limited by a time-of-day band."""
    q = build_query(filters.but(hours=()), needs=("category", "daylight", "darkness"))
    sql = q.select(
        "category, sum(daylight) AS daylight, sum(darkness) AS darkness, sum(n) AS total",
        group="category",
        order="category",
    )
    frame = _read(engine, sql, q.params)
    frame["unknown"] = np.maximum(frame["total"] - frame["daylight"] - frame["darkness"], 0.0)
    return frame[["category", "daylight", "darkness", "unknown", "total"]].astype(
        dict.fromkeys(("daylight", "darkness", "unknown", "total"), "float64")
    )
