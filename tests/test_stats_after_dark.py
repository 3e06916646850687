"""After-dark lens (issue #5 item 5): per-cell after-dark shares, lighting coverage,
and dark hot spots with no light planned."""

import numpy as np
import pandas as pd
import pytest
from h3.api import basic_int as h3i

from geodata.stats.after_dark import (
    after_dark_lens,
    after_dark_shares,
    dark_hotspots_unlit,
    dark_probability,
    lit_cells,
)

CENTRE = h3i.latlng_to_cell(-1.2833, 36.8167, 9)


def test_shares_hand_worked():
    # cell 1: 4 incidents, 3 after dark -> 0.75 ; cell 2: 2 incidents, 0 -> 0.0
    # cell 3: 2 windowed incidents, 0.5 and 0.25 likely dark -> 0.75 / 2 = 0.375
    # overall: (3 + 0 + 0.75) / 8 = 0.46875 -> lift of cell 1 = 0.75 / 0.46875 = 1.6
    # (small test ids stand in for H3 cells: the shares do not look at geometry)
    cells = np.array([1, 1, 1, 1, 2, 2, 3, 3])
    dark = np.array([1, 1, 1, 0, 0, 0, 0.5, 0.25])
    table = after_dark_shares(cells, dark).set_index("cell")
    assert table.loc[1, "incidents"] == 4 and table.loc[1, "after_dark"] == 3
    assert table.loc[1, "share"] == pytest.approx(0.75)
    assert table.loc[2, "share"] == 0
    assert table.loc[3, "share"] == pytest.approx(0.375)
    assert table.loc[1, "lift"] == pytest.approx(1.6)
    assert after_dark_shares(cells, dark)["cell"].tolist() == [1, 3, 2]


def test_unknown_times_count_as_incidents_but_not_in_the_share():
    # cell 1: 3 incidents, one with no time of day -> known 2, 1 dark -> share 0.5
    table = after_dark_shares(np.array([1, 1, 1]), np.array([1.0, 0.0, np.nan]))
    row = table.iloc[0]
    assert (row["incidents"], row["known"], row["after_dark"]) == (3, 2, 1)
    assert row["share"] == pytest.approx(0.5)
    only_unknown = after_dark_shares(np.array([7]), np.array([np.nan]))
    assert np.isnan(only_unknown["share"].iloc[0])


def test_dark_probability_from_sun_times_in_nairobi():
    # Nairobi: sunrise about 06:30, sunset about 18:45 all year.
    frame = pd.DataFrame(
        {
            "occurred_from": pd.to_datetime(
                ["2024-05-10 22:00", "2024-05-10 12:00", "2024-05-10 00:00", "2024-05-10 23:00"]
            ),
            "occurred_to": pd.to_datetime([None, None, None, "2024-05-11 11:00"]),
            "time_known": [True, True, False, True],
            "lat": -1.2833,
            "lon": 36.8167,
        }
    )
    p = dark_probability(frame)
    assert p[0] == 1 and p[1] == 0 and np.isnan(p[2])
    # 23:00 to 11:00: dark until ~06:30 -> about 7.5 of 12 hours.
    assert p[3] == pytest.approx(7.5 / 12, abs=0.03)


def test_shares_reject_bad_flags():
    with pytest.raises(ValueError):
        after_dark_shares(np.array([1, 2]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        after_dark_shares(np.array([1, 2]), np.array([1.0]))


def test_lighting_coverage():
    ring = set(h3i.grid_ring(CENTRE, 1))
    assert lit_cells([[CENTRE], [5]]) == {CENTRE, 5}
    assert lit_cells([[CENTRE]], reach=1) == ring | {CENTRE}
    assert lit_cells([]) == set()


def test_dark_hot_spots_with_no_light_planned():
    rng = np.random.default_rng(3)
    lit_dark, unlit_dark, unlit_day, small_dark = 101, 102, 103, 104
    cells, dark = [], []

    def add(cell, n, p):
        cells.extend([cell] * n)
        dark.extend(rng.random(n) < p)

    add(lit_dark, 40, 0.9)  # dark hot spot, but a lighting action covers it
    add(unlit_dark, 30, 0.9)  # the one to report
    add(unlit_day, 60, 0.2)  # busy but mostly daylight
    add(small_dark, 5, 1.0)  # all after dark, but only 5 incidents
    lens = after_dark_lens(np.array(cells), np.array(dark), lighting=[[lit_dark]])
    assert lens.set_index("cell").loc[lit_dark, "lit"]
    found = dark_hotspots_unlit(lens)
    assert found["cell"].tolist() == [unlit_dark]
    assert found["share"].iloc[0] > 0.6
    # Lower the count floor and the small cell appears too, after the bigger one.
    assert dark_hotspots_unlit(lens, min_count=5)["cell"].tolist() == [unlit_dark, small_dark]
    # Once a light is planned there, nothing is left to report.
    relit = after_dark_lens(np.array(cells), np.array(dark), [[lit_dark], [unlit_dark, 104]])
    assert dark_hotspots_unlit(relit, min_count=5).empty
