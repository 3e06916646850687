"""`observatory demo`: a seeded, realistic demo loaded through the real ETL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click


@click.command()
@click.option(
    "--wards",
    "wards_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Real ward boundaries to build the demo on (default: a generated town).",
)
@click.option("--county", default=None, help="With --wards: keep only this county's wards.")
@click.option("--seed", default=20241, show_default=True, type=int)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the agency files are written (default: OBSERVATORY_HOME/demo).",
)
@click.option(
    "--reference-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The year of incidents ends with the last full month before this date "
    "(default: today). Fix it to rebuild the same files later.",
)
@click.option("--serve/--no-serve", default=True, help="Serve the dashboard afterwards.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
def demo(
    wards_path: Path | None,
    county: str | None,
    seed: int,
    out_dir: Path | None,
    reference_date: datetime | None,
    serve: bool,
    host: str,
    port: int,
) -> None:
    """Build a seeded demo and load it through the real ETL, then serve the dashboard.

    By default the demo is a generated, fictional town of twelve wards with roads and
    named places; with --wards (and --county) it uses real ward boundaries. A year of
    incidents from a spatio-temporal model is written as several agencies' own files
    (police, chief, health centre, rescue centre, children's office) and loaded with
    `ingest`. The model's planted truths go to truth.json beside the files, never into
    the database. The same seed and reference date give byte-identical files.
    """
    from etl.demo import load_demo

    summary = load_demo(
        seed=seed,
        out_dir=out_dir,
        wards_path=wards_path,
        county=county,
        reference_date=reference_date.date() if reference_date else None,
    )
    click.echo(summary)
    _first_demo_account()
    if serve:
        from dashboard.app import create_app

        click.echo(f"observatory dashboard on http://{host}:{port}")
        create_app().run(host=host, port=port, debug=False)


def _first_demo_account() -> None:
    """A demo that nobody can sign in to is no demo: when no account exists yet, make
    `demo` (the observatory team's role: every page but user admin) and `demo-admin`
    (users and the audit log), each with a random password printed once here. Never
    a default password; an existing installation's accounts are left alone."""
    import secrets

    from geodata.db import get_engine
    from geodata.users import add_user, list_users

    engine = get_engine()
    if list_users(engine):
        click.echo("sign in with your existing account (`observatory users list`).")
        return
    for username, role, sees in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        add_user(engine, username, password, role)
        click.echo(
            f"sign in as `{username}` with password {password} ({sees}; shown once, change "
            f"it with `observatory users password {username}`)."
        )


# Who the demo lets in: (username, role, what they see).
DEMO_ACCOUNTS = (
    ("demo", "team", "every page of the observatory team"),
    ("demo-admin", "admin", "user accounts and the audit log"),
)
