"""Shared fixtures: a real PostGIS (the managed cluster in a temporary
OBSERVATORY_HOME, or TEST_DATABASE_URL) and real headless Chromium for dash_duo.

Nothing here skips: a missing database or browser fails the run."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
KENYA_WARDS = SHARED / "geodata" / "kenya-wards" / "kenya_wards.shp"
KENYA_WARD_FIELDS = {
    "code_field": "wardcode",
    "name_field": "ward",
    "county_field": "county",
    "constituency_field": "const",
}
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_setup_options():
    """dash[testing] hook: drive the system Chromium, headless, with no network."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    return options


@pytest.fixture(scope="session")
def observatory_home():
    """A private OBSERVATORY_HOME for the whole run (cluster, demo files)."""
    # /tmp, not pytest's 0700 tmp_path: when run as root the server runs as the
    # `postgres` user and must reach its data directory.
    home = Path(tempfile.mkdtemp(prefix="obs-test-", dir="/tmp"))
    home.chmod(0o755)
    previous = {k: os.environ.get(k) for k in ("OBSERVATORY_HOME", "DATABASE_URL")}
    os.environ["OBSERVATORY_HOME"] = str(home)
    if os.environ.get("TEST_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]
    else:
        os.environ.pop("DATABASE_URL", None)
    yield home
    from geodata import cluster, db

    db.dispose_engines()
    if not os.environ.get("TEST_DATABASE_URL"):
        cluster.stop()
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def engine(observatory_home):
    from geodata.db import get_engine

    return get_engine()


def truncate_all(engine) -> None:
    from geodata.models import Base

    # data_version keeps its single row (bumped, never reset): cached reads key on it.
    names = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "data_version")
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE data_version SET version = version + 1 WHERE id = 1"))


@pytest.fixture
def empty_db(engine):
    """The database with every table emptied before the test."""
    truncate_all(engine)
    from geodata import cache

    cache.clear()
    return engine
