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
refresh reads the affected incidents once with their keys, computes and groups them
in numpy, and copies only the grouped rows back.

A refresh replaces the rows of whole agencies: those an import touched (a re-import
can move an incident to another day, cell or category, and only the agency is sure
to hold both its old and its new place), or every agency.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geodata import bulk, rollup, settings
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
SELECT i.occurred_from, i.occurred_to, i.time_known,
       coalesce(ST_Y(i.geom), w.lat) AS lat, coalesce(ST_X(i.geom), w.lon) AS lon,
       {weight} AS n, i.category, i.agency_id, i.ward_code, i.h3_7, i.h3_8, i.h3_9
FROM incidents i
LEFT JOIN ward_points w ON w.code = i.ward_code
{scope}
"""

_HOUR_SLOTS = 25  # hours 0-23, and one slot for "no hour" (date only)


def _read_incidents(conn: Connection, scope: str, unit: str) -> pd.DataFrame:
    """The incidents to aggregate with their keys, streamed by COPY (a million rows in
    about a second). Category and ward come dictionary-encoded (categorical)."""
    import pyarrow as pa

    labels = pa.dictionary(pa.int32(), pa.string())
    types = {
        "occurred_from": pa.timestamp("s"),
        "occurred_to": pa.timestamp("s"),
        "time_known": pa.bool_(),
        "lat": pa.float64(),
        "lon": pa.float64(),
        "n": pa.float64(),
        "category": labels,
        "agency_id": pa.int64(),
        "ward_code": labels,
        "h3_7": pa.int64(),
        "h3_8": pa.int64(),
        "h3_9": pa.int64(),
    }
    return bulk.copy_out(conn, _SOURCE.format(weight=_weight_sql(unit), scope=scope), types)


def incident_weights(incidents: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Per-incident daylight shares and weekday/hour weights, scaled by `n`.

    incidents: occurred_from, occurred_to, time_known, lat, lon, n.
    Returns (share per incident, NaN without time or place; hours: pos (the
    incident's row position), weekday, hour (-1 for date-only incidents), weight).
    """
    share = daylight_share(
        incidents["occurred_from"],
        incidents["occurred_to"],
        incidents["time_known"],
        incidents["lat"].to_numpy(float),
        incidents["lon"].to_numpy(float),
    )
    n = incidents["n"].to_numpy(float)
    spread = aoristic_hours(
        incidents["occurred_from"], incidents["occurred_to"], incidents["time_known"]
    )
    hour = spread["hour"].to_numpy("datetime64[h]").astype(np.int64)
    pos = spread["incident"].to_numpy()
    timed = pd.DataFrame(
        {
            "pos": pos,
            "weekday": (hour // 24 + _EPOCH_WEEKDAY) % 7,
            "hour": hour % 24,
            "weight": spread["weight"].to_numpy() * n[pos],
        }
    )
    return share, pd.concat([timed, _date_only_rows(incidents, n)], ignore_index=True)


def _date_only_rows(incidents: pd.DataFrame, n: np.ndarray) -> pd.DataFrame:
    rows = np.flatnonzero(~incidents["time_known"].to_numpy(bool))
    first = epoch_seconds(incidents["occurred_from"].iloc[rows]) // _DAY
    to = incidents["occurred_to"].iloc[rows]
    last = np.where(pd.isna(to).to_numpy(), first, epoch_seconds(to) // _DAY)
    pos, weekday, weight = _date_only_weekdays(first, last)
    return pd.DataFrame(
        {
            "pos": rows[pos],
            "weekday": weekday,
            "hour": np.full(len(pos), -1, dtype=np.int64),
            "weight": weight * n[rows][pos],
        }
    )


def _group_ids(incidents: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Each incident's group (day, category, agency, ward, cells) as a number from 0,
    and the keys of every group, in that order."""
    day = incidents["occurred_from"].to_numpy("datetime64[s]").astype("datetime64[D]")
    codes = {
        "day": day.astype(np.int64),
        "category": incidents["category"].cat.codes.to_numpy(np.int64),
        "agency_id": incidents["agency_id"].to_numpy(np.int64),
        "ward_code": incidents["ward_code"].cat.codes.to_numpy(np.int64),  # -1: none
        **{c: incidents[c].fillna(-1).to_numpy(np.int64) for c in ("h3_7", "h3_8", "h3_9")},
    }
    group = pd.DataFrame(codes).groupby(list(codes), sort=False).ngroup().to_numpy()
    # Groups are numbered as they first appear: a group's first incident is where the
    # number exceeds every number before it.
    seen = np.maximum.accumulate(group)
    first = np.flatnonzero(np.r_[True, group[1:] > seen[:-1]])
    keys = pd.DataFrame(
        {
            "day": day[first],
            # Categorical: Arrow writes them from their codes, not a million strings.
            "category": incidents["category"].iloc[first].reset_index(drop=True),
            "agency_id": codes["agency_id"][first],
            "ward_code": incidents["ward_code"].iloc[first].reset_index(drop=True),
            **{
                c: incidents[c].iloc[first].reset_index(drop=True) for c in ("h3_7", "h3_8", "h3_9")
            },
        }
    )
    return group, keys


def grouped_rows(
    incidents: pd.DataFrame, weights: tuple[np.ndarray, pd.DataFrame] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of incident_cells_daily and incident_hours_daily for `incidents`
    (as `_read_incidents` returns them), grouped here rather than in SQL: no temporary
    table of per-incident weights, no join back to the incidents. `weights`: their
    `incident_weights`, when already known."""
    share, hours = weights if weights is not None else incident_weights(incidents)
    group, keys = _group_ids(incidents)
    n = incidents["n"].to_numpy(float)
    groups = len(keys)
    cells = keys.assign(
        n=np.bincount(group, weights=n, minlength=groups),
        daylight=np.bincount(group, weights=n * np.nan_to_num(share), minlength=groups),
        darkness=np.bincount(
            group, weights=np.where(np.isnan(share), 0.0, n * (1 - share)), minlength=groups
        ),
    )
    slot = (group[hours["pos"].to_numpy()] * 7 + hours["weekday"].to_numpy()) * _HOUR_SLOTS
    slot += hours["hour"].to_numpy() + 1
    slots, where = np.unique(slot, return_inverse=True)
    hour = slots % _HOUR_SLOTS - 1
    hourly = keys.iloc[slots // (_HOUR_SLOTS * 7)].reset_index(drop=True)
    hourly = hourly.assign(
        weekday=(slots // _HOUR_SLOTS) % 7,
        hour=pd.arrays.IntegerArray(hour, mask=hour < 0),
        weight=np.bincount(where.ravel(), weights=hours["weight"].to_numpy()),
    )
    return cells, hourly


def _copy_frame(conn: Connection, table: str, frame: pd.DataFrame) -> None:
    """COPY `frame` into `table` as CSV written by Arrow (several times faster than
    pandas for a million rows), rendered while the server parses."""
    import pyarrow as pa

    columns = ", ".join(frame.columns)
    bulk.copy_arrow(
        conn,
        f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)",
        pa.Table.from_pandas(frame, preserve_index=False),
    )


def _agencies(conn: Connection, import_id: int | None, unit: str) -> list[int] | None:
    """The agencies to rebuild: [] for none, None for every agency."""
    if import_id is None or unit == "events":  # an event can span agencies: rebuild all
        return None
    rows = conn.execute(
        text("SELECT DISTINCT agency_id FROM incidents WHERE import_id = :i"), {"i": import_id}
    ).scalars()
    return sorted(int(a) for a in rows)


@dataclass
class FileWeights:
    """The weights of a file's rows, computed from the rows in hand while the
    database stores them (`weigh_file`), for the refresh that follows the load."""

    rows: pd.DataFrame  # the file's rows (incident_store.STAGE_COLUMNS)
    weights: Future  # -> incident_weights(rows) for n = 1


def weigh_file(conn: Connection, rows: pd.DataFrame) -> FileWeights:
    """Start weighing `rows` in a worker thread: numpy and the sun tables run on
    the second core while PostgreSQL places and stores the rows."""
    lat = np.array(rows["lat"].to_numpy(float, na_value=np.nan))  # copies: filled below
    lon = np.array(rows["lon"].to_numpy(float, na_value=np.nan))
    no_point = np.isnan(lat) & rows["text_ward_code"].notna().to_numpy()
    if no_point.any():  # as _SOURCE: the sun of the ward's inner point
        points = conn.execute(
            text(
                "SELECT code, ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)) "
                "FROM wards WHERE code = ANY(:codes)"
            ),
            {"codes": sorted(set(rows["text_ward_code"][no_point]))},
        ).all()
        found = {code: (y, x) for code, y, x in points}
        ward = rows["text_ward_code"].to_numpy(object)
        for i in np.flatnonzero(no_point):
            lat[i], lon[i] = found.get(ward[i], (np.nan, np.nan))
    timing = pd.DataFrame(
        {
            "occurred_from": rows["occurred_from"].to_numpy(),
            "occurred_to": rows["occurred_to"].to_numpy(),
            "time_known": rows["time_known"].to_numpy(bool),
            "lat": lat,
            "lon": lon,
            "n": 1.0,
        }
    )
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(incident_weights, timing)
    pool.shutdown(wait=False)  # the thread finishes the one task, then ends
    return FileWeights(rows=rows, weights=future)


def _file_incidents(conn: Connection, chosen: str, unit: str, file: FileWeights):
    """The incidents to aggregate as `_read_incidents` returns them, built from the
    file's rows when they are all the chosen agencies hold and each counts once:
    a first national load reads nothing back. None otherwise."""
    import pyarrow as pa

    scope = f"WHERE {chosen}" if chosen else ""
    held, grouped = conn.execute(
        text(f"SELECT count(*), count(event_group_id) FROM incidents {scope}")
    ).one()
    if held != len(file.rows) or (unit == "events" and grouped):
        return None
    rows = file.rows
    placed = bulk.copy_out(
        conn, 'SELECT "row", code FROM ward_of', {"row": pa.int64(), "code": pa.string()}
    )
    ward = rows["row"].map(pd.Series(placed["code"].to_numpy(object), index=placed["row"]))
    ward = ward.astype(object)
    text_ward = rows["lat"].isna() | rows["lon"].isna()
    ward = ward.where(ward.notna() | ~text_ward, rows["text_ward_code"]).astype("category")
    incidents = pd.DataFrame(
        {
            "occurred_from": rows["occurred_from"].to_numpy(),
            "category": rows["category"].astype("category").array,
            "agency_id": rows["agency_id"].to_numpy(np.int64),
            "ward_code": ward.array,
            **{c: rows[c].astype("Int64").array for c in ("h3_7", "h3_8", "h3_9")},
            "n": 1.0,
        }
    )
    return incidents, file.weights.result()


def refresh_aggregates(
    conn: Connection, import_id: int | None = None, file: FileWeights | None = None
) -> int:
    """Rebuild the aggregate rows of the agencies import `import_id` wrote (every
    agency when None), on the caller's connection and transaction. Returns the number
    of incidents aggregated. `file`: the import's rows, weighed (`weigh_file`), when
    it wrote every one of them."""
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
    known = _file_incidents(conn, chosen, unit, file) if file is not None else None
    incidents, weights = known or (
        _read_incidents(conn, f"WHERE i.{chosen}" if chosen else "", unit),
        None,
    )
    if incidents.empty:
        rollup.refresh_rollups(conn, agencies)  # the agencies' old months go too
        return 0
    deferred = (
        bulk.indexes_deferred(conn, TABLES)
        if bulk.is_bulk(conn, TABLES[0], len(incidents))
        or (not chosen and len(incidents) >= bulk.BULK_MIN_ROWS)
        else contextlib.nullcontext()
    )
    with deferred:
        cells, hours = grouped_rows(incidents, weights)
        _copy_frame(conn, "incident_cells_daily", cells)
        _copy_frame(conn, "incident_hours_daily", hours)
    if len(incidents) >= _ANALYZE_FROM_ROWS:
        conn.execute(text(f"ANALYZE {', '.join(TABLES)}"))
    # A full rebuild hands over the incidents in hand: the map rollup need not read them.
    rollup.refresh_rollups(conn, agencies, incidents if agencies is None else None)
    return len(incidents)
