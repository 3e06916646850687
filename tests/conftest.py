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
# A background cache warmer would race the tests' truncations (tests/test_warm.py
# turns it on for itself).
os.environ["OBSERVATORY_WARM_CACHE"] = "0"


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


# --- signing in for browser tests ---------------------------------------------------
# The full app needs a signed-in user. Browser tests that just want to see pages call
# `dash_duo.start_server(create_app())` as before: the `dash_duo` below then signs in
# a `team` user through the real /login form. Tests marked `anonymous`, and the
# public app, are left signed out; `login(...)` signs in someone else.

BROWSER_USER = "browser-team"
BROWSER_PASSWORD = "browser test pass phrase"


def ensure_user(engine, username: str, password: str, role: str, station_wards=()) -> None:
    """A user with this password and role, enabled (made or reset through geodata.users)."""
    from geodata import users

    existing = users.get_user(engine, username)
    if existing is None:
        users.add_user(engine, username, password, role, station_wards)
        return
    if existing.role != role or existing.station_wards != tuple(station_wards):
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE users SET role = :r, station_wards = :w WHERE username = :u"),
                {"r": role, "w": list(station_wards), "u": existing.username},
            )
    users.set_password(engine, username, password)
    users.set_disabled(engine, username, False)


def login(dash_duo, username: str, password: str, next_path: str = "/") -> None:
    """Sign in through the app's /login form in the browser, then open `next_path`
    (the Dash page must load). Fails with the form's message when sign-in fails."""
    import time

    from selenium.webdriver.common.by import By

    base = dash_duo.server.url.rstrip("/")
    dash_duo.driver.get(f"{base}/login")
    dash_duo.wait_for_element("input[name=username]").send_keys(username)
    dash_duo.find_element("input[name=password]").send_keys(password)
    dash_duo.find_element("button[type=submit]").click()
    deadline = time.monotonic() + 20
    while "/login" in dash_duo.driver.current_url and time.monotonic() < deadline:
        alerts = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".message")
        if alerts and alerts[0].text:
            raise AssertionError(f"sign-in as {username} failed: {alerts[0].text}")
        time.sleep(0.1)
    dash_duo.server_url = base  # opens the app and waits for Dash to load
    if next_path != "/":
        dash_duo.wait_for_page(f"{base}{next_path}")


def _signs_in(request, app) -> bool:
    state = getattr(app, "server", app).extensions.get("observatory_auth")
    return (
        state is not None
        and not state.public
        and request.node.get_closest_marker("anonymous") is None
    )


@pytest.fixture
def dash_duo(request, dash_duo):
    """The dash[testing] fixture, signing in a `team` user after `start_server` when
    the app needs it (see above)."""
    start = dash_duo.start_server

    def start_server(app, navigate=True, **kwargs):
        if not _signs_in(request, app):
            return start(app, navigate=navigate, **kwargs)
        dash_duo.server(app, **kwargs)
        ensure_user(request.getfixturevalue("engine"), BROWSER_USER, BROWSER_PASSWORD, "team")
        if navigate:
            login(dash_duo, BROWSER_USER, BROWSER_PASSWORD)
        return None

    dash_duo.start_server = start_server
    yield dash_duo
    # dash's runner stops the threads a test's server started by raising SystemExit
    # in them, the kept Chromium's among them; close it first, so the next test's
    # downloads start a browser of their own instead of one half torn down.
    from dashboard.renderer import renderer

    renderer.close()


@pytest.fixture(scope="module")
def count_records():
    """Count records, not linked events, for the whole module: for tests whose expected
    figures are raw row counts taken from the incidents table. The events unit (the
    default) is covered by tests/test_count_unit.py. Request it from the fixture that
    loads the data, since aggregates are built with the unit in force at load time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OBSERVATORY_COUNT_UNIT", "records")
        yield


PASSWORD = "correct horse battery"
# A small square in Nairobi; tests insert it under several codes.
WARD_SQL = (
    "INSERT INTO wards (code, name, geom) VALUES (:code, :name, "
    "ST_Multi(ST_GeomFromText('POLYGON((36.8 -1.3, 36.81 -1.3, 36.81 -1.29, 36.8 -1.3))', 4326)))"
)


@pytest.fixture
def role_users(empty_db):
    """Two wards and one user per role: team `tina`, commander `cmdr` (ward W1), admin
    `ada`, all with PASSWORD."""
    from geodata import users

    with empty_db.begin() as conn:
        conn.execute(text(WARD_SQL), {"code": "W1", "name": "Ward one"})
        conn.execute(text(WARD_SQL), {"code": "W2", "name": "Ward two"})
    users.add_user(empty_db, "tina", PASSWORD, "team")
    users.add_user(empty_db, "cmdr", PASSWORD, "commander", ["W1"])
    users.add_user(empty_db, "ada", PASSWORD, "admin")
    return empty_db
