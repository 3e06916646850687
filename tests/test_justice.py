"""The justice chain: funnel, stage durations, longest-waiting cases and period
changes on hand-built histories, and the status history the database records when
a re-imported register file changes a case's status."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import text

from geodata import summaries
from geodata.queries import justice as justice_queries
from geodata.stats import justice
from tests.ingest_helpers import ingest_one, load_square_wards, row, write_csv

D = pd.Timestamp


def hand_built() -> tuple[pd.DataFrame, pd.DataFrame]:
    cases = pd.DataFrame(
        {
            "incident_id": [1, 2, 3, 4, 5, 6],
            "category": ["robbery", "robbery", "theft", "assault", "theft", "assault"],
            "reported_on": [
                D("2024-01-01"),
                D("2024-01-05"),
                D("2024-01-07"),
                D("2024-01-08"),
                D("2024-02-01"),
                D("2024-01-02"),
            ],
        }
    )
    history = pd.DataFrame(
        [
            (1, "reported", "2024-01-01"),
            (1, "under_investigation", "2024-01-10"),
            (1, "in_court", "2024-02-01"),
            (1, "convicted", "2024-03-01"),
            (2, "reported", "2024-01-05"),
            (2, "under_investigation", "2024-01-20"),
            (2, "withdrawn", "2024-02-10"),
            (3, "reported", "2024-01-07"),
            (4, "in_court", "2024-01-08"),
            (4, "acquitted", "2024-04-01"),
            (6, "reported", "2024-01-02"),
            (6, "resolved_locally", "2024-01-04"),
        ],
        columns=["incident_id", "status", "observed_on"],
    )
    return cases, history


def test_funnel_counts_cases_reaching_each_stage():
    cases, history = hand_built()
    table = justice.funnel(cases, history)
    counts = dict(zip(table["stage"], table["cases"], strict=True))
    assert counts == {
        "reported": 6,
        "under_investigation": 3,
        "in_court": 2,
        "convicted": 1,
        "acquitted": 1,
        "withdrawn": 1,
        "resolved_locally": 1,
        "referred": 0,
    }
    assert table["stage"].tolist() == list(justice.STAGES)
    assert table.loc[table["stage"] == "under_investigation", "share"].item() == 0.5


def test_funnel_by_category_keeps_every_stage_for_every_group():
    cases, history = hand_built()
    table = justice.funnel(cases, history, by=["category"])
    robbery = table[table["category"] == "robbery"].set_index("stage")["cases"]
    assert robbery[["reported", "under_investigation", "in_court", "convicted"]].tolist() == [
        2,
        2,
        1,
        1,
    ]
    theft = table[table["category"] == "theft"].set_index("stage")
    assert theft["cases"].sum() == 2 and len(theft) == len(justice.STAGES)
    assert theft.loc["under_investigation", "share"] == 0


def test_stage_durations_are_medians_of_finished_spells():
    _, history = hand_built()
    table = justice.stage_durations(history, as_of=date(2024, 5, 1)).set_index("stage")
    # reported: 9 (case 1), 15 (case 2), 2 (case 6) days; case 3 still waiting.
    assert table.loc["reported", ["finished", "median_days", "open"]].tolist() == [3, 9, 1]
    assert table.loc["reported", "open_median_days"] == 115  # 7 January to 1 May 2024
    # under investigation: 22 and 21 days; in court: 29 (2024 is a leap year) and 84.
    assert table.loc["under_investigation", "median_days"] == 21.5
    assert table.loc["in_court", ["finished", "median_days"]].tolist() == [2, 56.5]


def test_stuck_cases_are_open_cases_longest_since_their_last_change():
    cases, history = hand_built()
    stuck = justice.stuck_cases(cases, history, as_of=date(2024, 5, 1))
    assert stuck["incident_id"].tolist() == [3, 5]
    assert stuck["days"].tolist() == [115, 90]
    assert stuck["status"].tolist() == ["reported", "reported"]


def test_period_change_reproduces_a_programmes_percentages():
    """73% more reported, 64% more investigated, 6.2% more prosecuted."""
    rows, cases, case_id = [], [], 0
    for start, (reported, investigated, prosecuted) in (
        ("2023-01-01", (1000, 800, 500)),
        ("2024-01-01", (1730, 1312, 531)),
    ):
        day = D(start)
        for k in range(reported):
            case_id += 1
            cases.append((case_id, day))
            rows.append((case_id, "reported", day))
            if k < investigated:
                rows.append((case_id, "under_investigation", day + pd.Timedelta(days=20)))
            if k < prosecuted:
                rows.append((case_id, "in_court", day + pd.Timedelta(days=90)))
    case_frame = pd.DataFrame(cases, columns=["incident_id", "reported_on"])
    history = pd.DataFrame(rows, columns=["incident_id", "status", "observed_on"])
    table = justice.period_change(
        case_frame,
        history,
        before=(date(2023, 1, 1), date(2023, 12, 31)),
        after=(date(2024, 1, 1), date(2024, 12, 31)),
    )
    change = table.set_index("stage")["change_pct"]
    assert change[["reported", "under_investigation", "in_court"]].round(1).tolist() == [
        73.0,
        64.0,
        6.2,
    ]
    assert pd.isna(change["convicted"])  # nothing to compare with


HEADER = [
    "agency",
    "agency_type",
    "record_ref",
    "category",
    "occurred_on",
    "reported_on",
    "status",
    "location",
]


def history_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT i.record_ref, h.status, h.observed_on, h.import_id "
                "FROM incident_status_history h JOIN incidents i ON i.id = h.incident_id "
                "ORDER BY i.record_ref, h.id"
            )
        ).all()


def test_reimporting_a_changed_register_records_each_status_change(empty_db, tmp_path):
    load_square_wards(empty_db)
    first = write_csv(
        tmp_path / "march.csv",
        [
            row(record_ref="A1", status="PUI", reported_on="12/03/2024"),
            row(record_ref="A2", status=""),
            row(record_ref="A3", status="Reported", location="Olympic"),
        ],
        header=HEADER,
    )
    one = ingest_one(empty_db, first)
    assert one["inserted"] == 3
    second = write_csv(
        tmp_path / "april.csv",
        [
            row(record_ref="A1", status="PBC", reported_on="12/03/2024"),
            row(record_ref="A2", status="Pending under investigation"),
            row(record_ref="A3", status="Reported", location="Olympic stage"),
        ],
        header=HEADER,
    )
    two = ingest_one(empty_db, second)
    assert two["updated"] == 3
    with empty_db.connect() as conn:
        today = conn.execute(text("SELECT current_date")).scalar_one()
    assert history_rows(empty_db) == [
        ("A1", "under_investigation", date(2024, 3, 12), one["import_id"]),
        ("A1", "in_court", today, two["import_id"]),
        ("A2", "under_investigation", today, two["import_id"]),
        ("A3", "reported", today, one["import_id"]),  # a new location is no status change
    ]
    again = ingest_one(empty_db, second)
    assert again["unchanged"] == 3 and len(history_rows(empty_db)) == 4
    funnel = justice_queries.justice_funnel(empty_db).set_index("stage")["cases"]
    assert funnel[["reported", "under_investigation", "in_court"]].tolist() == [3, 2, 1]


def test_deleting_an_incident_deletes_its_history(empty_db, tmp_path):
    load_square_wards(empty_db)
    ingest_one(
        empty_db, write_csv(tmp_path / "a.csv", [row(record_ref="B1", status="PUI")], header=HEADER)
    )
    with empty_db.begin() as conn:
        conn.execute(text("DELETE FROM incidents"))
    assert history_rows(empty_db) == []


@pytest.mark.parametrize("status", ["convicted", "referred"])
def test_closed_cases_are_never_stuck(status):
    cases = pd.DataFrame({"incident_id": [1], "reported_on": [D("2024-01-01")]})
    history = pd.DataFrame(
        {
            "incident_id": [1, 1],
            "status": ["reported", status],
            "observed_on": [D("2024-01-01"), D("2024-01-03")],
        }
    )
    assert justice.stuck_cases(cases, history, date(2025, 1, 1)).empty


def test_a_session_can_date_the_status_changes_it_loads(empty_db, tmp_path):
    """Loading last year's monthly files in order: each change dated as of its file."""
    from sqlalchemy import create_engine

    load_square_wards(empty_db)
    ingest_one(
        empty_db,
        write_csv(tmp_path / "may.csv", [row(record_ref="C1", status="PUI")], header=HEADER),
    )
    url = empty_db.url.render_as_string(hide_password=False)
    dated = create_engine(url, connect_args={"options": "-c observatory.observed_on=2024-06-30"})
    try:
        later = write_csv(
            tmp_path / "june.csv", [row(record_ref="C1", status="PBC")], header=HEADER
        )
        ingest_one(dated, later)
    finally:
        dated.dispose()
    assert [(r[1], r[2]) for r in history_rows(empty_db)][-1] == ("in_court", date(2024, 6, 30))


