"""`observatory demo`: a seeded, realistic demo loaded through the real ETL."""

from __future__ import annotations

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
@click.option("--serve/--no-serve", default=True, help="Serve the dashboard afterwards.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
def demo(
    wards_path: Path | None,
    county: str | None,
    seed: int,
    out_dir: Path | None,
    serve: bool,
    host: str,
    port: int,
) -> None:
    """Generate a demo town's agency files, load them with `ingest`, and serve."""
    from etl.demo import load_demo

    summary = load_demo(seed=seed, out_dir=out_dir, wards_path=wards_path, county=county)
    click.echo(summary)
    if serve:
        from dashboard.app import create_app

        click.echo(f"observatory dashboard on http://{host}:{port}")
        create_app().run(host=host, port=port, debug=False)
