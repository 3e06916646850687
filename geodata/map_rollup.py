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
FINE = (7, 8, 9)  # the resolutions whose distinct cells are counted
MONTH = "date_trunc('month', occurred_from)::date"
# Months as whole numbers (year * 12 + month - 1): a million dates group slowly.
MONTH_INDEX = "(extract(year FROM occurred_from) * 12 + extract(month FROM occurred_from) - 1)::int"


def refresh_map_rollup(conn: Connection, months: Sequence[date] | None) -> None:
    """Rebuild the rows of `months` (first days; every month when None) from
    `incidents`, on the caller's connection and transaction."""
    if conn.execute(text(f"SELECT to_regclass('{TABLE}')")).scalar() is None:
        return  # migrations before 0012
    if months is None:
        conn.execute(text(f"TRUNCATE {TABLE}"))
        scope, params = "TRUE", {}
    else:
        if not months:
            return
        params = {"months": list(months)}
        conn.execute(text(f"DELETE FROM {TABLE} WHERE month = ANY(:months)"), params)
        scope = f"{MONTH} = ANY(:months)"
    sql = (
        f"SELECT {MONTH_INDEX} AS month, category, h3_9 FROM incidents "
        f"WHERE h3_9 IS NOT NULL AND {scope}"
    )
    frame = pd.read_sql(text(sql), conn, params=params) if params else _copy_rows(conn, sql)
    rows = map_rows(frame)
    if rows.empty:
        return
    if months is None:
        with bulk.indexes_deferred(conn, (TABLE,)):
            _write(conn, rows)
        conn.execute(text(f"ANALYZE {TABLE}"))
    else:
        _write(conn, rows)


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
    months = np.array([date(int(m) // 12, int(m) % 12 + 1, 1) for m in month_numbers])
    category_codes, categories = pd.factorize(frame["category"].astype(str), sort=True)
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


def _level(key: np.ndarray, cells: np.ndarray) -> pd.DataFrame:
    """Records and distinct finer cells per (key, resolution-6 cell)."""
    fine = pd.DataFrame({"key": key, "h3_9": cells}).groupby(["key", "h3_9"]).size()
    fine = fine.rename("n").reset_index()
    nine = fine["h3_9"].to_numpy()
    fine["h3_6"] = parents(nine, 6)
    out = fine.groupby(["key", "h3_6"]).agg(n=("n", "sum"), cells_9=("n", "size"))
    for res in (7, 8):
        fine[f"h3_{res}"] = parents(nine, res)
        distinct = fine.drop_duplicates(["key", f"h3_{res}"])
        out[f"cells_{res}"] = distinct.groupby(["key", "h3_6"]).size()
    return out.reset_index()


def _write(conn: Connection, rows: pd.DataFrame) -> None:
    import pyarrow as pa

    columns = ", ".join(rows.columns)
    table = pa.Table.from_pandas(rows, preserve_index=False)
    bulk.copy_arrow(conn, f"COPY {TABLE} ({columns}) FROM STDIN (FORMAT csv)", table)


def _copy_rows(conn: Connection, sql: str) -> pd.DataFrame:
    """Every incident's month, category and cell by COPY (a million rows: a second
    faster than a cursor)."""
    import io

    import pyarrow as pa
    import pyarrow.csv as pacsv

    cursor = conn.connection.driver_connection.cursor()
    buffer = io.BytesIO()
    with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            buffer.write(chunk)
    if not buffer.tell():
        return pd.DataFrame(columns=["month", "category", "h3_9"])
    buffer.seek(0)
    types = {"month": pa.int32(), "category": pa.dictionary(pa.int32(), pa.string())}
    types["h3_9"] = pa.int64()
    table = pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=list(types)),
        convert_options=pacsv.ConvertOptions(column_types=types),
    )
    return table.to_pandas()
