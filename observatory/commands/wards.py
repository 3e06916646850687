"""`observatory wards`: administrative boundaries."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def wards() -> None:
    """Ward boundaries (any OGR format: shapefile, GeoJSON, GeoPackage)."""


@wards.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--code-field", default="code", show_default=True, help="Attribute with the unique ward code."
)
@click.option(
    "--name-field", default="name", show_default=True, help="Attribute with the ward name."
)
@click.option("--county-field", default=None, help="Attribute with the county name.")
@click.option("--constituency-field", default=None, help="Attribute with the constituency name.")
@click.option(
    "--population-field", default=None, help="Attribute with the ward population (for rates)."
)
@click.option(
    "--attribution",
    default=None,
    help="Citation maps must show for these boundaries "
    "(default: the `> ` quoted lines of a README.md beside PATH).",
)
@click.option(
    "--duplicate-codes",
    type=click.Choice(["suffix", "error"]),
    default="suffix",
    show_default=True,
    help="A code repeated in the file: keep every feature, storing later ones as CODE-2, "
    "CODE-3 (`suffix`, listed in the summary), or refuse the file (`error`).",
)
def load(path: Path, **options: str | None) -> None:
    """Load or replace wards by code from PATH, repairing invalid polygons.

    Reprojects to WGS84 when the file has another CRS, stores every ward as a
    MultiPolygon, and prints how many geometries were repaired.
    """
    from geodata.boundaries import load_wards
    from geodata.db import get_engine

    result = load_wards(get_engine(), path, **options)
    click.echo(result.summary())
