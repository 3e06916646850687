"""H3 (v4) cells for the observatory: integer form in the database, hex strings at
the edges (exports, map feature ids)."""

from __future__ import annotations

from collections.abc import Iterable

import h3
import numpy as np

RESOLUTIONS = (7, 8, 9)  # stored: the h3_7, h3_8 and h3_9 columns
FINEST = 9
# What a map may draw: the stored resolutions and their parents down to 4 (Kenya in
# about 370 cells), derived from h3_7 by the same bit arithmetic as `parents`.
MAP_RESOLUTIONS = (4, 5, 6, 7, 8, 9)

_RES_SHIFT = 52
_RES_MASK = np.int64(0xF) << _RES_SHIFT


def _digits_mask(res: int) -> np.int64:
    """Bits of the per-resolution digits finer than `res` (3 bits each, 15 levels)."""
    return np.int64((1 << (3 * (15 - res))) - 1)


def points_to_cells(lat: np.ndarray, lon: np.ndarray, res: int = FINEST) -> np.ndarray:
    """Cell ids (int64) at `res` for WGS84 points; 0 where a coordinate is missing."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    out = np.zeros(lat.shape, dtype=np.int64)
    valid = np.isfinite(lat) & np.isfinite(lon)
    to_cell = h3.api.basic_int.latlng_to_cell
    out[valid] = [to_cell(a, b, res) for a, b in zip(lat[valid], lon[valid], strict=True)]
    return out


def parents(cells: np.ndarray, res: int) -> np.ndarray:
    """Parents of int64 cells at coarser `res`, by bit arithmetic (no per-cell call).

    An H3 index stores its resolution in bits 52-55 and one 3-bit digit per level;
    the parent sets the resolution and marks finer digits unused (7). Zeros stay 0.
    """
    cells = np.asarray(cells, dtype=np.int64)
    out = (cells & ~_RES_MASK) | (np.int64(res) << _RES_SHIFT) | _digits_mask(res)
    return np.where(cells == 0, 0, out)


def cell_sql(res: int) -> str:
    """The SQL expression of a row's cell at `res` (one of MAP_RESOLUTIONS): the stored
    column, or for coarser resolutions the parent of h3_7 (as `parents` computes it)."""
    if res not in MAP_RESOLUTIONS:
        raise ValueError(f"H3 resolution must be one of {MAP_RESOLUTIONS}, not {res!r}")
    if res in RESOLUTIONS:
        return f"h3_{res}"
    digits = (1 << (3 * (15 - res))) - 1
    return f"((h3_7 & ~(15::bigint << {_RES_SHIFT})) | ({res}::bigint << {_RES_SHIFT}) | {digits})"


def resolution_of(cells: np.ndarray) -> np.ndarray:
    """The resolution of each int64 cell (bits 52-55)."""
    return (np.asarray(cells, dtype=np.int64) >> _RES_SHIFT) & 0xF


def fitting_resolution(cells: np.ndarray, res: int, budget: int, coarsest: int = 4) -> int:
    """The finest resolution, from `res` down to `coarsest`, at which the distinct
    parents of `cells` (int64 cells at `res`) number at most `budget`; `coarsest`
    when none fits. A map draws one polygon per cell: past a few tens of thousands
    the browser (a phone most of all) stalls and the response runs to megabytes."""
    cells = np.unique(np.asarray(cells, dtype=np.int64))
    level = res
    while level > coarsest and len(cells) > budget:
        level -= 1
        cells = np.unique(parents(cells, level))
    return level


# Cell outlines never change, whatever the data: a bounded memo per process spares
# the C call per cell (15 us: 210 ms for the 14,000 resolution-6 cells of a national
# map) on every map drawn after the first. 65,536 outlines hold about 14 MB.
_OUTLINES: dict[int, np.ndarray] = {}
_OUTLINES_MAX = 65_536


def cell_ring_array(cells: Iterable[int], decimals: int | None = None) -> np.ndarray | None:
    """Closed rings of hexagons as an (n, 7, 2) array of (lon, lat): the vertices of
    h3.cell_to_boundary, rounded to `decimals` when given. None when a pentagon (five
    or, with distortion vertices, more; none lie in Kenya) is among the cells.

    One C call per cell not seen before in this process, then numpy for the rest:
    reordering, rounding and closing thousands of rings costs milliseconds."""
    boundary = h3.api.basic_int.cell_to_boundary
    latlng = []
    for cell in cells:
        ring = _OUTLINES.get(cell := int(cell))
        if ring is None:
            vertices = boundary(cell)
            if len(vertices) != 6:
                return None
            ring = np.asarray(vertices, dtype=float)
            if len(_OUTLINES) >= _OUTLINES_MAX:
                _OUTLINES.clear()
            _OUTLINES[cell] = ring
        latlng.append(ring)
    if not latlng:
        return np.empty((0, 7, 2))
    return _closed(np.stack(latlng), decimals)


def cell_rings(cells: Iterable[int], decimals: int | None = None) -> list[list[list[float]]]:
    """The closed ring of each cell as [[lon, lat], ...] (GeoJSON order), the vertices
    of h3.cell_to_boundary rounded to `decimals` when given."""
    cells = [int(c) for c in cells]
    rings = cell_ring_array(cells, decimals)
    if rings is not None:
        return rings.tolist()
    boundary = h3.api.basic_int.cell_to_boundary
    return [_closed(np.asarray(boundary(c), dtype=float), decimals).tolist() for c in cells]


def _closed(latlng: np.ndarray, decimals: int | None) -> np.ndarray:
    lonlat = latlng[..., ::-1]
    if decimals is not None:
        lonlat = np.round(lonlat, decimals)
    return np.ascontiguousarray(np.concatenate([lonlat, lonlat[..., :1, :]], axis=-2))


def points_to_cell_columns(lat: np.ndarray, lon: np.ndarray) -> dict[int, np.ndarray]:
    """{7: cells, 8: cells, 9: cells} for each point, computing H3 once per point."""
    finest = points_to_cells(lat, lon, FINEST)
    return {res: (finest if res == FINEST else parents(finest, res)) for res in RESOLUTIONS}


def to_hex(cell: int) -> str:
    return h3.int_to_str(int(cell))


def from_hex(cell: str) -> int:
    return h3.str_to_int(cell)


def cells_geojson(cells: Iterable[int]) -> dict:
    """A FeatureCollection of cell polygons, each feature's id the cell's hex string."""
    cells = [int(c) for c in cells]
    rings = cell_rings(cells)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": to_hex(cell),
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
            for cell, ring in zip(cells, rings, strict=True)
        ],
    }
