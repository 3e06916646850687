"""The gazetteer in PostGIS: CSV and GeoJSON in, the ward derived from the point,
reloads that keep ids, and errors that name the row and column to fix."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from geodata.errors import ObservatoryError
from geodata.gazetteer.store import add_alias, load_gazetteer, load_index

# Two 1 km x 1 km test wards side by side (EPSG:4326, near Nairobi).
WARDS = (
    ("T1", "Mjini", 36.800, -1.300),
    ("T2", "Bondeni", 36.809, -1.300),
)
CSV = """name,aliases,kind,latitude,longitude
Mjini Market,Mjini Mkt|Soko la Mjini,market,-1.2955,36.8045
Bondeni Stage,Bondeni Stg|Stage ya Bondeni,stage,-1.2955,36.8130
St. Mary's Primary School,St Marys Pri,school,-1.2990,36.8010
Far Away Dispensary,,health,-1.2000,36.9000
"""


@pytest.fixture
def wards_db(empty_db):
    with empty_db.begin() as conn:
        for code, name, x, y in WARDS:
            conn.execute(
                text(
                    "INSERT INTO wards (code, name, geom) VALUES (:code, :name, "
                    "ST_Multi(ST_MakeEnvelope(:x, :y, :x + 0.009, :y + 0.009, 4326)))"
                ),
                {"code": code, "name": name, "x": x, "y": y},
            )
    return empty_db


def places(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name, id, kind, ward_code, aliases, source FROM places ORDER BY id")
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_csv_loads_with_wards_from_the_points(wards_db, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(CSV)
    result = load_gazetteer(wards_db, path)
    assert (result.inserted, result.updated, result.removed) == (4, 0, 0)
    assert result.outside_wards == ("Far Away Dispensary",)
    assert "outside every loaded ward" in result.summary()
    loaded = places(wards_db)
    assert loaded["Mjini Market"][1:4] == ("market", "T1", ["Mjini Mkt", "Soko la Mjini"])
    assert loaded["Bondeni Stage"][2] == "T2"
    assert loaded["Far Away Dispensary"][2] is None
    assert loaded["Mjini Market"][4] == "places.csv"


def test_reload_keeps_ids_and_removes_dropped_places(wards_db, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(CSV)
    load_gazetteer(wards_db, path)
    before = places(wards_db)
    lines = CSV.splitlines()
    path.write_text("\n".join(lines[:2] + lines[3:4]) + "\nNew Estate,,estate,-1.2930,36.8060\n")
    result = load_gazetteer(wards_db, path)
    assert (result.inserted, result.updated, result.removed) == (1, 2, 2)
    after = places(wards_db)
    assert after["Mjini Market"][0] == before["Mjini Market"][0]
    assert "Bondeni Stage" not in after and after["New Estate"][2] == "T1"


def test_geojson_points_load_with_list_or_piped_aliases(wards_db, tmp_path):
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.8045, -1.2955]},
         "properties": {"name": "Mjini Market", "aliases": ["Mjini Mkt"], "kind": "market"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.8130, -1.2955]},
         "properties": {"name": "Bondeni Stage", "aliases": "Bondeni Stg|Stage ya Bondeni",
                        "kind": "stage"}},
    ]  # fmt: skip
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert load_gazetteer(wards_db, path).inserted == 2
    loaded = places(wards_db)
    assert loaded["Mjini Market"][2:4] == ("T1", ["Mjini Mkt"])
    assert loaded["Bondeni Stage"][2:4] == ("T2", ["Bondeni Stg", "Stage ya Bondeni"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (CSV + "Kona Bar,,bar,abc,36.80\n", "row 6, column latitude: 'abc' is not a decimal"),
        (CSV + ",,bar,-1.29,36.80\n", "row 6, column name: empty"),
        (CSV + "Kona Bar,,bar,36.80,-1.29\n", "row 6, latitude and longitude look swapped"),
        (CSV + "Kona Bar,,bar,-1.29,12.5\n", "row 6, column longitude: 12.5 is outside Kenya"),
        ("name,kind,lat\nX,bar,-1.29\n", "missing: longitude"),
        (CSV + "Mjini Market,,market,-1.2960,36.8040\n", "rows 2, 6: 'Mjini Market' (market)"),
    ],
)
def test_bad_rows_are_refused_with_row_and_column(wards_db, tmp_path, content, message):
    path = tmp_path / "places.csv"
    path.write_text(content)
    with pytest.raises(ObservatoryError, match="places.csv") as caught:
        load_gazetteer(wards_db, path)
    assert message in str(caught.value)
    assert places(wards_db) == {}  # nothing half-loaded


def test_a_non_point_feature_is_named(wards_db, tmp_path):
    feature = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []},
               "properties": {"name": "Ngong Road"}}  # fmt: skip
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(ObservatoryError, match="feature 1, column latitude: 'a LineString"):
        load_gazetteer(wards_db, path)


def test_loading_before_wards_says_what_to_do(empty_db, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(CSV)
    with pytest.raises(ObservatoryError, match="observatory wards load"):
        load_gazetteer(empty_db, path)


def test_loaded_gazetteer_resolves_texts_and_reviewed_aliases(wards_db, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(CSV)
    load_gazetteer(wards_db, path)
    ids = {name: row[0] for name, row in places(wards_db).items()}
    market, ward, unknown = load_index(wards_db).resolve(
        [
            ("karibu na soko la Mjini", None, ()),
            ("Bondeni ward", None, ()),
            ("Kwa Mama Njeri", None, ()),
        ]
    )
    assert (market.method, market.place_id, market.ward_code) == (
        "gazetteer",
        ids["Mjini Market"],
        "T1",
    )
    assert market.lat == pytest.approx(-1.2955) and market.lon == pytest.approx(36.8045)
    assert (ward.method, ward.ward_code, ward.lat) == ("ward_name", "T2", None)
    assert unknown.method == "unresolved"
    add_alias(wards_db, "Kwa Mama Njeri", place_id=ids["Bondeni Stage"])
    (reviewed,) = load_index(wards_db).resolve([("kwa mama njeri", None, ())])
    assert (reviewed.method, reviewed.place_id, reviewed.confidence) == (
        "gazetteer",
        ids["Bondeni Stage"],
        1.0,
    )


def test_place_rows_fills_method_place_ward_and_point(wards_db, tmp_path):
    import numpy as np
    import pandas as pd

    from etl.places import place_rows

    path = tmp_path / "places.csv"
    path.write_text(CSV)
    load_gazetteer(wards_db, path)
    market_id = places(wards_db)["Mjini Market"][0]
    frame = pd.DataFrame(
        {
            "location_text": ["Mjini mkt", "opp Mjini Mkt", "Bondeni", "Kwa Mama Njeri", None, "x"],
            "ward_text": [None, "Mjini", None, None, "bondeni ward", None],
            "latitude": [np.nan, np.nan, np.nan, np.nan, np.nan, -1.2951],
            "longitude": [np.nan, np.nan, np.nan, np.nan, np.nan, 36.8052],
        }
    )
    out = place_rows(wards_db, frame, ("T1",))
    assert list(out["geocode_method"]) == [
        "gazetteer", "gazetteer", "ward_name", "unresolved", "ward_name", "gps",
    ]  # fmt: skip
    assert list(out["place_id"].iloc[:2]) == [market_id, market_id]
    assert out["place_id"].iloc[2:].isna().all()
    assert list(out["ward_code"].iloc[[0, 1, 2, 4]]) == ["T1", "T1", "T2", "T2"]
    assert pd.isna(out["ward_code"].iloc[3])
    assert out["latitude"].iloc[0] == pytest.approx(-1.2955)
    assert out["latitude"].iloc[2:5].isna().all()  # a ward alone is never a point
    assert out["latitude"].iloc[5] == -1.2951  # GPS kept as it came
    confidence = out["geocode_confidence"]
    assert confidence.iloc[0] == 1.0 and confidence.iloc[5] == 1.0
    assert np.isnan(confidence.iloc[3])


def test_cli_loads_and_reports_errors_in_one_line(wards_db, tmp_path, monkeypatch, capsys):
    from click.testing import CliRunner

    from observatory.cli import cli, main

    path = tmp_path / "places.csv"
    path.write_text(CSV)
    result = CliRunner().invoke(cli, ["gazetteer", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert "loaded 4 places from places.csv (4 new, 0 kept, 0 removed)" in result.output
    resolved = CliRunner().invoke(cli, ["gazetteer", "resolve", "soko la mjini"])
    assert resolved.output.startswith("gazetteer: place ") and "ward T1" in resolved.output
    path.write_text(CSV + "Kona Bar,,bar,abc,36.80\n")
    monkeypatch.setattr("sys.argv", ["observatory", "gazetteer", "load", str(path)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "row 6, column latitude" in error
