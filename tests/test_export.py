"""`observatory export incidents`: incidents loaded through the real ETL come out with
their wards and H3 cells, and nothing personal from the agency file."""

from __future__ import annotations

import csv
import os
import subprocess

import geopandas as gpd
import h3
import pandas as pd
import pytest
from shapely.geometry import Point, box

from etl.export import export_incidents
from etl.ingest import ingest_files
from geodata.boundaries import load_ward_frame
from geodata.errors import ObservatoryError
from tests.conftest import KENYA_WARDS, REPO

# A square test ward near Mombasa (no real ward is loaded there) and a point in a
# real Nairobi ward.
SQUARE = box(39.60, -4.00, 39.62, -3.98)
IN_SQUARE = (-3.9912345, 39.6054321)
IN_NAIROBI = (-1.2841, 36.8233)
PERSONAL = ("Jane Wanjiru", "0712345678", "John Otieno", "0722000111", "23456789")
REQUIRED = [
    "agency",
    "agency_type",
    "record_ref",
    "category",
    "occurred_from",
    "occurred_to",
    "reported_on",
    "latitude",
    "longitude",
    "ward_code",
    "ward_name",
    "h3_7",
    "h3_8",
    "h3_9",
    "status",
    "geocode_method",
]


@pytest.fixture
def loaded(empty_db, tmp_path):
    """Nairobi's real wards plus the square ward, and an agency file ingested."""
    real = gpd.read_file(KENYA_WARDS, engine="pyogrio")
    nairobi = real[real["county"] == "Nairobi"]
    wards = gpd.GeoDataFrame(
        {
            "code": [*nairobi["wardcode"], "SQ1"],
            "name": [*nairobi["ward"], "Square Ward"],
            "county": [*nairobi["county"], "Mombasa"],
        },
        geometry=[*nairobi.geometry, SQUARE],
        crs="EPSG:4326",
    )
    load_ward_frame(empty_db, wards)
    expected_nairobi = nairobi[nairobi.contains(Point(IN_NAIROBI[1], IN_NAIROBI[0]))]
    assert len(expected_nairobi) == 1

    path = tmp_path / "kilimani_ob.csv"
    rows = [
        ["OB 1/3/2024", "theft", "2024-03-01", "21:30", *IN_SQUARE, "Stage", "reported"],
        ["OB 2/3/2024", "assault", "2024-03-02", "", *IN_NAIROBI, "Kencom", "in_court"],
        ["OB 3/3/2024", "robbery", "2024-03-03", "06:15", "", "", "behind the big tree", ""],
    ]
    people = [
        ["Jane Wanjiru", "0712345678", "23456789"],
        ["John Otieno", "0722000111", ""],
        ["", "", ""],
    ]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["record_ref", "category", "occurred_on", "occurred_time", "latitude", "longitude"]
            + ["location", "status", "complainant", "phone", "id_number"]
        )
        for row, person in zip(rows, people, strict=True):
            writer.writerow(row + person)
    (report,) = ingest_files(
        [path], agency="Kilimani Police", agency_type="police_station", engine=empty_db
    )
    assert not report["failed"], report
    assert report["inserted"] == 3
    return empty_db, expected_nairobi.iloc[0]


def read_export(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False).set_index("record_ref")


def test_export_columns_and_values(loaded, tmp_path):
    engine, nairobi_ward = loaded
    out = tmp_path / "incidents.csv"
    assert export_incidents(engine, out) == 3
    table = read_export(out)
    assert set(REQUIRED) - {"record_ref"} <= set(table.columns)
    assert len(table) == 3

    square = table.loc["OB 1/3/2024"]
    assert (square["agency"], square["agency_type"]) == ("Kilimani Police", "police_station")
    assert (square["category"], square["status"]) == ("theft", "reported")
    assert square["occurred_from"] == "2024-03-01 21:30:00"
    assert square["time_known"] == "true"
    assert (square["ward_code"], square["ward_name"]) == ("SQ1", "Square Ward")
    assert (float(square["latitude"]), float(square["longitude"])) == IN_SQUARE
    assert square["geocode_method"] == "gps"

    nairobi = table.loc["OB 2/3/2024"]
    assert nairobi["ward_code"] == nairobi_ward["wardcode"]
    assert nairobi["ward_name"] == nairobi_ward["ward"]
    assert nairobi["time_known"] == "false"  # date only: never counted at midnight

    for ref, (lat, lon) in (("OB 1/3/2024", IN_SQUARE), ("OB 2/3/2024", IN_NAIROBI)):
        row = table.loc[ref]
        for res in (7, 8, 9):
            assert row[f"h3_{res}"] == h3.latlng_to_cell(lat, lon, res)

    unplaced = table.loc["OB 3/3/2024"]
    assert unplaced["location_text"] == "behind the big tree"
    assert unplaced["geocode_method"] == "unresolved"
    for column in ("latitude", "longitude", "ward_code", "ward_name", "h3_7", "h3_8", "h3_9"):
        assert unplaced[column] == ""


def test_export_holds_no_personal_data(loaded, tmp_path):
    engine, _ = loaded
    out = tmp_path / "incidents.csv"
    export_incidents(engine, out)
    text = out.read_text()
    header = text.splitlines()[0].split(",")
    assert not {"complainant", "phone", "id_number"} & set(header)
    for value in PERSONAL:
        assert value not in text


def test_cli_export_matches_and_replaces_the_file(loaded, tmp_path):
    engine, _ = loaded
    expected = tmp_path / "api.csv"
    export_incidents(engine, expected)
    out = tmp_path / "cli.csv"
    out.write_text("an old export\n")
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "observatory"), "export", "incidents", "--out", str(out)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote 3 incidents to {out}"
    assert out.read_bytes() == expected.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_to_a_missing_folder_is_an_actionable_error(loaded, tmp_path):
    engine, _ = loaded
    with pytest.raises(ObservatoryError, match="does not exist: create it"):
        export_incidents(engine, tmp_path / "no-such-folder" / "incidents.csv")
    with pytest.raises(ObservatoryError, match="is a directory"):
        export_incidents(engine, tmp_path)
