"""The review queue, completeness and linked-group reads on the seeded demo, checked
against pandas computations from the stored incidents; confirming and splitting a
link through the page's own functions."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from dashboard.callbacks import links as link_page
from dashboard.figures import completeness as completeness_figures
from dashboard.figures import links as link_figures
from geodata import cache, linkage_store
from geodata.gazetteer.matching import AUTO_ACCEPT
from geodata.queries import linkage, review
from geodata.stats.capture_recapture import MIN_OVERLAP, source_overlap
from tests.linked_demo import load_linked_demo

POLICE = {"police_station", "ap_post"}


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    load_linked_demo(engine, tmp_path_factory.mktemp("demo"))
    return engine


def _incidents(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(
            text(
                "SELECT i.id, i.location_text, i.ward_text, i.geocode_method, "
                "i.geocode_confidence, i.ward_code, i.category, i.occurred_from, "
                "i.event_group_id, a.name AS agency, a.agency_type "
                "FROM incidents i JOIN agencies a ON a.id = i.agency_id ORDER BY i.id"
            ),
            conn,
        )


def test_queue_lists_texts_to_review_by_frequency_with_their_counts(demo):
    queue = review.review_queue.uncached(demo, limit=10_000)
    rows = _incidents(demo)
    todo = rows[
        (rows.geocode_method == "unresolved")
        | ((rows.geocode_method != "gps") & (rows.geocode_confidence < AUTO_ACCEPT))
    ]
    todo = todo[todo.location_text.notna() | todo.ward_text.notna()]
    expected = (
        todo.fillna({"location_text": "", "ward_text": ""})
        .groupby(["location_text", "ward_text"])
        .agg(records=("id", "size"), agencies=("agency", "nunique"))
        .reset_index()
    )
    got = queue.fillna({"location_text": "", "ward_text": ""})
    merged = expected.merge(got, on=["location_text", "ward_text"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged.records_x == merged.records_y).all()
    assert (merged.agencies_x == merged.agencies_y).all()
    assert queue["records"].is_monotonic_decreasing
    assert queue["records"].sum() == len(todo) and len(queue) > 20
    # Unresolved texts carry their current placement as "not placed", placed ones a ward.
    placed = queue[queue.method != "unresolved"]
    assert placed["ward_code"].notna().all() and placed["confidence"].lt(AUTO_ACCEPT).all()
    assert any(s for s in queue["suggestions"]), "the gazetteer suggests something"
    assert len(review.review_queue.uncached(demo, limit=5)) == 5


def _expected_completeness(rows: pd.DataFrame) -> pd.DataFrame:
    """Per event: police / other flags, ward and month of its first record with a
    ward, police first; then per ward and month."""
    rows = rows.assign(
        event=rows.event_group_id.fillna(-rows.id).astype("int64"),
        police=rows.agency_type.isin(POLICE),
        month=rows.occurred_from.dt.to_period("M").dt.start_time.dt.date,
    )
    ordered = rows.assign(no_ward=rows.ward_code.isna()).sort_values(
        ["event", "no_ward", "police", "id"], ascending=[True, True, False, True]
    )
    events = ordered.groupby("event").agg(
        ward_code=("ward_code", "first"),
        month=("month", "first"),
        police=("police", "any"),
        other=("police", lambda s: bool((~s).any())),
    )
    events["both"] = events.police & events.other
    events["police_only"] = events.police & ~events.other
    events["other_only"] = events.other & ~events.police
    return (
        events.fillna({"ward_code": ""})
        .groupby(["ward_code", "month"])[["police_only", "other_only", "both"]]
        .sum()
        .astype("int64")
        .reset_index()
    )


def test_completeness_counts_match_the_incidents(demo):
    rows = _incidents(demo)
    table = linkage.completeness_by_ward_month.uncached(demo)
    expected = _expected_completeness(rows)
    got = table.fillna({"ward_code": ""}).astype({"month": object})
    got["month"] = pd.to_datetime(got["month"]).dt.date
    merged = expected.merge(got, on=["ward_code", "month"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    for column in ("police_only", "other_only", "both"):
        assert (merged[f"{column}_x"] == merged[f"{column}_y"]).all(), column
    events = rows.event_group_id.fillna(-rows.id).nunique()
    assert table[["police_only", "other_only", "both"]].to_numpy().sum() == events
    assert table["both"].sum() > 0 and table["agencies"].str.len().gt(0).all()

    estimates = linkage.capture_recapture_by_category.uncached(demo)
    overall = estimates.iloc[0]
    assert overall["category"] == linkage.ALL_CATEGORIES
    assert overall["n1"] == expected.police_only.sum() + expected.both.sum()
    assert overall["n2"] == expected.other_only.sum() + expected.both.sum()
    assert overall["m"] == expected.both.sum() and overall["enough_overlap"]
    assert overall["interval_low"] <= overall["estimated_total"] <= overall["interval_high"]
    assert overall["interval_low"] >= overall["seen"]
    thin = estimates[estimates["m"] < MIN_OVERLAP]
    assert thin["estimated_total"].isna().all()
    assert thin["sentence"].str.startswith("Not enough overlap").all()
    shown = completeness_figures.estimates_table(estimates, MIN_OVERLAP)
    assert "not enough overlap" in str(shown) or thin.empty

    # The page's ward-month table: the first rows, latest month first, counts aligned right.
    lines = completeness_figures.ward_month_table(table, max_rows=5).children.splitlines()
    assert len(lines) == 2 + min(5, len(table)) and lines[1] == "|---|---|---|--:|--:|--:|"
    first = table.iloc[0]
    assert lines[2].startswith(f"| {pd.Timestamp(first['month']):%b %Y} | ")
    counts = " | ".join(f"{int(first[c]):,}" for c in ("police_only", "other_only", "both"))
    assert lines[2].endswith(f" | {counts} |")


def test_completeness_equals_the_reference_overlap_statistic(demo):
    """The set-based SQL gives what geodata.stats.capture_recapture.source_overlap
    gives on the records: counts, agencies and estimates, per ward and month."""
    _assert_completeness_equals_reference(demo)


def _assert_completeness_equals_reference(demo) -> None:
    rows = _incidents(demo)
    rows = rows.assign(
        event_group=rows.event_group_id.fillna(-rows.id).astype("int64"),
        is_police=rows.agency_type.isin(POLICE),
        month=rows.occurred_from.dt.to_period("M").dt.start_time.dt.date,
    )
    lead = (
        rows.assign(no_ward=rows.ward_code.isna())
        .sort_values(
            ["event_group", "no_ward", "is_police", "id"], ascending=[True, True, False, True]
        )  # fmt: skip
        .groupby("event_group")[["ward_code", "month"]]
        .first()
    )
    records = rows[["event_group", "agency", "is_police"]].join(lead, on="event_group")
    expected = source_overlap(records, ["ward_code", "month"]).fillna({"ward_code": ""})
    expected["agencies"] = expected["agencies"].map(", ".join)
    got = linkage.completeness_by_ward_month.uncached(demo).fillna({"ward_code": ""})
    got["month"] = pd.to_datetime(got["month"]).dt.date
    merged = expected.merge(got, on=["ward_code", "month"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all() and len(merged) > 50
    for column in ("police_only", "other_only", "both", "agencies", "enough_overlap"):
        assert (merged[f"{column}_x"] == merged[f"{column}_y"]).all(), column
    for column in ("estimated_total", "interval_low", "interval_high"):
        pd.testing.assert_series_equal(
            merged[f"{column}_x"].astype(float), merged[f"{column}_y"].astype(float),
            check_names=False,
        )  # fmt: skip


def test_linked_groups_show_members_without_personal_data(demo):
    groups = linkage.linked_groups.uncached(demo, limit=50)
    assert groups["group_id"].nunique() == 50
    assert set(groups.columns) == set(linkage.GROUP_COLUMNS)
    sizes = groups.groupby("group_id").size()
    assert (sizes >= 2).all()
    scores = groups.drop_duplicates("group_id")["score"]
    assert scores.is_monotonic_increasing, "the weakest links first"
    cards = link_figures.group_cards(groups)
    assert len(cards) == 50


def _grouping(engine) -> list[tuple[int, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT array_agg(id ORDER BY id) FROM incidents WHERE event_group_id IS NOT "
                "NULL GROUP BY event_group_id ORDER BY 1"
            )
        ).scalars()
        return [tuple(r) for r in rows]


def test_observatory_link_relinks_every_record_idempotently(demo):
    """The CLI reports what is stored, and a second run changes nothing."""
    from click.testing import CliRunner

    from observatory.cli import cli

    runs = [CliRunner().invoke(cli, ["link"]) for _ in range(2)]
    assert all(r.exit_code == 0 for r in runs), [r.output for r in runs]
    grouped = _grouping(demo)
    linked = sum(len(g) for g in grouped)
    assert f"linked {linked:,} of " in runs[1].output
    assert f"into {len(grouped):,} events" in runs[1].output
    assert runs[0].output == runs[1].output, "re-linking twice changes nothing"


def _group_of(engine, incident_id: int) -> int | None:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT event_group_id FROM incidents WHERE id = :i"), {"i": incident_id}
        ).scalar_one()


def _members(engine, group_id: int) -> list[int]:
    with engine.connect() as conn:
        return sorted(
            conn.execute(
                text("SELECT id FROM incidents WHERE event_group_id = :g"), {"g": group_id}
            ).scalars()
        )


def test_confirm_and_split_through_the_page_survive_relinking(demo):
    groups = linkage.linked_groups.uncached(demo, limit=20)
    first, second = list(dict.fromkeys(groups["group_id"]))[:2]
    confirmed_members = _members(demo, int(first))

    message = link_page.confirm(demo, int(first))
    assert "confirmed" in message
    cache.clear()
    shown = linkage.linked_groups(demo, 20)
    assert shown.loc[shown.group_id == first, "confirmed"].all()

    victim = int(groups.loc[groups.group_id == second, "incident_id"].iloc[0])
    others = [m for m in _members(demo, int(second)) if m != victim]
    assert "split off" in link_page.split(demo, victim)
    with demo.connect() as conn:
        split_flag = conn.execute(
            text("SELECT g.split FROM event_groups g JOIN incidents i ON i.event_group_id = g.id "
                 "WHERE i.id = :i"),
            {"i": victim},
        ).scalar_one()  # fmt: skip
    assert split_flag

    linkage_store.relink_all(demo)
    assert _members(demo, int(first)) == confirmed_members, "a confirmed group is kept"
    alone = _group_of(demo, victim)
    assert alone is not None and _members(demo, alone) == [victim], "never linked again"
    if len(others) >= 2:
        assert _group_of(demo, others[0]) == _group_of(demo, others[1])
    # Split records are no longer offered for review; the confirmed group stays shown.
    cache.clear()
    after = linkage.linked_groups(demo, 20)
    assert victim not in set(after["incident_id"])
    with pytest.raises(Exception, match="no longer exists"):
        link_page.confirm(demo, 10**12)


def test_completeness_follows_links_changed_after_the_load(demo):
    """The records per agency are kept on load (agency_record_counts) and linked ones
    are taken back out at read time: splitting a record off its event and relinking,
    which write no incident, still give the reference counts."""
    groups = linkage.linked_groups.uncached(demo, limit=50)
    last = list(dict.fromkeys(groups["group_id"]))[-1]
    link_page.split(demo, int(groups.loc[groups.group_id == last, "incident_id"].iloc[0]))
    linkage_store.relink_all(demo)
    _assert_completeness_equals_reference(demo)
    with demo.connect() as conn:
        linked = conn.execute(
            text("SELECT count(*) FROM incidents WHERE event_group_id IS NOT NULL")
        ).scalar_one()
    assert linked > 20  # the read took linked records back out, not none
