"""Trends and CompStat: hand-worked tables, zero bases and small numbers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geodata.stats.trends import (
    change_label,
    compare,
    compstat_table,
    monthly_counts,
    period_comparison,
    periods,
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
