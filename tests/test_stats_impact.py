"""Impact evaluation (issue #5): Bowers & Johnson measures against hand-worked
examples, the zero cases that break the usual spreadsheet, the verdicts, and a planted
lighting action recovered from simulated incidents."""

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from h3.api import basic_int as h3i

from geodata.errors import ObservatoryError
from geodata.stats.impact import ImpactCounts, assess, rate_ratio_z, verdict
from geodata.stats.impact_areas import (
    cells_within_metres,
    count_areas,
    equal_periods,
    impact_report,
    match_control,
    monthly_counts,
    ring_cells,
)

NAIROBI = (-1.2833, 36.8167)


def values(counts: ImpactCounts) -> dict:
    return {name: m.value for name, m in assess(counts).measures.items()}


def test_partial_displacement_hand_worked():
    # Rb=100 Ra=60 | Db=80 Da=100 | Cb=400 Ca=400
    # GE  = 100 - 60                       = 40
    # NE  = 100/400 - 60/400               = 0.25 - 0.15 = 0.10
    # SM  = 60/400 - 100/400               = -0.10  (< 0: success)
    # BDM = 100/400 - 80/400               = +0.05  (> 0: displacement)
    # WDQ = 0.05 / -0.10                   = -0.5   (displacement smaller than gain)
    # TNE = [100*1 - 60] + [80*1 - 100]    = 40 - 20 = 20 prevented
    v = values(ImpactCounts(100, 60, 80, 100, 400, 400))
    assert v["gross_effect"] == 40
    assert v["net_effect"] == pytest.approx(0.10)
    assert v["success_measure"] == pytest.approx(-0.10)
    assert v["buffer_displacement"] == pytest.approx(0.05)
    assert v["wdq"] == pytest.approx(-0.5)
    assert v["total_net_effect"] == pytest.approx(20)
    assert (
        "still helped"
        in assess(ImpactCounts(100, 60, 80, 100, 400, 400)).measures["wdq"].interpretation
    )


def test_diffusion_larger_than_effect_hand_worked():
    # Rb=50 Ra=40 | Db=100 Da=80 | Cb=200 Ca=200
    # SM  = 40/200 - 50/200 = -0.05 ; BDM = 80/200 - 100/200 = -0.10
    # WDQ = -0.10 / -0.05 = 2.0 (> 1: diffusion larger than the direct effect)
    # TNE = [50 - 40] + [100 - 80] = 30
    result = assess(ImpactCounts(50, 40, 100, 80, 200, 200))
    assert result.measures["wdq"].value == pytest.approx(2.0)
    assert "larger than the effect" in result.measures["wdq"].interpretation
    assert result.measures["total_net_effect"].value == pytest.approx(30)


def test_wdq_between_zero_and_one_with_rising_control_hand_worked():
    # Rb=120 Ra=60 | Db=90 Da=75 | Cb=300 Ca=360: the control rose by 20% (Ca/Cb = 1.2)
    # SM  = 60/360 - 120/300 = 0.166667 - 0.4 = -0.233333
    # BDM = 75/360 - 90/300  = 0.208333 - 0.3 = -0.091667
    # WDQ = 0.091667 / 0.233333 = 0.392857
    # Expected without action: target 120*1.2 = 144, ring 90*1.2 = 108
    # TNE = (144 - 60) + (108 - 75) = 84 + 33 = 117; and WDQ = 33/84 (ring/target prevented)
    v = values(ImpactCounts(120, 60, 90, 75, 300, 360))
    assert v["success_measure"] == pytest.approx(-0.233333, abs=1e-6)
    assert v["buffer_displacement"] == pytest.approx(-0.091667, abs=1e-6)
    assert v["wdq"] == pytest.approx(33 / 84)
    assert v["total_net_effect"] == pytest.approx(117)


def test_displacement_erasing_the_gain_hand_worked():
    # Rb=100 Ra=80 | Db=100 Da=130 | Cb=Ca=500
    # SM = (80-100)/500 = -0.04 ; BDM = (130-100)/500 = 0.06 ; WDQ = -1.5
    # TNE = (100-80) + (100-130) = -10: ten more incidents than without the action
    result = assess(ImpactCounts(100, 80, 100, 130, 500, 500))
    assert result.measures["wdq"].value == pytest.approx(-1.5)
    assert "worse" in result.measures["wdq"].interpretation
    assert result.measures["total_net_effect"].value == pytest.approx(-10)


