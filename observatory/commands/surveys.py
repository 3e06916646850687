"""`observatory surveys` and `observatory feedback`: safety audit survey exports and
feedback on police services (docs/surveys.md)."""

from __future__ import annotations

from pathlib import Path

import click

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _engine():
    from geodata.db import get_engine

    return get_engine()


@click.group("surveys")
def surveys_group() -> None:
    """Safety audit surveys exported from KoboToolbox or ODK."""


@surveys_group.command("load")
@click.argument("path", type=_FILE)
@click.option(
    "--mapping",
    "mapping",
    type=_FILE,
    required=True,
    help="CSV saying which question means what (docs/surveys.md).",
)
@click.option(
    "--round",
    "round_name",
    required=True,
    help="The survey round these submissions belong to, e.g. 2025-Q1.",
)
def load_survey(path: Path, mapping: Path, round_name: str) -> None:
    """Load a survey export PATH (CSV or XLSX, as Kobo or ODK write it).

    Only the questions the mapping names are read, with the submission id and time:
    names, phone numbers and every other column are dropped unread. Loading the
    same submissions again changes nothing.
    """
    from etl.surveys import load_survey as load

    report = load(path, mapping, round_name, engine=_engine())
    click.echo(
        f"{report['file']}: round {report['round']}: {report['rows_read']} responses, "
        f"{report['inserted']} new, {report['updated']} updated, "
        f"{report['unchanged']} unchanged; {report['no_ward']} without a ward"
    )
    if report["dropped_columns"]:
        click.echo(f"not read (personal identifiers): {', '.join(report['dropped_columns'])}")


@click.group("feedback")
def feedback_group() -> None:
    """Feedback on police services (ratings, complaints), without identities."""


@feedback_group.command("load")
@click.argument("path", type=_FILE)
def load_feedback(path: Path) -> None:
    """Load feedback records from PATH (CSV or XLSX).

    Columns: station, date, channel (sms, ussd, web, paper, phone, in_person,
    whatsapp, email), rating (1-5), complaint_category, resolved (yes/no), and an
    optional ref. A file with name or phone columns is refused.
    """
    from etl.feedback import load_feedback as load

    report = load(path, engine=_engine())
    click.echo(
        f"{report['file']}: {report['rows_read']} records from {report['stations']} stations, "
        f"{report['inserted']} new, {report['unchanged']} already loaded"
    )
