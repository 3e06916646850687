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
