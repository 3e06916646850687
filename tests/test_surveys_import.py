"""Safety audit survey exports, as Kobo (CSV) and ODK (XLSX) write them, through the
mapping in docs/examples: mapped answers stored, names and phones never, re-import
idempotent, aggregates equal to values worked out by hand, mistakes explained."""

from __future__ import annotations

import csv
import math
import os
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook
from sqlalchemy import text

from etl.survey_mapping import read_mapping
from etl.surveys import load_survey, read_survey
from geodata.errors import ObservatoryError
from geodata.queries import audits
from tests.conftest import REPO
from tests.ingest_helpers import dump

EXAMPLES = REPO / "docs" / "examples"
MAPPING = EXAMPLES / "survey_mapping.csv"
EXPORT = EXAMPLES / "survey_export_kobo.csv"
Z = 1.959963984540054
PERSONAL = ("Wanjiku", "Kamau", "Otieno", "0722000111", "711000333", "0712", "345 678")
WARDS = {"KB1": ("Laini Saba", 36.7), "KB2": ("Sarang'ombe", 36.8)}


def load_wards(engine) -> None:
    with engine.begin() as conn:
        for code, (name, west) in WARDS.items():
            conn.execute(
                text(
                    "INSERT INTO wards (code, name, geom, population) VALUES (:c, :n, "
                    "ST_Multi(ST_MakeEnvelope(:w, -1.4, :e, -1.3, 4326)), 30000)"
                ),
                {"c": code, "n": name, "w": west, "e": west + 0.1},
            )


@pytest.fixture
def wards_db(empty_db):
    load_wards(empty_db)
    return empty_db


def wilson(p: float, n: float) -> tuple[float, float]:
    denominator = 1 + Z**2 / n
    centre = p + Z**2 / (2 * n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
    return (centre - half) / denominator, (centre + half) / denominator


def indicator(table, ward: str, name: str) -> dict:
    rows = table[(table["ward_code"] == ward) & (table["indicator"] == name)]
    assert len(rows) == 1, (ward, name)
    return rows.iloc[0].to_dict()


def test_kobo_csv_stores_mapped_answers_and_no_names_or_phones(wards_db):
    report = load_survey(EXPORT, MAPPING, "2025-Q1", engine=wards_db)
    assert report["rows_read"] == 6 and report["inserted"] == 6
    assert report["dropped_columns"] == [
        "grp_respondent/respondent_name",
        "grp_respondent/phone_number",
    ]
    stored = "\n".join(line for rows in dump(wards_db).values() for line in rows)
    for value in PERSONAL:
        assert value not in stored
    with wards_db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT submission_uuid, submitted_at::text, ward_code, weight, victimised, "
                "unsafe_after_dark, trusts_police, unsafe_places FROM survey_responses "
                "ORDER BY submission_uuid"
            )
        ).all()
        fieldwork = conn.execute(text("SELECT fieldwork_from::text FROM survey_rounds")).scalar()
    first = rows[0]
    assert first.submission_uuid == "3f6b1c2e-0000-4000-8000-000000000001"
    assert first.submitted_at == "2025-03-11 09:31:00"  # Kobo's UTC time in EAT
    assert first.ward_code == "KB1" and first.weight == 1.0
    assert first.victimised == {
        "theft": True,
        "burglary": False,
        "robbery": True,
        "assault": False,
        "sexual_violence": False,
    }
    assert (first.unsafe_after_dark, first.trusts_police) == (True, True)
    assert first.unsafe_places == ["Olympic stage", "near the market"]
    assert rows[2].victimised["burglary"] and "sexual_violence" not in rows[2].victimised
    assert rows[3].unsafe_places == ["call Kichinjio"]  # the phone number is cut out
    assert rows[4].trusts_police is None  # dont_know is no answer
    assert fieldwork == "2025-03-11"


def test_weighted_aggregates_and_intervals_match_hand_values(wards_db):
    load_survey(EXPORT, MAPPING, "2025-Q1", engine=wards_db)
    table = audits.survey_indicators(wards_db, "2025-Q1")
    trust = indicator(table, audits.ALL_WARDS, "trust_police")
    # Answered: yes with weights 1, 1, 2; no with weights 2, 3 (one dont_know left out).
    p = 4 / 9
    variance = (
        1 * (5 / 9) ** 2 + 4 * (4 / 9) ** 2 + 1 * (5 / 9) ** 2 + 9 * (4 / 9) ** 2 + 4 * (5 / 9) ** 2
    ) / 81
    n_eff = p * (1 - p) / variance
    assert n_eff == pytest.approx(1620 / 358)
    assert trust["respondents"] == 5
    assert trust["proportion"] == pytest.approx(p)
    assert (trust["low"], trust["high"]) == pytest.approx(wilson(p, n_eff))
    laini = indicator(table, "KB1", "trust_police")
    assert laini["proportion"] == pytest.approx(2 / 4) and laini["ward_name"] == "Laini Saba"
    # Theft: weights 1 (row 1) and 1 (row 5) of all 10; a blank answer means no.
    assert indicator(table, audits.ALL_WARDS, "victimised:theft")["proportion"] == 0.2
    assert indicator(table, audits.ALL_WARDS, "victimised:sexual_violence")["proportion"] == (
        pytest.approx(1 / 9)
    )
    unsafe = indicator(table, "KB2", "unsafe_after_dark")
    assert unsafe["proportion"] == pytest.approx(1.0) and unsafe["respondents"] == 2


