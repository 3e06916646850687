"""Safety audits: what a survey round says (feeling unsafe after dark, trust in the
police, victimisation) by ward with its 95% intervals, set against what agencies
recorded: the dark figure by category, the after-dark share of recorded incidents,
and the places people named as unsafe on the map. Team only."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from geodata.db import get_engine
from geodata.queries import audits

dash.register_page(
    __name__,
    path="/audits",
    name="Safety audits",
    title="Safety audits · Crime and violence observatory",
    order=70,
)

# Each figure sets its own height (a bar per ward or category): no fixed-height box.
_GRAPH = {"displaylogo": False}


def _round_picker(names: list[str], chosen: str | None) -> html.Div:
    return html.Div(
        [
            html.Label("Survey round", htmlFor=ids.AUD_ROUND, className="filter-label"),
            dcc.Dropdown(
                id=ids.AUD_ROUND,
                options=[{"label": n, "value": n} for n in names],
                value=chosen,
                clearable=False,
                placeholder="No survey round loaded",
            ),
        ],
        className="filter filter-wide",
    )


def _picker(label: str, component_id: str, value: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=component_id, className="filter-label"),
            dcc.Dropdown(id=component_id, options=[], value=value, clearable=False),
        ],
        className="filter filter-wide",
    )


def layout(**query) -> html.Div:
    """The page for `?round=NAME` (default: the round with the latest fieldwork)."""
    names = audits.survey_rounds(get_engine())["name"].tolist()
    asked = query.get("round")
    chosen = asked if asked in names else (names[0] if names else None)
    status = (
        "No survey round loaded yet: load a Kobo or ODK export with "
        "`observatory surveys load` (see docs/surveys.md)."
        if not names
        else ""
    )
    return html.Div(
        [
            html.H1("Safety audits: what people say and what is recorded", className="page-title"),
            html.Div(_round_picker(names, chosen), className="filter-bar", role="search"),
            html.P(status, id=ids.AUD_STATUS, className="status", role="status"),
            html.Section(id=ids.AUD_HEADLINES, className="headlines", **{"aria-live": "polite"}),
            html.P(
                "Shares are weighted survey estimates with 95% intervals. Strata and clusters "
                "are not known from an export: for a clustered sample the true intervals are "
                "wider than shown.",
                className="note",
            ),
            html.H2("By ward"),
            html.Div(
                _picker("Question", ids.AUD_INDICATOR, "unsafe_after_dark"), className="filter-bar"
            ),
            dcc.Graph(id=ids.AUD_INDICATOR_GRAPH, config=_GRAPH, className="audit-graph"),
            html.H2("The dark figure: victimisations in the survey per recorded incident"),
            html.Div(_picker("Area", ids.AUD_DARK_WARD, audits.ALL_WARDS), className="filter-bar"),
            dcc.Graph(id=ids.AUD_DARK_GRAPH, config=_GRAPH, className="audit-graph"),
            html.P(
                "Recorded incidents are counted over the period the survey asked about, once "
                "per event even when several agencies recorded it.",
                className="note",
            ),
            html.H2("Feeling unsafe after dark and incidents recorded after dark"),
            dcc.Graph(id=ids.AUD_PERCEPTION_GRAPH, config=_GRAPH, className="audit-graph"),
            html.H2("Places named as unsafe"),
            dcc.Graph(
                id=ids.AUD_PLACES_MAP,
                className="map-graph",
                config={"displaylogo": False, "scrollZoom": True, "responsive": True},
            ),
            html.Footer(id=ids.AUD_ATTRIBUTION, className="attribution"),
            html.Div(id=ids.AUD_UNMATCHED, className="note"),
        ],
        className="page page-audits",
    )
