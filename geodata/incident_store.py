"""Every write of incidents, their agencies and the imports that loaded them.

A file loads as: COPY into a temporary staging table, one set-based ward assignment
(point in polygon: one probe per ward into a GiST index on the staged points), one
INSERT ... ON CONFLICT that only rewrites rows whose hash changed. All of it runs on
the caller's connection, inside the caller's transaction, so a failure leaves the
database as it was.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import bindparam

from geodata import aggregates, bulk, cache
from geodata.errors import ObservatoryError
from geodata.vocab import AGENCY_TYPES

_BULK_TABLES = ("incidents", "incident_status_history")

# Rows per chunk of CSV sent to COPY.
_COPY_ROWS = 100_000

# Staging columns, in COPY order, with their SQL types.
STAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("row", "integer"),
    ("agency_id", "integer"),
    ("record_ref", "text"),
    ("category", "text"),
    ("category_text", "text"),
    ("occurred_from", "timestamp"),
    ("occurred_to", "timestamp"),
    ("time_known", "boolean"),
    ("reported_on", "timestamp"),
    ("location_text", "text"),
    ("ward_text", "text"),
    ("victim_sex", "text"),
    ("victim_age", "text"),
    ("status", "text"),
    ("lat", "double precision"),
    ("lon", "double precision"),
    ("h3_7", "bigint"),
    ("h3_8", "bigint"),
    ("h3_9", "bigint"),
    ("geocode_method", "text"),
    ("geocode_confidence", "double precision"),
    ("place_id", "integer"),
    # The ward a ward name alone placed the row in (etl.places); rows with a point
    # take the ward covering the point instead.
    ("text_ward_code", "text"),
)
_NOT_STORED = {"row", "lat", "lon", "text_ward_code"}
_STORED = [name for name, _ in STAGE_COLUMNS if name not in _NOT_STORED] + [
    "geom",
    "ward_code",
]
# What the row hash covers: what the clerk wrote, never what the observatory derived
# from it. Placement of a text-only row depends on the gazetteer and on the agency's
# usual wards, both of which change as data arrives; hashing it would turn a re-import
# of an unchanged file into "updated" rows. The position is hashed only when it came
# from the file (GPS), as lat/lon text, which the session settings make exact.
_DERIVED = {"geocode_method", "geocode_confidence", "place_id", "ward_code", "h3_7", "h3_8", "h3_9"}
_HASHED = [c for c in _STORED if c not in {"agency_id", "record_ref", "geom", *_DERIVED}]
_HASHED_POSITION = (
    "CASE WHEN geocode_method = 'gps' THEN lat END, CASE WHEN geocode_method = 'gps' THEN lon END"
)

# The staged rows with their points. The wards come after (WARD_OF), joined in the
# upsert: ward_code there is the covering ward's code, or for a row with no point
# the ward its ward name alone placed it in.
STAGE_POINTS = """
SELECT s.*, CASE WHEN s.lat IS NOT NULL AND s.lon IS NOT NULL
    THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END AS geom
FROM stage_incidents s
"""

# One ward per point: ST_Covers keeps points on a shared boundary, and the lowest code
# wins so a re-run places them the same way. Ward-major: one probe per ward into a
# GiST index on the staged points, each ward's polygon prepared once for all the
# points it holds, instead of one probe into the wards per point (4 to 6 times
# faster at a million points; bench `floor.pip_postgis_ward_major`). OFFSET 0 keeps
# the planner from flattening the lateral back into a point-major join.
WARD_OF = """
SELECT p.row, min(w.code) AS code
FROM wards w
CROSS JOIN LATERAL (
    SELECT s.row FROM placed s WHERE ST_Covers(w.geom, s.geom) OFFSET 0
) p
GROUP BY p.row
"""

_PLACED_ROWS = """
SELECT p.*, coalesce(o.code, CASE WHEN p.geom IS NULL THEN p.text_ward_code END) AS ward_code
FROM placed p LEFT JOIN ward_of o ON o.row = p.row
"""

_ROW_HASH = f"md5(ROW({', '.join(_HASHED)}, {_HASHED_POSITION})::text)"

# Stored incidents a load will overwrite: same record, different hash.
OVERWRITTEN = f"""
SELECT i.id FROM incidents i
JOIN (SELECT agency_id, record_ref, {_ROW_HASH} AS row_hash FROM stage_incidents) s
    USING (agency_id, record_ref)
