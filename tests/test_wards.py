"""Ward boundaries: the real national file, generated GeoJSON/GeoPackage/projected
files, the CLI, and the dashboard's ward reads."""

from __future__ import annotations

import json
import os
import re
import subprocess

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from sqlalchemy import text

from geodata import cache
from geodata.boundaries import load_ward_frame, load_wards, repair_geometries, tidy_place_name
from geodata.errors import ObservatoryError
from geodata.queries.wards import ward_attributions, ward_outlines_geojson, ward_table
from tests.conftest import KENYA_WARD_FIELDS, KENYA_WARDS, REPO, truncate_all

OBSERVATORY = str(REPO / ".venv" / "bin" / "observatory")
KENYA_CLI_FIELDS = [
    "--code-field",
    "wardcode",
    "--name-field",
    "ward",
    "--county-field",
    "county",
    "--constituency-field",
    "const",
]
# Central Nairobi: the generated test wards sit here, away from nothing in particular.
LON, LAT = 36.82, -1.29


@pytest.fixture(scope="module")
def kenya_raw():
    return gpd.read_file(KENYA_WARDS, engine="pyogrio")


@pytest.fixture(scope="module")
def kenya_loaded(engine):
    """The real national file loaded once into an otherwise empty database."""
    truncate_all(engine)
    cache.clear()
    return load_wards(engine, KENYA_WARDS, **KENYA_WARD_FIELDS)


@pytest.fixture
def scratch_codes(engine):
    """Generated test wards use codes starting with `T`; removed afterwards so the
    national wards stay alone in the table."""
    yield
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM wards WHERE code LIKE 'T%'"))
        cache.bump_version(conn)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OBSERVATORY, *args], capture_output=True, text=True, env=os.environ.copy(), timeout=300
    )


