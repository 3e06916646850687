"""Record linkage on synthetic multi-agency registers with known truth."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from geodata.linkage import LinkParams, category_compatibility, link_records, linked_pairs

# Events a year by category, roughly as a town's registers show them.
CATEGORY_MIX = {
    "theft": 1500, "assault": 1100, "robbery": 900, "burglary": 800, "domestic_violence": 700,
    "drugs": 400, "sexual_violence": 350, "public_disorder": 350, "child_abuse": 250,
    "vehicle_theft": 200, "fraud": 200, "other": 150, "stock_theft": 80, "mob_justice": 40,
    "homicide": 25,
}  # fmt: skip
# How a health facility or a chief writes down what the police call a category.
OTHER_AGENCY_CATEGORY = {"robbery": ("assault", "robbery"), "domestic_violence": ("assault",)}
WARDS = 8  # a 4 x 2 grid of 2 km squares


def synthetic_registers(seed: int = 3, days: int = 90, per_ward_day: float = 1.6):
    """True events, then what three agencies recorded of them: the police (often with
    GPS), a health facility (ward or nearby landmark, seen hours later) and a chief
    (ward only, time often only the date). Like real registers, each writes the
    victim's sex and age most of the time (an age guessed a year or two off at the
    clinic). Returns records with an `event` column."""
    rng = np.random.default_rng(seed)
    n = rng.poisson(WARDS * days * per_ward_day)
    ward = rng.integers(WARDS, size=n)
    x = (ward % 4) * 2000 + rng.uniform(0, 2000, n)
    y = (ward // 4) * 2000 + rng.uniform(0, 2000, n)
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, days * 24, n), unit="h")
    weights = np.array(list(CATEGORY_MIX.values()), dtype=float)
    category = rng.choice(list(CATEGORY_MIX), n, p=weights / weights.sum())
    sex = rng.choice(["F", "M"], n)
    age = rng.integers(5, 70, n)
    rows = []
    for e in range(n):
        for agency, p_seen in (("police", 0.6), ("health", 0.35), ("chief", 0.3)):
            if rng.random() >= p_seen:
                continue
            cat, t, known = category[e], when[e], True
            px, py = x[e] + rng.normal(0, 60), y[e] + rng.normal(0, 60)
            has_point = rng.random() < 0.7
            if agency == "police":
                t += pd.Timedelta(hours=rng.normal(0, 1.0))
            else:
                cat = rng.choice(OTHER_AGENCY_CATEGORY.get(cat, (cat,)))
                t += pd.Timedelta(hours=rng.uniform(0, 6))
                if agency == "health":
                    px, py = x[e] + rng.normal(0, 250), y[e] + rng.normal(0, 250)
                    has_point, known = rng.random() < 0.7, rng.random() < 0.95
                else:
                    has_point, known = False, rng.random() < 0.6
            age_written = age[e] + (rng.integers(-2, 3) if agency == "health" else 0)
            rows.append(
                {
                    "event": e,
                    "victim_sex": sex[e] if rng.random() < 0.9 else None,
                    "victim_age": str(age_written) if rng.random() < 0.8 else None,
                    "agency": agency,
                    "category": cat,
                    "occurred_from": t if known else t.normalize(),
                    "time_known": known,
                    "latitude": -1.30 + py / 110_574 if has_point else np.nan,
                    "longitude": 36.80 + px / 111_300 if has_point else np.nan,
                    "ward_code": f"W{ward[e]}",
                }
            )
    return pd.DataFrame(rows)


def pair_set(labels: pd.Series) -> set[tuple[int, int]]:
    pairs = set()
    for members in labels.groupby(labels).groups.values():
        pairs.update(combinations(sorted(members), 2))
    return pairs


@pytest.fixture(scope="module")
def registers():
    return synthetic_registers()


@pytest.fixture(scope="module")
def linked(registers):
    return link_records(registers, LinkParams())


def test_precision_and_recall_against_the_truth(registers, linked):
    truth = pair_set(registers["event"])
    found = pair_set(linked["event_group"])
    precision = len(truth & found) / len(found)
    recall = len(truth & found) / len(truth)
    print(f"{len(registers)} records, {len(truth)} true pairs: "
          f"precision {precision:.3f}, recall {recall:.3f}")  # fmt: skip
    assert precision >= 0.9
    assert recall >= 0.9


def test_a_group_never_holds_two_records_of_one_agency(registers, linked):
    per_group = registers.groupby(linked["event_group"])["agency"]
    assert (per_group.nunique() == per_group.size()).all()
    assert linked["group_size"].max() <= 3


def test_group_scores_and_sizes(linked):
    alone = linked["group_size"] == 1
    assert linked.loc[alone, "group_score"].isna().all()
    assert (linked.loc[~alone, "group_score"] >= LinkParams().min_score).all()
    # events are fewer than records: what hot spots should count
    assert linked["event_group"].nunique() < len(linked)


def test_far_apart_or_other_ward_records_are_not_linked():
    base = {"category": "assault", "occurred_from": pd.Timestamp("2024-03-01 21:00")}
    frame = pd.DataFrame(
        [
            {**base, "agency": "police", "latitude": -1.300, "longitude": 36.800, "ward_code": "A"},
            {**base, "agency": "health", "latitude": -1.300, "longitude": 36.830, "ward_code": "A"},
            {**base, "agency": "school", "latitude": np.nan, "longitude": np.nan, "ward_code": "B"},
        ]
    )
    assert link_records(frame, LinkParams())["group_size"].tolist() == [1, 1, 1]
    # ... and the same pair 300 m apart, three hours later, is linked.
    frame.loc[1, ["longitude", "occurred_from"]] = [36.8027, pd.Timestamp("2024-03-02 00:00")]
    assert link_records(frame, LinkParams())["group_size"].tolist() == [2, 2, 1]


def test_a_record_without_a_place_links_only_on_time_category_and_victim():
    """A chief's register often says neither where nor exactly when: such a record
    can still be the police's record of the same assault on the same victim, never
    one with another victim."""
    police = {"agency": "police", "agency_type": "police_station", "category": "assault",
              "latitude": -1.300, "longitude": 36.800, "ward_code": "A"}  # fmt: skip
    chief = {"agency": "chief", "agency_type": "chief", "category": "assault",
             "latitude": np.nan, "longitude": np.nan, "ward_code": None}  # fmt: skip
    frame = pd.DataFrame(
        [
            {**police, "occurred_from": pd.Timestamp("2024-03-01 21:00"),
             "victim_sex": "F", "victim_age": "34"},
            {**chief, "occurred_from": pd.Timestamp("2024-03-01 21:30"),
             "victim_sex": "F", "victim_age": "35"},
        ]
    )  # fmt: skip
    assert link_records(frame, LinkParams())["group_size"].tolist() == [2, 2]
    frame.loc[1, ["victim_sex", "victim_age"]] = ["M", "61"]
    assert link_records(frame, LinkParams())["group_size"].tolist() == [1, 1]


def test_window_and_distance_settings_change_the_links(monkeypatch):
    frame = pd.DataFrame(
        {
            "agency": ["police", "health"],
            "category": ["robbery", "assault"],
            "occurred_from": pd.to_datetime(["2024-03-01 20:00", "2024-03-01 23:00"]),
            "latitude": [-1.300, -1.300],
            "longitude": [36.800, 36.8035],
            "ward_code": ["A", "A"],
        }
    )
    assert link_records(frame, LinkParams())["group_size"].tolist() == [2, 2]
    monkeypatch.setenv("OBSERVATORY_LINK_DISTANCE_M", "300")
    assert link_records(frame)["group_size"].tolist() == [1, 1]
    monkeypatch.setenv("OBSERVATORY_LINK_DISTANCE_M", "1000")
    monkeypatch.setenv("OBSERVATORY_LINK_WINDOW_HOURS", "2")
    assert link_records(frame)["group_size"].tolist() == [1, 1]
    assert LinkParams.from_settings() == LinkParams(2.0, 1000.0, 0.6)


def test_categories_link_only_when_compatible():
    assert category_compatibility("assault", "assault") == 1.0
    assert 0 < category_compatibility("robbery", "assault") < 1
    assert category_compatibility("burglary", "sexual_violence") == 0.0


def test_pairs_listing_is_sorted_and_flags_links(registers):
    pairs = linked_pairs(registers.head(300), LinkParams())
    assert pairs["score"].is_monotonic_decreasing
    assert pairs["linked_enough"].any() and not pairs["linked_enough"].all()
