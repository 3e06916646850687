"""Emerging hot spots: Mann-Kendall against scipy and by hand, Esri's categories on
hand-made series, and planted space-time patterns found on a real H3 grid."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geodata.errors import ObservatoryError
from geodata.stats.emerging import (
    CATEGORIES,
    classify_pattern,
    emerging_hotspots,
    mann_kendall,
    monthly_hotspots,
)
from geodata.stats.hotspots import hotspots, study_grid

hb = h3.api.basic_int
NAIROBI = hb.latlng_to_cell(-1.2864, 36.8172, 9)
T = 20
MONTHS = pd.period_range("2023-01", periods=T, freq="M").to_timestamp()


def test_mann_kendall_worked_example():
    # Pairs of (1, 3, 2, 4): five rises, one fall, so S = 4; Var = 4*3*13/18.
    s, z, p = mann_kendall(np.array([1.0, 3.0, 2.0, 4.0]))
    assert s == 4
    assert z == pytest.approx(3 / np.sqrt(4 * 3 * 13 / 18))
    assert p == pytest.approx(2 * stats.norm.sf(z))


def test_mann_kendall_equals_scipy_kendall_tau_with_ties():
    rng = np.random.default_rng(2)
    series = rng.integers(0, 5, size=(50, 15)).astype(float)  # many ties
    series[0] = 3.0  # no variation at all
    _, z, p = mann_kendall(series, continuity=False)
    for row, p_row in zip(series[1:], p[1:], strict=True):
        expected = stats.kendalltau(np.arange(15), row, method="asymptotic").pvalue
        assert p_row == pytest.approx(expected, abs=1e-12)
    assert z[0] == 0 and p[0] == 1


def flags(pattern: str) -> np.ndarray:
    """A 12-month series from a string: H hot, C cold, . neither."""
    return np.array([c == "H" for c in pattern]), np.array([c == "C" for c in pattern])


@pytest.mark.parametrize(
    ("series", "trend_z", "expected"),
    [
        ("...........H", 0.0, "new"),
        ("......C....H", 0.0, "oscillating"),
        (".........HHH", 3.0, "consecutive"),
        (".HHHHHHHHHHH", 3.0, "intensifying"),
        ("HHHHHHHHHHHH", 0.5, "persistent"),
        ("HHHHHHHHHHHH", -3.0, "diminishing"),
        ("..H...H.H..H", 0.0, "sporadic"),
        ("HHHHHHHHHHH.", -1.0, "historical"),
        ("HHHHHH......", -3.0, ""),  # hot early only: < 90 %, not hot now
        ("....HH......", 0.0, ""),
        ("............", 0.0, ""),
    ],
)
def test_classify_pattern_follows_esri_definitions(series, trend_z, expected):
    hot, cold = flags(series)
    trend_p = 2 * stats.norm.sf(abs(trend_z))
    got = classify_pattern(hot[None], cold[None], np.array([trend_z]), np.array([trend_p]))
    assert got.tolist() == [expected]


def planted_counts(seed: int = 42) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
    """Poisson(1) background on a disk of 721 cells with seven planted 7-cell
    clusters, each following one pattern over 20 months."""
    cells = study_grid([NAIROBI], pad=15)
    t = np.arange(T)
    means = {
        "persistent": np.full(T, 6.0),
        "intensifying": 3 + 0.5 * t,
        "diminishing": 13 - 0.45 * t,
        "new": np.where(t == T - 1, 8.0, 1.0),
        "sporadic": np.where(np.isin(t, [3, 9, 14, 19]), 8.0, 1.0),
        "historical": np.where(t < 18, 8.0, 1.0),
        "consecutive": np.where(t >= 16, 8.0, 1.0),
    }
    ring = hb.grid_ring(NAIROBI, 8)
    centres = {name: ring[6 * i] for i, name in enumerate(means)}
    mean = np.ones((cells.size, T))
    for name, centre in centres.items():
        mean[np.searchsorted(cells, hb.grid_disk(centre, 1))] = means[name]
    y = np.random.default_rng(seed).poisson(mean)
    i, j = np.nonzero(y)
    counts = pd.DataFrame({"cell": cells[i], "month": MONTHS[j], "count": y[i, j]})
    return counts, cells, centres


def test_planted_patterns_are_classified():
    counts, cells, centres = planted_counts()
    result = emerging_hotspots(counts, MONTHS, area_cells=cells).set_index("cell")
    assert len(result) == cells.size
    assert set(result["category"]) <= set(CATEGORIES)
    for name, centre in centres.items():
        assert result.loc[centre, "category"] == f"{name} hot spot", name
    # Away from the clusters nothing but noise: no pattern.
    far = np.asarray(hb.grid_disk(NAIROBI, 4), dtype=np.int64)
    assert (result.loc[far, "category"] == "no pattern").all()


def test_counts_trend_is_reported_alongside_the_gi_trend():
    counts, cells, centres = planted_counts()
    result = emerging_hotspots(counts, MONTHS, area_cells=cells).set_index("cell")
    assert result.loc[centres["intensifying"], "count_trend_z"] > 2
    assert result.loc[centres["diminishing"], "count_trend_z"] < -2
    assert result.loc[centres["persistent"], "hot_months"] == T


def test_monthly_hotspots_equal_a_hot_spot_run_per_month():
    counts, cells, _ = planted_counts()
    monthly = monthly_hotspots(counts, MONTHS, area_cells=cells)
    assert len(monthly) == cells.size * T
    month = MONTHS[7]
    one = hotspots(counts[counts["month"] == month], area_cells=cells)
    got = monthly[monthly["month"] == month].reset_index(drop=True)
    assert np.allclose(got["gi_z"], one["gi_z"], atol=1e-12)
    assert got["label"].tolist() == one["label"].tolist()


def test_months_without_incidents_still_count_as_time_steps():
    counts, cells, centres = planted_counts()
    later = [*MONTHS, pd.Timestamp("2024-09-01"), pd.Timestamp("2024-10-01")]
    result = emerging_hotspots(counts, later, area_cells=cells).set_index("cell")
    # Two empty final months: the persistent cluster is no longer hot now.
    assert result.loc[centres["persistent"], "category"] == "historical hot spot"


def test_too_few_months_is_an_actionable_error():
    counts, cells, _ = planted_counts()
    with pytest.raises(ObservatoryError, match="at least 10 months; 6 selected"):
        emerging_hotspots(counts, MONTHS[:6], area_cells=cells)
