"""No viewer meets a cold cache (issue #4), and big responses go out compressed
without mixing viewers (issue #8).

The warmer runs in the app built by `create_app`, against real PostGIS with a small
generated load; after a second load (a new data version) the default views are
recomputed in the background, and the callbacks a fresh page load posts, as the team
and as a station commander, then find every read in the cache. Compressed responses
decompress to the uncompressed one, and the compressed-bytes cache never serves a
commander the team's map."""

from __future__ import annotations

import gzip
import json
import time
from datetime import date, timedelta

import brotli
import numpy as np
import pandas as pd
import pytest
from backports import zstd
from sqlalchemy import text

from dashboard import compression, filters, ids, warm
from dashboard.app import create_app
from geodata import cache
from geodata.queries import maps
from tests.public_inspection import post_callback
from tests.test_users_auth import _login

SEED = 4048
FIRST_DAY = date(2023, 1, 1)
DAYS = 540  # 18 months: emerging hot spots and the 12-month default both have data
SQUARES = {  # ward code -> lower-left corner of a 0.05 degree square near Nairobi
    "W1": (36.80, -1.35),
    "W2": (36.85, -1.35),
}
WAIT_S = 180.0


def _rows(n: int, first_ref: int) -> pd.DataFrame:
    rng = np.random.default_rng(SEED + first_ref)
    days = rng.integers(0, DAYS, n)
    days[0] = DAYS - 1
    return pd.DataFrame(
        {
            "agency": "Warm Police Station",
            "agency_type": "police",
            "record_ref": [f"OB/{first_ref + i:05d}" for i in range(n)],
            "category": rng.choice(["theft", "assault", "robbery"], n),
            "occurred_on": [(FIRST_DAY + timedelta(days=int(d))).isoformat() for d in days],
            "occurred_time": [f"{h:02d}:{m:02d}" for h, m in rng.integers(0, 24, (n, 2))],
            "latitude": rng.uniform(-1.349, -1.301, n).round(6),
            "longitude": rng.uniform(36.801, 36.899, n).round(6),
        }
    )


def _load(engine, tmp_path, n: int, first_ref: int) -> None:
    from etl.ingest import ingest_files

    path = tmp_path / f"warm_{first_ref}.csv"
    _rows(n, first_ref).to_csv(path, index=False)
    (report,) = ingest_files([path], engine=engine)
    assert not report["failed"] and report["inserted"] == n, report


@pytest.fixture
def db(role_users, tmp_path):
    """role_users' wards made two squares side by side (commander `cmdr` has W1),
    with 300 incidents over both."""
    with role_users.begin() as conn:
        for code, (x, y) in SQUARES.items():
            conn.execute(
                text(
                    "UPDATE wards SET geom = ST_Multi(ST_MakeEnvelope(:x, :y, :x + 0.05, "
                    ":y + 0.05, 4326)) WHERE code = :code"
                ),
                {"code": code, "x": x, "y": y},
            )
    _load(role_users, tmp_path, 300, 0)
    return role_users


def _client(app, username: str):
    client = app.server.test_client()
    assert _login(client, username).status_code == 302
    return client


