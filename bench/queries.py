"""The query layer at scale: p50/p95 of every dashboard aggregate with the result
cache cleared before each call (so the SQL is measured), nationally and for one
county, and the pure statistics at the same scale.

Filters are the dashboard's defaults: the last 365 days with data, every category;
the county figures add `counties=("Nairobi",)` (85 of the 1,450 wards).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bench.report import Figure, NotBuilt, time_calls, with_target

QUERY_TARGET_MS = 100.0
COUNTY = "Nairobi"
# (figure, module in geodata.queries, function, resolutions or None)
AGGREGATES: tuple[tuple[str, str, str, tuple[int, ...] | None], ...] = (
    ("hotspot_map", "analytics", "cell_counts", (7, 8, 9)),
    ("gi_hotspots", "comparisons", "gi_cells", (6, 7, 8, 9)),
    ("clock", "clock", "clock_weights", None),
    ("trend", "analytics", "monthly_trend", None),
    ("compstat", "comparisons", "compstat_by_ward", None),
    ("period_cards", "comparisons", "period_cards", None),
    ("ward_counts", "analytics", "ward_counts", None),
    ("daylight", "clock", "daylight_counts", None),
    ("emerging", "comparisons", "emerging_cells", (6, 8)),
)
# The hot-spot page never computes these: nationally a year of a million incidents
# holds more cells at resolutions 8 and 9 than the map's cell budget
# (OBSERVATORY_MAP_MAX_CELLS), so the page coarsens to resolution 6 (query.hex_view
# shows which); resolution 6 is a national resolution only.
_NOT_ASKED = {
    ("gi_hotspots", "national", 8),
    ("gi_hotspots", "national", 9),
    ("emerging", "national", 8),
    ("gi_hotspots", "county", 6),
    ("emerging", "county", 6),
}


def _function(module: str, name: str) -> Callable:
    try:
        return getattr(importlib.import_module(f"geodata.queries.{module}"), name)
    except (ImportError, AttributeError) as exc:
        raise NotBuilt(f"geodata.queries.{module}.{name}") from exc


def default_range(engine: Engine) -> tuple[date, date]:
    from geodata.queries.maps import date_bounds

    first, last = date_bounds(engine)
    if last is None:
        raise RuntimeError("no incidents loaded")
    return max(first, last - timedelta(days=364)), last


def _timed(fn: Callable, engine: Engine, kwargs: dict, repeat: int) -> tuple[dict, object]:
    from geodata import cache

    def call():
        cache.clear()
        return fn(engine, **kwargs)

    values, result = time_calls(call, repeat)
    return with_target(values, "p95_ms", QUERY_TARGET_MS), result


def _rows(result) -> int | None:
    return len(result) if isinstance(result, pd.DataFrame) else None


def hex_map_figures(engine: Engine, label: str, repeat: int) -> Iterator[Figure]:
    """The map page's hexagons (maps.hex_counts, no area filter) at res 7/8/9."""
    from geodata.queries.maps import hex_counts, hex_view, max_cells

    start, end = default_range(engine)
    for res in (7, 8, 9):
        kwargs = {"res": res, "start": start, "end": end, "categories": ()}
        values, result = _timed(hex_counts, engine, kwargs, repeat)
        values["cells"] = len(result)
        yield Figure(f"query.hex_counts.national.res{res}.{label}", values)
    budget = max_cells()
    for res in (8, 9):
        kwargs = {"res": res, "budget": budget, "start": start, "end": end, "categories": ()}
        values, view = _timed(hex_view, engine, kwargs, repeat)
        values |= {"drawn_res": view.res, "cells": len(view.counts)}
        yield Figure(
            f"query.hex_view.national.res{res}.{label}",
            values,
            f"the map page: resolution {res} asked, the budget of {budget:,} cells drawn",
        )


