"""The one registry of settings the project reads from the environment.

Every environment variable is declared here once, with its default and help text;
`tests/test_settings_documented.py` fails when one is missing from the README.
Values are read when asked for (never cached at import), so tests and the CLI can
change the environment and see the change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        None,
        "PostgreSQL/PostGIS server to use (postgresql://...). Unset: the project runs its "
        "own cluster under OBSERVATORY_HOME.",
    ),
    Setting(
        "OBSERVATORY_HOME",
        "~/.local/share/observatory",
        "Where the managed PostGIS cluster, its logs and the demo files live.",
    ),
    Setting(
        "OBSERVATORY_PG_BINDIR",
        None,
        "Directory of the PostgreSQL server binaries (initdb, pg_ctl). Unset: found with "
        "pg_config or under /usr/lib/postgresql/<version>/bin.",
    ),
    Setting(
        "OBSERVATORY_CATEGORY_SYNONYMS",
        None,
        "Extra category synonyms: a CSV with columns `synonym,category` read after the "
        "shipped table, so a team can extend it without editing code.",
    ),
    Setting(
        "OBSERVATORY_SECRET_KEY",
        None,
        "Secret that signs dashboard sessions. Required in production; a random one is "
        "made per process when unset (sessions then end on restart).",
    ),
    Setting(
        "OBSERVATORY_TILES",
        "none",
        "Map background: `none` (offline, ward outlines only) or `osm` (online tiles, "
        "an option, never a requirement).",
    ),
    Setting(
        "OBSERVATORY_MAP_MAX_CELLS",
        "15000",
        "Most hexagons a map draws (about 45 bytes each on the wire). A view with more "
        "at the chosen resolution is drawn at the finest coarser resolution that fits.",
    ),
    Setting(
        "PUBLIC",
        "0",
        "`1` makes `gunicorn dashboard.app:server` serve the public, aggregate-only app.",
    ),
    Setting(
        "OBSERVATORY_PUBLIC_MIN_COUNT",
        "5",
        "Smallest count the public app shows (hex cells, months, sensitive categories by "
        "ward x quarter); smaller counts are merged or shown as 'fewer than N'. Floor 3.",
    ),
    Setting(
        "OBSERVATORY_LOG_LEVEL",
        "INFO",
        "Log level for the ETL and the dashboard (DEBUG, INFO, WARNING).",
    ),
    Setting(
        "OBSERVATORY_PLACE_AUTO_ACCEPT",
        "0.9",
        "Confidence (0-1) at and above which a place matched from text needs no review; "
        "placements below it are kept and listed for review.",
    ),
    Setting(
        "OBSERVATORY_LINK_WINDOW_HOURS",
        "48",
        "Records of different agencies further apart in time than this are never the same event.",
    ),
    Setting(
        "OBSERVATORY_LINK_DISTANCE_M",
        "1000",
        "Records with coordinates further apart than this (metres) are never the same "
        "event; records placed only to a ward must share the ward.",
    ),
    Setting(
        "OBSERVATORY_COUNT_UNIT",
        "events",
        "What hot spots, maps and trends count: `events` (records of several agencies "
        "linked as one event count once) or `records` (every agency's row counts).",
    ),
    Setting(
        "OBSERVATORY_CHROMIUM",
        None,
        "Chromium or Chrome that renders figures to PNG for the meeting pack. Unset: "
        "chromium, chromium-browser or google-chrome found on PATH.",
    ),
    Setting(
        "OBSERVATORY_LINK_MIN_SCORE",
        "0.6",
        "Agreement score (0-1) from which two records of different agencies are linked "
        "as one event.",
    ),
    Setting(
        "OBSERVATORY_WARM_CACHE",
        "1",
        "`1`: after every load (a new data version) each dashboard process computes the "
        "views pages open with, nationally and for each commander's station, in the "
        "background, so no viewer waits for the cold queries. `0`: off (the test suite).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str | None:
    """The setting's value from the environment, or its default."""
    setting = _BY_NAME[name]  # KeyError on an undeclared setting is intended
    value = os.environ.get(name)
    if value is None or value == "":
        return setting.default
    return value


def get_bool(name: str) -> bool:
    return (get(name) or "").strip().lower() in {"1", "true", "yes", "on"}


def observatory_home() -> Path:
    return Path(get("OBSERVATORY_HOME") or "~/.local/share/observatory").expanduser()
