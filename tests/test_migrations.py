"""Alembic migrations on a throwaway database: up, down, up again, an existing
database upgraded without losing data, and the models matching the migrations."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, inspect, pool, text

from geodata.db import alembic_config
from geodata.models import Base

DB = "mig_test"
OUR_TABLES = {t.name for t in Base.metadata.sorted_tables}
# Tables and schemas PostGIS and its extensions own.
POSTGIS_TABLES = {"spatial_ref_sys", "topology", "layer"}
POSTGIS_SCHEMAS = {"topology", "tiger", "tiger_data"}


@pytest.fixture
def mig_url(engine):
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DB}"))
    url = engine.url.set(database=DB).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))


def revision_and_tables(url: str) -> tuple[str | None, set[str]]:
    eng = create_engine(url, poolclass=pool.NullPool)
    try:
        with eng.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
            tables = set(inspect(conn).get_table_names()) - POSTGIS_TABLES - {"alembic_version"}
        return revision, tables
    finally:
        eng.dispose()


def test_upgrade_downgrade_upgrade(mig_url):
    config = alembic_config(mig_url)
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head()
    assert {"0001", "0002"} <= {s.revision for s in scripts.walk_revisions()}
    command.upgrade(config, "head")
    assert revision_and_tables(mig_url) == (head, OUR_TABLES)
    command.downgrade(config, "base")
    assert revision_and_tables(mig_url) == (None, set())
    command.upgrade(config, "head")
    assert revision_and_tables(mig_url) == (head, OUR_TABLES)


def test_existing_wards_survive_the_attribution_migration(mig_url):
    config = alembic_config(mig_url)
    command.upgrade(config, "0001")
    eng = create_engine(mig_url, poolclass=pool.NullPool)
    try:
        with eng.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO wards (code, name, geom) VALUES ('W1', 'Old Ward', "
                    "ST_Multi(ST_MakeEnvelope(36.8, -1.3, 36.81, -1.29, 4326)))"
                )
            )
        command.upgrade(config, "head")
        with eng.connect() as conn:
            rows = conn.execute(text("SELECT code, name, attribution FROM wards")).all()
        assert rows == [("W1", "Old Ward", None)]
        command.downgrade(config, "0001")
        with eng.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM wards")).scalar_one() == 1
    finally:
        eng.dispose()


def include_name(name, type_, parent_names) -> bool:
    if type_ == "schema":
        return name not in POSTGIS_SCHEMAS
    if type_ == "table":
        return name not in POSTGIS_TABLES
    return True


def test_models_match_the_migrations(mig_url):
    command.upgrade(alembic_config(mig_url), "head")
    eng = create_engine(mig_url, poolclass=pool.NullPool)
    try:
        with eng.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_object": alembic_helpers.include_object,
                    "include_name": include_name,
                    "compare_type": True,
                    "compare_server_default": True,
                },
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        eng.dispose()
    assert differences == []


def test_the_detector_sees_a_model_change(mig_url):
    """compare_metadata is not blind: a column dropped behind the models' back shows."""
    command.upgrade(alembic_config(mig_url), "head")
    eng = create_engine(mig_url, poolclass=pool.NullPool)
    try:
        with eng.begin() as conn:
            conn.execute(text("ALTER TABLE wards DROP COLUMN attribution"))
        with eng.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_object": alembic_helpers.include_object,
                    "include_name": include_name,
                },
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        eng.dispose()
    assert [d[0] for d in differences] == ["add_column"]
    assert differences[0][3].name == "attribution"
