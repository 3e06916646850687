"""The public app's maps as small SVG images, drawn on the server.

Why not plotly: plotly.js alone is about 1.5 MB compressed, and the public app must
load in under 1 MB on a phone. An SVG of ward outlines and hexagons is a few tens of
kilobytes and needs no script at all. Coordinates are projected to the image's own
units (an equirectangular projection fitted to the wards shown) and rounded, so no
latitude or longitude reaches the browser, only the outlines of the shown cells.

Every number a map shows sits in a `data-count` attribute of the shape it colours
(tests read them); shapes of "fewer than N" carry no number at all.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

import h3
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.stats.suppression import DisplayUnit

WIDTH = 1000
MARGIN = 0.015  # degrees, about 1.7 km: more than a resolution-7 hexagon's radius
# Viridis in five steps, pale for few and dark for many: readable with every common
# colour-vision deficiency and in greyscale print.
COLOURS = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
BIN_EDGES = (10, 20, 50, 100)
BASE_FILL = "#f4f4f4"
OUTLINE = "#5b5b5b"
HATCH_ID = "fewer"
_HATCH = (
    f"<pattern id='{HATCH_ID}' patternUnits='userSpaceOnUse' width='8' height='8' "
    "patternTransform='rotate(45)'><rect width='8' height='8' fill='#e2e2e2'/>"
    "<line x1='0' y1='0' x2='0' y2='8' stroke='#8a8a8a' stroke-width='3'/></pattern>"
)


def bins(threshold: int) -> list[tuple[int, int | None]]:
    """[low, high) count ranges of the colour steps; the last is open (high None)."""
    edges = [threshold, *(e for e in BIN_EDGES if e > threshold)]
    edges = edges[: len(COLOURS)]
    return [(low, edges[i + 1] if i + 1 < len(edges) else None) for i, low in enumerate(edges)]


def colour_for(count: int, threshold: int) -> str:
    for i, (low, high) in enumerate(bins(threshold)):
        if count >= low and (high is None or count < high):
            return COLOURS[i]
    raise ValueError(f"a count of {count} is below the threshold {threshold}: never drawn")


@dataclass(frozen=True)
class Projection:
    """Longitude/latitude to image units: x east, y south, `WIDTH` units wide."""

    west: float
    north: float
    scale: float  # image units per degree of latitude
    kx: float  # cos(mid latitude): degrees of longitude are shorter away from the equator
    height: int

    @classmethod
    def fit(cls, bounds: Sequence[float], width: int = WIDTH) -> Projection:
        west, south, east, north = bounds
        kx = math.cos(math.radians((south + north) / 2))
        span_x = max((east - west) * kx, 1e-6)
        scale = width / span_x
        return cls(west, north, scale, kx, max(1, math.ceil((north - south) * scale)))

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (lon - self.west) * self.kx * self.scale, (self.north - lat) * self.scale


def _ring(coords: np.ndarray, proj: Projection, decimals: int) -> str:
    x, y = proj.xy(coords[:, 0], coords[:, 1])
    points = np.round(np.column_stack([x, y]), decimals)
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(points[1:] != points[:-1], axis=1)  # drop repeats after rounding
    points = points[keep]
    if len(points) < 3:
        return ""
    fmt = "{:.0f}" if decimals == 0 else f"{{:.{decimals}f}}"
    return "M" + " ".join(fmt.format(v) for v in points.ravel()) + "Z"


def polygon_path(geom: BaseGeometry, proj: Projection, decimals: int = 0) -> str:
    """SVG path data for a (multi)polygon, holes included (use fill-rule evenodd)."""
    parts = []
    for polygon in getattr(geom, "geoms", [geom]):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            parts.append(_ring(np.asarray(ring.coords), proj, decimals))
    return "".join(parts)


def cell_path(cell: int, proj: Projection) -> str:
    boundary = h3.cell_to_boundary(h3.int_to_str(int(cell)))
    coords = np.array([[lng, lat] for lat, lng in boundary], dtype=float)
    return _ring(coords, proj, 1)


@dataclass(frozen=True)
class WardShapes:
    """Projected ward outlines: code -> path data, in one image frame."""

    paths: Mapping[str, str]
    proj: Projection


def ward_shapes(codes: Sequence[str], geometries: Sequence[BaseGeometry]) -> WardShapes:
    """Fit a frame around the wards and project each of them once."""
    if not geometries:
        return WardShapes({}, Projection.fit((0.0, 0.0, 1.0, 1.0)))
    west, south, east, north = shapely.total_bounds(np.asarray(geometries, dtype=object))
    # A margin so hexagons astride the outer wards' edges are not cut off.
    proj = Projection.fit((west - MARGIN, south - MARGIN, east + MARGIN, north + MARGIN))
    return WardShapes(
        {code: polygon_path(g, proj) for code, g in zip(codes, geometries, strict=True)}, proj
    )


def _ward_id(code: str) -> str:
    return "w-" + "".join(ch if ch.isalnum() else "_" for ch in str(code))


def _document(shapes: WardShapes, body: Iterable[str], label: str) -> str:
    defs = [_HATCH] + [
        f"<path id='{_ward_id(code)}' d='{path}'/>" for code, path in shapes.paths.items() if path
    ]
    outlines = "".join(
        f"<use href='#{_ward_id(code)}'/>" for code, path in shapes.paths.items() if path
    )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {WIDTH} {shapes.proj.height}' "
        f"role='img' aria-label='{escape(label, quote=True)}' fill-rule='evenodd'>"
        f"<defs>{''.join(defs)}</defs>"
        f"<g fill='{BASE_FILL}' stroke='none'>{outlines}</g>"
        f"{''.join(body)}"
        f"<g fill='none' stroke='{OUTLINE}' stroke-width='1.2' stroke-linejoin='round'>"
        f"{outlines}</g></svg>"
    )


def _ward_fill(shapes: WardShapes, code: str, fill: str, attrs: str = "") -> str:
    if not shapes.paths.get(code):
        return ""
    return f"<use href='#{_ward_id(code)}' fill='{fill}'{attrs}/>"


def units_svg(units: Sequence[DisplayUnit], shapes: WardShapes, threshold: int, label: str) -> str:
    """The public hex map: ward remainders and "fewer than N" wards below, resolution-7
    cells above them, resolution-8 cells on top, ward outlines over everything."""
    layers: dict[str, list[str]] = {"suppressed": [], "ward": [], "h3_7": [], "h3_8": []}
    for unit in units:
        if unit.unit_type == "suppressed":
            if unit.unit_id is not None:
                layers["suppressed"].append(
                    _ward_fill(shapes, str(unit.unit_id), f"url(#{HATCH_ID})", " data-unit='fewer'")
                )
            continue
        count = int(unit.count)
        fill = colour_for(count, threshold)
        attrs = f" data-unit='{unit.unit_type}' data-count='{count}'"
        if unit.unit_type == "ward":
            if unit.unit_id is not None:
                layers["ward"].append(_ward_fill(shapes, str(unit.unit_id), fill, attrs))
        else:
            path = cell_path(int(unit.unit_id), shapes.proj)
            layers[unit.unit_type].append(
                f"<path d='{path}' fill='{fill}' stroke='#ffffff' stroke-width='0.6'{attrs}/>"
            )
    body = [f"<g>{''.join(parts)}</g>" for parts in layers.values() if parts]
    return _document(shapes, body, label)


def wards_svg(counts: Mapping[str, int], shapes: WardShapes, threshold: int, label: str) -> str:
    """A ward choropleth where only counts of at least `threshold` are coloured; every
    other ward is hatched as "fewer than N" (none and a few look the same)."""
    body = []
    for code in shapes.paths:
        if code in counts:
            count = int(counts[code])
            body.append(
                _ward_fill(
                    shapes,
                    code,
                    colour_for(count, threshold),
                    f" data-unit='ward' data-count='{count}'",
                )
            )
        else:
            body.append(_ward_fill(shapes, code, f"url(#{HATCH_ID})", " data-unit='fewer'"))
    return _document(shapes, [f"<g>{''.join(body)}</g>"], label)


def data_uri(svg: str) -> str:
    """`data:image/svg+xml` with only the characters a URL needs escaped: it stays
    text, so the callback response compresses well (base64 would not)."""
    escaped = (
        svg.replace("%", "%25")
        .replace("#", "%23")
        .replace("<", "%3C")
        .replace(">", "%3E")
        .replace('"', "'")
        .replace("\n", " ")
    )
    return "data:image/svg+xml;charset=utf-8," + escaped
