"""Bulk writes: build a table's secondary indexes and check its foreign keys once
after a large insert, instead of row by row during it.

At 100,000 incidents a plain INSERT takes 0.13 s into the bare table, 1.2 s with its
indexes and 3.1 s once the foreign keys are checked per row; dropping them, inserting
and recreating them (CREATE INDEX sorts once, ADD FOREIGN KEY validates in one join)
takes 1.55 s in all. PostgreSQL's DDL is transactional, so a failure anywhere rolls
the indexes and constraints back with the rows. The price is an exclusive lock on the
tables until the transaction commits, which is why only loads that are large next to
the table take this path (`is_bulk`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Connection, text

# A load of at least this share of the rows already stored rebuilds instead, when it
# has enough rows for the rebuild to pay: below that, the DDL and the catalog churn of
# every small file (a demo, a day's register) cost more than row-by-row upkeep.
BULK_SHARE = 0.5
BULK_MIN_ROWS = 20_000

_INDEXES = """
SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition
FROM pg_index WHERE indrelid = CAST(:table AS regclass) AND NOT indisunique
ORDER BY 1
"""

_UNIQUE = """
SELECT conname AS name, pg_get_constraintdef(oid) AS definition
FROM pg_constraint WHERE conrelid = CAST(:table AS regclass) AND contype = 'u'
ORDER BY 1
"""

_FOREIGN_KEYS = """
SELECT conname AS name, pg_get_constraintdef(oid) AS definition
FROM pg_constraint WHERE conrelid = CAST(:table AS regclass) AND contype = 'f'
ORDER BY 1
"""


def stored_rows(conn: Connection, table: str) -> int:
    """The planner's estimate of a table's rows (exact enough to choose a path, and
    free, unlike count(*) over a million rows); counted when never analysed."""
    estimate = conn.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"),
        {"table": table},
    ).scalar_one()
    if estimate is None or estimate < 0:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    return int(estimate)


def is_bulk(conn: Connection, table: str, rows: int) -> bool:
    """Whether `rows` new rows are many, and many next to what `table` holds."""
    return rows >= max(BULK_MIN_ROWS, 1) and rows >= BULK_SHARE * stored_rows(conn, table)


@contextlib.contextmanager
def indexes_deferred(conn: Connection, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the non-unique indexes and the foreign keys of `tables` for the block,
    then recreate them exactly as they were. Unique indexes stay: ON CONFLICT needs
    them, and they are what keeps a re-run from duplicating rows."""
    saved: list[tuple[str, list, list]] = []
    for table in tables:
        indexes = conn.execute(text(_INDEXES), {"table": table}).all()
        keys = conn.execute(text(_FOREIGN_KEYS), {"table": table}).all()
        saved.append((table, indexes, keys))
        for key in keys:
            conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{key.name}"'))
        for index in indexes:
            conn.execute(text(f"DROP INDEX {index.name}"))
    yield
    for table, indexes, keys in saved:
        for index in indexes:
            conn.execute(text(index.definition))
        for key in keys:
            conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{key.name}" {key.definition}'))


@contextlib.contextmanager
def unique_deferred(conn: Connection, table: str) -> Iterator[None]:
    """Drop the unique constraints of `table` for the block and add them back, each
    checked in one sort instead of one index probe per row (a third of a million-row
    INSERT). Only for a block that can write no duplicate, such as rows already
    compared with the stored ones under the table's write lock: should one slip in,
    adding the constraint back fails and the transaction rolls back."""
    keys = conn.execute(text(_UNIQUE), {"table": table}).all()
    for key in keys:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{key.name}"'))
    yield
    for key in keys:
        conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{key.name}" {key.definition}'))


@contextlib.contextmanager
def primary_key_deferred(conn: Connection, table: str) -> Iterator[None]:
    """Drop the primary key of `table` for the block and add it back, checked in one
    sort: for a table no other table references, filled in the block with rows whose
    keys cannot repeat (the key of another table's rows, one each); should one repeat,
    adding the key back fails and the transaction rolls back."""
    key = conn.execute(
        text(
            "SELECT conname AS name, pg_get_constraintdef(oid) AS definition "
            "FROM pg_constraint WHERE conrelid = CAST(:table AS regclass) AND contype = 'p'"
        ),
        {"table": table},
    ).one()
    conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{key.name}"'))
    yield
    conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{key.name}" {key.definition}'))


def copy_arrow(
    conn: Connection, copy_sql: str, table, chunk_rows: int = 100_000, order=None
) -> None:
    """Send a pyarrow Table through `copy_sql` (a COPY ... FROM STDIN (FORMAT csv))
    as CSV written by Arrow, missing values as empty fields (read as NULL), its rows
    in `order` (positions) when given. A worker thread gathers and renders the next
    chunk (Arrow releases the GIL) while the server parses the last: the two cores
    work at once."""
    import pyarrow as pa

    def chunk(start: int):
        if order is None:
            return _csv(table.slice(start, chunk_rows))
        return _csv(table.take(pa.array(order[start : start + chunk_rows])))

    driver = conn.connection.driver_connection
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        driver.cursor() as cursor,
        cursor.copy(copy_sql) as copy,
    ):
        for data in pool.map(chunk, range(0, table.num_rows, chunk_rows)):
            copy.write(data)


def _csv(table) -> memoryview:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, batch_size=65536))
    return memoryview(sink.getvalue())


def copy_out(conn: Connection, sql: str, types: dict):
    """The rows of `sql` (columns and Arrow types `types`) as a DataFrame, by COPY: a
    million rows a second faster than through a cursor. Booleans come as t/f;
    int64 columns as nullable integers (H3 cells do not survive a float64 round trip,
    NaN for NULL)."""
    import io

    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    cursor = conn.connection.driver_connection.cursor()
    buffer = io.BytesIO()
    with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            buffer.write(chunk)
    if not buffer.tell():
        return pd.DataFrame(columns=list(types))
    buffer.seek(0)
    table = pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=list(types)),
        convert_options=pacsv.ConvertOptions(
            column_types=types, true_values=["t"], false_values=["f"], strings_can_be_null=True
        ),
    )
    return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
