"""The patrol planner's glue (issue #6): parameters in, patrol points and a schedule
out (`plan_shift`); a plan scored on the incidents that followed it, beside a naive
plan (`evaluate_plan_cells`, `evaluate_saved_plan`).

The statistics are in `geodata.stats.patrol`; the reads in `geodata.queries.patrol`;
the writes in `geodata.patrol_plans`. This module only wires them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine

from geodata.categories import LABELS
from geodata.errors import ObservatoryError
from geodata.patrol_area import area_shape, pull_inside
from geodata.patrol_plans import PlanParameters
from geodata.queries import patrol as queries
from geodata.stats.aoristic import WEEK_HOURS
from geodata.stats.patrol import (
    PatrolPoint,
    Shift,
    compare_plans,
    naive_plan,
    patrol_points,
    patrol_schedule,
    shift_hours,
    shift_weights,
)

# Incidents starting up to a week before a window can reach into it (aoristic rules).
_REACH = timedelta(hours=WEEK_HOURS + 1)
NAIVE_DAYS = 30
TOP_ACTIVITIES = 3


@dataclass(frozen=True)
class ShiftPlan:
    """A planned shift. `points`: point, cells (tuple of H3 ints), lat, lon, score,
    peak_hours (tuple), peak_label, landmark, landmark_m, activity; `schedule`: point,
    start, end, officer; `incidents`: events in the look-back window behind it."""

    params: PlanParameters
    points: pd.DataFrame
    schedule: pd.DataFrame
    shift_start: datetime
    shift_end: datetime
    incidents: int

    @property
    def cells(self) -> tuple[int, ...]:
        return tuple(sorted({c for cells in self.points["cells"] for c in cells}))


def peak_label(hours: Sequence[int]) -> str:
    """(20, 21, 19) -> "20:00, 21:00, 19:00" (busiest first)."""
    return ", ".join(f"{int(h):02d}:00" for h in hours)


def _no_points_message(params: PlanParameters) -> str:
    where, wider = (" inside the drawn area", "a larger area") if params.area else ("", "wards")
    return (
        f"No placed incidents{where} fell in the {params.start_hour:02d}:00-"
        f"{params.end_hour:02d}:00 shift in the {params.lookback_weeks:g} weeks before "
        f"{params.as_of}: choose more categories or {wider}, another shift, or a later date."
    )


@dataclass(frozen=True)
class StationArea:
    """A drawn area made ready to plan on: `ward_codes` the wards it overlaps (which
    decide who may open the plan), `area` the drawing cut to them (GeoJSON text),
    `ward_names` their names, in order."""

    ward_codes: tuple[str, ...]
    area: str
    ward_names: tuple[str, ...]


def drawn_station_area(
    engine: Engine,
    drawn: str,
    chosen_wards: Sequence[str] = (),
    ward_scope: tuple[str, ...] | None = None,
) -> StationArea:
    """The drawn polygon cut to the wards it may cover: the chosen wards when any are
    chosen, else every ward it overlaps, and for a commander (`ward_scope`) only
    their station's wards. Refused in words when nothing is left or when no placed
    incident lies inside what is left."""
    area_shape(drawn)  # a polygon, or a message
    wards = queries.drawn_area_wards(engine, drawn)
    if wards.empty:
        raise ObservatoryError(
            "The drawn area lies outside every ward on record: draw it over the station's wards."
        )
    if chosen_wards:
        wards = wards[wards["code"].isin(list(chosen_wards))]
        if wards.empty:
            raise ObservatoryError(
                "The drawn area does not overlap the chosen wards: draw it over them, or "
                "empty the Wards box to plan for the wards it covers."
            )
    if ward_scope is not None:
        wards = wards[wards["code"].isin(list(ward_scope))]
        if wards.empty:
            raise ObservatoryError(
                "The drawn area lies outside your station's wards: Clear it and draw inside them."
            )
    codes = tuple(wards["code"])
    clipped = queries.clipped_area(engine, drawn, codes)
    if clipped is None or not queries.area_has_incidents(engine, clipped, codes):
        raise ObservatoryError(
            "No placed incident lies inside the drawn area: Clear it and draw around the "
            "places where incidents happen."
        )
    return StationArea(codes, clipped, tuple(wards["name"]))


def _inside_area(points: list[PatrolPoint], area: str | None) -> list[PatrolPoint]:
    if not area:
        return points
    shape = area_shape(area)
    moved = []
    for p in points:
        lat, lon = pull_inside(shape, p.lat, p.lon)
        moved.append(replace(p, lat=lat, lon=lon))
    return moved


def plan_shift(engine: Engine, params: PlanParameters) -> ShiftPlan:
    """Rank resolution-9 cells by recent, shift-weighted incidents, merge adjacent top
    cells into points, name each after its nearest landmark, and schedule visits
    for the first shift on or after `params.as_of`."""
    end = params.history_end()
    begin = end - timedelta(weeks=params.lookback_weeks)
    incidents = queries.planner_incidents(
        engine, begin - _REACH, end, params.ward_codes, params.area, params.categories
    )
    points = patrol_points(
        incidents,
        params.shift,
        end,
        n_points=params.n_points,
        lookback_weeks=params.lookback_weeks,
        half_life_weeks=params.half_life_weeks,
    )
    if not points:
        raise ObservatoryError(_no_points_message(params))
    points = _inside_area(points, params.area)
    shift_start, shift_end = params.shift_window()
    schedule = patrol_schedule(
        points,
        shift_start,
        shift_end,
        params.officer_hours,
        travel_minutes=params.travel_minutes,
        seed=params.seed,
    )
    frame = _points_table(engine, points, _activities(incidents, points, params.shift, begin, end))
    used = int((incidents["occurred_from"] >= begin).sum())
    return ShiftPlan(params, frame, schedule, shift_start, shift_end, used)


def _activities(
    incidents: pd.DataFrame, points: Sequence[PatrolPoint], shift: Shift, begin, end
) -> list[str]:
    """What happens at each point in the shift: its top categories with their
    (aoristic) counts over the look-back window, e.g. "Robbery 14, Assault 6"."""
    hours = shift_hours(incidents, shift, begin, end)
    hours["category"] = incidents["category"].to_numpy()[hours["incident"].to_numpy()]
    out = []
    for point in points:
        here = hours[hours["cell"].isin(point.cells)]
        totals = here.groupby("category")["weight"].sum().sort_index()
        totals = totals.sort_values(ascending=False, kind="mergesort").head(TOP_ACTIVITIES)
        out.append(", ".join(f"{LABELS.get(c, c)} {round(n):d}" for c, n in totals.items()))
    return out


def _points_table(
    engine: Engine, points: Sequence[PatrolPoint], activities: list[str]
) -> pd.DataFrame:
    lats = tuple(round(p.lat, 6) for p in points)
    lons = tuple(round(p.lon, 6) for p in points)
    landmarks = queries.nearest_landmarks(engine, lats, lons)
    return pd.DataFrame(
        {
            "point": [p.point for p in points],
            "cells": [tuple(p.cells) for p in points],
            "lat": list(lats),
            "lon": list(lons),
            "score": [p.score for p in points],
            "peak_hours": [tuple(p.peak_hours) for p in points],
            "peak_label": [peak_label(p.peak_hours) for p in points],
            "landmark": landmarks["name"].tolist(),
            "landmark_m": landmarks["metres"].tolist(),
            "activity": activities,
        }
    )


@dataclass(frozen=True)
class PlanScore:
    """How a plan did over [start, end): `table` has one row per plan ("planner",
    "naive"): plan, cells, incidents, hits, hit_rate, area_share, pai (see
    `geodata.stats.patrol.compare_plans`)."""

    start: datetime
    end: datetime
    table: pd.DataFrame

    def row(self, plan: str) -> dict:
        return self.table.set_index("plan").loc[plan].to_dict()


def evaluation_window(as_of: date, months: int = 1) -> tuple[datetime, datetime]:
    """The month(s) following a plan: from midnight starting `as_of`."""
    start = datetime.combine(as_of, datetime.min.time())
    return start, (pd.Timestamp(start) + pd.DateOffset(months=months)).to_pydatetime()


def evaluate_plan_cells(
    engine: Engine,
    params: PlanParameters,
    plan_cells: Sequence[int],
    start: datetime | None = None,
    end: datetime | None = None,
) -> PlanScore:
    """Hit rate and PAI of `plan_cells` on the incidents in the plan's shift window
    from `start` to `end` (default: the month after `as_of`), beside the naive plan:
    as many cells, the ones with most incidents of the same categories (any hour) in
    the 30 days before `start`. Each incident counts by its share inside the shift."""
    default_start, default_end = evaluation_window(params.as_of)
    start, end = start or default_start, end or default_end
    if end <= start:
        raise ObservatoryError("The evaluation period must end after it starts.")
    area = queries.area_cells(engine, params.ward_codes, params.area)
    later = queries.planner_incidents(
        engine, start - _REACH, end, params.ward_codes, params.area, params.categories
    )
    weights = shift_weights(later, params.shift, start, end)
    before = queries.planner_incidents(
        engine,
        start - timedelta(days=NAIVE_DAYS),
        start,
        params.ward_codes,
        params.area,
        params.categories,
    )
    naive = naive_plan(
        before["cell"].to_numpy(), before["occurred_from"].to_numpy(), start, len(set(plan_cells))
    )
    table = compare_plans(
        later["cell"].to_numpy(), {"planner": plan_cells, "naive": naive}, area, weights
    )
    return PlanScore(start, end, table)


def evaluate_saved_plan(
    engine: Engine,
    plan_id: int,
    ward_scope: tuple[str, ...] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> PlanScore:
    """`evaluate_plan_cells` for a saved plan the viewer may open."""
    saved = queries.saved_plan(engine, plan_id, ward_scope)
    params = plan_parameters(saved["plan"])
    cells = sorted({c for cells in saved["points"]["cells"] for c in cells})
    return evaluate_plan_cells(engine, params, cells, start, end)


def plan_parameters(plan: dict) -> PlanParameters:
    """The parameters of a saved plan's row (`geodata.queries.patrol.saved_plan`)."""
    extra = dict(plan.get("parameters") or {})
    as_of = plan["as_of"]
    return PlanParameters(
        ward_codes=tuple(plan["ward_codes"]),
        start_hour=int(plan["start_hour"]),
        end_hour=int(plan["end_hour"]),
        days=tuple(int(d) for d in plan["days"]),
        categories=tuple(plan["categories"]),
        n_points=int(plan["n_points"]),
        officer_hours=float(plan["officer_hours"]),
        as_of=as_of if isinstance(as_of, date) else date.fromisoformat(str(as_of)[:10]),
        area=plan.get("area"),
        station=plan.get("station"),
        **{k: extra[k] for k in ("lookback_weeks", "half_life_weeks", "travel_minutes", "seed")
           if k in extra},
    )  # fmt: skip
