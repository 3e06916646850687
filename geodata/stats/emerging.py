"""Emerging hot spot analysis: how each H3 cell's hot or cold status changed over months.

An adaptation of Esri's Emerging Hot Spot Analysis (see docs/methods.md):

1. Gi* for every cell in every month on the same grid and weights (hotspots.gi_star),
   each month against its own mean, with Benjamini-Hochberg FDR per month. A cell is
   *hot* in a month when q <= alpha and z > 0, *cold* when q <= alpha and z < 0.
2. Mann-Kendall trend test on each cell's series of Gi* z-scores (the intensity of
   clustering) and, for information, on its counts.
3. Esri's categories from the hot/cold series and the trend, in this order:
   intensifying, diminishing, persistent, historical, oscillating, new, consecutive,
   sporadic; the same for cold spots; otherwise "no pattern".

Input is a long DataFrame of counts (cell, month, count) and the selected months.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import special

from geodata.errors import ObservatoryError
from geodata.stats.hotspots import (
    LABELS,
    confidence_bins,
    contiguity_weights,
    fdr_bh,
    gi_star,
    study_grid,
)

# Esri needs ten time steps; with fewer, "90 % of the months" cannot separate
# persistent from historical patterns.
MIN_TIME_STEPS = 10
PATTERNS = (
    "intensifying",
    "diminishing",
    "persistent",
    "historical",
    "oscillating",
    "new",
    "consecutive",
    "sporadic",
)
CATEGORIES = (
    tuple(f"{p} hot spot" for p in PATTERNS)
    + tuple(f"{p} cold spot" for p in PATTERNS)
    + ("no pattern",)
)


def mann_kendall(
    x: np.ndarray, continuity: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test along the last axis: (S, z, two-sided p).

    S = sum over i < j of sign(x_j - x_i); Var(S) = [n(n-1)(2n+5) - sum over tie
    groups of t(t-1)(2t+5)] / 18; z = (S - sign(S)) / sqrt(Var S) with the
    continuity correction (Kendall 1975), S / sqrt(Var S) without. A series with no
    variation gives z = 0, p = 1. Vectorised: one pass per lag, not per series.
    """
    x = np.asarray(x, dtype=float)
    n = x.shape[-1]
    s = np.zeros(x.shape[:-1])
    tie_size = np.ones(x.shape)
    for lag in range(1, n):
        diff = x[..., lag:] - x[..., :-lag]
        s += np.sign(diff).sum(axis=-1)
        equal = diff == 0
        tie_size[..., lag:] += equal
        tie_size[..., :-lag] += equal
    # Each member of a tie group of size t contributes (t-1)(2t+5): t of them sum
    # to the group's t(t-1)(2t+5).
    ties = ((tie_size - 1) * (2 * tie_size + 5)).sum(axis=-1)
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    numerator = s - np.sign(s) if continuity else s
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, numerator / np.sqrt(var), 0.0)
    return s, z, 2.0 * special.ndtr(-np.abs(z))


def _month_index(values: Iterable) -> pd.PeriodIndex:
    """Monthly periods from dates, timestamps or periods."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values))
    if isinstance(series.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(series.dt.asfreq("M"))
    return pd.PeriodIndex(pd.to_datetime(series).dt.to_period("M"))


def count_cube(
    counts: pd.DataFrame,
    months: Sequence | None = None,
    area_cells: Iterable[int] | np.ndarray | None = None,
    pad: int | None = None,
) -> tuple[np.ndarray, pd.PeriodIndex, np.ndarray]:
    """(cells, months, counts as a cells x months array) with zeros filled in.

    counts: columns cell, month (any date in the month), count. months: the selected
    months (default: every month from the first to the last in `counts`); counts
    outside them are left out. The grid follows hotspots.study_grid.
    """
    month = _month_index(counts["month"]) if len(counts) else pd.PeriodIndex([], freq="M")
    if months is None:
        if not len(counts):
            raise ValueError("no months given and no counts to infer them from")
        steps = pd.period_range(month.min(), month.max(), freq="M")
    else:
        steps = pd.PeriodIndex(sorted(set(_month_index(months))), freq="M")
    keep = month.isin(steps)
    frame = pd.DataFrame(
        {"cell": counts["cell"].to_numpy(np.int64)[keep], "step": steps.get_indexer(month[keep])}
    )
    frame["count"] = counts["count"].to_numpy(float)[keep]
    cells = study_grid(frame["cell"].unique(), area_cells, pad)
    cube = np.zeros((cells.size, len(steps)))
    np.add.at(cube, (np.searchsorted(cells, frame["cell"]), frame["step"]), frame["count"])
    return cells, steps, cube


def monthly_hotspots(
    counts: pd.DataFrame,
    months: Sequence | None = None,
    area_cells: Iterable[int] | np.ndarray | None = None,
    k: int = 1,
    fdr: bool = True,
    pad: int | None = None,
) -> pd.DataFrame:
    """Gi* per cell per month: long DataFrame of cell, month (first day), count, gi_z,
    p_value, q_value (FDR within each month), bin (-3..3), label."""
    cells, steps, cube = count_cube(counts, months, area_cells, pad)
    z, p = gi_star(cube, contiguity_weights(cells, k))
    q = fdr_bh(p, axis=0)
    bins = confidence_bins(z, q if fdr else p)
    return pd.DataFrame(
        {
            "cell": np.repeat(cells, len(steps)),
            "month": steps.to_timestamp()[np.tile(np.arange(len(steps)), cells.size)],
            "count": cube.ravel(),
            "gi_z": z.ravel(),
            "p_value": p.ravel(),
            "q_value": q.ravel(),
            "bin": bins.ravel(),
            "label": pd.Series(bins.ravel()).map(LABELS).to_numpy(),
        }
    )


def _trailing_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True at the end of each row."""
    return np.cumprod(flags[:, ::-1], axis=1).sum(axis=1)


