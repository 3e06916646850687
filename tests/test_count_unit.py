"""OBSERVATORY_COUNT_UNIT: the police and a health facility both recorded one assault;
through the real ETL the two records are linked, and the hot-spot cell counts it
once (events, the default) or twice (records)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy import text

from geodata import aggregates
from geodata.boundaries import load_ward_frame
from geodata.errors import ObservatoryError

SHARED = (-1.3201, 36.8201)  # the assault both agencies recorded
POLICE_ONLY = (-1.3402, 36.8803)  # a theft only the police recorded, far away


def _wards() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["U1", "U2"], "name": ["West Unit", "East Unit"], "county": ["Test"] * 2},
        geometry=[box(36.80, -1.35, 36.85, -1.30), box(36.85, -1.35, 36.90, -1.30)],
        crs="EPSG:4326",
    )


def _files(folder) -> list:
    police = pd.DataFrame(
        {
            "agency": "Unit Police Station",
            "agency_type": "police_station",
            "record_ref": ["OB/1/2024", "OB/2/2024"],
            "category": ["assault", "theft"],
            "occurred_on": ["2024-03-01", "2024-03-04"],
            "occurred_time": ["21:10", "09:00"],
            "latitude": [SHARED[0], POLICE_ONLY[0]],
            "longitude": [SHARED[1], POLICE_ONLY[1]],
            "victim_sex": ["F", "M"],
            "victim_age": ["34", "51"],
        }
    )
    health = pd.DataFrame(
        {
            "agency": "Unit Health Centre",
            "agency_type": "health_facility",
            "record_ref": ["H-0001"],
            "category": ["assault"],
            "occurred_on": ["2024-03-01"],
            "occurred_time": ["22:40"],  # seen an hour and a half later, 30 m away
            "latitude": [SHARED[0] + 0.0002],
            "longitude": [SHARED[1] + 0.0002],
            "victim_sex": ["F"],
            "victim_age": ["34"],
        }
    )
    paths = [folder / "unit_police.csv", folder / "unit_health.csv"]
    police.to_csv(paths[0], index=False)
    health.to_csv(paths[1], index=False)
    return paths


def _cell_counts(engine) -> dict[int, float]:
    """What the hot-spot analyses sum: the aggregate table's count per H3 res-9 cell."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT h3_9, sum(n) FROM incident_cells_daily GROUP BY h3_9 ORDER BY 1")
        ).all()
    return {int(cell): float(n) for cell, n in rows}


def _cell_of(engine, agency: str, ref: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT i.h3_9 FROM incidents i JOIN agencies a ON a.id = i.agency_id "
                    "WHERE a.name = :a AND i.record_ref = :r"
                ),
                {"a": agency, "r": ref},
            ).scalar_one()
        )


def _refresh(engine) -> None:
    with engine.begin() as conn:
        aggregates.refresh_aggregates(conn)


def test_linked_duplicate_counts_once_as_an_event_twice_as_records(empty_db, tmp_path, monkeypatch):
    from etl.ingest import ingest_files

    monkeypatch.delenv("OBSERVATORY_COUNT_UNIT", raising=False)
    assert aggregates.count_unit() == "events"  # the default
    load_ward_frame(empty_db, _wards(), attribution="Test wards (CC0)")
    reports = ingest_files(_files(tmp_path), progress=False, engine=empty_db)
    assert [r["inserted"] for r in reports] == [2, 1], reports
    with empty_db.connect() as conn:
        groups = conn.execute(
            text(
                "SELECT array_agg(record_ref ORDER BY record_ref) FROM incidents "
                "WHERE event_group_id IS NOT NULL GROUP BY event_group_id"
            )
        ).scalars()
        assert list(groups) == [["H-0001", "OB/1/2024"]], "the duplicate was linked"

    shared = _cell_of(empty_db, "Unit Police Station", "OB/1/2024")
    assert _cell_of(empty_db, "Unit Health Centre", "H-0001") == shared
    alone = _cell_of(empty_db, "Unit Police Station", "OB/2/2024")
    events = _cell_counts(empty_db)
    assert events[shared] == pytest.approx(1.0) and events[alone] == pytest.approx(1.0)

    monkeypatch.setenv("OBSERVATORY_COUNT_UNIT", "records")
    _refresh(empty_db)
    records = _cell_counts(empty_db)
    assert records[shared] == pytest.approx(2.0) and records[alone] == pytest.approx(1.0)

    monkeypatch.setenv("OBSERVATORY_COUNT_UNIT", "events")
    _refresh(empty_db)
    assert _cell_counts(empty_db) == pytest.approx(events)


def test_an_unknown_count_unit_is_a_user_error(monkeypatch):
    monkeypatch.setenv("OBSERVATORY_COUNT_UNIT", "rows")
    with pytest.raises(ObservatoryError, match="OBSERVATORY_COUNT_UNIT.*events.*records"):
        aggregates.count_unit()
