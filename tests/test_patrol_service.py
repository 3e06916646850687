"""The patrol planner on the seeded demo, loaded through the real ETL: the night
shift of the busiest police station area puts its points on the planted night hot
spots, covers next month's night crime at least as well as last month's top cells,
and saved plans keep their parameters and stay within a commander's wards."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from geodata import cache
from geodata.errors import ObservatoryError
from geodata.patrol_plans import PlanParameters, delete_plan, save_plan
from geodata.patrol_service import evaluate_plan_cells, evaluate_saved_plan, plan_shift
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
