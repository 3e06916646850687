"""`observatory link`: re-link every stored record into events."""

from __future__ import annotations

import click


@click.command("link")
def link() -> None:
    """Re-link every stored record of different agencies into events, then refresh
    the counts.

    Ingest links the dates each file touches already; run this after changing
    OBSERVATORY_LINK_WINDOW_HOURS, OBSERVATORY_LINK_DISTANCE_M or
    OBSERVATORY_LINK_MIN_SCORE. Groups a reviewer confirmed and records a reviewer
    split off (dashboard page Linked records) are kept as they are.
    """
    from geodata.db import get_engine
    from geodata.linkage_store import relink_all

    run = relink_all(get_engine())
    click.echo(
        f"linked {run.linked_records:,} of {run.records:,} records into {run.groups:,} "
        "events seen by more than one agency"
    )
