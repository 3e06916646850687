"""Feedback on police services: the example file loads, identical feedback from two
people is kept twice, re-imports add nothing, identity columns refuse the file, and
the monthly per-station figures are what the rows say."""

from __future__ import annotations

import os
import subprocess
from datetime import date

import pytest
from sqlalchemy import text

from etl.feedback import load_feedback, read_feedback
from geodata.errors import ObservatoryError
from geodata.queries import feedback as queries
from tests.conftest import REPO

EXAMPLE = REPO / "docs" / "examples" / "feedback.csv"


def stored(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT station, received_on, channel, rating, complaint_category, resolved "
                "FROM feedback_records ORDER BY received_on, station, id"
            )
        ).all()


def test_example_loads_and_reimport_adds_nothing(empty_db):
    report = load_feedback(EXAMPLE, engine=empty_db)
    assert (report["rows_read"], report["inserted"], report["stations"]) == (6, 6, 2)
    rows = stored(empty_db)
    kilimani = "Kilimani Police Station"
    assert rows[0] == (kilimani, date(2025, 3, 2), "sms", 4, None, None)
    assert rows[1] == rows[0]  # two people, same rating, same day: both kept
    assert (kilimani, date(2025, 3, 14), "paper", 1, "bribery", True) in rows
    assert ("Kibera Police Station", date(2025, 4, 1), "in_person", 3, "rudeness", True) in rows
    assert rows[2][2] == "ussd"
    again = load_feedback(EXAMPLE, engine=empty_db)
    assert (again["inserted"], again["unchanged"]) == (0, 6)
    assert len(stored(empty_db)) == 6


def test_a_later_export_repeating_earlier_rows_adds_only_new_ones(empty_db, tmp_path):
    load_feedback(EXAMPLE, engine=empty_db)
    later = tmp_path / "feedback-april.csv"
    later.write_text(
        EXAMPLE.read_text() + "Kilimani Police Station,2025-03-02,sms,4,,\n"
        "Kibera Police Station,2025-04-03,whatsapp,2,delay,no\n"
    )
    report = load_feedback(later, engine=empty_db)
    # The third identical Kilimani sms rating is a new person's; the rest were loaded.
    assert (report["inserted"], report["unchanged"]) == (2, 6)


def test_identity_columns_refuse_the_file(empty_db, tmp_path):
    path = tmp_path / "with-names.csv"
    path.write_text(
        "station,date,channel,rating,Caller name,Phone\n"
        "Kibera Police Station,2025-03-07,sms,5,Wanjiku Kamau,0722000111\n"
    )
    with pytest.raises(ObservatoryError, match=r"'Caller name', 'Phone' hold names, phone"):
        load_feedback(path, engine=empty_db)
    assert stored(empty_db) == []


def test_bad_rows_are_listed_with_row_column_and_fix(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "Station,Date,Channel,Rating,Complaint,Resolved\n"
        "Kibera Police Station,2025-03-07,pigeon,5,,\n"
        "Kibera Police Station,soon,sms,7,delay,maybe\n"
    )
    with pytest.raises(ObservatoryError) as caught:
        read_feedback(path)
    message = str(caught.value)
    assert message.startswith("bad.csv: ")
    assert "row 3, column Date: 'soon' is not a date" in message
    assert "row 2, column Channel: 'pigeon' is not one of sms, ussd, web, paper" in message
    assert "row 3, column Rating: '7' is not a whole number from 1 to 5" in message
    assert "row 3, column Resolved: 'maybe' is not yes or no" in message


def test_monthly_station_figures(empty_db):
    load_feedback(EXAMPLE, engine=empty_db)
    monthly = queries.feedback_monthly(empty_db)
    kilimani = monthly[monthly["station"] == "Kilimani Police Station"].iloc[0]
    assert kilimani["month"].strftime("%Y-%m") == "2025-03"
    assert kilimani[["records", "rated", "complaints", "resolved"]].tolist() == [4, 4, 2, 1]
    assert kilimani["mean_rating"] == pytest.approx((4 + 4 + 2 + 1) / 4)
    assert kilimani["resolved_share"] == 0.5
    kibera = monthly[monthly["station"] == "Kibera Police Station"]
    assert kibera["month"].dt.month.tolist() == [3, 4]
    complaints = queries.feedback_complaints(empty_db, stations=("Kilimani Police Station",))
    assert complaints[["complaint_category", "complaints", "resolved"]].values.tolist() == [
        ["bribery", 1, 1],
        ["delay", 1, 0],
    ]
    assert queries.feedback_stations(empty_db) == [
        "Kibera Police Station",
        "Kilimani Police Station",
    ]


def test_cli_feedback_load(empty_db):
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "observatory"), "feedback", "load", str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip() == "feedback.csv: 6 records from 2 stations, 6 new, 0 already loaded"
    )
