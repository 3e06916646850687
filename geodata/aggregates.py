"""The pre-aggregated incident tables behind the analytics pages, kept in step with
`incidents` inside every transaction that loads them.

Two tables (see geodata.models), both keyed by the day an incident started, its
category, agency, ward and H3 cells at resolutions 7, 8 and 9:

- incident_cells_daily: n incidents, and how much of them fell in daylight and in
  darkness (sunrise and sunset at the incident's place and date,
  geodata.stats.daylight; the rest had no time or no place);
- incident_hours_daily: each incident's aoristic weight per weekday and hour
  (geodata.stats.aoristic); an incident with a date but no time has rows with a NULL
  hour only, its weight spread over the weekdays of its dates.

An incident's weights sum to its count in both tables, so a query sums instead of
spreading a million windows per request. The spreading and the sun need Python, so a
refresh reads the affected incidents once, computes per incident, copies the
results back and groups them in SQL.

A refresh replaces the rows of whole agencies: those an import touched (a re-import
can move an incident to another day, cell or category, and only the agency is sure
to hold both its old and its new place), or every agency.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geodata import bulk, settings
from geodata.errors import ObservatoryError
from geodata.stats.aoristic import _date_only_weekdays, aoristic_hours, epoch_seconds
from geodata.stats.daylight import daylight_share

TABLES = ("incident_cells_daily", "incident_hours_daily")
COUNT_UNITS = ("records", "events")
_DAY = 86400
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday
_ANALYZE_FROM_ROWS = 10_000  # planner statistics are worth refreshing past this


def count_unit() -> str:
    """What one incident counts as (setting OBSERVATORY_COUNT_UNIT): `events` (records
    of several agencies linked as one event, event_group_id, share one count between
    them; a record in no group is its own event) or `records` (every row counts once).
    The one place the unit is decided."""
    unit = (settings.get("OBSERVATORY_COUNT_UNIT") or "events").strip().lower()
    if unit not in COUNT_UNITS:
        raise ObservatoryError(
            f"OBSERVATORY_COUNT_UNIT is {unit!r}; set it to `events` or `records`."
        )
    return unit


def _weight_sql(unit: str) -> str:
    """Per-incident count as SQL over `incidents i`."""
    if unit == "records":
        return "1.0"
    if unit == "events":
        return "1.0 / count(*) OVER (PARTITION BY coalesce(i.event_group_id, -i.id))"
    raise ValueError(f"count unit must be one of {COUNT_UNITS}, not {unit!r}")


# Incidents without a point of their own get the sun of their ward's inner point.
_SOURCE = """
WITH ward_points AS (
    SELECT code, ST_Y(ST_PointOnSurface(geom)) AS lat, ST_X(ST_PointOnSurface(geom)) AS lon
    FROM wards
)
SELECT i.id, i.occurred_from, i.occurred_to, i.time_known,
       coalesce(ST_Y(i.geom), w.lat) AS lat, coalesce(ST_X(i.geom), w.lon) AS lon,
       {weight} AS n
FROM incidents i
LEFT JOIN ward_points w ON w.code = i.ward_code
{scope}
"""

_KEYS = "day, category, agency_id, ward_code, h3_7, h3_8, h3_9"
_INCIDENT_KEYS = (
    "i.occurred_from::date, i.category, i.agency_id, i.ward_code, i.h3_7, i.h3_8, i.h3_9"
)

_INSERT_CELLS = f"""
INSERT INTO incident_cells_daily ({_KEYS}, n, daylight, darkness)
SELECT {_INCIDENT_KEYS}, sum(s.n), sum(s.n * coalesce(s.share, 0)),
       sum(s.n * coalesce(1 - s.share, 0))
FROM aggregate_shares s JOIN incidents i ON i.id = s.id
GROUP BY {_INCIDENT_KEYS}
"""

_INSERT_HOURS = f"""
INSERT INTO incident_hours_daily ({_KEYS}, weekday, hour, weight)
SELECT {_INCIDENT_KEYS}, h.weekday, h.hour, sum(h.weight)
FROM aggregate_hours h JOIN incidents i ON i.id = h.id
GROUP BY {_INCIDENT_KEYS}, h.weekday, h.hour
"""


def _read_incidents(conn: Connection, scope: str, unit: str) -> pd.DataFrame:
    """The incidents to aggregate, streamed by COPY (a million rows in about a second)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sql = _SOURCE.format(weight=_weight_sql(unit), scope=scope)
    cursor = conn.connection.driver_connection.cursor()
    buffer = io.BytesIO()
    with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            buffer.write(chunk)
    names = ["id", "occurred_from", "occurred_to", "time_known", "lat", "lon", "n"]
    types = {
        "id": pa.int64(),
        "occurred_from": pa.timestamp("s"),
        "occurred_to": pa.timestamp("s"),
        "time_known": pa.bool_(),
        "lat": pa.float64(),
        "lon": pa.float64(),
        "n": pa.float64(),
    }
    if not buffer.tell():
        return pd.DataFrame(columns=names)
    buffer.seek(0)
    table = pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=names),
        convert_options=pacsv.ConvertOptions(
            column_types=types, true_values=["t"], false_values=["f"]
        ),
    )
    return table.to_pandas()


