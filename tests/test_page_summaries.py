"""The summaries pages open with (migration 0011) stay equal to what they summarise:
incidents per agency and ward (station areas, the about page) after every kind of
write to incidents, and the stored ward shapes after every write to wards."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import orjson
import pytest
from sqlalchemy import text

from dashboard.callbacks.patrol_area import NO_CELLS
from dashboard.fast_json import to_json_plotly
from dashboard.figures import patrol as patrol_figures
from dashboard.figures.map import geojson_bounds
from dashboard.payload import figure_json
from geodata import cache
from geodata.queries import patrol, sources, wards

SEED = 20260811
WARDS = ("S01", "S02", "S03", "S04")
# The counts as the pages computed them before 0011: straight from incidents.
_TRUTH = text(
    "SELECT agency_id, ward_code, count(*) AS n, min(occurred_from)::date AS first_day, "
    "max(occurred_from)::date AS last_day FROM incidents GROUP BY agency_id, ward_code "
    "ORDER BY agency_id, ward_code NULLS FIRST"
)
_STORED = text(
    "SELECT agency_id, ward_code, n, first_day, last_day FROM agency_ward_counts "
    "ORDER BY agency_id, ward_code NULLS FIRST"
)


def _square(x: float, y: float, size: float = 0.01) -> str:
    return f"ST_Multi(ST_MakeEnvelope({x}, {y}, {x + size}, {y + size}, 4326))"


@pytest.fixture
def stations(empty_db):
    """Four wards in a row and three police stations; returns the engine."""
    with empty_db.begin() as conn:
        for i, code in enumerate(WARDS):
            conn.execute(
                text(
                    f"INSERT INTO wards (code, name, county, geom) "
                    f"VALUES (:c, :n, 'Test', {_square(36.8 + i * 0.01, -1.3)})"
                ),
                {"c": code, "n": f"Ward {code}"},
            )
        conn.execute(
            text(
                "INSERT INTO agencies (id, name, agency_type) VALUES "
                "(1, 'Alpha Police', 'police_station'), (2, 'Beta Police', 'police_station'), "
                "(3, 'Gamma Police', 'police_station')"
            )
        )
    return empty_db


def _insert(conn, rows: list[tuple]) -> None:
    conn.execute(
        text(
            "INSERT INTO incidents (agency_id, record_ref, category, occurred_from, time_known, "
            "ward_code, geocode_method, row_hash) "
            "SELECT a, r, 'theft', t, true, w, 'gps', md5(r) "
            "FROM unnest(CAST(:a AS int[]), CAST(:r AS text[]), CAST(:t AS timestamp[]), "
            "CAST(:w AS text[])) AS x(a, r, t, w)"
        ),
        {
            "a": [r[0] for r in rows],
            "r": [r[1] for r in rows],
            "t": [r[2] for r in rows],
            "w": [r[3] for r in rows],
        },
    )


def _generated(n: int, start_ref: int = 0) -> list[tuple]:
    rng = np.random.default_rng(SEED + start_ref)
    base = datetime(2024, 1, 1)
    choices = [*WARDS, None]
    return [
        (
            int(rng.integers(1, 4)),
            f"R{start_ref + i}",
            base + timedelta(hours=int(rng.integers(0, 24 * 365))),
            choices[int(rng.integers(0, len(choices)))],
        )
        for i in range(n)
    ]


def _assert_counts_match(engine) -> list:
    with engine.connect() as conn:
        truth, stored = conn.execute(_TRUTH).all(), conn.execute(_STORED).all()
    assert stored == truth
    return stored


def test_counts_follow_inserts_updates_deletes_and_truncate(stations):
    engine = stations
    with engine.begin() as conn:
        _insert(conn, _generated(400))
    assert len(_assert_counts_match(engine)) == 15  # 3 agencies x (4 wards + no ward)

    with engine.begin() as conn:  # a second load adds to the groups already there
        _insert(conn, _generated(100, start_ref=400))
    _assert_counts_match(engine)

    with engine.begin() as conn:  # the earliest and latest incidents move ward
        conn.execute(
            text(
                "UPDATE incidents SET ward_code = 'S04' WHERE id IN ("
                "(SELECT id FROM incidents ORDER BY occurred_from, id LIMIT 3) UNION "
                "(SELECT id FROM incidents ORDER BY occurred_from DESC, id LIMIT 3))"
            )
        )
    _assert_counts_match(engine)

    with engine.begin() as conn:  # dates move, agencies change, wards are lost
        conn.execute(
            text("UPDATE incidents SET occurred_from = occurred_from + interval '40 days' "
                 "WHERE id % 7 = 0")
        )  # fmt: skip
        conn.execute(text("UPDATE incidents SET agency_id = 3 WHERE agency_id = 2 AND id % 2 = 0"))
        conn.execute(text("UPDATE incidents SET ward_code = NULL WHERE ward_code = 'S02'"))
    _assert_counts_match(engine)

    with engine.begin() as conn:  # an update that changes nothing counted changes nothing
        conn.execute(text("UPDATE incidents SET status = 'reported'"))
        # the upsert the loader runs: existing rows take the update path
        conn.execute(
            text(
                "INSERT INTO incidents (agency_id, record_ref, category, occurred_from, "
                "time_known, ward_code, geocode_method, row_hash) "
                "SELECT agency_id, record_ref, category, occurred_from - interval '400 days', "
                "time_known, 'S01', geocode_method, 'changed' FROM incidents WHERE id % 5 = 0 "
                "ON CONFLICT (agency_id, record_ref) DO UPDATE SET "
                "occurred_from = EXCLUDED.occurred_from, ward_code = EXCLUDED.ward_code"
            )
        )
    _assert_counts_match(engine)

    with engine.begin() as conn:  # deleting a whole group removes its row
        conn.execute(text("DELETE FROM incidents WHERE ward_code = 'S03' OR id % 3 = 0"))
    stored = _assert_counts_match(engine)
    assert not [row for row in stored if row.ward_code == "S03"]

    with engine.begin() as conn:
        conn.execute(text("TRUNCATE incidents CASCADE"))
    assert _assert_counts_match(engine) == []


def test_pages_read_the_same_answers_as_from_incidents(stations):
    engine = stations
    with engine.begin() as conn:
        # Alpha records most in S01 and S02, Beta in S03 (its one S01 record is
        # under the 1 % share that makes a ward part of an area); Gamma's has no ward.
        _insert(conn, [(1, f"A{i}", datetime(2024, 3, 1) + timedelta(days=i),
                        "S01" if i % 2 else "S02") for i in range(200)])  # fmt: skip
        _insert(conn, [(2, f"B{i}", datetime(2024, 5, 1), "S03") for i in range(150)])
        _insert(conn, [(2, "B-stray", datetime(2024, 1, 2), "S01")])
        _insert(conn, [(3, "G0", datetime(2024, 7, 9), None)])
    cache.clear()
    areas = patrol.station_areas(engine).set_index("name")
    assert areas.loc["Alpha Police", "ward_codes"] == ("S01", "S02")
    assert areas.loc["Alpha Police", "incidents"] == 200
    assert areas.loc["Beta Police", "ward_codes"] == ("S03",)  # its stray S01 record is not
    assert areas.loc["Beta Police", "incidents"] == 151
    assert "Gamma Police" not in areas.index  # no incident with a ward

    summary = sources.agency_summary(engine).set_index("agency")
    assert summary.loc["Alpha Police", "incidents"] == 200
    assert str(summary.loc["Alpha Police", "first"]) == "2024-03-01"
    assert str(summary.loc["Alpha Police", "last"]) == "2024-09-16"
    assert str(summary.loc["Beta Police", "first"]) == "2024-01-02"
    assert summary.loc["Gamma Police", "incidents"] == 1


def _walked_bounds(collection: dict) -> tuple:
    return geojson_bounds({k: v for k, v in collection.items() if k != "bbox"})


def test_ward_shapes_are_stored_with_their_bounds_and_follow_boundary_changes(stations):
    engine = stations
    cache.clear()
    lines, outlines = wards.ward_lines_geojson(engine), wards.ward_outlines_geojson(engine)
    assert tuple(lines["bbox"]) == pytest.approx(_walked_bounds(lines), abs=1e-9)
    assert tuple(outlines["bbox"]) == pytest.approx(_walked_bounds(outlines), abs=1e-9)
    assert lines["bbox"] == pytest.approx([36.8, -1.3, 36.84, -1.29])
    assert [f["id"] for f in outlines["features"]] == list(WARDS)
    # Another tolerance is computed live, alike.
    coarse = wards.ward_outlines_geojson(engine, tolerance=0.002)
    assert [f["id"] for f in coarse["features"]] == list(WARDS)

    with engine.begin() as conn:  # a boundary load moves a ward east
        conn.execute(text(f"UPDATE wards SET geom = {_square(37.0, -1.3)} WHERE code = 'S04'"))
    cache.clear()
    moved = wards.ward_lines_geojson(engine)
    assert moved["bbox"] == pytest.approx([36.8, -1.3, 37.01, -1.29])
    assert tuple(moved["bbox"]) == pytest.approx(_walked_bounds(moved), abs=1e-9)

    serialised = wards.ward_lines_serialised(engine)  # the same lines, never parsed
    assert orjson.loads(orjson.dumps(serialised.geojson)) == moved
    assert (serialised.features, serialised.bbox) == (1, tuple(moved["bbox"]))
    polygons = wards.ward_outlines_serialised(engine)
    assert orjson.loads(orjson.dumps(polygons.geojson)) == wards.ward_outlines_geojson(engine)
    assert polygons.features == len(WARDS)

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM wards"))
    cache.clear()
    assert wards.ward_lines_geojson(engine) == {"type": "FeatureCollection", "features": []}
    assert wards.ward_outlines_geojson(engine)["features"] == []
    empty = wards.ward_lines_serialised(engine)
    assert (empty.features, empty.bbox) == (0, None)


def test_the_drawing_map_passes_the_stored_lines_through_unchanged(stations):
    engine = stations
    cache.clear()
    lines, serialised = wards.ward_lines_geojson(engine), wards.ward_lines_serialised(engine)
    vertices = [[36.801, -1.299], [36.805, -1.299], [36.805, -1.295]]
    fast = patrol_figures.draw_map_passing_outlines(
        NO_CELLS, serialised.geojson, serialised.features, serialised.bbox, vertices
    )
    slow = figure_json(patrol_figures.draw_map(NO_CELLS, lines, vertices))
    # The browser receives the same figure either way: outlines, view and drawing.
    assert orjson.loads(to_json_plotly(fast)) == orjson.loads(to_json_plotly(slow))
    assert fast["layout"]["map"]["layers"][0]["source"] is serialised.geojson
    assert fast["layout"]["map"]["center"]["lon"] == pytest.approx(36.82)


def test_about_page_lists_every_agency_with_its_name_as_written(dash_duo, stations):
    from dashboard import ids
    from dashboard.app import create_app

    engine = stations
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE agencies SET name = 'Kilimani *Police* | Post [HQ] <b>' WHERE id = 2")
        )
        _insert(conn, [(2, f"K{i}", datetime(2024, 2, 1) + timedelta(days=i), "S02")
                       for i in range(1234)])  # fmt: skip
    cache.clear()
    dash_duo.start_server(create_app())
    dash_duo.wait_for_page(f"{dash_duo.server_url}/about", timeout=20)
    dash_duo.wait_for_element(f"#{ids.ABOUT_AGENCIES} table", timeout=20)
    rows = dash_duo.driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{ids.ABOUT_AGENCIES} tbody tr'))"
        ".map(function (tr) { return Array.from(tr.cells).map(function (td) {"
        "  return td.textContent; }); });"
    )
    assert rows == [  # fmt: skip
        ["Alpha Police", "police_station", "0", "–", "–"],
        ["Gamma Police", "police_station", "0", "–", "–"],
        [
            "Kilimani *Police* | Post [HQ] <b>",
            "police_station",
            "1,234",
            "2024-02-01",
            "2027-06-18",
        ],
    ]
    align = dash_duo.driver.execute_script(
        f"return getComputedStyle(document.querySelector('#{ids.ABOUT_AGENCIES} td:nth-child(3)'))"
        ".textAlign;"
    )
    assert align == "right"
    assert dash_duo.get_logs() == []
