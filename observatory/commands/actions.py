"""`observatory actions`: forum actions (street lights, path clearings, patrols ...)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click


def _engine():
    from geodata.db import get_engine

    return get_engine()


@click.group("actions")
def actions_group() -> None:
    """Forum actions: what was decided, where, and whether it was done."""


@actions_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(path: Path) -> None:
    """Add or update actions from PATH (.csv or .geojson).

    CSV columns: kind, title (required), action_ref, description, responsible_agency,
    forum, priority, decided_on, started_on, due_on, completed_on (YYYY-MM-DD), status
    (proposed, agreed, in_progress, done, dropped), and the place as latitude and
    longitude or as a `wkt` column (POINT, LINESTRING or POLYGON, longitude first).
    GeoJSON: the same as feature properties. Actions are matched by action_ref (or
    forum and title), so loading the file again only applies what changed. One bad
    row refuses the whole file and every problem is listed.
    """
    from geodata.actions import load_actions

    click.echo(load_actions(_engine(), path).summary())


@actions_group.command("list")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Judge due dates on this day (default: today).",
)
def list_actions(as_of) -> None:
    """Show every action by status; overdue ones are marked."""
    from geodata.queries.actions import tracker_table

    day = as_of.date() if as_of else date.today()
    table = tracker_table(_engine(), day)
    if table.empty:
        click.echo("no actions yet: `observatory actions load FILE` adds them")
        return
    for row in table.itertuples():
        due = f"due {row.due_on}" if row.due_on else "no due date"
        if row.completed_on:
            due = f"done {row.completed_on}"
        flag = f"  OVERDUE {row.days_overdue} days" if row.overdue else ""
        click.echo(
            f"{row.id:>4}  {row.status_label:<12} {row.kind_label:<18} {row.title}  "
            f"[{row.wards or '-'}; {due}]{flag}"
        )
