"""Ward reads for the dashboard: outlines as GeoJSON, the ward table, attributions."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, text

from geodata.cache import cached

# Five decimals of a degree is about 1 m at the equator: finer than any ward
# boundary is drawn, and it keeps the national map payload small.
_DECIMALS = 5

_OUTLINES = text(
    """
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'features', coalesce(json_agg(
            json_build_object(
                'type', 'Feature',
                'id', code,
                'properties', json_build_object('name', name, 'county', county),
                'geometry', ST_AsGeoJSON(
                    ST_Multi(ST_SimplifyPreserveTopology(geom, :tolerance)), :decimals
                )::json
            ) ORDER BY code
        ), '[]'::json)
    )
    FROM wards
    """
)


@cached
def ward_outlines_geojson(engine: Engine, tolerance: float = 0.0005) -> dict:
    """Every ward as a FeatureCollection (feature id = ward code; properties name,
    county), simplified by `tolerance` degrees with shapes kept valid."""
    with engine.connect() as conn:
        return conn.execute(
            _OUTLINES, {"tolerance": float(tolerance), "decimals": _DECIMALS}
        ).scalar_one()


# Every boundary once (neighbouring wards share theirs), merged into long lines and
# simplified as lines, so shared edges stay shared. 0.001 degrees (about 110 m) is
# under a pixel at the zoom that fits a county, and four decimals (about 11 m) are
# finer than that: the national outline layer is a quarter of the polygons' bytes.
_LINES = text(
    """
    WITH merged AS (
        SELECT ST_Simplify(ST_LineMerge(ST_Union(ST_Boundary(geom))), :tolerance) AS g
        FROM wards
    )
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'features', CASE WHEN g IS NULL OR ST_IsEmpty(g) THEN '[]'::json ELSE json_build_array(
            json_build_object(
                'type', 'Feature',
                'properties', json_build_object(),
                'geometry', ST_AsGeoJSON(g, :decimals)::json
            )
        ) END
    )
    FROM merged
    """
)


@cached
def ward_lines_geojson(engine: Engine, tolerance: float = 0.001) -> dict:
    """The ward boundaries as one line feature for a map's outline layer: each
    shared edge drawn once, simplified by `tolerance` degrees. Empty without wards."""
    with engine.connect() as conn:
        return conn.execute(_LINES, {"tolerance": float(tolerance), "decimals": 4}).scalar_one()


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
