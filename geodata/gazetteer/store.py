"""The gazetteer tables: places the team knows (loaded from CSV or GeoJSON) and the
aliases reviewers confirm. Reading them back gives the `PlaceIndex` the ETL matches
location texts against.

File format (what `observatory gazetteer load` accepts):
- CSV with a header `name,aliases,kind,latitude,longitude`: aliases separated by
  `|`, kind free text (market, stage, school ...), WGS84 decimal degrees.
- GeoJSON FeatureCollection of Point features whose properties hold name, aliases
  (a `|`-separated string or a list) and kind.
The ward is never read from the file: it is the loaded ward that covers the point.
Reloading a file replaces the places that file loaded before (matched by name, kind
and ward, so their ids, and the incidents pointing at them, survive).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from geodata import cache
from geodata.errors import ObservatoryError
from geodata.gazetteer.matching import PlaceIndex
from geodata.gazetteer.normalise import normalise_place

COLUMNS = ("name", "aliases", "kind", "latitude", "longitude")
_HEADER_SYNONYMS = {"lat": "latitude", "lon": "longitude", "lng": "longitude", "long": "longitude"}
# Kenya with a margin: a point outside is a typo or a swapped pair, never a place here.
_LAT_RANGE = (-5.0, 5.7)
_LON_RANGE = (33.5, 42.2)
_MAX_LISTED = 8


@dataclass(frozen=True)
class GazetteerRow:
    line: int  # CSV line or GeoJSON feature number, for messages
    name: str
    aliases: tuple[str, ...]
    kind: str | None
    lat: float
    lon: float


@dataclass(frozen=True)
class GazetteerLoad:
    source: str
    inserted: int
    updated: int
    removed: int
    outside_wards: tuple[str, ...]

    def summary(self) -> str:
        total = self.inserted + self.updated
        line = (
            f"loaded {total:,} places from {self.source} ({self.inserted:,} new, "
            f"{self.updated:,} kept, {self.removed:,} removed)"
        )
        if self.outside_wards:
            names = ", ".join(self.outside_wards[:_MAX_LISTED])
            more = ", ..." if len(self.outside_wards) > _MAX_LISTED else ""
            line += (
                f"; {len(self.outside_wards)} outside every loaded ward, kept without a "
                f"ward: {names}{more}"
            )
        return line


def _coordinate(value: object, column: str, bounds: tuple[float, float]) -> tuple[float, str]:
    """The number, or '' and the problem in words."""
    raw = "" if value is None else str(value).strip()
    try:
        number = float(raw)
    except ValueError:
        return math.nan, f"column {column}: {raw!r} is not a decimal number"
    if not math.isfinite(number) or not bounds[0] <= number <= bounds[1]:
        return math.nan, f"column {column}: {raw} is outside Kenya ({bounds[0]} to {bounds[1]})"
    return number, ""


def _row(line: int, values: dict, label: str) -> tuple[GazetteerRow | None, list[str]]:
    name = " ".join(str(values.get("name") or "").split())
    problems = [] if name else ["column name: empty (every place needs a name)"]
    lat, lat_problem = _coordinate(values.get("latitude"), "latitude", _LAT_RANGE)
    lon, lon_problem = _coordinate(values.get("longitude"), "longitude", _LON_RANGE)
    swapped = _coordinate(values.get("latitude"), "latitude", _LON_RANGE)[1] == "" and (
        _coordinate(values.get("longitude"), "longitude", _LAT_RANGE)[1] == ""
    )
    if swapped and lat_problem and lon_problem:
        problems.append("latitude and longitude look swapped (Kenya: latitude -5 to 5.7)")
    else:
        problems += [p for p in (lat_problem, lon_problem) if p]
    if problems:
        return None, [f"{label} {line}, {p}" for p in problems]
    aliases = values.get("aliases") or ()
    if isinstance(aliases, str):
        aliases = aliases.split("|")
    aliases = tuple(dict.fromkeys(a.strip() for a in aliases if a and str(a).strip()))
    kind = " ".join(str(values.get("kind") or "").split()).lower() or None
    return GazetteerRow(line, name, aliases, kind, lat, lon), []


def _read_csv(path: Path) -> tuple[list[tuple[int, dict]], str]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            content = path.read_text(encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
    reader = csv.DictReader(content.splitlines())
    header = {}
    for field in reader.fieldnames or []:
        key = field.strip().lower()
        header[field] = _HEADER_SYNONYMS.get(key, key)
    missing = {"name", "latitude", "longitude"} - set(header.values())
    if missing:
        raise ObservatoryError(
            f"{path}: the header needs columns {', '.join(COLUMNS)} (aliases and kind may "
            f"be empty); missing: {', '.join(sorted(missing))}."
        )
    rows = [
        (line, {header[k]: v for k, v in row.items() if k in header})
        for line, row in enumerate(reader, start=2)
    ]
    return rows, "row"


def _read_geojson(path: Path) -> tuple[list[tuple[int, dict]], str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ObservatoryError(f"{path}: not valid JSON ({exc}).") from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise ObservatoryError(f"{path}: expected a GeoJSON FeatureCollection of points.")
    rows = []
    for number, feature in enumerate(features, start=1):
        geometry = (feature or {}).get("geometry") or {}
        values = dict((feature or {}).get("properties") or {})
        if geometry.get("type") != "Point":
            values["latitude"] = values["longitude"] = f"a {geometry.get('type')} geometry"
        else:
            coords = list(geometry.get("coordinates") or []) + [None, None]
            values["longitude"], values["latitude"] = coords[0], coords[1]
        rows.append((number, values))
    return rows, "feature"


def read_gazetteer(path: Path | str) -> list[GazetteerRow]:
    """Validated rows of a gazetteer file; every bad row is named in one error."""
    path = Path(path)
    if not path.is_file():
        raise ObservatoryError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw, label = _read_csv(path)
    elif suffix in {".geojson", ".json"}:
        raw, label = _read_geojson(path)
    else:
        raise ObservatoryError(f"{path}: a gazetteer is a .csv or .geojson file.")
    rows, problems = [], []
    for line, values in raw:
        row, row_problems = _row(line, values, label)
        problems += row_problems
        if row is not None:
            rows.append(row)
    if problems:
        listed = "; ".join(problems[:_MAX_LISTED])
        more = f" (and {len(problems) - _MAX_LISTED} more)" if len(problems) > _MAX_LISTED else ""
        raise ObservatoryError(
            f"{path}: {len(problems)} problem(s), nothing loaded: {listed}{more}."
        )
    if not rows:
        raise ObservatoryError(f"{path}: no places in the file.")
    return rows


_STAGE = """
CREATE TEMP TABLE gazetteer_stage (
    line integer, name text, kind text, aliases text[], geom geometry(Point, 4326),
    ward_code text
) ON COMMIT DROP
"""
_SAME = """p.source = CAST(:source AS text) AND p.name = s.name
    AND p.kind IS NOT DISTINCT FROM s.kind AND p.ward_code IS NOT DISTINCT FROM s.ward_code"""


def _stage(conn: Connection, rows: list[GazetteerRow]) -> None:
    conn.execute(text(_STAGE))
    conn.execute(
        text(
            "INSERT INTO gazetteer_stage (line, name, kind, aliases, geom) VALUES "
            "(:line, :name, :kind, :aliases, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
        ),
        [
            {"line": r.line, "name": r.name, "kind": r.kind, "aliases": list(r.aliases),
             "lat": r.lat, "lon": r.lon}
            for r in rows
        ],
    )  # fmt: skip
    # A point on a shared boundary is covered by both wards: take one, the same each time.
    conn.execute(
        text(
            "UPDATE gazetteer_stage s SET ward_code = (SELECT w.code FROM wards w "
            "WHERE ST_Covers(w.geom, s.geom) ORDER BY w.code LIMIT 1)"
        )
    )


def _refuse_duplicates(conn: Connection, path: Path, label: str) -> None:
    duplicates = conn.execute(
        text(
            "SELECT name, kind, ward_code, array_agg(line ORDER BY line) FROM gazetteer_stage "
            "GROUP BY name, kind, ward_code HAVING count(*) > 1 ORDER BY min(line)"
        )
    ).all()
    if duplicates:
        listed = "; ".join(
            f"{label}s {', '.join(map(str, lines))}: {name!r} ({kind or 'no kind'}) twice in "
            f"ward {ward or '(none)'}"
            for name, kind, ward, lines in duplicates[:_MAX_LISTED]
        )
        raise ObservatoryError(
            f"{path}: {listed}. Give them distinct names (e.g. `{duplicates[0][0]} 2`) or "
            "keep one row."
        )


def load_gazetteer(engine: Engine, path: Path | str, source: str | None = None) -> GazetteerLoad:
    """Load or replace the places of one file, in one transaction."""
    path = Path(path)
    rows = read_gazetteer(path)
    label = "row" if path.suffix.lower() == ".csv" else "feature"
    source = source or path.name
    with engine.begin() as conn:
        if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM wards)")).scalar_one():
            raise ObservatoryError(
                "No wards are loaded: a place's ward comes from the ward boundaries. Run "
                "`observatory wards load PATH` first."
            )
        _stage(conn, rows)
        _refuse_duplicates(conn, path, label)
        params = {"source": source}
        updated = conn.execute(
            text(
                f"UPDATE places p SET aliases = s.aliases, geom = s.geom FROM gazetteer_stage s "
                f"WHERE {_SAME}"
            ),
            params,
        ).rowcount
        removed = conn.execute(
            text(
                f"DELETE FROM places p WHERE p.source = :source AND NOT EXISTS "
                f"(SELECT 1 FROM gazetteer_stage s WHERE {_SAME})"
            ),
            params,
        ).rowcount
        inserted = conn.execute(
            text(
                "INSERT INTO places (name, kind, aliases, geom, ward_code, source) "
                "SELECT s.name, s.kind, s.aliases, s.geom, s.ward_code, CAST(:source AS text) "
                f"FROM gazetteer_stage s WHERE NOT EXISTS (SELECT 1 FROM places p WHERE {_SAME}) "
                "ORDER BY s.line"
            ),
            params,
        ).rowcount
        outside = conn.execute(
            text("SELECT name FROM gazetteer_stage WHERE ward_code IS NULL ORDER BY line")
        ).scalars()
        cache.bump_version(conn)
        return GazetteerLoad(source, inserted, updated, removed, tuple(outside))


def load_index(engine: Engine) -> PlaceIndex:
    """Every place, ward name and reviewed alias, ready for `PlaceIndex.resolve`."""
    with engine.connect() as conn:
        places = conn.execute(
            text(
                "SELECT p.id, p.name, p.aliases, p.kind, ST_Y(p.geom) AS lat, "
                "ST_X(p.geom) AS lon, p.ward_code, ST_Distance(p.geom::geography, "
                "ST_Boundary(w.geom)::geography) AS boundary_m "
                "FROM places p LEFT JOIN wards w ON w.code = p.ward_code ORDER BY p.id"
            )
        ).mappings()
        places = [dict(p) for p in places]
        wards = conn.execute(text("SELECT code, name FROM wards ORDER BY code")).all()
        aliases = conn.execute(
            text("SELECT alias_text, place_id, ward_code FROM place_aliases ORDER BY id")
        ).all()
    return PlaceIndex.build(places, [tuple(w) for w in wards], [tuple(a) for a in aliases])


def add_alias(
    engine: Engine,
    alias_text: str,
    *,
    place_id: int | None = None,
    ward_code: str | None = None,
    created_by: str = "review",
) -> str:
    """Record that `alias_text` means a place (or a ward) from now on; returns its key.

    A reviewer's confirmation replaces any earlier alias with the same key."""
    key = normalise_place(alias_text)
    if not key:
        raise ObservatoryError(f"{alias_text!r} has no name left once normalised.")
    if (place_id is None) == (ward_code is None):
        raise ObservatoryError("An alias points at exactly one place or one ward.")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO place_aliases (alias_key, alias_text, place_id, ward_code, "
                "created_by) VALUES (:key, :text, :place_id, :ward_code, :by) "
                "ON CONFLICT (alias_key) DO UPDATE SET alias_text = EXCLUDED.alias_text, "
                "place_id = EXCLUDED.place_id, ward_code = EXCLUDED.ward_code, "
                "created_by = EXCLUDED.created_by, created_at = now()"
            ),
            {"key": key, "text": alias_text, "place_id": place_id, "ward_code": ward_code,
             "by": created_by},
        )  # fmt: skip
        cache.bump_version(conn)
    return key


