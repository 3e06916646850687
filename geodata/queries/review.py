"""Reads for the place review page: the texts the ETL could not place (or placed
with a confidence below the auto-accept setting), most frequent first, each with
where its rows are now and what the gazetteer suggests.

A text is the pair (location_text, ward_text) as the agencies wrote it; its rows are
re-placed together when a reviewer saves a choice (geodata.linkage_store.replace_text),
so the queue counts rows per pair, across agencies.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, text

from geodata.cache import cached
from geodata.gazetteer.matching import auto_accept
from geodata.gazetteer.normalise import normalise_place
from geodata.gazetteer.store import load_index

QUEUE_COLUMNS = (
    "alias_text",  # what an alias is saved under: the location text, else the ward text
    "location_text",
    "ward_text",
    "records",
    "agencies",
    "method",  # the commonest geocode_method of its rows
    "confidence",  # the lowest confidence of its placed rows (None: none placed)
    "ward_code",  # the commonest ward its rows are in now
    "ward_name",
    "place_name",
    "suggestions",  # tuple of dicts: value (place:ID | ward:CODE), label, lat, lon
)

_QUEUE = text(
    """
    SELECT i.location_text, i.ward_text, count(*) AS records,
           count(DISTINCT i.agency_id) AS agencies,
           mode() WITHIN GROUP (ORDER BY i.geocode_method) AS method,
           min(i.geocode_confidence) AS confidence,
           mode() WITHIN GROUP (ORDER BY i.ward_code) AS ward_code,
           mode() WITHIN GROUP (ORDER BY i.place_id) AS place_id
    FROM incidents i
    WHERE i.geocode_method <> 'gps'
      AND (i.geocode_method = 'unresolved' OR i.geocode_confidence < :accept)
      AND coalesce(btrim(i.location_text), btrim(i.ward_text), '') <> ''
    GROUP BY i.location_text, i.ward_text
    ORDER BY count(*) DESC, i.location_text NULLS LAST, i.ward_text NULLS LAST
    LIMIT :limit
    """
)


def alias_text_of(location_text: str | None, ward_text: str | None) -> str | None:
    """The text an alias is saved under: the location text, or the ward text when the
    row has no usable location (the same key linkage_store.replace_text matches)."""
    return location_text if normalise_place(location_text) else ward_text


def _names(engine: Engine) -> tuple[dict, dict]:
    """Ward names by code and (name, ward code, lat, lon) of places by id."""
    with engine.connect() as conn:
        wards = dict(conn.execute(text("SELECT code, name FROM wards")).all())
        places = {
            int(row[0]): tuple(row[1:])
            for row in conn.execute(
                text("SELECT id, name, ward_code, ST_Y(geom), ST_X(geom) FROM places")
            )
        }
    return wards, places


def _suggestion(candidate, wards: dict, places: dict) -> dict:
    ward = wards.get(candidate.ward_code, candidate.ward_code or "no ward")
    if candidate.place_id is None:
        return {
            "value": f"ward:{candidate.ward_code}",
            "label": f"{candidate.name} ward (the ward only, no point)",
            "lat": None,
            "lon": None,
        }
    _, _, lat, lon = places.get(candidate.place_id, (None, None, None, None))
    return {
        "value": f"place:{candidate.place_id}",
        "label": f"{candidate.name}, {ward} ward",
        "lat": lat,
        "lon": lon,
    }


@cached
def review_queue(engine: Engine, limit: int = 500) -> pd.DataFrame:
    """QUEUE_COLUMNS for the `limit` most frequent texts needing review."""
    with engine.connect() as conn:
        rows = pd.DataFrame(
            conn.execute(_QUEUE, {"accept": auto_accept(), "limit": int(limit)}).mappings().all(),
            columns=[
                "location_text", "ward_text", "records", "agencies", "method", "confidence",
                "ward_code", "place_id",
            ],
        )  # fmt: skip
    if rows.empty:
        return pd.DataFrame(columns=list(QUEUE_COLUMNS))
    wards, places = _names(engine)
    index = load_index(engine)
    found = index.resolve(
        [(loc, ward, ()) for loc, ward in zip(rows.location_text, rows.ward_text, strict=True)]
    )
    rows["alias_text"] = [
        alias_text_of(loc, ward)
        for loc, ward in zip(rows.location_text, rows.ward_text, strict=True)
    ]
    rows["ward_name"] = [wards.get(code) for code in rows["ward_code"]]
    rows["place_name"] = [
        places[int(p)][0] if pd.notna(p) and int(p) in places else None for p in rows["place_id"]
    ]
    rows["suggestions"] = [
        tuple(_suggestion(c, wards, places) for c in f.candidates) for f in found
    ]
    rows = rows[list(QUEUE_COLUMNS)].copy()
    text_columns = ["location_text", "ward_text", "ward_code", "ward_name", "place_name"]
    rows[text_columns] = rows[text_columns].astype(object).where(rows[text_columns].notna(), None)
    return rows


@cached
def places_near(engine: Engine, lat: float, lon: float, limit: int = 30) -> pd.DataFrame:
    """The gazetteer places nearest a point (id, name, kind, ward_name, lat, lon,
    metres), to pick from on the map when no suggestion is right."""
    with engine.connect() as conn:
        return pd.read_sql(
            text(
                "SELECT p.id, p.name, p.kind, w.name AS ward_name, ST_Y(p.geom) AS lat, "
                "ST_X(p.geom) AS lon, ST_Distance(p.geom::geography, "
                "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS metres "
                "FROM places p LEFT JOIN wards w ON w.code = p.ward_code "
                "ORDER BY p.geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT :limit"
            ),
            conn,
            params={"lat": float(lat), "lon": float(lon), "limit": int(limit)},
        )


@cached
def ward_centre(engine: Engine, ward_code: str) -> tuple[float, float] | None:
    """(lat, lon) of a point inside the ward, or None for an unknown code."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)) "
                "FROM wards WHERE code = :c"
            ),
            {"c": ward_code},
        ).one_or_none()
    return None if row is None else (float(row[0]), float(row[1]))


