"""The seeded demo: deterministic files with the promised variety, planted truths the
model really contains, and a load through the real ingest that quarantines exactly
the planted bad rows and stores no personal data."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import text

from etl.demo import build_demo, load_truth, run_demo
from etl.demo.dialects import PERSONAL_HEADERS
from etl.demo.formats import FIRST_NAMES, SURNAMES
from etl.demo.geography import LocalProjection
from etl.demo.model import NIGHT_PEAK_HOURS
from etl.demo.wording import UNKNOWN, known_wordings
from geodata.categories import CATEGORIES, classify
from geodata.errors import ObservatoryError
from tests.conftest import KENYA_WARDS

REFERENCE = date(2025, 3, 15)
SEED = 20241


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One generated town, built once for the file and model tests."""
    folder = tmp_path_factory.mktemp("demo")
    build = build_demo(SEED, folder, reference_date=REFERENCE)
    return build, load_truth(folder)


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]], str, str]:
    data = path.read_bytes()
    try:
        decoded, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        decoded, encoding = data.decode("cp1252"), "cp1252"
    decoded = decoded.lstrip("\ufeff")
    separator = ";" if decoded.splitlines()[0].count(";") > 2 else ","
    rows = list(csv.reader(io.StringIO(decoded), delimiter=separator))
    return rows[0], rows[1:], encoding, separator


def test_same_seed_same_bytes_other_seed_other_files(demo, tmp_path):
    build, _ = demo
    again = build_demo(SEED, tmp_path / "again", reference_date=REFERENCE)
    assert _hashes(again.folder) == _hashes(build.folder)
    other = build_demo(SEED + 1, tmp_path / "other", reference_date=REFERENCE)
    first, second = _hashes(build.folder), _hashes(other.folder)
    assert set(first) != set(second) or all(first[k] != second[k] for k in first)
    # Rebuilding into the same folder replaces the earlier demo's files.
    rebuilt = build_demo(SEED + 1, build.folder, reference_date=REFERENCE)
    assert _hashes(rebuilt.folder) == second
    build_demo(SEED, build.folder, reference_date=REFERENCE)
    assert _hashes(build.folder) == first


def test_files_have_the_promised_variety(demo):
    build, truth = demo
    csvs = [p for p in build.paths if p.suffix == ".csv"]
    headers, encodings = set(), set()
    for path in csvs:
        header, rows, encoding, separator = _csv_rows(path)
        headers.add(tuple(header))
        encodings.add((encoding, separator, path.read_bytes().startswith(b"\xef\xbb\xbf")))
        for column in set(header) & set(PERSONAL_HEADERS):
            values = [r[header.index(column)] for r in rows]
            assert all(values), f"{path.name}: {column} holds a fake value on every row"
    assert len(headers) >= 6  # every agency writes its own layout
    assert ("cp1252", ";", False) in encodings
    assert ("utf-8", ",", True) in encodings  # UTF-8 with BOM, as Excel saves it
    xlsx = [p for p in build.paths if p.suffix == ".xlsx"]
    assert len(xlsx) == 1
    sheet = load_workbook(xlsx[0]).active
    dates = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert any(isinstance(v, int) and 40_000 < v < 50_000 for v in dates)  # bare serials
    assert any(hasattr(v, "year") for v in dates)
    all_text = "\n".join(p.read_bytes().decode("cp1252" if "chief" in p.name else "utf-8-sig")
                         for p in csvs)  # fmt: skip
    for form in ("2024-", "/2024", "-Mar-", "hrs", "pm", "PM"):
        assert form in all_text
    assert truth["totals"]["rows_to_quarantine"] == len(truth["quarantine"]) >= 8
    reasons = {q["reason"] for q in truth["quarantine"]}
    assert {"impossible date", "missing record_ref"} <= reasons


