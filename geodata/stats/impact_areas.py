"""The areas and periods behind an impact evaluation (`geodata.stats.impact`):
equal before/after periods around an action, the target cells and the ring around
them, counts per area from plain incident arrays, and a control area matched on the
pre-period trend.

All cells are H3 int64 ids (resolution 9 in practice); times are naive East Africa
Time. Periods are half-open: [start, end).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from h3.api import basic_int as h3i
from scipy import stats

from geodata.errors import ObservatoryError
from geodata.stats.impact import ImpactCounts, ImpactResult, assess

MIN_PERIOD_DAYS = 28


@dataclass(frozen=True)
class Periods:
    """Two periods of equal length: before the action started, after it ended."""

    before_start: datetime
    before_end: datetime
    after_start: datetime
    after_end: datetime

    @property
    def days(self) -> int:
        return (self.after_end - self.after_start).days


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time())


def equal_periods(
    action_start: date | datetime,
    action_end: date | datetime,
    data_start: date | datetime,
    data_end: date | datetime,
    max_days: int = 365,
    min_days: int = MIN_PERIOD_DAYS,
) -> Periods:
    """The longest equal before/after periods (whole days, at most `max_days`) that
    the loaded data covers. The implementation period itself is left out.

    Dates without a time mean whole days: an action ending on 3 May is evaluated
    from 4 May 00:00; `data_end` as a date includes that day.
    """
    start = _as_datetime(action_start)
    end = _as_datetime(action_end)
    if not isinstance(action_end, datetime):
        end += timedelta(days=1)
    last = _as_datetime(data_end)
    if not isinstance(data_end, datetime):
        last += timedelta(days=1)
    if end < start:
        raise ObservatoryError(
            f"The action ends ({action_end}) before it starts ({action_start}): fix its dates."
        )
    after_days = (last - end).days
    before_days = (start - _as_datetime(data_start)).days
    days = min(after_days, before_days, max_days)
    if days < min_days:
        raise ObservatoryError(
            f"Only {max(days, 0)} days of incidents are loaded "
            f"{'after the action ended' if after_days <= before_days else 'before it started'} "
            f"(data {data_start} to {data_end}); an evaluation needs at least {min_days}. "
            "Load more incident files or wait."
        )
    length = timedelta(days=days)
    return Periods(start - length, start, end, end + length)


def cells_within_metres(lat: float, lon: float, metres: float, res: int = 9) -> set[int]:
    """Cells whose centre lies within `metres` of a point, always including the
    cell that contains it (so a small buffer is never empty)."""
    home = h3i.latlng_to_cell(lat, lon, res)
    return {home} | _cells_near({home}, metres, res, centre=(lat, lon))


def ring_cells(target: Collection[int], metres: float | None = None, k: int = 1) -> set[int]:
    """The displacement buffer: cells around `target` and not in it, either the
    k-ring (default one cell, about 350 m at resolution 9) or every cell whose centre
    lies within `metres` of a target cell centre."""
    target = {int(c) for c in target}
    if not target:
        raise ObservatoryError("The action has no cells: draw its area or pick its cells.")
    if metres is None:
        ring = set().union(*(h3i.grid_disk(c, k) for c in target))
    else:
        res = h3i.get_resolution(next(iter(target)))
        ring = _cells_near(target, metres, res)
    return ring - target


def _cells_near(
    seeds: set[int], metres: float, res: int, centre: tuple[float, float] | None = None
) -> set[int]:
    """Cells with a centre within `metres` of `centre` or of any seed centre."""
    # Neighbouring centres are sqrt(3) edge lengths apart; one extra ring for safety.
    spacing = math.sqrt(3) * h3i.average_hexagon_edge_length(res, "m")
    k = int(math.ceil(metres / spacing)) + 1
    anchors = [centre] if centre else [h3i.cell_to_latlng(s) for s in seeds]
    found = set()
    for seed in seeds:
        for cell in h3i.grid_disk(seed, k):
            if cell in found:
                continue
            point = h3i.cell_to_latlng(cell)
            if any(h3i.great_circle_distance(point, a, "m") <= metres for a in anchors):
                found.add(cell)
    return found


def _check_disjoint(target: set[int], buffer: set[int], control: set[int]) -> None:
    if overlap := target & buffer:
        raise ObservatoryError(f"{len(overlap)} ring cells are also target cells.")
    if overlap := control & (target | buffer):
        raise ObservatoryError(
            f"The control area shares {len(overlap)} cells with the target area or its "
            "ring: choose control cells outside both."
        )
    if not control:
        raise ObservatoryError("The control area is empty: choose control cells.")


def count_areas(
    cells: np.ndarray,
    times: np.ndarray,
    periods: Periods,
    target: Collection[int],
    buffer: Collection[int],
    control: Collection[int],
    mask: np.ndarray | None = None,
) -> ImpactCounts:
    """Incidents per area and period, from one cell and one timestamp per incident
    (use the start of the reported window). `mask` keeps a subset (e.g. night)."""
    target, buffer, control = ({int(c) for c in s} for s in (target, buffer, control))
    _check_disjoint(target, buffer, control)
    cells = np.asarray(cells, dtype=np.int64)
    stamps = pd.to_datetime(np.asarray(times)).to_numpy()
    keep = np.ones(cells.shape, bool) if mask is None else np.asarray(mask, bool)
    before = keep & _between(stamps, periods.before_start, periods.before_end)
    after = keep & _between(stamps, periods.after_start, periods.after_end)
    counts = []
    for area in (target, buffer, control):
        inside = np.isin(cells, np.fromiter(area, np.int64, len(area)))
        counts += [int((inside & before).sum()), int((inside & after).sum())]
    return ImpactCounts(*counts)


def _between(stamps: np.ndarray, start: datetime, end: datetime) -> np.ndarray:
    return (stamps >= np.datetime64(start)) & (stamps < np.datetime64(end))


def impact_report(
    cells: np.ndarray,
    times: np.ndarray,
    night: np.ndarray,
    periods: Periods,
    target: Collection[int],
    buffer: Collection[int],
    control: Collection[int],
) -> dict[str, ImpactResult]:
    """{"all": ..., "night": ...}: the full assessment for every incident and for
    night-time incidents only (lighting acts at night)."""
    night = np.asarray(night, bool)
    return {
        "all": assess(count_areas(cells, times, periods, target, buffer, control)),
        "night": assess(count_areas(cells, times, periods, target, buffer, control, night)),
    }


def monthly_counts(cells: np.ndarray, times: np.ndarray, start: datetime, end: datetime):
    """Wide table of incident counts: one row per cell, one column per calendar month
    (pandas Period) from `start` to `end` (half-open), zero-filled."""
    stamps = pd.to_datetime(np.asarray(times))
    frame = pd.DataFrame({"cell": np.asarray(cells, np.int64), "at": stamps})
    frame = frame[(frame["at"] >= start) & (frame["at"] < end)]
    months = pd.period_range(start, end - timedelta(microseconds=1), freq="M")
    frame["month"] = frame["at"].dt.to_period("M")
    table = frame.groupby(["cell", "month"]).size().unstack("month", fill_value=0)
    return table.reindex(columns=months, fill_value=0)


def match_control(
    monthly: pd.DataFrame,
    target: Iterable[int],
    exclude: Iterable[int],
    k: int = 10,
    min_total: int = 5,
) -> pd.DataFrame:
    """The `k` cells outside target and `exclude` (the ring) whose pre-period monthly
    series best match the target's trend.

    `monthly`: counts indexed by cell, one column per pre-period month (as from
    `monthly_counts`). The score is Pearson's chi-square of homogeneity between the
    target's series and the cell's (a 2 x months table): it compares shapes, not
    levels, and under "same trend" it has the same distribution whatever the cell's
    count. A plain distance between share-per-month profiles would favour busy cells
    whose pre-period ran high by chance, and their fall back afterwards (regression
    to the mean) would fake an effect. Cells with fewer than `min_total` pre-period
    incidents are skipped; ties go to the lower cell id, so the choice is
    deterministic.

    Returns cell, chi2, p_value (high = no evidence the trends differ), correlation
    (Pearson, NaN for flat series) and total, best match first.
    """
    target, exclude = {int(c) for c in target}, {int(c) for c in exclude}
    goal = monthly[monthly.index.isin(list(target))].sum(axis=0).to_numpy(float)
    if goal.sum() == 0:
        raise ObservatoryError(
            "The target area had no incidents before the action, so no control area "
            "can be matched on its trend: choose the control cells yourself."
        )
    pool = monthly[~monthly.index.isin(list(target | exclude))]
    pool = pool[pool.sum(axis=1) >= min_total]
    values = pool.to_numpy(float)
    chi2 = _homogeneity_chi2(goal, values)
    months = int((goal > 0).sum() if len(values) == 0 else len(goal))
    result = pd.DataFrame(
        {
            "cell": pool.index.to_numpy(np.int64),
            "chi2": chi2,
            "p_value": stats.chi2.sf(chi2, max(months - 1, 1)),
            "correlation": [_pearson(row, goal) for row in values],
            "total": values.sum(axis=1).astype(int),
        }
    )
    result = result.sort_values(["chi2", "cell"], kind="mergesort")
    return result.head(k).reset_index(drop=True)


def _homogeneity_chi2(goal: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Chi-square of the 2 x T table [goal; row] for every row of `values`; months
    empty in both rows add nothing."""
    rows = values.sum(axis=1, keepdims=True)
    columns = goal[None, :] + values
    grand = goal.sum() + rows
    expected_goal = goal.sum() * columns / grand
    expected_row = rows * columns / grand
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (goal - expected_goal) ** 2 / expected_goal + (values - expected_row) ** 2 / (
            expected_row
        )
    return np.nansum(np.where(columns > 0, terms, 0.0), axis=1)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])
