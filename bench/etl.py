"""ETL throughput: template CSV files through `etl.ingest.ingest_files`, end to end
(read, check, place, COPY, wards, upsert, report), timed from the caller."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, text

from bench.report import Figure, NotBuilt


def _ingest(engine: Engine, path: Path) -> tuple[dict, float]:
    try:
        from etl.ingest import ingest_files
    except ImportError as exc:
        raise NotBuilt("etl.ingest") from exc
    started = time.perf_counter()
    (report,) = ingest_files([path], engine=engine)
    seconds = time.perf_counter() - started
    if report.get("failed"):
        raise RuntimeError(f"{path.name} failed to load: {report.get('error')}")
    return report, seconds


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
    report, seconds = _ingest(engine, path)
    values: dict = {"rows/s": rows / seconds, "seconds": seconds}
    values["inserted"] = report.get("inserted", 0)
    values["unchanged"] = report.get("unchanged", 0)
    values["no_ward"] = report.get("no_ward", 0)
    if floor_seconds:
        values["floor_s"] = floor_seconds
        values["x_floor"] = seconds / floor_seconds
    return Figure(name, values)


def text_places_figure(engine: Engine, path: Path, rows: int, name: str) -> Figure:
    """A file whose places are ward names only: rows/s and how many were placed."""
    report, seconds = _ingest(engine, path)
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
