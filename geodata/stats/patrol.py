"""Patrol planner (issue #6): rank H3 cells by recent incidents inside a shift window,
merge adjacent top cells into patrol points, propose a randomised visit schedule, and
score a past plan by hit rate and Predictive Accuracy Index.

Incidents come as a DataFrame with columns cell (H3 int64, resolution 9),
occurred_from, occurred_to (NaT when none) and time_known, as in the incidents table.
Their time is spread over hours by the aoristic rules of `geodata.stats.aoristic`
(date-only incidents have no hour, so they never count towards a shift).

Method notes:
- Recency: an incident-hour `a` weeks before `as_of` weighs 0.5 ** (a / half_life).
- Visits of 10-15 minutes, in random order, follow Koper (1995), "Just enough police
  presence", Justice Quarterly 12(4), 649-672: residual deterrence grows with a stop
  up to about 15 minutes, and unpredictable, intermittent visits keep it going.
- PAI = hit rate / area share (Chainey, Tompson & Uhlig 2008, Security Journal 21,
  4-28): the share of crime in the plan's cells over the share of area they cover;
  1 is no better than picking cells at random.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from h3.api import basic_int as h3i

from geodata.errors import ObservatoryError
from geodata.stats.aoristic import WEEK_HOURS, aoristic_hours

ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)
WEEKDAYS = (0, 1, 2, 3, 4)
WEEKEND = (5, 6)
VISIT_MINUTES = (10, 15)
MIN_GAP_MINUTES = 120


@dataclass(frozen=True)
class Shift:
    """A daily shift from `start_hour` to `end_hour` (whole hours, EAT), crossing
    midnight when end <= start (18 -> 6 is 18:00-06:00; 0 -> 0 is all day). `days`
    are the weekdays the shift starts on (0 = Monday): the Friday 18:00-06:00 shift
    includes Saturday 02:00."""

    start_hour: int = 18
    end_hour: int = 6
    days: tuple[int, ...] = ALL_DAYS

    def __post_init__(self) -> None:
        if not (0 <= self.start_hour < 24 and 0 <= self.end_hour < 24):
            raise ObservatoryError("Shift hours must be whole hours from 0 to 23.")
        if not self.days or not set(self.days) <= set(ALL_DAYS):
            raise ObservatoryError("Shift days must be weekday numbers 0 (Mon) to 6 (Sun).")

    @property
    def hours(self) -> tuple[int, ...]:
        """Hours of the day inside the shift, in shift order."""
        length = (self.end_hour - self.start_hour) % 24 or 24
        return tuple((self.start_hour + i) % 24 for i in range(length))

    def covers(self, hours: np.ndarray) -> np.ndarray:
        """True for each absolute hour (datetime64) that falls inside a shift."""
        stamps = pd.DatetimeIndex(hours)
        hour_of_day = stamps.hour.to_numpy()
        into = (hour_of_day - self.start_hour) % 24  # hours since the shift began
        start_day = (stamps - pd.to_timedelta(into, unit="h")).day_of_week.to_numpy()
        return np.isin(hour_of_day, self.hours) & np.isin(start_day, self.days)


@dataclass(frozen=True)
class PatrolPoint:
    """Adjacent top cells patrolled as one stop. `score`: recency- and shift-weighted
    incidents; `peak_hours`: up to three hours of day with most weight, busiest first."""

    point: int
    cells: tuple[int, ...]
    lat: float
    lon: float
    score: float
    peak_hours: tuple[int, ...]


def shift_hours(
    incidents: pd.DataFrame, shift: Shift, start: datetime, end: datetime
) -> pd.DataFrame:
    """Aoristic incident-hours inside the shift and inside [start, end): columns
    incident (row position), cell, hour (datetime64), weight."""
    # Only incidents starting less than a week before `start` can reach into it:
    # longer windows are spread over the week from their start (aoristic rules).
    begins = pd.to_datetime(incidents["occurred_from"]).to_numpy()
    near = np.flatnonzero(
        (begins >= np.datetime64(start - timedelta(hours=WEEK_HOURS + 1)))
        & (begins < np.datetime64(end))
    )
    subset = incidents.iloc[near]
    hours = aoristic_hours(subset["occurred_from"], subset["occurred_to"], subset["time_known"])
    hours["incident"] = near[hours["incident"].to_numpy()]
    stamps = hours["hour"].to_numpy()
    keep = (stamps >= np.datetime64(start)) & (stamps < np.datetime64(end))
    hours = hours[keep]
    hours = hours[shift.covers(hours["hour"].to_numpy())]
    cells = incidents["cell"].to_numpy(np.int64)[hours["incident"].to_numpy()]
    return hours.assign(cell=cells).reset_index(drop=True)


def shift_weights(
    incidents: pd.DataFrame, shift: Shift, start: datetime, end: datetime
) -> np.ndarray:
    """Per incident, the share of it that falls in the shift within [start, end)
    (0 to 1): the aoristic weight used to count a plan's hits."""
    hours = shift_hours(incidents, shift, start, end)
    return np.bincount(hours["incident"], weights=hours["weight"], minlength=len(incidents))