def add_place(
    engine: Engine,
    name: str,
    kind: str | None,
    lat: float,
    lon: float,
    aliases: tuple[str, ...] = (),
) -> int:
    """A place a reviewer adds from the review page (source `review`); its ward is the
    loaded ward covering the point. Returns the new place's id."""
    row, problems = _row(
        1, {"name": name, "kind": kind, "latitude": lat, "longitude": lon, "aliases": aliases},
        "new place",
    )  # fmt: skip
    if row is None:
        raise ObservatoryError("; ".join(p.removeprefix("new place 1, ") for p in problems) + ".")
    with engine.begin() as conn:
        place_id = conn.execute(
            text(
                "INSERT INTO places (name, kind, aliases, geom, ward_code, source) "
                "SELECT :name, :kind, :aliases, g.geom, (SELECT w.code FROM wards w "
                "WHERE ST_Covers(w.geom, g.geom) ORDER BY w.code LIMIT 1), 'review' "
                "FROM (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geom) g "
                "RETURNING id"
            ),
            {"name": row.name, "kind": row.kind, "aliases": list(row.aliases),
             "lat": row.lat, "lon": row.lon},
        ).scalar_one()  # fmt: skip
        cache.bump_version(conn)
    return int(place_id)


def agency_usual_wards(engine: Engine, agency_id: int, min_share: float = 0.01) -> tuple[str, ...]:
    """The wards an agency reports from: those holding at least `min_share` of its
    GPS-placed incidents (a stray far-away point does not widen its area)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ward_code FROM (SELECT ward_code, count(*)::float / sum(count(*)) "
                "OVER () AS share FROM incidents WHERE agency_id = :agency AND "
                "geocode_method = 'gps' AND ward_code IS NOT NULL GROUP BY ward_code) t "
                "WHERE share >= :share ORDER BY ward_code"
            ),
            {"agency": agency_id, "share": min_share},
        ).scalars()
        return tuple(rows)


def agency_areas(engine: Engine, names: tuple[str, ...], min_share: float = 0.01) -> dict:
    """Agency name (as given) -> the wards it usually reports from: those holding at
    least `min_share` of its incidents placed by GPS or by a confident text match.
    Agencies not loaded yet (or with nothing placed) get no area."""
    from geodata.gazetteer.matching import auto_accept

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT lower(a.name) AS agency, t.ward_code FROM (SELECT agency_id, "
                "ward_code, count(*)::float / sum(count(*)) OVER (PARTITION BY agency_id) "
                "AS share FROM incidents WHERE ward_code IS NOT NULL AND (geocode_method = "
                "'gps' OR geocode_confidence >= :accept) GROUP BY agency_id, ward_code) t "
                "JOIN agencies a ON a.id = t.agency_id WHERE lower(a.name) = ANY(:names) "
                "AND t.share >= :share ORDER BY 1, 2"
            ),
            {"names": [n.lower() for n in names], "share": min_share, "accept": auto_accept()},
        ).all()
    found: dict[str, list[str]] = {}
    for agency, ward in rows:
        found.setdefault(agency, []).append(ward)
    return {name: tuple(found.get(name.lower(), ())) for name in names}
