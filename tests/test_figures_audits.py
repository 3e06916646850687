"""Figure builders for safety audits, the justice chain and service feedback: the
traces carry the values of the frames they are given, intervals included."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.figures import audits, feedback, justice
from dashboard.figures.meeting import OKABE_ITO
from geodata.stats import justice as justice_stats


def indicators() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ward_code": ["W1", "W2", "all"],
            "ward_name": ["Mjini", "Bondeni", "All surveyed wards"],
            "indicator": ["trust_police"] * 3,
            "respondents": [120, 80, 200],
            "proportion": [0.40, 0.25, 0.34],
            "low": [0.31, 0.16, 0.28],
            "high": [0.49, 0.36, 0.41],
        }
    )


def test_indicator_by_ward_draws_shares_with_their_intervals():
    fig = audits.indicator_by_ward(indicators(), "trust_police", title="Trust")
    bar, labels = fig.data
    assert list(bar.y) == ["Bondeni", "Mjini"]  # lowest first: the top is the highest
    assert list(bar.x) == pytest.approx([25, 40])
    assert list(bar.error_x.array) == pytest.approx([11, 9])
    assert list(bar.error_x.arrayminus) == pytest.approx([9, 9])
    assert labels.text[1] == "40% (31%-49%), n=120"
    assert list(labels.x) == pytest.approx([37, 50])  # right of each interval
    (line,) = fig.layout.shapes
    assert line.x0 == pytest.approx(34)  # the whole round
    assert fig.layout.font.size >= 18


def test_dark_figure_chart_orders_categories_and_marks_one():
    table = pd.DataFrame(
        {
            "category": ["theft", "robbery", "assault"],
            "ratio": [3.5, 2.2, np.nan],
            "ratio_low": [2.3, 1.3, np.nan],
            "ratio_high": [5.1, 3.5, np.nan],
            "recorded": [824, 804, 0],
        }
    )
    fig = audits.dark_figure_chart(table)
    bar, labels = fig.data
    assert list(bar.y) == ["Robbery", "Theft"]  # nothing recorded: no ratio to draw
    assert list(bar.x) == [2.2, 3.5]
    assert labels.text[1] == "x3.5 (2.3-5.1); 824 recorded"
    assert list(bar.error_x.array) == pytest.approx([1.3, 1.6])
    assert fig.layout.shapes[0].x0 == 1


def test_perception_vs_record_puts_wards_against_the_diagonal():
    table = pd.DataFrame(
        {
            "ward_name": ["Mjini", "Neema", "Kilele"],
            "proportion": [0.35, 0.66, 0.4],
            "low": [0.27, 0.58, 0.3],
            "high": [0.45, 0.73, 0.5],
            "respondents": [110, 156, 90],
            "known": [38, 15, 0],
            "after_dark_share": [0.71, 0.8, np.nan],
        }
    )
    fig = audits.perception_vs_record(table)
    points, diagonal = fig.data
    assert list(points.text) == ["Mjini", "Neema"]
    assert list(points.x) == pytest.approx([71, 80])
    assert list(points.y) == pytest.approx([35, 66])
    assert list(diagonal.x) == [0, 100] and list(diagonal.y) == [0, 100]


def test_unsafe_places_map_sizes_by_mentions_and_shows_attribution():
    places = pd.DataFrame(
        {
            "name": ["Jikoni Pub", "Mjini Market", "behind the river"],
            "lat": [-0.78, -0.80, None],
            "lon": [36.97, 36.95, None],
            "mentions": [91, 23, 4],
        }
    )
    wards = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[36.9, -0.85], [37.0, -0.85], [37.0, -0.75], [36.9, -0.75], [36.9, -0.85]]
                    ],
                },
            }
        ],
    }
    fig = audits.unsafe_places_map(places, wards, attribution="Kenya ward boundaries, CC BY")
    (trace,) = fig.data
    assert list(trace.text) == ["Jikoni Pub", "Mjini Market"]
    assert trace.marker.size[0] > trace.marker.size[1]
    assert fig.layout.map.style == "white-bg" and len(fig.layout.map.layers) == 1
    assert fig.layout.annotations[0].text == "Kenya ward boundaries, CC BY"


def hand_history() -> tuple[pd.DataFrame, pd.DataFrame]:
    cases = pd.DataFrame(
        {
            "incident_id": [1, 2, 3],
            "reported_on": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-02-01"]),
        }
    )
    history = pd.DataFrame(
        {
            "incident_id": [1, 1, 1, 2, 2],
            "status": ["reported", "under_investigation", "in_court", "reported", "withdrawn"],
            "observed_on": pd.to_datetime(
                ["2024-01-01", "2024-01-11", "2024-03-01", "2024-01-02", "2024-01-20"]
            ),
        }
    )
    return cases, history


def test_funnel_figure_has_the_chain_and_the_outcomes():
    cases, history = hand_history()
    fig = justice.funnel_figure(justice_stats.funnel(cases, history))
    chain, outcomes = fig.data
    assert chain.type == "funnel"
    assert list(chain.x) == [3, 1, 1]
    assert chain.text[0] == "3 (100%)" and chain.text[1] == "1 (33%)"
    assert dict(zip(outcomes.y, outcomes.x, strict=True))["Withdrawn"] == 1
    assert outcomes.marker.color[0] == OKABE_ITO[3]


def test_stage_durations_and_period_change_figures():
    cases, history = hand_history()
    durations = justice_stats.stage_durations(history, as_of=date(2024, 3, 11))
    fig = justice.stage_durations_figure(durations)
    finished, waiting = fig.data
    assert list(finished.y) == pytest.approx([14, 50, 0])  # (10 + 18) / 2, 50, none
    assert waiting.text[2] == "10 days<br>n=1"  # in court since 1 March
    change = justice_stats.period_change(
        cases, history, (date(2024, 1, 1), date(2024, 1, 31)), (date(2024, 2, 1), date(2024, 3, 31))
    )
    fig = justice.period_change_figure(change, labels=("January", "Feb-Mar"))
    before, after = fig.data
    assert before.name == "January" and list(before.x)[:2] == ["Reported", "Under investigation"]
    assert list(before.y)[:3] == [2, 1, 0] and list(after.y)[:3] == [1, 0, 1]
    assert after.text[0] == "1 (-50%)"


def test_feedback_figures():
    monthly = pd.DataFrame(
        {
            "station": ["Kibera", "Kibera", "Kilimani"],
            "month": pd.to_datetime(["2025-03-01", "2025-04-01", "2025-03-01"]),
            "mean_rating": [3.2, 3.6, 2.75],
            "rated": [30, 3, 4],
        }
    )
    fig = feedback.ratings_over_time(monthly)
    kibera, kilimani = fig.data
    assert list(kibera.y) == [3.2, 3.6] and kilimani.name == "Kilimani"
    assert list(kibera.marker.color) == [OKABE_ITO[5], "white"]  # 3 ratings: hollow
    complaints = pd.DataFrame(
        {
            "station": ["Kibera", "Kilimani", "Kilimani"],
            "complaint_category": ["delay", "bribery", "delay"],
            "complaints": [4, 1, 2],
            "resolved": [2, 1, 0],
        }
    )
    fig = feedback.complaints_by_category(complaints)
    assert [t.name for t in fig.data[:2]] == ["Kibera", "Kilimani"]
    assert list(fig.data[0].y) == ["bribery", "delay"] and list(fig.data[0].x) == [0, 4]
    assert fig.data[2].text[1] == "  6 (33% resolved)"
    trust = pd.DataFrame(
        {
            "round": ["2024", "2025"],
            "proportion": [0.3, 0.36],
            "low": [0.25, 0.32],
            "high": [0.35, 0.4],
            "respondents": [900, 1400],
        }
    )
    fig = feedback.trust_over_rounds(trust)
    assert list(fig.data[0].y) == pytest.approx([30, 36])
    assert list(fig.data[0].error_y.array) == pytest.approx([5, 4])
