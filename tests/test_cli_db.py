"""`observatory db up|down|status` against a fresh OBSERVATORY_HOME, through the real
command, and the one-line messages when PostgreSQL or PostGIS is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from tests.conftest import REPO

OBSERVATORY = str(REPO / ".venv" / "bin" / "observatory")


def make_home(prefix: str) -> Path:
    # Under /tmp with 0755, not pytest's 0700 tmp_path: as root the server runs as
    # the `postgres` user and must reach its data directory.
    home = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    home.chmod(0o755)
    return home


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = os.environ.copy()
    env["OBSERVATORY_HOME"] = str(home)
    for key in ("DATABASE_URL", "OBSERVATORY_PG_BINDIR"):
        env.pop(key, None)
    env.update(extra)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OBSERVATORY, *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture
def fresh_home():
    """A new OBSERVATORY_HOME whose cluster is always stopped afterwards."""
    home = make_home("obs-cli-")
    env = cli_env(home)
    try:
        yield home, env
    finally:
        run(env, "db", "down")
        shutil.rmtree(home, ignore_errors=True)


def test_cluster_lifecycle_through_the_cli(fresh_home, tmp_path):
    home, env = fresh_home
    out = run(env, "db", "status")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("not initialised")
    assert str(home) in out.stdout

    first = run(env, "db", "up")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("running")
    second = run(env, "db", "up")  # already running: fine, nothing changes
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert run(env, "db", "status").stdout.startswith("running")

    # Data survives a restart: a ward loaded before `down` is replaced, not new, after.
    wards = tmp_path / "wards.geojson"
    gpd.GeoDataFrame(
        {"code": ["C1"], "name": ["Cli Ward"]},
        geometry=[box(36.8, -1.3, 36.81, -1.29)],
        crs="EPSG:4326",
    ).to_file(wards, driver="GeoJSON", engine="pyogrio")
    loaded = run(env, "wards", "load", str(wards))
    assert loaded.returncode == 0, loaded.stderr
    assert "(1 new, 0 replaced)" in loaded.stdout

    down = run(env, "db", "down")
    assert (down.returncode, down.stdout.strip()) == (0, "stopped")
    assert run(env, "db", "status").stdout.startswith("stopped")
    again = run(env, "db", "down")
    assert (again.returncode, again.stdout.strip()) == (0, "not running")

    # A command that needs the database starts the stopped cluster by itself.
    csv = tmp_path / "incidents.csv"
    export = run(env, "export", "incidents", "--out", str(csv))
    assert export.returncode == 0, export.stderr
    assert export.stdout.strip() == f"wrote 0 incidents to {csv}"
    assert csv.read_text().startswith("agency,agency_type,record_ref,category,")
    assert run(env, "db", "status").stdout.startswith("running")
    reloaded = run(env, "wards", "load", str(wards))
    assert "(0 new, 1 replaced)" in reloaded.stdout


def test_a_crashed_cluster_is_started_again_not_trusted(fresh_home, tmp_path):
    """A power cut or a reboot that keeps OBSERVATORY_HOME leaves the postmaster's pid
    file and socket behind with no server: the next command must start PostgreSQL,
    not fail to connect to a cluster it believes is running."""
    home, env = fresh_home
    assert run(env, "db", "up").returncode == 0
    pid_file = home / "pgdata" / "postmaster.pid"
    socket = home / "run" / ".s.PGSQL.5432"
    left_behind = pid_file.read_text()
    assert run(env, "db", "down").stdout.strip() == "stopped"
    gone = Path(f"/proc/{left_behind.split()[0]}")
    for _ in range(100):  # pg_ctl returns as the pid file goes, the process a moment later
        if not gone.exists():
            break
        time.sleep(0.05)
    pid_file.write_text(left_behind)
    socket.touch()

    assert run(env, "db", "status").stdout.startswith("stopped")
    csv = tmp_path / "incidents.csv"
    export = run(env, "export", "incidents", "--out", str(csv))
    assert export.returncode == 0, export.stderr
    assert export.stdout.strip() == f"wrote 0 incidents to {csv}"
    assert run(env, "db", "status").stdout.startswith("running")


def fake_bindir(root: Path, version_line: str | None) -> Path:
    """initdb/pg_ctl that do nothing and a `postgres --version` printing `version_line`
    (no binaries at all when None)."""
    bindir = root / "bin"
    bindir.mkdir()
    if version_line is None:
        return bindir
    scripts = {"initdb": "exit 0", "pg_ctl": "exit 0", "postgres": f"echo '{version_line}'"}
    for name, body in scripts.items():
        script = bindir / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
    return bindir


@pytest.mark.parametrize(
    "version_line,package",
    [
        ("postgres (PostgreSQL) 99.2 (Debian 99.2-1)", "postgresql-99-postgis-3"),
        (None, "postgresql-15 postgresql-15-postgis-3"),
    ],
    ids=["postgis-missing", "postgresql-missing"],
)
def test_missing_server_software_is_one_line_naming_the_package(version_line, package):
    home = make_home("obs-nopg-")
    try:
        env = cli_env(home, OBSERVATORY_PG_BINDIR=str(fake_bindir(home, version_line)))
        for args in (("db", "up"), ("export", "incidents", "--out", str(home / "x.csv"))):
            out = run(env, *args)
            assert out.returncode == 1, out.stdout
            lines = out.stderr.strip().splitlines()
            assert len(lines) == 1, out.stderr
            assert lines[0].startswith("error: ")
            assert f"apt-get install {package}`" in lines[0]
            assert "Traceback" not in out.stderr
        assert not (home / "pgdata").exists()  # nothing half-created
        assert run(env, "db", "status").stdout.startswith("not initialised")
    finally:
        shutil.rmtree(home, ignore_errors=True)
