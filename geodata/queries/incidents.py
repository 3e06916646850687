"""Incident reads: the export of every stored incident.

Incidents hold no personal data by construction (the ETL never reads name, phone or
ID columns), so the export is every stored field a user needs to re-analyse them.
"""

from __future__ import annotations

from typing import BinaryIO

from sqlalchemy import Engine

EXPORT_COLUMNS: tuple[str, ...] = (
    "agency",
    "agency_type",
    "record_ref",
    "category",
    "category_text",
    "occurred_from",
    "occurred_to",
    "time_known",
    "reported_on",
    "location_text",
    "latitude",
    "longitude",
    "ward_code",
    "ward_name",
    "h3_7",
    "h3_8",
    "h3_9",
    "status",
    "geocode_method",
    "geocode_confidence",
)

# H3 cells are stored as BIGINT; to_hex() of the integer is exactly h3's string form
# (lower-case hex, no padding), so the whole export streams from the server by COPY.
_EXPORT_SELECT = """
SELECT a.name AS agency,
       a.agency_type,
       i.record_ref,
       i.category,
       i.category_text,
       i.occurred_from,
       i.occurred_to,
       CASE WHEN i.time_known THEN 'true' ELSE 'false' END AS time_known,
       i.reported_on,
       i.location_text,
       ST_Y(i.geom) AS latitude,
       ST_X(i.geom) AS longitude,
       i.ward_code,
       w.name AS ward_name,
       to_hex(NULLIF(i.h3_7, 0)) AS h3_7,
       to_hex(NULLIF(i.h3_8, 0)) AS h3_8,
       to_hex(NULLIF(i.h3_9, 0)) AS h3_9,
       i.status,
       i.geocode_method,
       i.geocode_confidence
FROM incidents i
JOIN agencies a ON a.id = i.agency_id
LEFT JOIN wards w ON w.code = i.ward_code
ORDER BY i.occurred_from, a.name, i.record_ref
"""


def incidents_for_export(engine: Engine, out: BinaryIO) -> int:
    """Write every incident to `out` as UTF-8 CSV with a header row (columns
    EXPORT_COLUMNS, empty where unknown), streamed by COPY; returns the row count."""
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        sql = f"COPY ({_EXPORT_SELECT}) TO STDOUT WITH (FORMAT csv, HEADER true)"
        with cursor.copy(sql) as copy:
            for chunk in copy:
                out.write(chunk)
        rows = cursor.rowcount
        conn.rollback()
    return rows