def _odk_xlsx(path: Path) -> Path:
    """The example export as ODK Central writes it: `-` between groups, the id as
    meta-instanceID with `uuid:`, SubmissionDate in UTC with Z, select_multiple as
    0/1 option columns only."""
    with EXPORT.open(newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header, body = rows[0], rows[1:]
    keep = [i for i, h in enumerate(header) if h != "grp_victim/crimes_experienced"]
    rename = {"_uuid": "meta/instanceID", "_submission_time": "SubmissionDate"}
    book = Workbook()
    sheet = book.active
    sheet.append([rename.get(header[i], header[i]).replace("/", "-") for i in keep])
    for row in body:
        cells = [row[i] for i in keep]
        out = []
        for i, cell in zip(keep, cells, strict=True):
            if header[i] == "_uuid":
                cell = f"uuid:{cell}"
            elif header[i] == "_submission_time":
                cell = cell + "Z"
            elif header[i] == "weight":
                cell = float(cell)
            out.append(cell)
        sheet.append(out)
    book.create_sheet("repeat_members").append(["name", "phone"])
    book.save(path)
    return path


def test_odk_xlsx_with_dashes_and_option_columns_gives_the_same_answers(wards_db, tmp_path):
    mapping = read_mapping(MAPPING)
    kobo = read_survey(EXPORT, mapping).frame
    odk = read_survey(_odk_xlsx(tmp_path / "odk.xlsx"), mapping).frame
    columns = [
        "submission_uuid",
        "submitted_at",
        "ward_text",
        "weight",
        "victimised",
        "unsafe_after_dark",
        "trusts_police",
        "unsafe_places",
    ]
    assert odk[columns].to_dict("records") == kobo[columns].to_dict("records")
    report = load_survey(tmp_path / "odk.xlsx", MAPPING, "2025-Q1", engine=wards_db)
    assert report["inserted"] == 6
    stored = "\n".join(line for rows in dump(wards_db).values() for line in rows)
    assert not any(value in stored for value in PERSONAL)


def test_reimport_changes_nothing_and_a_corrected_answer_updates(wards_db, tmp_path):
    load_survey(EXPORT, MAPPING, "2025-Q1", engine=wards_db)
    before = dump(wards_db)["survey_responses"]
    again = load_survey(EXPORT, MAPPING, "2025-Q1", engine=wards_db)
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 6)
    assert dump(wards_db)["survey_responses"] == before
    corrected = tmp_path / "corrected.csv"
    corrected.write_text(EXPORT.read_text().replace(";not_at_all;2;", ";a_lot;2;"))
    fixed = load_survey(corrected, MAPPING, "2025-Q1", engine=wards_db)
    assert (fixed["inserted"], fixed["updated"], fixed["unchanged"]) == (0, 1, 5)
    with pytest.raises(ObservatoryError, match="already stored in survey round '2025-Q1'"):
        load_survey(EXPORT, MAPPING, "2025-Q2", engine=wards_db)


def _mapping(tmp_path: Path, *replace: tuple[str, str]) -> Path:
    body = MAPPING.read_text()
    for old, new in replace:
        assert old in body
        body = body.replace(old, new)
    path = tmp_path / "mapping.csv"
    path.write_text(body)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("victimisation,grp_victim/gbv", "victimised,grp_victim/gbv"),
            r"mapping.csv, row 8, column meaning: 'victimised' is not one of ward, weight",
        ),
        (
            ("grp_police/trust_police", "grp_police/trust_in_police"),
            r"survey_export_kobo.csv: no column for question 'grp_police/trust_in_police' "
            r"\(mapping row 10\); check the name",
        ),
        (
            (",theft,theft,", ",theft,petty_theft,"),
            r"row 4, column category: 'petty_theft' is not one of homicide",
        ),
        (
            ("unsafe_places,grp_safety/unsafe_places", "unsafe_places,grp_respondent/phone_number"),
            r"row 11, column question: 'grp_respondent/phone_number' looks like a name or phone",
        ),
        (
            ("weight,weight,expansion", "weight,weight,scaled"),
            r"row 3, column value: 'scaled' is not one of expansion, relative",
        ),
        (("ward,grp_location/ward,,,,\n", ""), r"no `ward` row"),
    ],
)
def test_mapping_mistakes_name_the_row_column_and_fix(wards_db, tmp_path, change, message):
    with pytest.raises(ObservatoryError, match=message):
        load_survey(EXPORT, _mapping(tmp_path, change), "2025-Q1", engine=wards_db)


