"""Every write of incidents (their agencies and imports: geodata.import_records).

A file loads as: COPY into a temporary staging table; one join that hashes each
staged row and finds the stored row of the same record (unchanged rows go no
further); one set-based ward assignment of the rest (point in polygon: one probe
per ward into a GiST index on the staged points); one INSERT ... ON CONFLICT of
the new and changed rows (a large file: a plain INSERT of the new ones under the
table's write lock, `_write_rows`). All of it runs on the caller's
connection, inside the caller's transaction, so a failure leaves the database as
it was.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import bindparam

from geodata import aggregates, bulk, cache, summaries

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


def _row_hash(alias: str) -> str:
    """The row hash of staged rows under `alias`: md5 of the ROW's text (the session
    pins its formats, `_session_for_hashing`)."""
    columns = ", ".join(f"{alias}.{c}" for c in _HASHED)
    position = (
        f"CASE WHEN {alias}.geocode_method = 'gps' THEN {alias}.lat END, "
        f"CASE WHEN {alias}.geocode_method = 'gps' THEN {alias}.lon END"
    )
    return f"md5(ROW({columns}, {position})::text)"


# The staged rows with their points, hashes and what is stored of the same records,
# read once: the hash is computed once per row, and a re-run learns here that its rows
# are unchanged (`todo` false), so neither the upsert nor the ward assignment touches
# them. `probe`: the rows whose point must be placed on a ward, those to write and
# those stored without a ward (the report names them). OFFSET 0 keeps the planner
# from copying the hash into each expression that reads it (three md5 per row).
STAGE_POINTS = f"""
SELECT q.*, (q.stored_id IS NULL OR q.stored_hash <> q.row_hash) AS todo,
    q.geom IS NOT NULL AND (q.stored_id IS NULL OR q.stored_hash <> q.row_hash
        OR q.stored_ward IS NULL) AS probe