def _post(client, app, output: str, values: dict, **headers):
    (key,) = [k for k in app.callback_map if k == output or f"..{output}.." in k]
    client.environ_base.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    response = post_callback(client, app.callback_map[key], key, values)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def _defaults(engine) -> dict:
    """The values a fresh page load posts (the layouts' own defaults)."""
    start, end = filters.default_range(*maps.date_bounds(engine))
    return {
        (ids.MAP_DATES, "start_date"): start.isoformat(),
        (ids.MAP_DATES, "end_date"): end.isoformat(),
        (ids.MAP_CATEGORIES, "value"): [],
        (ids.FILTER_DATES, "start_date"): start.isoformat(),
        (ids.FILTER_DATES, "end_date"): end.isoformat(),
        (ids.FILTER_CATEGORIES, "value"): [],
        (ids.FILTER_AGENCIES, "value"): [],
        (ids.FILTER_WARDS, "value"): [],
        (ids.FILTER_BAND, "value"): "",
        (ids.HOT_RES, "value"): "8",
        (ids.HOT_MEASURE, "value"): "count",
        (ids.ACT_REFRESH, "data"): 0,
        (ids.ACT_VERTICES, "data"): [],
        (ids.ACT_DRAW_MODE, "value"): "point",
        (ids.JUS_CATEGORIES, "value"): [],
        (ids.JUS_AGENCIES, "value"): [],
        (ids.JUS_WARDS, "value"): [],
        (ids.JUS_BY, "value"): "category",
        (ids.JUS_PERIOD, "value"): 6,
    }


def _wait_for_version(warmer: warm.CacheWarmer, engine) -> None:
    deadline = time.monotonic() + WAIT_S
    while warmer.warmed_version != cache.data_version(engine):
        assert time.monotonic() < deadline, "the warmer did not warm the new data version"
        time.sleep(0.1)


def _headline(payload: dict) -> str:
    """The incidents headline in a callback response's JSON."""

    def find(tree):
        if isinstance(tree, dict):
            if tree.get("props", {}).get("id") == ids.HEADLINE_INCIDENTS:
                return tree["props"]["children"]
            tree = list(tree.values())
        if isinstance(tree, list):
            for item in tree:
                if (found := find(item)) is not None:
                    return found
        return None

    return find(payload["response"])


def _count(engine, wards=None) -> int:
    start, end = filters.default_range(*maps.date_bounds(engine))
    sql = "SELECT count(*) FROM incidents WHERE occurred_from >= :start AND occurred_from < :stop"
    if wards:
        sql += " AND ward_code = ANY(:wards)"
    with engine.connect() as conn:
        params = {"start": start, "stop": end + timedelta(days=1), "wards": list(wards or ())}
        return conn.execute(text(sql), params).scalar_one()


