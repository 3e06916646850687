"""Records of one true event across the demo's agencies are linked into one event
group by the real ETL: pairwise precision and recall against truth.json's event ids."""

from __future__ import annotations

import pytest

from tests.linked_demo import load_linked_demo, pair_set


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    return load_linked_demo(engine, tmp_path_factory.mktemp("linkage-demo"))


def test_precision_and_recall_against_the_demo_truth(demo):
    incidents, _ = demo
    truth = pair_set(incidents["event_id"])
    groups = incidents["event_group_id"].fillna(-incidents["id"])
    found = pair_set(groups)
    hits = len(truth & found)
    precision, recall = hits / len(found), hits / len(truth)
    print(
        f"{len(incidents)} records, {len(truth)} true pairs, {len(found)} linked pairs: "
        f"precision {precision:.3f}, recall {recall:.3f}"
    )
    assert precision >= 0.9
    assert recall >= 0.9


def test_groups_hold_one_record_per_agency_and_store_their_score(demo, engine):
    from sqlalchemy import text

    incidents, _ = demo
    linked = incidents[incidents["event_group_id"].notna()]
    per_group = linked.groupby("event_group_id")["agency"]
    assert (per_group.nunique() == per_group.size()).all()
    assert (per_group.size() >= 2).all()
    with engine.connect() as conn:
        scores = conn.execute(
            text("SELECT min(score), max(score), count(*) FROM event_groups")
        ).one()
    assert scores[2] == linked["event_group_id"].nunique()
    assert 0.5 <= scores[0] <= scores[1] <= 1.0
