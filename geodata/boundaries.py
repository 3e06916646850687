"""Ward boundaries in: any OGR file (shapefile, GeoJSON, GeoPackage) or a GeoDataFrame,
reprojected to EPSG:4326, repaired, stored as MultiPolygons and upserted by code.

Real boundary files are imperfect: the national Kenya file has self-intersecting
polygons, county names in inconsistent case (`Murang'A`) and a few repeated ward
codes for wards that are distinct places. Each is handled and reported in the load
summary rather than hidden or turned into a failure the user cannot fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
from sqlalchemy import Engine, text

from geodata import cache
from geodata.errors import ObservatoryError

SRID = 4326
COLUMNS = ("code", "name", "county", "constituency", "population")
DuplicatePolicy = Literal["suffix", "error"]
_MAX_LISTED = 10


@dataclass(frozen=True)
class WardLoadResult:
    source: str
    loaded: int
    inserted: int
    replaced: int
    repaired: int
    multipolygons: int
    # (original code, stored code) for codes repeated in the file and made unique.
    renamed: tuple[tuple[str, str], ...] = field(default=())

    def summary(self) -> str:
        text_ = (
            f"loaded {self.loaded:,} wards from {self.source} "
            f"({self.inserted:,} new, {self.replaced:,} replaced); "
            f"repaired {self.repaired:,} invalid geometries; "
            f"{self.multipolygons:,} wards have several parts"
        )
        if self.renamed:
            pairs = ", ".join(f"{old}->{new}" for old, new in self.renamed[:_MAX_LISTED])
            more = "" if len(self.renamed) <= _MAX_LISTED else ", ..."
            text_ += (
                f"; {len(self.renamed)} repeated codes stored as {pairs}{more} "
                "(fix them in the file to keep codes stable)"
            )
        return text_


def load_wards(
    engine: Engine,
    path: Path | str,
    code_field: str = "code",
    name_field: str = "name",
    county_field: str | None = None,
    constituency_field: str | None = None,
    population_field: str | None = None,
    attribution: str | None = None,
    duplicate_codes: DuplicatePolicy = "suffix",
) -> WardLoadResult:
    """Load or replace wards by code from a boundary file, in one transaction.

    `duplicate_codes`: "suffix" keeps every feature, storing a repeated code's later
    features as `CODE-2`, `CODE-3` (named in the summary); "error" refuses the file.
    `attribution` defaults to the citation block of a README.md beside the file.
    """
    path = Path(path)
    raw = read_boundary_file(path)
    mapping = {
        "code": code_field,
        "name": name_field,
        "county": county_field,
        "constituency": constituency_field,
        "population": population_field,
    }
    frame = _select_fields(raw, mapping, path)
    if attribution is None:
        attribution = readme_attribution(path)
    return _load(engine, frame, path.name, attribution, duplicate_codes)


def load_ward_frame(
    engine: Engine,
    gdf: gpd.GeoDataFrame,
    attribution: str | None = None,
    duplicate_codes: DuplicatePolicy = "error",
) -> WardLoadResult:
    """Load or replace wards from a GeoDataFrame with columns code, name, county,
    constituency, population, geometry (county, constituency, population optional)."""
    missing = {"code", "name"} - set(gdf.columns)
    if missing:
        raise ObservatoryError(f"ward frame lacks columns {', '.join(sorted(missing))}.")
    frame = gpd.GeoDataFrame(
        {c: (gdf[c] if c in gdf.columns else None) for c in COLUMNS},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    return _load(engine, frame, "data frame", attribution, duplicate_codes)


def read_boundary_file(path: Path) -> gpd.GeoDataFrame:
    """Any OGR-readable boundary file, or an ObservatoryError saying why not."""
    if not path.exists():
        raise ObservatoryError(f"{path}: no such file.")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - any reader failure is the file's problem
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ObservatoryError(
            f"{path}: cannot read it as a boundary file ({reason}); use a shapefile "
            "(with its .shx/.dbf/.prj), GeoJSON or GeoPackage."
        ) from exc
    if len(gdf) == 0:
        raise ObservatoryError(f"{path}: the file has no features.")
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.active_geometry_name is None:
        raise ObservatoryError(f"{path}: the file has no geometry column.")
    return gdf


def readme_attribution(path: Path) -> str | None:
    """The citation block (lines starting with "> ") of a README.md beside `path`."""
    readme = path.parent / "README.md"
    if not readme.is_file():
        return None
    lines = readme.read_text(encoding="utf-8", errors="replace").splitlines()
    quoted = [line[2:].strip() for line in lines if line.startswith("> ")]
    return " ".join(q for q in quoted if q) or None


def tidy_place_name(value: object) -> str | None:
    """Whitespace collapsed and case made consistent: `MURANG'A` and `Murang'A`
    both become `Murang'a`; mixed case such as `Nairobi CBD` is otherwise kept."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text_ = " ".join(str(value).split())
    if not text_:
        return None
    if text_.isupper() or text_.islower():
        text_ = text_.title()
    # str.title() and some sources capitalise after an apostrophe inside a word.
    return re.sub(r"(?<=[A-Za-z]')([A-Z])(?=[a-z]|\b)", lambda m: m.group(1).lower(), text_)


