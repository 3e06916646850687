"""A first load builds the aggregates from the rows it holds (weighed on a worker
thread while PostgreSQL stores them) instead of reading them back: both ways must
give the same groups, for every kind of row the aggregates treat apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text

from etl.ingest import place
from etl.normalise import normalise
from etl.readers import read_table
from geodata import aggregates, import_records, incident_store
from tests.ingest_helpers import ingest_one, load_square_wards, row, write_csv


def _rows(n: int = 400) -> list[dict]:
    """GPS rows in both wards and outside them, rows placed by ward name only,
    rows with no place, date-only rows, windows of hours and of days."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(n):
        kind = i % 6
        values = {
            "record_ref": f"OB {i}",
            "category": ["theft", "assault", "burglary"][i % 3],
            "occurred_on": f"{1 + i % 28:02d}/0{1 + i % 9}/2024",
        }
        if kind in (0, 1, 2):
            values["latitude"] = f"{rng.uniform(-1.39, -1.31):.5f}"
            values["longitude"] = f"{rng.uniform(36.71, 36.89):.5f}"
        if kind == 2:
            values["longitude"] = "37.5"  # inside Kenya, outside every loaded ward
        if kind == 3:
            values["ward"] = "Ward W2"
        if kind != 4:
            values["occurred_time"] = f"{i % 24:02d}:{(7 * i) % 60:02d}"
        if kind == 1:
            values["occurred_until"] = f"{(i + 5) % 24:02d}:00"
        if kind == 5 and i % 12 == 5:
            values["occurred_until"] = f"{1 + (i + 3) % 28:02d}/0{1 + i % 9}/2024 08:00"
        rows.append(row(**values))
    return rows


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in frame.columns if c not in {"n", "daylight", "darkness", "weight"}]
    frame = frame.astype({"category": str, "ward_code": object})
    frame["ward_code"] = frame["ward_code"].where(frame["ward_code"].notna(), None)
    return frame.sort_values(keys, na_position="first").reset_index(drop=True)


def test_the_rows_in_hand_give_the_groups_read_back_from_the_database(empty_db, tmp_path):
    load_square_wards(empty_db)
    raw = read_table(write_csv(tmp_path / "mixed.csv", _rows()))
    frame = place(normalise(raw.frame).frame, empty_db)
    assert set(frame["geocode_method"]) >= {"gps", "ward_name", "unresolved"}
    with empty_db.connect() as conn, conn.begin() as transaction:
        agency = import_records.upsert_agencies(conn, [("Kibera", "police_station")], "f")
        frame["agency_id"] = agency["kibera"]["id"]
        import_id = import_records.start_import(conn, "mixed.csv", "0" * 64, None)
        loaded = incident_store.load_incidents(conn, frame, import_id)
        assert loaded.weights is not None  # every row was new
        staged = aggregates._file_incidents(conn, "", "events", loaded.weights)
        assert staged is not None  # the file is all the table holds
        from_rows = aggregates.grouped_rows(*staged)
        read_back = aggregates.grouped_rows(aggregates._read_incidents(conn, "", "events"))
        transaction.rollback()
    for mine, theirs in zip(from_rows, read_back, strict=True):
        pd.testing.assert_frame_equal(_sorted(mine), _sorted(theirs), check_dtype=False)
    cells = from_rows[0]
    assert cells["n"].sum() == len(frame)
    assert cells["ward_code"].isna().any() and (cells["ward_code"] == "W2").any()


def test_a_file_onto_an_agency_holding_other_rows_reads_them_back(empty_db, tmp_path):
    load_square_wards(empty_db)
    ingest_one(empty_db, write_csv(tmp_path / "first.csv", _rows(60)))
    later = [row(record_ref=f"LATER {i}", latitude="-1.35", longitude="36.75") for i in range(30)]
    report = ingest_one(empty_db, write_csv(tmp_path / "later.csv", later))
    assert report["inserted"] == 30
    with empty_db.connect() as conn:
        stored = conn.execute(text("SELECT sum(n) FROM incident_cells_daily")).scalar_one()
        hours = conn.execute(text("SELECT sum(weight) FROM incident_hours_daily")).scalar_one()
    assert round(stored, 6) == 90  # the first file's rows are counted too
    assert round(hours, 6) == 90
