"""Saved patrol plans (issue #6): what a plan is made from (`PlanParameters`) and the
writes to `patrol_plans`, `patrol_plan_points` and `patrol_plan_visits`.

A plan keeps its parameters beside its points and schedule, so it can be printed
again exactly and scored later against the incidents that followed it. Officers are
numbered, never named: the sheet is handed out, and names never reach the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, Engine, text

from geodata import cache
from geodata.categories import CATEGORIES
from geodata.errors import ObservatoryError
from geodata.patrol_area import area_shape
from geodata.stats.patrol import ALL_DAYS, Shift

MAX_POINTS = 20
MAX_OFFICER_HOURS = 200.0
MAX_NAME = 120


@dataclass(frozen=True)
class PlanParameters:
    """Everything a plan is planned from. `ward_codes`: the station area (for a drawn
    area, the wards it touches, which scope who may open the plan); `area`: a drawn
    polygon as GeoJSON text, or None; `as_of`: incidents before this day count and
    the schedule is for the first shift starting on or after it; empty `categories`
    means every category."""

    ward_codes: tuple[str, ...]
    start_hour: int = 18
    end_hour: int = 6
    days: tuple[int, ...] = ALL_DAYS
    categories: tuple[str, ...] = ()
    n_points: int = 5
    officer_hours: float = 16.0
    as_of: date = field(default_factory=date.today)
    area: str | None = None
    station: str | None = None
    # Half a year of history, recent weeks weighing more: over nine months of the
    # demo's three station areas this caught more next-month night crime than 12
    # weeks with a 4-week half-life (a month of one station is a few dozen incidents,
    # too few to rank cells on).
    lookback_weeks: float = 26.0
    half_life_weeks: float = 8.0
    travel_minutes: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.ward_codes:
            raise ObservatoryError(
                "Choose a station or at least one ward to plan for, or draw the area on the map."
            )
        if not 1 <= self.n_points <= MAX_POINTS:
            raise ObservatoryError(f"Number of patrol points: choose 1 to {MAX_POINTS}.")
        if not 0 < self.officer_hours <= MAX_OFFICER_HOURS:
            raise ObservatoryError(
                f"Officer-hours: choose a number above 0 and at most {MAX_OFFICER_HOURS:g}."
            )
        unknown = sorted(set(self.categories) - set(CATEGORIES))
        if unknown:
            raise ObservatoryError(f"Unknown categories {', '.join(unknown)}: pick from the list.")
        Shift(self.start_hour, self.end_hour, tuple(self.days))  # refuses bad hours or days
        if self.area is not None:
            area_shape(self.area)  # a polygon, else a message (not a PostGIS error later)

    @property
    def shift(self) -> Shift:
        return Shift(self.start_hour, self.end_hour, tuple(self.days))

    def shift_window(self) -> tuple[datetime, datetime]:
        """The first shift starting on or after `as_of` on one of the shift's days."""
        day = self.as_of
        while day.weekday() not in self.days:
            day += timedelta(days=1)
        start = datetime.combine(day, datetime.min.time()) + timedelta(hours=self.start_hour)
        return start, start + timedelta(hours=len(self.shift.hours))

    def history_end(self) -> datetime:
        """Incidents before this moment make the plan (midnight starting `as_of`)."""
        return datetime.combine(self.as_of, datetime.min.time())

    def extra(self) -> dict:
        """The settings stored in the `parameters` column."""
        return {
            "lookback_weeks": self.lookback_weeks,
            "half_life_weeks": self.half_life_weeks,
            "travel_minutes": self.travel_minutes,
            "seed": self.seed,
        }

    def as_dict(self) -> dict:
        """JSON-ready: dates as ISO strings, tuples as lists."""
        values = asdict(self)
        values["as_of"] = self.as_of.isoformat()
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}

    @classmethod
    def from_dict(cls, values: Mapping) -> PlanParameters:
        """The inverse of `as_dict` (unknown keys ignored)."""
        known = {k: values[k] for k in cls.__dataclass_fields__ if k in values}
        for key in ("ward_codes", "days", "categories"):
            if key in known:
                known[key] = tuple(known[key])
        if isinstance(known.get("as_of"), str):
            known["as_of"] = date.fromisoformat(known["as_of"])
        return cls(**known)


def _check_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ObservatoryError("Give the plan a name, such as 'Night shift, Mjini, week 32'.")
    if len(name) > MAX_NAME:
        raise ObservatoryError(f"The plan name is too long: keep it under {MAX_NAME} characters.")
    return name


