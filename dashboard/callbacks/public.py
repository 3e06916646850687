"""The public app's callbacks and the content they (and the first page load) draw.

Each callback reads the month range, category and language, asks
`geodata.queries.public` (which returns suppressed aggregates only) and draws. The
threshold is read per request, so a changed OBSERVATORY_PUBLIC_MIN_COUNT applies
at once. The first view of each page is drawn by its layout, so a phone on a slow
connection gets a map in one round trip: callbacks run only when a control changes.
"""

from __future__ import annotations

from datetime import date

import dash
from dash import Input, Output, State, html

from dashboard import ids
from dashboard import public_view as view
from dashboard.figures import public_map
from dashboard.i18n import category, language, t
from geodata.db import get_engine
from geodata.queries import public, wards
from geodata.stats.suppression import CLOCK_MIN_TOTAL, public_min_count, shown_total


def _shapes(engine) -> public_map.WardShapes:
    frame = public.ward_shapes(engine)
    return public_map.ward_shapes(list(frame["code"]), list(frame["geometry"]))


def map_content(engine, start: object, end: object, chosen: object, lang: str) -> tuple:
    """(image src, image alt text, summary) of the hex map for the raw control values."""
    threshold = public_min_count()
    first, last = public.month_bounds(engine)
    start_month, end_month = view.month_range(start, end, first, last)
    label = t("map.title", lang)
    if start_month is None:
        return None, label, t("data.none", lang)
    units = public.map_units(engine, start_month, end_month, view.parse_category(chosen), threshold)
    svg = public_map.units_svg(units, _shapes(engine), threshold, label)
    shown = shown_total(units)
    summary = view.count_text("map.shown", shown, lang) if shown else t("map.too_few", lang)
    return public_map.data_uri(svg), label, summary


def legend(lang: str, wards_only: bool = False) -> html.Ul:
    """Colour steps, the hatching, and (for the hex map) what the shapes mean."""
    threshold = public_min_count()
    items = []
    for colour, (low, high) in zip(public_map.COLOURS, public_map.bins(threshold), strict=False):
        text = f"{low}–{high - 1}" if high is not None else t("map.range_open", lang, n=low)
        items.append(html.Li([html.Span(className="swatch", style={"background": colour}), text]))
    fewer = (
        t("sensitive.legend_fewer", lang, n=threshold)
        if wards_only
        else t("map.legend_fewer", lang, n=threshold)
    )
    items.append(html.Li([html.Span(className="swatch swatch-fewer"), fewer]))
    if not wards_only:
        items += [
            html.Li(t("map.legend_h3_7", lang), className="legend-note"),
            html.Li(t("map.legend_ward", lang), className="legend-note"),
        ]
    return html.Ul(items, className="pub-legend", **{"aria-label": t("map.legend", lang)})


def clock_content(engine, start: object, end: object, chosen: object, lang: str) -> list:
    """Bars of each hour's share, or why they are not shown."""
    threshold = public_min_count()
    first, last = public.month_bounds(engine)
    start_month, end_month = view.month_range(start, end, first, last)
    minimum = max(CLOCK_MIN_TOTAL, threshold)
    if start_month is None:
        return [html.P(t("data.none", lang))]
    result = public.hour_shares(
        engine, start_month, end_month, view.parse_category(chosen), threshold
    )
    if result.shares is None:
        return [html.P(t("clock.too_few", lang, n=minimum), className="pub-status")]
    top = max(result.shares) or 1.0
    rows = [
        html.Li(
            [
                html.Span(f"{hour:02d}:00", className="hour"),
                html.Span(
                    html.Span(className="bar", style={"width": f"{100 * share / top:.0f}%"}),
                    className="bar-track",
                ),
                html.Span(f"{share:.1f} %", className="share", **{"data-share": share}),
            ]
        )
        for hour, share in enumerate(result.shares)
    ]
    return [
        html.P(view.count_text("clock.based_on", result.total, lang)),
        html.Ul(rows, className="pub-clock", **{"aria-label": t("clock.share", lang)}),
    ]


def quarter_options(engine, lang: str) -> list[dict]:
    options = []
    for quarter in public.sensitive_quarters(engine):
        year, q = quarter.split("-Q")
        options.append({"label": t("trend.quarter_value", lang, q=q, year=year), "value": quarter})
    return options