@pytest.fixture
def warm_app(db, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_WARM_CACHE", "1")
    app = create_app()
    warmer = warm.warmer_of(app.server)
    assert warmer is not None
    warmer.poll_seconds = 0.2
    yield app, warmer
    warmer.stop()


def test_the_default_views_are_warm_after_a_load(warm_app, db, tmp_path):
    app, warmer = warm_app
    team = _client(app, "tina")  # the first request starts the warmer
    _wait_for_version(warmer, db)
    assert warmer.runs == 1

    _load(db, tmp_path, 120, 1000)  # an ingest bumps the data version
    _wait_for_version(warmer, db)
    assert warmer.runs == 2
    national = {name for name in warmer.last_run if "station" not in name}
    assert {"map", "hot-spot map", "clock", "trends", "actions map", "justice chain"} <= national
    assert {f"meeting item {n}" for n in range(1, 5)} <= national
    assert "map (station of 1 wards)" in warmer.last_run

    before = cache.snapshot()
    values = _defaults(db)
    headline = _post(team, app, f"{ids.MAP_HEADLINES}.children", values)
    for output in (
        f"{ids.MAP_GRAPH}.figure",
        f"{ids.HOT_MAP}.figure",
        f"{ids.CLOCK_RADIAL}.figure",
        f"{ids.TREND_CATEGORY}.figure",
        f"{ids.ACT_MAP}.figure",
        f"{ids.JUS_STATUS}.children",
        f"{ids.JUS_CHANGE}.figure",
    ):
        _post(team, app, output, values)
    commander = _post(_client(app, "cmdr"), app, f"{ids.MAP_HEADLINES}.children", values)
    _post(_client(app, "cmdr"), app, f"{ids.MAP_GRAPH}.figure", values)
    _post(_client(app, "cmdr"), app, f"{ids.HOT_MAP}.figure", values)

    # Every read those callbacks made was already cached for the new version...
    assert cache.snapshot() - before == set()
    # ...and shows the second load: nothing stale was served.
    assert _headline(headline.get_json()) == f"{_count(db):,}"
    assert _headline(commander.get_json()) == f"{_count(db, ['W1']):,}"
    assert 0 < _count(db, ["W1"]) < _count(db)


def test_a_failing_view_is_logged_and_the_others_still_warm(caplog):
    def broken():
        raise RuntimeError("secret detail")

    done = warm.run_steps([("broken", broken), ("fine", lambda: 1)])
    assert list(done) == ["fine"]
    assert "broken failed (RuntimeError)" in caplog.text
    assert "secret detail" not in caplog.text


def _decoded(response) -> bytes:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    decoders = {"gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}
    return decoders[encoding](body) if encoding else body


@pytest.fixture
def app(db):
    app = create_app()
    # Every response kept, however small: the test data makes small maps.
    app.server.extensions[compression.EXTENSION].cache.min_bytes = 0
    return app


def test_compressed_responses_decompress_to_the_uncompressed_one(app, db):
    team = _client(app, "tina")
    values = _defaults(db)
    output = f"{ids.MAP_GRAPH}.figure"
    plain = _post(team, app, output, values, accept_encoding="identity")
    assert "Content-Encoding" not in plain.headers
    assert json.loads(plain.get_data())["response"][ids.MAP_GRAPH]["figure"]["data"]
    for encoding in ("gzip", "br", "zstd", "gzip, deflate, br, zstd"):
        for _repeat in range(2):  # compressed, then from the compressed-bytes cache
            response = _post(team, app, output, values, accept_encoding=encoding)
            assert response.headers["Content-Encoding"] in encoding
            assert len(response.get_data()) < len(plain.get_data()) / 2
            assert _decoded(response) == plain.get_data()


def test_a_commander_never_gets_the_teams_cached_response(app, db):
    cached = app.server.extensions[compression.EXTENSION].cache
    values = _defaults(db)
    output = f"{ids.MAP_HEADLINES}.children"
    team = _client(app, "tina")
    commander = _client(app, "cmdr")
    first = _post(team, app, output, values, accept_encoding="gzip")
    assert len(cached) == 1
    # The very same request body, from the commander: their own wards' numbers.
    mine = _post(commander, app, output, values, accept_encoding="gzip")
    assert _headline(json.loads(_decoded(mine))) == f"{_count(db, ['W1']):,}"
    assert _headline(json.loads(_decoded(first))) == f"{_count(db):,}"
    again = _post(team, app, output, values, accept_encoding="gzip")
    assert _headline(json.loads(_decoded(again))) == f"{_count(db):,}"
    assert again.get_data() == first.get_data()  # the team's entry, for the team
    assert len(cached) == 2  # one entry per distinct body


def test_responses_with_components_serialise_as_plotly_does():
    import plotly.graph_objects as go
    from dash import html

    from dashboard import fast_json

    rng = np.random.default_rng(SEED)
    figure = go.Figure(go.Bar(x=[f"c{i}" for i in range(500)], y=rng.integers(0, 99, 500)))
    response = {
        "multi": True,
        "response": {
            "graph": {"figure": figure.to_plotly_json()},
            "note": {"children": [html.P(["Ward </script> lines", html.B("CC0")]), None]},
            "when": {"data": [date(2024, 5, 1), float("nan")]},
        },
    }
    text = fast_json.to_json_plotly(response)
    assert text == fast_json._plotly_to_json(response)
    assert "</script>" not in text and "\\u003c\\u002fscript\\u003e" in text
    # What orjson cannot take (a pandas Timestamp) still gets plotly's own answer.
    odd = {"data": [pd.Timestamp("2024-05-01"), html.Span("x")]}
    assert fast_json.to_json_plotly(odd) == fast_json._plotly_to_json(odd)
