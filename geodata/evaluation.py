"""Did a forum action work? The glue between stored actions and incidents and the
statistics of `geodata.stats.impact_areas` / `impact` / `after_dark`.

For a completed action: the target area (the cells its geometry covers, widened by
`target_metres`), the displacement ring (cells within `ring_metres` of it, or k
rings of cells), a control area (chosen, or the cells whose pre-period monthly
series best match the target's, away from the ring and from other actions' areas so
another action's effect cannot leak into the comparison), equal periods before it
started and after it was completed, and the Bowers & Johnson measures for every
incident of the chosen categories and for night-time ones only (lighting acts at
night). Night: more than half of the incident's recorded time window between sunset
and sunrise at its place (`geodata.stats.daylight`); events without a time of day
count in "all" only.

Also the after-dark lens for an area: per cell the share of incidents after dark,
whether a lighting action covers it, and the dark hot spots with no light planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from geodata.cache import cached
from geodata.errors import ObservatoryError
from geodata.h3grid import to_hex
from geodata.queries import actions as queries
from geodata.queries import after_dark as after_dark_queries
from geodata.queries.maps import date_bounds
from geodata.stats.after_dark import (
    MIN_COUNT,
    MIN_SHARE,
    dark_hotspots_unlit,
    dark_probability,
    shares_from_sums,
    with_lighting,
)
from geodata.stats.impact import ImpactResult
from geodata.stats.impact_areas import (
    Periods,
    equal_periods,
    impact_report,
    match_control,
    ring_cells,
)

TARGET_METRES = 150.0  # about how far a street light lights a path
RING_METRES = 400.0  # walking distance to the next dark corner
# A control's own chance variation moves every measure; with fewer cells it was the
# largest error in evaluating the demo's planted light.
CONTROL_CELLS = 30
MIN_CONTROL_EVENTS = 4
NIGHT_SHARE = 0.5
# Other actions under way or done: their areas are kept out of a matched control.
_ACTIVE = ("in_progress", "done")


@dataclass(frozen=True)
class Evaluation:
    """Everything an evaluation page shows; `as_dict()` is plain JSON-able data."""

    action: dict
    periods: Periods
    categories: tuple[str, ...]
    target: tuple[int, ...]
    ring: tuple[int, ...]
    control: tuple[int, ...]
    control_method: str  # "matched" (on the pre-period trend) or "chosen"
    results: dict[str, ImpactResult]  # "all" and "night"
    notes: tuple[str, ...] = field(default=())

    def measures_frame(self) -> pd.DataFrame:
        """subset (all / night), name, value, interpretation, small_numbers."""
        parts = [r.frame().assign(subset=k) for k, r in self.results.items()]
        frame = pd.concat(parts, ignore_index=True)
        return frame[["subset", "name", "value", "interpretation", "small_numbers"]]

    def as_dict(self) -> dict:
        p = self.periods
        return {
            "action": {k: _plain(v) for k, v in self.action.items()},
            "periods": {
                "before": [p.before_start.isoformat(), p.before_end.isoformat()],
                "after": [p.after_start.isoformat(), p.after_end.isoformat()],
                "days": p.days,
            },
            "categories": list(self.categories),
            "areas": {
                "target": [to_hex(c) for c in self.target],
                "ring": [to_hex(c) for c in self.ring],
                "control": [to_hex(c) for c in self.control],
                "control_method": self.control_method,
            },
            "results": {k: _result_dict(r) for k, r in self.results.items()},
            "notes": list(self.notes),
        }


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _result_dict(result: ImpactResult) -> dict:
    return {
        "counts": dict(zip(_COUNT_NAMES, result.counts.as_tuple(), strict=True)),
        "measures": [vars(m) for m in result.measures.values()],
        "verdict": vars(result.verdict),
    }


_COUNT_NAMES = (
    "target_before",
    "target_after",
    "ring_before",
    "ring_after",
    "control_before",
    "control_after",
)


def evaluate_action(
    engine,
    action_id: int,
    categories: tuple[str, ...] = (),
    target_metres: float = TARGET_METRES,
    ring_metres: float | None = RING_METRES,
    ring_k: int = 1,
    control_cells: tuple[int, ...] | None = None,
    control_k: int = CONTROL_CELLS,
    max_days: int = 365,
) -> Evaluation:
    """Evaluate a done action (see the module docstring). `ring_metres=None` uses
    `ring_k` rings of cells; `control_cells` replaces the matched control."""
    action = queries.action_record(engine, action_id)
    if action["status"] != "done" or action["completed_on"] is None:
        raise ObservatoryError(
            f"action {action_id} ({action['title']}) is {action['status']}: only a done "
            "action with a completion date can be evaluated."
        )
    target = set(queries.action_cells(engine, action_id, float(target_metres)))
    if ring_metres is None:
        ring = ring_cells(target, k=ring_k)
    else:
        ring = set(queries.action_cells(engine, action_id, float(ring_metres))) - target
    first, last = date_bounds(engine)
    if first is None:
        raise ObservatoryError("No incidents are loaded: load agency files first.")
    periods = equal_periods(
        action["started_on"] or action["completed_on"],
        action["completed_on"],
        first,
        last,
        max_days=max_days,
    )
    notes = [f"{periods.days} days before the action started and after it was completed."]
    if control_cells:
        control, method = {int(c) for c in control_cells}, "chosen"
    else:
        control = _matched_control(engine, action_id, periods, categories, target, ring, control_k)
        method = "matched"
        notes.append(
            f"Control: the {len(control)} cells whose monthly counts before the action best "
            "follow the target's, outside the ring and other actions' areas."
        )
    result = _report(engine, periods, categories, target, ring, control)
    return Evaluation(
        action=action,
        periods=periods,
        categories=tuple(categories),
        target=tuple(sorted(target)),
        ring=tuple(sorted(ring)),
        control=tuple(sorted(control)),
        control_method=method,
        results=result[0],
        notes=tuple(notes + result[1]),
    )


def _matched_control(engine, action_id, periods, categories, target, ring, k) -> set[int]:
    """Cells matched on the target's pre-period trend, from the cells with at least
    MIN_CONTROL_EVENTS in the two periods together. Eligibility counts both periods
    on purpose: a cell picked for being busy before the action would fall back
    afterwards by chance alone (regression to the mean) and fake an effect."""
    categories = tuple(categories)
    before = queries.monthly_cell_counts(
        engine, periods.before_start, periods.before_end, categories
    )
    both = queries.cell_counts(engine, periods.before_start, periods.before_end, categories).add(
        queries.cell_counts(engine, periods.after_start, periods.after_end, categories),
        fill_value=0,
    )
    eligible = set(both[both >= MIN_CONTROL_EVENTS].index) | set(target)
    exclude = set(ring) | other_action_cells(engine, action_id)
    scores = match_control(
        before[before.index.isin(list(eligible))], target, exclude, k, min_total=1
    )
    if scores.empty:
        raise ObservatoryError(
            "No cells outside the action's area have enough incidents to serve as a "
            "control: choose the control cells yourself or widen the categories."
        )
    return set(scores["cell"].astype("int64").tolist())


def other_action_cells(engine, action_id: int, metres: float = RING_METRES) -> set[int]:
    """Cells within `metres` of any other action under way or done."""
    frame = queries.actions_frame(engine, _ACTIVE)
    others = frame[(frame["id"] != int(action_id)) & frame["geometry"].notna()]
    cells: set[int] = set()
    for geometry in others["geometry"]:
        cells |= queries.geometry_cells(geometry, metres)
    return cells


def _report(engine, periods, categories, target, ring, control):
    cells = tuple(sorted(target | ring | control))
    incidents = queries.evaluation_incidents(
        engine, periods.before_start, periods.after_end, cells, tuple(categories)
    )
    dark = dark_probability(incidents) if len(incidents) else np.zeros(0)
    night = np.nan_to_num(dark, nan=0.0) > NIGHT_SHARE
    results = impact_report(
        incidents["cell"].to_numpy(np.int64),
        incidents["occurred_from"].to_numpy(),
        night,
        periods,
        target,
        ring,
        control,
    )
    unknown = int(np.isnan(dark).sum())
    notes = []
    if unknown:
        notes.append(
            f"{unknown} incidents have no time of day: counted in all incidents, not at night."
        )
    return results, notes


@dataclass(frozen=True)
class AfterDark:
    """lens: per cell (int64) and hex: incidents, known, after_dark, share, lift, lit;
    unlit: the dark hot spots no lighting action covers (most dark crime first)."""

    lens: pd.DataFrame
    unlit: pd.DataFrame


@cached
def after_dark_for_area(
    engine,
    start: date,
    end: date,
    categories: tuple[str, ...] = (),
    ward_codes: tuple[str, ...] = (),
    light_reach_m: float = 0.0,
    min_count: int = MIN_COUNT,
    min_share: float = MIN_SHARE,
    min_known: float = 0.0,
) -> AfterDark:
    """The after-dark lens from `start` to `end` (whole days, inclusive) in
    `ward_codes` (empty: everywhere), over the cells with at least `min_known`
    incidents of known time (a national map leaves out the many cells too thin to
    colour). A lighting action that is planned, under way or done covers the cells
    its geometry touches, widened by `light_reach_m`. Cached per data version."""
    sums = after_dark_queries.cell_darkness(
        engine, start, end, tuple(categories), tuple(ward_codes), float(min_known)
    )
    overall = float(sums["overall"].iloc[0]) if len(sums) else np.nan
    lighting = queries.lighting_cells(engine, float(light_reach_m))
    lens = with_lighting(shares_from_sums(sums, overall), lighting)
    lens.insert(1, "hex", [to_hex(c) for c in lens["cell"]])
    return AfterDark(lens, dark_hotspots_unlit(lens, min_count, min_share))
