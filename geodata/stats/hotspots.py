"""Getis-Ord Gi* hot spots on an H3 grid, with Benjamini-Hochberg FDR correction.

Plain data in and out: cell ids are int64 H3 indexes (as stored in the database),
counts are numbers per cell. The steps, each usable on its own:

    cells = study_grid(count_cells, area_cells)      # which cells take part
    w = contiguity_weights(cells, k=1)               # binary, self included
    z, p = gi_star(y, w)                             # Ord & Getis (1995) z-scores
    q = fdr_bh(p)                                    # Benjamini & Hochberg (1995)
    bins = confidence_bins(z, q)                     # Esri's Gi_Bin, -3..3

`hotspots()` runs them all and returns one row per cell. Incidents placed from a
location text sit on their gazetteer place's point, though the text only says they
were within the place's reach: `share_over_reach()` spreads them over the cells of
that disc before the count goes in. `scale_note()` says when a resolution cannot
show street-scale hot spots. See docs/methods.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import h3
import numpy as np
import pandas as pd
from scipy import sparse, special

from geodata.h3grid import FINEST, parents, points_to_cells

# Esri's advice: with fewer features the grid's mean and spread are too unsteady for
# a z-score to mean much.
MIN_CELLS = 30
# The resolution whose neighbourhood (about 1 km across) matches a street-scale hot
# spot, a market or a bus stage a few hundred metres across (docs/methods.md).
STREET_SCALE_RES = FINEST

# Esri's Gi_Bin: +-3 = 99 %, +-2 = 95 %, +-1 = 90 % confidence, 0 = not significant.
CONFIDENCE_LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
LABELS = {
    3: "hot 99",
    2: "hot 95",
    1: "hot 90",
    0: "not significant",
    -1: "cold 90",
    -2: "cold 95",
    -3: "cold 99",
}

_grid_disk = h3.api.basic_int.grid_disk
_resolution = h3.api.basic_int.get_resolution
# Sample points across a reach's diameter: ~200 in the disc, so a share is good to
# about 0.5 % of the place's count at every resolution used (7-9).
_REACH_SAMPLES = 16
_METRES_PER_DEGREE = 111_320.0


def _as_cells(cells: Iterable[int] | np.ndarray) -> np.ndarray:
    return np.asarray(list(cells) if not isinstance(cells, np.ndarray) else cells, np.int64)


def _check_one_resolution(cells: np.ndarray) -> None:
    if cells.size == 0:
        return
    # The resolution sits in bits 52-55 of every index: one vectorised check.
    res = (cells >> 52) & 0xF
    if (res != res[0]).any():
        raise ValueError("H3 cells of different resolutions cannot share one grid")


def study_grid(
    count_cells: Iterable[int] | np.ndarray,
    area_cells: Iterable[int] | np.ndarray | None = None,
    pad: int | None = None,
) -> np.ndarray:
    """The sorted, unique cells that take part in a hot-spot analysis.

    Gi* compares each neighbourhood with the whole grid, so cells with no incidents
    must be in it too, or every cell would look average. With `area_cells` (e.g. all
    cells covering the wards in view) the grid is those cells plus any cell with
    counts. Without it, the cells with counts are padded with their `pad`-ring
    (default 1) so that empty surroundings count as observed zeros. `pad` defaults to
    0 with an area: cells beyond the wards in view are zero only because they were
    filtered out, and counting them would bias the edge cells.
    """
    counted = _as_cells(count_cells)
    area = _as_cells(area_cells) if area_cells is not None else np.empty(0, np.int64)
    if pad is None:
        pad = 0 if area_cells is not None else 1
    parts = [counted, area]
    if pad > 0 and counted.size:
        ring = np.fromiter(
            (c for cell in np.unique(counted).tolist() for c in _grid_disk(cell, pad)),
            dtype=np.int64,
        )
        parts.append(ring)
    grid = np.unique(np.concatenate(parts))
    grid = grid[grid != 0]
    _check_one_resolution(grid)
    return grid


def reach_shares(lat: float, lon: float, reach_m: float, res: int) -> pd.Series:
    """Share of a disc of radius `reach_m` around a point falling in each H3 cell at
    `res` (index: int64 cell, values sum to 1), from an even lattice of points.

    Cells are found as the database stores them (a point's finest cell, then its
    parents), so shares land in the cells `cell_counts` reports.
    """
    cells, shares = _reach_shares(float(lat), float(lon), float(reach_m), int(res))
    return pd.Series(shares, index=pd.Index(cells, dtype=np.int64))


@lru_cache(maxsize=1 << 16)
def _reach_shares(lat: float, lon: float, reach_m: float, res: int) -> tuple[tuple, tuple]:
    # Cached: a gazetteer's places are few and every filter change asks for them again.
    steps = np.linspace(-1.0, 1.0, _REACH_SAMPLES + 1)
    dx, dy = (a.ravel() for a in np.meshgrid(steps, steps))
    inside = dx**2 + dy**2 <= 1.0
    north = dy[inside] * reach_m / _METRES_PER_DEGREE
    east = dx[inside] * reach_m / (_METRES_PER_DEGREE * np.cos(np.radians(lat)))
    cells = parents(points_to_cells(lat + north, lon + east, FINEST), res)
    found, n = np.unique(cells, return_counts=True)
    return tuple(found.tolist()), tuple((n / n.sum()).tolist())


def share_over_reach(counts: pd.DataFrame, placed: pd.DataFrame, res: int) -> pd.DataFrame:
    """Cell counts with the incidents placed at named places spread evenly over each
    place's reach: every incident still counts once in all (as on the aoristic clock).

    counts: cell, count -- every incident, the placed ones in the cell of their point.
    placed: cell, lat, lon, reach_m, count -- the part of `counts` that sits on a
        place's point (lat, lon) in `cell`, known only to within `reach_m` metres.
    Returns cell, count: summed per cell, sorted, empty cells dropped.
    """
    parts = [counts[["cell", "count"]], placed[["cell"]].assign(count=-placed["count"])]
    for lat, lon, reach, n in placed[["lat", "lon", "reach_m", "count"]].itertuples(index=False):
        shares = reach_shares(lat, lon, reach, res)
        parts.append(pd.DataFrame({"cell": shares.index, "count": shares.to_numpy() * n}))
    summed = pd.concat(parts).groupby("cell", sort=True)["count"].sum()
    if (summed < -1e-6).any():
        raise ValueError("placed incidents outnumber the counts of the cells they lie in")
    summed = summed[summed > 1e-9]  # a place's own cell, emptied, leaves float dust
    return summed.rename_axis("cell").reset_index()


def neighbourhood_km(res: int, k: int = 1) -> float:
    """About how far across a cell's neighbourhood (its k-ring) reaches, in km:
    2k + 1 cells of sqrt(3) x the average edge length each."""
    return (2 * k + 1) * np.sqrt(3.0) * h3.average_hexagon_edge_length(res, unit="km")


def scale_note(res: int, n_cells: int, k: int = 1) -> str | None:
    """What a reader of a Gi* map at `res` must know about its scale, or None.

    Gi* finds clusters the size of a neighbourhood. A hot spot smaller than one cell
    is a single high cell among ordinary neighbours, which is what chance gives too:
    on the demo, 0 of 9 planted hot spots are significant at resolution 8 and 8 of 9
    at 9 (docs/methods.md). A grid under MIN_CELLS is too small to judge against.
    """
    notes = []
    if n_cells < MIN_CELLS:
        notes.append(
            f"Only {n_cells} hexagons take part: Gi* needs at least {MIN_CELLS} to mean "
            "much. Use smaller hexagons or a wider area."
        )
    if res < STREET_SCALE_RES or k > 1:
        notes.append(
            f"At this size Gi* compares areas about {neighbourhood_km(res, k):.0f} km across: "
            "it shows which part of the area is busier. A hot spot a few hundred metres "
            "across (a market, a bus stage, a bar) fills one hexagon and is diluted by "
            "its neighbours, so it is rarely significant: use the small hexagons "
            f"(resolution {STREET_SCALE_RES}) to find those."
        )
    return " ".join(notes) or None


def neighbour_lists(cells: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """CSR-style neighbour lists (indptr, indices) among `cells` (sorted, unique).

    Neighbours of cell i are the cells of h3 grid_disk(i, k) that are in the grid,
    itself included (Gi* counts the focal cell). Rows are sorted by position.
    """
    cells = np.asarray(cells, dtype=np.int64)
    if cells.size and (np.diff(cells) <= 0).any():
        raise ValueError("cells must be sorted and unique (use study_grid)")
    disks = [_grid_disk(cell, k) for cell in cells.tolist()]
    lengths = np.fromiter((len(d) for d in disks), dtype=np.int64, count=len(disks))
    flat = np.fromiter((c for d in disks for c in d), dtype=np.int64, count=int(lengths.sum()))
    rows = np.repeat(np.arange(cells.size), lengths)
    pos = np.searchsorted(cells, flat)
    pos_clipped = np.minimum(pos, max(cells.size - 1, 0))
    inside = (pos < cells.size) & (cells[pos_clipped] == flat)
    rows, cols = rows[inside], pos[inside]
    order = np.lexsort((cols, rows))
    rows, cols = rows[order], cols[order]
    indptr = np.zeros(cells.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=cells.size), out=indptr[1:])
    return indptr, cols


def contiguity_weights(cells: np.ndarray, k: int = 1) -> sparse.csr_matrix:
    """Binary weights w_ij = 1 when j is within k grid steps of i (w_ii = 1)."""
    indptr, indices = neighbour_lists(cells, k)
    data = np.ones(indices.size, dtype=float)
    return sparse.csr_matrix((data, indices, indptr), shape=(cells.size, cells.size))


def gi_star(y: np.ndarray, weights: sparse.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided normal p-values (Ord & Getis 1995, eq. 14).

    `weights` must already hold the self-weights w_ii (contiguity_weights does).
    `y` is one column of values per cell, or a 2-D array (cells x time steps) in
    which case each column is an independent analysis against its own mean.

        z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1)))

    with W_i = sum_j w_ij, S1_i = sum_j w_ij^2, xbar and S the mean and the
    population standard deviation of x over all n cells. A grid with no variation
    (all cells equal), or a neighbourhood that is the whole grid, gives z = 0.
    """
    y = np.asarray(y, dtype=float)
    column = y.ndim == 1
    y2 = y[:, None] if column else y
    n = y2.shape[0]
    if n == 0:
        return y.copy(), y.copy()
    w = sparse.csr_matrix(weights)
    w_sum = np.asarray(w.sum(axis=1)).ravel()[:, None]
    w_sq = np.asarray(w.multiply(w).sum(axis=1)).ravel()[:, None]
    mean = y2.mean(axis=0)
    std = np.sqrt(np.maximum((y2**2).mean(axis=0) - mean**2, 0.0))
    numerator = np.asarray(w @ y2) - w_sum * mean
    spread = np.sqrt(np.maximum(n * w_sq - w_sum**2, 0.0) / max(n - 1, 1))
    denominator = std * spread
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denominator > 0, numerator / denominator, 0.0)
    p = 2.0 * special.ndtr(-np.abs(z))
    return (z[:, 0], p[:, 0]) if column else (z, p)