def test_demo_status_progressions_load_into_a_history_that_moves_forward(empty_db, tmp_path):
    import numpy as np

    from etl.demo.justice import apply_status_progressions, ingest_dated
    from etl.demo.load import build_demo
    from etl.demo.model import period_for
    from etl.ingest import ingest_files
    from geodata.boundaries import load_ward_frame

    reference = date(2025, 1, 15)
    start, end = period_for(reference)
    build = build_demo(20241, tmp_path / "demo", reference_date=reference)
    dated = apply_status_progressions(np.random.default_rng(3), build, start)
    assert [f.as_of for f in dated] == sorted(f.as_of for f in dated)
    assert {f.as_of.month for f in dated} == {3, 6, 9, 12} and sum(f.update for f in dated) >= 6
    load_ward_frame(empty_db, build.geography.wards, attribution=build.geography.attribution)
    police = {f.path for f in dated}
    for group in build.files:
        others = [p for p in group.paths if p not in police]
        if others:
            ingest_files(others, agency=group.agency.name,
                         agency_type=group.agency.agency_type, engine=empty_db)  # fmt: skip
    reports = ingest_dated(empty_db, dated)
    assert not [r for r in reports if r.get("failed")]
    assert sum(r["updated"] for r in reports) > 500  # cases moved on in later re-issues
    cases, history = justice_queries.cases_and_history(empty_db)
    police_cases = cases[cases["agency_type"] == "police_station"]
    rank = history["status"].map({"reported": 0, "under_investigation": 1, "in_court": 2,
                                  "convicted": 3, "acquitted": 3})  # fmt: skip
    steps = rank.groupby(history["incident_id"]).diff().dropna()
    assert (steps > 0).all()  # never back along the chain
    later = history[history.duplicated("incident_id")]
    assert set(later["observed_on"].dt.strftime("%m-%d")) <= {"06-30", "09-30", "12-31"}
    funnel = justice.funnel(police_cases, history).set_index("stage")["share"]
    assert 0.5 < funnel["under_investigation"] < 0.7  # 62% planted, some not yet
    assert 0.1 < funnel["in_court"] < funnel["under_investigation"] * 0.42
    durations = justice.stage_durations(history, as_of=end).set_index("stage")
    assert durations.loc["under_investigation", "finished"] > 100


