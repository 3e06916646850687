"""The analytics find what the seeded demo planted: loaded through the real ETL
(fixed seed and reference date), its hot-spot centres fall in significant Gi*
hexagons and its night robbery peak is the clock's peak."""

from __future__ import annotations

from datetime import date

import h3
import pandas as pd
import pytest
from sqlalchemy import text

from etl.demo import load_truth, run_demo
from geodata.h3grid import from_hex, to_hex
from geodata.queries import analytics, comparisons
from geodata.stats.aoristic import WEEKDAYS
from geodata.stats.hotspots import LABELS as GI_LABELS

DEMO_SEED = 20241
DEMO_REFERENCE = date(2024, 9, 30)
# A planted hot spot with this many placed incidents in the year must stand out at
# resolution 8 (a blob of ~200 m sigma spreads over a few hexagons, so with some 25
# it stays within chance after the FDR correction).
MIN_PLACED = 50


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    from geodata import cache
    from tests.conftest import truncate_all

    truncate_all(engine)
    cache.clear()
    folder = tmp_path_factory.mktemp("demo")
    run_demo(DEMO_SEED, folder, reference_date=DEMO_REFERENCE, engine=engine)
    truth = load_truth(folder)
    period = truth["period"]
    return engine, truth, date.fromisoformat(period["start"]), date.fromisoformat(period["end"])


def _placed_per_spot(engine, truth: dict, start: date, end: date) -> pd.Series:
    """Incidents the ETL placed on the map in the period, per planted hot spot they
    came from (joined to the truth through agency and record reference)."""
    spot_of_event = {e["event_id"]: e["hot_spot"] for e in truth["events"]}
    origin = pd.DataFrame(
        [
            (r["agency"], r["record_ref"], spot_of_event.get(r["event_id"]))
            for r in truth["records"]
        ],
        columns=["agency", "record_ref", "spot"],
    )
    with engine.connect() as conn:
        placed = pd.read_sql(
            text(
                "SELECT a.name AS agency, i.record_ref FROM incidents i "
                "JOIN agencies a ON a.id = i.agency_id WHERE i.h3_8 IS NOT NULL "
                "AND i.occurred_from::date BETWEEN :start AND :end"
            ),
            conn,
            params={"start": start, "end": end},
        )
    return placed.merge(origin, on=["agency", "record_ref"]).groupby("spot").size()


def test_planted_hot_spots_are_significant_gi_cells(demo):
    """Every planted hot spot the ETL placed enough incidents of (today: those in the
    area of the station recording GPS; with text placement, all of them) has its
    centre in a hexagon that is hot at 95 % or 99 % after FDR, at resolution 8."""
    engine, truth, start, end = demo
    spots = {s["id"]: s for s in truth["model"]["hot_spots"]}
    placed = _placed_per_spot(engine, truth, start, end)
    checked = [spots[s] for s, n in placed.items() if n >= MIN_PLACED]
    assert checked, placed.to_dict()  # the test always checks at least one spot
    gi = comparisons.gi_cells(engine, 8, start, end).set_index("cell")
    found = {}
    for spot in checked:
        cell = from_hex(h3.latlng_to_cell(spot["lat"], spot["lon"], 8))
        found[spot["id"]] = (GI_LABELS[int(gi["bin"].get(cell, 0))], int(placed[spot["id"]]))
    assert all(label in ("hot 95", "hot 99") for label, _ in found.values()), found
    # The map is not simply hot everywhere: significant cells are few, and each lies
    # within a kilometre of a planted centre.
    hot = gi.index[gi["bin"] >= 2]
    assert 0 < len(hot) < 0.2 * len(gi)
    centres = [h3.latlng_to_cell(s["lat"], s["lon"], 8) for s in spots.values()]
    for cell in hot:
        assert min(h3.grid_distance(to_hex(cell), c) for c in centres) <= 2, to_hex(cell)


def test_the_night_robbery_peak_is_the_clock_peak(demo):
    engine, truth, start, end = demo
    night = set(truth["model"]["night_peak_hours"])
    clock = analytics.clock_weights(engine, start, end, ("robbery",))
    by_hour = clock.hour.set_index("hour")["weight"]
    peaks = by_hour.sort_values(ascending=False).index[:3].tolist()
    assert set(peaks) <= night, by_hour.round(1).to_dict()
    share = by_hour.loc[sorted(night)].sum() / by_hour.sum()
    assert share > 0.45  # 5 hours of 24 hold near half the robberies
    # Theft peaks by day: the clock tells categories apart.
    thefts = analytics.clock_weights(engine, start, end, ("theft",)).hour.set_index("hour")
    assert int(thefts["weight"].idxmax()) in range(7, 19)
    # Incidents with no time are kept apart, never piled at midnight.
    assert clock.date_only_total > 0
    assert by_hour.loc[0] < by_hour.loc[sorted(night)].min()
    assert len(clock.date_only) == len(WEEKDAYS)


def test_robberies_happen_in_darkness(demo):
    engine, _truth, start, end = demo
    split = analytics.daylight_counts(engine, start, end, ("robbery", "theft"))
    split = split.set_index("category")
    dark_share = split["darkness"] / (split["darkness"] + split["daylight"])
    assert dark_share["robbery"] > 0.6 > dark_share["theft"]
