"""Rows a clerk must fix (quarantine) and files that cannot be loaded at all."""

from __future__ import annotations

import pytest

from tests.ingest_helpers import HEADER, incidents, ingest_one, row, write_csv


def _quarantined(empty_db, tmp_path, rows, **options):
    report = ingest_one(empty_db, write_csv(tmp_path / "q.csv", rows), **options)
    assert not report["failed"], report["error"]
    return report, {(q["row"], q["column"]): q for q in report["quarantine"]}


@pytest.mark.parametrize(
    ("values", "column", "reason"),
    [
        ({"record_ref": ""}, "record_ref", "record_ref is empty"),
        ({"category": ""}, "category", "category is empty"),
        ({"occurred_on": ""}, "occurred_on", "occurred_on is empty"),
        (
            {"occurred_on": "31/02/2024"},
            "occurred_on",
            'occurred_on "31/02/2024" is not a date (write the day first, e.g. 12/03/2024)',
        ),
        ({"occurred_on": "12/03/2094"}, "occurred_on", 'occurred_on "12/03/2094" is in the future'),
        ({"occurred_on": "12/03/1924"}, "occurred_on", 'occurred_on "12/03/1924" is before 1960'),
        ({"agency": ""}, "agency", "agency is empty; fill it in or pass --agency"),
        (
            {"agency_type": "polis"},
            "agency_type",
            'agency_type "polis" is not one of police_station',
        ),
    ],
)
def test_each_quarantine_reason_names_row_column_and_value(
    empty_db, tmp_path, values, column, reason
):
    rows = [row(record_ref="ok 1"), row(**({"record_ref": "bad"} | values)), row(record_ref="ok 2")]
    report, found = _quarantined(empty_db, tmp_path, rows)
    assert report["quarantined"] == 1 and report["inserted"] == 2
    problem = found[(3, column)]  # header is row 1: the second data row is row 3
    assert problem["reason"].startswith(reason)
    assert problem["value"] == rows[1][column]
    assert sorted(r["record_ref"] for r in incidents(empty_db)) == ["ok 1", "ok 2"]


def test_a_repeated_record_ref_quarantines_the_later_rows_naming_the_first(empty_db, tmp_path):
    rows = [row(record_ref="OB 7"), row(record_ref="OB 8"), row(record_ref="OB 7")] + [
        row(record_ref="OB 7", category="assault")
    ]
    report, found = _quarantined(empty_db, tmp_path, rows)
    assert report["quarantined"] == 2 and report["inserted"] == 2
    assert found[(4, "record_ref")]["reason"].startswith('record_ref "OB 7" repeats row 2')
    assert found[(5, "record_ref")]["reason"].startswith('record_ref "OB 7" repeats row 2')
    assert {r["category"] for r in incidents(empty_db) if r["record_ref"] == "OB 7"} == {"theft"}


def test_row_numbers_count_blank_rows_as_a_spreadsheet_does(empty_db, tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text(
        "agency,agency_type,record_ref,category,occurred_on\n"
        "A,chief,1,theft,12/03/2024\n"
        "\n"
        ",,,,\n"
        "A,chief,2,theft,31/02/2024\n"
    )
    report = ingest_one(empty_db, path)
    assert report["blank_rows"] == 2 and report["rows_read"] == 2
    assert [q["row"] for q in report["quarantine"]] == [5]


def test_a_row_with_two_problems_lists_both_and_counts_once(empty_db, tmp_path):
    rows = [row(record_ref="", occurred_on="yesterday")]
    report, found = _quarantined(empty_db, tmp_path, rows)
    assert report["quarantined"] == 1 and set(found) == {(2, "record_ref"), (2, "occurred_on")}


def test_command_line_agency_fills_empty_cells(empty_db, tmp_path):
    rows = [row(record_ref="1", agency=""), row(record_ref="2")]
    report = ingest_one(
        empty_db, write_csv(tmp_path / "a.csv", rows), agency="Kibera Police Station"
    )
    assert report["inserted"] == 2 and len(report["agencies"]) == 1


def test_agency_columns_may_come_from_the_command_line(empty_db, tmp_path):
    rows = [{"OB No": "1", "Offence": "theft", "Date": "12/03/2024"}]
    path = write_csv(tmp_path / "a.csv", rows)
    report = ingest_one(empty_db, path, agency="Kibera Chief", agency_type="chief's office")
    assert report["inserted"] == 1
    assert report["agencies"][0]["agency_type"] == "chief"
    # A known agency keeps its type: the next file needs only the name.
    report = ingest_one(empty_db, path, agency="Kibera Chief")
    assert report["unchanged"] == 1


@pytest.mark.parametrize(
    ("header", "options", "message"),
    [
        (
            ["agency", "agency_type", "OB No", "Date"],
            {},
            "q.csv: no category column (add a column 'category'; headers accepted for it: "
            "`category`, `offence`",
        ),
        (
            ["agency_type", "record_ref", "category", "occurred_on"],
            {},
            "q.csv: no agency column (add a column 'agency' or pass --agency",
        ),
        (
            ["agency", "record_ref", "category", "occurred_on"],
            {},
            "agency 'A' is new and has no type",
        ),
        (HEADER, {"agency_type": "bakery"}, "q.csv: --agency-type 'bakery' is not one of"),
    ],
)
def test_whole_file_errors_name_the_file_the_column_and_the_fix(
    empty_db, tmp_path, header, options, message
):
    values = {
        "agency": "A",
        "agency_type": "chief",
        "record_ref": "1",
        "OB No": "1",
        "category": "theft",
        "occurred_on": "12/03/2024",
        "Date": "12/03/2024",
    }
    path = write_csv(tmp_path / "q.csv", [{h: values.get(h, "") for h in header}], header)
    report = ingest_one(empty_db, path, **options)
    assert report["failed"]
    assert message in report["error"]
    assert report["inserted"] == report["rows_read"] == 0
    assert incidents(empty_db) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "missing.csv: no such file"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "old.xls: .xls files are not read; open it and save it"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "broken.xlsx: is not a readable .xlsx"),
        ("empty.csv", b"", "empty.csv: the file is empty"),
        ("notes.pdf", b"%PDF", "notes.pdf: not a CSV or XLSX file"),
        (
            "ragged.csv",
            b"agency,agency_type,record_ref,category,occurred_on\nA,chief,1,theft,12/03/2024,x,y\n",
            "ragged.csv: row 2 has more cells than the header (5)",
        ),
    ],
)
def test_unreadable_files_fail_with_an_actionable_message(
    empty_db, tmp_path, name, content, message
):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    report = ingest_one(empty_db, path)
    assert report["failed"] and report["error"].startswith(message)


def test_one_agency_with_two_types_in_a_file_is_refused(empty_db, tmp_path):
    rows = [row(record_ref="1"), row(record_ref="2", agency_type="chief")]
    report = ingest_one(empty_db, write_csv(tmp_path / "a.csv", rows))
    assert report["failed"] and "more than one agency_type" in report["error"]