def _random_registers(engine, seed: int = 11, cases: int = 400) -> None:
    """Cases over two agencies, three categories and the square wards (some with no
    ward or no report date), each with 0-4 statuses in random order, repeats and
    same-day ties included: what the SQL must count exactly as the pandas reference."""
    import numpy as np

    rng = np.random.default_rng(seed)
    load_square_wards(engine)
    statuses = list(justice.STAGES)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agencies (id, name, agency_type) VALUES "
                "(1, 'Central Police Station', 'police_station'), (2, 'Hospital', 'hospital')"
            )
        )
        ward_codes = list(conn.execute(text("SELECT code FROM wards ORDER BY code")).scalars())
        day0 = date(2023, 1, 1)
        for k in range(cases):
            occurred = pd.Timestamp(day0) + pd.Timedelta(days=int(rng.integers(0, 600)))
            reported = None if rng.random() < 0.2 else occurred + pd.Timedelta(days=1)
            ward = None if rng.random() < 0.1 else ward_codes[int(rng.integers(len(ward_codes)))]
            conn.execute(
                text(
                    "INSERT INTO incidents (id, agency_id, record_ref, category, occurred_from, "
                    "time_known, reported_on, ward_code, geocode_method, row_hash) VALUES "
                    "(:id, :agency, :ref, :category, :occurred, true, :reported, :ward, "
                    "'unresolved', 'x')"
                ),
                {
                    "id": k + 1,
                    "agency": int(rng.integers(1, 3)),
                    "ref": f"R{k}",
                    "category": ["robbery", "theft", "assault"][int(rng.integers(3))],
                    "occurred": occurred.to_pydatetime(),
                    "reported": None if reported is None else reported.to_pydatetime(),
                    "ward": ward,
                },
            )
            for _ in range(int(rng.integers(0, 5))):
                conn.execute(
                    text(
                        "INSERT INTO incident_status_history (incident_id, status, observed_on) "
                        "VALUES (:id, :status, :day)"
                    ),
                    {
                        "id": k + 1,
                        "status": statuses[int(rng.integers(len(statuses)))],
                        "day": (occurred + pd.Timedelta(days=int(rng.integers(0, 40)) * 7)).date(),
                    },
                )
        # Written directly, past the ingest: bring the per-case summary up to date as
        # finish_import does after a load.
        summaries.refresh(conn)


