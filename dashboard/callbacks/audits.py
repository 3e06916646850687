"""Safety audits page callbacks: the round picked in, headline estimates, the
indicator and dark figure charts, perception against record and the map of places
named as unsafe out. Also declares the team-only roles of the audits, justice and
feedback pages and registers the other two pages' callbacks."""

from __future__ import annotations

import dash
import numpy as np
from dash import Input, Output, State, html

from dashboard import auth, components, ids
from dashboard.callbacks import feedback as feedback_callbacks
from dashboard.callbacks import justice as justice_callbacks
from dashboard.callbacks.feedback import card
from dashboard.figures import audits as figures
from dashboard.figures.evaluation import empty_map
from dashboard.options import AppOptions
from geodata.db import get_engine
from geodata.queries import audits, wards

PAGE_ROLES = {"/audits": ("team",), "/justice": ("team",), "/feedback": ("team",)}
NO_ROUND = "Pick a survey round."


def percent(p: float) -> str:
    """A share as the page writes it: one decimal, "-" when unknown."""
    return "-" if p is None or np.isnan(p) else f"{p * 100:.1f}%"


def _estimate_card(label: str, row, value_id: str, interval_id: str | None = None) -> html.Div:
    """One headline estimate with its interval; the unrounded numbers ride along as
    data attributes for anyone checking them."""
    if row is None:
        return card(label, "-", value_id)
    interval = f"95% interval {percent(row['low'])} to {percent(row['high'])}"
    value = html.Div(
        percent(row["proportion"]),
        id=value_id,
        className="headline-value",
        **{
            "data-proportion": repr(float(row["proportion"])),
            "data-low": repr(float(row["low"])),
            "data-high": repr(float(row["high"])),
        },
    )
    return html.Div(
        [
            html.Div(label, className="headline-label"),
            value,
            html.Div(
                interval, className="headline-note", **({"id": interval_id} if interval_id else {})
            ),
            html.Div(f"{int(row['respondents']):,} answered", className="headline-note"),
        ],
        className="headline",
    )


def headlines(indicators, respondents: int) -> list[html.Div]:
    """Respondents, trust in police and feeling unsafe after dark for the whole round."""
    whole = indicators[indicators["ward_code"] == audits.ALL_WARDS].set_index("indicator")

    def row(indicator: str):
        return whole.loc[indicator] if indicator in whole.index else None

    return [
        card("Respondents", f"{respondents:,}", ids.AUD_RESPONDENTS),
        _estimate_card(
            "Trust the police", row("trust_police"), ids.AUD_TRUST_VALUE, ids.AUD_TRUST_INTERVAL
        ),
        _estimate_card(
            "Feel unsafe walking after dark", row("unsafe_after_dark"), ids.AUD_UNSAFE_VALUE
        ),
    ]


def unmatched_note(places) -> list:
    missing = places[places["lat"].isna()]
    if missing.empty:
        return []
    pairs = zip(missing["name"], missing["mentions"], strict=True)
    named = ", ".join(f"{name} ({mentions})" for name, mentions in pairs)
    return [html.Strong("Named but matched to no known place: "), named]


def choice(options: list[dict], current, default):
    """The picker's value once its options change: the current one while offered,
    else the default, else the first option (a Dropdown drops a value it lacks)."""
    values = [o["value"] for o in options]
    for value in (current, default):
        if value in values:
            return value
    return values[0] if values else None


def _round_outputs(round_name: str | None, indicator, ward_code, opts: AppOptions) -> tuple:
    engine = get_engine()
    if not round_name:
        blank = empty_map(NO_ROUND)
        return NO_ROUND, [], [], None, [], None, blank, blank, [], []
    rounds = audits.survey_rounds(engine).set_index("name")
    indicators = audits.survey_indicators(engine, round_name)
    if indicators.empty:
        blank = empty_map("Nobody in this round answered the mapped questions.")
        return "", [], [], None, [], None, blank, blank, [], []
    kinds = list(dict.fromkeys(indicators["indicator"]))
    indicator_options = [{"label": figures.indicator_label(k), "value": k} for k in kinds]
    dark = audits.dark_figures(engine, round_name)
    area_options = [{"label": "All surveyed wards", "value": audits.ALL_WARDS}] + [
        {"label": name, "value": code}
        for code, name in dark[["ward_code", "ward_name"]].drop_duplicates().to_numpy()
        if code != audits.ALL_WARDS
    ]
    attributions = wards.ward_attributions(engine)
    places = audits.unsafe_places(engine, round_name)
    places_map = figures.unsafe_places_map(
        places,
        wards.ward_outlines_geojson(engine),
        attribution="Ward boundaries: " + "; ".join(attributions) if attributions else None,
        style=opts.map_style,
    )
    perception = audits.perception_vs_record(engine, round_name)
    return (
        "",
        headlines(indicators, int(rounds.loc[round_name, "respondents"])),
        indicator_options,
        choice(indicator_options, indicator, "unsafe_after_dark"),
        area_options,
        choice(area_options, ward_code, audits.ALL_WARDS),
        figures.perception_vs_record(perception),
        places_map,
        components.attribution_text(attributions),
        unmatched_note(places),
    )


def register(app: dash.Dash, opts: AppOptions) -> None:
    auth.declare_page_roles(app, PAGE_ROLES)
    justice_callbacks.register(app, opts)
    feedback_callbacks.register(app, opts)

    @app.callback(
        Output(ids.AUD_STATUS, "children"),
        Output(ids.AUD_HEADLINES, "children"),
        Output(ids.AUD_INDICATOR, "options"),
        Output(ids.AUD_INDICATOR, "value"),
        Output(ids.AUD_DARK_WARD, "options"),
        Output(ids.AUD_DARK_WARD, "value"),
        Output(ids.AUD_PERCEPTION_GRAPH, "figure"),
        Output(ids.AUD_PLACES_MAP, "figure"),
        Output(ids.AUD_ATTRIBUTION, "children"),
        Output(ids.AUD_UNMATCHED, "children"),
        Input(ids.AUD_ROUND, "value"),
        State(ids.AUD_INDICATOR, "value"),
        State(ids.AUD_DARK_WARD, "value"),
    )
    @auth.require_role("team")
    def update_round(round_name, indicator, ward_code):
        return _round_outputs(round_name, indicator, ward_code, opts)

    @app.callback(
        Output(ids.AUD_INDICATOR_GRAPH, "figure"),
        Input(ids.AUD_ROUND, "value"),
        Input(ids.AUD_INDICATOR, "value"),
    )
    @auth.require_role("team")
    def update_indicator(round_name, indicator):
        if not round_name:
            return empty_map(NO_ROUND)
        table = audits.survey_indicators(get_engine(), round_name)
        if table.empty or indicator not in set(table["indicator"]):
            return empty_map("This round did not ask that question.")
        return figures.indicator_by_ward(table, indicator)

    @app.callback(
        Output(ids.AUD_DARK_GRAPH, "figure"),
        Input(ids.AUD_ROUND, "value"),
        Input(ids.AUD_DARK_WARD, "value"),
    )
    @auth.require_role("team")
    def update_dark_figure(round_name, ward_code):
        if not round_name:
            return empty_map(NO_ROUND)
        table = audits.dark_figures(get_engine(), round_name)
        rows = table[table["ward_code"] == ward_code] if len(table) else table
        if rows.empty or rows["ratio"].isna().all():
            return empty_map(
                "No dark figure here: the round has no fieldwork date or victimisation "
                "questions, or nothing was recorded in its reference period."
            )
        return figures.dark_figure_chart(rows)
