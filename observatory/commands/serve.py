"""`observatory serve`: the dashboard."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False, help="Dash debug mode (development only).")
@click.option(
    "--public/--full",
    default=None,
    help="--public: the read-only public app (aggregates only, no sign-in); --full: the "
    "team's app behind sign-in. Default: the PUBLIC setting (full unless PUBLIC=1).",
)
def serve(host: str, port: int, debug: bool, public: bool | None) -> None:
    """Serve the dashboard (production: `gunicorn dashboard.app:server`, with PUBLIC=1
    for the public app)."""
    from dashboard.app import create_app
    from geodata import settings
    from geodata.db import get_engine
    from geodata.stats.suppression import public_min_count

    get_engine()  # start the database and migrate before the first request
    public = settings.get_bool("PUBLIC") if public is None else public
    if public:
        public_min_count()  # a threshold below the floor stops here, not at a request
    app = create_app(public=public)
    kind = "public (aggregates only)" if public else "dashboard (sign-in required)"
    click.echo(f"observatory {kind} on http://{host}:{port}")
    app.run(host=host, port=port, debug=debug)
