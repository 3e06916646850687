"""The analytics aggregates against pandas on the raw incidents: seeded files through
the real ETL, then every query (cells, wards, clock, band, daylight, trends,
CompStat) compared with the pure statistics run on the stored rows; and the
aggregates after a re-import that changes rows."""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy import text

from geodata import cache
from geodata.aggregates import refresh_aggregates
from geodata.boundaries import load_ward_frame
from geodata.queries import analytics, comparisons
from geodata.queries import clock as clock_queries
from geodata.queries.filters import IncidentFilter
from geodata.stats.aoristic import aoristic_hours, crime_clock
from geodata.stats.daylight import daylight_split
from geodata.stats.trends import compstat_table, period_comparison

LAST_DAY = date(2024, 6, 30)
CATEGORIES = ("theft", "assault", "robbery", "burglary", "sexual_violence")
AGENCIES = {"North Police Station": "police", "Mama Lucy Hospital": "health_facility"}
N_ROWS = 500
NIGHT = (18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5)


def _wards() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["T1", "T2", "T3"],
            "name": ["West", "East", "Empty"],
            "county": ["Test", "Test", "Other"],
            "population": [12_000, 30_000, None],
        },
        geometry=[
            box(36.80, -1.35, 36.85, -1.30),
            box(36.85, -1.35, 36.90, -1.30),
            box(36.90, -1.35, 36.95, -1.30),
        ],
        crs="EPSG:4326",
    )


def _rows(agency: str, seed: int, n: int = N_ROWS) -> pd.DataFrame:
    """Exact times, night windows, date-only rows and rows with no position."""
    rng = np.random.default_rng(seed)
    first = LAST_DAY - timedelta(days=729)
    days = rng.integers(0, 730, n)
    days[0] = 729
    kind = rng.choice(["exact", "window", "date"], n, p=[0.7, 0.2, 0.1])
    hours, minutes = rng.integers(0, 24, n), rng.integers(0, 60, n)
    time = [f"{h:02d}:{m:02d}" for h, m in zip(hours, minutes, strict=True)]
    until = [f"{(h + 3 + m % 7) % 24:02d}:15" for h, m in zip(hours, minutes, strict=True)]
    lat = rng.uniform(-1.349, -1.301, n).round(6)
    lon = rng.uniform(36.801, 36.899, n).round(6)
    unplaced = rng.random(n) < 0.05
    return pd.DataFrame(
        {
            "agency": agency,
            "agency_type": AGENCIES[agency],
            "record_ref": [f"{agency[:4].upper()}/{i:04d}" for i in range(n)],
            "category": rng.choice(CATEGORIES, n, p=[0.35, 0.25, 0.2, 0.1, 0.1]),
            "occurred_on": [(first + timedelta(days=int(d))).isoformat() for d in days],
            "occurred_time": np.where(kind == "date", "", time),
            "occurred_until": np.where(kind == "window", until, ""),
            "latitude": np.where(unplaced, np.nan, lat),
            "longitude": np.where(unplaced, np.nan, lon),
        }
    )


def _ingest(engine, tmp_path, frame: pd.DataFrame, name: str) -> dict:
    from etl.ingest import ingest_files

    path = tmp_path / name
    frame.to_csv(path, index=False)
    (report,) = ingest_files([path], progress=False, engine=engine)
    assert not report["failed"], report
    return report


@pytest.fixture(autouse=True)
def _count_records(monkeypatch):
    """These tests compare with pandas counts of stored rows, so they count records
    (the two agencies' random rows sometimes link as one event)."""
    monkeypatch.setenv("OBSERVATORY_COUNT_UNIT", "records")


@pytest.fixture
def loaded(empty_db, tmp_path):
    load_ward_frame(empty_db, _wards(), attribution="Test wards (CC0)")
    for seed, agency in enumerate(AGENCIES):
        report = _ingest(empty_db, tmp_path, _rows(agency, seed + 1), f"{seed}.csv")
        assert report["inserted"] == N_ROWS
    return empty_db


def _raw(engine) -> pd.DataFrame:
    """Every stored incident, read straight from the table."""
    with engine.connect() as conn:
        frame = pd.read_sql(
            text(
                "SELECT id, category, agency_id, ward_code, h3_7::text, h3_8::text, "
                "h3_9::text, occurred_from, occurred_to, time_known, ST_Y(geom) AS lat, "
                "ST_X(geom) AS lon FROM incidents ORDER BY id"
            ),
            conn,
        )
    # As text: a column with NULLs would pass through float64 and lose digits.
    for res in (7, 8, 9):
        frame[f"h3_{res}"] = pd.array(
            [None if pd.isna(v) else int(v) for v in frame[f"h3_{res}"]], dtype="Int64"
        )
    frame["day"] = frame["occurred_from"].dt.date
    return frame


