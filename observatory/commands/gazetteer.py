"""`observatory gazetteer`: the places the team knows, for rows without coordinates."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def gazetteer() -> None:
    """Named places (landmarks, estates, villages, stages, markets, schools) that
    location texts are matched against when a row has no GPS."""


@gazetteer.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--source",
    default=None,
    help="Name the places are kept under (default: the file name); reloading the same "
    "source replaces its places.",
)
def load(path: Path, source: str | None) -> None:
    """Load or replace places from PATH (.csv or .geojson).

    CSV header: name,aliases,kind,latitude,longitude (aliases separated by `|`).
    GeoJSON: Point features with name, aliases and kind properties. Each place's ward
    is the loaded ward covering its point, so load wards first.
    """
    from geodata.db import get_engine
    from geodata.gazetteer.store import load_gazetteer

    click.echo(load_gazetteer(get_engine(), path, source=source).summary())


@gazetteer.command("resolve")
@click.argument("text")
@click.option("--ward", "ward_text", default=None, help="The row's ward text, if any.")
def resolve(text: str, ward_text: str | None) -> None:
    """Show where TEXT would be placed, and the other candidates."""
    from geodata.db import get_engine
    from geodata.gazetteer.matching import auto_accept
    from geodata.gazetteer.store import load_index

    (found,) = load_index(get_engine()).resolve([(text, ward_text, ())])
    review = "" if found.confidence >= auto_accept() else " (below auto-accept: review)"
    where = f"place {found.place_id} " if found.place_id else ""
    click.echo(
        f"{found.method}: {where}ward {found.ward_code or '-'} "
        f"confidence {found.confidence:.2f}{review}"
    )
    for candidate in found.candidates:
        click.echo(f"  {candidate.score:5.1f}  {candidate.name}  (ward {candidate.ward_code})")