def _decayed_hours(
    incidents: pd.DataFrame, shift: Shift, as_of: datetime, lookback_weeks: float, half_life: float
) -> pd.DataFrame:
    if half_life <= 0 or lookback_weeks <= 0:
        raise ObservatoryError("Half-life and look-back must be positive numbers of weeks.")
    hours = shift_hours(incidents, shift, as_of - timedelta(weeks=lookback_weeks), as_of)
    age_weeks = (np.datetime64(as_of) - hours["hour"].to_numpy()) / np.timedelta64(7, "D")
    return hours.assign(score=hours["weight"] * 0.5 ** (age_weeks / half_life))


def rank_cells(
    incidents: pd.DataFrame,
    shift: Shift,
    as_of: datetime,
    lookback_weeks: float = 12,
    half_life_weeks: float = 4,
) -> pd.DataFrame:
    """Cells by recent incidents inside the shift: cell, score (decayed), incidents
    (undecayed aoristic count in the shift), best first, ties to the lower cell id."""
    hours = _decayed_hours(incidents, shift, as_of, lookback_weeks, half_life_weeks)
    ranked = hours.groupby("cell", as_index=False).agg(
        score=("score", "sum"), incidents=("weight", "sum")
    )
    ranked = ranked.sort_values("cell").sort_values("score", ascending=False, kind="mergesort")
    return ranked.reset_index(drop=True)


def patrol_points(
    incidents: pd.DataFrame,
    shift: Shift,
    as_of: datetime,
    n_points: int = 5,
    candidates: int | None = None,
    lookback_weeks: float = 12,
    half_life_weeks: float = 4,
    min_relative: float = 0.5,
) -> list[PatrolPoint]:
    """Hot cells merged into groups of adjacent cells (sharing an edge), the best
    `n_points` groups by total score.

    Hot cells: the top `candidates` (default 3 x n_points) that score at least
    `min_relative` times the n_points-th best cell. Without that floor a quiet cell
    next to a hot spot would join it and dilute the point.
    """
    hours = _decayed_hours(incidents, shift, as_of, lookback_weeks, half_life_weeks)
    scores = hours.groupby("cell")["score"].sum()
    scores = scores[scores > 0].sort_index().sort_values(ascending=False, kind="mergesort")
    top = scores.head(candidates or 3 * n_points)
    if len(top):
        top = top[top >= min_relative * top.iloc[min(n_points, len(top)) - 1]]
    groups = _adjacent_groups([int(c) for c in top.index])
    groups.sort(key=lambda g: (-top[list(g)].sum(), min(g)))
    by_hour = hours.assign(hod=hours["hour"].dt.hour).groupby(["cell", "hod"])["score"].sum()
    return [_point(i + 1, g, top, by_hour) for i, g in enumerate(groups[:n_points])]