def _between(raw: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    return raw[(raw["day"] >= start) & (raw["day"] <= end)]


def test_cell_and_ward_counts_equal_pandas(loaded):
    raw = _raw(loaded)
    assert raw["time_known"].any() and not raw["time_known"].all()
    assert raw["occurred_to"].notna().any() and raw["lat"].isna().any()
    start, end = date(2023, 7, 1), LAST_DAY
    for res in (7, 8, 9):
        got = analytics.cell_counts(loaded, res, IncidentFilter(start, end))
        want = _between(raw, start, end).dropna(subset=[f"h3_{res}"])
        want = want.groupby(f"h3_{res}").size()
        assert got["h3"].tolist() == [int(c) for c in want.index]
        assert got["count"].tolist() == want.astype(float).tolist()
    agency = int(raw["agency_id"].min())
    got = analytics.cell_counts(
        loaded, 8, IncidentFilter(start, end, ("robbery", "theft"), (agency,), ("T1",))
    )
    sub = _between(raw, start, end)
    sub = sub[
        sub["category"].isin(["robbery", "theft"])
        & (sub["agency_id"] == agency)
        & (sub["ward_code"] == "T1")
    ]
    assert 0 < got["count"].sum() == len(sub.dropna(subset=["h3_8"]))
    cell = int(got.sort_values("count").iloc[-1]["h3"])
    focused = analytics.cell_counts(loaded, 9, IncidentFilter(start, end, cell=cell))
    assert focused["count"].sum() == (_between(raw, start, end)["h3_8"] == cell).sum()

    wards = analytics.ward_counts(loaded, IncidentFilter(start, end, ("assault",)))
    sub = _between(raw, start, end)
    per_ward = sub[sub["category"] == "assault"].groupby("ward_code").size()
    assert wards["ward_code"].tolist() == ["T1", "T2", "T3"]
    assert wards["count"].tolist() == [per_ward.get("T1", 0), per_ward.get("T2", 0), 0]
    assert wards["rate"].iloc[0] == pytest.approx(1000 * per_ward["T1"] / 12_000)
    assert np.isnan(wards["rate"].iloc[2])  # no population loaded: no rate
    other = analytics.ward_counts(loaded, IncidentFilter(start, end, counties=("Other",)))
    assert other["ward_code"].tolist() == ["T3"]


def test_cell_wards_count_each_cells_incidents_by_ward_in_one_read(loaded):
    """The meeting names a hexagon for the ward most of its incidents fall in; a cell
    across the boundary between West and East counts in both."""
    raw = _raw(loaded)
    start, end = date(2023, 7, 1), LAST_DAY
    sub = _between(raw, start, end).dropna(subset=["h3_7", "ward_code"])
    want = sub.groupby(["h3_7", "ward_code"]).size()
    straddling = [int(c) for c, n in want.groupby(level=0).size().items() if n > 1]
    assert straddling  # the fixture's wards share a boundary that cells cross
    cells = tuple(sorted({int(c) for c in sub["h3_7"]}))
    got = analytics.cell_wards(loaded, 7, cells, IncidentFilter(start, end))
    assert {(int(c), w): n for (c, w), n in want.items()} == {
        (c, w): n for c, w, n in zip(got["cell"], got["ward_code"], got["count"], strict=True)
    }
    first = got.drop_duplicates("cell").set_index("cell")
    for cell in straddling:
        counts = want.loc[cell]
        assert first.loc[cell, "count"] == counts.max()
    names = dict(zip(got["ward_code"], got["name"], strict=True))
    assert names == {"T1": "West", "T2": "East"}
    robbery = analytics.cell_wards(
        loaded, 7, cells, IncidentFilter(start, end, ("robbery",), wards=("T2",))
    )
    assert set(robbery["ward_code"]) == {"T2"}
    assert (
        robbery["count"].sum()
        == ((sub["category"] == "robbery") & (sub["ward_code"] == "T2")).sum()
    )
    assert analytics.cell_wards(loaded, 7, (), IncidentFilter(start, end)).empty


def test_clock_equals_crime_clock_on_the_raw_rows(loaded):
    raw = _raw(loaded)
    start, end = date(2023, 1, 1), LAST_DAY
    sub = _between(raw, start, end)
    sub = sub[sub["ward_code"].isin(["T1", "T2"])]
    want = crime_clock(sub)
    got = clock_queries.clock_weights(loaded, IncidentFilter(start, end, wards=("T1", "T2")))
    for name in ("hour", "weekday_hour", "date_only"):
        mine, theirs = getattr(got, name), getattr(want, name)
        assert mine.columns.tolist() == theirs.columns.tolist()
        pd.testing.assert_frame_equal(
            mine.reset_index(drop=True), theirs.reset_index(drop=True), check_dtype=False
        )
    assert got.date_only_total == pytest.approx((~sub["time_known"]).sum())
    assert got.timed_total == pytest.approx(sub["time_known"].sum())


def test_a_time_band_counts_the_aoristic_share_inside_it(loaded):
    raw = _raw(loaded)
    start, end = date(2022, 7, 1), LAST_DAY
    sub = _between(raw, start, end).reset_index(drop=True)
    spread = aoristic_hours(sub["occurred_from"], sub["occurred_to"], sub["time_known"])
    spread = spread[spread["hour"].dt.hour.isin(NIGHT)]
    spread["h3_8"] = sub["h3_8"].array[spread["incident"].to_numpy()]
    want = spread.dropna(subset=["h3_8"]).groupby("h3_8")["weight"].sum()
    got = analytics.cell_counts(loaded, 8, IncidentFilter(start, end, hours=NIGHT)).set_index("h3")[
        "count"
    ]
    assert got.index.tolist() == [int(c) for c in want.index]
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy())
    # Fractional: a window across the band's edge counts only in part; date-only
    # incidents never enter a band.
    assert 0 < got.sum() < len(sub.dropna(subset=["h3_8"]))
    clock = clock_queries.clock_weights(loaded, IncidentFilter(start, end, hours=NIGHT))
    assert set(clock.hour.loc[clock.hour["weight"] > 0, "hour"]) <= set(NIGHT)
    assert clock.date_only_total == 0