def test_all_zeros_are_undefined_not_errors():
    # Every ratio divides by Cb or Ca = 0: all control-relative measures are None.
    result = assess(ImpactCounts(0, 0, 0, 0, 0, 0))
    assert result.measures["gross_effect"].value == 0
    for name in ("net_effect", "success_measure", "buffer_displacement", "wdq"):
        assert result.measures[name].value is None
        assert "no incidents in either period" in result.measures[name].interpretation
    assert result.measures["total_net_effect"].value is None
    assert result.verdict.code == "too_few"
    assert result.verdict.headline == "Too few incidents to say"
    assert all(m.small_numbers for m in result.measures.values())
    assert result.frame()["value"].isna().sum() == 5


def test_target_before_zero_has_no_effect_to_displace():
    # Rb=0 Ra=5 | Db=Da=50 | Cb=Ca=100
    # SM = 5/100 - 0/100 = +0.05 >= 0: nothing fell, so WDQ is undefined (not 0, not inf).
    # TNE = (0 - 5) + (50 - 50) = -5
    result = assess(ImpactCounts(0, 5, 50, 50, 100, 100))
    assert result.measures["success_measure"].value == pytest.approx(0.05)
    assert result.measures["wdq"].value is None
    assert "did not fall" in result.measures["wdq"].interpretation
    assert result.measures["total_net_effect"].value == pytest.approx(-5)
    assert result.verdict.code == "too_few"


def test_control_before_zero():
    # Cb = 0: Ca/Cb and Rb/Cb are undefined; the target's own change is still reported.
    result = assess(ImpactCounts(100, 50, 40, 40, 0, 30))
    assert result.measures["gross_effect"].value == 50
    for name in ("net_effect", "success_measure", "wdq", "total_net_effect"):
        assert result.measures[name].value is None
        assert "control area had no incidents before" in result.measures[name].interpretation
    assert result.verdict.code == "too_few"


def test_control_after_zero_points_at_missing_data():
    result = assess(ImpactCounts(100, 50, 40, 40, 30, 0))
    assert result.measures["wdq"].value is None
    assert "missing data" in result.measures["wdq"].interpretation


def test_empty_ring_before_and_after():
    # Rb=100 Ra=50 | Db=Da=0 | Cb=Ca=200
    # BDM = 0/200 - 0/200 = 0 ; SM = -0.25 ; WDQ = 0 (not -0.0) ; TNE = 50 + 0 = 50
    result = assess(ImpactCounts(100, 50, 0, 0, 200, 200))
    assert result.measures["buffer_displacement"].value == 0
    assert result.measures["wdq"].value == 0 and str(result.measures["wdq"].value) == "0.0"
    assert result.measures["wdq"].small_numbers
    assert result.measures["total_net_effect"].value == pytest.approx(50)
    assert result.verdict.code == "fell"
    assert "too few incidents in the surrounding ring" in result.verdict.headline


def test_small_number_rule_boundaries():
    # Target before 19 (< 20) is small; 20 is not. Control 9 in a period is small.
    assert assess(ImpactCounts(19, 5, 50, 50, 100, 100)).measures["net_effect"].small_numbers
    assert not assess(ImpactCounts(20, 5, 50, 50, 100, 100)).measures["net_effect"].small_numbers
    assert assess(ImpactCounts(100, 50, 50, 50, 100, 9)).verdict.code == "too_few"
    # A target that fell to 0 is an outcome, not a small number.
    assert not assess(ImpactCounts(60, 0, 50, 50, 100, 100)).measures["wdq"].small_numbers


def test_rate_ratio_z_hand_worked():
    # log(50/100) - log(100/100) = -0.693147 ; se = sqrt(1/50 + 1/100 + 1/100 + 1/100)
    # = sqrt(0.05) = 0.223607 ; z = -3.0998
    assert rate_ratio_z(50, 100, 100, 100) == pytest.approx(-3.0998, abs=1e-4)
    # A zero gets Haldane's +0.5 on every count instead of log(0).
    assert np.isfinite(rate_ratio_z(0, 30, 100, 100))