def map_page_figures(engine: Engine, label: str, repeat: int) -> Iterator[Figure]:
    """The other reads behind the map page: headline numbers, categories, outlines."""
    from geodata.queries import maps, wards

    start, end = default_range(engine)
    filters = {"start": start, "end": end, "categories": ()}
    for fn in (maps.headline_numbers, maps.category_counts):
        yield Figure(
            f"query.{fn.__name__}.national.{label}", _timed(fn, engine, filters, repeat)[0]
        )
    yield Figure(f"query.date_bounds.{label}", _timed(maps.date_bounds, engine, {}, repeat)[0])
    values, outlines = _timed(wards.ward_outlines_geojson, engine, {}, max(3, repeat // 4))
    values["features"] = len(outlines["features"])
    yield Figure(f"query.ward_outlines_geojson.{label}", values)


def aggregate_figures(
    engine: Engine, figure: str, module: str, name: str, resolutions, label: str, repeat: int
) -> Iterator[Figure]:
    """One analytics read, nationally and for the county, at each resolution."""
    from geodata.queries.filters import IncidentFilter

    fn = _function(module, name)
    start, end = default_range(engine)
    as_of = module == "comparisons" and resolutions is None  # periods end on the last day
    for res in resolutions or (None,):
        for counties in ((), (COUNTY,)):
            if as_of:
                kwargs = {"as_of": end, "filters": IncidentFilter(counties=counties)}
            else:
                kwargs = {"filters": IncidentFilter(start, end, counties=counties)}
            if res is not None:
                kwargs["res"] = res
            where = "county" if counties else "national"
            if (figure, where, res) in _NOT_ASKED:
                continue
            tag = f".res{res}" if res is not None else ""
            values, result = _timed(fn, engine, kwargs, repeat)
            rows = _rows(result)
            if rows is not None:
                values["rows"] = rows
            yield Figure(f"query.{figure}.{where}{tag}.{label}", values, f"{module}.{name}")


def stats_figures(events: pd.DataFrame, label: str, repeat: int) -> Iterator[Figure]:
    """The pure statistics on every generated incident (no database): what a page
    would pay if it pulled raw rows instead of aggregates."""
    from geodata.stats.aoristic import crime_clock
    from geodata.stats.trends import compstat_table, monthly_counts

    incidents = events
    as_of = incidents["occurred_from"].max().date()
    repeat = max(2, repeat // 10)
    yield Figure(
        f"stats.crime_clock.rows.{label}", time_calls(lambda: crime_clock(incidents), repeat)[0]
    )
    daily = (
        incidents.assign(date=incidents["occurred_from"].dt.normalize())
        .groupby(["date", "ward", "category"], as_index=False)
        .size()
        .rename(columns={"size": "count"})
    )
    first = as_of - timedelta(days=364)
    yield Figure(
        f"stats.monthly_counts.daily.{label}",
        {**time_calls(lambda: monthly_counts(daily, first, as_of), repeat)[0], "rows": len(daily)},
    )
    yield Figure(
        f"stats.compstat_table.daily.{label}",
        {**time_calls(lambda: compstat_table(daily, as_of), repeat)[0], "rows": len(daily)},
    )


def incident_frame(frame: pd.DataFrame, ward_codes: np.ndarray) -> pd.DataFrame:
    """Generated incidents in the incidents table's shape, for the pure statistics."""
    from bench.generate import DAYS, END

    first = pd.Timestamp(END) - pd.Timedelta(days=DAYS - 1)
    start = first + pd.to_timedelta(frame["day"], unit="D")
    start = start + pd.to_timedelta(frame["minute"], unit="min")
    until = frame["until_minute"].to_numpy()
    end = start.dt.normalize() + pd.Timedelta(days=1) + pd.to_timedelta(until, unit="min")
    return pd.DataFrame(
        {
            "occurred_from": start,
            "occurred_to": end.where(until >= 0),
            "time_known": frame["time_known"].to_numpy(),
            "category": frame["category"].to_numpy(),
            "ward": ward_codes[frame["ward"].to_numpy()],
        }
    )
