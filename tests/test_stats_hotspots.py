"""Gi* hot spots on H3: z-scores equal to PySAL esda, FDR equal to scipy, classes as Esri,
and the scale at which street-scale hot spots show."""

from __future__ import annotations

import warnings

import esda
import h3
import numpy as np
import pandas as pd
import pytest
from libpysal.weights import W
from scipy import stats

from geodata.h3grid import points_to_cells
from geodata.stats.hotspots import (
    LABELS,
    MIN_CELLS,
    confidence_bins,
    contiguity_weights,
    fdr_bh,
    gi_star,
    hotspots,
    neighbour_lists,
    neighbourhood_km,
    scale_note,
    study_grid,
)

hb = h3.api.basic_int
NAIROBI = hb.latlng_to_cell(-1.2864, 36.8172, 9)


def nairobi_grid(k: int = 12) -> np.ndarray:
    return np.sort(np.asarray(hb.grid_disk(NAIROBI, k), dtype=np.int64))


def planted_surface(cells: np.ndarray, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Poisson(2) background with a cluster of Poisson(12) on a cell 5 steps out."""
    rng = np.random.default_rng(seed)
    y = rng.poisson(2.0, cells.size).astype(float)
    hot_centre = hb.grid_ring(NAIROBI, 5)[0]
    cluster = np.searchsorted(cells, np.asarray(hb.grid_disk(hot_centre, 1), dtype=np.int64))
    y[cluster] = rng.poisson(12.0, cluster.size)
    return y, cluster


def esda_gi_star(cells: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """PySAL's Gi* on a W built from the same neighbour lists, self excluded: esda
    adds the unit diagonal itself for star=True with binary weights."""
    indptr, indices = neighbour_lists(cells, k)
    neighbours = {
        i: [int(j) for j in indices[indptr[i] : indptr[i + 1]] if j != i] for i in range(cells.size)
    }
    w = W(neighbours, id_order=list(range(cells.size)), silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(y, w, star=True, transform="B", permutations=0)
    return g.Zs


@pytest.mark.parametrize("k", [1, 2])
def test_gi_star_z_scores_equal_pysal(k):
    cells = nairobi_grid()
    y, _ = planted_surface(cells)
    z, p = gi_star(y, contiguity_weights(cells, k))
    expected = esda_gi_star(cells, y, k)
    assert np.allclose(z, expected, atol=1e-9, rtol=0)
    assert np.allclose(p, 2 * stats.norm.sf(np.abs(expected)), atol=1e-12)


def test_gi_star_on_a_cube_equals_one_column_at_a_time():
    cells = nairobi_grid(6)
    rng = np.random.default_rng(3)
    cube = rng.poisson(3.0, (cells.size, 5)).astype(float)
    w = contiguity_weights(cells)
    z, _ = gi_star(cube, w)
    for t in range(cube.shape[1]):
        assert np.allclose(z[:, t], esda_gi_star(cells, cube[:, t], 1), atol=1e-9, rtol=0)


def test_planted_cluster_is_hot_99_after_fdr():
    cells = nairobi_grid()
    y, cluster = planted_surface(cells)
    counts = pd.DataFrame({"cell": cells, "count": y})
    result = hotspots(counts[counts["count"] > 0], area_cells=cells)
    assert result["cell"].tolist() == cells.tolist()  # zero cells of the area kept
    hot_centre = hb.grid_ring(NAIROBI, 5)[0]
    centre_row = result.set_index("cell").loc[hot_centre]
    assert centre_row["label"] == "hot 99" and centre_row["bin"] == 3
    assert centre_row["neighbours"] == 7
    # Every "hot 99" cell touches the planted cluster.
    near = set(np.asarray(hb.grid_disk(hot_centre, 2), dtype=np.int64).tolist())
    assert set(result.loc[result["label"] == "hot 99", "cell"]) <= near
    assert (result.loc[result["cell"].isin(cells[cluster]), "bin"] > 0).all()


def test_random_noise_is_not_significant_after_fdr():
    cells = nairobi_grid()
    rng = np.random.default_rng(11)
    counts = pd.DataFrame({"cell": cells, "count": rng.poisson(3.0, cells.size)})
    corrected = hotspots(counts, area_cells=cells)
    raw = hotspots(counts, area_cells=cells, fdr=False)
    assert (corrected["bin"] != 0).sum() <= 2
    # Uncorrected, about 10 % of 469 cells look "significant at 90 %" by chance.
    assert (raw["bin"] != 0).sum() > 10 * max((corrected["bin"] != 0).sum(), 1)


def test_fdr_equals_scipy_benjamini_hochberg():
    rng = np.random.default_rng(5)
    p = np.concatenate([rng.uniform(size=400), rng.uniform(0, 0.001, size=30), [0.5, 0.5]])
    assert np.allclose(fdr_bh(p), stats.false_discovery_control(p, method="bh"), atol=1e-15)
    cube = rng.uniform(size=(200, 4)) ** 3
    expected = np.column_stack(
        [stats.false_discovery_control(cube[:, t], method="bh") for t in range(4)]
    )
    assert np.allclose(fdr_bh(cube, axis=0), expected, atol=1e-15)


def test_fdr_worked_example():
    # n = 4: p * n / rank = 0.04, 0.06, 0.0533.., 0.8; running minimum from the top.
    p = np.array([0.01, 0.03, 0.04, 0.8])
    assert np.allclose(fdr_bh(p), [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.8])


def test_confidence_bins_follow_esri_thresholds():
    z = np.array([3.0, 2.0, 1.7, 1.0, -1.7, -2.0, -3.0, 2.5])
    p = np.array([0.005, 0.03, 0.09, 0.3, 0.09, 0.04, 0.01, 0.1000001])
    assert confidence_bins(z, p).tolist() == [3, 2, 1, 0, -1, -2, -3, 0]
    assert [LABELS[b] for b in (3, -2, 0)] == ["hot 99", "cold 95", "not significant"]


def test_study_grid_with_area_adds_zero_cells_and_no_padding():
    area = nairobi_grid(3)
    outside = hb.grid_ring(NAIROBI, 10)[0]
    grid = study_grid([NAIROBI, outside], area_cells=area)
    assert set(grid.tolist()) == set(area.tolist()) | {outside}
    assert (np.diff(grid) > 0).all()


def test_study_grid_without_area_pads_counted_cells_with_their_ring():
    grid = study_grid([NAIROBI, NAIROBI])
    assert set(grid.tolist()) == set(hb.grid_disk(NAIROBI, 1))
    assert study_grid([NAIROBI], pad=2).size == 19


def test_study_grid_rejects_mixed_resolutions():
    with pytest.raises(ValueError, match="resolutions"):
        study_grid([NAIROBI, hb.cell_to_parent(NAIROBI, 8)])


def test_neighbour_lists_stop_at_the_edge_of_the_grid():
    cells = nairobi_grid(1)
    indptr, indices = neighbour_lists(cells)
    sizes = dict(zip(cells.tolist(), np.diff(indptr).tolist(), strict=True))
    assert sizes.pop(NAIROBI) == 7  # itself and its six neighbours
    assert set(sizes.values()) == {4}  # itself, the centre and two ring neighbours
    weights = contiguity_weights(cells)
    assert (weights != weights.T).nnz == 0 and weights.diagonal().tolist() == [1.0] * 7


def test_flat_surface_has_no_hot_spots():
    cells = nairobi_grid(4)
    result = hotspots(pd.DataFrame({"cell": cells, "count": 5}), area_cells=cells)
    assert (result["gi_z"] == 0).all()
    assert (result["label"] == "not significant").all()


def street_scale_town(seed: int = 11) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """An 8 km square town with 4,000 incidents spread evenly and nine street-scale
    hot spots of 250 incidents each (normal, sigma 200 m), 2.5 km apart: lat, lon
    of every incident and the hot spots' (lat, lon)."""
    rng = np.random.default_rng(seed)
    metres = 111_320.0
    lat0, lon0 = -1.2864, 36.8172
    centres = [(x, y) for x in (-2500, 0, 2500) for y in (-2500, 0, 2500)]
    xs, ys = [rng.uniform(-4000, 4000, 4000)], [rng.uniform(-4000, 4000, 4000)]
    for cx, cy in centres:
        xs.append(cx + rng.normal(0, 200.0, 250))
        ys.append(cy + rng.normal(0, 200.0, 250))
    scale = metres * np.cos(np.radians(lat0))
    lat, lon = lat0 + np.concatenate(ys) / metres, lon0 + np.concatenate(xs) / scale
    return lat, lon, [(lat0 + cy / metres, lon0 + cx / scale) for cx, cy in centres]


def test_street_scale_hot_spots_show_at_resolution_9_not_8():
    """Gi* finds clusters the size of its neighbourhood. Each hot spot fills about one
    resolution-8 cell: a single high cell among ordinary neighbours, which chance
    also gives, so none is significant (z about 2, well short of what the FDR over
    ~140 cells asks). At resolution 9 each spans a cell and its ring: all nine are
    hot at 99 %. The page says so at resolution 8 (scale_note)."""
    lat, lon, centres = street_scale_town()
    found = {}
    for res in (8, 9):
        cells = points_to_cells(lat, lon, res)
        gi = hotspots(pd.DataFrame({"cell": cells, "count": 1.0})).set_index("cell")
        at = [hb.latlng_to_cell(a, b, res) for a, b in centres]
        found[res] = (gi.loc[at, "bin"].tolist(), gi.loc[at, "gi_z"].to_numpy(), len(gi))
    assert found[9][0] == [3] * 9
    assert found[8][0] == [0] * 9 and (found[8][1] < 2.5).all()
    assert scale_note(9, found[9][2]) is None
    note = scale_note(8, found[8][2])
    assert "resolution 9" in note and "3 km across" in note


def test_scale_note_on_too_small_a_grid():
    assert neighbourhood_km(9) == pytest.approx(1.04, abs=0.01)
    assert neighbourhood_km(8) == pytest.approx(2.76, abs=0.01)
    assert neighbourhood_km(9, k=2) == pytest.approx(5 / 3 * neighbourhood_km(9))
    assert scale_note(9, MIN_CELLS) is None
    note = scale_note(9, MIN_CELLS - 1)
    assert note.startswith(f"Only {MIN_CELLS - 1} hexagons") and "resolution 9" not in note
    assert "2 km across" in scale_note(9, 500, k=2)
