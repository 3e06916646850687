"""Small-count suppression for the public, aggregate-only app.

Adaptive hexagons. Events are first counted per H3 resolution-8 cell; a cell with at
least `threshold` events is shown with its count. The events of the cells that were
*not* shown (the remainder) are pooled per resolution-7 parent; a parent whose
remainder reaches the threshold is shown with that remainder only. What is still
left is pooled per ward; a ward whose remainder reaches the threshold is shown with
it, and any other remainder is shown as "fewer than N" without a number.

Why a parent shows only the remainder of its children: every event is counted in
exactly one displayed unit, so the displayed counts are disjoint. A parent showing
its full total next to shown children would let anyone subtract
(parent - shown children) and recover the count of the suppressed siblings, which is
below the threshold. With disjoint units no sum or difference of displayed numbers
isolates a suppressed group: the suppressed events are never part of any number.

What this module cannot guard, and the public app must therefore respect:
- a grand total shown next to the map reveals the suppressed sum; show
  `shown_total(units)` instead, or `table_total(...)`, which withholds it;
- ward totals drawn from the same events next to the hex map can be differenced
  against the hexagons inside the ward: show one or the other for a filter;
- sensitive categories (`geodata.categories.SENSITIVE`) never enter the hex map or
  a monthly series; they are shown by ward x quarter only, see
  `sensitive_by_ward_quarter`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from geodata import h3grid, settings
from geodata.categories import SENSITIVE
from geodata.errors import ObservatoryError

DEFAULT_THRESHOLD = 5
THRESHOLD_FLOOR = 3
CLOCK_MIN_TOTAL = 20

# Order of the hierarchy: a remainder moves one step right until it is shown.
UNIT_TYPES = ("h3_8", "h3_7", "ward", "suppressed")


@dataclass(frozen=True)
class DisplayUnit:
    """One thing the public map draws. `count` is None only for `suppressed` units."""

    unit_type: str  # one of UNIT_TYPES
    unit_id: int | str | None  # H3 int64 cell, ward code, or None (not placed on a ward)
    count: int | None
    label: str  # English; the dashboard translates by unit_type and count


def check_threshold(threshold: int) -> int:
    """The threshold itself, or an ObservatoryError when it is below the floor of 3."""
    if int(threshold) < THRESHOLD_FLOOR:
        raise ObservatoryError(
            f"OBSERVATORY_PUBLIC_MIN_COUNT is {threshold}: the public threshold cannot be "
            f"below {THRESHOLD_FLOOR}, because smaller counts can identify a victim. "
            f"Set it to {THRESHOLD_FLOOR} or more (default {DEFAULT_THRESHOLD})."
        )
    return int(threshold)


def public_min_count() -> int:
    """The configured threshold (OBSERVATORY_PUBLIC_MIN_COUNT), checked against the floor."""
    raw = settings.get("OBSERVATORY_PUBLIC_MIN_COUNT") or str(DEFAULT_THRESHOLD)
    try:
        value = int(raw.strip())
    except ValueError:
        raise ObservatoryError(
            f"OBSERVATORY_PUBLIC_MIN_COUNT is {raw!r}: give a whole number, "
            f"at least {THRESHOLD_FLOOR}."
        ) from None
    return check_threshold(value)


def fewer_than_label(threshold: int) -> str:
    return f"fewer than {threshold}"


def _cells(values: pd.Series) -> np.ndarray:
    """H3 cells as exact int64, 0 where missing or unreadable. Never through float64:
    its 53-bit mantissa turns cell ids (about 2**59) into other cells, which is what a
    column holding a NULL would otherwise become."""
    cells = pd.to_numeric(values, errors="coerce", dtype_backend="numpy_nullable")
    if pd.api.types.is_float_dtype(cells) and (cells.abs() >= 2**53).any():
        raise ValueError(
            "H3 cells arrived as floats, which cannot hold them exactly: "
            "read them as int64 (NULL as 0) or as pandas Int64"
        )
    return cells.astype("Int64").fillna(0).to_numpy(dtype="int64")


def _prepare(rows: pd.DataFrame) -> pd.DataFrame:
    """(h3_8, h3_7, ward_code, count) with parents derived and missing values normalised.

    Accepts aggregated rows (a `count` column) or event rows (one row per event).
    """
    missing = {"h3_8", "ward_code"} - set(rows.columns)
    if missing:
        raise ValueError(f"suppression input lacks columns {sorted(missing)}")
    if "category" in rows.columns and rows["category"].isin(SENSITIVE).any():
        # A bug, not a user error: sensitive events never reach the hex map.
        raise ValueError("sensitive categories must not be mapped below ward x quarter")
    out = pd.DataFrame(index=rows.index)
    out["h3_8"] = _cells(rows["h3_8"])
    h3_7 = _cells(rows["h3_7"]) if "h3_7" in rows.columns else np.zeros(len(rows), np.int64)
    # Derive the parent wherever it is missing: the same arithmetic the loader uses.
    derived = h3grid.parents(out["h3_8"].to_numpy(), 7)
    out["h3_7"] = np.where(h3_7 == 0, derived, h3_7)
    out["ward_code"] = rows["ward_code"].astype(object).where(rows["ward_code"].notna(), None)
    if "count" in rows.columns:
        counts = pd.to_numeric(rows["count"], errors="raise").fillna(0)
        if (counts < 0).any() or (counts != counts.round()).any():
            raise ValueError("counts must be non-negative whole numbers")
        out["count"] = counts.astype("int64").to_numpy()
    else:
        out["count"] = np.int64(1)
    return out


def _shown_groups(rows: pd.DataFrame, key: str, pending: np.ndarray, threshold: int):
    """Group the pending rows by `key`; return the mask of rows whose group reaches the
    threshold, and those groups' totals. A key of 0 (no H3 cell) is never a group."""
    candidates = pending & (rows[key].to_numpy() != 0) if key != "ward_code" else pending
    totals = rows.loc[candidates].groupby(key, dropna=False, sort=True)["count"].sum()
    shown = totals[totals >= threshold]
    mask = candidates & rows[key].isin(shown.index).to_numpy()
    if key == "ward_code" and shown.index.isna().any():
        mask |= candidates & rows[key].isna().to_numpy()
    return mask, shown


