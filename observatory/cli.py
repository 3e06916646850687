"""`observatory`: the one command. Each subcommand lives in observatory/commands/ and
is a thin layer over geodata, etl and dashboard."""

from __future__ import annotations

import logging
import sys

import click

from geodata import settings
from geodata.errors import ObservatoryError
from observatory.commands import (
    actions,
    db,
    demo,
    export,
    gazetteer,
    ingest,
    link,
    serve,
    surveys,
    users,
    wards,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kenya-crime-observatory")
def cli() -> None:
    """Crime and violence observatory for Kenyan Community Safety Forums.

    Loads agency registers (police Occurrence Book extracts, health and rescue-centre
    registers) into PostGIS, places them on wards and H3 cells, and serves the
    dashboard. With no DATABASE_URL, runs its own PostGIS under OBSERVATORY_HOME.
    """
    logging.basicConfig(
        level=settings.get("OBSERVATORY_LOG_LEVEL") or "INFO",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


for group in (
    db.db,
    wards.wards,
    gazetteer.gazetteer,
    ingest.ingest,
    link.link,
    export.export,
    demo.demo,
    serve.serve,
    users.users_group,
    actions.actions_group,
    surveys.surveys_group,
    surveys.feedback_group,
):
    cli.add_command(group)


def main() -> None:
    """Entry point: a user's mistake prints one actionable line and exits 1."""
    try:
        cli.main(standalone_mode=False)
    except ObservatoryError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
