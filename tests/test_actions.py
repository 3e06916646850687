"""Forum actions: loading the documented example files (CSV with latitude/longitude
and with WKT, GeoJSON), refusing bad rows with their row and column, re-loading
without changes, editing from the dashboard, the tracker's overdue flags, and a
public tracker that names wards and nothing finer."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date

import geopandas as gpd
import h3
import pytest
import shapely
from click.testing import CliRunner
from sqlalchemy import text

from geodata import cache
from geodata.actions import create_action, delete_action, load_actions, update_action
from geodata.boundaries import load_ward_frame
from geodata.errors import ObservatoryError
from geodata.queries.actions import (
    PUBLIC_TRACKER_COLUMNS,
    actions_frame,
    geometry_cells,
    public_tracker,
    tracker_table,
)
from tests.conftest import KENYA_WARDS, REPO

EXAMPLES = REPO / "docs" / "examples"
CSV_EXAMPLE = EXAMPLES / "actions-example.csv"
GEOJSON_EXAMPLE = EXAMPLES / "actions-example.geojson"
ATTRIBUTION = "Kenya County Assembly Boundaries, Omare B.D.A. and Omare G.J.M, 2017, CC BY 4.0"


@pytest.fixture(scope="module")
def nairobi_wards():
    frame = gpd.read_file(KENYA_WARDS)
    frame = frame[frame["county"].str.lower() == "nairobi"]
    return gpd.GeoDataFrame(
        {"code": frame["wardcode"], "name": frame["ward"], "county": frame["county"]},
        geometry=frame.geometry.values,
        crs=frame.crs,
    )


@pytest.fixture
def db(empty_db, nairobi_wards):
    load_ward_frame(empty_db, nairobi_wards, attribution=ATTRIBUTION)
    return empty_db


def _version(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version FROM data_version")).scalar_one()


def _stored(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT action_ref, kind, status, GeometryType(geom), ST_AsText(geom), "
                "decided_on, due_on, completed_on, updated_at FROM actions ORDER BY action_ref"
            )
        ).all()


def test_example_files_load_with_every_kind_of_geometry(db):
    csv_load = load_actions(db, CSV_EXAMPLE)
    geo_load = load_actions(db, GEOJSON_EXAMPLE)
    assert (csv_load.inserted, csv_load.updated, csv_load.unchanged) == (5, 0, 0)
    assert (geo_load.inserted, geo_load.updated, geo_load.unchanged) == (3, 0, 0)
    rows = {r[0]: r for r in _stored(db)}
    assert rows["MTH-001"][1:4] == ("lighting", "done", "POINT")  # latitude/longitude
    assert rows["MTH-001"][4] == "POINT(36.863 -1.2621)"
    assert rows["MTH-002"][3] == "LINESTRING"  # wkt column
    assert rows["MTH-003"][3] == "POLYGON"
    assert rows["MTH-004"][3] is None  # a meeting has no place
    assert rows["KIB-002"][3] == "LINESTRING"  # GeoJSON geometry
    assert rows["KIB-003"][3] is None
    assert rows["MTH-001"][5:8] == (date(2024, 5, 14), date(2024, 7, 31), date(2024, 7, 20))
    frame = actions_frame(db, ("done",))
    assert sorted(frame["action_ref"]) == ["KIB-001", "MTH-001"]
    light = frame.set_index("action_ref").loc["KIB-001"]
    assert light["geometry"] == {"type": "Point", "coordinates": [36.79431, -1.31521]}
    assert light["wards"] == "Lindi"


def test_reloading_changes_nothing_and_an_edit_updates_one_action(db, tmp_path):
    load_actions(db, CSV_EXAMPLE)
    before, version = _stored(db), _version(db)
    again = load_actions(db, CSV_EXAMPLE)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    assert _stored(db) == before  # not even updated_at moved
    assert _version(db) == version  # cached pages stay valid
    edited = tmp_path / "actions.csv"
    edited.write_text(
        CSV_EXAMPLE.read_text().replace("2024-10-31,,agreed", "2024-10-31,,in_progress")
    )
    changed = load_actions(db, edited)
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 4)
    assert {r[0]: r[2] for r in _stored(db)}["MTH-002"] == "in_progress"
    assert _version(db) > version


def test_rows_without_action_ref_are_keyed_by_forum_and_title(db, tmp_path):
    path = tmp_path / "no-refs.csv"
    path.write_text(
        "kind,title,forum,status,latitude,longitude\n"
        "light,Light at the stage,Mathare CSF,agreed,-1.2621,36.8630\n"
        "patrol,Night patrol,Mathare CSF,proposed,-1.2650,36.8520\n"
    )
    assert load_actions(db, path).inserted == 2
    assert load_actions(db, path).unchanged == 2
    refs = sorted(r[0] for r in _stored(db))
    assert refs == ["mathare_csf/light_at_the_stage", "mathare_csf/night_patrol"]
    # A synonym ("light") is stored as the vocabulary's word.
    assert {r[1] for r in _stored(db)} == {"lighting", "patrol"}


def test_bad_rows_refuse_the_file_naming_row_and_column(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "action_ref,kind,title,status,due_on,completed_on,latitude,longitude,wkt\n"
        "A1,streetlamp,Light,agreed,2024-07-01,,-1.26,36.86,\n"
        "A2,lighting,Light,agreed,31 June 2024,,-1.26,36.86,\n"
        "A3,lighting,Light,agreed,2024-07-01,,36.86,-1.26,\n"
        "A4,lighting,Light,agreed,2024-07-01,,,,\n"
        'A5,patrol,Patrol,done,2024-07-01,,,,"POLYGON ((36.84 -1.26, 36.85 -1.26, 36.85 -1.25, 36.84 -1.26))"\n'  # noqa: E501
        "A6,patrol,Patrol,agreed,2024-07-01,,,,POLYGON oops\n"
        "A7,lighting,,agreed,2024-07-01,,-1.26,36.86,\n"
        "A8,lighting,Light,agreed,2024-07-01,,-1.26,36.86,POINT (36.86 -1.26)\n"
        "A1,lighting,Light,agreed,2024-07-01,,-1.26,36.86,\n"
    )
    with pytest.raises(ObservatoryError) as caught:
        load_actions(db, path)
    message = str(caught.value)
    assert message.startswith("bad.csv: nothing loaded, 8 to fix")
    for expected in (
        "row 2, column kind: 'streetlamp' is not one of lighting",
        "row 3, column due_on: '31 June 2024' is not a date; write it as YYYY-MM-DD",
        "row 4, column latitude: (36.86000, -1.26000) is outside Kenya",
        "row 5: a lighting action needs a place",
        "row 6, column completed_on: empty, but the status is done",
        "row 7, column wkt: not a readable geometry",
        "row 8, column title: empty",
        "row 9: give either latitude/longitude or wkt",
    ):
        assert expected in message, expected
    assert _stored(db) == []
    features = tmp_path / "bad.geojson"
    features.write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"kind": "cctv", "title": "Camera"},'
        ' "geometry": {"type": "Point", "coordinates": [36.86, -1.26]}},'
        '{"type": "Feature", "properties": {"kind": "cctv", "title": "Camera 2",'
        ' "status": "finished soon"}, "geometry": null}]}'
    )
    with pytest.raises(ObservatoryError, match=r"feature 2, column status: 'finished soon'"):
        load_actions(db, features)
    assert _stored(db) == []


def test_columns_naming_people_are_never_read(db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "kind,title,responsible_person,phone,latitude,longitude,colour\n"
        "lighting,Light at the stage,Wanjiku Kamau,0712345678,-1.2621,36.8630,blue\n"
    )
    result = load_actions(db, path)
    assert result.dropped_columns == ("responsible_person", "phone")
    assert result.ignored_columns == ("colour",)
    assert "not read (would name a person): responsible_person, phone" in result.summary()
    with db.connect() as conn:
        stored = " ".join(str(v) for v in conn.execute(text("SELECT * FROM actions")).one())
    assert "Wanjiku" not in stored and "0712345678" not in stored


def test_tracker_flags_overdue_actions(db):
    load_actions(db, CSV_EXAMPLE)
    load_actions(db, GEOJSON_EXAMPLE)
    table = tracker_table(db, date(2024, 10, 10)).set_index("title")
    assert list(table["status"]) == sorted(
        table["status"], key=["proposed", "agreed", "in_progress", "done", "dropped"].index
    )
    overdue = table.loc[table["overdue"], "days_overdue"].to_dict()
    assert overdue == {
        "Baraza on gender-based violence": 56,  # proposed, due 15 August
        "Evening patrols around the Hospital ward stage": 10,  # in progress, due 30 Sept
        "Clear the Makina footpath to the railway": 40,  # in progress, due 31 August
    }
    # Done, dropped and not-yet-due actions are never overdue.
    for title in (
        "Street light at the Mabatini footbridge",
        "Clear the bush by the river crossing",
        "Clear the path behind Mlango Kubwa market",
        "School talks on safe routes home",
    ):
        assert not table.loc[title, "overdue"] and table.loc[title, "days_overdue"] == 0
    later = tracker_table(db, date(2024, 12, 1)).set_index("title")
    assert later.loc["Clear the path behind Mlango Kubwa market", "days_overdue"] == 31
    assert later.loc["School talks on safe routes home", "days_overdue"] == 1


def test_public_tracker_names_wards_and_nothing_finer(db, nairobi_wards):
    load_actions(db, CSV_EXAMPLE)
    load_actions(db, GEOJSON_EXAMPLE)
    public = public_tracker(db, date(2024, 10, 10))
    assert tuple(public.columns) == PUBLIC_TRACKER_COLUMNS
    assert len(public) == 8
    shown = public.astype(str).to_csv()
    private = actions_frame(db)
    for column in ("title", "description", "responsible_agency", "forum", "priority"):
        for value in private[column].dropna():
            assert value not in shown, value
    assert not re.search(r"\d+\.\d{3,}", shown)  # no coordinates
    # The wards are the ones the geometry really touches (checked with shapely).
    team = tracker_table(db, date(2024, 10, 10))
    for row, public_row in zip(team.itertuples(), public.itertuples(), strict=True):
        geometry = private.set_index("id").loc[row.id, "geometry"]
        if geometry is None:
            assert public_row.wards == "-"
            continue
        shape = shapely.geometry.shape(geometry)
        expected = sorted(nairobi_wards.loc[nairobi_wards.intersects(shape), "name"])
        assert public_row.wards == ", ".join(expected)
    assert "Mabatini" in set(public["wards"])


def test_dashboard_create_edit_delete(db):
    drawn = {"type": "LineString", "coordinates": [[36.845, -1.2648], [36.848, -1.2657]]}
    new_id = create_action(
        db, {"kind": "pathway_clearing", "title": "Clear the short cut", "forum": "Mathare CSF",
             "geometry": drawn, "due_on": "2024-09-30"},
    )  # fmt: skip
    with pytest.raises(ObservatoryError, match="exists already"):
        create_action(db, {"kind": "patrol", "title": "Clear the short cut",
                           "forum": "Mathare CSF", "latitude": -1.26,
                           "longitude": 36.86})  # fmt: skip
    record = update_action(db, new_id, {"status": "done", "completed_on": date(2024, 9, 20)})
    assert record.kind == "pathway_clearing" and record.geometry.geom_type == "LineString"
    with pytest.raises(ObservatoryError, match="column completed_on: empty"):
        update_action(db, new_id, {"completed_on": None})
    update_action(db, new_id, {"geometry": {"type": "Point", "coordinates": [36.86, -1.26]}})
    row = actions_frame(db).set_index("id").loc[new_id]
    assert row["geometry"]["type"] == "Point" and row["status"] == "done"
    delete_action(db, new_id)
    assert actions_frame(db).empty
    with pytest.raises(ObservatoryError, match=f"no action {new_id}"):
        delete_action(db, new_id)


def test_geometry_cells():
    home = h3.latlng_to_cell(-1.2621, 36.8630, 9)
    lat, lon = h3.cell_to_latlng(home)
    centre = {"type": "Point", "coordinates": [lon, lat]}
    assert geometry_cells(centre) == {h3.str_to_int(home)}
    assert geometry_cells(centre, 150) == {h3.str_to_int(home)}
    ring = geometry_cells(centre, 400) - {h3.str_to_int(home)}
    assert ring == {h3.str_to_int(c) for c in h3.grid_ring(home, 1)}
    line = shapely.LineString([(36.845, -1.2648), (36.8481, -1.2657)])
    dense = shapely.segmentize(line, 0.00002)
    crossed = {h3.str_to_int(h3.latlng_to_cell(y, x, 9)) for x, y in dense.coords}
    assert geometry_cells(line) == crossed and len(crossed) >= 2
    square = shapely.box(36.846, -1.262, 36.850, -1.260)
    inside = {h3.str_to_int(c) for c in h3.geo_to_cells(square, 9)}
    assert inside <= geometry_cells(square)
    cells = geometry_cells(square, 200)
    for cell in cells - geometry_cells(square):
        y, x = h3.cell_to_latlng(h3.int_to_str(cell))
        metres = shapely.Point(x, y).distance(square) * 111_320
        assert metres <= 205


def test_cli_load_and_list(db):
    from observatory.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["actions", "load", str(CSV_EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "actions-example.csv: 5 actions added, 0 updated, 0 unchanged" in result.output
    cache.clear()
    listed = runner.invoke(cli, ["actions", "list", "--as-of", "2024-10-10"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == 5
    overdue = [line for line in lines if "OVERDUE" in line]
    assert len(overdue) == 2 and "OVERDUE 56 days" in overdue[0]


def test_cli_bad_file_is_one_line_and_exit_1(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,title,latitude,longitude\nlighting,Light,-1.26,\n")
    out = subprocess.run(
        [sys.executable, "-c", "from observatory.cli import main; main()", "actions", "load",
         str(bad)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "error: bad.csv: nothing loaded, 1 to fix: row 2, column longitude: empty; a point "
        "needs both."
    )
