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
