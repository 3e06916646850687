"""`observatory ingest`: agency files in the observatory template."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--agency", default=None, help="Agency name, when the file has no `agency` column.")
@click.option(
    "--agency-type", default=None, help="Agency type (police_station, chief, health_facility, ...)."
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON report here (a list when several files are given).",
)
def ingest(
    paths: tuple[Path, ...], agency: str | None, agency_type: str | None, report_path: Path | None
) -> None:
    """Load agency files (CSV or XLSX) in the observatory template.

    Each file loads in one transaction; re-running a file changes nothing. Rows that
    cannot be loaded are quarantined with a reason a clerk can act on.
    """
    from etl.ingest import ingest_files

    reports = ingest_files(
        paths, agency=agency, agency_type=agency_type, progress=sys.stderr.isatty()
    )
    if report_path:
        payload = reports[0] if len(reports) == 1 else reports
        report_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    failed = [r for r in reports if r.get("failed")]
    if failed:
        raise SystemExit(1)