def classify_pattern(
    hot: np.ndarray,
    cold: np.ndarray,
    trend_z: np.ndarray,
    trend_p: np.ndarray,
    trend_alpha: float = 0.05,
) -> np.ndarray:
    """Esri's hot spot pattern for each row of a cells x months significance array.

    Returns the pattern name (see PATTERNS) or "" where no hot pattern applies.
    Call with (cold, hot, -trend_z, trend_p) for cold-spot patterns: a cold spot
    intensifies when its z-score falls.
    """
    steps = hot.shape[1]
    n_hot = hot.sum(axis=1)
    last = hot[:, -1]
    mostly = n_hot * 10 >= 9 * steps  # at least 90 % of the months, without rounding
    up = (trend_p <= trend_alpha) & (trend_z > 0)
    down = (trend_p <= trend_alpha) & (trend_z < 0)
    opposite_before = cold[:, :-1].any(axis=1)
    run = _trailing_run(hot)
    conditions = [
        last & mostly & up,
        last & mostly & down,
        last & mostly,
        ~last & mostly,
        last & opposite_before,
        last & (n_hot == 1),
        last & (run >= 2) & (n_hot == run),
        last,
    ]
    return np.select(conditions, list(PATTERNS), default="")


def emerging_hotspots(
    counts: pd.DataFrame,
    months: Sequence | None = None,
    area_cells: Iterable[int] | np.ndarray | None = None,
    k: int = 1,
    alpha: float = 0.10,
    trend_alpha: float = 0.05,
    fdr: bool = True,
    pad: int | None = None,
) -> pd.DataFrame:
    """One row per grid cell: its emerging hot spot category and the evidence.

    alpha: significance of a hot/cold month (q-value with fdr, else p; 0.10 = 90 %).
    trend_alpha: significance of the Mann-Kendall trend in the Gi* z-scores.
    Raises ObservatoryError when fewer than MIN_TIME_STEPS months are selected.

    Columns: cell, category (see CATEGORIES), hot_months, cold_months, last_z,
    gi_trend_z, gi_trend_p, count_trend_z, count_trend_p, total_count.
    """
    cells, steps, cube = count_cube(counts, months, area_cells, pad)
    if len(steps) < MIN_TIME_STEPS:
        raise ObservatoryError(
            f"Emerging hot spots need at least {MIN_TIME_STEPS} months; "
            f"{len(steps)} selected. Choose a longer date range."
        )
    z, p = gi_star(cube, contiguity_weights(cells, k))
    significant = (fdr_bh(p, axis=0) if fdr else p) <= alpha
    hot, cold = significant & (z > 0), significant & (z < 0)
    _, gi_trend_z, gi_trend_p = mann_kendall(z)
    _, count_trend_z, count_trend_p = mann_kendall(cube)
    hot_pattern = classify_pattern(hot, cold, gi_trend_z, gi_trend_p, trend_alpha)
    cold_pattern = classify_pattern(cold, hot, -gi_trend_z, gi_trend_p, trend_alpha)
    # The final month decides between a hot and a cold reading; with neither, only
    # a historical pattern (>= 90 % of months) can apply, and only on one side.
    use_hot = hot[:, -1] | (~cold[:, -1] & (hot_pattern != ""))
    pattern = np.where(use_hot, hot_pattern, cold_pattern)
    side = np.where(use_hot, " hot spot", " cold spot")
    category = np.where(pattern != "", np.char.add(pattern.astype(str), side), "no pattern")
    return pd.DataFrame(
        {
            "cell": cells,
            "category": category,
            "hot_months": hot.sum(axis=1),
            "cold_months": cold.sum(axis=1),
            "last_z": z[:, -1],
            "gi_trend_z": gi_trend_z,
            "gi_trend_p": gi_trend_p,
            "count_trend_z": count_trend_z,
            "count_trend_p": count_trend_p,
            "total_count": cube.sum(axis=1),
        }
    )
