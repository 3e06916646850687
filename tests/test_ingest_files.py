"""File forms (encodings, separators, XLSX) and personal data kept out of everything."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import openpyxl
import pytest

from etl.headers import SYNONYMS
from tests.ingest_helpers import dump, incidents, ingest_one, row, write_csv

PII = {
    "Complainant": "Wanjiru Kamau",
    "Victim name": "Achieng Otieno",
    "Phone": "0722123456",
    "ID No": "23456789",
    "Suspect": "Mwangi Njoroge",
    "Tel.": "+254733987654",
}


def test_cp1252_as_excel_saves_it_keeps_accented_text(empty_db, tmp_path):
    rows = [row(record_ref="1", location="Café Olympic – Kibra")]
    path = write_csv(tmp_path / "win.csv", rows, encoding="cp1252")
    assert "é".encode() not in path.read_bytes()
    report = ingest_one(empty_db, path)
    assert report["inserted"] == 1
    assert incidents(empty_db)[0]["location_text"] == "Café Olympic – Kibra"


def test_utf8_with_bom_reads_the_first_header(empty_db, tmp_path):
    path = write_csv(tmp_path / "bom.csv", [row(record_ref="1")], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = ingest_one(empty_db, path)
    assert report["inserted"] == 1 and "agency" in report["columns"]


def test_semicolon_separated_with_decimal_commas(empty_db, tmp_path):
    rows = [row(record_ref="1", latitude="-1,3133", longitude="36,7876", location="Toi, Lindi")]
    path = write_csv(tmp_path / "semi.csv", rows, sep=";")
    report = ingest_one(empty_db, path)
    stored = incidents(empty_db)[0]
    assert report["inserted"] == 1
    assert (stored["lat"], stored["lon"]) == (-1.3133, 36.7876)
    assert stored["location_text"] == "Toi, Lindi"


def test_trailing_empty_cells_from_excel_are_harmless(empty_db, tmp_path):
    path = tmp_path / "trailing.csv"
    path.write_text(
        "agency,agency_type,record_ref,category,occurred_on\nA,chief,1,theft,12/03/2024,,,\n"
    )
    assert ingest_one(empty_db, path)["inserted"] == 1


def test_header_synonyms_in_a_real_file(empty_db, tmp_path):
    rows = [
        {
            "Station": "Kibera Police Station",
            "Source Type": "police",
            "OB No.": "OB 12/3/24",
            "Nature of case": "Defilement",
            "Date of Occurrence": "12/3/24",
            "Time of occurrence": "9:30 PM",
            "GPS Lat": "1.3133 S",
            "GPS Long": "36.7876 E",
            "Place of occurrence": "Olympic",
            "County Assembly Ward": "Laini Saba",
            "Gender": "ke",
            "Age": "13",
            "Action taken": "P.U.I",
            "Date reported": "13/03/2024",
        }
    ]
    report = ingest_one(empty_db, write_csv(tmp_path / "syn.csv", rows))
    assert report["inserted"] == 1 and not report["ignored_columns"]
    stored = incidents(empty_db)[0]
    assert stored["record_ref"] == "OB 12/3/24"
    assert stored["category"] == "sexual_violence"
    assert stored["occurred_from"] == datetime(2024, 3, 12, 21, 30)
    assert (stored["lat"], stored["lon"]) == (-1.3133, 36.7876)
    assert (stored["victim_sex"], stored["victim_age"]) == ("F", "13")
    assert stored["status"] == "under_investigation"
    assert stored["ward_text"] == "Laini Saba"
    assert stored["reported_on"] == datetime(2024, 3, 13)


def _workbook(path, sheets: dict[str, list[list]]):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for values in rows:
            sheet.append(values)
    workbook.save(path)
    return path


def test_xlsx_with_real_dates_excel_serials_and_numbers(empty_db, tmp_path):
    header = ["Agency", "Agency type", "OB Number", "Offence", "Date", "Time", "Lat", "Lon"]
    rows = [
        header,
        [
            "Kibera Police Station",
            "police_station",
            101,
            "Murder",
            datetime(2024, 3, 12),
            "21:30",
            -1.35,
            36.75,
        ],
        ["Kibera Police Station", "police_station", 102, "Robbery", 45363, None, -1.35, 36.85],
        ["Kibera Police Station", "police_station", 103, "Theft", "31/02/2024", None, None, None],
        [None] * 8,
        ["Kibera Police Station", "police_station", 104, "Theft", datetime(2024, 3, 12, 8, 15)],
    ]
    path = _workbook(tmp_path / "ob.xlsx", {"Notes": [["read me"]], "Incidents": rows})
    report = ingest_one(empty_db, path)
    assert (report["rows_read"], report["inserted"], report["quarantined"]) == (4, 3, 1)
    assert report["quarantine"][0]["row"] == 4 and report["blank_rows"] == 1
    stored = {r["record_ref"]: r for r in incidents(empty_db)}
    assert stored["101"]["occurred_from"] == datetime(2024, 3, 12, 21, 30)
    assert stored["102"]["occurred_from"] == datetime(2024, 3, 12)
    assert stored["102"]["time_known"] is False
    assert stored["104"]["occurred_from"] == datetime(2024, 3, 12, 8, 15)
    assert stored["104"]["time_known"] is True


def test_xlsx_reads_the_first_sheet_without_one_named_incidents(empty_db, tmp_path):
    rows = [
        ["agency", "agency_type", "record_ref", "category", "occurred_on"],
        ["A", "chief", "1", "theft", "2024-03-12"],
    ]
    path = _workbook(tmp_path / "first.xlsx", {"March": rows, "Other": [["x"]]})
    assert ingest_one(empty_db, path)["inserted"] == 1


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_personal_data_never_reaches_database_logs_or_report(empty_db, tmp_path, caplog, form):
    rows = [
        row(record_ref=f"OB {i}", **PII, occurred_on="31/02/2024" if i == 1 else "12/03/2024")
        for i in range(3)
    ]
    if form == "csv":
        path = write_csv(tmp_path / "pii.csv", rows)
    else:
        header = list(rows[0])
        path = _workbook(
            tmp_path / "pii.xlsx", {"incidents": [header] + [[r[h] for h in header] for r in rows]}
        )
    caplog.set_level(logging.DEBUG)
    report = ingest_one(empty_db, path)
    assert report["inserted"] == 2 and report["quarantined"] == 1
    assert sorted(report["dropped_columns"]) == sorted(PII)
    stored = json.dumps(dump(empty_db), ensure_ascii=False)
    shown = json.dumps(report, ensure_ascii=False, default=str)
    assert "OB 2" in stored and "Kibera Police Station" in stored  # the dump is the real thing
    for value in PII.values():
        assert value not in stored
        assert value not in shown
        assert value not in caplog.text


def test_every_synonym_header_is_recognised_in_one_file(empty_db, tmp_path):
    header = [words[-1] for words in SYNONYMS.values()]
    values = dict.fromkeys(header, "")
    values.update(
        {
            SYNONYMS[c][-1]: v
            for c, v in {
                "agency": "A",
                "agency_type": "chief",
                "record_ref": "1",
                "category": "theft",
                "occurred_on": "12/03/2024",
            }.items()
        }
    )
    report = ingest_one(empty_db, write_csv(tmp_path / "all.csv", [values], header))
    assert set(report["columns"].values()) == set(SYNONYMS)
    assert report["inserted"] == 1