def test_wordings_and_place_texts(demo):
    _, truth = demo
    records = pd.DataFrame(truth["records"])
    for wording, category in known_wordings():
        assert classify(wording) == category, wording
    for text_, true in zip(records["category_text"], records["true_category"], strict=True):
        assert classify(text_) in (true, None), (text_, true)
    unknown = {w for words in UNKNOWN.values() for w in words}
    written_unknown = records["category_text"].isin(unknown)
    assert written_unknown.sum() > 10
    assert records.loc[written_unknown, "category_text"].map(classify).isna().sum() > 10
    places = records["location_text"].str.lower()
    for phrase in ("karibu na ", "nyuma ya ", "behind ", "opp ", " mkt", " stg", " pri sch"):
        assert places.str.contains(phrase, regex=False).sum() >= 3, phrase
    assert (records["place"] != "").mean() > 0.4
    gazetteer = pd.read_csv(truth_path(demo, "geography/places.csv"), keep_default_na=False)
    assert list(gazetteer.columns) == ["name", "aliases", "kind", "latitude", "longitude"]
    assert 50 <= len(gazetteer) <= 80 and gazetteer["name"].is_unique
    assert set(records.loc[records["place"] != "", "place"]) <= set(gazetteer["name"])
    assert gazetteer["kind"].isin(
        ["landmark", "estate", "village", "stage", "market", "school", "bar", "church",
         "health", "police"]
    ).all()  # fmt: skip
    assert gazetteer["aliases"].str.contains("|", regex=False).any()


def truth_path(demo, relative: str) -> Path:
    return demo[0].folder / relative


def test_duplicates_and_coordinates_have_known_truth(demo):
    _, truth = demo
    records = pd.DataFrame(truth["records"])
    agencies = {a["name"]: a["agency_type"] for a in truth["agencies"]}
    records["type"] = records["agency"].map(agencies)
    by_event = records.groupby("event_id")["type"].agg(set)
    triple = by_event.map(lambda s: {"police_station", "health_facility", "rescue_centre"} <= s)
    assert triple.sum() >= 10
    assert truth["totals"]["events_recorded_by_several_agencies"] > 300
    police = records[records["type"] == "police_station"]
    assert police["gps"].mean() < 0.1  # most police rows have no coordinates
    assert records.loc[records["type"] == "health_facility", "gps"].mean() > 0.3
    events = pd.DataFrame(truth["events"]).set_index("event_id")
    assert records["true_ward"].eq(records["event_id"].map(events["ward"])).all()
    assert set(events["ward"]) == {w["code"] for w in truth["geography"]["wards"]}


def test_planted_hot_spots_are_the_densest_cells(demo):
    build, truth = demo
    events = build.events
    spots = truth["model"]["hot_spots"]
    assert len(spots) >= 8
    cells = pd.Series(
        [h3.latlng_to_cell(a, b, 8) for a, b in zip(events["lat"], events["lon"], strict=True)]
    ).value_counts()
    projection = LocalProjection(
        **{k: truth["geography"]["projection"][k] for k in ("lat0", "lon0")}
    )
    for cell in cells.index[: len(spots) - 2]:
        ring = np.array(h3.cell_to_boundary(cell))
        cx, cy = projection.to_xy(ring[:, 0], ring[:, 1])
        import shapely

        polygon = shapely.Polygon(np.column_stack([cx, cy]))
        near = [
            polygon.distance(shapely.Point(*projection.to_xy(s["lat"], s["lon"]))) <= s["radius_m"]
            for s in spots
        ]
        assert any(near), f"dense cell {cell} ({cells[cell]} events) is near no planted centre"
    share = (events["hot_spot"] != "").mean()
    assert 0.25 < share < 0.5


