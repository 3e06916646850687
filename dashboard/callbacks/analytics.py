"""Callbacks of the shared filter bar (focus chip, URL and navigation links) and of
the crime clock and trends pages: filters in, figures and tables out. Counts are
limited to the viewer's wards (`auth.scoped_filters`)."""

from __future__ import annotations

import dash
import pandas as pd
from dash import ALL, ClientsideFunction, Input, Output, State, html

from dashboard import auth, filter_bar, ids
from dashboard.figures import clock as clock_figures
from dashboard.figures import trends as trend_figures
from dashboard.options import AppOptions
from dashboard.payload import plain
from geodata.cache import cached
from geodata.categories import LABELS
from geodata.db import get_engine
from geodata.queries import analytics, comparisons, maps, wards
from geodata.queries import clock as clock_queries
from geodata.queries.filters import IncidentFilter
from geodata.stats.trends import month_coverage, monthly_counts, paced_counts


def _view(values, opts: AppOptions):
    engine = get_engine()
    first, last = maps.date_bounds(engine)
    state = filter_bar.view_from_inputs(values, first, last, opts.public)
    return engine, auth.scoped_filters(state)


def _card(label: str, value: str, value_id: str, note: str = "") -> html.Div:
    return html.Div(
        [
            html.Div(label, className="headline-label"),
            html.Div(value, id=value_id, className="headline-value"),
            html.Div(note, className="headline-note"),
        ],
        className="headline",
    )


@cached
def clock_payload(engine, args: tuple) -> tuple:
    """The clock page's outputs for filters given as sorted (key, value) pairs, kept
    per data version as plain JSON: building plotly figures costs more than the
    reads, and plain outputs are serialised by orjson (dashboard.payload)."""
    return tuple(plain(o) for o in clock_outputs(engine, dict(args)))


@cached
def trend_payload(engine, args: tuple) -> tuple:
    """The trends page's outputs, cached like clock_payload."""
    return tuple(plain(o) for o in trend_outputs(engine, dict(args)))


def clock_outputs(engine, args: dict) -> tuple:
    """The clock page's four figures and its summary cards."""
    clock = clock_queries.clock_weights(engine, IncidentFilter(**args))
    args = {k: v for k, v in args.items() if k != "hours"}
    daylight = clock_queries.daylight_counts(engine, IncidentFilter(**args))
    peaks = clock_figures.peak_hours(clock.hour)
    timed = clock.timed_total
    peak_text = ", ".join(f"{h:02d}:00" for h in peaks) if timed else "–"
    dark = daylight["darkness"].sum()
    light = daylight["daylight"].sum()
    cards = [
        _card("Incidents with a time", f"{timed:,.0f}", ids.CLOCK_SUMMARY + "-timed"),
        _card("Busiest hours", peak_text, ids.CLOCK_PEAK, "weighted, heaviest first"),
        _card(
            "Time not recorded",
            f"{clock.date_only_total:,.0f}",
            ids.CLOCK_SUMMARY + "-date-only",
            "shown apart, never at midnight",
        ),
        _card(
            "In darkness",
            f"{dark / (dark + light):.0%}" if dark + light else "–",
            ids.CLOCK_SUMMARY + "-dark",
            "of incidents with a time and a place",
        ),
    ]
    return (
        clock_figures.radial_clock(clock.hour),
        clock_figures.weekday_hour_heatmap(clock.weekday_hour),
        clock_figures.date_only_bars(clock.date_only),
        clock_figures.daylight_bars(daylight),
        cards,
    )


def trend_outputs(engine, args: dict) -> tuple:
    """The trends page's two trend figures, comparison cards and CompStat table."""
    start, end = args.pop("start"), args.pop("end")
    if end is None:
        empty = pd.DataFrame(
            {"month": pd.Series([], dtype="datetime64[ns]"), "group": [], "count": []}
        )
        figure = trend_figures.monthly_lines(empty)
        return figure, figure, [], html.P("No incidents loaded yet.")
    figures = []
    agencies = analytics.agency_list(engine)
    names = {
        "category": LABELS,
        "agency": dict(zip(agencies["id"], agencies["name"], strict=True)),
    }
    # Months are drawn only over the days the data holds: a range reaching past the
    # last incident, or before the first, would otherwise draw empty days as a fall.
    data_first, data_last = maps.date_bounds(engine)
    first, last = max(start or data_first, data_first), min(end, data_last)
    coverage = month_coverage(first, last)
    for by in ("category", "agency"):
        # Rows are dated on the 1st: the first month counts only the days from start.
        monthly = analytics.monthly_trend(engine, IncidentFilter(start, end, **args), by=by)
        monthly = monthly_counts(monthly, first.replace(day=1), last, by=("group",))
        monthly = paced_counts(monthly, coverage)
        figures.append(trend_figures.monthly_lines(monthly, names[by]))
    cards = comparisons.period_cards(engine, end, IncidentFilter(**args))
    table = comparisons.compstat_by_ward(engine, end, IncidentFilter(**args))
    return (
        *figures,
        [
            trend_figures.period_card(
                trend_figures.PERIOD_TITLES["recent"], cards["recent"], ids.TREND_RECENT
            ),
            trend_figures.period_card(
                trend_figures.PERIOD_TITLES["ytd"], cards["ytd"], ids.TREND_YTD
            ),
        ],
        trend_figures.compstat_html(
            table,
            ids.TREND_COMPSTAT + "-table",
            not_comparable={k: cards[k]["not_comparable"] for k in ("recent", "ytd")},
        ),
    )


def register(app: dash.Dash, opts: AppOptions) -> None:
    @app.callback(
        Output(ids.CLOCK_RADIAL, "figure"),
        Output(ids.CLOCK_HEATMAP, "figure"),
        Output(ids.CLOCK_DATE_ONLY, "figure"),
        Output(ids.CLOCK_DAYLIGHT, "figure"),
        Output(ids.CLOCK_SUMMARY, "children"),
        *filter_bar.INPUTS,
    )
    def update_clock(*values):
        engine, state = _view(values, opts)
        return clock_payload(engine, tuple(sorted(state.query_args(opts.public).items())))

    @app.callback(
        Output(ids.TREND_CATEGORY, "figure"),
        Output(ids.TREND_AGENCY, "figure"),
        Output(ids.TREND_CARDS, "children"),
        Output(ids.TREND_COMPSTAT, "children"),
        *filter_bar.INPUTS,
    )
    def update_trends(*values):
        engine, state = _view(values, opts)
        return trend_payload(engine, tuple(sorted(state.query_args(opts.public).items())))

    @app.callback(
        Output(ids.FILTER_FOCUS_LABEL, "children"),
        Output(ids.FILTER_FOCUS_CLEAR, "hidden"),
        Input(ids.FILTER_FOCUS, "data"),
    )
    def show_focus(focus):
        table = wards.ward_table(get_engine())
        names = dict(zip(table["code"], table["name"], strict=True))
        return filter_bar.focus_text(focus, names), not focus

    @app.callback(
        Output(ids.FILTER_FOCUS, "data", allow_duplicate=True),
        Input(ids.FILTER_FOCUS_CLEAR, "n_clicks"),
        prevent_initial_call=True,
    )
    def clear_focus(_clicks):
        return None

    # The address bar and the navigation links follow the filters, so a view can be
    # bookmarked and the next page opens with the same filters (assets/clientside.js).
    app.clientside_callback(
        ClientsideFunction("analytics", "syncViewUrl"),
        Output({"type": ids.NAV_LINK, "index": ALL}, "href"),
        *filter_bar.INPUTS,
        State({"type": ids.NAV_LINK, "index": ALL}, "id"),
    )