def _like_pattern(typed: str) -> str:
    """`typed` as an ILIKE pattern matching it anywhere, its wildcards taken literally."""
    escaped = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@cached
def places_matching(engine: Engine, typed: str, limit: int = 50) -> pd.DataFrame:
    """Gazetteer places whose name or an alias contains `typed` (any case): id, name,
    kind, ward_name, lat, lon, aliases (joined by "; "); names starting with it
    first, then shorter names. For the reviewer's search box: the gazetteer is too
    large to send whole."""
    typed = " ".join(typed.split())
    if not typed:
        return pd.DataFrame(columns=["id", "name", "kind", "ward_name", "lat", "lon", "aliases"])
    with engine.connect() as conn:
        return pd.read_sql(
            text(
                "SELECT p.id, p.name, p.kind, w.name AS ward_name, ST_Y(p.geom) AS lat, "
                "ST_X(p.geom) AS lon, array_to_string(p.aliases, '; ') AS aliases "
                "FROM places p LEFT JOIN wards w ON w.code = p.ward_code "
                "WHERE p.name ILIKE :pattern "
                "   OR EXISTS (SELECT 1 FROM unnest(p.aliases) a WHERE a ILIKE :pattern) "
                "ORDER BY p.name NOT ILIKE :prefix, length(p.name), p.name, p.id LIMIT :limit"
            ),
            conn,
            params={
                "pattern": _like_pattern(typed),
                "prefix": _like_pattern(typed)[1:],
                "limit": int(limit),
            },
        )


# The ward boundaries around a view, clipped to it: the review map shows a few
# kilometres, and the national outline layer weighed hundreds of kilobytes.
_LINES_NEAR = text(
    """
    WITH view AS (SELECT ST_MakeEnvelope(:west, :south, :east, :north, 4326) AS env)
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'features', coalesce(json_agg(json_build_object(
            'type', 'Feature',
            'id', w.code,
            'properties', json_build_object('name', w.name),
            'geometry', ST_AsGeoJSON(ST_Intersection(ST_Boundary(w.geom), view.env), 5)::json
        ) ORDER BY w.code), '[]'::json)
    )
    FROM wards w, view WHERE w.geom && view.env
    """
)


@cached
def ward_lines_near(engine: Engine, bounds: tuple[float, float, float, float]) -> dict:
    """Ward boundaries inside `bounds` (west, south, east, north) as line features."""
    west, south, east, north = (float(b) for b in bounds)
    with engine.connect() as conn:
        return conn.execute(
            _LINES_NEAR, {"west": west, "south": south, "east": east, "north": north}
        ).scalar_one()