WHERE i.row_hash <> s.row_hash
"""

# Rows already stored with the same hash are left out before the INSERT: a re-run of
# a national file then costs one anti-join instead of a million conflict checks
# (14 s against about 5 s at 1,000,000 rows). ON CONFLICT still decides the rest.
_UPSERT = f"""
WITH incoming AS (
    SELECT p.*, {_ROW_HASH} AS new_hash FROM ({_PLACED_ROWS}) p
), upserted AS (
    INSERT INTO incidents AS i ({", ".join(_STORED)}, row_hash, import_id)
    SELECT {", ".join(_STORED)}, new_hash, :import_id
    FROM incoming n
    WHERE NOT EXISTS (
        SELECT 1 FROM incidents o
        WHERE o.agency_id = n.agency_id AND o.record_ref = n.record_ref
            AND o.row_hash = n.new_hash
    )
    ON CONFLICT (agency_id, record_ref) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _STORED)},
        row_hash = EXCLUDED.row_hash,
        import_id = EXCLUDED.import_id,
        updated_at = now()
    WHERE i.row_hash <> EXCLUDED.row_hash
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM upserted
"""


@dataclass
class LoadResult:
    staged: int
    inserted: int
    updated: int
    unchanged: int
    no_ward_rows: list[int] = field(default_factory=list)  # spreadsheet rows
    wards_loaded: bool = True
    before: Any = None  # what `before_upsert` returned


def upsert_agencies(
    conn: Connection, agencies: list[tuple[str, str | None]], file_name: str
) -> dict[str, dict]:
    """Find or create each (name, type); names match ignoring case.

    A known agency keeps its id; a type given for it replaces the stored one. A new
    agency without a type is the clerk's to fix. Returns casefolded name -> row.
    """
    found: dict[str, dict] = {}
    for name, agency_type in agencies:
        row = conn.execute(
            text("SELECT id, name, agency_type FROM agencies WHERE lower(name) = lower(:n)"),
            {"n": name},
        ).first()
        if row is None and agency_type is None:
            raise ObservatoryError(
                f"{file_name}: agency {name!r} is new and has no type; add an agency_type "
                f"column or pass --agency-type (one of {', '.join(AGENCY_TYPES)})."
            )
        if row is None:
            row = conn.execute(
                text(
                    "INSERT INTO agencies (name, agency_type) VALUES (:n, :t) "
                    "RETURNING id, name, agency_type"
                ),
                {"n": name, "t": agency_type},
            ).one()
        elif agency_type and agency_type != row.agency_type:
            conn.execute(
                text("UPDATE agencies SET agency_type = :t WHERE id = :i"),
                {"t": agency_type, "i": row.id},
            )
            row = row._replace(agency_type=agency_type)
        found[name.casefold()] = {"id": row.id, "name": row.name, "agency_type": row.agency_type}
    return found


def start_import(conn: Connection, file_name: str, sha256: str, agency_id: int | None) -> int:
    return conn.execute(
        text(
            "INSERT INTO imports (file_name, file_sha256, agency_id, report) "
            "VALUES (:f, :s, :a, '{}'::jsonb) RETURNING id"
        ),
        {"f": file_name, "s": sha256, "a": agency_id},
    ).scalar_one()


def finish_import(conn: Connection, import_id: int, report: dict) -> None:
    """Store the file's report (which holds no personal data), bring the analytics
    aggregates up to date and mark data changed."""
    conn.execute(
        text("UPDATE imports SET report = :r WHERE id = :i").bindparams(
            bindparam("r", type_=JSONB)
        ),
        {"r": report, "i": import_id},
    )
    if report.get("inserted", 1) or report.get("updated", 1):
        # A re-run that changed no incident leaves every aggregate as it was.
        aggregates.refresh_aggregates(conn, import_id)
    cache.bump_version(conn)


def _session_for_hashing(conn: Connection) -> None:
    # The hash is computed from text output: pin the formats it depends on.
    conn.execute(text("SET LOCAL DateStyle = 'ISO, YMD'"))
    conn.execute(text("SET LOCAL extra_float_digits = 1"))
    conn.execute(text("SET LOCAL TimeZone = 'UTC'"))


def create_stage(conn: Connection) -> None:
    columns = ", ".join(f'"{name}" {sqltype}' for name, sqltype in STAGE_COLUMNS)
    conn.execute(text(f"CREATE TEMP TABLE stage_incidents ({columns}) ON COMMIT DROP"))


def copy_stage(conn: Connection, frame: pd.DataFrame) -> None:
    """COPY `frame` (STAGE_COLUMNS) into the staging table as CSV written by Arrow.

    Rows go in H3 order: spatially close points in a row let PostGIS reuse its
    cached polygon when placing them on wards. A worker thread renders the next
    chunk of CSV (Arrow releases the GIL) while this one sends the last.
    """
    import pyarrow as pa

    names = [name for name, _ in STAGE_COLUMNS]
    table = pa.Table.from_pandas(frame[names], preserve_index=False)
    order = np.argsort(frame["h3_7"].fillna(0).to_numpy(dtype=np.int64), kind="stable")
    table = table.take(pa.array(order))
    columns = ", ".join(f'"{n}"' for n in names)
    driver = conn.connection.driver_connection
    starts = range(0, table.num_rows, _COPY_ROWS)
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        driver.cursor() as cursor,
        cursor.copy(f"COPY stage_incidents ({columns}) FROM STDIN (FORMAT csv)") as copy,
    ):
        for chunk in pool.map(lambda start: _csv(table.slice(start, _COPY_ROWS)), starts):
            copy.write(chunk)


def _csv(table) -> memoryview:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, batch_size=65536))
    return memoryview(sink.getvalue())


def load_incidents(
    conn: Connection,
    frame: pd.DataFrame,
    import_id: int,
    before_upsert: Callable[[Connection], Any] | None = None,
) -> LoadResult:
    """Stage, place on wards and upsert `frame`; counts what became of each row.
    `before_upsert(conn)` runs once the rows are staged, before any is written (its
    result is LoadResult.before): what linkage must know of the records about to be
    overwritten (`OVERWRITTEN`)."""
    _session_for_hashing(conn)
    create_stage(conn)
    copy_stage(conn, frame)
    conn.execute(text("ANALYZE stage_incidents"))
    before = before_upsert(conn) if before_upsert else None
    assign_wards(conn)
    # A first or national load rebuilds the indexes once instead of row by row; the
    # status history the insert trigger writes grows by as many rows.
    # New rows never outnumber the file's: a small file skips counting them.
    large = len(frame) >= bulk.BULK_MIN_ROWS and bulk.is_bulk(conn, "incidents", _new_rows(conn))
    with bulk.indexes_deferred(conn, _BULK_TABLES) if large else contextlib.nullcontext():
        counts = conn.execute(text(_UPSERT), {"import_id": import_id}).one()
    if large:
        # The planner still believes the table holds what it held before: linkage and
        # the aggregates read it next, in this transaction, and would plan for a
        # handful of rows (nested loops over a million).
        conn.execute(text(f"ANALYZE {', '.join(_BULK_TABLES)}"))
    no_ward = conn.execute(
        text(
            'SELECT p."row" FROM placed p LEFT JOIN ward_of o ON o.row = p.row '
            "WHERE p.geom IS NOT NULL AND o.row IS NULL ORDER BY 1"
        )
    ).scalars()
    wards_loaded = conn.execute(text("SELECT EXISTS (SELECT 1 FROM wards)")).scalar_one()
    staged = len(frame)
    return LoadResult(
        staged=staged,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=staged - counts.inserted - counts.updated,
        no_ward_rows=list(no_ward),
        wards_loaded=bool(wards_loaded),
        before=before,
    )


_REPLACE_STAGE = """
CREATE TEMP TABLE replace_stage (id bigint, lat float8, lon float8, h3_7 bigint, h3_8 bigint,
    h3_9 bigint, geocode_method text, geocode_confidence float8, place_id integer,
    ward_code text) ON COMMIT DROP
