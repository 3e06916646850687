"""Ward reads for the dashboard: outlines as GeoJSON, the ward table, attributions."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pandas as pd
from sqlalchemy import Engine, text

from geodata.cache import cached

# Five decimals of a degree is about 1 m at the equator: finer than any ward
# boundary is drawn, and it keeps the national map payload small.
_DECIMALS = 5
# The shapes stored in `ward_shapes` (migration 0011 rebuilds them whenever wards
# change): these defaults are read there, any other tolerance is computed live by the
# same SQL functions. Merging the national boundaries alone took 1.3 s.
_LINES = ("lines", 0.001, 4)
_OUTLINES = ("outlines", 0.0005, _DECIMALS)
_STORED = text(
    "SELECT geojson, features, west, south, east, north FROM ward_shapes "
    "WHERE kind = :kind AND tolerance = :tolerance AND decimals = :decimals"
)
_LIVE = {
    "lines": text("SELECT ward_lines_json(:tolerance, :decimals)::text"),
    "outlines": text("SELECT ward_outlines_json(:tolerance, :decimals)::text"),
}


@dataclass(frozen=True)
class SerialisedShapes:
    """A FeatureCollection kept as the JSON text it is sent as: a map that only passes
    the outlines on to the browser never builds the Python lists of a national
    boundary (50 ms to parse, and every full garbage collection walks them after)."""

    geojson: orjson.Fragment
    features: int
    bbox: tuple[float, float, float, float] | None  # west, south, east, north


def _stored(engine: Engine, kind: str, tolerance: float, decimals: int):
    params = {"kind": kind, "tolerance": float(tolerance), "decimals": int(decimals)}
    with engine.connect() as conn:
        row = conn.execute(_STORED, params).one_or_none()
        if row is None:  # another tolerance, or the table emptied behind the trigger
            return conn.execute(_LIVE[kind], params).scalar_one(), None
    return row[0], row


def _shape(engine: Engine, kind: str, tolerance: float, decimals: int) -> dict:
    # orjson parses the national outlines ten times faster than psycopg's json.
    return orjson.loads(_stored(engine, kind, tolerance, decimals)[0])


@cached
def ward_outlines_geojson(engine: Engine, tolerance: float = _OUTLINES[1]) -> dict:
    """Every ward as a FeatureCollection (feature id = ward code; properties name,
    county), simplified by `tolerance` degrees with shapes kept valid; "bbox" is
    [west, south, east, north] of the drawn coordinates (absent without wards)."""
    return _shape(engine, "outlines", tolerance, _DECIMALS)


# Every boundary once (neighbouring wards share theirs), merged into long lines and
# simplified as lines, so shared edges stay shared. 0.001 degrees (about 110 m) is
# under a pixel at the zoom that fits a county, and four decimals (about 11 m) are
# finer than that: the national outline layer is a quarter of the polygons' bytes.
@cached
def ward_lines_geojson(engine: Engine, tolerance: float = _LINES[1]) -> dict:
    """The ward boundaries as one line feature for a map's outline layer: each
    shared edge drawn once, simplified by `tolerance` degrees, with a "bbox". Empty
    without wards."""
    return _shape(engine, "lines", tolerance, _LINES[2])


def _serialised(engine: Engine, kind: str, tolerance: float, decimals: int) -> SerialisedShapes:
    geojson, row = _stored(engine, kind, tolerance, decimals)
    if row is None:
        parsed = orjson.loads(geojson)
        bbox = parsed.get("bbox")
        features = len(parsed["features"])
    else:
        features = row.features
        bbox = None if row.west is None else (row.west, row.south, row.east, row.north)
    return SerialisedShapes(
        orjson.Fragment(geojson), features, tuple(float(v) for v in bbox) if bbox else None
    )


@cached
def ward_lines_serialised(engine: Engine) -> SerialisedShapes:
    """`ward_lines_geojson()` as SerialisedShapes (same features and bbox)."""
    return _serialised(engine, *_LINES)


@cached
def ward_outlines_serialised(engine: Engine) -> SerialisedShapes:
    """`ward_outlines_geojson()` as SerialisedShapes: 1.8 MB of national polygons
    that take 150 ms to parse."""
    return _serialised(engine, *_OUTLINES)


@cached
def ward_table(engine: Engine) -> pd.DataFrame:
    """code, name, county, constituency, population of every ward, by county and name."""
    with engine.connect() as conn:
        return pd.read_sql(
            text(
                "SELECT code, name, county, constituency, population FROM wards "
                "ORDER BY county NULLS LAST, name, code"
            ),
            conn,
            dtype={"population": "Int64"},
        )


@cached
def ward_attributions(engine: Engine) -> list[str]:
    """The distinct citations of the loaded boundaries, to show under every map."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT attribution FROM wards WHERE attribution IS NOT NULL "
                "ORDER BY attribution"
            )
        ).scalars()
        return list(rows)
