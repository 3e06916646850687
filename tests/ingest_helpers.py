"""Helpers for the ingest tests: small square wards, files written in code, and a
dump of every stored value to compare databases or grep for personal data."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import text

from etl.ingest import ingest_files

HEADER = [
    "agency",
    "agency_type",
    "record_ref",
    "category",
    "occurred_on",
    "occurred_time",
    "latitude",
    "longitude",
    "location",
]
# Two 0.1-degree squares side by side in Nairobi: W1 west of 36.8, W2 east of it.
SQUARES = {"W1": (36.7, -1.4, 36.8, -1.3), "W2": (36.8, -1.4, 36.9, -1.3)}


def load_square_wards(engine, squares: dict[str, tuple] = SQUARES) -> None:
    with engine.begin() as conn:
        for code, (xmin, ymin, xmax, ymax) in squares.items():
            conn.execute(
                text(
                    "INSERT INTO wards (code, name, geom) VALUES "
                    "(:c, :n, ST_Multi(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)))"
                ),
                {"c": code, "n": f"Ward {code}", "x0": xmin, "y0": ymin, "x1": xmax, "y1": ymax},
            )


def load_grid_wards(engine, side: int = 20, size: float = 0.05) -> None:
    """side x side square wards from (36.5, -1.6): enough rows that an index pays."""
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                INSERT INTO wards (code, name, geom)
                SELECT format('G%s_%s', i, j), format('Grid %s %s', i, j),
                       ST_Multi(ST_MakeEnvelope(36.5 + i * :s, -1.6 + j * :s,
                                                36.5 + (i + 1) * :s, -1.6 + (j + 1) * :s, 4326))
                FROM generate_series(0, :n - 1) i, generate_series(0, :n - 1) j
                """
            ),
            {"s": size, "n": side},
        )
        conn.execute(text("ANALYZE wards"))


def row(**values) -> dict:
    base = {
        "agency": "Kibera Police Station",
        "agency_type": "police_station",
        "category": "theft",
        "occurred_on": "12/03/2024",
    }
    return base | values


def write_csv(
    path: Path,
    rows: list[dict],
    header: list[str] | None = None,
    encoding: str = "utf-8",
    sep: str = ",",
) -> Path:
    header = header or list(dict.fromkeys(k for r in rows for k in r))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, delimiter=sep, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def ingest_one(engine, path: Path, **options) -> dict:
    (report,) = ingest_files([path], engine=engine, **options)
    return report


def dump(engine) -> dict[str, list[str]]:
    """Every row of every table as text (the whole stored state)."""
    with engine.connect() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT IN ('spatial_ref_sys', 'alembic_version', 'data_version') "
                "ORDER BY 1"
            )
        ).scalars()
        return {
            table: conn.execute(text(f'SELECT t::text FROM "{table}" t ORDER BY 1')).scalars().all()
            for table in list(tables)
        }


def incidents(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.*, ST_Y(geom) AS lat, ST_X(geom) AS lon, a.name AS agency "
                "FROM incidents i JOIN agencies a ON a.id = i.agency_id ORDER BY record_ref"
            )
        )
        return [dict(r._mapping) for r in rows]
