"""The filter bar shared by the analytics pages (hot spots, clock, trends): dates,
categories (sensitive ones marked), agencies, wards, a time-of-day band and the
focus set by clicking the hot-spot map. Values start from the URL query string
(dashboard.filters.ViewFilters) and are written back to it in the browser
(assets/clientside.js), so a view can be bookmarked and reopened at a meeting."""

from __future__ import annotations

from datetime import date

import pandas as pd
from dash import Input, State, dcc, html

from dashboard import auth, components, filters, ids

# The inputs every analytics callback reads, in this order (see `view_from_inputs`).
INPUTS = (
    Input(ids.FILTER_DATES, "start_date"),
    Input(ids.FILTER_DATES, "end_date"),
    Input(ids.FILTER_CATEGORIES, "value"),
    Input(ids.FILTER_AGENCIES, "value"),
    Input(ids.FILTER_WARDS, "value"),
    Input(ids.FILTER_BAND, "value"),
    Input(ids.FILTER_HOUR_FROM, "value"),
    Input(ids.FILTER_HOUR_TO, "value"),
    Input(ids.FILTER_FOCUS, "data"),
)
STATES = tuple(State(i.component_id, i.component_property) for i in INPUTS)
CUSTOM = "custom"
BAND_OPTIONS = (
    {"label": "All day", "value": ""},
    {"label": "Day (06:00–18:00)", "value": "6-18"},
    {"label": "Night (18:00–06:00)", "value": "18-6"},
    {"label": "Choose hours…", "value": CUSTOM},
)
HOUR_OPTIONS = [{"label": f"{h:02d}:00", "value": h} for h in range(24)]


def band_value(band: tuple[int, int] | None) -> tuple[str, int | None, int | None]:
    """The band dropdown's value and the custom hours for a band."""
    if band is None:
        return "", None, None
    text = f"{band[0]}-{band[1]}"
    preset = any(o["value"] == text for o in BAND_OPTIONS)
    return (text if preset else CUSTOM), band[0], band[1]


def view_from_inputs(values, first: date | None, last: date | None, public: bool):
    """ViewFilters from the INPUTS values, in their order."""
    start, end, categories, agencies, wards, band, hour_from, hour_to, focus = values
    hours = f"{hour_from}-{hour_to}" if band == CUSTOM else band
    return filters.view_from_values(
        {
            "start": start,
            "end": end,
            "categories": categories,
            "agencies": agencies,
            "wards": wards,
            "hours": hours,
            "focus": focus,
        },
        first=first,
        last=last,
        public=public,
    )


def focus_text(focus: str | None, ward_names: dict[str, str]) -> str:
    """What the focus chip says."""
    kind, _, value = (focus or "").partition(":")
    if kind == "ward":
        return f"Focus: ward {ward_names.get(value, value)}"
    if kind == "cell":
        return f"Focus: hexagon {value}"
    return ""


def _field(label: str, control, control_id: str, wide: bool = False) -> html.Div:
    return html.Div(
        [html.Label(label, htmlFor=control_id, className="filter-label"), control],
        className="filter filter-wide" if wide else "filter",
    )


def filter_bar(
    state: filters.ViewFilters,
    first: date | None,
    last: date | None,
    agencies: pd.DataFrame,
    wards: pd.DataFrame,
    public: bool,
) -> html.Div:
    """The bar for `state`; agencies (id, name) and wards (code, name) list the choices."""
    band, hour_from, hour_to = band_value(state.band)
    names = dict(zip(wards["code"], wards["name"], strict=True))
    return html.Div(
        [
            _field(
                "Dates",
                dcc.DatePickerRange(
                    id=ids.FILTER_DATES,
                    start_date=state.start,
                    end_date=state.end,
                    min_date_allowed=first,
                    max_date_allowed=last,
                    display_format="D MMM YYYY",
                    first_day_of_week=1,
                ),
                ids.FILTER_DATES,
            ),
            _field(
                "Categories",
                dcc.Dropdown(
                    id=ids.FILTER_CATEGORIES,
                    options=components.category_options(filters.allowed_categories(public)),
                    value=list(state.categories),
                    multi=True,
                    placeholder="All categories",
                ),
                ids.FILTER_CATEGORIES,
                wide=True,
            ),
            _field(
                "Agencies",
                dcc.Dropdown(
                    id=ids.FILTER_AGENCIES,
                    options=[
                        {"label": row.name, "value": int(row.id)} for row in agencies.itertuples()
                    ],
                    value=list(state.agencies),
                    multi=True,
                    placeholder="All agencies",
                ),
                ids.FILTER_AGENCIES,
            ),
            _field(
                "Wards",
                dcc.Dropdown(
                    id=ids.FILTER_WARDS,
                    options=[{"label": names[c], "value": c} for c in sorted(names, key=names.get)],
                    value=list(state.wards),
                    multi=True,
                    placeholder="All wards",
                ),
                ids.FILTER_WARDS,
            ),
            _field(
                "Time of day",
                html.Div(
                    [
                        dcc.Dropdown(
                            id=ids.FILTER_BAND,
                            options=list(BAND_OPTIONS),
                            value=band,
                            clearable=False,
                            className="band-choice",
                        ),
                        dcc.Dropdown(
                            id=ids.FILTER_HOUR_FROM,
                            options=HOUR_OPTIONS,
                            value=hour_from,
                            placeholder="from",
                            className="band-hour",
                        ),
                        dcc.Dropdown(
                            id=ids.FILTER_HOUR_TO,
                            options=HOUR_OPTIONS,
                            value=hour_to,
                            placeholder="to",
                            className="band-hour",
                        ),
                    ],
                    className="band",
                ),
                ids.FILTER_BAND,
            ),
            html.Div(
                [
                    html.Span(focus_text(state.focus, names), id=ids.FILTER_FOCUS_LABEL),
                    html.Button(
                        "Clear focus",
                        id=ids.FILTER_FOCUS_CLEAR,
                        className="button",
                        hidden=not state.focus,
                    ),
                    dcc.Store(id=ids.FILTER_FOCUS, data=state.focus),
                ],
                className="filter focus-chip",
                **{"aria-live": "polite"},
            ),
            html.Div(id=ids.FILTER_URL_SYNC, hidden=True),
        ],
        className="filter-bar",
        role="search",
    )


def page_filters(query: dict, public: bool) -> tuple[filters.ViewFilters, html.Div, str]:
    """The filters a page opens with (from its query string), its filter bar, and a
    status line for an empty database."""
    from geodata.db import get_engine
    from geodata.queries import analytics, maps, wards

    engine = get_engine()
    first, last = maps.date_bounds(engine)
    state = filters.view_from_values(query, first=first, last=last, public=public)
    table = wards.ward_table(engine)
    scope = auth.data_scope()
    if scope is not None:  # a commander chooses among their station's wards
        table = table[table["code"].isin(scope)]
    bar = filter_bar(state, first, last, analytics.agency_list(engine), table, public)
    status = (
        "No incidents loaded yet: load agency files with `observatory ingest`."
        if last is None
        else ""
    )
    return state, bar, status
