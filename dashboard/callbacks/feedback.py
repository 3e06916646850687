"""Feedback page callbacks: stations in; headline numbers, a table per station,
ratings over time, complaints by category and trust in police from the surveys out."""

from __future__ import annotations

import dash
import numpy as np
import pandas as pd
from dash import Input, Output, html

from dashboard import auth, ids
from dashboard.figures import feedback as figures
from dashboard.figures.evaluation import empty_map
from dashboard.options import AppOptions
from geodata.db import get_engine
from geodata.queries import audits, feedback


def card(label: str, value: str, value_id: str, note: str = "") -> html.Div:
    return html.Div(
        [
            html.Div(label, className="headline-label"),
            html.Div(value, id=value_id, className="headline-value"),
            html.Div(note, className="headline-note"),
        ],
        className="headline",
    )


def station_summary(monthly: pd.DataFrame) -> pd.DataFrame:
    """Per station: records, rated, mean_rating (over every rating), complaints,
    resolved, resolution_known and resolved_share (of complaints with a known outcome)."""
    frame = monthly.assign(rating_sum=monthly["mean_rating"].fillna(0) * monthly["rated"])
    sums = frame.groupby("station")[
        ["records", "rated", "rating_sum", "complaints", "resolved", "resolution_known"]
    ].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        sums["mean_rating"] = sums["rating_sum"] / sums["rated"].where(sums["rated"] > 0)
        known = sums["resolution_known"].where(sums["resolution_known"] > 0)
        sums["resolved_share"] = sums["resolved"] / known
    return sums.drop(columns="rating_sum").reset_index()


def _share(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.0%}"


def headlines(summary: pd.DataFrame) -> list[html.Div]:
    total = summary[["records", "rated", "complaints", "resolved", "resolution_known"]].sum()
    rated = summary["mean_rating"].fillna(0) * summary["rated"]
    mean = rated.sum() / total["rated"] if total["rated"] else np.nan
    known = total["resolution_known"]
    return [
        card("Feedback records", f"{int(total['records']):,}", ids.FB_HEADLINES + "-records"),
        card(
            "Mean rating",
            "-" if pd.isna(mean) else f"{mean:.1f} / 5",
            ids.FB_HEADLINES + "-rating",
            f"{int(total['rated']):,} ratings",
        ),
        card("Complaints", f"{int(total['complaints']):,}", ids.FB_HEADLINES + "-complaints"),
        card(
            "Complaints resolved",
            _share(total["resolved"] / known if known else np.nan),
            ids.FB_HEADLINES + "-resolved",
            f"of {int(known):,} with a known outcome",
        ),
    ]


def station_table(summary: pd.DataFrame) -> html.Table:
    columns = ("Station", "Records", "Mean rating", "Complaints", "Resolved")
    rows = [
        html.Tr(
            [
                html.Td(r["station"]),
                html.Td(f"{int(r['records']):,}", className="number"),
                html.Td(
                    "-" if pd.isna(r["mean_rating"]) else f"{r['mean_rating']:.1f}",
                    className="number",
                ),
                html.Td(f"{int(r['complaints']):,}", className="number"),
                html.Td(_share(r["resolved_share"]), className="number"),
            ]
        )
        for r in summary.to_dict("records")
    ]
    return html.Table(
        [
            html.Caption("Resolved: the share of complaints with a known outcome."),
            html.Thead(html.Tr([html.Th(c) for c in columns])),
            html.Tbody(rows),
        ],
        className="table data-table",
    )


def register(app: dash.Dash, opts: AppOptions) -> None:
    @app.callback(
        Output(ids.FB_HEADLINES, "children"),
        Output(ids.FB_STATION_TABLE, "children"),
        Output(ids.FB_RATINGS, "figure"),
        Output(ids.FB_COMPLAINTS, "figure"),
        Output(ids.FB_TRUST, "figure"),
        Input(ids.FB_STATIONS, "value"),
    )
    @auth.require_role("team")
    def update_feedback(stations):
        engine = get_engine()
        chosen = tuple(sorted(stations or ()))
        monthly = feedback.feedback_monthly(engine, None, None, chosen)
        complaints = feedback.feedback_complaints(engine, None, None, chosen)
        trust = audits.trust_in_police(engine)
        trust_figure = (
            figures.trust_over_rounds(trust)
            if len(trust)
            else empty_map("No survey round asked about trust in the police yet.")
        )
        if monthly.empty:
            blank = empty_map("No feedback for these stations.")
            return [], [], blank, blank, trust_figure
        summary = station_summary(monthly)
        return (
            headlines(summary),
            station_table(summary),
            figures.ratings_over_time(monthly),
            figures.complaints_by_category(complaints)
            if len(complaints)
            else empty_map("No complaints."),
            trust_figure,
        )
