"""Adaptive small-count suppression for the public app: properties over seeded grids
and hand-worked cases."""

from __future__ import annotations

from datetime import datetime

import h3
import numpy as np
import pandas as pd
import pytest

from geodata.errors import ObservatoryError
from geodata.stats import suppression as sp

NAIROBI = (-1.2864, 36.8172)


def _grid(seed: int, n_parents: int = 6) -> pd.DataFrame:
    """Aggregated rows (h3_8, h3_7, ward_code, count) around Nairobi.

    Counts are small and skewed (many 0-4, a few large) so every branch is taken;
    wards are assigned per res-8 cell, some cells split over two wards, some rows
    have no ward, some no cell.
    """
    rng = np.random.default_rng(seed)
    centre = h3.latlng_to_cell(*NAIROBI, 5)
    parents7 = sorted(h3.cell_to_children(centre, 7))
    parents7 = [parents7[i] for i in rng.choice(len(parents7), n_parents, replace=False)]
    wards = [f"W{i:02d}" for i in range(4)]
    rows = []
    for parent in parents7:
        for child in h3.cell_to_children(parent, 8):
            for ward in rng.choice(wards, size=rng.integers(1, 3), replace=False):
                count = int(rng.choice([0, 1, 1, 2, 3, 4, 5, 6, 9, 15]))
                rows.append((h3.str_to_int(child), ward, count))
    for ward in wards:  # placed on a ward by name only: no cell
        rows.append((0, ward, int(rng.integers(0, 6))))
    rows.append((h3.str_to_int(h3.cell_to_children(parents7[0], 8)[0]), None, 2))
    rows.append((0, None, int(rng.integers(0, 8))))
    frame = pd.DataFrame(rows, columns=["h3_8", "ward_code", "count"])
    frame["h3_7"] = [
        0 if c == 0 else h3.str_to_int(h3.cell_to_parent(h3.int_to_str(c), 7))
        for c in frame["h3_8"]
    ]
    return frame


