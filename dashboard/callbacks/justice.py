"""Justice chain page callbacks: category, agency and ward filters in; the funnel,
the funnel compared by group, days at each stage, the longest-waiting open cases
and the change between periods out. Days are counted to the latest date the
loaded registers describe, so an old file does not show every case as years late."""

from __future__ import annotations

from datetime import date

import dash
import pandas as pd
from dash import Input, Output, html

from dashboard import auth, ids
from dashboard.figures import justice as figures
from dashboard.figures.evaluation import empty_map
from dashboard.options import AppOptions
from geodata.categories import LABELS
from geodata.db import get_engine
from geodata.queries import justice, wards
from geodata.stats.justice import STAGE_LABELS, STAGES

STUCK_ROWS = 20
_FILTERS = (
    Input(ids.JUS_CATEGORIES, "value"),
    Input(ids.JUS_AGENCIES, "value"),
    Input(ids.JUS_WARDS, "value"),
)
_BY_LABELS = {"category": "Category", "agency": "Agency", "ward_code": "Ward"}


def filter_args(categories, agencies, ward_codes) -> dict:
    """The query layer's tuple filters (empty: all) from the dropdowns' values."""
    return {
        "categories": tuple(sorted(categories or ())),
        "agencies": tuple(sorted(agencies or ())),
        "wards": tuple(sorted(ward_codes or ())),
    }


def periods(as_of: date, months: int) -> tuple[tuple[date, date], tuple[date, date]]:
    """The `months` up to `as_of` (inclusive) and the `months` before them."""
    end = pd.Timestamp(as_of)
    after_start = end - pd.DateOffset(months=months) + pd.Timedelta(days=1)
    before_start = after_start - pd.DateOffset(months=months)
    before_end = after_start - pd.Timedelta(days=1)
    return (before_start.date(), before_end.date()), (after_start.date(), end.date())


def _group_label(by: str, value, ward_names: dict) -> str:
    if by == "category":
        return LABELS.get(value, str(value))
    if by == "ward_code":
        return "No ward" if value is None or pd.isna(value) else ward_names.get(value, value)
    return str(value)


def funnel_table(table: pd.DataFrame, by: str, ward_names: dict) -> html.Table | html.P:
    """One row per group: cases at each stage, with the share of reported."""
    if table.empty:
        return html.P("No cases match these filters.")
    wide = table.pivot_table(index=by, columns="stage", values="cases", aggfunc="sum")
    wide = wide.reindex(columns=list(STAGES), fill_value=0).sort_values("reported", ascending=False)
    header = [html.Th(_BY_LABELS[by])] + [html.Th(STAGE_LABELS[s]) for s in STAGES]
    rows = []
    for group, counts in wide.iterrows():
        reported = counts["reported"]
        cells = [html.Td(_group_label(by, group, ward_names))]
        for stage in STAGES:
            share = f" ({counts[stage] / reported:.0%})" if reported and stage != "reported" else ""
            cells.append(html.Td(f"{int(counts[stage]):,}{share}", className="number"))
        rows.append(html.Tr(cells))
    return html.Table(
        [
            html.Caption("Cases reaching each stage; in brackets, the share of those reported."),
            html.Thead(html.Tr(header)),
            html.Tbody(rows),
        ],
        className="table data-table",
    )


def stuck_table(stuck: pd.DataFrame, as_of: date) -> html.Table | html.P:
    """The open cases longest without a change (registers' references, no names)."""
    if stuck.empty:
        return html.P("No open case matches these filters.")
    columns = ("Agency", "Record ref", "Category", "Ward", "Status", "Since", "Days waiting")
    rows = [
        html.Tr(
            [
                html.Td(r["agency"]),
                html.Td(r["record_ref"]),
                html.Td(LABELS.get(r["category"], r["category"])),
                html.Td(r["ward_name"] or "-"),
                html.Td(STAGE_LABELS.get(r["status"], r["status"])),
                html.Td(pd.Timestamp(r["since"]).strftime("%d %b %Y")),
                html.Td(f"{int(r['days']):,}", className="number"),
            ]
        )
        for r in stuck.to_dict("records")
    ]
    return html.Table(
        [
            html.Caption(
                f"The {len(stuck)} open cases longest since their last change, "
                f"counted to {as_of:%d %b %Y}."
            ),
            html.Thead(html.Tr([html.Th(c) for c in columns])),
            html.Tbody(rows),
        ],
        className="table data-table",
    )


def _outputs(args: dict, by: str) -> tuple:
    engine = get_engine()
    count, as_of = justice.case_count_and_latest_day(engine, **args)
    if as_of is None:
        blank = empty_map("No cases match these filters.")
        return "No cases match these filters.", blank, [], blank, []
    funnel = justice.justice_funnel(engine, None, None, (), **args)
    grouped = justice.justice_funnel(engine, None, None, (by,), **args) if by != "none" else None
    durations = justice.justice_durations(engine, as_of, None, None, **args)
    names = dict(wards.ward_table(engine)[["code", "name"]].to_numpy())
    stuck = justice.stuck_cases(engine, as_of, STUCK_ROWS, **args)
    if len(stuck):
        # Record references are record-level data: who saw them is logged.
        auth.audit("view.stuck_cases", {"rows": len(stuck), **args})
    status = (
        f"{count:,} cases; days are counted to {as_of:%d %B %Y}, the latest date in the "
        "loaded registers."
    )
    return (
        status,
        figures.funnel_figure(funnel),
        [] if grouped is None else funnel_table(grouped, by, names),
        figures.stage_durations_figure(durations),
        stuck_table(stuck, as_of),
    )


def register(app: dash.Dash, opts: AppOptions) -> None:
    @app.callback(
        Output(ids.JUS_STATUS, "children"),
        Output(ids.JUS_FUNNEL, "figure"),
        Output(ids.JUS_FUNNEL_TABLE, "children"),
        Output(ids.JUS_DURATIONS, "figure"),
        Output(ids.JUS_STUCK, "children"),
        *_FILTERS,
        Input(ids.JUS_BY, "value"),
    )
    @auth.require_role("team")
    def update_chain(categories, agencies, ward_codes, by):
        return _outputs(filter_args(categories, agencies, ward_codes), by or "none")

    @app.callback(Output(ids.JUS_CHANGE, "figure"), *_FILTERS, Input(ids.JUS_PERIOD, "value"))
    @auth.require_role("team")
    def update_change(categories, agencies, ward_codes, months):
        engine = get_engine()
        args = filter_args(categories, agencies, ward_codes)
        _, as_of = justice.case_count_and_latest_day(engine, **args)
        if as_of is None:
            return empty_map("No cases match these filters.")
        before, after = periods(as_of, int(months or 6))
        labels = tuple(f"{a:%d %b %Y} to {b:%d %b %Y}" for a, b in (before, after))
        table = justice.justice_change(engine, before, after, **args)
        return figures.period_change_figure(table, labels)
