"""Re-importing an unchanged file changes nothing, even when what the observatory
derives from it (placement by text) would now come out differently."""

from sqlalchemy import text

from geodata.gazetteer.store import add_place, load_gazetteer
from tests.ingest_helpers import ingest_one, write_csv
from tests.test_gazetteer_store import CSV, WARDS


def _placements(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT record_ref, geocode_method, place_id, ward_code, geocode_confidence, "
                "h3_9, row_hash FROM incidents ORDER BY record_ref"
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_rerun_is_unchanged_after_the_gazetteer_learns_a_place(empty_db, tmp_path):
    with empty_db.begin() as conn:
        for code, name, x, y in WARDS:
            conn.execute(
                text(
                    "INSERT INTO wards (code, name, geom) VALUES (:code, :name, "
                    "ST_Multi(ST_MakeEnvelope(:x, :y, :x + 0.009, :y + 0.009, 4326)))"
                ),
                {"code": code, "name": name, "x": x, "y": y},
            )
    places = tmp_path / "places.csv"
    places.write_text(CSV)
    load_gazetteer(empty_db, places)
    rows = [
        {"record_ref": "OB/1", "location": "opp Mjini Mkt"},
        {"record_ref": "OB/2", "location": "Kwa Mama Njeri"},
        {"record_ref": "OB/3", "location": "Bondeni"},
    ]
    path = write_csv(
        tmp_path / "ob.csv",
        [
            {"agency": "Kati Police", "agency_type": "police_station", "category": "theft",
             "occurred_on": "12/03/2024", "occurred_time": "21:30", **r}
            for r in rows
        ],
    )  # fmt: skip
    first = ingest_one(empty_db, path)
    assert first["inserted"] == 3
    before = _placements(empty_db)
    assert before["OB/2"][0] == "unresolved"

    # The team adds the place the clerk wrote: resolution of that text would now differ.
    add_place(empty_db, "Kwa Mama Njeri", "landmark", -1.2951, 36.8052)
    again = ingest_one(empty_db, path)

    assert (again["unchanged"], again["updated"], again["inserted"]) == (3, 0, 0)
    assert _placements(empty_db) == before
