"""The query layer at scale: p50/p95 of every dashboard aggregate with the result
cache cleared before each call (so the SQL is measured), nationally and for one
county, and the pure statistics at the same scale.

Query functions are found by name in `geodata.queries` (hex_counts for the map;
anything named like clock, trend or compstat for the analytics pages), and called
with the dashboard's default filters: the last 365 days, every category.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bench.report import Figure, NotBuilt, time_calls, with_target

QUERY_TARGET_MS = 100.0
COUNTY = "Nairobi"
AREA_PARAMETERS = ("county", "counties", "ward_codes", "wards", "area")


def _functions(words: tuple[str, ...]) -> list[Callable]:
    """Public functions in geodata.queries modules whose names contain one of `words`."""
    import geodata.queries as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"geodata.queries.{info.name}")
        for name, fn in vars(module).items():
            if name.startswith("_") or not callable(fn) or inspect.isclass(fn):
                continue
            if getattr(fn, "__module__", "") != module.__name__:
                continue
            if any(word in name.lower() for word in words):
                found.append(fn)
    return found


def default_range(engine: Engine) -> tuple[date, date]:
    from geodata.queries.maps import date_bounds

    first, last = date_bounds(engine)
    if last is None:
        raise RuntimeError("no incidents loaded")
    return max(first, last - timedelta(days=364)), last


def _arguments(fn: Callable, engine: Engine, area: str | None, **known) -> dict | None:
    """Keyword arguments for `fn` from the names the dashboard's filters use; None when
    `fn` needs an area filter it does not have, or an argument nobody knows."""
    params = inspect.signature(inspect.unwrap(fn)).parameters
    kwargs: dict = {}
    area_param = next((p for p in AREA_PARAMETERS if p in params), None)
    if area is not None and area_param is None:
        return None
    for name, param in list(params.items())[1:]:
        if name == area_param and area is not None:
            kwargs[name] = (area,) if name.endswith("s") else area
        elif name in known:
            kwargs[name] = known[name]
        elif param.default is inspect.Parameter.empty:
            raise RuntimeError(f"{fn.__qualname__} needs {name!r}, unknown to the benchmark")
    return kwargs


def _timed(fn: Callable, engine: Engine, kwargs: dict, repeat: int) -> dict:
    from geodata import cache

    def call():
        cache.clear()
        return fn(engine, **kwargs)

    return with_target(time_calls(call, repeat), "p95_ms", QUERY_TARGET_MS)


def hex_map_figures(engine: Engine, label: str, repeat: int) -> Iterator[Figure]:
    """hex_counts at res 7/8/9, nationally and for a county (default filters)."""
    try:
        from geodata.queries.maps import hex_counts
    except ImportError as exc:
        raise NotBuilt("geodata.queries.maps.hex_counts") from exc
    start, end = default_range(engine)
    for area in (None, COUNTY):
        for res in (7, 8, 9):
            name = f"query.hex_counts.{'national' if area is None else 'county'}.res{res}.{label}"
            kwargs = _arguments(
                hex_counts, engine, area, res=res, start=start, end=end, categories=()
            )
            if kwargs is None:
                yield Figure(name, note="n/a (not built yet: hex_counts has no county filter)")
                continue
            values = _timed(hex_counts, engine, kwargs, repeat)
            values["cells"] = len(hex_counts.uncached(engine, **kwargs))
            yield Figure(name, values)


def map_page_figures(engine: Engine, label: str, repeat: int) -> Iterator[Figure]:
    """The other reads behind the map page: headline numbers, categories, outlines."""
    from geodata.queries import maps, wards

    start, end = default_range(engine)
    filters = {"start": start, "end": end, "categories": ()}
    for fn in (maps.headline_numbers, maps.category_counts, maps.date_bounds):
        kwargs = _arguments(fn, engine, None, **filters)
        yield Figure(f"query.{fn.__name__}.national.{label}", _timed(fn, engine, kwargs, repeat))
    yield Figure(
        f"query.ward_outlines_geojson.{label}",
        _timed(wards.ward_outlines_geojson, engine, {}, max(3, repeat // 4)),
    )


def analytics_figures(engine: Engine, label: str, repeat: int) -> Iterator[Figure]:
    """Clock, trend and CompStat reads, when geodata.queries has them."""
    start, end = default_range(engine)
    known = {"start": start, "end": end, "categories": (), "as_of": end, "res": 9}
    for figure, words in (
        ("clock", ("clock", "aoristic")),
        ("trend", ("trend", "monthly")),
        ("compstat", ("compstat",)),
    ):
        functions = _functions(words)
        if not functions:
            yield Figure(f"query.{figure}.{label}", note="n/a (not built yet)")
            continue
        for fn in functions:
            for area in (None, COUNTY):
                where = "national" if area is None else "county"
                name = f"query.{figure}.{fn.__name__}.{where}.{label}"
                kwargs = _arguments(fn, engine, area, **known)
                if kwargs is None:
                    yield Figure(name, note="n/a (not built yet: no county filter)")
                    continue
                yield Figure(name, _timed(fn, engine, kwargs, repeat))


def hotspot_figures(engine: Engine, label: str, repeat: int) -> Iterator[Figure]:
    """Gi* hot spots (geodata.stats.hotspots) over the national counts at res 7/8/9."""
    from geodata.queries.maps import hex_counts
    from geodata.stats.hotspots import hotspots

    start, end = default_range(engine)
    for res in (7, 8, 9):
        counts = hex_counts.uncached(engine, res, start, end, ()).rename(columns={"h3": "cell"})
        values = time_calls(lambda c=counts: hotspots(c), max(3, repeat // 4))
        values["cells"] = len(counts)
        yield Figure(f"stats.hotspots_gi.national.res{res}.{label}", values)


def stats_figures(events: pd.DataFrame, label: str, repeat: int) -> Iterator[Figure]:
    """The pure statistics on every generated incident (no database): what a page
    would pay if it pulled raw rows instead of aggregates."""
    from geodata.stats.aoristic import crime_clock
    from geodata.stats.trends import compstat_table, monthly_counts

    incidents = events
    as_of = incidents["occurred_from"].max().date()
    repeat = max(2, repeat // 10)
    yield Figure(
        f"stats.crime_clock.rows.{label}", time_calls(lambda: crime_clock(incidents), repeat)
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
        {**time_calls(lambda: monthly_counts(daily, first, as_of), repeat), "rows": len(daily)},
    )
    yield Figure(
        f"stats.compstat_table.daily.{label}",
        {**time_calls(lambda: compstat_table(daily, as_of), repeat), "rows": len(daily)},
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
