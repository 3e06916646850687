"""`observatory ingest`: agency files in the observatory template."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

# Quarantine reasons printed per file; the rest are in the --report file.
_SHOWN_PROBLEMS = 10


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
    cannot be loaded are quarantined with a reason a clerk can act on. Columns of
    names, phone or ID numbers are never read. Prints one line per file; exits 1 when
    a file could not be loaded at all.
    """
    from etl.ingest import ingest_files

    reports = ingest_files(
        paths, agency=agency, agency_type=agency_type, progress=sys.stderr.isatty()
    )
    if report_path:
        payload = reports[0] if len(reports) == 1 else reports
        report_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    for report in reports:
        _echo(report)
    if any(r.get("failed") for r in reports):
        raise SystemExit(1)


def _echo(report: dict) -> None:
    if report.get("failed"):
        click.echo(f"error: {report['error']}", err=True)
        return
    click.echo(
        f"{report['file']}: {report['rows_read']} rows read, {report['inserted']} inserted, "
        f"{report['updated']} updated, {report['unchanged']} unchanged, "
        f"{report['quarantined']} quarantined, {report['no_ward']} without a ward"
    )
    problems = report["quarantine"]
    for item in problems[:_SHOWN_PROBLEMS]:
        click.echo(f"  row {item['row']}: {item['reason']}", err=True)
    if len(problems) > _SHOWN_PROBLEMS:
        click.echo(f"  ... and {len(problems) - _SHOWN_PROBLEMS} more in the report", err=True)
