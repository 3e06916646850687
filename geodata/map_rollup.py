"""Incident records per month and resolution-6 cell, for the national map.

A national map at resolution 8 holds about 144,000 cells a year at a million
incidents, far over the map's cell budget, so the page draws resolution 6. Counting
the fine cells only to learn that took a second (every incident read and grouped).
This table holds per month, category (NULL: every category) and resolution-6 cell:

- n: the records (the map counts records, whatever OBSERVATORY_COUNT_UNIT says);
- cells_7, cells_8, cells_9: how many distinct finer cells inside it had one.

Distinct counts do not add up over months or categories, but a cell's largest
month is a floor for its year: summed over the resolution-6 cells, the floors prove
that a range holds more fine cells than the budget without reading them
(geodata.queries.maps.hex_view). A range that cannot be proven so is counted from
`incidents` as before.

Beside it, `incident_wards_monthly` holds records per month, category and ward and
how many have a position: the map page's headlines and category counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geodata import bulk
from geodata.h3grid import parents

TABLE = "incident_map_monthly"
WARDS = "incident_wards_monthly"
FINE = (7, 8, 9)  # the resolutions whose distinct cells are counted
MONTH = "date_trunc('month', occurred_from)::date"
# Months as whole numbers (year * 12 + month - 1): a million dates group slowly.
MONTH_INDEX = "(extract(year FROM occurred_from) * 12 + extract(month FROM occurred_from) - 1)::int"


def refresh_map_rollup(
    conn: Connection, months: Sequence[date] | None, incidents: pd.DataFrame | None = None
) -> None:
    """Rebuild the rows of `months` (first days; every month when None) from
    `incidents`, on the caller's connection and transaction. `incidents`: every
    incident (columns occurred_from, category, ward_code, h3_9) when the caller has
    them in hand (a full rebuild then reads nothing: a million rows take 1.5 s)."""
    if conn.execute(text(f"SELECT to_regclass('{TABLE}')")).scalar() is None:
        return  # migrations before 0012
    tables = (TABLE, WARDS)
    if months is None:
        conn.execute(text(f"TRUNCATE {', '.join(tables)}"))
        scope = "TRUE"
    else:
        if not months:
            return
        params = {"months": list(months)}
        for table in tables:
            conn.execute(text(f"DELETE FROM {table} WHERE month = ANY(:months)"), params)
        # Dates written by us, not bound: COPY takes no parameters.
        listed = ", ".join(f"'{date.isoformat(m)}'" for m in months)
        scope = f"{MONTH} = ANY(ARRAY[{listed}]::date[])"
    if months is None and incidents is not None:
        frame = _from_incidents(incidents)
    else:
        frame = _read_incidents(conn, scope)
    if frame.empty:
        return
    placed = frame["h3_9"].notna().to_numpy()
    rows = {TABLE: map_rows(frame[placed]), WARDS: ward_rows(frame, placed)}
    if months is None:
        with bulk.indexes_deferred(conn, tables):
            for table, frame_rows in rows.items():
                _write(conn, table, frame_rows)
        conn.execute(text(f"ANALYZE {', '.join(tables)}"))
    else:
        for table, frame_rows in rows.items():
            _write(conn, table, frame_rows)


def _from_incidents(incidents: pd.DataFrame) -> pd.DataFrame:
    """The columns the rollups read, from incidents in hand."""
    stamps = incidents["occurred_from"].to_numpy().astype("datetime64[M]")
    return pd.DataFrame(
        {
            "month": stamps.astype(np.int64) + 1970 * 12,
            # Categoricals stay so: a million strings would be made and hashed again.
            "category": incidents["category"].array,
            "ward_code": incidents["ward_code"].array,
            "h3_9": incidents["h3_9"].astype("Int64").array,
        }
    )


def _months(numbers: np.ndarray) -> np.ndarray:
    return np.array([date(int(m) // 12, int(m) % 12 + 1, 1) for m in numbers], dtype=object)


def ward_rows(frame: pd.DataFrame, placed: np.ndarray) -> pd.DataFrame:
    """Records per month, category and ward (None: none), and those with a cell (a
    map position), in month order."""
    columns = ["month", "category", "ward_code", "n", "placed"]
    # One integer key per (month, category, ward): grouping strings costs a second.
    month_codes, month_numbers = pd.factorize(frame["month"].to_numpy(dtype=np.int64), sort=True)
    category_codes, categories = pd.factorize(frame["category"])
    ward_codes, wards = pd.factorize(frame["ward_code"], use_na_sentinel=False)
    key = (month_codes.astype(np.int64) * len(categories) + category_codes) * len(wards)
    groups, inverse, records = np.unique(key + ward_codes, return_inverse=True, return_counts=True)
    wards = np.array([None if pd.isna(w) else w for w in wards], dtype=object)
    rows = pd.DataFrame(
        {
            "month": _months(month_numbers[groups // len(wards) // len(categories)]),
            "category": np.asarray(categories, dtype=object)[
                groups // len(wards) % len(categories)
            ],
            "ward_code": wards[groups % len(wards)],
            "n": records,
            "placed": np.bincount(inverse, weights=placed).astype(np.int64),
        }
    )
    return rows[columns]


def map_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The table's rows from incidents (columns month: year * 12 + month - 1,
    category, h3_9): per month alone (category None) and per category and month, each
    resolution-6 cell's records and distinct finer cells; in that order, so a full
    rebuild writes each read's rows together."""
    columns = ["month", "category", "h3_6", "n", *(f"cells_{r}" for r in FINE)]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    # Integer keys: grouping a million dates and strings costs a second more. Sorted
    # codes keep the rows in (category, month) order, the order of the index reads.
    month_codes, month_numbers = pd.factorize(frame["month"].to_numpy(dtype=np.int64), sort=True)
    months = _months(month_numbers)
    category_codes, categories = pd.factorize(frame["category"], sort=True)
    categories = np.asarray(categories, dtype=object)
    cells = frame["h3_9"].to_numpy(dtype=np.int64)
    count = len(months)
    by_category = category_codes.astype(np.int64) * count + month_codes
    rows = []
    for key, named in ((month_codes.astype(np.int64), False), (by_category, True)):
        level = _level(key, cells)
        level["month"] = months[level["key"] % count]
        level["category"] = categories[level["key"] // count] if named else None
        rows.append(level)
    out = pd.concat(rows, ignore_index=True)
    out["category"] = out["category"].astype(object).where(out["category"].notna(), None)
    return out[columns]


# A resolution-9 cell's index without its constant bits (mode 1, resolution 9, the
# unused digits 10-15): base cell and nine digits in 34 bits, so a key fits beside it
# in one int64 and every grouping below is one numpy sort.
_CELL_BITS = 34
_UNUSED = 18  # digits 10-15
_HEADER9 = (1 << 59) | (9 << 52) | ((1 << _UNUSED) - 1)
_MASK = (1 << _CELL_BITS) - 1


def _level(key: np.ndarray, cells: np.ndarray) -> pd.DataFrame:
    """Records and distinct finer cells per (key, resolution-6 cell)."""
    packed = (cells >> _UNUSED) & _MASK
    if not np.array_equal(packed << _UNUSED | _HEADER9, cells):
        raise ValueError("H3 cells must be valid resolution-9 cell indexes")
    fine, records = np.unique(key << _CELL_BITS | packed, return_counts=True)
    fine_key, fine_cell = fine >> _CELL_BITS, fine & _MASK
    # `fine` is sorted, so every coarser packing of it is too: groups are runs.
    six = fine_key << _CELL_BITS | fine_cell >> 9  # digits 7-9 dropped
    starts = _run_starts(six)
    out = {
        "key": fine_key[starts],
        "h3_6": parents(fine_cell[starts] << _UNUSED | _HEADER9, 6),
        "n": np.add.reduceat(records, starts),
        "cells_9": np.diff(np.append(starts, len(six))),
    }
    for res in (7, 8):
        finer = fine_key << _CELL_BITS | fine_cell >> 3 * (9 - res)
        owners = six[_run_starts(finer)]
        out[f"cells_{res}"] = np.diff(np.append(_run_starts(owners), len(owners)))
    return pd.DataFrame(out)


def _read_incidents(conn: Connection, scope: str) -> pd.DataFrame:
    """Every incident's month, category, ward and cell under `scope`, by COPY."""
    import pyarrow as pa

    labels = pa.dictionary(pa.int32(), pa.string())
    types = {"month": pa.int32(), "category": labels, "ward_code": labels, "h3_9": pa.int64()}
    sql = f"SELECT {MONTH_INDEX} AS month, category, ward_code, h3_9 FROM incidents WHERE {scope}"
    return bulk.copy_out(conn, sql, types)


def _run_starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in a sorted array."""
    return np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])


def _write(conn: Connection, table_name: str, rows: pd.DataFrame) -> None:
    import pyarrow as pa

    if rows.empty:
        return
    columns = ", ".join(rows.columns)
    table = pa.Table.from_pandas(rows, preserve_index=False)
    bulk.copy_arrow(conn, f"COPY {table_name} ({columns}) FROM STDIN (FORMAT csv)", table)
