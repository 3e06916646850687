"""Weighted survey proportions and their intervals, checked against values worked out
by hand here, and a coverage simulation of the interval under unequal weights."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geodata.stats.survey_estimates import (
    dark_figure,
    kish_effective_n,
    proportions_by_group,
    weighted_proportion,
    wilson_interval,
)

Z = 1.959963984540054


def wilson_by_hand(p: float, n: float) -> tuple[float, float]:
    """Wilson's score interval written out from its textbook form."""
    denominator = 1 + Z**2 / n
    centre = p + Z**2 / (2 * n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
    return (centre - half) / denominator, (centre + half) / denominator


def test_six_weighted_respondents_match_the_hand_computation():
    answers = [1, 0, 1, 0, 0, 1]
    weights = [1, 2, 1, 3, 1, 2]
    est = weighted_proportion(answers, weights)
    # p = (1 + 1 + 2) / 10
    assert est.proportion == pytest.approx(0.4)
    # V = sum w^2 (y - p)^2 / (sum w)^2
    #   = (1*.36 + 4*.16 + 1*.36 + 9*.16 + 1*.16 + 4*.36) / 100 = 4.4 / 100
    assert est.se == pytest.approx(math.sqrt(0.044))
    # effective n = p(1-p) / V = 0.24 / 0.044
    assert est.n_eff == pytest.approx(0.24 / 0.044)
    low, high = wilson_by_hand(0.4, 0.24 / 0.044)
    assert (est.low, est.high) == pytest.approx((low, high))
    assert (round(est.low, 4), round(est.high, 4)) == (0.1237, 0.7589)
    assert est.respondents == 6


def test_unweighted_is_exactly_wilson():
    est = weighted_proportion([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    assert est.n_eff == pytest.approx(10)
    assert (est.low, est.high) == pytest.approx(wilson_by_hand(0.3, 10))
    # The published Wilson interval for 3 out of 10.
    assert (round(est.low, 3), round(est.high, 3)) == (0.108, 0.603)


def test_equal_weights_of_any_size_change_nothing():
    answers = [1, 0, 0, 1, 0]
    scaled, plain = weighted_proportion(answers, [7.5] * 5), weighted_proportion(answers)
    assert (scaled.proportion, scaled.n_eff, scaled.low, scaled.high) == pytest.approx(
        (plain.proportion, plain.n_eff, plain.low, plain.high)
    )


def test_unanswered_questions_are_left_out_of_the_denominator():
    est = weighted_proportion([1, np.nan, 0, np.nan], [2, 100, 2, 100])
    assert est.proportion == 0.5
    assert est.respondents == 2


def test_no_victim_at_all_gives_an_interval_above_zero_from_kish_n():
    weights = [1, 1, 2, 2, 4]
    est = weighted_proportion([0, 0, 0, 0, 0], weights)
    assert est.proportion == 0 and est.low == 0
    n = kish_effective_n(weights)
    assert n == pytest.approx(100 / 26)
    assert est.high == pytest.approx(wilson_by_hand(0.0, n)[1])
    assert est.high > 0.3  # five respondents say little about a rare event


def test_bad_weights_and_answers_are_refused():
    with pytest.raises(ValueError, match="positive"):
        weighted_proportion([1, 0], [1, 0])
    with pytest.raises(ValueError, match="0, 1"):
        weighted_proportion([1, 2], [1, 1])


def test_proportions_by_group_match_one_group_at_a_time():
    frame = pd.DataFrame(
        {
            "ward": ["A", "A", "A", "B", "B", "B"],
            "trust": [1, 0, 1, 0, 0, np.nan],
            "w": [1.0, 2.0, 1.0, 3.0, 1.0, 2.0],
        }
    )
    table = proportions_by_group(frame, ["ward"], "trust", "w")
    assert table["ward"].tolist() == ["A", "B"]
    a = weighted_proportion([1, 0, 1], [1, 2, 1])
    assert table.iloc[0]["proportion"] == pytest.approx(0.5)
    assert table.iloc[0]["low"] == pytest.approx(a.low)
    assert table.iloc[1][["respondents", "yes", "weight_total"]].tolist() == [2, 0, 4.0]
    whole = proportions_by_group(frame, [], "trust", "w")
    assert whole.iloc[0]["proportion"] == pytest.approx(2 / 8)


def test_wilson_interval_is_vectorised_and_nan_without_respondents():
    low, high = wilson_interval([0.3, 0.5], [10, 0])
    assert low[0] == pytest.approx(wilson_by_hand(0.3, 10)[0])
    assert np.isnan(low[1]) and np.isnan(high[1])


def test_dark_figure_scales_the_interval_by_population_over_records():
    estimated, ratio, low, high = dark_figure(0.1, 0.05, 0.2, 1000, 25)
    assert float(estimated) == pytest.approx(100)
    assert (float(ratio), float(low), float(high)) == pytest.approx((4.0, 2.0, 8.0))
    _, nothing, _, _ = dark_figure(0.1, 0.05, 0.2, 1000, 0)
    assert np.isnan(nothing)


def test_weighted_interval_covers_the_truth_95_percent_of_the_time():
    """Two strata sampled at different rates (weights 1 and 4) with different true
    shares; the interval should contain the population share about 95% of the time."""
    rng = np.random.default_rng(20241)
    n_a, n_b = 120, 60
    p_a, p_b = 0.15, 0.45
    size_a, size_b = n_a * 1.0, n_b * 4.0
    truth = (size_a * p_a + size_b * p_b) / (size_a + size_b)
    weights = np.r_[np.ones(n_a), np.full(n_b, 4.0)]
    covered, wald_covered, reps = 0, 0, 2000
    for _ in range(reps):
        y = np.r_[rng.random(n_a) < p_a, rng.random(n_b) < p_b].astype(float)
        est = weighted_proportion(y, weights)
        covered += est.low <= truth <= est.high
        wald_covered += abs(est.proportion - truth) <= Z * est.se
    coverage = covered / reps
    assert 0.93 <= coverage <= 0.975, coverage
    # Ignoring the weights would be badly off: the unweighted share is biased.
    assert abs((n_a * p_a + n_b * p_b) / (n_a + n_b) - truth) > 0.08
