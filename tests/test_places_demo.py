"""Rows without GPS in the seeded demo are placed from their text through the real
ETL: at least 90 % in the ward the event really happened in, and none in a wrong
ward with a confidence at or above the auto-accept threshold."""

from __future__ import annotations

import pytest

from geodata.gazetteer.matching import auto_accept
from tests.linked_demo import load_linked_demo


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    return load_linked_demo(engine, tmp_path_factory.mktemp("places-demo"))


def test_rows_without_gps_land_in_the_right_ward(demo):
    incidents, _ = demo
    no_gps = incidents[~incidents["gps"].astype(bool)]
    right = no_gps["ward_code"] == no_gps["true_ward"]
    wrong = no_gps["ward_code"].notna() & ~right
    sure = no_gps["geocode_confidence"] >= auto_accept()
    methods = no_gps["geocode_method"].value_counts().to_dict()
    print(
        f"{len(no_gps)} rows without GPS: {right.mean():.3f} in the right ward, "
        f"{int(wrong.sum())} in a wrong ward ({int((wrong & sure).sum())} at or above "
        f"auto-accept {auto_accept()}), {int(no_gps['ward_code'].isna().sum())} unplaced, "
        f"{int((~sure).sum())} to review; {methods}"
    )
    assert right.mean() >= 0.9
    assert int((wrong & sure).sum()) == 0
    # Every way of placing is used, and a ward name never invents a point.
    assert set(methods) >= {"gazetteer", "ward_name", "unresolved"}


def test_a_ward_name_gives_a_ward_but_no_point_or_cell(demo, engine):
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT geocode_method, count(*) AS n, count(geom) AS points, "
                "count(h3_8) AS cells, count(ward_code) AS wards, count(place_id) AS places "
                "FROM incidents GROUP BY 1"
            )
        ).mappings()
        by_method = {r["geocode_method"]: r for r in rows}
    ward_only = by_method["ward_name"]
    assert ward_only["points"] == ward_only["cells"] == ward_only["places"] == 0
    assert ward_only["wards"] == ward_only["n"]
    gazetteer = by_method["gazetteer"]
    assert gazetteer["points"] == gazetteer["cells"] == gazetteer["places"] == gazetteer["n"]
    unresolved = by_method["unresolved"]
    assert unresolved["points"] == unresolved["wards"] == 0