"""
REPLACE_COLUMNS = (
    "id", "lat", "lon", "h3_7", "h3_8", "h3_9", "geocode_method", "geocode_confidence",
    "place_id", "ward_code",
)  # fmt: skip


def replace_positions(conn: Connection, placed: pd.DataFrame) -> int:
    """Write new placements of stored incidents (after a reviewer's choice): point,
    ward, cells, method, confidence and place. The row hash covers only what the clerk
    wrote, so a re-import of the same file finds these rows unchanged and keeps them.

    placed: REPLACE_COLUMNS; lat/lon empty for ward-only and unresolved rows."""
    if placed.empty:
        return 0
    conn.execute(text(_REPLACE_STAGE))
    buffer = io.StringIO()
    placed[list(REPLACE_COLUMNS)].to_csv(buffer, index=False, header=False, na_rep="")
    driver = conn.connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy(
            f"COPY replace_stage ({', '.join(REPLACE_COLUMNS)}) FROM STDIN (FORMAT csv)"
        ) as copy,
    ):
        copy.write(buffer.getvalue())
    changed = conn.execute(
        text(
            "UPDATE incidents i SET geom = CASE WHEN s.lat IS NOT NULL THEN "
            "ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END, ward_code = s.ward_code, "
            "h3_7 = s.h3_7, h3_8 = s.h3_8, h3_9 = s.h3_9, geocode_method = s.geocode_method, "
            "geocode_confidence = s.geocode_confidence, place_id = s.place_id, "
            "updated_at = now() FROM replace_stage s WHERE i.id = s.id"
        )
    ).rowcount
    conn.execute(text("DROP TABLE replace_stage"))
    return changed


def _new_rows(conn: Connection) -> int:
    """Staged rows whose (agency, record) is not stored yet: a re-run of a national
    file is as large as a first load but inserts nothing, and rebuilding the indexes
    for it would cost more than the load."""
    return conn.execute(
        text(
            "SELECT count(*) FROM stage_incidents s WHERE NOT EXISTS (SELECT 1 FROM incidents i "
            "WHERE i.agency_id = s.agency_id AND i.record_ref = s.record_ref)"
        )
    ).scalar_one()


def _stage_points(conn: Connection) -> None:
    conn.execute(text(f"CREATE TEMP TABLE placed ON COMMIT DROP AS {STAGE_POINTS}"))
    conn.execute(text("CREATE INDEX ix_placed_geom ON placed USING gist (geom)"))
    conn.execute(text("ANALYZE placed"))


def assign_wards(conn: Connection) -> None:
    """Temp tables `placed` (the staged rows and their points) and `ward_of` (row,
    code: the ward covering each point inside one)."""
    _stage_points(conn)
    conn.execute(text(f"CREATE TEMP TABLE ward_of ON COMMIT DROP AS {WARD_OF}"))
    conn.execute(text("ANALYZE ward_of"))


def explain_ward_assignment(conn: Connection) -> str:
    """The plan of the ward assignment over the current staging table (for tests and
    for checking a server: one probe of the points' GiST index per ward, never every
    point against every ward)."""
    _stage_points(conn)
    rows = conn.execute(text(f"EXPLAIN {WARD_OF}")).scalars()
    return "\n".join(rows)