def test_daylight_split_equals_the_statistic(loaded):
    raw = _raw(loaded)
    start, end = date(2023, 7, 1), LAST_DAY
    want = daylight_split(_between(raw, start, end))
    got = clock_queries.daylight_counts(loaded, IncidentFilter(start, end))
    assert got["category"].tolist() == want["category"].tolist()
    for column in ("daylight", "darkness", "unknown", "total"):
        np.testing.assert_allclose(got[column], want[column], atol=1e-9)
    assert (got["darkness"] > 0).all() and (got["unknown"] > 0).any()


def test_trends_and_compstat_equal_pandas(loaded):
    raw = _raw(loaded)
    start, end = date(2023, 7, 9), LAST_DAY  # mid-month: the first month is partial
    for by, column in (("category", "category"), ("agency", "agency_id")):
        got = analytics.monthly_trend(loaded, IncidentFilter(start, end), by=by)
        inside = _between(raw, start, end)
        want = inside.groupby([inside["occurred_from"].dt.to_period("M"), column]).size()
        assert got["count"].tolist() == want.astype(float).tolist()
        assert got["group"].tolist() == [g for _, g in want.index]
    as_of = LAST_DAY - timedelta(days=3)
    table = comparisons.compstat_by_ward(loaded, as_of, IncidentFilter())
    daily = raw.rename(columns={"ward_code": "ward"}).dropna(subset=["ward"])
    want = compstat_table(daily, as_of, wards=["T1", "T2", "T3"])
    pd.testing.assert_frame_equal(
        table.drop(columns="name"), want, check_dtype=False, check_index_type=False
    )
    assert table["name"].tolist()[-1] == "All wards" and "West" in table["name"].tolist()
    cards = comparisons.period_cards(loaded, as_of, IncidentFilter(categories=("theft",)))
    thefts = raw[raw["category"] == "theft"]
    for kind in ("recent", "ytd"):
        row = period_comparison(thefts, as_of, kind=kind).iloc[0]
        assert (cards[kind]["current"], cards[kind]["previous"]) == (
            row["current"],
            row["previous"],
        )


def test_trend_page_draws_only_the_days_the_data_holds(loaded):
    """A range wider than the data, ending mid-month: no empty months before or after
    the data, the partial ends paced and labelled; a comparison reaching back before
    the first day of data says so instead of a percent change."""
    from dashboard.callbacks.analytics import trend_outputs
    from dashboard.figures.trends import NOT_COMPARABLE

    raw = _raw(loaded)
    data_first = raw["day"].min()
    end = date(2024, 6, 19)
    args = {"start": date(2021, 1, 1), "end": end, "categories": ("theft",)}
    by_category, _by_agency, cards, _table = trend_outputs(loaded, dict(args))
    line, _dotted, hollow = by_category.data
    assert line.x[0] == f"{data_first:%Y-%m}-01" and line.x[-1] == "2024-06-01"
    assert line.y[-1] is None and list(hollow.x)[-1] == "2024-06-01"
    june = _between(raw, date(2024, 6, 1), end)
    assert hollow.customdata[-1][1:] == [(june["category"] == "theft").sum(), 19]
    assert hollow.y[-1] == pytest.approx(hollow.customdata[-1][1] * 30 / 19, abs=0.05)
    assert by_category.layout.annotations[-1].text == "1–19 Jun: partial, drawn at its pace"

    # Year to date in 2024 against 2023: covered. The 28 days before a date five weeks
    # into the data: not covered.
    cards = comparisons.period_cards(loaded, end, IncidentFilter())
    assert cards["ytd"]["not_comparable"] is None
    early = data_first + timedelta(days=35)
    cards = comparisons.period_cards(loaded, early, IncidentFilter())
    note = cards["recent"]["not_comparable"]
    assert note == (
        f"data starts {data_first.day} {data_first:%b %Y}, within the 28 days before: "
        "not comparable"
    )
    assert cards["ytd"]["not_comparable"].startswith("no data before")
    recent_card = trend_outputs(loaded, {**args, "end": early, "categories": ()})[2][0]
    change = str(recent_card.children[2].to_plotly_json())
    assert NOT_COMPARABLE in change and "%" not in change
    assert note in str(recent_card.to_plotly_json())


