"""`observatory db`: the database and the managed cluster."""

from __future__ import annotations

import click

from geodata import cluster, settings
from geodata import db as database


@click.group()
def db() -> None:
    """The PostGIS database: start, stop, status, migrations."""


@db.command()
def up() -> None:
    """Initialise (first time) and start the managed cluster under OBSERVATORY_HOME."""
    if settings.get("DATABASE_URL"):
        click.echo("DATABASE_URL is set: using that server, no managed cluster to start.")
        return
    started = cluster.start()
    database.upgrade(started.url)
    click.echo(cluster.status(started))


@db.command()
def down() -> None:
    """Stop the managed cluster."""
    if cluster.stop():
        click.echo("stopped")
    else:
        click.echo("not running")


@db.command()
def status() -> None:
    """Say where the database is and whether it runs."""
    url = settings.get("DATABASE_URL")
    if url:
        click.echo(f"using DATABASE_URL ({url.split('@')[-1]})")
    else:
        click.echo(cluster.status())


@db.command()
def upgrade() -> None:
    """Apply pending schema migrations (also done automatically on first use)."""
    head = database.upgrade()
    click.echo(f"schema at revision {head}")
