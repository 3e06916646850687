"""Connecting to PostGIS: the configured server or the managed cluster, with the
schema brought to the latest Alembic revision on first use."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from geodata import cluster, settings
from geodata.errors import SetupError

_MIGRATIONS = Path(__file__).parent / "migrations"
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def database_url() -> str:
    """The SQLAlchemy URL in force, starting the managed cluster when needed."""
    url = settings.get("DATABASE_URL")
    if url:
        # Accept the libpq spelling users paste from elsewhere.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
    return cluster.start().url


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None) -> str:
    """Apply every pending migration; returns the head revision."""
    from alembic import command
    from alembic.script import ScriptDirectory

    url = url or database_url()
    config = alembic_config(url)
    command.upgrade(config, "head")
    return ScriptDirectory.from_config(config).get_current_head() or ""


def _at_head(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head


def get_engine(url: str | None = None) -> Engine:
    """A shared engine for `url` (default: the configured database), migrated to head."""
    url = url or database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
            try:
                with engine.connect() as conn:
                    conn.execute(text("select 1"))
            except Exception as exc:  # noqa: BLE001 - turned into an actionable message
                raise SetupError(
                    f"Cannot connect to the database at {engine.url!r}: {exc}"
                ) from exc
            if not _at_head(engine):
                upgrade(url)
            _engines[url] = engine
    return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