FROM (
    SELECT s.*, CASE WHEN s.lat IS NOT NULL AND s.lon IS NOT NULL
            THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END AS geom,
        {_row_hash("s")} AS row_hash,
        i.id AS stored_id, i.row_hash AS stored_hash, i.ward_code AS stored_ward
    FROM stage_incidents s
    LEFT JOIN incidents i ON i.agency_id = s.agency_id AND i.record_ref = s.record_ref
    OFFSET 0
) q
"""

# The same columns without comparing (assign_wards alone: the bench's floor).
_POINTS_ONLY = """
SELECT s.*, CASE WHEN s.lat IS NOT NULL AND s.lon IS NOT NULL
        THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END AS geom,
    NULL::text AS row_hash, NULL::bigint AS stored_id, NULL::text AS stored_hash,
    NULL::text AS stored_ward, true AS todo, s.lat IS NOT NULL AND s.lon IS NOT NULL AS probe
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
    SELECT s.row FROM placed s WHERE s.probe AND ST_Covers(w.geom, s.geom) OFFSET 0
) p
GROUP BY p.row
"""

_PLACED_ROWS = """
SELECT p.*, coalesce(o.code, CASE WHEN p.geom IS NULL THEN p.text_ward_code END) AS ward_code
FROM placed p LEFT JOIN ward_of o ON o.row = p.row
WHERE p.todo
"""

# Stored incidents a load will overwrite: same record, different hash.
OVERWRITTEN = "SELECT stored_id FROM placed WHERE stored_hash <> row_hash"

# Only new and changed rows reach the INSERT (`todo`): a re-run of a national file
# costs the one join that built `placed` instead of a million conflict checks. ON
# CONFLICT still decides, should another load have written a record meanwhile.
_UPSERT = f"""
WITH upserted AS (
    INSERT INTO incidents AS i ({", ".join(_STORED)}, row_hash, import_id)
    SELECT {", ".join(_STORED)}, row_hash, :import_id
    FROM ({_PLACED_ROWS}) n
    {{rows}}
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

# New records of a load that holds the table's write lock (`_lock_for_large_file`):
# no other load can have stored them since `placed` was built, and a plain INSERT
# skips the speculative insertion ON CONFLICT costs per row (about a third of the
# INSERT at a million rows).
_INSERT_NEW = f"""
INSERT INTO incidents ({", ".join(_STORED)}, row_hash, import_id)
SELECT {", ".join(_STORED)}, row_hash, :import_id
FROM ({_PLACED_ROWS}) n
WHERE n.stored_id IS NULL
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
    # The rows weighed for the aggregates while they were stored, when every one was
    # written (finish_import).
    weights: aggregates.FileWeights | None = None


def finish_import(
    conn: Connection,
    import_id: int,
    report: dict,
    weights: aggregates.FileWeights | None = None,
) -> None:
    """Store the file's report (which holds no personal data), bring the analytics
    aggregates up to date and mark data changed. `weights`: LoadResult.weights."""
    conn.execute(
        text("UPDATE imports SET report = :r WHERE id = :i").bindparams(
            bindparam("r", type_=JSONB)
        ),
        {"r": report, "i": import_id},
    )
    if report.get("inserted", 1) or report.get("updated", 1):
        # A re-run that changed no incident leaves every aggregate as it was.
        written = report.get("inserted", 0) + report.get("updated", 0)
        whole = weights is not None and written == len(weights.rows)
        aggregates.refresh_aggregates(conn, import_id, weights if whole else None)
        summaries.refresh(conn, import_id, written=written)
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
    cached polygon when placing them on wards.
    """
    import pyarrow as pa

    names = [name for name, _ in STAGE_COLUMNS]
    table = pa.Table.from_pandas(frame[names], preserve_index=False)
    order = np.argsort(frame["h3_7"].fillna(0).to_numpy(dtype=np.int64), kind="stable")
    columns = ", ".join(f'"{n}"' for n in names)
    bulk.copy_arrow(
        conn,
        f"COPY stage_incidents ({columns}) FROM STDIN (FORMAT csv)",
        table,
        _COPY_ROWS,
        order=order,
    )


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
    locked = _lock_for_large_file(conn, len(frame))
    create_stage(conn)
    copy_stage(conn, frame)
    # Statistics only of what the plans read: the sample's dozen text columns cost
    # more than the rest (0.5 s a table at a million rows).
    conn.execute(text("ANALYZE stage_incidents (agency_id, record_ref)"))
    _stage_points(conn)
    before = before_upsert(conn) if before_upsert else None
    _assign_staged_wards(conn)
    new, todo = conn.execute(
        text(
            "SELECT count(*) FILTER (WHERE stored_id IS NULL), count(*) FILTER (WHERE todo) "
            "FROM placed"
        )
    ).one()
    # Every row is written (a first load): weigh them for the aggregates on the
    # second core while the server stores them.
    weights = aggregates.weigh_file(conn, frame) if todo == len(frame) else None
    # A first or national load rebuilds the indexes once instead of row by row; the
    # status history the insert trigger writes grows by as many rows.
    large = locked and bulk.is_bulk(conn, "incidents", new)
    with bulk.indexes_deferred(conn, _BULK_TABLES) if large else contextlib.nullcontext():
        inserted, updated = _write_rows(conn, import_id, locked, new, todo, large)
    if large:
        # The planner still believes the table holds what it held before: linkage and
        # the aggregates read it next, in this transaction, and would plan for a
        # handful of rows (nested loops over a million).
        conn.execute(text(f"ANALYZE {', '.join(_BULK_TABLES)}"))
    no_ward = conn.execute(
        text(
            'SELECT p."row" FROM placed p LEFT JOIN ward_of o ON o.row = p.row '
            "WHERE p.probe AND o.row IS NULL ORDER BY 1"
        )
    ).scalars()
    wards_loaded = conn.execute(text("SELECT EXISTS (SELECT 1 FROM wards)")).scalar_one()
    staged = len(frame)
    return LoadResult(
        staged=staged,
        inserted=inserted,
        updated=updated,
        unchanged=staged - inserted - updated,
        no_ward_rows=list(no_ward),
        wards_loaded=bool(wards_loaded),
        before=before,
        weights=weights,
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


def _lock_for_large_file(conn: Connection, rows: int) -> bool:
    """Take the write lock of `incidents` for a file large enough for the bulk path,
    before its rows are compared with the stored ones: no other load can then store
    a record in between, and the new ones go in by plain INSERT. Readers (the
    dashboard) are not blocked. Small files share the table and rely on ON CONFLICT."""
    if rows < bulk.BULK_MIN_ROWS:
        return False
    conn.execute(text("LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE"))
    return True


def _write_rows(
    conn: Connection, import_id: int, locked: bool, new: int, todo: int, large: bool
) -> tuple[int, int]:
    """Insert the new rows and overwrite the changed ones of `placed`: (inserted,
    updated). Unchanged rows are never written."""
    params = {"import_id": import_id}
    if not locked:
        if not todo:
            return 0, 0
        counts = conn.execute(text(_UPSERT.format(rows="")), params).one()
        return counts.inserted, counts.updated
    inserted = updated = 0
    if todo > new:  # first, while the unique key that ON CONFLICT needs is there
        counts = conn.execute(
            text(_UPSERT.format(rows="WHERE n.stored_id IS NOT NULL")), params
        ).one()
        inserted, updated = counts.inserted, counts.updated
    if new:
        # The new records are stored nowhere (the lock), and a file repeats none of
        # its records (etl.normalise quarantines a repeat): a bulk insert checks the
        # key once, after.
        with bulk.unique_deferred(conn, "incidents") if large else contextlib.nullcontext():
            inserted += conn.execute(text(_INSERT_NEW), params).rowcount
    return inserted, updated


def _stage_points(conn: Connection, compare: bool = True) -> None:
    points = STAGE_POINTS if compare else _POINTS_ONLY
    conn.execute(text(f"CREATE TEMP TABLE placed ON COMMIT DROP AS {points}"))
    # Partial: a re-run probes only the few points it must place.
    conn.execute(text("CREATE INDEX ix_placed_geom ON placed USING gist (geom) WHERE probe"))
    conn.execute(text('ANALYZE placed ("row", geom, todo, probe, stored_id)'))


def _assign_staged_wards(conn: Connection) -> None:
    conn.execute(text(f"CREATE TEMP TABLE ward_of ON COMMIT DROP AS {WARD_OF}"))
    conn.execute(text("ANALYZE ward_of"))


def assign_wards(conn: Connection) -> None:
    """The ward assignment alone (the bench's floor), every staged point placed, no
    comparison with stored rows: temp tables `placed` (the staged rows and their
    points) and `ward_of` (row, code: the ward covering each point inside one)."""
    _stage_points(conn, compare=False)
    _assign_staged_wards(conn)


def explain_ward_assignment(conn: Connection) -> str:
    """The plan of the ward assignment over the current staging table (for tests and
    for checking a server: one probe of the points' GiST index per ward, never every
    point against every ward)."""
    _stage_points(conn)
    rows = conn.execute(text(f"EXPLAIN {WARD_OF}")).scalars()
    return "\n".join(rows)
