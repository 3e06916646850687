"""The cache warmer: after every load, the views pages open with are computed in the
background, so no viewer waits for the cold national queries (seconds at a million
incidents).

Each process that serves the dashboard runs one warmer thread (started by its first
request, never at import: a gunicorn master that preloads the app and then forks
must not hold database connections or threads). The thread reads `data_version`
every POLL_SECONDS; when it changed (an ingest bumped it), it calls the same query
and builder functions the callbacks call, with the filter values a fresh page load
sends, so the callbacks' `@cached` entries are filled: the map, hot-spot map (default
resolution and measure), clock, trends, meeting agenda, actions and justice pages
nationally,
then the map, hot-spot map and clock of each commander's station. Failures are
logged (the step and the error's type, never data) and the thread carries on.

`OBSERVATORY_WARM_CACHE=0` turns it off (the test suite does).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import flask
from sqlalchemy import Engine

from dashboard import filters
from dashboard.options import CONFIG_KEY, AppOptions
from geodata import cache, settings, users

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
_EXTENSION = "observatory_warmer"
Step = tuple[str, Callable[[], Any]]


def _map_steps(engine: Engine, opts: AppOptions, scope: tuple[str, ...] | None) -> list[Step]:
    """The map page as `dashboard.callbacks.map` reads it for a first draw."""
    from dashboard.callbacks import map as map_callbacks
    from geodata.queries import maps, wards

    first, last = maps.date_bounds(engine)
    state = filters.from_values(None, None, None, first=first, last=last, public=opts.public)
    state = filters.within_scope(state, scope)
    args = (state.start, state.end, filters.query_categories(state, opts.public), state.wards)
    res, budget = opts.hex_resolution, maps.max_cells()
    return [
        ("map", lambda: map_callbacks.map_figure(engine, res, budget, args, opts.map_style)),
        ("map cells", lambda: maps.hex_view(engine, res, budget, *args)),
        ("map headlines", lambda: maps.headline_numbers(engine, *args)),
        ("ward outlines", lambda: wards.ward_lines_geojson(engine)),
        ("ward attributions", lambda: wards.ward_attributions(engine)),
    ]


def _analytics_steps(
    engine: Engine, opts: AppOptions, scope: tuple[str, ...] | None, trends: bool
) -> list[Step]:
    """The hot-spot map, clock (and trends) pages with their filter bar's defaults."""
    from dashboard.callbacks import analytics as analytics_callbacks
    from dashboard.callbacks import hotspots as hotspot_callbacks
    from dashboard.figures.hotspots import parse_measure, parse_res
    from geodata.queries import actions, analytics, maps, wards

    first, last = maps.date_bounds(engine)
    view = filters.view_from_values({}, first=first, last=last, public=opts.public)
    view = filters.within_scope(view, scope)
    res, measure = parse_res(None), parse_measure(None)
    args = tuple(sorted(view.query_args(opts.public).items()))
    steps = [
        ("filter bar", lambda: (wards.ward_table(engine), analytics.agency_list(engine))),
        (
            "hot-spot map",
            lambda: hotspot_callbacks.map_figure(engine, view, res, measure, opts),
        ),
        (
            "hot-spot layer",
            lambda: hotspot_callbacks.drawn_for(engine, view, res, measure, opts.public),
        ),
        ("clock", lambda: analytics_callbacks.clock_payload(engine, args)),
        ("actions timeline", lambda: actions.actions_frame(engine)),
    ]
    if trends:
        steps.append(("trends", lambda: analytics_callbacks.trend_payload(engine, args)))
    return steps


def _team_only_steps(engine: Engine, opts: AppOptions) -> list[Step]:
    """The meeting agenda (every item, as a presenter steps through it) and the
    actions page."""
    from dashboard import agenda
    from dashboard.callbacks import actions as action_callbacks
    from geodata.queries import maps

    first, last = maps.date_bounds(engine)
    view = filters.view_from_values({}, first=first, last=last, public=opts.public)
    query = view.query_args(opts.public)
    scope = agenda.Scope(start=view.start, end=view.end, categories=query["categories"])
    steps: list[Step] = [
        (f"meeting item {n}", lambda n=n: agenda.build_item(engine, scope, n, style=opts.map_style))
        for n in range(1, len(agenda.AGENDA_TITLES) + 1)
    ]
    steps.append(
        ("actions map", lambda: action_callbacks._actions_figure(engine, [], "point", opts))
    )
    return steps


