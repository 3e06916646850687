"""Two-source capture-recapture: the estimators worked by hand, the interval's
coverage by simulation, and the overlap table built from linked records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata.stats.capture_recapture import (
    MIN_OVERLAP,
    chapman,
    chapman_variance,
    estimate,
    lincoln_petersen,
    log_interval,
    normal_interval,
    source_overlap,
)


def test_hand_worked_chapman_example():
    # n1 = 100 police, n2 = 80 other agencies, m = 40 both.
    assert lincoln_petersen(100, 80, 40) == 200.0
    assert chapman(100, 80, 40) == pytest.approx(101 * 81 / 41 - 1)  # 198.54
    assert chapman(100, 80, 40) == pytest.approx(198.5366, abs=1e-4)
    # var = 101 * 81 * 60 * 40 / (41^2 * 42) = 19,634,400 / 70,602 = 278.10
    assert chapman_variance(100, 80, 40) == pytest.approx(278.0998, abs=1e-3)
    # normal: 198.54 +- 1.95996 * 16.6763 = 165.85 .. 231.22
    assert normal_interval(100, 80, 40) == pytest.approx((165.85, 231.22), abs=0.01)
    # log (Chao): r = 140 seen, f0 = 58.5366 unseen, var / f0^2 = 278.10 / 3426.53 =
    # 0.081161, C = exp(1.95996 * sqrt(ln 1.081161)) = exp(1.95996 * 0.279348) = 1.72895
    # -> 140 + 58.5366 / 1.72895 .. 140 + 58.5366 * 1.72895 = 173.857 .. 241.207
    assert log_interval(100, 80, 40) == pytest.approx((173.857, 241.207), abs=0.01)


def test_estimate_states_its_assumptions_and_the_unrecorded():
    result = estimate(100, 80, 40)
    assert result.seen == 140
    assert result.unrecorded == pytest.approx(58.54, abs=0.01)
    assert result.interval[0] > result.seen  # the log interval never goes below what was seen
    assert result.enough_overlap
    text = " ".join(result.assumptions).lower()
    for words in ("closed population", "independent", "homogeneous", "matching"):
        assert words in text
    assert "about 59 were recorded by no agency" in result.sentence()


def test_too_little_overlap_gives_no_number():
    result = estimate(30, 25, MIN_OVERLAP - 1)
    assert not result.enough_overlap
    assert result.total is None and result.interval is None
    assert "Not enough overlap" in result.sentence()
    assert estimate(30, 25, MIN_OVERLAP).enough_overlap
    with pytest.raises(ValueError):
        estimate(10, 5, 6)


@pytest.mark.parametrize(("n_true", "p1", "p2"), [(400, 0.5, 0.4), (1500, 0.3, 0.2)])
def test_interval_covers_the_true_total_about_95_percent(n_true, p1, p2):
    rng = np.random.default_rng(2024)
    runs = 2000
    # Each event independently recorded by each source: cells (both, 1 only, 2 only, none).
    cells = rng.multinomial(
        n_true, [p1 * p2, p1 * (1 - p2), (1 - p1) * p2, (1 - p1) * (1 - p2)], size=runs
    )
    covered = 0
    for both, only1, only2, _ in cells:
        low, high = log_interval(int(both + only1), int(both + only2), int(both))
        covered += low <= n_true <= high
    coverage = covered / runs
    print(f"N={n_true}: coverage {coverage:.3f}")
    assert 0.92 <= coverage <= 0.98


def test_source_overlap_by_ward_and_month():
    records = pd.DataFrame(
        {
            "ward_code": ["A"] * 6 + ["B"] * 2,
            "month": ["2024-03"] * 8,
            "event_group": [1, 1, 2, 3, 4, 4, 5, 6],
            "agency": ["Police", "Hospital", "Police", "Chief", "Police", "Chief"]
            + ["Police", "Police"],
            "is_police": [True, False, True, False, True, False, True, True],
        }
    )  # fmt: skip
    table = source_overlap(records, ["ward_code", "month"]).set_index("ward_code")
    assert table.loc["A", ["police_only", "other_only", "both"]].tolist() == [1, 1, 2]
    assert table.loc["B", ["police_only", "other_only", "both"]].tolist() == [2, 0, 0]
    assert table.loc["A", "agencies"] == ("Chief", "Hospital", "Police")
    assert not table.loc["A", "enough_overlap"]
    assert pd.isna(table.loc["A", "estimated_total"])
