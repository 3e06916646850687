"""`observatory export`: stored data out, without personal data."""

from __future__ import annotations

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
    """Write one row per stored incident (no names, phones or ID numbers are stored)."""
    from etl.export import export_incidents
    from geodata.db import get_engine

    count = export_incidents(get_engine(), out)
    click.echo(f"wrote {count} incidents to {out}")