def _events(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per event, with an event id, so set arguments can be made exactly."""
    events = rows.loc[rows.index.repeat(rows["count"])].drop(columns="count")
    events["h3_7"] = np.where(events["h3_8"] == 0, 0, [int(x) for x in np.asarray(events["h3_7"])])
    return events.reset_index(drop=True).rename_axis("event").reset_index()


def _check_no_differencing(events: pd.DataFrame, units: list[sp.DisplayUnit], t: int) -> None:
    """An attacker who subtracts the shown children from a shown parent (or from a
    shown ward) learns only that parent's own shown number; and a group's remainder
    that is not shown is in no number at all."""
    shown_h3_8 = {u.unit_id: u.count for u in units if u.unit_type == "h3_8"}
    shown_h3_7 = {u.unit_id: u.count for u in units if u.unit_type == "h3_7"}
    shown_ward = {u.unit_id: u.count for u in units if u.unit_type == "ward"}
    in_shown_8 = events["h3_8"].isin(list(shown_h3_8))
    for parent, parent_count in shown_h3_7.items():
        under = events[events["h3_7"] == parent]
        children = sum(c for cell, c in shown_h3_8.items() if under["h3_8"].eq(cell).any())
        assert len(under) - children == parent_count >= t
    for ward, ward_count in shown_ward.items():
        of_ward = events[
            events["ward_code"].eq(ward) if ward is not None else events["ward_code"].isna()
        ]
        finer = of_ward["h3_8"].isin(list(shown_h3_8)) | of_ward["h3_7"].isin(list(shown_h3_7))
        assert int((~finer).sum()) == ward_count >= t
    # A parent whose children were all shown separately shows nothing on top.
    for parent in shown_h3_7:
        assert not in_shown_8[events["h3_7"] == parent].all()
    assert in_shown_8.sum() == sum(shown_h3_8.values())


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("threshold", [3, 5, 8])
def test_properties_on_random_grids(seed, threshold):
    rows = _grid(seed)
    units = sp.adaptive_units(rows, threshold)
    assigned = sp.assign_units(rows, threshold)

    # Every shown count reaches the threshold; suppressed units carry no number.
    for unit in units:
        if unit.unit_type == "suppressed":
            assert unit.count is None and unit.label == f"fewer than {threshold}"
        else:
            assert unit.count >= threshold and unit.label == str(unit.count)

    # Totals conserved: shown + suppressed = total, each row counted in one unit.
    total = int(rows["count"].sum())
    hidden = int(assigned.loc[assigned["unit_type"] == "suppressed", "count"].sum())
    assert sp.shown_total(units) + hidden == total
    assert (assigned.loc[assigned["unit_type"] == "none", "count"] == 0).all()
    for unit in units:
        mine = assigned[
            (assigned["unit_type"] == unit.unit_type)
            & assigned["unit_id"].map(lambda x, u=unit.unit_id: x == u)
        ]
        if unit.count is not None:
            assert int(mine["count"].sum()) == unit.count
        else:
            assert 0 < int(mine["count"].sum()) < threshold

    # One suppressed unit per ward at most, and never a ward both shown and suppressed.
    suppressed = [u.unit_id for u in units if u.unit_type == "suppressed"]
    wards = [u.unit_id for u in units if u.unit_type == "ward"]
    assert len(suppressed) == len(set(suppressed))
    assert not set(suppressed) & set(wards)

    _check_no_differencing(_events(rows), units, threshold)


def test_random_grids_take_every_branch():
    """The property test is only worth something if all four unit types occur."""
    seen = set()
    for seed in range(40):
        seen |= {u.unit_type for u in sp.adaptive_units(_grid(seed), 5)}
    assert seen == {"h3_8", "h3_7", "ward", "suppressed"}


def test_the_differencing_check_catches_a_parent_showing_its_full_total():
    """A naive parent (full total, not the remainder) leaks the siblings' count."""
    rows = _grid(3)
    units = sp.adaptive_units(rows, 5)
    events = _events(rows)
    naive = [
        sp.DisplayUnit(u.unit_type, u.unit_id, int((events["h3_7"] == u.unit_id).sum()), "")
        if u.unit_type == "h3_7"
        else u
        for u in units
    ]
    assert naive != units
    with pytest.raises(AssertionError):
        _check_no_differencing(events, naive, 5)


def _cells():
    parent = h3.latlng_to_cell(*NAIROBI, 7)
    children = [h3.str_to_int(c) for c in sorted(h3.cell_to_children(parent, 8))]
    return h3.str_to_int(parent), children


def test_worked_example():
    parent, (a, b, c, d, *_rest) = _cells()
    rows = pd.DataFrame(
        {
            "h3_8": [a, b, c, d, 0],
            "ward_code": ["W1", "W1", "W1", "W2", "W2"],
            "count": [7, 2, 2, 3, 1],
        }
    )
    units = sp.adaptive_units(rows, 5)
    # a is shown alone; b + c + d = 7 under the parent -> the parent shows 7, not 14;
    # the event without a cell (1 in W2) is fewer than 5.
    assert units == [
        sp.DisplayUnit("h3_8", a, 7, "7"),
        sp.DisplayUnit("h3_7", parent, 7, "7"),
        sp.DisplayUnit("suppressed", "W2", None, "fewer than 5"),
    ]


def test_small_remainder_merges_into_the_ward_then_is_suppressed():
    _parent, (a, b, *_rest) = _cells()
    rows = pd.DataFrame({"h3_8": [a, b, 0], "ward_code": ["W1", "W1", "W1"], "count": [2, 1, 3]})
    assert sp.adaptive_units(rows, 5) == [sp.DisplayUnit("ward", "W1", 6, "6")]
    rows["count"] = [1, 1, 1]
    assert sp.adaptive_units(rows, 5) == [sp.DisplayUnit("suppressed", "W1", None, "fewer than 5")]


def test_event_rows_are_counted_and_h3_7_is_derived():
    _parent, (a, *_rest) = _cells()
    events = pd.DataFrame({"h3_8": [a] * 6, "ward_code": ["W1"] * 6})
    assert sp.adaptive_units(events, 5) == [sp.DisplayUnit("h3_8", a, 6, "6")]


@pytest.mark.parametrize("dtype", ["object", "Int64"])
def test_cell_ids_with_nulls_beside_them_round_trip_exactly(dtype):
    # A column with a NULL once went through float64, whose 53 bits turned every cell
    # id (about 2**59) into another cell: the public map then showed the wrong place.
    parent, (a, b, *_rest) = _cells()
    assert min(a, b, parent) > 2**53
    rows = pd.DataFrame(
        {
            "h3_8": pd.Series([a, a, b, None], dtype=dtype),
            "h3_7": pd.Series([None, parent, None, None], dtype=dtype),
            "ward_code": ["W1"] * 4,
            "count": [3, 3, 5, 1],
        }
    )
    assigned = sp.assign_units(rows, 5)
    assert assigned["h3_8"].tolist() == [a, a, b, 0]
    assert assigned["h3_7"].tolist() == [parent, parent, parent, 0]  # NULL: derived
    assert sp.adaptive_units(rows, 5) == [
        sp.DisplayUnit("h3_8", a, 6, "6"),
        sp.DisplayUnit("h3_8", b, 5, "5"),
        sp.DisplayUnit("suppressed", "W1", None, "fewer than 5"),
    ]


def test_cell_ids_already_rounded_to_floats_are_refused():
    _parent, (a, *_rest) = _cells()
    rows = pd.DataFrame({"h3_8": [float(a), np.nan], "ward_code": ["W1", "W1"]})
    with pytest.raises(ValueError, match="floats"):
        sp.adaptive_units(rows, 5)


def test_sensitive_categories_are_refused_on_the_hex_map():
    _parent, (a, *_rest) = _cells()
    rows = pd.DataFrame(
        {"h3_8": [a] * 6, "ward_code": ["W1"] * 6, "category": ["theft"] * 5 + ["child_abuse"]}
    )
    with pytest.raises(ValueError, match="sensitive"):
        sp.adaptive_units(rows, 5)


def test_threshold_floor_is_enforced(monkeypatch):
    _parent, (a, *_rest) = _cells()
    rows = pd.DataFrame({"h3_8": [a] * 3, "ward_code": ["W1"] * 3})
    with pytest.raises(ObservatoryError, match="below 3"):
        sp.adaptive_units(rows, 2)
    monkeypatch.setenv("OBSERVATORY_PUBLIC_MIN_COUNT", "2")
    with pytest.raises(ObservatoryError, match="OBSERVATORY_PUBLIC_MIN_COUNT"):
        sp.public_min_count()
    with pytest.raises(ObservatoryError):
        sp.adaptive_units(rows)
    monkeypatch.setenv("OBSERVATORY_PUBLIC_MIN_COUNT", "five")
    with pytest.raises(ObservatoryError, match="whole number"):
        sp.public_min_count()
    monkeypatch.setenv("OBSERVATORY_PUBLIC_MIN_COUNT", "3")
    assert sp.public_min_count() == 3
    assert sp.adaptive_units(rows) == [sp.DisplayUnit("h3_8", a, 3, "3")]
    monkeypatch.delenv("OBSERVATORY_PUBLIC_MIN_COUNT")
    assert sp.public_min_count() == 5


def test_series_and_totals():
    assert sp.suppress_counts([0, 4, 5, 12], 5) == [None, None, 5, 12]
    # One hidden value of 4: the total would reveal it.
    assert sp.table_total([4, 5, 12], 5) is None
    # Two hidden values summing to 7: the total reveals only their sum (>= 5).
    assert sp.table_total([3, 4, 5, 12], 5) == 24
    assert sp.table_total([5, 12], 5) == 17
    # A hidden zero is hidden too: showing the total would say "that month was 0".
    assert sp.table_total([0, 5], 5) is None


def test_clock_needs_twenty(monkeypatch):
    monkeypatch.delenv("OBSERVATORY_PUBLIC_MIN_COUNT", raising=False)
    assert not sp.clock_allowed(19)
    assert sp.clock_allowed(20)
    assert sp.clock_allowed(19.5, min_total=10)
    monkeypatch.setenv("OBSERVATORY_PUBLIC_MIN_COUNT", "25")
    assert not sp.clock_allowed(24)  # never below the count threshold either


def test_month_floor():
    assert sp.month_floor(datetime(2025, 3, 17, 22, 5)) == datetime(2025, 3, 1)
    series = pd.Series(pd.to_datetime(["2025-01-31 23:59", "2025-02-01 00:00"]))
    assert list(sp.month_floor(series)) == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]


def test_sensitive_by_ward_quarter():
    occurred = pd.to_datetime(
        ["2025-01-05"] * 5 + ["2025-03-30"] + ["2025-04-02"] * 4 + ["2025-02-01"] * 9
    )
    rows = pd.DataFrame(
        {
            "ward_code": ["W1"] * 10 + ["W2"] * 8 + [None],
            "category": ["sexual_violence"] * 10 + ["theft"] * 8 + ["child_abuse"],
            "occurred_from": occurred,
        }
    )
    out = sp.sensitive_by_ward_quarter(rows, 5)
    # Q1 in W1 has 6 sexual_violence events; Q2 has 4 (withheld); theft is not
    # sensitive; the event on no ward cannot be placed.
    assert out.to_dict("records") == [
        {"ward_code": "W1", "quarter": "2025-Q1", "category": "sexual_violence", "count": 6}
    ]
    assert sp.sensitive_by_ward_quarter(rows[rows["category"] == "theft"], 5).empty