def test_bad_rows_and_unknown_wards_are_listed_with_rows(wards_db, tmp_path):
    bad = tmp_path / "bad.csv"
    text_ = EXPORT.read_text().replace(";not_at_all;2;", ";not_at_all;-2;")
    bad.write_text(text_.replace(";Laini Saba;theft robbery;", ";Lainy Sabah;theft robbery;"))
    with pytest.raises(ObservatoryError, match=r"row 3, column weight: weight '-2' is not a posi"):
        load_survey(bad, MAPPING, "2025-Q1", engine=wards_db)
    bad.write_text(
        text_.replace(";not_at_all;-2;", ";not_at_all;2;").replace(
            ";Laini Saba;theft robbery;", ";Lainy Sabah;theft robbery;"
        )
    )
    with pytest.raises(ObservatoryError, match=r"'Lainy Sabah' \(rows 2\)"):
        load_survey(bad, MAPPING, "2025-Q1", engine=wards_db)
    with wards_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM survey_responses")).scalar() == 0


def test_cli_loads_the_example_and_prints_one_line_errors(wards_db, tmp_path):
    command = [str(REPO / ".venv" / "bin" / "observatory"), "surveys", "load", str(EXPORT)]
    ok = subprocess.run(
        [*command, "--mapping", str(MAPPING), "--round", "2025-Q1"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    assert "round 2025-Q1: 6 responses, 6 new" in ok.stdout
    assert "grp_respondent/phone_number" in ok.stdout
    broken = _mapping(tmp_path, ("grp_police/trust_police", "grp_police/trust_in_police"))
    failed = subprocess.run(
        [*command, "--mapping", str(broken), "--round", "2025-Q1"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: survey_export_kobo.csv: no column for question")
    assert "Traceback" not in failed.stderr


@pytest.fixture(scope="module")
def demo_survey(tmp_path_factory):
    """The seeded demo's files, with its survey round (no database)."""
    from etl.demo.load import build_demo

    build = build_demo(20241, tmp_path_factory.mktemp("demo"), reference_date=date(2025, 1, 15))
    return build, build.survey


def test_demo_survey_estimates_recover_the_planted_dark_figures(demo_survey):
    from etl.demo.surveys import DARK_FIGURE, RESPONDENTS, recorded_events
    from geodata.stats.survey_estimates import dark_figure, weighted_proportion

    build, survey = demo_survey
    frame = read_survey(survey.export, read_mapping(survey.mapping)).frame
    assert len(frame) == RESPONDENTS
    recorded = recorded_events(build)["category"].value_counts()
    households = frame["weight"].sum()
    covered = 0
    for category, planted in DARK_FIGURE.items():
        answers = [
            np.nan if (v := d.get(category)) is None else float(v) for d in frame["victimised"]
        ]
        est = weighted_proportion(answers, frame["weight"])
        _, ratio, low, high = dark_figure(
            est.proportion, est.low, est.high, households, recorded[category]
        )
        assert planted / 1.3 < ratio < planted * 1.3, (category, float(ratio), planted)
        covered += low <= planted <= high
    assert covered == len(DARK_FIGURE)
    trust = frame["trusts_police"].map({True: 1.0, False: 0.0}).astype(float)
    assert 0.3 <= weighted_proportion(trust, frame["weight"]).proportion <= 0.42
    assert sum(len(p) for p in frame["unsafe_places"]) > 500


def test_demo_survey_export_carries_names_that_never_reach_the_database(demo_survey, engine):
    from etl.demo.surveys import ROUND_NAME, load_survey_demo
    from geodata.boundaries import load_ward_frame
    from tests.conftest import truncate_all

    build, survey = demo_survey
    truncate_all(engine)
    load_ward_frame(engine, build.geography.wards, attribution=build.geography.attribution)
    exported = survey.export.read_text()
    lines = load_survey_demo(engine, survey)
    assert lines[0].startswith(f"survey: 1500 responses in round '{ROUND_NAME}'")
    names = [row.split(";")[5] for row in exported.splitlines()[1:6]]
    phones = [row.split(";")[6] for row in exported.splitlines()[1:6]]
    stored = "\n".join(line for rows in dump(engine).values() for line in rows)
    assert all(n and n not in stored for n in names)
    assert all(p and p not in stored for p in phones)
    rounds = audits.survey_rounds(engine)
    assert rounds.iloc[0]["respondents"] == 1500
    assert str(rounds.iloc[0]["fieldwork_from"]) == "2025-01-01"


def _add_incidents(engine, rows: list[tuple]) -> None:
    """rows of (ref, ward_code or None, category, occurred_from, lon, lat)."""
    with engine.begin() as conn:
        agency = conn.execute(
            text(
                "INSERT INTO agencies (name, agency_type) VALUES ('Kibra', 'police_station') "
                "RETURNING id"
            )
        ).scalar_one()
        for ref, ward, category, when, lon, lat in rows:
            conn.execute(
                text(
                    "INSERT INTO incidents (agency_id, record_ref, category, occurred_from, "
                    "time_known, ward_code, geom, geocode_method, row_hash) VALUES (:a, :r, "
                    ":c, :t, true, :w, CASE WHEN CAST(:x AS float) IS NULL THEN NULL ELSE "
                    "ST_SetSRID(ST_MakePoint(:x, :y), 4326) END, 'gps', 'h')"
                ),
                {"a": agency, "r": ref, "c": category, "t": when, "w": ward, "x": lon, "y": lat},
            )
        for name, lon, lat, ward in (
            ("Olympic Stage", 36.75, -1.35, "KB1"),
            ("Kichinjio", 36.85, -1.35, "KB2"),
        ):
            conn.execute(
                text(
                    "INSERT INTO places (name, kind, aliases, geom, ward_code, source) VALUES "
                    "(:n, 'stage', '{}', ST_SetSRID(ST_MakePoint(:x, :y), 4326), :w, 'test')"
                ),
                {"n": name, "x": lon, "y": lat, "w": ward},
            )


def test_dark_figure_after_dark_places_and_trust_from_the_example(wards_db):
    load_survey(EXPORT, MAPPING, "2025-Q1", engine=wards_db)
    # Fieldwork began 2025-03-11: the reference period is 2024-03-11 to 2025-03-10.
    _add_incidents(
        wards_db,
        [
            ("T1", "KB1", "theft", "2024-06-01 21:00", 36.75, -1.35),
            ("T2", "KB1", "theft", "2024-06-02 22:00", 36.75, -1.35),
            ("T3", "KB1", "theft", "2024-06-03 10:00", 36.75, -1.35),
            ("T4", "KB1", "theft", "2024-06-04 11:00", 36.75, -1.35),
            ("T5", "KB2", "theft", "2024-07-01 12:00", 36.85, -1.35),
            ("T6", None, "theft", "2024-08-01 12:00", None, None),  # placed on no ward
            ("T7", "KB1", "theft", "2024-01-01 12:00", 36.75, -1.35),  # before the period
        ],
    )
    dark = audits.dark_figures(wards_db, "2025-Q1")
    theft = dark[dark["category"] == "theft"].set_index("ward_code")
    # Laini Saba: 1 of 4 weight units victimised, population 4 (expansion weights).
    assert theft.loc["KB1", ["estimated", "recorded", "ratio"]].tolist() == pytest.approx(
        [1.0, 4, 0.25]
    )
    # All wards: 2 of 10; every loaded ward surveyed, so the unplaced theft counts.
    assert theft.loc[audits.ALL_WARDS, ["estimated", "recorded"]].tolist() == [2.0, 6]
    assert theft.loc[audits.ALL_WARDS, "ratio_high"] == pytest.approx(
        theft.loc[audits.ALL_WARDS, "high"] * 10 / 6
    )
    versus = audits.perception_vs_record(wards_db, "2025-Q1").set_index("ward_code")
    assert versus.loc["KB1", "proportion"] == pytest.approx(0.5)  # unsafe: weights 1+1 of 4
    assert versus.loc["KB1", ["known", "after_dark"]].tolist() == [4, 2]
    assert versus.loc["KB1", "after_dark_share"] == 0.5
    places = audits.unsafe_places(wards_db, "2025-Q1").set_index("name")
    assert places.loc["Olympic Stage", ["mentions", "ward_code", "method"]].tolist() == [
        2,
        "KB1",
        "gazetteer",
    ]
    assert places.loc["Olympic Stage", "lat"] == pytest.approx(-1.35)
    assert places.loc["near the market", "method"] == "unresolved"
    trust = audits.trust_in_police(wards_db)
    assert trust["round"].tolist() == ["2025-Q1"]
    assert trust["proportion"].iloc[0] == pytest.approx(4 / 9)
    with pytest.raises(ObservatoryError, match="no survey round is called '2024'"):
        audits.survey_indicators(wards_db, "2024")
