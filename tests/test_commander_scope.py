"""A station commander sees counts from their station's wards only (issue #7): every
data callback of the map, hot-spot, clock and trends pages, posted through Flask's
test client as the browser would, answers a commander with their wards' counts (the
ward filter intersected with their scope) and the team with everything. Counts are
compared with the database, not with the app's own reads."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy import text

from dashboard import filters, ids
from dashboard.app import create_app
from geodata import users
from geodata.boundaries import load_ward_frame
from geodata.h3grid import to_hex
from tests.public_inspection import post_callback
from tests.test_users_auth import PASSWORD, _login

START, END = "2024-01-01", "2024-12-31"
N_ROWS = 360
SEED = 7077
STATION = ("S1",)  # the commander's station wards; S2 and S3 are another station's


def _wards() -> gpd.GeoDataFrame:
    """Three square wards side by side near Nairobi."""
    return gpd.GeoDataFrame(
        {"code": ["S1", "S2", "S3"], "name": ["Kati", "Mashariki", "Mbali"], "county": ["T"] * 3},
        geometry=[box(36.80 + 0.05 * i, -1.35, 36.85 + 0.05 * i, -1.30) for i in range(3)],
        crs="EPSG:4326",
    )


def _rows() -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    days = rng.integers(0, 366, N_ROWS)
    return pd.DataFrame(
        {
            "agency": "Scope Police Station",
            "agency_type": "police",
            "record_ref": [f"OB/{i:04d}/24" for i in range(N_ROWS)],
            "category": rng.choice(["theft", "assault", "robbery"], N_ROWS),
            "occurred_on": [(date(2024, 1, 1) + timedelta(days=int(d))).isoformat() for d in days],
            "occurred_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (N_ROWS, 2))],
            "latitude": rng.uniform(-1.349, -1.301, N_ROWS).round(6),
            "longitude": rng.uniform(36.801, 36.949, N_ROWS).round(6),
        }
    )


@pytest.fixture
def db(empty_db, tmp_path):
    from etl.ingest import ingest_files

    load_ward_frame(empty_db, _wards(), attribution="Test squares (CC0)")
    path = tmp_path / "scope_police.csv"
    _rows().to_csv(path, index=False)
    (report,) = ingest_files([path], engine=empty_db)
    assert not report["failed"] and report["inserted"] == N_ROWS, report
    users.add_user(empty_db, "tina", PASSWORD, "team")
    users.add_user(empty_db, "cmdr", PASSWORD, "commander", list(STATION))
    return empty_db


@pytest.fixture
def app(db):
    app = create_app()
    app.server.test_client().get("/login")  # Dash fills callback_map on a first request
    return app


def _client(app, username: str):
    client = app.server.test_client()
    assert _login(client, username).status_code == 302
    return client


def _db_counts(engine, wards: tuple[str, ...] | None, key: str = "ward_code") -> dict:
    """Incidents per `key` straight from the table; wards None: every ward."""
    sql = f"SELECT {key} AS k, count(*) AS n FROM incidents WHERE {key} IS NOT NULL"
    if wards is not None:
        sql += " AND ward_code = ANY(:wards)"
    with engine.connect() as conn:
        rows = conn.execute(text(sql + f" GROUP BY {key}"), {"wards": list(wards or ())})
        return {r.k: r.n for r in rows}


def _key(app, output: str) -> str:
    (key,) = [k for k in app.callback_map if k == output or f"..{output}.." in k]
    return key


def _post(client, app, output: str, values: dict) -> dict:
    key = _key(app, output)
    response = post_callback(client, app.callback_map[key], key, values)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def _numbers(value) -> list:
    """A plotly array as sent: a list, or a typed array ({dtype, bdata})."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def _find(tree, component_id: str):
    """The props of the component with this id anywhere in a response."""
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("id") == component_id:
            return props
        items = tree.values()
    elif isinstance(tree, list):
        items = tree
    else:
        return None
    for item in items:
        found = _find(item, component_id)
        if found is not None:
            return found
    return None