def assign_units(rows: pd.DataFrame, threshold: int | None = None) -> pd.DataFrame:
    """Each input row with the unit it is counted in: columns `unit_type`, `unit_id`.

    Internal to the server (it holds each row's own cell): public responses use
    `adaptive_units`. Every row lands in exactly one unit.
    """
    threshold = public_min_count() if threshold is None else check_threshold(threshold)
    data = _prepare(rows)
    unit_type = np.full(len(data), "suppressed", dtype=object)
    unit_id = np.full(len(data), None, dtype=object)
    pending = np.array(data["count"] > 0, dtype=bool)  # a writable copy
    unit_type[~pending] = "none"  # zero-count rows are counted nowhere
    for key in ("h3_8", "h3_7", "ward_code"):
        mask, _ = _shown_groups(data, key, pending, threshold)
        unit_type[mask] = "ward" if key == "ward_code" else key
        unit_id[mask] = data.loc[mask, key].to_numpy()
        pending &= ~mask
    unit_id[pending] = data.loc[pending, "ward_code"].to_numpy()
    data["unit_type"] = unit_type
    data["unit_id"] = unit_id
    return data


def adaptive_units(rows: pd.DataFrame, threshold: int | None = None) -> list[DisplayUnit]:
    """The display units for the public hex map (see the module docstring).

    Every shown count is at least the threshold; suppressed units (one per ward at
    most, plus one for events on no ward) carry no number.
    """
    threshold = public_min_count() if threshold is None else check_threshold(threshold)
    assigned = assign_units(rows, threshold)
    assigned = assigned[assigned["unit_type"] != "none"]
    units: list[DisplayUnit] = []
    for unit_type in UNIT_TYPES:
        part = assigned[assigned["unit_type"] == unit_type]
        if part.empty:
            continue
        totals = part.groupby("unit_id", dropna=False, sort=True)["count"].sum()
        for unit_id, total in totals.items():
            uid = None if pd.isna(unit_id) else unit_id
            if isinstance(uid, np.integer):
                uid = int(uid)
            if unit_type == "suppressed":
                units.append(DisplayUnit(unit_type, uid, None, fewer_than_label(threshold)))
            else:
                units.append(DisplayUnit(unit_type, uid, int(total), str(int(total))))
    return units


