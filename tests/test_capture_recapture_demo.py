"""Two-source capture-recapture on the linked demo: police against every other
agency. The demo's true number of events of a category (truth.json, including those
no agency recorded) lies inside the Chapman estimate's 95 % interval."""

from __future__ import annotations

import pytest

from geodata.stats.capture_recapture import estimate
from tests.linked_demo import load_linked_demo


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    return load_linked_demo(engine, tmp_path_factory.mktemp("cr-demo"))


def _sources(incidents, category: str) -> tuple[int, int, int]:
    incidents = incidents.assign(
        event=incidents["event_group_id"].fillna(-incidents["id"]),
        police=incidents["agency_type"] == "police_station",
    )
    # An event's category: what most of its records say (they agree in the demo).
    events = incidents.groupby("event").agg(
        category=("category", lambda s: s.mode().iloc[0]),
        police=("police", "any"),
        other=("police", lambda s: bool((~s).any())),
    )
    events = events[events["category"] == category]
    return (
        int(events["police"].sum()),
        int(events["other"].sum()),
        int((events["police"] & events["other"]).sum()),
    )


@pytest.mark.parametrize("category", ["assault", "sexual_violence"])
def test_the_true_total_lies_in_the_interval(demo, category):
    incidents, truth = demo
    true_total = truth["events_by_category"][category]
    n1, n2, m = _sources(incidents, category)
    found = estimate(n1, n2, m)
    low, high = found.interval
    print(
        f"{category}: police {n1}, others {n2}, both {m}; seen {found.seen}, "
        f"estimate {found.total:.0f} ({low:.0f}-{high:.0f}), true {true_total}"
    )
    assert found.enough_overlap
    assert found.seen < true_total  # some events were recorded by no agency ...
    assert low <= true_total <= high  # ... and the estimate recovers how many