def stored(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


# --- the real national file -------------------------------------------------------


def test_real_file_loads_every_feature_and_repairs_the_invalid_ones(
    engine, kenya_loaded, kenya_raw
):
    invalid_in_file = int((~kenya_raw.geometry.is_valid).sum())
    assert invalid_in_file == 5  # as the data's README says
    assert kenya_loaded.loaded == 1452
    assert kenya_loaded.inserted == 1452
    assert kenya_loaded.replaced == 0
    assert kenya_loaded.repaired == invalid_in_file
    assert f"repaired {invalid_in_file} invalid geometries" in kenya_loaded.summary()

    count, distinct, types, srids, invalid = stored(
        engine,
        "SELECT count(*), count(DISTINCT code), array_agg(DISTINCT GeometryType(geom)), "
        "array_agg(DISTINCT ST_SRID(geom)), count(*) FILTER (WHERE NOT ST_IsValid(geom)) "
        "FROM wards",
    )[0]
    assert (count, distinct) == (1452, 1452)
    assert types == ["MULTIPOLYGON"]
    assert srids == [4326]
    assert invalid == 0
    # The 9 MultiPolygons of the file plus repairs that split a polygon in parts.
    assert kenya_loaded.multipolygons >= 9
    (several,) = stored(engine, "SELECT count(*) FROM wards WHERE ST_NumGeometries(geom) > 1")[0]
    assert kenya_loaded.multipolygons == several


def test_repaired_wards_keep_their_area(engine, kenya_loaded, kenya_raw):
    """A repair must not drop the polygon: the Nairobi ward whose ring touches itself
    (make_valid gives a GeometryCollection there) keeps its area."""
    bad = kenya_raw[~kenya_raw.geometry.is_valid]
    for _, row in bad.iterrows():
        (area,) = stored(
            engine,
            "SELECT ST_Area(geom) FROM wards WHERE name = :name AND county = :county",
            name=tidy_place_name(row["ward"]),
            county=tidy_place_name(row["county"]),
        )[0]
        assert area == pytest.approx(shapely.make_valid(row.geometry).area, rel=1e-6)
        assert area > 0


def test_repeated_codes_in_the_real_file_keep_every_ward(engine, kenya_loaded, kenya_raw):
    repeated = kenya_raw[kenya_raw.wardcode.duplicated(keep="first")]
    assert sorted(old for old, _ in kenya_loaded.renamed) == sorted(repeated.wardcode)
    for _, row in repeated.iterrows():
        (name,) = stored(engine, "SELECT name FROM wards WHERE code = :c", c=row.wardcode + "-2")[0]
        assert name == tidy_place_name(row.ward)
    assert "159->159-2" in kenya_loaded.summary()


def test_county_and_name_case_is_made_consistent(engine, kenya_loaded):
    counties = {c for (c,) in stored(engine, "SELECT DISTINCT county FROM wards")}
    assert len(counties) == 47
    assert "Murang'a" in counties
    assert "Murang'A" not in counties
    constituencies = {c for (c,) in stored(engine, "SELECT DISTINCT constituency FROM wards")}
    assert "Chuka/Igambang'ombe" in constituencies
    assert tidy_place_name("  NAIROBI   CBD ") == "Nairobi Cbd"
    assert tidy_place_name("Manyatta 'B'") == "Manyatta 'B'"
    assert tidy_place_name("Moi'S Bridge") == "Moi's Bridge"


def test_attribution_defaults_to_the_readme_citation(kenya_loaded, engine):
    (attribution,) = ward_attributions(engine)
    assert attribution.startswith("Kenya County Assembly Boundaries. Omare B.D.A.")
    assert "CC BY 4.0" in attribution


def test_reloading_replaces_without_duplicates(engine, kenya_loaded):
    before = cache.data_version(engine)
    again = load_wards(engine, KENYA_WARDS, **KENYA_WARD_FIELDS)
    assert (again.loaded, again.inserted, again.replaced) == (1452, 0, 1452)
    assert stored(engine, "SELECT count(*) FROM wards")[0][0] == 1452
    assert cache.data_version(engine) > before


def test_cli_loads_the_real_file_and_prints_the_summary(engine, kenya_loaded):
    out = run_cli("wards", "load", str(KENYA_WARDS), *KENYA_CLI_FIELDS)
    assert out.returncode == 0, out.stderr
    assert "loaded 1,452 wards from kenya_wards.shp (0 new, 1,452 replaced)" in out.stdout
    assert "repaired 5 invalid geometries" in out.stdout
    assert stored(engine, "SELECT count(*) FROM wards")[0][0] == 1452


def test_cli_wrong_code_field_is_one_error_line_listing_the_fields(kenya_loaded):
    out = run_cli("wards", "load", str(KENYA_WARDS), "--code-field", "ward_code")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ")
    assert "'ward_code'" in lines[0]
    for field in ("wardcode", "ward", "county", "const"):
        assert re.search(rf"\b{field}\b", lines[0])
    assert "Traceback" not in out.stderr


def test_cli_refuses_repeated_codes_when_asked(kenya_loaded):
    out = run_cli(
        "wards", "load", str(KENYA_WARDS), *KENYA_CLI_FIELDS, "--duplicate-codes", "error"
    )
    assert out.returncode == 1
    assert out.stderr.startswith("error: ")
    assert "159 (Ijara, Lake Nakuru National Park)" in out.stderr
    assert "Traceback" not in out.stderr


def test_outlines_geojson_for_the_dashboard(engine, kenya_loaded):
    collection = ward_outlines_geojson(engine)
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) == 1452
    codes = {code for (code,) in stored(engine, "SELECT code FROM wards")}
    assert {f["id"] for f in features} == codes
    murang = [f for f in features if f["properties"]["county"] == "Murang'a"]
    assert murang and all(f["properties"]["name"] for f in murang)
    assert {f["geometry"]["type"] for f in features} == {"MultiPolygon"}
    payload = json.dumps(collection)
    # Coordinates rounded to 5 decimals keep the national map light.
    assert not re.search(r"\d\.\d{6,}", payload)
    assert len(payload) < 3_000_000
    # Simplified outlines are still the wards: each ward's centre stays inside it.
    for feature in features[::50]:
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.is_valid
        (inside,) = stored(
            engine,
            "SELECT ST_Intersects(geom, ST_SetSRID(ST_Point(:x, :y), 4326)) FROM wards "
            "WHERE code = :code",
            x=shape.representative_point().x,
            y=shape.representative_point().y,
            code=feature["id"],
        )[0]
        assert inside


def test_ward_table_lists_every_ward(engine, kenya_loaded):
    table = ward_table(engine)
    assert list(table.columns) == ["code", "name", "county", "constituency", "population"]
    assert len(table) == 1452
    assert table["code"].is_unique
    row = table[table["name"] == "Moi's Bridge"].iloc[0]
    assert row["county"] == "Uasin Gishu"


# --- generated files ---------------------------------------------------------------


def square(dx: float, dy: float, size: float = 0.01) -> Polygon:
    return box(LON + dx, LAT + dy, LON + dx + size, LAT + dy + size)


