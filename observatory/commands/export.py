"""`observatory export`: stored data out, without personal data."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import click


@click.group()
def export() -> None:
    """Export stored data as files."""


@export.command("incidents")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write.",
)
def incidents(out: Path) -> None:
    """Write one row per stored incident (no names, phones or ID numbers are stored).

    The export is recorded in the audit log under the operating-system user who ran it
    (admins see it on the dashboard's Users and audit page)."""
    from etl.export import export_incidents
    from geodata import audit
    from geodata.db import get_engine

    engine = get_engine()
    count = export_incidents(engine, out)
    audit.record(
        engine, "export.incidents", _os_user(), {"rows": count, "file_name": out.name, "via": "cli"}
    )
    click.echo(f"wrote {count} incidents to {out}")


def _os_user() -> str:
    """Who ran the command, as the operating system knows them (`os:` marks that this
    is not a dashboard account)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, as in some containers
        name = f"uid {os.getuid()}"
    return f"os:{name}"
