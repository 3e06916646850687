"""About the data: which agencies' registers are loaded, the ward boundaries and
their attribution, and how the map is drawn."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids, options
from dashboard.markdown_table import markdown_table
from geodata.db import get_engine
from geodata.queries import sources, wards

dash.register_page(
    __name__,
    path="/about",
    name="About the data",
    title="About the data · Crime and violence observatory",
    order=100,
)


def agencies_markdown(frame) -> str:
    """The agencies as one Markdown table: a national database lists about 300
    stations (dashboard.markdown_table)."""
    rows = (
        (row.agency, row.agency_type, f"{row.incidents:,}", row.first or "–", row.last or "–")
        for row in frame.itertuples()
    )
    return markdown_table(("Agency", "Type", "Incidents", "First", "Last"), rows, right={2})


def _agencies_table(engine) -> html.P | dcc.Markdown:
    frame = sources.agency_summary(engine)
    if frame.empty:
        return html.P("No agency registers loaded yet.", id=ids.ABOUT_AGENCIES)
    return dcc.Markdown(agencies_markdown(frame), id=ids.ABOUT_AGENCIES, className="table-md")


def _wards_section(engine) -> html.Div:
    count = len(wards.ward_table(engine))
    attributions = wards.ward_attributions(engine)
    items = [html.P(f"{count:,} wards loaded.")]
    if attributions:
        items.append(html.Ul([html.Li(a) for a in attributions]))
    elif count:
        items.append(html.P("The loaded boundary file did not name its source."))
    return html.Div(items, id=ids.ABOUT_WARDS)


def layout(**_query) -> html.Div:
    engine = get_engine()
    public = options.current().public
    privacy = (
        "This public view shows aggregates only; sensitive categories are never mapped."
        if public
        else "Names, phone numbers and ID numbers are removed before anything is stored."
    )
    return html.Div(
        [
            html.H1("About the data", className="page-title"),
            html.H2("Agency registers"),
            _agencies_table(engine),
            html.H2("Ward boundaries"),
            _wards_section(engine),
            html.H2("How the map is drawn"),
            html.P(
                "Incidents are counted on H3 hexagons (resolution 8, about 0.7 km² each) "
                "and drawn with MapLibre over ward outlines; the map needs no internet "
                "connection."
            ),
            html.H2("Privacy"),
            html.P(privacy),
        ],
        className="page page-about",
    )
