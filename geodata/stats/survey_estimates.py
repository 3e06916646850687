"""Survey estimates (issue #9): weighted proportions with confidence intervals, by
group, and the "dark figure" ratio of survey-estimated victimisations to recorded
incidents.

The estimator is the ratio (Hajek) estimator p = sum(w y) / sum(w) over respondents
who answered. Its variance is the Taylor linearisation for a with-replacement design
of single-stage units (no strata or clusters are known from a Kobo/ODK export):

    V(p) = sum(w_i^2 (y_i - p)^2) / sum(w)^2

without the n/(n-1) factor some packages apply, so that equal weights give exactly
p(1-p)/n and the interval below is exactly Wilson's (the factor changes V by under
1% from n = 100).

The interval is Wilson's score interval computed with the design-based effective
sample size n* = p(1-p) / V(p) (Korn and Graubard, 1998), capped at the number of
respondents. Wilson stays inside [0, 1] and keeps its coverage for small and extreme
proportions, where the Wald interval collapses. When p is 0 or 1 the linearised
variance is 0 and n* is Kish's effective sample size (sum w)^2 / sum(w^2) instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    proportion: float
    se: float
    respondents: int  # who answered (missing answers are not counted)
    n_eff: float
    low: float
    high: float


def wilson_interval(p, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's score interval for proportion(s) `p` from (effective) sample size(s) `n`.
    NaN where n is not positive."""
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        z2n = z * z / n
        centre = (p + z2n / 2) / (1 + z2n)
        half = z * np.sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n)
        low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def kish_effective_n(weights) -> float:
    """(sum w)^2 / sum(w^2): the sample size equal weights would need for the same
    variance of a mean, when the weights are unrelated to the answers."""
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    return float(total * total / (w * w).sum()) if len(w) else 0.0


def weighted_proportion(answers, weights=None, z: float = Z95) -> Estimate:
    """The weighted share of yes (1) among answers (0/1; NaN = not answered).

    `weights` default to 1 (then the interval is exactly Wilson's). Weights must be
    positive."""
    y = np.asarray(answers, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != y.shape:
        raise ValueError("answers and weights must have the same length")
    answered = ~np.isnan(y)
    y, w = y[answered], w[answered]
    if np.isnan(w).any() or (w <= 0).any():
        raise ValueError("weights must be positive numbers")
    if not ((y == 0) | (y == 1)).all():
        raise ValueError("answers must be 0, 1 or NaN")
    n = len(y)
    if n == 0:
        return Estimate(np.nan, np.nan, 0, 0.0, np.nan, np.nan)
    total = w.sum()
    p = float((w * y).sum() / total)
    variance = float((w * w * (y - p) ** 2).sum() / (total * total))
    if variance > 0:
        n_eff = min(p * (1 - p) / variance, float(n))
    else:
        n_eff = min(kish_effective_n(w), float(n))
    low, high = wilson_interval(p, n_eff, z)
    return Estimate(p, variance**0.5, n, n_eff, float(low), float(high))


ESTIMATE_COLUMNS = (
    "respondents",
    "yes",
    "weight_total",
    "proportion",
    "se",
    "n_eff",
    "low",
    "high",
)


def proportions_by_group(
    frame: pd.DataFrame,
    by: Sequence[str],
    value: str,
    weight: str | None = None,
    z: float = Z95,
) -> pd.DataFrame:
    """One row per group of `by` columns: respondents (who answered `value`), yes
    (unweighted count), weight_total (sum of weights of those who answered), and the
    weighted proportion, se, n_eff, low, high as `weighted_proportion`. With no `by`
    columns, one row for the whole frame. Groups where nobody answered are left out."""
    by = list(by)
    rows = []
    groups = frame.groupby(by, sort=True, dropna=False) if by else [((), frame)]
    for key, group in groups:
        y = group[value].astype(float).to_numpy()
        w = group[weight].astype(float).to_numpy() if weight else None
        est = weighted_proportion(y, w, z)
        if est.respondents == 0:
            continue
        answered = ~np.isnan(y)
        keys = key if isinstance(key, tuple) else (key,)
        rows.append(
            {
                **dict(zip(by, keys, strict=True)),
                "respondents": est.respondents,
                "yes": int(np.nansum(y)),
                "weight_total": float(w[answered].sum())
                if w is not None
                else float(answered.sum()),
                "proportion": est.proportion,
                "se": est.se,
                "n_eff": est.n_eff,
                "low": est.low,
                "high": est.high,
            }
        )
    return pd.DataFrame(rows, columns=[*by, *ESTIMATE_COLUMNS])


def dark_figure(
    proportion, low, high, population, recorded
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Survey-estimated victimisations (proportion x population) and their ratio to
    recorded incidents, with the interval carried over from the proportion's.

    The recorded count is a census of the registers, not a sample, so it is treated
    as fixed: the interval is the proportion's interval times population / recorded.
    Returns (estimated victimisations, ratio, ratio low, ratio high); the ratio is NaN
    where nothing was recorded or the population is unknown.
    """
    population = np.asarray(population, dtype=float)
    recorded = np.asarray(recorded, dtype=float)
    estimated = np.asarray(proportion, dtype=float) * population
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(recorded > 0, population / recorded, np.nan)
    return (
        estimated,
        np.asarray(proportion, dtype=float) * scale,
        np.asarray(low, dtype=float) * scale,
        np.asarray(high, dtype=float) * scale,
    )
