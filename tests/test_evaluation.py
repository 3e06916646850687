"""Impact evaluation on the seeded demo, loaded through the real ETL: the planted
street light (night robbery within 150 m cut by 80% after its completion, half of
the prevented robberies displaced 150-400 m away) is recovered with the right sign
and a weighted displacement quotient of -0.5 +- 0.35; the path clearing, planted
with no effect, shows no measurable change. Plus the tracker and the after-dark
lens on the same data."""

from __future__ import annotations

import json
from datetime import date

import h3
import pandas as pd
import pytest

from etl.demo import load_demo, load_truth
from geodata import cache
from geodata.errors import ObservatoryError
from geodata.evaluation import after_dark_for_area, evaluate_action
from geodata.queries.actions import actions_frame, tracker_table
from tests.conftest import truncate_all

SEED = 20241
REFERENCE = date(2025, 3, 15)
EXPECTED_WDQ, WDQ_TOLERANCE = -0.5, 0.35


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    truncate_all(engine)
    cache.clear()
    folder = tmp_path_factory.mktemp("demo")
    load_demo(seed=SEED, out_dir=folder, reference_date=REFERENCE, engine=engine)
    truth = load_truth(folder)["actions"]
    ids = dict(zip(actions_frame(engine)["action_ref"], actions_frame(engine)["id"], strict=True))
    return engine, truth, ids


def test_the_planted_light_is_recovered(demo):
    engine, truth, ids = demo
    light = truth["light"]
    assert light["expected_wdq"] == EXPECTED_WDQ and light["prevented"] > 50
    result = evaluate_action(engine, ids[light["action_ref"]], categories=("robbery",))
    home = h3.str_to_int(h3.latlng_to_cell(light["lat"], light["lon"], 9))
    assert home in result.target and result.control_method == "matched"
    assert not set(result.control) & (set(result.target) | set(result.ring))
    night = result.results["night"]
    counts, measures = night.counts, night.measures
    assert counts.target_after < 0.6 * counts.target_before  # the light cut night robbery
    assert counts.buffer_after > counts.buffer_before + 10  # some of it moved next door
    assert measures["success_measure"].value < 0 and measures["net_effect"].value > 0
    wdq = measures["wdq"].value
    assert abs(wdq - EXPECTED_WDQ) <= WDQ_TOLERANCE, wdq
    assert measures["total_net_effect"].value > 0  # fewer robberies overall
    assert night.verdict.code == "displacement" and not night.verdict.small_numbers
    # Robbery at any hour fell too, less sharply (daytime robbery was untouched).
    everything = result.results["all"].counts
    assert everything.target_after < everything.target_before
    assert everything.target_before > counts.target_before
    assert json.loads(json.dumps(result.as_dict()))["areas"]["target"] == [
        h3.int_to_str(c) for c in result.target
    ]


def test_the_path_clearing_shows_no_effect(demo):
    engine, truth, ids = demo
    assert truth["path"]["effect"] == 0.0
    result = evaluate_action(engine, ids[truth["path"]["action_ref"]])
    for subset in ("all", "night"):
        assert result.results[subset].verdict.code in ("no_change", "too_few"), subset


def test_only_done_actions_are_evaluated(demo):
    engine, truth, ids = demo
    open_ = [a["action_ref"] for a in truth["actions"] if a["status"] != "done"]
    assert open_
    for ref in open_:
        with pytest.raises(ObservatoryError, match="only a done action"):
            evaluate_action(engine, ids[ref])


def test_a_chosen_control_must_stay_outside_the_action(demo):
    engine, truth, ids = demo
    light_id = ids[truth["light"]["action_ref"]]
    matched = evaluate_action(engine, light_id, categories=("robbery",))
    chosen = evaluate_action(
        engine, light_id, categories=("robbery",), control_cells=matched.control[:5]
    )
    assert chosen.control_method == "chosen" and chosen.control == matched.control[:5]
    with pytest.raises(ObservatoryError, match="control area shares"):
        evaluate_action(engine, light_id, control_cells=matched.target + matched.control)


def test_tracker_flags_the_overdue_demo_action(demo):
    engine, truth, _ = demo
    table = tracker_table(engine, REFERENCE)
    frame = actions_frame(engine).set_index("id")
    overdue = sorted(frame.loc[table.loc[table["overdue"], "id"], "action_ref"])
    assert overdue == sorted(truth["overdue_on_reference_date"]) and overdue


def test_after_dark_lens_knows_the_light(demo):
    engine, truth, _ = demo
    light = truth["light"]
    home = h3.str_to_int(h3.latlng_to_cell(light["lat"], light["lon"], 9))
    lens = after_dark_for_area(engine, date(2024, 3, 1), date(2025, 2, 28), categories=("robbery",))
    row = lens.lens.set_index("cell").loc[home]
    assert row["lit"] and row["share"] > 0.8 and row["known"] >= 50  # the dark corner
    assert home not in set(lens.unlit["cell"])
    assert (lens.unlit["share"] > 0.6).all() and (lens.unlit["known"] >= 10).all()
    assert not lens.unlit["lit"].any()


def test_a_thinned_lens_keeps_the_shares_of_the_whole_area(demo):
    # The national map leaves out cells with few incidents of known time; their
    # incidents still count in the share over the area that `lift` compares with.
    engine, _, _ = demo
    args = (engine, date(2024, 3, 1), date(2025, 2, 28))
    whole = after_dark_for_area(*args).lens.set_index("cell")
    thin = after_dark_for_area(*args, min_known=5).lens.set_index("cell")
    assert 0 < len(thin) < len(whole) and (thin["known"] >= 5).all()
    assert set(whole.index[whole["known"] >= 5]) == set(thin.index)
    columns = ["incidents", "known", "after_dark", "share", "lift", "lit"]
    pd.testing.assert_frame_equal(thin[columns], whole.loc[thin.index, columns])
    assert thin["after_dark"].is_monotonic_decreasing
