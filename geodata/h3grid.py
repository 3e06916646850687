"""H3 (v4) cells for the observatory: integer form in the database, hex strings at
the edges (exports, map feature ids)."""

from __future__ import annotations

from collections.abc import Iterable

import h3
import numpy as np

RESOLUTIONS = (7, 8, 9)
FINEST = 9

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
    features = []
    for cell in cells:
        hex_id = to_hex(cell)
        ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(hex_id)]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "id": hex_id,
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}