def _select_fields(
    raw: gpd.GeoDataFrame, mapping: dict[str, str | None], path: Path
) -> gpd.GeoDataFrame:
    available = [c for c in raw.columns if c != raw.geometry.name]
    by_lower: dict[str, list[str]] = {}
    for name in available:
        by_lower.setdefault(name.lower(), []).append(name)
    data = {}
    for target, source in mapping.items():
        if source is None:
            data[target] = None
            continue
        if source in available:
            data[target] = raw[source]
        elif len(by_lower.get(source.lower(), [])) == 1:
            data[target] = raw[by_lower[source.lower()][0]]
        else:
            raise ObservatoryError(
                f"{path}: no field {source!r} for the ward {target} "
                f"(--{target}-field); the file has: {', '.join(available)}."
            )
    return gpd.GeoDataFrame(data, geometry=raw.geometry.values, crs=raw.crs)


def _code_text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rows(positions: np.ndarray | list[int]) -> str:
    numbers = [str(int(p) + 1) for p in positions]
    listed = ", ".join(numbers[:_MAX_LISTED])
    return listed + (
        f" and {len(numbers) - _MAX_LISTED} more" if len(numbers) > _MAX_LISTED else ""
    )


def _unique_codes(
    codes: pd.Series, names: pd.Series, source: str, policy: DuplicatePolicy
) -> tuple[pd.Series, tuple[tuple[str, str], ...]]:
    empty = np.flatnonzero(codes.eq("").to_numpy())
    if len(empty):
        raise ObservatoryError(
            f"{source}: features {_rows(empty)} (counting from 1) have no ward code; "
            "fill them in or choose another --code-field."
        )
    repeated = codes[codes.duplicated(keep=False)]
    if repeated.empty:
        return codes, ()
    if policy == "error":
        listed = "; ".join(
            f"{code} ({', '.join(names[repeated.index[repeated == code]].astype(str))})"
            for code in list(dict.fromkeys(repeated))[:_MAX_LISTED]
        )
        raise ObservatoryError(
            f"{source}: ward codes repeat: {listed}. Give each ward its own code "
            "or choose another --code-field."
        )
    taken = set(codes)
    out = codes.copy()
    renamed = []
    for position in np.flatnonzero(codes.duplicated(keep="first").to_numpy()):
        original = codes.iloc[position]
        n = 2
        while f"{original}-{n}" in taken:
            n += 1
        out.iloc[position] = f"{original}-{n}"
        taken.add(out.iloc[position])
        renamed.append((original, out.iloc[position]))
    return out, tuple(renamed)


def _population(values: pd.Series, source: str) -> list[int | None]:
    # Census tables write "12,000" or "12 000".
    values = values.map(lambda v: re.sub(r"[,\s]", "", v) if isinstance(v, str) else v)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = np.flatnonzero((numbers.isna() & values.notna() & values.ne("")).to_numpy())
    if len(bad):
        raise ObservatoryError(
            f"{source}: population is not a number in features {_rows(bad)} (counting from 1)."
        )
    return [None if pd.isna(v) else int(round(v)) for v in numbers]


def _to_wgs84(frame: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds
        if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
            return frame.set_crs(SRID)  # no .prj, but the numbers are degrees
        raise ObservatoryError(
            f"{source}: the file declares no coordinate reference system and its "
            "coordinates are not degrees; add its .prj file or save it with a CRS."
        )
    if frame.crs.to_epsg() != SRID:
        return frame.to_crs(SRID)
    return frame


def _polygonal(geom: object) -> MultiPolygon | None:
    """The polygonal part of a geometry as a MultiPolygon (lines and points from a
    repair dropped), or None when there is none."""
    if geom is None or geom.is_empty:
        return None
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, GeometryCollection):
        polygons = []
        for part in geom.geoms:
            if isinstance(part, (Polygon, MultiPolygon)):
                polygons.extend(getattr(part, "geoms", [part]))
        if not polygons:
            return None
        multi = MultiPolygon(polygons)
        return multi if multi.is_valid else _polygonal(shapely.unary_union(polygons))
    return None


