"""`observatory ingest` end to end, as a clerk runs it."""

from __future__ import annotations

import json
import os
import subprocess

from tests.conftest import REPO
from tests.ingest_helpers import incidents, row, write_csv

OBSERVATORY = REPO / ".venv" / "bin" / "observatory"
EXAMPLE = REPO / "docs" / "examples" / "template-example.csv"


def _run(*args: str, cwd) -> subprocess.CompletedProcess:
    # OBSERVATORY_HOME (and DATABASE_URL) are set by the session fixture.
    return subprocess.run(
        [str(OBSERVATORY), "ingest", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ),
        timeout=300,
    )


def test_cli_loads_files_prints_a_line_each_and_writes_the_report(empty_db, tmp_path):
    second = write_csv(
        tmp_path / "march.csv",
        [
            row(record_ref="A1", agency=""),
            row(record_ref="A2", agency="", occurred_on="31/02/2024"),
        ],
    )
    result = _run(
        str(EXAMPLE),
        str(second),
        "--agency",
        "Kilimani Chief",
        "--agency-type",
        "chief",
        "--report",
        "r.json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("template-example.csv: 15 rows read, 15 inserted")
    assert lines[1].startswith(
        "march.csv: 2 rows read, 1 inserted, 0 updated, 0 unchanged, 1 quarantined"
    )
    assert 'row 3: occurred_on "31/02/2024" is not a date' in result.stderr
    assert "Traceback" not in result.stderr
    reports = json.loads((tmp_path / "r.json").read_text())
    assert [r["file"] for r in reports] == ["template-example.csv", "march.csv"]
    for report in reports:
        for key in (
            "rows_read",
            "inserted",
            "updated",
            "unchanged",
            "quarantined",
            "quarantine",
            "dropped_columns",
            "ignored_columns",
            "swapped_coordinates",
            "no_ward",
            "category_other_texts",
        ):
            assert key in report
    assert reports[1]["quarantine"] == [
        {
            "row": 3,
            "column": "occurred_on",
            "value": "31/02/2024",
            "reason": 'occurred_on "31/02/2024" is not a date (write the day first, e.g. '
            "12/03/2024)",
        }
    ]
    assert {r["agency"] for r in incidents(empty_db)} == {"Kibera Police Station", "Kilimani Chief"}


def test_cli_error_is_one_line_and_exit_code_one(empty_db, tmp_path):
    path = write_csv(
        tmp_path / "nodate.csv", [{"agency": "A", "record_ref": "1", "category": "theft"}]
    )
    result = _run(str(path), "--agency-type", "chief", "--report", "r.json", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: nodate.csv: no occurred_on column (add a column 'occurred_on'; headers "
        "accepted for it: `occurred_on`, `date`, `date of occurrence`, `incident date`, "
        "`date of incident`, `occurrence date`, `date occurred`, `date of offence`, "
        "`date time`, `date and time`)."
    ]
    assert json.loads((tmp_path / "r.json").read_text())["failed"] is True
    assert incidents(empty_db) == []


def test_cli_rerun_reports_everything_unchanged(empty_db, tmp_path):
    assert _run(str(EXAMPLE), cwd=tmp_path).returncode == 0
    result = _run(str(EXAMPLE), cwd=tmp_path)
    assert "15 rows read, 0 inserted, 0 updated, 15 unchanged, 0 quarantined" in result.stdout