def bow_tie(dx: float, dy: float, size: float = 0.01) -> Polygon:
    x, y = LON + dx, LAT + dy
    return Polygon([(x, y), (x + size, y + size), (x + size, y), (x, y + size), (x, y)])


def generated_frame(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "WARD_ID": ["T1", "T2"],
            "WARD_NAME": ["Square Ward", "Bow Tie Ward"],
            "COUNTY": ["NAIROBI", "NAIROBI"],
            "POP": [12000, 8000],
        },
        geometry=[square(0, 0), bow_tie(0.02, 0)],
        crs=crs,
    )


@pytest.mark.parametrize("suffix,driver", [("geojson", "GeoJSON"), ("gpkg", "GPKG")])
def test_generated_file_with_a_bow_tie_is_repaired(engine, scratch_codes, tmp_path, suffix, driver):
    path = tmp_path / f"wards.{suffix}"
    generated_frame().to_file(path, driver=driver, engine="pyogrio")
    (tmp_path / "README.md").write_text("# Test wards\n\n> Test Wards, Example Org, 2024.\n")
    result = load_wards(
        engine,
        path,
        code_field="WARD_ID",
        name_field="WARD_NAME",
        county_field="COUNTY",
        population_field="POP",
    )
    assert (result.loaded, result.inserted, result.repaired) == (2, 2, 1)
    assert result.multipolygons == 1  # the bow tie becomes two triangles
    rows = stored(
        engine,
        "SELECT code, name, county, population, GeometryType(geom), ST_NumGeometries(geom), "
        "ST_IsValid(geom), ST_Area(geom), attribution FROM wards WHERE code LIKE 'T%' "
        "ORDER BY code",
    )
    assert [r[:7] for r in rows] == [
        ("T1", "Square Ward", "Nairobi", 12000, "MULTIPOLYGON", 1, True),
        ("T2", "Bow Tie Ward", "Nairobi", 8000, "MULTIPOLYGON", 2, True),
    ]
    assert rows[0][7] == pytest.approx(0.0001)
    assert rows[1][7] == pytest.approx(0.00005)  # two triangles, half the square
    assert {r[8] for r in rows} == {"Test Wards, Example Org, 2024."}


def test_explicit_attribution_wins_over_the_readme(engine, scratch_codes, tmp_path):
    path = tmp_path / "wards.geojson"
    generated_frame().to_file(path, driver="GeoJSON", engine="pyogrio")
    (tmp_path / "README.md").write_text("> From the README\n")
    load_wards(engine, path, code_field="WARD_ID", name_field="WARD_NAME", attribution="Mine")
    assert {a for (a,) in stored(engine, "SELECT attribution FROM wards WHERE code LIKE 'T%'")} == {
        "Mine"
    }


def test_projected_file_is_reprojected_to_wgs84(engine, scratch_codes, tmp_path):
    wgs84 = generated_frame()
    projected = wgs84.to_crs("EPSG:21037")
    path = tmp_path / "wards_21037.gpkg"
    projected.to_file(path, driver="GPKG", engine="pyogrio")
    load_wards(engine, path, code_field="ward_id", name_field="ward_name")
    x, y, srid = stored(
        engine,
        "SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)), ST_SRID(geom) FROM wards "
        "WHERE code = 'T1'",
    )[0]
    expected = wgs84.geometry.iloc[0].centroid
    assert srid == 4326
    assert x == pytest.approx(expected.x, abs=1e-7)
    assert y == pytest.approx(expected.y, abs=1e-7)


def test_load_ward_frame_for_the_demo_generator(engine, scratch_codes):
    frame = gpd.GeoDataFrame(
        {
            "code": ["T10", "T11"],
            "name": ["Market", "Riverside"],
            "county": ["Demo County", "Demo County"],
            "constituency": ["Demo East", "Demo East"],
            "population": [5000, None],
        },
        geometry=[square(0, 0.05), square(0.01, 0.05)],
        crs="EPSG:4326",
    )
    result = load_ward_frame(engine, frame, attribution="Generated demo town")
    assert (result.loaded, result.inserted, result.repaired) == (2, 2, 0)
    rows = stored(
        engine,
        "SELECT code, constituency, population, attribution FROM wards WHERE code LIKE 'T1_' "
        "ORDER BY code",
    )
    assert rows == [
        ("T10", "Demo East", 5000, "Generated demo town"),
        ("T11", "Demo East", None, "Generated demo town"),
    ]
    again = load_ward_frame(engine, frame.assign(name=["Market Centre", "Riverside"]))
    assert (again.inserted, again.replaced) == (0, 2)
    assert stored(engine, "SELECT name FROM wards WHERE code = 'T10'") == [("Market Centre",)]