def _aggregate_rows(engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    with engine.connect() as conn:
        cells = pd.read_sql(
            text(
                "SELECT day, category, agency_id, ward_code, h3_9, sum(n) AS n, "
                "sum(daylight) AS daylight, sum(darkness) AS darkness FROM incident_cells_daily "
                "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
            ),
            conn,
        )
        hours = pd.read_sql(
            text(
                "SELECT day, category, agency_id, ward_code, h3_9, weekday, hour, "
                "sum(weight) AS weight FROM incident_hours_daily "
                "GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7"
            ),
            conn,
        )
    return cells, hours


def test_a_reimport_that_changes_rows_refreshes_the_aggregates(loaded, tmp_path):
    agency = "North Police Station"
    changed = _rows(agency, 1)
    # Move 40 incidents: another category, another day, another place, no time.
    changed.loc[:19, "category"] = "homicide"
    changed.loc[20:39, "occurred_on"] = (LAST_DAY - timedelta(days=1)).isoformat()
    changed.loc[20:29, ["latitude", "longitude"]] = [-1.31, 36.89]
    changed.loc[30:39, "occurred_time"] = ""
    before = analytics.cell_counts(loaded, 8, IncidentFilter(None, None, ("homicide",)))
    assert before.empty
    report = _ingest(loaded, tmp_path, changed, "again.csv")
    assert report["updated"] == 40 and report["inserted"] == 0

    raw = _raw(loaded)
    homicides = analytics.cell_counts(loaded, 8, IncidentFilter(None, None, ("homicide",)))
    assert homicides["count"].sum() == raw.dropna(subset=["h3_8"]).eq("homicide").sum()["category"]
    start = end = LAST_DAY - timedelta(days=1)
    clock = clock_queries.clock_weights(loaded, IncidentFilter(start, end))
    want = crime_clock(_between(raw, start, end))
    np.testing.assert_allclose(clock.weekday_hour["weight"], want.weekday_hour["weight"])
    np.testing.assert_allclose(clock.date_only["weight"], want.date_only["weight"])
    assert analytics.ward_counts(loaded, IncidentFilter(start, end))["count"].sum() == len(
        _between(raw, start, end)
    )

    # The incremental refresh left what a full rebuild makes.
    incremental = _aggregate_rows(loaded)
    with loaded.begin() as conn:
        assert refresh_aggregates(conn) == len(raw)
        cache.bump_version(conn)
    full = _aggregate_rows(loaded)
    for mine, rebuilt in zip(incremental, full, strict=True):
        pd.testing.assert_frame_equal(mine, rebuilt)


def test_an_unchanged_reimport_leaves_the_aggregates_alone(loaded, tmp_path):
    before = _aggregate_rows(loaded)
    report = _ingest(loaded, tmp_path, _rows("Mama Lucy Hospital", 2), "same.csv")
    assert report["unchanged"] == N_ROWS
    after = _aggregate_rows(loaded)
    for old, new in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(old, new)


def test_pages_with_nothing_to_count_say_so(loaded):
    """No incidents loaded (the filters then have no end day: maps.date_bounds has
    none) or none matching (the hot-spot statistics): an empty answer, not an error."""
    from dashboard.callbacks.analytics import trend_outputs

    args = {"start": None, "end": None, "categories": (), "agencies": (), "wards": ()}
    by_category, _by_agency, cards, table = trend_outputs(loaded, dict(args))
    assert by_category.data == () and cards == [] and table.children == "No incidents loaded yet."
    gi = comparisons.gi_cells(
        loaded, 8, IncidentFilter(date(2024, 1, 1), LAST_DAY, ("no_such_category",))
    )
    assert gi.empty and "gi_z" in gi