@pytest.mark.parametrize("categories", [(), ("robbery", "theft")])
def test_sql_justice_reads_equal_the_pandas_reference(empty_db, categories):
    """The page's reads count in SQL; on random registers they give exactly the
    tables of geodata.stats.justice on the same cases and histories."""
    _random_registers(empty_db)
    args = {"categories": categories}
    cases, history = justice_queries.cases_and_history.uncached(empty_db, **args)
    assert len(cases) > 200 and history["incident_id"].nunique() > 150
    count, as_of = justice_queries.case_count_and_latest_day.uncached(empty_db, **args)
    latest = max(cases["reported_on"].max(), history["observed_on"].max()).date()
    assert (count, as_of) == (len(cases), latest)
    for by in ((), ("category",), ("agency",), ("ward_code",)):
        got = justice_queries.justice_funnel.uncached(empty_db, None, None, by, **args)
        pd.testing.assert_frame_equal(got, justice.funnel(cases, history, by), check_dtype=False)
    pd.testing.assert_frame_equal(
        justice_queries.justice_durations.uncached(empty_db, as_of, **args),
        justice.stage_durations(history, as_of),
        check_dtype=False,
    )
    stuck = justice_queries.stuck_cases.uncached(empty_db, as_of, 20, **args)
    expected = justice.stuck_cases(cases, history, as_of, 20)[list(stuck.columns)]
    assert len(stuck) == 20
    pd.testing.assert_frame_equal(stuck, expected, check_dtype=False)
    periods = ((date(2023, 3, 1), date(2023, 8, 31)), (date(2023, 9, 1), date(2024, 2, 29)))
    pd.testing.assert_frame_equal(
        justice_queries.justice_change.uncached(empty_db, *periods, **args),
        justice.period_change(cases, history, *periods),
        check_dtype=False,
    )
