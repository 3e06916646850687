"""Ingest throughput: a generated GPS file of N rows through `etl.ingest` end to end.

    python -m bench.ingest_throughput --rows 100000 [--wards PATH]

Uses the configured database (DATABASE_URL or the managed cluster under
OBSERVATORY_HOME). Loads the Kenya wards first when --wards is given and none are
loaded; then truncates incidents and times a first load and a re-run (all unchanged).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text

CATEGORIES = ("theft", "assault", "Robbery with violence", "house breaking", "defilement", "mob")
STATUSES = ("PUI", "taken to court", "convicted", "", "reported")


def generate(rows: int, seed: int = 8) -> pd.DataFrame:
    """Incidents around Nairobi and the other towns, ISO dates, 24-hour times."""
    rng = np.random.default_rng(seed)
    towns = np.array(
        [[-1.29, 36.82], [-4.04, 39.67], [-0.10, 34.76], [0.52, 35.27], [-0.30, 36.07]]
    )
    town = towns[rng.integers(0, len(towns), rows)]
    lat = town[:, 0] + rng.normal(0, 0.05, rows)
    lon = town[:, 1] + rng.normal(0, 0.05, rows)
    days = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, rows), unit="D")
    return pd.DataFrame(
        {
            "agency": "Bench Police Station",
            "agency_type": "police_station",
            "record_ref": [f"OB {i}" for i in range(rows)],
            "category": rng.choice(CATEGORIES, rows),
            "occurred_on": days.strftime("%Y-%m-%d"),
            "occurred_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, [24, 60], (rows, 2))],
            "latitude": lat.round(6),
            "longitude": lon.round(6),
            "victim_sex": rng.choice(["F", "M", ""], rows),
            "victim_age": rng.integers(1, 90, rows),
            "status": rng.choice(STATUSES, rows),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--wards", type=Path, default=None)
    args = parser.parse_args()

    from etl.ingest import ingest_files
    from geodata.db import get_engine

    engine = get_engine()
    with engine.begin() as conn:
        wards = conn.execute(text("SELECT count(*) FROM wards")).scalar_one()
    if not wards and args.wards:
        from geodata.boundaries import load_wards

        load_wards(engine, args.wards, code_field="wardcode", name_field="ward")
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE incidents, imports CASCADE"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        generate(args.rows).to_csv(path, index=False)
        for label in ("first load", "re-run"):
            started = time.perf_counter()
            (report,) = ingest_files([path], engine=engine)
            seconds = time.perf_counter() - started
            rate = args.rows / seconds
            print(
                f"{label}: {args.rows:,} rows in {seconds:.2f} s = {rate:,.0f} rows/s "
                f"(inserted {report['inserted']}, unchanged {report['unchanged']}, "
                f"no ward {report['no_ward']}, quarantined {report['quarantined']})"
            )


if __name__ == "__main__":
    main()
