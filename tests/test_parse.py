"""Dates, times, coordinates and headers as clerks write them (pure, no database)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from etl import headers, parse
from etl.normalise import normalise
from geodata import vocab

MARCH_12 = pd.Timestamp("2024-03-12")


@pytest.mark.parametrize(
    "text",
    ["2024-03-12", "12/03/2024", "12/3/24", "12-Mar-2024", "12 March 2024", "45363", "12.03.2024"],
)
def test_every_date_form_of_the_template_reads_as_the_same_day(text):
    parsed = parse.parse_datetimes(pd.Series([text]))
    assert parsed.values[0] == MARCH_12
    assert not parsed.has_time[0]
    assert not parsed.bad[0]


@pytest.mark.parametrize(
    "text", ["12th March 2024", "12 MAR 2024", "12 Sept 2024".replace("Sept", "Mar")]
)
def test_ordinals_and_upper_case_months_are_accepted(text):
    assert parse.parse_datetimes(pd.Series([text])).values[0] == MARCH_12


def test_dates_are_day_first_as_written_in_kenya():
    parsed = parse.parse_datetimes(pd.Series(["05/04/2024", "5/4/24"]))
    assert list(parsed.values) == [pd.Timestamp("2024-04-05")] * 2


@pytest.mark.parametrize(
    "text", ["31/02/2024", "2024-02-30", "32/01/2024", "yesterday", "12/13/2024"]
)
def test_impossible_dates_are_flagged_not_guessed(text):
    parsed = parse.parse_datetimes(pd.Series([text]))
    assert pd.isna(parsed.values[0])
    assert parsed.bad[0]


def test_empty_date_is_missing_not_bad():
    parsed = parse.parse_datetimes(pd.Series([""]))
    assert pd.isna(parsed.values[0]) and not parsed.bad[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-12 21:30:00", "2024-03-12 21:30"),
        ("12/03/2024 21:30", "2024-03-12 21:30"),
        ("12/03/2024 9.30pm", "2024-03-12 21:30"),
        ("12 March 2024 2130hrs", "2024-03-12 21:30"),
        ("45363.875", "2024-03-12 21:00"),
    ],
)
def test_a_date_cell_may_hold_the_time_too(text, expected):
    parsed = parse.parse_datetimes(pd.Series([text]))
    assert parsed.values[0] == pd.Timestamp(expected)
    assert parsed.has_time[0]


def test_a_spreadsheet_midnight_on_a_date_is_a_date_without_time():
    parsed = parse.parse_datetimes(pd.Series(["2024-03-12 00:00:00"]))
    assert parsed.values[0] == MARCH_12 and not parsed.has_time[0]


def test_excel_serials_outside_the_plausible_range_are_not_dates():
    parsed = parse.parse_datetimes(pd.Series(["12345", "99999"]))
    assert parsed.bad.all()


@pytest.mark.parametrize(
    "text",
    ["21:30", "2130hrs", "2130 HRS", "9.30pm", "9:30 PM", "9:30 p.m.", "21.30", "21:30:00", "2130"],
)
def test_every_time_form_reads_as_half_past_nine_at_night(text):
    parsed = parse.parse_times(pd.Series([text]))
    assert parsed.values[0] == 21 * 60 + 30
    assert not parsed.bad[0]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("12am", 0),
        ("12:15 a.m.", 15),
        ("12 noon", None),
        ("noon", 720),
        ("9 am", 540),
        ("0930", 570),
    ],
)
def test_twelve_hour_edges(text, minutes):
    parsed = parse.parse_times(pd.Series([text]))
    if minutes is None:
        assert parsed.bad[0]
    else:
        assert parsed.values[0] == minutes


@pytest.mark.parametrize("text", ["25:00", "21:75", "13pm", "9", "late night"])
def test_impossible_times_are_flagged(text):
    parsed = parse.parse_times(pd.Series([text]))
    assert math.isnan(parsed.values[0]) and parsed.bad[0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-1.3133", -1.3133),
        ("1.3133 S", -1.3133),
        ("S 1.3133", -1.3133),
        ("1.3133S", -1.3133),
        ("0.5 N", 0.5),
        ("36.7876 E", 36.7876),
        ("36,7876", 36.7876),
        ("36.7876°E", 36.7876),
    ],
)
def test_coordinates_with_hemisphere_letters(text, value):
    parsed = parse.parse_coordinates(pd.Series([text]))
    assert parsed.values[0] == pytest.approx(value)
    assert not parsed.bad[0]


@pytest.mark.parametrize("text", ["abc", "1.2.3", "N 1.2 S", "-"])
def test_unreadable_coordinates_are_flagged(text):
    parsed = parse.parse_coordinates(pd.Series([text]))
    assert math.isnan(parsed.values[0]) and parsed.bad[0]


@pytest.mark.parametrize(
    "text", ["-1.3133, 36.7876", "1.3133 S, 36.7876 E", "(-1.3133; 36.7876)", "-1.3133 36.7876"]
)
def test_a_gps_cell_holds_latitude_then_longitude(text):
    lat, lon = parse.parse_gps(pd.Series([text]))
    assert (lat.values[0], lon.values[0]) == pytest.approx((-1.3133, 36.7876))


def test_swapped_coordinates_are_put_back_and_flagged():
    lat = pd.Series([36.7876, -1.3133, 10.0])
    lon = pd.Series([-1.3133, 36.7876, 10.0])
    fixed_lat, fixed_lon, swapped = parse.fix_swapped(lat, lon)
    assert list(swapped) == [True, False, False]
    assert fixed_lat[0] == -1.3133 and fixed_lon[0] == 36.7876
    assert fixed_lat[2] == 10.0  # outside Kenya either way: left as written


def test_parsing_is_per_distinct_text_but_keeps_row_order():
    rng = np.random.default_rng(3)
    days = pd.date_range("2023-01-01", periods=50).strftime("%d/%m/%Y").to_numpy()
    cells = pd.Series(rng.choice(days, 5000))
    parsed = parse.parse_datetimes(cells)
    assert (parsed.values.dt.strftime("%d/%m/%Y") == cells).all()


@pytest.mark.parametrize(
    ("header", "column"),
    [
        (header, column)
        for column, words in headers.SYNONYMS.items()
        for header in (column, *words, column.upper(), column.replace("_", " ").title())
    ],
)
def test_every_header_synonym_maps_to_its_column(header, column):
    assert headers.map_headers([header]).columns == {column: 0}


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("OB No.", "record_ref"),
        ("ob_number", "record_ref"),
        ("Record ref", "record_ref"),
        ("O.B. Number", "record_ref"),
        ("GPS/Lat", "latitude"),
        ("Date of Occurrence", "occurred_on"),
    ],
)
def test_header_matching_ignores_case_spaces_underscores_dots_and_slashes(header, column):
    assert headers.map_headers([header]).columns == {column: 0}


@pytest.mark.parametrize(
    "header",
    [
        "Complainant",
        "Victim name",
        "Name",
        "Names",
        "Phone",
        "Tel",
        "Tel No.",
        "Mobile",
        "ID No",
        "National ID",
        "Passport",
        "Name of complainant",
        "Suspect",
        "Email",
    ],
)
def test_personal_identifier_columns_are_dropped(header):
    mapped = headers.map_headers(["OB No", header])
    assert mapped.dropped == [header]
    assert mapped.columns == {"record_ref": 0}


def test_agency_name_is_the_agency_not_a_personal_name():
    mapped = headers.map_headers(["Agency name", "Remarks", "Hotel"])
    assert mapped.columns == {"agency": 0}
    assert mapped.ignored == ["Remarks", "Hotel"]


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("PUI", "under_investigation"),
        ("Pending under investigation", "under_investigation"),
        ("taken to court", "in_court"),
        ("Convicted", "convicted"),
        ("P.B.C", "in_court"),
        ("resolved locally", "resolved_locally"),
        ("withdrawn", "withdrawn"),
    ],
)
def test_status_synonyms(text, status):
    assert vocab.status(text) == status


def _raw(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"row": range(2, n + 2), **columns})


def test_occurred_until_may_be_a_time_on_the_next_day():
    raw = _raw(
        agency=["A"] * 3,
        record_ref=["1", "2", "3"],
        category=["burglary"] * 3,
        occurred_on=["12/03/2024"] * 3,
        occurred_time=["22:00", "06:00", ""],
        occurred_until=["07:00", "08:30", "13/03/2024 07:00"],
    )
    frame = normalise(raw, agency_type="police_station").frame
    assert list(frame["occurred_to"]) == [
        pd.Timestamp("2024-03-13 07:00"),
        pd.Timestamp("2024-03-12 08:30"),
        pd.Timestamp("2024-03-13 07:00"),
    ]
    assert list(frame["time_known"]) == [True, True, False]


def test_age_and_sex_forms():
    raw = _raw(
        agency=["A"] * 5,
        record_ref=list("12345"),
        category=["assault"] * 5,
        occurred_on=["2024-03-12"] * 5,
        victim_sex=["female", "M", "ke", "me", "unknown"],
        victim_age=["25 yrs", "18 - 24", "60+", "adult", "n/a"],
    )
    frame = normalise(raw, agency_type="chief").frame
    assert list(frame["victim_sex"].fillna("-")) == ["F", "M", "F", "M", "-"]
    assert list(frame["victim_age"].fillna("-")) == ["25", "18-24", "60+", "adult", "-"]
