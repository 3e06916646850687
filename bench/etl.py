"""ETL throughput: template CSV files through `etl.ingest.ingest_files`, end to end
(read, check, place, COPY, wards, upsert, report), timed from the caller."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, event, text

from bench.report import Figure, NotBuilt


@contextlib.contextmanager
def statement_clock(engine: Engine) -> Iterator[dict[str, float]]:
    """Seconds spent in SQL statements on `engine` (COPY data excluded), by the
    statement's first words, while the block runs."""
    spent: dict[str, float] = {}

    def before(conn, cursor, statement, params, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, params, context, executemany):
        words = " ".join(statement.split()[:3])
        took = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        spent[words] = spent.get(words, 0.0) + took

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield spent
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def _ingest(engine: Engine, path: Path) -> tuple[dict, float, dict[str, float]]:
    try:
        from etl.ingest import ingest_files
    except ImportError as exc:
        raise NotBuilt("etl.ingest") from exc
    with statement_clock(engine) as spent:
        started = time.perf_counter()
        (report,) = ingest_files([path], engine=engine)
        seconds = time.perf_counter() - started
    if report.get("failed"):
        raise RuntimeError(f"{path.name} failed to load: {report.get('error')}")
    return report, seconds, spent


def _methods(engine: Engine, import_id: int | None) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT geocode_method, count(*) FROM incidents WHERE import_id = :i "
                "GROUP BY geocode_method"
            ),
            {"i": import_id},
        ).all()
    return {method: int(count) for method, count in rows}


def ingest_figure(
    engine: Engine, path: Path, rows: int, name: str, floor_seconds: float | None = None
) -> Figure:
    """One file loaded; `floor_seconds` (H3 + point in polygon + COPY of the same rows)
    gives the ratio to the limit."""
    report, seconds, spent = _ingest(engine, path)
    values: dict = {"rows/s": rows / seconds, "seconds": seconds}
    values["sql_s"] = sum(spent.values())
    slowest = max(spent, key=spent.__getitem__, default="")
    values["slowest_sql"] = f"'{slowest}'={spent.get(slowest, 0):.1f}s"
    values["inserted"] = report.get("inserted", 0)
    values["unchanged"] = report.get("unchanged", 0)
    values["no_ward"] = report.get("no_ward", 0)
    if floor_seconds:
        values["floor_s"] = floor_seconds
        values["x_floor"] = seconds / floor_seconds
    return Figure(name, values)


def text_places_figure(engine: Engine, path: Path, rows: int, name: str) -> Figure:
    """A file whose places are ward names only: rows/s and how many were placed."""
    report, seconds, _ = _ingest(engine, path)
    methods = _methods(engine, report.get("import_id"))
    placed = sum(count for method, count in methods.items() if method != "unresolved")
    if not placed:
        raise NotBuilt("text places are not placed by etl.ingest (every row unresolved)")
    return Figure(
        name,
        {
            "rows/s": rows / seconds,
            "seconds": seconds,
            "placed_share": placed / rows,
            **{f"by_{m}": c for m, c in sorted(methods.items())},
        },
    )
