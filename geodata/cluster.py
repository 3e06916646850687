"""A private PostgreSQL + PostGIS cluster under OBSERVATORY_HOME.

Used when DATABASE_URL is unset. The cluster listens on a Unix socket only (no TCP),
inside a directory only its owner can reach, with `trust` authentication: nothing
outside this machine account can connect. PostgreSQL refuses to run as root, so when
we are root the server runs as the `postgres` system user that Debian's packages
create, and the data directory is owned by it.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from geodata import settings
from geodata.errors import SetupError

DB_NAME = "observatory"
DB_USER = "observatory"
PORT = 5432  # only names the socket file; the socket directory is private
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux, minus ".s.PGSQL.5432"


@dataclass(frozen=True)
class Cluster:
    home: Path

    @property
    def datadir(self) -> Path:
        return self.home / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    @property
    def logfile(self) -> Path:
        return self.home / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{DB_USER}@/{DB_NAME}?host={self.socket_dir}&port={PORT}"


def default_cluster() -> Cluster:
    return Cluster(settings.observatory_home())


def _debian_postgis_package(version: str) -> str:
    return f"postgresql-{version}-postgis-3"


def find_bindir() -> Path:
    """The PostgreSQL server binaries, or a SetupError naming the package to install."""
    configured = settings.get("OBSERVATORY_PG_BINDIR")
    if configured:
        # An explicit setting is honoured, never silently replaced by a guess.
        path = Path(configured).expanduser()
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
        raise SetupError(
            f"OBSERVATORY_PG_BINDIR={path} has no initdb and pg_ctl: point it at the "
            "PostgreSQL server binaries (Debian: `sudo apt-get install postgresql-15 "
            "postgresql-15-postgis-3`, then /usr/lib/postgresql/15/bin) or unset it."
        )
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(Path(p) for p in versions)
    for path in candidates:
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    raise SetupError(
        "PostgreSQL server binaries not found: install them with "
        "`sudo apt-get install postgresql-15 postgresql-15-postgis-3` "
        "(or set DATABASE_URL to an existing PostGIS server)."
    )


def server_version(bindir: Path) -> str:
    """The major version, from "postgres (PostgreSQL) 15.18 (Debian ...)" -> "15"."""
    postgres = bindir / "postgres"
    out = None
    if postgres.exists():
        out = subprocess.run([str(postgres), "--version"], capture_output=True, text=True)
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out.stdout if out else "")
    if not match:
        raise SetupError(
            f"{postgres} is missing or does not report a PostgreSQL version: install the "
            "server with `sudo apt-get install postgresql-15 postgresql-15-postgis-3`."
        )
    return match.group(1)


def check_postgis(bindir: Path) -> None:
    version = server_version(bindir)
    share_dirs = [Path(f"/usr/share/postgresql/{version}/extension")]
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        out = subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True)
        share_dirs.insert(0, Path(out.stdout.strip()) / "extension")
    if not any((d / "postgis.control").exists() for d in share_dirs):
        raise SetupError(
            f"PostGIS is not installed for PostgreSQL {version}: install it with "
            f"`sudo apt-get install {_debian_postgis_package(version)}`."
        )


def _server_user() -> str | None:
    """None when we can run the server ourselves; else the account to run it as."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise SetupError(
            "Running as root, and there is no `postgres` user to run the database as: "
            "install `postgresql-15` (it creates that user) or run as a normal user."
        ) from exc
    return "postgres"