def incident_weights(incidents: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-incident daylight shares and weekday/hour weights, scaled by `n`.

    incidents: id, occurred_from, occurred_to, time_known, lat, lon, n.
    Returns (shares: id, n, share (NaN without time or place);
    hours: id, weekday, hour (NA for date-only incidents), weight).
    """
    share = daylight_share(
        incidents["occurred_from"],
        incidents["occurred_to"],
        incidents["time_known"],
        incidents["lat"].to_numpy(float),
        incidents["lon"].to_numpy(float),
    )
    ids = incidents["id"].to_numpy(np.int64)
    n = incidents["n"].to_numpy(float)
    shares = pd.DataFrame({"id": ids, "n": n, "share": share})
    spread = aoristic_hours(
        incidents["occurred_from"], incidents["occurred_to"], incidents["time_known"]
    )
    hour = spread["hour"].to_numpy("datetime64[h]").astype(np.int64)
    pos = spread["incident"].to_numpy()
    timed = pd.DataFrame(
        {
            "id": ids[pos],
            "weekday": (hour // 24 + _EPOCH_WEEKDAY) % 7,
            "hour": pd.array(hour % 24, dtype="Int64"),
            "weight": spread["weight"].to_numpy() * n[pos],
        }
    )
    return shares, pd.concat([timed, _date_only_rows(incidents, ids, n)], ignore_index=True)


def _date_only_rows(incidents: pd.DataFrame, ids: np.ndarray, n: np.ndarray) -> pd.DataFrame:
    rows = np.flatnonzero(~incidents["time_known"].to_numpy(bool))
    first = epoch_seconds(incidents["occurred_from"].iloc[rows]) // _DAY
    to = incidents["occurred_to"].iloc[rows]
    last = np.where(pd.isna(to).to_numpy(), first, epoch_seconds(to) // _DAY)
    pos, weekday, weight = _date_only_weekdays(first, last)
    return pd.DataFrame(
        {
            "id": ids[rows][pos],
            "weekday": weekday,
            "hour": pd.array([pd.NA] * len(pos), dtype="Int64"),
            "weight": weight * n[rows][pos],
        }
    )


def _copy_frame(conn: Connection, table: str, frame: pd.DataFrame) -> None:
    """COPY `frame` into `table` as CSV written by Arrow (several times faster than
    pandas for a million rows; missing values become empty fields, read as NULL)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sink = pa.BufferOutputStream()
    table_data = pa.Table.from_pandas(frame, preserve_index=False)
    pacsv.write_csv(table_data, sink, pacsv.WriteOptions(include_header=False))
    data = memoryview(sink.getvalue())
    driver = conn.connection.driver_connection
    columns = ", ".join(frame.columns)
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy,
    ):
        step = 1 << 20
        for start in range(0, len(data), step):
            copy.write(data[start : start + step])


def _agencies(conn: Connection, import_id: int | None, unit: str) -> list[int] | None:
    """The agencies to rebuild: [] for none, None for every agency."""
    if import_id is None or unit == "events":  # an event can span agencies: rebuild all
        return None
    rows = conn.execute(
        text("SELECT DISTINCT agency_id FROM incidents WHERE import_id = :i"), {"i": import_id}
    ).scalars()
    return sorted(int(a) for a in rows)


def refresh_aggregates(conn: Connection, import_id: int | None = None) -> int:
    """Rebuild the aggregate rows of the agencies import `import_id` wrote (every
    agency when None), on the caller's connection and transaction. Returns the number
    of incidents aggregated."""
    unit = count_unit()
    agencies = _agencies(conn, import_id, unit)
    if agencies == []:
        return 0
    # Integers only, so the list is safe to write into the statement (COPY, which
    # reads the incidents, takes no bind parameters).
    chosen = "" if agencies is None else f"agency_id = ANY(ARRAY[{','.join(map(str, agencies))}])"
    if chosen:
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table} WHERE {chosen}"))
    else:  # every row goes: TRUNCATE leaves no dead rows for VACUUM to find
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)}"))
    incidents = _read_incidents(conn, f"WHERE i.{chosen}" if chosen else "", unit)
    if incidents.empty:
        return 0
    deferred = (
        bulk.indexes_deferred(conn, TABLES)
        if bulk.is_bulk(conn, TABLES[0], len(incidents))
        or (not chosen and len(incidents) >= bulk.BULK_MIN_ROWS)
        else contextlib.nullcontext()
    )
    with deferred:
        _write(conn, incidents)
    if len(incidents) >= _ANALYZE_FROM_ROWS:
        conn.execute(text(f"ANALYZE {', '.join(TABLES)}"))
    return len(incidents)


def _write(conn: Connection, incidents: pd.DataFrame) -> None:
    """Spread `incidents` over hours and daylight and insert the grouped rows."""
    shares, hours = incident_weights(incidents)
    conn.execute(text("CREATE TEMP TABLE aggregate_shares (id bigint, n float8, share float8)"))
    conn.execute(
        text(
            "CREATE TEMP TABLE aggregate_hours (id bigint, weekday int2, hour int2, weight float8)"
        )
    )
    _copy_frame(conn, "aggregate_shares", shares)
    _copy_frame(conn, "aggregate_hours", hours)
    conn.execute(text("ANALYZE aggregate_shares"))
    conn.execute(text("ANALYZE aggregate_hours"))
    conn.execute(text(_INSERT_CELLS))
    conn.execute(text(_INSERT_HOURS))
    conn.execute(text("DROP TABLE aggregate_shares, aggregate_hours"))
