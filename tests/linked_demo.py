"""The seeded demo loaded through the real ETL (gazetteer, placement, linkage), with
each stored incident joined to what truth.json says it really was."""

from __future__ import annotations

from datetime import date
from itertools import combinations
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from etl.demo import load_truth, run_demo

DEMO_SEED = 20241
DEMO_REFERENCE = date(2024, 9, 30)


def load_linked_demo(engine, folder: Path) -> tuple[pd.DataFrame, dict]:
    """(one row per stored incident with its truth columns, truth)."""
    from geodata import cache
    from tests.conftest import truncate_all

    truncate_all(engine)
    cache.clear()
    run_demo(DEMO_SEED, folder, reference_date=DEMO_REFERENCE, engine=engine)
    truth = load_truth(folder)
    records = pd.DataFrame(truth["records"])
    records = records[records["quarantine"].isna()]
    with engine.connect() as conn:
        stored = pd.read_sql(
            text(
                "SELECT i.id, a.name AS agency, a.agency_type, i.record_ref, i.category, "
                "i.ward_code, i.geocode_method, i.geocode_confidence, i.place_id, "
                "i.event_group_id, i.location_text AS stored_location_text "
                "FROM incidents i JOIN agencies a ON a.id = i.agency_id"
            ),
            conn,
        )
    joined = stored.merge(
        records[["agency", "record_ref", "event_id", "gps", "true_ward", "place"]],
        on=["agency", "record_ref"],
        how="left",
        validate="1:1",
    )
    assert joined["event_id"].notna().all(), "every stored incident is a written row"
    return joined, truth


def pair_set(labels: pd.Series) -> set[tuple[int, int]]:
    """Every pair of positions that share a label."""
    pairs: set[tuple[int, int]] = set()
    for members in labels.groupby(labels).groups.values():
        pairs.update(combinations(sorted(members), 2))
    return pairs