def _as_server_user(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


def _grant_traversal(path: Path, user: str) -> None:
    """Let the server account reach `path` through parents it cannot search (root's
    home is 0700). Only the search bit is granted, never listing or reading."""
    info = pwd.getpwnam(user)
    for parent in reversed(path.parents):
        st = parent.stat()
        if st.st_mode & 0o001 or st.st_uid == info.pw_uid:
            continue
        if shutil.which("setfacl"):
            subprocess.run(["setfacl", "-m", f"u:{user}:x", str(parent)], check=True)
        else:
            os.chmod(parent, st.st_mode | 0o001)


def _run(cmd: list[str], what: str) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        detail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        raise SetupError(f"{what} failed: {' '.join(detail)}")
    return out


def is_running(cluster: Cluster) -> bool:
    """The postmaster of `cluster` is alive. Its pid file and socket outlive a crash or
    a reboot that keeps the directory, so the pid in the file must still be a
    PostgreSQL process: otherwise `start` would trust a dead cluster forever."""
    if not (cluster.socket_dir / f".s.PGSQL.{PORT}").exists():
        return False
    try:
        pid = int((cluster.datadir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return False
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip().startswith("postgres")
    except OSError:
        return False


def initialise(cluster: Cluster, bindir: Path, user: str | None) -> bool:
    """Create the data directory once. Returns True when it was created now."""
    if (cluster.datadir / "PG_VERSION").exists():
        return False
    cluster.home.mkdir(parents=True, exist_ok=True)
    cluster.datadir.mkdir(mode=0o700, exist_ok=True)
    cluster.socket_dir.mkdir(mode=0o700, exist_ok=True)
    if user:
        _grant_traversal(cluster.datadir, user)
        info = pwd.getpwnam(user)
        for path in (cluster.datadir, cluster.socket_dir):
            os.chown(path, info.pw_uid, info.pw_gid)
        cluster.logfile.touch()
        os.chown(cluster.logfile, info.pw_uid, info.pw_gid)
    cmd = [
        str(bindir / "initdb"),
        "-D",
        str(cluster.datadir),
        "-U",
        DB_USER,
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
    ]
    _run(_as_server_user(cmd, user), "initdb")
    return True


def _tune_for_this_machine(cluster: Cluster) -> list[str]:
    # Analytics on a laptop-sized box: larger work_mem for aggregates and sorts,
    # no synchronous commit (the import is re-runnable, nothing is lost on crash
    # beyond the last transactions, which a re-run restores).
    return [
        "-c",
        "listen_addresses=",
        "-c",
        f"unix_socket_directories={cluster.socket_dir}",
        "-c",
        f"port={PORT}",
        "-c",
        "shared_buffers=256MB",
        "-c",
        "work_mem=64MB",
        "-c",
        "maintenance_work_mem=256MB",
        "-c",
        "synchronous_commit=off",
        "-c",
        "max_wal_size=2GB",
        "-c",
        "jit=off",
    ]


def start(cluster: Cluster | None = None) -> Cluster:
    """Initialise (first time) and start the cluster; a no-op when it runs."""
    cluster = cluster or default_cluster()
    if len(str(cluster.socket_dir)) > _SOCKET_PATH_MAX:
        raise SetupError(
            f"OBSERVATORY_HOME is too long for a Unix socket path ({cluster.socket_dir}): "
            "choose a shorter directory."
        )
    if is_running(cluster) and (cluster.datadir / "PG_VERSION").exists():
        # The common case, on every request of the dashboard: finding the binaries
        # spawns pg_config, 15-27 ms each time.
        return cluster
    bindir = find_bindir()
    check_postgis(bindir)
    user = _server_user()
    created = initialise(cluster, bindir, user)
    if not is_running(cluster):
        options = " ".join(
            f"{a}" if a == "-c" else f"'{a}'" for a in _tune_for_this_machine(cluster)
        )
        cmd = [
            str(bindir / "pg_ctl"),
            "-D",
            str(cluster.datadir),
            "-l",
            str(cluster.logfile),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ]
        _run(_as_server_user(cmd, user), f"starting PostgreSQL (log: {cluster.logfile})")
    if created:
        _create_database(cluster, bindir, user)
    return cluster


def _create_database(cluster: Cluster, bindir: Path, user: str | None) -> None:
    cmd = [
        str(bindir / "createdb"),
        "-h",
        str(cluster.socket_dir),
        "-p",
        str(PORT),
        "-U",
        DB_USER,
        DB_NAME,
    ]
    _run(_as_server_user(cmd, user), "createdb")


def stop(cluster: Cluster | None = None) -> bool:
    """Stop the cluster. Returns False when it was not running."""
    cluster = cluster or default_cluster()
    if not (cluster.datadir / "postmaster.pid").exists():
        return False
    bindir = find_bindir()
    cmd = [str(bindir / "pg_ctl"), "-D", str(cluster.datadir), "-m", "fast", "-w", "stop"]
    _run(_as_server_user(cmd, _server_user()), "stopping PostgreSQL")
    return True


def status(cluster: Cluster | None = None) -> str:
    cluster = cluster or default_cluster()
    if not (cluster.datadir / "PG_VERSION").exists():
        return f"not initialised (will be created under {cluster.home})"
    state = "running" if is_running(cluster) else "stopped"
    return f"{state}: data {cluster.datadir}, socket {cluster.socket_dir}, url {cluster.url}"
