"""Text-placed incidents share their count over their place's reach before Gi*
(geodata.stats.hotspots.reach_shares, share_over_reach)."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from geodata.h3grid import FINEST, parents, points_to_cells
from geodata.stats.hotspots import reach_shares, share_over_reach

# A market in a Kenyan town (near the demo's centre).
LAT, LON = -0.7999, 36.9502


def _own_cell(res: int) -> int:
    return int(parents(points_to_cells(np.array([LAT]), np.array([LON]), FINEST), res)[0])


@pytest.mark.parametrize(("reach", "res"), [(400.0, 9), (1000.0, 9), (1000.0, 8), (400.0, 7)])
def test_reach_shares_cover_the_disc(reach, res):
    shares = reach_shares(LAT, LON, reach, res)
    assert shares.sum() == pytest.approx(1.0)
    assert _own_cell(res) in shares.index
    # Every cell holding a share touches the disc: its centre is within the reach plus
    # the cell's circumradius (the edge length), plus the parent's offset at coarse res.
    edge = h3.average_hexagon_edge_length(res, "m")
    for cell in shares.index:
        lat, lon = h3.cell_to_latlng(h3.int_to_str(int(cell)))
        assert h3.great_circle_distance((LAT, LON), (lat, lon), "m") < reach + 2 * edge
    # The disc's area over a cell's: about that many cells share it at res 9.
    if res == 9:
        cells_in_disc = np.pi * reach**2 / h3.average_hexagon_area(res, "m^2")
        assert 0.6 * cells_in_disc < len(shares) < 2.5 * cells_in_disc + 3


def test_share_over_reach_keeps_every_incident_and_moves_only_the_placed():
    res = 9
    own = _own_cell(res)
    far = int(h3.str_to_int(h3.latlng_to_cell(LAT + 0.05, LON, res)))  # 5.5 km north
    counts = pd.DataFrame({"cell": [own, far], "count": [30.0, 4.0]})
    placed = pd.DataFrame(
        {"cell": [own], "lat": [LAT], "lon": [LON], "reach_m": [400.0], "count": [25.0]}
    )
    spread = share_over_reach(counts, placed, res).set_index("cell")["count"]
    assert spread.sum() == pytest.approx(34.0)
    assert spread[far] == 4.0  # untouched: no place near it
    # The 5 incidents with their own position stay; 25 are shared over ~17 cells.
    shares = reach_shares(LAT, LON, 400.0, res)
    assert spread[own] == pytest.approx(5.0 + 25.0 * shares[own])
    assert spread.drop([own, far]).max() < 25.0 / 5
    assert set(spread.index) == set(shares.index) | {far}


def test_share_over_reach_refuses_placed_counts_its_cells_do_not_hold():
    own = _own_cell(9)
    counts = pd.DataFrame({"cell": [own], "count": [3.0]})
    placed = pd.DataFrame(
        {"cell": [own], "lat": [LAT], "lon": [LON], "reach_m": [400.0], "count": [5.0]}
    )
    with pytest.raises(ValueError, match="outnumber"):
        share_over_reach(counts, placed, 9)