def test_time_profiles_are_planted(demo):
    build, truth = demo
    events = build.events
    known = events[events["time_known"] & events["window_from"].isna()]
    hours = known["occurred_at"].dt.hour
    robbery = hours[known["category"] == "robbery"]
    uniform = len(NIGHT_PEAK_HOURS) / 24
    assert robbery.isin(NIGHT_PEAK_HOURS).mean() > 2 * uniform
    assert truth["model"]["night_peak_hours"] == list(NIGHT_PEAK_HOURS)
    dv = known[known["category"] == "domestic_violence"]
    evening = dv["occurred_at"].dt.hour.between(17, 23)
    weekend = dv["occurred_at"].dt.day_of_week >= 4  # Friday to Sunday
    per_weekend_day = (evening & weekend).sum() / 3
    per_weekday = (evening & ~weekend).sum() / 4
    assert per_weekend_day > 1.8 * per_weekday
    months = events["occurred_at"].dt.month.value_counts()
    assert months[12] > 1.15 * months.drop(12).mean()
    windows = events[events["window_from"].notna()]
    assert (windows["category"] == "burglary").all() and len(windows) > 200
    assert ((windows["occurred_at"] >= windows["window_from"])
            & (windows["occurred_at"] <= windows["window_to"])).all()  # fmt: skip
    assert 6_000 <= len(events) <= 9_000
    assert set(events["category"]) == set(CATEGORIES)
    assert events["occurred_at"].min() >= pd.Timestamp("2024-03-01")
    assert events["occurred_at"].max() < pd.Timestamp("2025-03-02")  # windows end next day
    counts = pd.DataFrame(truth["events_by_category_ward_month"])
    assert counts["events"].sum() == len(events)


def test_demo_refuses_mistakes(tmp_path):
    with pytest.raises(ObservatoryError, match="--wards"):
        build_demo(SEED, tmp_path / "a", county="Nairobi", reference_date=REFERENCE)
    with pytest.raises(ObservatoryError, match="no wards in county"):
        build_demo(SEED, tmp_path / "b", wards_path=KENYA_WARDS, county="Atlantis")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ObservatoryError, match="not empty"):
        build_demo(SEED, foreign, reference_date=REFERENCE)
    assert (foreign / "notes.txt").read_text() == "keep me"


def _all_text(engine) -> str:
    """Every text and JSON value stored in any table, one string."""
    with engine.connect() as conn:
        columns = conn.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN "
                "('text', 'character varying', 'character', 'jsonb', 'json')"
            )
        ).all()
        parts = []
        for table, column in columns:
            rows = conn.execute(text(f'SELECT "{column}"::text FROM "{table}"')).scalars()
            parts.extend(v for v in rows if v)
    # Content hashes (file sha256, row hashes) are hex digests: a run of digits inside
    # one is chance, not a stored phone number, so they are blanked before the scan.
    return re.sub(r"\b[0-9a-f]{32,64}\b", "<hash>", "\n".join(parts))