def repair_geometries(geoms: np.ndarray) -> tuple[list[MultiPolygon | None], int]:
    """2-D MultiPolygons, invalid ones repaired with make_valid; the repaired count."""
    geoms = shapely.force_2d(np.asarray(geoms, dtype=object))
    present = ~shapely.is_missing(geoms)
    invalid = present & ~shapely.is_valid(geoms)
    fixed = geoms.copy()
    if invalid.any():
        fixed[invalid] = shapely.make_valid(geoms[invalid])
    return [_polygonal(g) for g in fixed], int(invalid.sum())


def _prepare(
    frame: gpd.GeoDataFrame, source: str, policy: DuplicatePolicy
) -> tuple[pd.DataFrame, int, tuple[tuple[str, str], ...]]:
    frame = _to_wgs84(frame, source).reset_index(drop=True)
    codes = frame["code"].map(_code_text)
    names = frame["name"].map(tidy_place_name)
    codes, renamed = _unique_codes(codes, names, source, policy)
    nameless = np.flatnonzero(names.isna().to_numpy())
    if len(nameless):
        raise ObservatoryError(
            f"{source}: features {_rows(nameless)} (counting from 1) have no ward name."
        )
    geoms, repaired = repair_geometries(frame.geometry.values)
    unusable = [i for i, g in enumerate(geoms) if g is None]
    if unusable:
        raise ObservatoryError(
            f"{source}: features {_rows(unusable)} (counting from 1; codes "
            f"{', '.join(codes.iloc[unusable[:_MAX_LISTED]])}) have no polygon geometry."
        )
    table = pd.DataFrame(
        {
            "code": codes,
            "name": names,
            "county": frame["county"].map(tidy_place_name),
            "constituency": frame["constituency"].map(tidy_place_name),
            "population": pd.Series(_population(frame["population"], source), dtype=object),
            "wkb": shapely.to_wkb(np.array(geoms, dtype=object)),
        }
    )
    return table, repaired, renamed


def _load(
    engine: Engine,
    frame: gpd.GeoDataFrame,
    source: str,
    attribution: str | None,
    policy: DuplicatePolicy,
) -> WardLoadResult:
    table, repaired, renamed = _prepare(frame, source, policy)
    table["attribution"] = attribution
    with engine.begin() as conn:
        inserted_flags = _upsert(conn, table)
        multipolygons = conn.execute(
            text(
                "SELECT count(*) FROM wards WHERE code = ANY(:codes) AND ST_NumGeometries(geom) > 1"
            ),
            {"codes": list(table["code"])},
        ).scalar_one()
        cache.bump_version(conn)
    inserted = sum(inserted_flags)
    return WardLoadResult(
        source=source,
        loaded=len(table),
        inserted=inserted,
        replaced=len(table) - inserted,
        repaired=repaired,
        multipolygons=int(multipolygons),
        renamed=renamed,
    )


def _upsert(conn, table: pd.DataFrame) -> list[bool]:
    """COPY into a staging table, then one set-based upsert by code; True per new row."""
    conn.execute(
        text(
            "CREATE TEMP TABLE ward_stage (code text, name text, county text, "
            "constituency text, population integer, wkb bytea, attribution text) "
            "ON COMMIT DROP"
        )
    )
    cursor = conn.connection.driver_connection.cursor()
    columns = ["code", "name", "county", "constituency", "population", "wkb", "attribution"]
    with cursor.copy(f"COPY ward_stage ({', '.join(columns)}) FROM STDIN") as copy:
        for row in table[columns].itertuples(index=False, name=None):
            copy.write_row(row)
    rows = conn.execute(
        text(
            "INSERT INTO wards (code, name, county, constituency, population, geom, "
            "attribution, loaded_at) "
            "SELECT code, name, county, constituency, population, "
            f"ST_Multi(ST_GeomFromWKB(wkb, {SRID})), attribution, now() FROM ward_stage "
            "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, county = EXCLUDED.county, "
            "constituency = EXCLUDED.constituency, population = EXCLUDED.population, "
            "geom = EXCLUDED.geom, attribution = EXCLUDED.attribution, loaded_at = now() "
            "RETURNING (xmax = 0) AS inserted"
        )
    ).scalars()
    return [bool(r) for r in rows]