def _adjacent_groups(cells: list[int]) -> list[tuple[int, ...]]:
    """Connected components of `cells` under H3 neighbourhood (union-find)."""
    parent = {c: c for c in cells}

    def find(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for cell in cells:
        for neighbour in h3i.grid_disk(cell, 1):
            if neighbour in parent:
                parent[find(neighbour)] = find(cell)
    groups: dict[int, list[int]] = {}
    for cell in cells:
        groups.setdefault(find(cell), []).append(cell)
    return [tuple(sorted(g)) for g in groups.values()]


def _point(number: int, cells: tuple[int, ...], scores: pd.Series, by_hour) -> PatrolPoint:
    weights = scores[list(cells)].to_numpy(float)
    centres = np.array([h3i.cell_to_latlng(c) for c in cells])
    lat, lon = (centres * weights[:, None]).sum(axis=0) / weights.sum()
    hourly = by_hour[by_hour.index.get_level_values("cell").isin(cells)].groupby("hod").sum()
    peaks = hourly.sort_index().sort_values(ascending=False, kind="mergesort").head(3)
    return PatrolPoint(
        number, cells, float(lat), float(lon), float(weights.sum()), tuple(map(int, peaks.index))
    )


def points_frame(points: Sequence[PatrolPoint]) -> pd.DataFrame:
    """Points as a table: point, cells (hex strings, comma-separated), lat, lon,
    score, peak_hours ("19:00, 20:00")."""
    return pd.DataFrame(
        {
            "point": [p.point for p in points],
            "cells": [",".join(h3i.int_to_str(c) for c in p.cells) for p in points],
            "lat": [p.lat for p in points],
            "lon": [p.lon for p in points],
            "score": [p.score for p in points],
            "peak_hours": [", ".join(f"{h:02d}:00" for h in p.peak_hours) for p in points],
        }
    )


def patrol_schedule(
    points: Sequence[PatrolPoint],
    shift_start: datetime,
    shift_end: datetime,
    officer_hours: float,
    travel_minutes: int = 10,
    seed: int = 0,
    visit_minutes: tuple[int, int] = VISIT_MINUTES,
    min_gap_minutes: int = MIN_GAP_MINUTES,
) -> pd.DataFrame:
    """A seeded random schedule of visits: columns point, start, end, officer.

    Officer-hours are split into ceil(officer-hours / shift length) officers with
    equal time. Each officer repeatedly travels (`travel_minutes`, counted against
    their time) to a random point (chance proportional to its score) that nobody
    has left in the last `min_gap_minutes`, and stays 10-15 whole minutes. Visits
    stop when an officer's time or the shift runs out; if every point was visited
    recently the officer waits (patrolling in between, not counted).
    """
    shift_minutes = _check_schedule(points, shift_start, shift_end, officer_hours, visit_minutes)
    rng = np.random.default_rng(seed)
    low, high = visit_minutes
    officers = math.ceil(officer_hours * 60 / shift_minutes)
    budget = officer_hours * 60 / officers
    spent = dict.fromkeys(range(1, officers + 1), 0.0)
    ids = np.array([p.point for p in points])
    chance = np.array([max(p.score, 1e-9) for p in points])
    free_again = dict.fromkeys(ids.tolist(), -math.inf)  # minute a point may be revisited
    queue = [(0, officer) for officer in spent]
    rows = []
    while queue:
        now, officer = heapq.heappop(queue)
        arrive = now + travel_minutes
        length = min(int(rng.integers(low, high + 1)), shift_minutes - arrive)
        length = min(length, math.floor(budget - spent[officer] - travel_minutes))
        if length < low:
            continue  # this officer's time or the shift is used up
        eligible = np.array([free_again[i] <= arrive for i in ids.tolist()])
        if not eligible.any():
            wait_until = min(free_again.values()) - travel_minutes
            heapq.heappush(queue, (max(wait_until, now + 1), officer))
            continue
        p = chance * eligible
        point = int(rng.choice(ids, p=p / p.sum()))
        rows.append((point, arrive, arrive + length, officer))
        free_again[point] = arrive + length + min_gap_minutes
        spent[officer] += travel_minutes + length
        heapq.heappush(queue, (arrive + length, officer))
    return _schedule_frame(rows, shift_start)


def _check_schedule(points, shift_start, shift_end, officer_hours, visit_minutes) -> int:
    """The shift length in minutes, after checking the inputs a user chose."""
    if not points:
        raise ObservatoryError("No patrol points: there were no incidents in the shift window.")
    shift_minutes = int((shift_end - shift_start).total_seconds() // 60)
    if shift_minutes <= 0 or officer_hours <= 0:
        raise ObservatoryError("The shift must end after it starts, with officer-hours above 0.")
    if not 0 < visit_minutes[0] <= visit_minutes[1]:
        raise ObservatoryError("Visit length must be a range of minutes such as 10 to 15.")
    return shift_minutes


def _schedule_frame(rows: list[tuple], shift_start: datetime) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["point", "start", "end", "officer"])
    for column in ("start", "end"):
        frame[column] = shift_start + pd.to_timedelta(frame[column].astype(float), unit="min")
    return frame.sort_values(["start", "officer"]).reset_index(drop=True)


@dataclass(frozen=True)
class PlanEvaluation:
    """How a plan's cells did: hits / incidents = hit rate; plan area / study area
    = area share; PAI = hit rate / area share. None where a denominator is 0."""

    incidents: float
    hits: float
    hit_rate: float | None
    area_share: float | None
    pai: float | None


def pai(hit_rate: float | None, area_share: float | None) -> float | None:
    """Predictive Accuracy Index; None when either share is missing or the area is 0."""
    if hit_rate is None or not area_share:
        return None
    return hit_rate / area_share


def evaluate_plan(
    cells: np.ndarray,
    plan_cells: Collection[int],
    area_cells: Collection[int],
    weights: np.ndarray | None = None,
) -> PlanEvaluation:
    """Score a plan on incidents (one cell each; `weights` e.g. from `shift_weights`
    so only the part of each incident inside the plan's window counts). Incidents
    and plan cells outside the study area (`area_cells`) are ignored. Areas are true
    H3 cell areas, so the share is exact even where cells differ slightly in size."""
    area = {int(c) for c in area_cells}
    plan = {int(c) for c in plan_cells} & area
    cells = np.asarray(cells, dtype=np.int64)
    w = np.ones(cells.shape) if weights is None else np.asarray(weights, float)
    inside = np.isin(cells, np.fromiter(area, np.int64, len(area)))
    hit = inside & np.isin(cells, np.fromiter(plan, np.int64, len(plan)))
    total, hits = float(w[inside].sum()), float(w[hit].sum())
    area_km2 = sum(h3i.cell_area(c, "km^2") for c in area)
    share = sum(h3i.cell_area(c, "km^2") for c in plan) / area_km2 if area_km2 else None
    rate = hits / total if total else None
    return PlanEvaluation(total, hits, rate, share, pai(rate, share))


def naive_plan(cells: np.ndarray, times: np.ndarray, as_of: datetime, n_cells: int) -> list[int]:
    """The comparison plan: the `n_cells` cells with most incidents (raw counts, any
    hour) in the 30 days before `as_of`, ties to the lower cell id. Give it as many
    cells as the planner's points cover so both plans have the same area."""
    stamps = pd.to_datetime(np.asarray(times)).to_numpy()
    recent = (stamps >= np.datetime64(as_of - timedelta(days=30))) & (stamps < np.datetime64(as_of))
    counts = pd.Series(np.asarray(cells, np.int64)[recent]).value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="mergesort")
    return [int(c) for c in counts.head(n_cells).index]


def compare_plans(
    cells: np.ndarray,
    plans: dict[str, Collection[int]],
    area_cells: Collection[int],
    weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per plan (e.g. {"planner": ..., "naive": ...}): plan, cells,
    incidents, hits, hit_rate, area_share, pai. A PAI of 1 means the plan did no
    better than its share of the area."""
    rows = []
    for name, plan in plans.items():
        result = evaluate_plan(cells, plan, area_cells, weights)
        rows.append({"plan": name, "cells": len(set(plan)), **vars(result)})
    return pd.DataFrame(rows)