def test_load_through_real_ingest(empty_db, tmp_path):
    run = run_demo(SEED, tmp_path / "demo", reference_date=REFERENCE, engine=empty_db)
    build = run.build
    assert not [r for r in run.reports if r.get("failed")], run.summary()
    truth = load_truth(build.folder)
    with empty_db.connect() as conn:
        incidents = conn.execute(text("SELECT count(*) FROM incidents")).scalar_one()
        wards = conn.execute(text("SELECT count(*) FROM wards")).scalar_one()
    assert wards == 12
    assert run.total("rows_read") == build.rows
    assert incidents == build.rows - len(build.planted_bad_rows) == run.total("inserted")
    quarantined = {
        (f"agencies/{r['file']}", q["row"]) for r in run.reports for q in r["quarantine"]
    }
    assert quarantined == {(q["file"], q["row"]) for q in truth["quarantine"]}
    assert run.total("swapped_coordinates") > 0  # the rescue centre's swapped columns
    with empty_db.connect() as conn:
        stored_wards = pd.DataFrame(
            conn.execute(
                text(
                    "SELECT a.name AS agency, i.record_ref, i.ward_code FROM incidents i "
                    "JOIN agencies a ON a.id = i.agency_id WHERE i.geocode_method = 'gps'"
                )
            ).all()
        )
    records = pd.DataFrame(truth["records"])
    with_gps = records[records["gps"] & records["quarantine"].isna()]
    joined = with_gps.merge(stored_wards, on=["agency", "record_ref"])
    assert len(joined) == len(with_gps) > 500
    assert (joined["ward_code"] == joined["true_ward"]).mean() > 0.98
    stored = _all_text(empty_db)
    names = {f"{a} {b}" for a in FIRST_NAMES for b in SURNAMES}
    assert not [n for n in names if n in stored]
    personal = set()
    for path in build.paths:
        if path.suffix == ".csv":
            header, rows, _, _ = _csv_rows(path)
            for column in set(header) & {"Phone", "Tel No", "Mobile", "Phone No",
                                         "Guardian Phone", "ID No"}:  # fmt: skip
                for row in rows:
                    digits = re.sub(r"\D", "", row[header.index(column)])
                    personal |= {digits, digits[-9:]}  # with or without 0 / +254
    assert len(personal) > 1000
    # Any phone or ID number stored in any spelling leaves its digits as one run.
    runs = set(re.findall(r"\d{8,}", re.sub(r"(?<=\d) +(?=\d)", "", stored)))
    assert not {d for d in personal if any(d in run for run in runs)}
    summary = run.summary()
    assert f"{len(build.planted_bad_rows)} quarantined" in summary

    assert run.status_updates() > 500  # police cases moved along the justice chain
    with empty_db.connect() as conn:
        history = conn.execute(text("SELECT count(*) FROM incident_status_history")).scalar()
    # Running the demo again skips every file imported before (loading an old quarter
    # again would move its cases' statuses back) and changes nothing.
    again = run_demo(SEED, tmp_path / "demo", reference_date=REFERENCE, engine=empty_db)
    assert sorted(again.already_imported) == sorted(f.path.name for f in build.dated)
    assert again.reports == again.status_reports == []
    assert f"already imported: {len(build.dated)} files skipped" in again.summary()
    with empty_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM incidents")).scalar() == incidents
        assert conn.execute(text("SELECT count(*) FROM incident_status_history")).scalar() == (
            history
        )


def test_demo_on_real_nairobi_wards(empty_db, tmp_path):
    run = run_demo(SEED, tmp_path / "nbi", wards_path=KENYA_WARDS, county="Nairobi",
                   reference_date=REFERENCE, engine=empty_db)  # fmt: skip
    build = run.build
    geo = build.geography
    assert not geo.generated and len(geo.codes) == 85
    assert "Omare" in geo.attribution
    with empty_db.connect() as conn:
        codes = set(conn.execute(text("SELECT code FROM wards")).scalars())
        placed = conn.execute(
            text("SELECT count(*), count(ward_code) FROM incidents WHERE geom IS NOT NULL")
        ).one()
    assert codes == set(geo.codes)
    assert placed[0] > 100 and placed[1] >= 0.97 * placed[0]
    assert {p.ward_code for p in geo.places} == set(geo.codes)
    truth = load_truth(build.folder)
    assert truth["geography"]["ward_boundaries"] is None  # the real file is not copied
    assert run.total("quarantined") == len(build.planted_bad_rows)


def test_cli_demo_no_serve(empty_db, tmp_path):
    from geodata.users import authenticate, list_users
    from observatory.cli import cli

    out = tmp_path / "cli-demo"
    args = ["demo", "--no-serve", "--out", str(out), "--reference-date", "2025-03-15"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Demo town (fictional)" in result.output and "quarantined" in result.output
    assert (out / "truth.json").is_file()
    # A newcomer can sign in: random passwords, printed once, for the team's `demo`
    # (every analytics page) and `demo-admin` (user accounts).
    for username, role in (("demo", "team"), ("demo-admin", "admin")):
        found = re.search(rf"sign in as `{username}` with password (\S+)", result.output)
        assert authenticate(empty_db, username, found.group(1)).role == role
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert "with password" not in again.output
    assert sorted(u.username for u in list_users(empty_db)) == ["demo", "demo-admin"]