@pytest.mark.parametrize(
    ("counts", "code", "headline"),
    [
        # target 200 -> 100 against a flat control: clearly fell; ring 200 -> 320 rose
        # by more than the target fell (WDQ = 120 / -100 = -1.2)
        (
            (200, 100, 200, 320, 1000, 1000),
            "displacement_exceeds",
            "Crime fell in the target area but more than that moved to the surrounding ring",
        ),
        (
            (200, 100, 200, 250, 1000, 1000),
            "displacement",
            "Crime fell in the target area and partly moved to the surrounding ring",
        ),
        (
            (200, 100, 200, 140, 1000, 1000),
            "diffusion",
            "Crime fell and the area around also benefited (diffusion of benefits)",
        ),
        (
            (200, 100, 200, 205, 1000, 1000),
            "fell_contained",
            "Crime fell in the target area and did not measurably move to the surrounding ring",
        ),
        ((200, 190, 200, 200, 1000, 1000), "no_change", "No measurable change"),
        # target unchanged while the control halved: relatively worse
        (
            (200, 200, 200, 200, 1000, 500),
            "rose",
            "Crime rose in the target area compared with the control area",
        ),
        ((15, 2, 200, 200, 1000, 1000), "too_few", "Too few incidents to say"),
    ],
)
def test_verdicts(counts, code, headline):
    result = verdict(ImpactCounts(*counts))
    assert (result.code, result.headline) == (code, headline)
    assert f"Target area {counts[0]} before, {counts[1]} after" in result.detail


def test_counts_reject_negative():
    with pytest.raises(ValueError):
        ImpactCounts(-1, 0, 0, 0, 0, 0)


def test_equal_periods_from_dates():
    # Action 1-31 March 2024; data 1 Jan 2023 to 30 June 2024 (inclusive).
    # After: 1 April to 1 July = 91 days; before: the 91 days ending 1 March.
    p = equal_periods(date(2024, 3, 1), date(2024, 3, 31), date(2023, 1, 1), date(2024, 6, 30))
    assert p.after_start == datetime(2024, 4, 1)
    assert p.after_end == datetime(2024, 7, 1)
    assert p.before_end == datetime(2024, 3, 1)
    assert p.before_start == datetime(2023, 12, 1)
    assert p.days == 91
    capped = equal_periods(
        date(2024, 3, 1), date(2024, 3, 31), date(2023, 1, 1), date(2024, 6, 30), max_days=30
    )
    assert (capped.before_start, capped.after_end) == (datetime(2024, 1, 31), datetime(2024, 5, 1))


def test_equal_periods_too_short_is_a_user_error():
    with pytest.raises(ObservatoryError, match="after the action ended"):
        equal_periods(date(2024, 3, 1), date(2024, 6, 20), date(2023, 1, 1), date(2024, 6, 30))
    with pytest.raises(ObservatoryError, match="ends"):
        equal_periods(date(2024, 3, 1), date(2024, 2, 1), date(2023, 1, 1), date(2024, 6, 30))


def test_rings_and_metre_buffers():
    home = h3i.latlng_to_cell(*NAIROBI, 9)
    assert ring_cells({home}) == set(h3i.grid_disk(home, 1)) - {home}
    # Neighbouring res-9 centres are ~350 m apart, the next ring ~600 m.
    assert ring_cells({home}, metres=450) == set(h3i.grid_disk(home, 1)) - {home}
    assert ring_cells({home}, metres=800) == set(h3i.grid_disk(home, 2)) - {home}
    assert cells_within_metres(*NAIROBI, 0) == {home}
    assert cells_within_metres(*h3i.cell_to_latlng(home), 450) == set(h3i.grid_disk(home, 1))
    with pytest.raises(ObservatoryError):
        ring_cells(set())


def test_count_areas_hand_worked_and_overlap_rejected():
    p = equal_periods(date(2024, 3, 1), date(2024, 3, 31), date(2024, 1, 1), date(2024, 4, 29))
    # Data end 29 April inclusive -> 29 days after: after = [1 Apr, 30 Apr),
    # before = [1 Feb, 1 Mar) (2024 is a leap year).
    assert p.days == 29
    cells = np.array([1, 1, 1, 2, 3, 3, 9])
    times = np.array(
        ["2024-02-10", "2024-02-20", "2024-04-05", "2024-04-06", "2024-02-03", "2024-04-28",
         "2024-02-10"],
        dtype="datetime64[ns]",
    )  # fmt: skip
    night = np.array([True, False, True, True, False, False, True])
    c = count_areas(cells, times, p, {1}, {2}, {3})
    assert c.as_tuple() == (2, 1, 0, 1, 1, 1)
    assert count_areas(cells, times, p, {1}, {2}, {3}, night).as_tuple() == (1, 1, 0, 1, 0, 0)
    with pytest.raises(ObservatoryError, match="control area shares 1 cells"):
        count_areas(cells, times, p, {1}, {2}, {2, 3})