def _view(wards=(), focus=None) -> dict:
    return {
        (ids.FILTER_DATES, "start_date"): START,
        (ids.FILTER_DATES, "end_date"): END,
        (ids.FILTER_WARDS, "value"): list(wards),
        (ids.FILTER_BAND, "value"): "",
        (ids.FILTER_FOCUS, "data"): focus,
    }


def _map_counts(client, app) -> tuple[dict, str]:
    values = {
        (ids.MAP_DATES, "start_date"): START,
        (ids.MAP_DATES, "end_date"): END,
        (ids.MAP_CATEGORIES, "value"): [],
    }
    trace = _post(client, app, f"{ids.MAP_GRAPH}.figure", values)[ids.MAP_GRAPH]["figure"]
    trace = trace["data"][0]
    cells = dict(zip(trace["locations"], _numbers(trace["z"]), strict=True))
    headline = _post(client, app, f"{ids.MAP_HEADLINES}.children", values)
    return cells, _find(headline, ids.HEADLINE_INCIDENTS)["children"]


def _hotspot_counts(client, app, res: str, **view) -> dict:
    values = {**_view(**view), (ids.HOT_RES, "value"): res, (ids.HOT_MEASURE, "value"): "count"}
    figure = _post(client, app, f"{ids.HOT_MAP}.figure", values)[ids.HOT_MAP]["figure"]
    trace = figure["data"][0]
    return dict(zip(trace["locations"], _numbers(trace["z"]), strict=True))


def _clock_timed(client, app, **view) -> int:
    response = _post(client, app, f"{ids.CLOCK_RADIAL}.figure", _view(**view))
    return int(_find(response, ids.CLOCK_SUMMARY + "-timed")["children"].replace(",", ""))


def _hexes(counts: dict) -> dict:
    return {to_hex(int(cell)): n for cell, n in counts.items()}


def test_the_map_counts_only_a_commanders_station_wards(app, db):
    station = _db_counts(db, STATION)
    assert 0 < sum(station.values()) < N_ROWS / 2  # the other wards hold most incidents
    cells, incidents = _map_counts(_client(app, "cmdr"), app)
    assert cells == _hexes(_db_counts(db, STATION, "h3_8"))
    assert incidents == f"{sum(station.values()):,}"

    cells, incidents = _map_counts(_client(app, "tina"), app)
    assert cells == _hexes(_db_counts(db, None, "h3_8"))
    assert incidents == f"{N_ROWS:,}"


def test_a_recoloured_map_keeps_to_the_station(app, db):
    # A change of category recolours the hexagons already drawn (a Patch): the drawn
    # record comes back from the browser, but the wards never do.
    client = _client(app, "cmdr")
    values = {
        (ids.MAP_DATES, "start_date"): START,
        (ids.MAP_DATES, "end_date"): END,
        (ids.MAP_CATEGORIES, "value"): [],
    }
    first = _post(client, app, f"{ids.MAP_GRAPH}.figure", values)
    drawn = first[ids.MAP_DRAWN]["data"]
    assert drawn["wards"] == list(STATION)
    values[(ids.MAP_CATEGORIES, "value")] = ["theft"]
    values[(ids.MAP_DRAWN, "data")] = {**drawn, "wards": []}  # forged: every ward
    redrawn = _post(client, app, f"{ids.MAP_GRAPH}.figure", values)[ids.MAP_GRAPH]["figure"]
    assert "data" in redrawn and _find(redrawn, "operations") is None  # not a patch
    with db.connect() as conn:
        theft = conn.execute(
            text("SELECT count(*) FROM incidents WHERE category = 'theft' AND ward_code = 'S1'")
        ).scalar_one()
    assert sum(_numbers(redrawn["data"][0]["z"])) == theft

    values[(ids.MAP_DRAWN, "data")] = drawn
    patch = _post(client, app, f"{ids.MAP_GRAPH}.figure", values)[ids.MAP_GRAPH]["figure"]
    (z_update,) = [op for op in patch["operations"] if op["location"][-1] == "z"]
    assert sum(z for z in _numbers(z_update["params"]["value"]) if z is not None) == theft


