"""The patrol planner on the seeded demo, loaded through the real ETL: the night
shift of the busiest police station area puts its points on the planted night hot
spots, covers next month's night crime at least as well as last month's top cells,
and saved plans keep their parameters and stay within a commander's wards; a drawn
station area plans inside it, is cut to the wards it may cover, and is kept."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.geometry
from sqlalchemy import text

from geodata import cache
from geodata.errors import ObservatoryError
from geodata.patrol_area import area_shape, polygon_from_vertices
from geodata.patrol_plans import PlanParameters, delete_plan, save_plan
from geodata.patrol_service import (
    drawn_station_area,
    evaluate_plan_cells,
    evaluate_saved_plan,
    plan_parameters,
    plan_shift,
)
from geodata.queries import patrol as queries
from tests.conftest import truncate_all

DEMO_SEED = 20241
DEMO_REFERENCE = date(2024, 9, 30)
NIGHT = ("robbery", "assault")
EARTH_M = 6_371_000.0


def _metres(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(a))


def load_planner_demo(engine, folder):
    """The seeded demo: its wards, its gazetteer, then every agency file through
    `ingest` (as `observatory wards load`, `gazetteer load` and `ingest` would, so
    location texts can be placed at gazetteer landmarks); returns the truth."""
    from etl.demo import build_demo, load_truth
    from etl.demo.truth import PLACES_FILE
    from etl.ingest import ingest_files
    from geodata.boundaries import load_ward_frame
    from geodata.gazetteer.store import load_gazetteer

    truncate_all(engine)
    cache.clear()
    build = build_demo(DEMO_SEED, folder, reference_date=DEMO_REFERENCE)
    load_ward_frame(engine, build.geography.wards, attribution=build.geography.attribution)
    load_gazetteer(engine, folder / PLACES_FILE)
    for files in build.files:
        reports = ingest_files(
            files.paths,
            agency=files.agency.name,
            agency_type=files.agency.agency_type,
            progress=False,
            engine=engine,
        )
        assert not any(r["failed"] for r in reports), reports
    return load_truth(folder)


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    return engine, load_planner_demo(engine, tmp_path_factory.mktemp("demo"))


def _last_month_start(truth: dict) -> date:
    return date.fromisoformat(truth["period"]["end"]).replace(day=1)


def _night_params(engine, truth: dict) -> PlanParameters:
    busiest = queries.station_areas(engine).iloc[0]
    return PlanParameters(
        ward_codes=busiest["ward_codes"],
        station=busiest["name"],
        start_hour=18,
        end_hour=6,
        categories=NIGHT,
        n_points=5,
        officer_hours=16,
        as_of=_last_month_start(truth),
    )


def test_busiest_station_area_is_the_planted_one(demo):
    engine, truth = demo
    stations = queries.station_areas(engine)
    police = [a for a in truth["agencies"] if a["agency_type"] == "police_station"]
    rows = pd.Series([r["agency"] for r in truth["records"]]).value_counts()
    planted = max(police, key=lambda a: rows.get(a["name"], 0))
    print(stations[["name", "incidents", "ward_codes"]].to_string())
    assert stations.iloc[0]["name"] == planted["name"]
    assert set(stations.iloc[0]["ward_codes"]) == set(planted["wards"])
    assert set(stations["agency_type"]) == {"police_station"}


def test_night_plan_sits_on_the_night_hot_spots_and_beats_the_naive_plan(demo):
    engine, truth = demo
    params = _night_params(engine, truth)
    plan = plan_shift(engine, params)
    print(plan.points.drop(columns=["cells"]).to_string())

    night_spots = [s for s in truth["model"]["hot_spots"] if set(s["categories"]) & set(NIGHT)]
    for point in plan.points.head(3).itertuples():
        nearest = min(night_spots, key=lambda s: _metres(point.lat, point.lon, s["lat"], s["lon"]))
        distance = _metres(point.lat, point.lon, nearest["lat"], nearest["lon"])
        assert distance <= nearest["radius_m"], (point.point, nearest["place"], distance)
        assert point.landmark and point.landmark_m < 1000
    # Peak hours are hours of the shift.
    assert set(plan.points.iloc[0]["peak_hours"]) <= set(params.shift.hours)

    score = evaluate_plan_cells(engine, params, plan.cells)
    print(score.table.to_string())
    planner, naive = score.row("planner"), score.row("naive")
    print(f"PAI on {score.start:%b %Y}: planner {planner['pai']:.2f}, naive {naive['pai']:.2f}")
    assert planner["incidents"] > 20  # a month of night robberies and assaults
    assert planner["cells"] == naive["cells"]  # the same area for both plans
    assert planner["pai"] >= naive["pai"]
    assert planner["pai"] > 5  # far better than patrolling at random (PAI 1)


def test_schedule_keeps_to_the_shift_and_the_officer_hours(demo):
    engine, truth = demo
    params = _night_params(engine, truth)
    plan = plan_shift(engine, params)
    visits = plan.schedule
    length = (visits["end"] - visits["start"]).dt.total_seconds() / 60
    assert length.between(10, 15).all()
    assert (visits["start"] >= plan.shift_start).all() and (visits["end"] <= plan.shift_end).all()
    assert plan.shift_start == datetime.combine(params.as_of, datetime.min.time()) + timedelta(
        hours=18
    )
    for _, at_point in visits.groupby("point"):
        gaps = at_point["start"].iloc[1:].to_numpy() - at_point["end"].iloc[:-1].to_numpy()
        assert (gaps >= np.timedelta64(120, "m")).all()
    on_duty = (length + params.travel_minutes).groupby(visits["officer"]).sum()
    assert (on_duty <= params.officer_hours * 60 / visits["officer"].nunique() + 1e-9).all()
    assert set(visits["point"]) == set(plan.points["point"])


def test_saved_plans_keep_their_parameters_and_stay_in_the_commanders_wards(demo):
    engine, truth = demo
    params = _night_params(engine, truth)
    plan = plan_shift(engine, params)
    plan_id = save_plan(engine, "Night shift", params, plan.points, plan.schedule, "kamau")
    stations = queries.station_areas(engine)
    own, other = stations.iloc[0]["ward_codes"], stations.iloc[1]["ward_codes"]

    saved = queries.saved_plan(engine, plan_id, own)
    assert saved["plan"]["created_by"] == "kamau"
    assert saved["plan"]["categories"] == NIGHT and saved["plan"]["start_hour"] == 18
    assert saved["points"]["cells"].tolist() == plan.points["cells"].tolist()
    assert saved["points"]["landmark"].tolist() == plan.points["landmark"].tolist()
    assert len(saved["schedule"]) == len(plan.schedule)
    assert plan_id in queries.saved_plans(engine, None)["id"].tolist()
    assert plan_id in queries.saved_plans(engine, own)["id"].tolist()
    assert plan_id not in queries.saved_plans(engine, other)["id"].tolist()
    with pytest.raises(ObservatoryError, match="no saved plan"):
        queries.saved_plan(engine, plan_id, other)
    with pytest.raises(ObservatoryError, match="no saved plan"):
        evaluate_saved_plan(engine, plan_id, other)

    stored = evaluate_saved_plan(engine, plan_id, own)
    fresh = evaluate_plan_cells(engine, params, plan.cells)
    pd.testing.assert_frame_equal(stored.table, fresh.table)
    with pytest.raises(ObservatoryError):
        delete_plan(engine, plan_id, other)
    delete_plan(engine, plan_id, own)
    assert plan_id not in queries.saved_plans(engine, None)["id"].tolist()


def test_nearest_landmark_is_the_nearest_place(demo):
    engine, _ = demo
    with engine.connect() as conn:
        places = pd.read_sql(
            text("SELECT name, ST_Y(geom) AS lat, ST_X(geom) AS lon FROM places"), conn
        )
    rng = np.random.default_rng(6)
    lats = places["lat"].mean() + rng.normal(0, 0.01, 15)
    lons = places["lon"].mean() + rng.normal(0, 0.01, 15)
    found = queries.nearest_landmarks(engine, tuple(lats), tuple(lons))
    for lat, lon, row in zip(lats, lons, found.itertuples(), strict=True):
        distances = [_metres(lat, lon, p.lat, p.lon) for p in places.itertuples()]
        assert row.metres == pytest.approx(min(distances), rel=0.01, abs=1.0)
        assert row.name in set(places["name"][np.isclose(distances, min(distances), atol=1.0)])


def test_plan_mistakes_are_actionable(demo):
    engine, truth = demo
    with pytest.raises(ObservatoryError, match="station or at least one ward"):
        PlanParameters(ward_codes=())
    with pytest.raises(ObservatoryError, match="patrol points"):
        PlanParameters(ward_codes=("X",), n_points=0)
    with pytest.raises(ObservatoryError, match="categories"):
        PlanParameters(ward_codes=("X",), categories=("witchcraft",))
    early = PlanParameters(
        ward_codes=_night_params(engine, truth).ward_codes, as_of=date(2020, 1, 1)
    )
    with pytest.raises(ObservatoryError, match="No placed incidents"):
        plan_shift(engine, early)


def _square(lat: float, lon: float, half_m: float) -> list[list[float]]:
    """Corners (lon, lat) of a square 2 x `half_m` wide around a place."""
    d_lat = half_m / 111_320.0
    d_lon = d_lat / math.cos(math.radians(lat))
    return [
        [lon - d_lon, lat - d_lat],
        [lon + d_lon, lat - d_lat],
        [lon + d_lon, lat + d_lat],
        [lon - d_lon, lat + d_lat],
    ]


def _drawn(corners) -> str:
    return json.dumps(polygon_from_vertices(corners))


def _union(engine, ward_codes) -> shapely.Geometry:
    outlines = queries.ward_outlines(engine, tuple(ward_codes))
    return shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in outlines["features"]])


def test_a_drawn_area_plans_inside_it_and_stays_with_the_saved_plan(demo):
    engine, truth = demo
    params = _night_params(engine, truth)
    top = plan_shift(engine, params).points.iloc[0]  # the busiest night hot spot
    corners = _square(top.lat, top.lon, 600)
    square = shapely.Polygon(corners)

    # No wards chosen: the plan takes the wards the drawing overlaps.
    area = drawn_station_area(engine, _drawn(corners))
    wards = _union(engine, area.ward_codes)
    assert wards.buffer(2e-4).covers(square)  # the demo's wards tile the town
    assert area_shape(area.area).symmetric_difference(square).area < 1e-3 * square.area
    drawn = replace(params, ward_codes=area.ward_codes, area=area.area, station=None)
    plan = plan_shift(engine, drawn)
    print(plan.points.drop(columns=["cells"]).to_string())
    assert len(plan.points) >= 1
    for point in plan.points.itertuples():
        assert square.contains(shapely.Point(point.lon, point.lat)), point.point
    assert _metres(plan.points.iloc[0].lat, plan.points.iloc[0].lon, top.lat, top.lon) < 300
    whole = plan_shift(engine, replace(drawn, area=None))
    assert 0 < plan.incidents < whole.incidents  # only what happened inside the drawing

    plan_id = save_plan(engine, "Night shift, drawn", drawn, plan.points, plan.schedule)
    saved = queries.saved_plan(engine, plan_id)
    kept = plan_parameters(saved["plan"])
    assert kept.area and area_shape(kept.area).equals_exact(area_shape(area.area), 1e-6)
    assert kept.ward_codes == area.ward_codes
    score = evaluate_saved_plan(engine, plan_id)
    fresh = evaluate_plan_cells(engine, drawn, plan.cells)
    pd.testing.assert_frame_equal(score.table, fresh.table)
    # The drawn area is a small part of the station: the area shares are of it alone.
    station = evaluate_plan_cells(engine, params, plan.cells)
    assert score.row("planner")["area_share"] > 3 * station.row("planner")["area_share"]
    delete_plan(engine, plan_id)


def test_a_drawn_area_is_cut_to_the_wards_it_may_cover(demo):
    engine, _ = demo
    stations = queries.station_areas(engine)
    own, other = stations.iloc[0]["ward_codes"], stations.iloc[1]["ward_codes"]
    own_shape, other_shape = _union(engine, own), _union(engine, other)
    border = own_shape.boundary.intersection(other_shape.boundary).representative_point()
    across = _square(border.y, border.x, 500)  # half in one station, half in the other

    everything = drawn_station_area(engine, _drawn(across))
    assert set(everything.ward_codes) & set(own) and set(everything.ward_codes) & set(other)
    # A commander's drawing is cut to their station's wards.
    cut = drawn_station_area(engine, _drawn(across), (), own)
    assert set(cut.ward_codes) <= set(own)
    kept = area_shape(cut.area)
    assert own_shape.buffer(2e-4).covers(kept)  # the outlines are simplified by 1e-4
    assert 0.2 < kept.area / shapely.Polygon(across).area < 0.8
    # ... and refused when wholly outside them.
    inside_other = other_shape.buffer(-0.004).representative_point()
    elsewhere = _square(inside_other.y, inside_other.x, 150)
    assert not own_shape.intersects(shapely.Polygon(elsewhere))
    with pytest.raises(ObservatoryError, match="outside your station's wards"):
        drawn_station_area(engine, _drawn(elsewhere), (), own)
    with pytest.raises(ObservatoryError, match="does not overlap the chosen wards"):
        drawn_station_area(engine, _drawn(elsewhere), own, None)
    with pytest.raises(ObservatoryError, match="outside every ward"):
        drawn_station_area(engine, _drawn(_square(-3.0, 39.0, 500)), (), None)


def test_a_drawn_area_without_incidents_is_refused_in_words(demo):
    engine, _ = demo
    with engine.connect() as conn:
        spot = conn.execute(
            text(
                "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM wards "
                "ORDER BY code LIMIT 1) w"
            )
        ).one()
    tiny = _drawn(_square(spot[0], spot[1], 10))
    with engine.connect() as conn:
        inside = conn.execute(
            text(
                "SELECT count(*) FROM incidents WHERE "
                "ST_Intersects(geom, ST_SetSRID(ST_GeomFromGeoJSON(:a), 4326))"
            ),
            {"a": tiny},
        ).scalar_one()
    assert inside == 0
    with pytest.raises(ObservatoryError, match="No placed incident lies inside the drawn area"):
        drawn_station_area(engine, tiny)
    with pytest.raises(ObservatoryError, match="not a polygon"):
        PlanParameters(ward_codes=("X",), area='{"type": "LineString", "coordinates": []}')