def fdr_bh(p: np.ndarray, axis: int = 0) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), along `axis`.

    q_(i) = min over k >= i of p_(k) n / k, capped at 1. A cell is significant at
    level alpha after FDR correction exactly when q <= alpha, which is Esri's and
    sfhotspot's step-up procedure applied at each confidence level.
    """
    # Work along the last, contiguous axis: sorting down a column is slow.
    p = np.ascontiguousarray(np.moveaxis(np.asarray(p, dtype=float), axis, -1))
    n = p.shape[-1]
    if n == 0:
        return np.moveaxis(p, -1, axis)
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1)
    scaled = ranked * n / np.arange(1, n + 1)
    # Running minimum from the largest p downwards keeps q monotone in p.
    q_sorted = np.minimum.accumulate(scaled[..., ::-1], axis=-1)[..., ::-1]
    q = np.empty_like(q_sorted)
    np.put_along_axis(q, order, np.minimum(q_sorted, 1.0), axis=-1)
    return np.moveaxis(q, -1, axis)


def confidence_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Esri's Gi_Bin: +3/+2/+1 where p <= 0.01/0.05/0.10 and z > 0, negative for z < 0."""
    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    level = np.zeros(z.shape, dtype=np.int64)
    for value, alpha in reversed(CONFIDENCE_LEVELS):
        level[p <= alpha] = value
    return (level * np.sign(z)).astype(np.int64)


