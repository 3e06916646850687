"""The benchmark's own database: a managed cluster under a dedicated OBSERVATORY_HOME
(default /tmp/obs-bench), or a server named explicitly with --database-url. Never the
user's data: the benchmark truncates incidents between runs."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, text

from bench.generate import KENYA_WARDS, WARD_FIELDS

DEFAULT_HOME = Path("/tmp/obs-bench")
# Everything a load writes (the aggregates keep in step with incidents).
_LOADED_TABLES = (
    "incidents",
    "imports",
    "event_groups",
    "incident_cells_daily",
    "incident_hours_daily",
    "incident_cells_monthly",
    "incident_hours_monthly",
    "incident_map_monthly",
    "incident_wards_monthly",
    # Counts kept beside the incidents (geodata.summaries); justice_cases goes by cascade.
    "justice_states",
    "justice_days",
    "agency_record_counts",
)


def bench_engine(home: Path = DEFAULT_HOME, database_url: str | None = None) -> Engine:
    """An engine on the bench database, migrated, with the Kenya wards loaded.

    A DATABASE_URL in the environment is ignored unless passed here on purpose, so
    `make bench` cannot truncate a real deployment's incidents.
    """
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["OBSERVATORY_HOME"] = str(home)
    from geodata.db import get_engine

    engine = get_engine()
    ensure_wards(engine)
    return engine


def ensure_wards(engine: Engine) -> int:
    with engine.connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM wards")).scalar_one()
    if loaded:
        return int(loaded)
    from geodata.boundaries import load_wards

    return load_wards(engine, KENYA_WARDS, **WARD_FIELDS).loaded


def reset_incidents(engine: Engine) -> None:
    """Empty incidents and everything loaded with them; wards stay."""
    with engine.begin() as conn:
        present = conn.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_name = ANY(:t)"),
            {"t": list(_LOADED_TABLES)},
        ).scalars()
        conn.execute(text(f"TRUNCATE {', '.join(present)} CASCADE"))
        conn.execute(text("UPDATE data_version SET version = version + 1"))


def vacuum_analyze(engine: Engine) -> None:
    """Fresh statistics and visibility map after a bulk load, as autovacuum would
    leave them in a deployment that has been running for a while."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE incidents"))


def incident_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM incidents")).scalar_one())


def server_description(engine: Engine) -> str:
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
        postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
    return f"PostgreSQL {version}, PostGIS {postgis}"