def _justice_steps(engine: Engine) -> list[Step]:
    """The justice page's reads with its defaults (every case, compared by category,
    six-month change): over a million cases they take seconds each when cold. Its
    queries only, not its callback, which audits who saw record references."""
    from dashboard.callbacks import justice as justice_callbacks
    from geodata.queries import justice

    args = justice_callbacks.filter_args([], [], [])

    def chain() -> None:
        _, as_of = justice.case_count_and_latest_day(engine, **args)
        if as_of is None:
            return
        justice.justice_funnel(engine, None, None, (), **args)
        justice.justice_funnel(engine, None, None, ("category",), **args)
        justice.justice_durations(engine, as_of, None, None, **args)
        justice.stuck_cases(engine, as_of, justice_callbacks.STUCK_ROWS, **args)
        before, after = justice_callbacks.periods(as_of, 6)
        justice.justice_change(engine, before, after, **args)

    return [("justice chain", chain)]


def station_scopes(engine: Engine) -> list[tuple[str, ...]]:
    """The distinct ward sets of enabled commanders, as `auth.ward_scope` gives them."""
    found = {
        tuple(sorted(set(user.station_wards)))
        for user in users.list_users(engine)
        if user.role == "commander" and not user.disabled and user.station_wards
    }
    return sorted(found)


def default_steps(engine: Engine, opts: AppOptions) -> list[Step]:
    """What a warm run computes, in order: the national views first (the home page
    before the others), then each station's."""
    steps = _map_steps(engine, opts, None) + _analytics_steps(engine, opts, None, trends=True)
    steps += _team_only_steps(engine, opts) + _justice_steps(engine)
    for scope in station_scopes(engine):
        label = f"station of {len(scope)} wards"
        for name, run in _map_steps(engine, opts, scope) + _analytics_steps(
            engine, opts, scope, trends=False
        ):
            steps.append((f"{name} ({label})", run))
    return steps


def run_steps(steps: list[Step], stop: threading.Event | None = None) -> dict[str, float]:
    """Run each step, logging a failure and going on; seconds taken per step done."""
    done: dict[str, float] = {}
    for name, run in steps:
        if stop is not None and stop.is_set():
            break
        started = time.perf_counter()
        try:
            run()
        except Exception as exc:  # noqa: BLE001 - one broken view must not stop the others
            # The type only: messages can quote query parameters.
            log.warning("cache warm-up: %s failed (%s)", name, type(exc).__name__)
            log.debug("cache warm-up: %s failed", name, exc_info=True)
            continue
        done[name] = time.perf_counter() - started
    return done


class CacheWarmer:
    """Warms the query cache of this process whenever the data version changes."""

    def __init__(
        self,
        engine_factory: Callable[[], Engine],
        opts: AppOptions,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.engine_factory = engine_factory
        self.opts = opts
        self.poll_seconds = poll_seconds
        self.warmed_version: int | None = None
        self.last_run: dict[str, float] = {}
        self.runs = 0
        self._run_lock = threading.Lock()  # one warm run at a time
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._last_error: str | None = None

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()

    def start(self) -> None:
        """Start the thread unless it runs in this process already (a forked child
        gets its own)."""
        with self._start_lock:
            if self.running():
                return
            self._stop = threading.Event()
            self._pid = os.getpid()
            self._thread = threading.Thread(
                target=self._loop, name="observatory-cache-warmer", daemon=True
            )
            self._thread.start()
            atexit.register(self._stop.set)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout)

    def warm_if_changed(self) -> bool:
        """Warm the cache if the data version moved since the last run; False when it
        had not, or another run is under way."""
        if not self._run_lock.acquire(blocking=False):
            return False
        try:
            engine = self.engine_factory()
            version = cache.data_version(engine)
            if version == self.warmed_version:
                return False
            cache.drop_stale(engine, version)
            started = time.perf_counter()
            self.last_run = run_steps(default_steps(engine, self.opts), self._stop)
            self.warmed_version = version
            self.runs += 1
            log.info(
                "cache warmed for data version %s: %d views in %.1f s",
                version,
                len(self.last_run),
                time.perf_counter() - started,
            )
            return True
        finally:
            self._run_lock.release()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.warm_if_changed()
                self._last_error = None
            except Exception as exc:  # noqa: BLE001 - the server must outlive a bad moment
                error = type(exc).__name__
                if error != self._last_error:  # once per spell, not every poll
                    log.warning("cache warm-up skipped (%s); retrying", error)
                    log.debug("cache warm-up skipped", exc_info=True)
                self._last_error = error
            self._stop.wait(self.poll_seconds)


def install_warmer(server: flask.Flask, engine_factory: Callable[[], Engine] | None = None):
    """Give the full app a warmer that starts with the first request this process
    serves (None when OBSERVATORY_WARM_CACHE is off)."""
    if not settings.get_bool("OBSERVATORY_WARM_CACHE"):
        return None
    if engine_factory is None:
        from geodata.db import get_engine

        engine_factory = get_engine
    warmer = CacheWarmer(engine_factory, server.config.get(CONFIG_KEY, AppOptions()))
    server.extensions[_EXTENSION] = warmer
    server.before_request(warmer.start)
    return warmer


def warmer_of(server: flask.Flask) -> CacheWarmer | None:
    return server.extensions.get(_EXTENSION)
