"""`observatory serve`: the dashboard."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False, help="Dash debug mode (development only).")
def serve(host: str, port: int, debug: bool) -> None:
    """Serve the dashboard (production: `gunicorn dashboard.app:server`)."""
    from dashboard.app import create_app
    from geodata import settings
    from geodata.db import get_engine

    get_engine()  # start the database and migrate before the first request
    app = create_app(public=settings.get_bool("PUBLIC"))
    click.echo(f"observatory dashboard on http://{host}:{port}")
    app.run(host=host, port=port, debug=debug)