def test_hot_spot_map_intersects_the_ward_filter_with_the_station(app, db):
    commander, team = _client(app, "cmdr"), _client(app, "tina")
    by_ward = _db_counts(db, None)
    assert set(by_ward) == {"S1", "S2", "S3"}
    station = {w: by_ward[w] for w in STATION}

    assert _hotspot_counts(commander, app, "wards") == station
    assert _hotspot_counts(commander, app, "wards", wards=["S1", "S3"]) == station
    assert _hotspot_counts(commander, app, "wards", wards=["S3"]) == {}  # not theirs
    assert _hotspot_counts(commander, app, "8") == _hexes(_db_counts(db, STATION, "h3_8"))
    # A focus on another station's ward shows nothing rather than that ward.
    assert _hotspot_counts(commander, app, "wards", focus="ward:S2") == station  # map unfocused
    assert _clock_timed(commander, app, focus="ward:S2") == 0

    assert _hotspot_counts(team, app, "wards") == by_ward
    assert _hotspot_counts(team, app, "wards", wards=["S3"]) == {"S3": by_ward["S3"]}


def test_the_clock_counts_only_a_commanders_station_wards(app, db):
    commander, team = _client(app, "cmdr"), _client(app, "tina")
    by_ward = _db_counts(db, None)
    station = sum(by_ward[w] for w in STATION)
    assert _clock_timed(commander, app) == station
    assert _clock_timed(commander, app, wards=["S2", "S3"]) == 0
    assert _clock_timed(commander, app, wards=["S1", "S2"]) == station
    assert _clock_timed(commander, app, focus="ward:S1") == by_ward["S1"]
    assert _clock_timed(team, app) == N_ROWS
    assert _clock_timed(team, app, wards=["S2"]) == by_ward["S2"]


def test_a_team_page_callback_posted_by_a_commander_is_refused(app, db):
    # The trends page is the team's: posting its callback directly, with no page path
    # in the request, must not answer a commander at all (the guard checks the page
    # owning each output), while the team gets every ward.
    key = _key(app, f"{ids.TREND_CATEGORY}.figure")
    refused = post_callback(_client(app, "cmdr"), app.callback_map[key], key, _view())
    assert refused.status_code == 403

    response = _post(_client(app, "tina"), app, f"{ids.TREND_CATEGORY}.figure", _view())
    traces = response[ids.TREND_CATEGORY]["figure"]["data"]
    assert round(_trend_total(traces)) == N_ROWS


def _trend_total(traces: list[dict]) -> float:
    """Incidents on a trend figure: whole months on the lines, partial months from
    their markers' hover (count, not the pace they are drawn at)."""
    total = 0.0
    for trace in traces:
        if trace.get("customdata"):
            total += sum(row[1] for row in trace["customdata"])
        elif "dash" not in (trace.get("line") or {}):
            total += sum(v for v in _numbers(trace["y"]) if v is not None)
    return total


def test_a_commanders_ward_choices_are_their_stations(app, db):
    body = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/clock"},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }

    def choices(username: str) -> list[str]:
        response = _client(app, username).post("/_dash-update-component", json=body)
        assert response.status_code == 200
        dropdown = _find(json.loads(response.data)["response"], ids.FILTER_WARDS)
        return sorted(o["value"] for o in dropdown["options"])

    assert choices("cmdr") == list(STATION)
    assert choices("tina") == ["S1", "S2", "S3"]


def test_within_scope_keeps_only_the_scope():
    view = filters.ViewFilters(None, None, wards=("A", "C"), focus="ward:A")
    assert filters.within_scope(view, None) == view  # the team: unchanged
    assert filters.within_scope(view, ("A", "B")).wards == ("A",)
    assert filters.within_scope(view, ("A", "B")).focus == "ward:A"
    assert filters.within_scope(view, ("B",)).wards == (filters.NO_WARD,)
    assert filters.within_scope(view, ("B",)).query_args()["wards"] == (filters.NO_WARD,)
    open_view = filters.ViewFilters(None, None)
    assert filters.within_scope(open_view, ("B", "A")).wards == ("A", "B")
    assert filters.within_scope(open_view, ()).wards == (filters.NO_WARD,)  # no station
    assert filters.within_scope(filters.MapFilters(None, None), ("B",)).wards == ("B",)