def test_repeated_and_missing_codes_are_named(engine, scratch_codes, tmp_path):
    frame = generated_frame()
    frame = gpd.GeoDataFrame(
        {"code": ["T1", "T1", "T3", None], "name": ["A", "B", "C", "D"]},
        geometry=[square(0, 0), square(0.02, 0), square(0.04, 0), square(0.06, 0)],
        crs="EPSG:4326",
    )
    with pytest.raises(ObservatoryError, match=r"features 4 \(counting from 1\) have no ward code"):
        load_ward_frame(engine, frame)
    frame.loc[3, "code"] = "T4"
    with pytest.raises(ObservatoryError, match=r"ward codes repeat: T1 \(A, B\)"):
        load_ward_frame(engine, frame)
    path = tmp_path / "repeated.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    result = load_wards(engine, path)  # a file keeps every feature by default
    assert result.renamed == (("T1", "T1-2"),)
    assert stored(engine, "SELECT name FROM wards WHERE code = 'T1-2'") == [("B",)]


def test_unreadable_file_is_an_actionable_error(engine, tmp_path):
    path = tmp_path / "wards.geojson"
    path.write_text("this is not GeoJSON")
    with pytest.raises(ObservatoryError, match="cannot read it as a boundary file"):
        load_wards(engine, path)
    out = run_cli("wards", "load", str(path))
    assert out.returncode == 1
    assert out.stderr.startswith("error: ") and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_repair_keeps_only_polygonal_parts():
    # A square with a spike: make_valid gives a GeometryCollection(polygon, line).
    spiked = Polygon([(0, 0), (2, 0), (2, 1), (3, 1), (2, 1), (2, 2), (0, 2), (0, 0)])
    assert shapely.make_valid(spiked).geom_type == "GeometryCollection"
    (repaired,), count = repair_geometries([spiked])
    assert count == 1
    assert isinstance(repaired, MultiPolygon)
    assert repaired.is_valid and repaired.area == pytest.approx(4)


def test_cli_attribution_and_population(engine, scratch_codes, tmp_path):
    path = tmp_path / "wards.gpkg"
    generated_frame().to_file(path, driver="GPKG", engine="pyogrio")
    out = run_cli(
        "wards",
        "load",
        str(path),
        "--code-field",
        "WARD_ID",
        "--name-field",
        "WARD_NAME",
        "--population-field",
        "POP",
        "--attribution",
        "Nairobi test wards, CC BY 4.0",
    )
    assert out.returncode == 0, out.stderr
    assert "loaded 2 wards from wards.gpkg (2 new, 0 replaced); repaired 1 invalid" in out.stdout
    assert "Nairobi test wards, CC BY 4.0" in ward_attributions(engine)
    table = ward_table(engine).set_index("code")
    assert table.loc["T1", "population"] == 12000


def test_population_accepts_thousands_separators_and_names_bad_rows(
    engine, scratch_codes, tmp_path
):
    path = tmp_path / "wards.geojson"
    fields = {"code_field": "WARD_ID", "name_field": "WARD_NAME", "population_field": "POP"}
    generated_frame().assign(POP=["12,000 people", "8 000"]).to_file(path, engine="pyogrio")
    with pytest.raises(ObservatoryError, match=r"population is not a number in features 1 "):
        load_wards(engine, path, **fields)
    generated_frame().assign(POP=["12,000", "8 000"]).to_file(path, engine="pyogrio")
    load_wards(engine, path, **fields)
    rows = stored(engine, "SELECT population FROM wards WHERE code LIKE 'T%' ORDER BY code")
    assert rows == [(12000,), (8000,)]


def test_outlines_follow_a_new_load(engine, scratch_codes):
    before = {f["id"] for f in ward_outlines_geojson(engine)["features"]}
    frame = gpd.GeoDataFrame(
        {"code": ["T20"], "name": ["New Ward"]}, geometry=[square(0, 0.1)], crs="EPSG:4326"
    )
    load_ward_frame(engine, frame)
    after = {f["id"] for f in ward_outlines_geojson(engine)["features"]}
    assert after - before == {"T20"}