_INSERT_PLAN = text(
    """
    INSERT INTO patrol_plans (name, created_by, station, ward_codes, area, start_hour,
        end_hour, days, categories, n_points, officer_hours, as_of, shift_start, shift_end,
        parameters)
    VALUES (:name, :created_by, :station, :ward_codes,
        CASE WHEN CAST(:area AS text) IS NULL THEN NULL
             ELSE ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(CAST(:area AS text)), 4326)) END,
        :start_hour, :end_hour, :days, :categories, :n_points, :officer_hours, :as_of,
        :shift_start, :shift_end, CAST(:parameters AS jsonb))
    RETURNING id
    """
)


def save_plan(
    engine: Engine,
    name: str,
    params: PlanParameters,
    points: pd.DataFrame,
    schedule: pd.DataFrame,
    created_by: str | None = None,
) -> int:
    """Store a plan; returns its id. `points`: point, cells (int sequences), lat, lon,
    score, peak_hours (hour sequences), landmark, landmark_m, activity; `schedule`:
    point, start, end, officer (as `geodata.patrol_service.plan_shift` returns)."""
    name = _check_name(name)
    shift_start, shift_end = params.shift_window()
    with engine.begin() as conn:
        plan_id = conn.execute(
            _INSERT_PLAN,
            {
                "name": name,
                "created_by": created_by,
                "station": params.station,
                "ward_codes": list(params.ward_codes),
                "area": params.area,
                "start_hour": params.start_hour,
                "end_hour": params.end_hour,
                "days": list(params.days),
                "categories": list(params.categories),
                "n_points": params.n_points,
                "officer_hours": float(params.officer_hours),
                "as_of": params.as_of,
                "shift_start": shift_start,
                "shift_end": shift_end,
                "parameters": json.dumps(params.extra()),
            },
        ).scalar_one()
        _insert_points(conn, plan_id, points)
        _insert_visits(conn, plan_id, schedule)
        cache.bump_version(conn)  # the saved-plans list is a cached read
    return int(plan_id)


def _optional(value):
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def _insert_points(conn: Connection, plan_id: int, points: pd.DataFrame) -> None:
    rows = [
        {
            "plan": plan_id,
            "point": int(p.point),
            "cells": [int(c) for c in p.cells],
            "lat": float(p.lat),
            "lon": float(p.lon),
            "score": float(p.score),
            "peaks": [int(h) for h in p.peak_hours],
            "landmark": _optional(getattr(p, "landmark", None)),
            "landmark_m": _optional(getattr(p, "landmark_m", None)),
            "activity": _optional(getattr(p, "activity", None)),
        }
        for p in points.itertuples(index=False)
    ]
    if rows:
        conn.execute(
            text(
                "INSERT INTO patrol_plan_points (plan_id, point, cells, lat, lon, score, "
                "peak_hours, landmark, landmark_m, activity) VALUES (:plan, :point, :cells, "
                ":lat, :lon, :score, :peaks, :landmark, :landmark_m, :activity)"
            ),
            rows,
        )


def _insert_visits(conn: Connection, plan_id: int, schedule: pd.DataFrame) -> None:
    rows = [
        {
            "plan": plan_id,
            "point": int(v.point),
            "officer": int(v.officer),
            "start": pd.Timestamp(v.start).to_pydatetime(),
            "end": pd.Timestamp(v.end).to_pydatetime(),
        }
        for v in schedule.itertuples(index=False)
    ]
    if rows:
        conn.execute(
            text(
                "INSERT INTO patrol_plan_visits (plan_id, point, officer, starts_at, ends_at) "
                "VALUES (:plan, :point, :officer, :start, :end)"
            ),
            rows,
        )


def delete_plan(engine: Engine, plan_id: int, ward_scope: tuple[str, ...] | None = None) -> None:
    """Remove a saved plan (its points and visits go with it). A commander
    (`ward_scope` = their station's wards) may remove only plans inside them."""
    with engine.begin() as conn:
        deleted = conn.execute(
            text(
                "DELETE FROM patrol_plans WHERE id = :id AND (CAST(:scope AS text[]) IS NULL "
                "OR ward_codes <@ CAST(:scope AS text[]))"
            ),
            {"id": int(plan_id), "scope": None if ward_scope is None else list(ward_scope)},
        ).rowcount
        if not deleted:
            raise ObservatoryError(f"There is no saved plan {plan_id} you may remove.")
        cache.bump_version(conn)