def units_frame(units: Sequence[DisplayUnit]) -> pd.DataFrame:
    """Display units as a DataFrame (unit_type, unit_id, count, label) for figure builders."""
    frame = pd.DataFrame(
        [(u.unit_type, u.unit_id, u.count, u.label) for u in units],
        columns=["unit_type", "unit_id", "count", "label"],
    )
    frame["count"] = frame["count"].astype("Int64")
    return frame


def shown_total(units: Iterable[DisplayUnit]) -> int:
    """Sum of the displayed numbers: the only total safe to print next to the map."""
    return sum(u.count for u in units if u.count is not None)


def suppress_counts(counts: Sequence[int], threshold: int | None = None) -> list[int | None]:
    """A series (e.g. events per month) with every value below the threshold as None.

    Zero is below the threshold too: "none" and "one" must look the same.
    """
    threshold = public_min_count() if threshold is None else check_threshold(threshold)
    return [int(c) if c >= threshold else None for c in counts]


def table_total(counts: Sequence[int], threshold: int | None = None) -> int | None:
    """The total of a series, or None when printing it would reveal the hidden values.

    total - (shown values) = hidden sum, so the total is safe only when nothing is
    hidden or the hidden values together reach the threshold.
    """
    threshold = public_min_count() if threshold is None else check_threshold(threshold)
    hidden = [int(c) for c in counts if c < threshold]
    if hidden and sum(hidden) < threshold:
        return None
    return int(sum(int(c) for c in counts))


def clock_allowed(total: float, min_total: int = CLOCK_MIN_TOTAL) -> bool:
    """Whether the public crime clock (by hour) may be drawn for this many events.

    Below `min_total` the hour of a single event is too telling. Draw shares of the
    total (per cent per hour), not counts, so no hour shows a small number.
    """
    return total >= max(int(min_total), public_min_count())


def month_floor(when: datetime | date | pd.Series | pd.DatetimeIndex):
    """The first day of the month at midnight: the finest time the public app shows."""
    if isinstance(when, pd.Series):
        return pd.to_datetime(when).dt.to_period("M").dt.to_timestamp()
    if isinstance(when, pd.DatetimeIndex):
        return when.to_period("M").to_timestamp()
    return datetime(when.year, when.month, 1)


def quarter_label(when: pd.Series) -> pd.Series:
    """'2025-Q1' style labels for timestamps."""
    periods = pd.to_datetime(when).dt.to_period("Q")
    return periods.dt.year.astype(str) + "-Q" + periods.dt.quarter.astype(str)


def sensitive_by_ward_quarter(rows: pd.DataFrame, threshold: int | None = None) -> pd.DataFrame:
    """Counts of sensitive categories per ward x quarter x category, only those >= threshold.

    `rows`: event rows with `ward_code`, `category` and `occurred_from` (or a `quarter`
    column already), optionally `count`. Rows of other categories are ignored, as are
    events on no ward (they cannot be placed at ward level). Missing combinations mean
    "none or fewer than the threshold": the two are indistinguishable on purpose.
    """
    threshold = public_min_count() if threshold is None else check_threshold(threshold)
    columns = ["ward_code", "quarter", "category", "count"]
    data = rows[rows["category"].isin(SENSITIVE) & rows["ward_code"].notna()].copy()
    if data.empty:
        return pd.DataFrame(columns=columns).astype({"count": "int64"})
    if "quarter" not in data.columns:
        data["quarter"] = quarter_label(data["occurred_from"])
    if "count" not in data.columns:
        data["count"] = 1
    grouped = data.groupby(["ward_code", "quarter", "category"], as_index=False)["count"].sum()
    grouped["count"] = grouped["count"].astype("int64")
    kept = grouped[grouped["count"] >= threshold]
    return kept[columns].sort_values(columns[:3]).reset_index(drop=True)
