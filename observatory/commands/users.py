"""`observatory users`: dashboard accounts. The first admin is made here; there is
no default account or password anywhere."""

from __future__ import annotations

import sys

import click

from geodata import audit, users


def _engine():
    from geodata.db import get_engine

    return get_engine()


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        # One line from standard input, for scripts; the trailing newline is not part of it.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _ward_codes(text: str | None) -> tuple[str, ...]:
    return tuple(code.strip() for code in (text or "").split(",") if code.strip())


@click.group("users")
def users_group() -> None:
    """Dashboard accounts: team, commander (their station's wards) or admin."""


@users_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(users.ROLES),
    help="team: everything but user admin; commander: maps, clock and patrols for "
    "their station's wards; admin: users and the audit log.",
)
@click.option(
    "--station-wards",
    metavar="CODES",
    help="Commanders: the ward codes of their station, comma-separated.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
def add(name: str, role: str, station_wards: str | None, password_stdin: bool) -> None:
    """Create the user NAME; the password is asked twice (or read with --password-stdin)."""
    users.check_username(name)
    password = _read_password(password_stdin)
    engine = _engine()
    user = users.add_user(engine, name, password, role, _ward_codes(station_wards))
    audit.record(engine, "user.add", None, {"user": user.username, "role": role, "via": "cli"})
    wards = f" for wards {', '.join(user.station_wards)}" if user.station_wards else ""
    click.echo(f"added {user.username} ({user.role}){wards}")


@users_group.command("list")
def list_users() -> None:
    """Show every user, their role, wards and whether they are disabled."""
    rows = users.list_users(_engine())
    if not rows:
        click.echo("no users yet: `observatory users add NAME --role admin` makes the first")
        return
    for user in rows:
        state = "disabled" if user.disabled else "active"
        wards = ",".join(user.station_wards) or "-"
        created = user.created_at.strftime("%Y-%m-%d") if user.created_at else "-"
        click.echo(f"{user.username:<24} {user.role:<10} {state:<9} {created}  {wards}")


@users_group.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Disable NAME: their sessions end at their next request."""
    engine = _engine()
    users.set_disabled(engine, name, True)
    audit.record(engine, "user.disable", None, {"user": name.lower(), "via": "cli"})
    click.echo(f"disabled {name.lower()}")


@users_group.command("enable")
@click.argument("name")
def enable(name: str) -> None:
    """Enable NAME again."""
    engine = _engine()
    users.set_disabled(engine, name, False)
    audit.record(engine, "user.enable", None, {"user": name.lower(), "via": "cli"})
    click.echo(f"enabled {name.lower()}")


@users_group.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin.")
def password(name: str, password_stdin: bool) -> None:
    """Set a new password for NAME."""
    new = _read_password(password_stdin)
    engine = _engine()
    users.set_password(engine, name, new)
    audit.record(engine, "user.password", None, {"user": name.lower(), "via": "cli"})
    click.echo(f"password changed for {name.lower()}")