def test_match_control_picks_cells_with_the_same_trend():
    months = pd.period_range("2023-01", "2023-12", freq="M")
    rising = np.arange(1, 13) * 2
    flat = np.full(12, 10)
    table = pd.DataFrame(
        [rising * 3, rising, rising + 1, flat, flat + 1, rising[::-1], rising, [0] * 12],
        index=[100, 101, 102, 103, 104, 105, 106, 107],
        columns=months,
    )
    # target 100 rises; 106 is in the ring; 101 and 102 rise like it.
    chosen = match_control(table, target={100}, exclude={106}, k=2)
    assert chosen["cell"].tolist() == [101, 102]
    assert chosen["chi2"].iloc[0] == pytest.approx(0)
    assert chosen["correlation"].iloc[0] == pytest.approx(1)
    assert 106 not in match_control(table, {100}, {106}, k=10)["cell"].tolist()
    assert 107 not in match_control(table, {100}, {106}, k=10)["cell"].tolist()
    with pytest.raises(ObservatoryError, match="choose the control cells yourself"):
        match_control(table, target={107}, exclude=set())


def _simulate_lighting(rng):
    """A year before and a year after a street-lighting action. Night robbery in the
    target falls by 40% and half of the prevented robberies move to the ring; day
    crime is untouched; every area rises 10% in the after year (a city trend)."""
    centre = h3i.latlng_to_cell(*NAIROBI, 9)
    target = set(h3i.grid_disk(centre, 1))  # 7 cells
    ring = ring_cells(target)  # 12 cells
    others = sorted(set(h3i.grid_disk(centre, 8)) - set(h3i.grid_disk(centre, 3)))
    start, action_end, days = datetime(2022, 1, 1), datetime(2023, 1, 1), 365
    rows = []

    def emit(cells, rate, period_start, night, trend):
        for cell in cells:
            n = rng.poisson(rate * days * trend)
            offsets = rng.uniform(0, days, n)
            rows.extend((cell, period_start + timedelta(days=o), night) for o in offsets)

    for after, origin, trend in ((False, start, 1.0), (True, action_end, 1.1)):
        cut = 0.6 if after else 1.0
        emit(target, 0.8 * cut, origin, True, trend)  # ~2,000 night robberies a year
        emit(ring, 0.3, origin, True, trend)
        emit(others, 0.2, origin, True, trend)
        emit(target | ring, 0.05, origin, False, trend)  # day crime
        if after:  # half of the 0.4 x 0.8 x 7 x 365 x 1.1 prevented move to the ring
            moved = rng.poisson(0.5 * 0.4 * 0.8 * len(target) * days * 1.1)
            for _ in range(moved):
                cell = sorted(ring)[rng.integers(len(ring))]
                rows.append((cell, action_end + timedelta(days=rng.uniform(0, days)), True))
    frame = pd.DataFrame(rows, columns=["cell", "at", "night"])
    return frame, target, ring, others


def test_planted_lighting_action_is_recovered():
    rng = np.random.default_rng(20240501)
    frame, target, ring, others = _simulate_lighting(rng)
    periods = equal_periods(
        datetime(2023, 1, 1), datetime(2023, 1, 1), datetime(2022, 1, 1), datetime(2024, 1, 1)
    )
    assert periods.days == 365
    monthly = monthly_counts(frame["cell"], frame["at"], periods.before_start, periods.before_end)
    control = set(match_control(monthly, target, ring, k=100)["cell"])
    assert control <= set(others)
    report = impact_report(
        frame["cell"], frame["at"], frame["night"], periods, target, ring, control
    )
    night = report["night"]
    # Expected WDQ = -(0.5 x 0.4) / 0.4 = -0.5; TNE > 0 (half the prevented stay prevented).
    assert night.measures["wdq"].value == pytest.approx(-0.5, abs=0.15)
    assert night.measures["total_net_effect"].value > 0
    assert night.verdict.code == "displacement"
    assert night.verdict.headline == (
        "Crime fell in the target area and partly moved to the surrounding ring"
    )
    # Day crime is unchanged, so all incidents show the same displacement, diluted.
    assert report["all"].counts.target_before > night.counts.target_before
    assert report["all"].measures["wdq"].value < 0