def sensitive_content(engine, quarter: object, chosen: object, lang: str) -> tuple:
    """(image src, alt text, table) of one sensitive category by ward for a quarter."""
    threshold = public_min_count()
    name = chosen if chosen in public.SENSITIVE_CATEGORIES else public.SENSITIVE_CATEGORIES[0]
    quarters = public.sensitive_quarters(engine)
    quarter = quarter if quarter in quarters else (quarters[-1] if quarters else None)
    label = t("sensitive.alt", lang, n=threshold)
    if quarter is None:
        return None, label, html.P(t("data.none", lang))
    table = public.sensitive_ward_quarters(engine, name, threshold)
    table = table[table["quarter"] == quarter]
    counts = dict(zip(table["ward_code"], table["count"].astype(int), strict=True))
    svg = public_map.wards_svg(counts, _shapes(engine), threshold, label)
    if not counts:
        return public_map.data_uri(svg), label, html.P(t("sensitive.none", lang, n=threshold))
    ward_table = wards.ward_table(engine)
    names = dict(zip(ward_table["code"], ward_table["name"], strict=True))
    rows = [
        html.Tr([html.Td(names.get(code, code)), html.Td(f"{n:,}", **{"data-count": n})])
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    header = html.Tr([html.Th(t("filter.ward", lang)), html.Th(category(name, lang))])
    return (
        public_map.data_uri(svg),
        label,
        html.Table([html.Thead(header), html.Tbody(rows)], className="pub-table"),
    )


def _day(value: date | None, lang: str) -> str:
    if value is None:
        return "–"
    return f"{value.day} {t(f'month.{value.month}', lang)} {value.year}"


def actions_content(engine, lang: str) -> html.Div:
    """The "you said, we did" table: what kind of action, where, its status and dates."""
    from geodata.actions import KIND_LABELS, STATUS_LABELS
    from geodata.queries.actions import public_tracker

    tracker = public_tracker(engine)
    if tracker.empty:
        return html.P(t("actions.none", lang), className="pub-status")
    kinds = {label: key for key, label in KIND_LABELS.items()}
    statuses = {label: key for key, label in STATUS_LABELS.items()}
    header = html.Tr(
        [
            html.Th(t(key, lang))
            for key in ("actions.kind", "filter.ward", "actions.status", "actions.updated")
        ]
    )
    rows = []
    for row in tracker.itertuples():
        status = t(f"status.{statuses[row.status_label]}", lang)
        if row.overdue:
            status = [status, " ", html.Span(t("actions.overdue", lang), className="overdue")]
        latest = row.completed_on or row.due_on or row.decided_on
        rows.append(
            html.Tr(
                [
                    html.Td(t(f"kind.{kinds.get(row.kind_label, 'other')}", lang)),
                    html.Td(row.wards),
                    html.Td(status),
                    html.Td(_day(latest, lang)),
                ]
            )
        )
    return html.Table([html.Thead(header), html.Tbody(rows)], className="pub-table")


def register(app: dash.Dash) -> None:
    @app.callback(
        Output(ids.PUB_MAP_IMAGE, "src"),
        Output(ids.PUB_MAP_IMAGE, "alt"),
        Output(ids.PUB_MAP_SUMMARY, "children"),
        Input(ids.PUB_MAP_FROM, "value"),
        Input(ids.PUB_MAP_TO, "value"),
        Input(ids.PUB_MAP_CATEGORY, "value"),
        State(ids.PUB_LANG, "data"),
        prevent_initial_call=True,
    )
    def update_map(start, end, chosen, lang):
        return map_content(get_engine(), start, end, chosen, language(lang))

    @app.callback(
        Output(ids.PUB_CLOCK_BARS, "children"),
        Input(ids.PUB_CLOCK_FROM, "value"),
        Input(ids.PUB_CLOCK_TO, "value"),
        Input(ids.PUB_CLOCK_CATEGORY, "value"),
        State(ids.PUB_LANG, "data"),
        prevent_initial_call=True,
    )
    def update_clock(start, end, chosen, lang):
        return clock_content(get_engine(), start, end, chosen, language(lang))

    @app.callback(
        Output(ids.PUB_SENS_IMAGE, "src"),
        Output(ids.PUB_SENS_IMAGE, "alt"),
        Output(ids.PUB_SENS_TABLE, "children"),
        Input(ids.PUB_SENS_QUARTER, "value"),
        Input(ids.PUB_SENS_CATEGORY, "value"),
        State(ids.PUB_LANG, "data"),
        prevent_initial_call=True,
    )
    def update_sensitive(quarter, chosen, lang):
        return sensitive_content(get_engine(), quarter, chosen, language(lang))