def hotspots(
    counts: pd.DataFrame,
    area_cells: Iterable[int] | np.ndarray | None = None,
    k: int = 1,
    fdr: bool = True,
    pad: int | None = None,
) -> pd.DataFrame:
    """Gi* hot and cold spots for counts per H3 cell.

    counts: columns `cell` (int64 H3) and `count`; repeated cells are summed.
    area_cells: the cells of the study area (zero where no incident); see study_grid.
    k: neighbourhood radius in grid steps (1 = the cell and its 6 neighbours).
    fdr: classify on Benjamini-Hochberg q-values (default) rather than raw p.

    Returns one row per grid cell, sorted by cell: cell, count, neighbours (cells in
    the neighbourhood, self included), gi_z, p_value, q_value, bin (-3..3), label.
    """
    summed = counts.groupby("cell", sort=True)["count"].sum()
    cells = study_grid(summed.index.to_numpy(np.int64), area_cells, pad)
    y = summed.reindex(cells, fill_value=0).to_numpy(dtype=float)
    w = contiguity_weights(cells, k)
    z, p = gi_star(y, w)
    q = fdr_bh(p)
    bins = confidence_bins(z, q if fdr else p)
    return pd.DataFrame(
        {
            "cell": cells,
            "count": y,
            "neighbours": np.diff(w.indptr).astype(np.int64),
            "gi_z": z,
            "p_value": p,
            "q_value": q,
            "bin": bins,
            "label": pd.Series(bins).map(LABELS).to_numpy(),
        }
    )
