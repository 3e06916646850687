"""Trends and CompStat: hand-worked tables, zero bases, small numbers, partial months
and earlier periods the data does not cover."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geodata.stats.trends import (
    MIN_PACE_DAYS,
    SMALL_NUMBER,
    change_label,
    compare,
    compstat_table,
    month_coverage,
    monthly_counts,
    not_comparable_note,
    paced_counts,
    period_comparison,
    periods,
    small_numbers,
)

AS_OF = dt.date(2024, 3, 28)


def days(*pairs) -> pd.DataFrame:
    """Incidents from (date, ward, category, how many) rows."""
    rows = [
        {"occurred_from": pd.Timestamp(d) + pd.Timedelta(hours=21), "ward": w, "category": c}
        for d, w, c, n in pairs
        for _ in range(n)
    ]
    return pd.DataFrame(rows)


def test_periods_are_whole_days_ending_on_as_of():
    spans = periods(AS_OF)
    assert spans["recent"] == (dt.date(2024, 3, 1), dt.date(2024, 3, 28))
    assert spans["before"] == (dt.date(2024, 2, 2), dt.date(2024, 2, 29))
    assert spans["ytd"] == (dt.date(2024, 1, 1), AS_OF)
    assert spans["ytd_last_year"] == (dt.date(2023, 1, 1), dt.date(2023, 3, 28))
    assert periods(dt.date(2024, 2, 29))["ytd_last_year"][1] == dt.date(2023, 2, 28)


def test_change_labels():
    assert [change_label(c, p) for c, p in [(15, 12), (9, 12), (12, 12), (4, 0), (0, 0)]] == [
        "+25%",
        "-25%",
        "0%",
        "new",
        "none",
    ]


def test_compare_percent_change_is_none_on_a_zero_base():
    table = compare(pd.Series({"a": 30, "b": 5, "c": 3}), pd.Series({"a": 20, "b": 0}))
    assert table["pct_change"].tolist() == [50.0, None, None]
    assert table["label"].tolist() == ["+50%", "new", "new"]
    assert table["previous"].tolist() == [20, 0, 0]
    assert table["small_number"].tolist() == [False, True, True]


def test_monthly_counts_fill_empty_months_per_category():
    frame = days(
        ("2024-01-10", "A", "theft", 2),
        ("2024-03-31", "A", "theft", 1),
        ("2024-03-05", "B", "assault", 4),
        ("2024-04-01", "B", "assault", 9),  # after the end: left out
    )
    got = monthly_counts(frame, dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    table = got.pivot(index="month", columns="category", values="count")
    assert table["theft"].tolist() == [2, 0, 1]
    assert table["assault"].tolist() == [0, 0, 4]
    assert table.index[0] == pd.Timestamp("2024-01-01")


def test_monthly_counts_from_counts_already_grouped_by_day():
    grouped = pd.DataFrame(
        {"date": pd.to_datetime(["2024-01-02", "2024-01-30", "2024-02-02"]), "count": [5, 2, 1]}
    )
    got = monthly_counts(grouped, dt.date(2024, 1, 1), dt.date(2024, 2, 29), by=())
    assert got["count"].tolist() == [7, 1]


def test_last_28_days_against_the_28_before_by_category():
    frame = days(
        ("2024-03-01", "A", "theft", 12),  # first day of the recent period
        ("2024-02-29", "A", "theft", 10),  # last day of the one before
        ("2024-02-01", "A", "theft", 50),  # before both: ignored
        ("2024-03-28", "A", "assault", 3),
    )
    got = period_comparison(frame, AS_OF, by=["category"]).set_index("category")
    assert got.loc["theft", ["current", "previous", "difference"]].tolist() == [12, 10, 2]
    assert got.loc["theft", "pct_change"] == pytest.approx(20.0)
    assert not got.loc["theft", "small_number"]
    assert got.loc["assault", "label"] == "new" and got.loc["assault", "small_number"]


def test_year_to_date_against_the_same_days_last_year():
    frame = days(
        ("2024-01-01", "A", "theft", 8),
        ("2023-03-28", "A", "theft", 4),
        ("2023-03-29", "A", "theft", 100),  # after the same day last year
    )
    got = period_comparison(frame, AS_OF, kind="ytd")
    assert got[["current", "previous", "label"]].iloc[0].tolist() == [8, 4, "+100%"]


def test_compstat_table_by_ward():
    frame = days(
        ("2024-03-10", "Kibra", "theft", 15),
        ("2024-02-10", "Kibra", "theft", 10),
        ("2024-03-11", "Makina", "theft", 3),
        ("2023-02-01", "Makina", "theft", 6),
        ("2024-02-20", "Karen", "assault", 12),
    )
    got = compstat_table(frame, AS_OF, wards=["Kibra", "Makina", "Karen", "Lindi"])
    assert got["ward"].tolist() == ["Kibra", "Makina", "Lindi", "Karen", "All wards"]
    rows = got.set_index("ward")
    assert rows.loc["Kibra", ["recent", "before", "diff_28", "label_28"]].tolist() == [
        15,
        10,
        5,
        "+50%",
    ]
    assert rows.loc["Kibra", "pct_28"] == pytest.approx(50.0)
    assert not rows.loc["Kibra", "small_28"]
    assert rows.loc["Makina", ["pct_28", "label_28", "small_28"]].tolist() == [None, "new", True]
    assert rows.loc["Makina", ["ytd", "ytd_last_year", "label_ytd"]].tolist() == [3, 6, "-50%"]
    assert rows.loc["Lindi", ["recent", "before", "label_28", "label_ytd"]].tolist() == [
        0,
        0,
        "none",
        "none",
    ]
    assert rows.loc["Karen", "label_28"] == "-100%"
    assert rows.loc["All wards", ["recent", "before", "ytd", "ytd_last_year"]].tolist() == [
        18,
        22,
        40,
        6,
    ]


def test_month_coverage_marks_partial_first_and_last_months():
    got = month_coverage(dt.date(2024, 1, 10), dt.date(2024, 3, 21))
    assert got["month"].tolist() == [pd.Timestamp(f"2024-0{m}-01") for m in (1, 2, 3)]
    assert got["days"].tolist() == [22, 29, 21]  # 2024 is a leap year
    assert got["month_days"].tolist() == [31, 29, 31]
    assert got["partial"].tolist() == [True, False, True]
    assert got["covered_from"].iloc[0] == pd.Timestamp("2024-01-10")
    assert got["covered_to"].iloc[-1] == pd.Timestamp("2024-03-21")
    whole = month_coverage(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert whole["partial"].tolist() == [False]
    assert month_coverage(dt.date(2024, 3, 2), dt.date(2024, 3, 1)).empty


def test_partial_months_are_paced_not_drawn_as_a_fall():
    """30 a month throughout: the 21 days of a partial month hold 21, which read as
    a month would be a 30 % fall; at its pace it is 30 again."""
    daily = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", "2024-03-21", freq="D"), "count": 1.0}
    )
    daily = daily[daily["date"] >= "2024-01-29"]  # the data starts on the 29th
    coverage = month_coverage(dt.date(2024, 1, 29), dt.date(2024, 3, 21))
    monthly = monthly_counts(daily, dt.date(2024, 1, 1), dt.date(2024, 3, 21), by=())
    got = paced_counts(monthly, coverage)
    assert got["count"].tolist() == [3, 29, 21]
    # Three days are too few to pace: no value rather than a guess ten times the count.
    assert np.isnan(got["value"].iloc[0]) and MIN_PACE_DAYS > 3
    assert got["value"].iloc[1] == 29.0  # a whole month keeps its count
    assert got["value"].iloc[2] == pytest.approx(31.0)  # 21 days x 31/21


def test_small_number_rule_is_one_function():
    assert bool(small_numbers(SMALL_NUMBER - 1, 500)) and bool(small_numbers(500, 0))
    assert not small_numbers(SMALL_NUMBER, SMALL_NUMBER)
    table = compare(pd.Series({"a": 30, "b": 30}), pd.Series({"a": 3, "b": 12}))
    assert table["label"].tolist() == ["+900%", "+150%"]
    assert (
        table["small_number"].tolist()
        == small_numbers(table["current"], table["previous"]).tolist()
    )
    assert table["small_number"].tolist() == [True, False]


def test_not_comparable_when_the_earlier_period_starts_before_the_data():
    spans = periods(AS_OF)
    ytd_last_year = spans["ytd_last_year"]  # 1 Jan - 28 Mar 2023
    assert not_comparable_note("ytd", ytd_last_year, dt.date(2023, 1, 1)) is None
    assert not_comparable_note("ytd", ytd_last_year, dt.date(2022, 6, 1)) is None
    assert not_comparable_note("ytd", ytd_last_year, None) is None
    assert (
        not_comparable_note("ytd", ytd_last_year, dt.date(2023, 2, 3))
        == "last year's data starts 3 Feb 2023: not comparable"
    )
    assert (
        not_comparable_note("ytd", ytd_last_year, dt.date(2023, 10, 3))
        == "no data before 3 Oct 2023: not comparable"
    )
    assert not_comparable_note("recent", spans["before"], dt.date(2024, 2, 10)) == (
        "data starts 10 Feb 2024, within the 28 days before: not comparable"
    )
