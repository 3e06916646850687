"""Linked records and completeness page callbacks. Confirming and splitting go
through `confirm` and `split`, which the tests call without a browser too."""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, ctx, no_update

from dashboard import auth, ids
from dashboard.figures import completeness as completeness_figures
from dashboard.figures import links as link_figures
from dashboard.options import AppOptions
from geodata import linkage_store
from geodata.db import get_engine
from geodata.errors import ObservatoryError
from geodata.queries import linkage

PAGE_ROLES = {"/completeness": ("team",)}
# Groups shown at a time: hundreds of pattern-matching buttons make the browser crawl;
# confirming or splitting one brings the next into view.
GROUPS_SHOWN = 25


def confirm(engine, group_id: int) -> str:
    """Confirm a group: linkage keeps it from now on. Returns the message to show."""
    linkage_store.confirm_group(engine, group_id)
    return f"Event {group_id} confirmed: its records stay linked."


def split(engine, incident_id: int) -> str:
    """Split a record off its group: it is never linked again."""
    linkage_store.split_record(engine, incident_id)
    return "Record split off: it counts as an event of its own and is never linked again."


def _clicked() -> tuple[str, int] | None:
    """(button type, index) of the button that fired, or None for a fresh render."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0]["value"]:
        return None
    return trigger["type"], int(trigger["index"])


def register(app: dash.Dash, opts: AppOptions) -> None:
    auth.declare_page_roles(app, PAGE_ROLES)

    @app.callback(
        Output(ids.LNK_GROUPS, "children"),
        Output(ids.LNK_STATUS, "children"),
        Input(ids.LNK_REFRESH, "data"),
    )
    def show_groups(_refresh):
        groups = linkage.linked_groups(get_engine(), GROUPS_SHOWN)
        if groups.empty:
            return [], "No records are linked: linkage found no event seen by two agencies."
        count = groups["group_id"].nunique()
        open_ = groups.loc[~groups["confirmed"], "group_id"].nunique()
        status = (
            f"{count:,} linked events shown (the weakest links first), {open_:,} of them "
            "not yet confirmed."
        )
        return link_figures.group_cards(groups), status

    @app.callback(
        Output(ids.LNK_MESSAGE, "children"),
        Output(ids.LNK_REFRESH, "data"),
        Input({"type": ids.LNK_CONFIRM, "index": ALL}, "n_clicks"),
        Input({"type": ids.LNK_SPLIT, "index": ALL}, "n_clicks"),
        State(ids.LNK_REFRESH, "data"),
        prevent_initial_call=True,
    )
    def act(_confirms, _splits, refresh):
        clicked = _clicked()
        if clicked is None:
            return no_update, no_update
        kind, index = clicked
        action = confirm if kind == ids.LNK_CONFIRM else split
        try:
            message = action(get_engine(), index)
        except ObservatoryError as exc:
            return str(exc), (refresh or 0) + 1
        return message, (refresh or 0) + 1

    @app.callback(
        Output(ids.CMP_ESTIMATES, "children"),
        Output(ids.CMP_ASSUMPTIONS, "children"),
        Output(ids.CMP_GRAPH, "figure"),
        Output(ids.CMP_TABLE, "children"),
        Output(ids.CMP_STATUS, "children"),
        Input(ids.CMP_LOAD, "children"),
    )
    def show_completeness(_load):
        engine = get_engine()
        table = linkage.completeness_by_ward_month(engine)
        estimates = linkage.capture_recapture_by_category(engine)
        status = (
            f"{int(table[['police_only', 'other_only', 'both']].sum().sum()):,} events in "
            f"{table['ward_code'].nunique():,} wards over {table['month'].nunique():,} months."
            if len(table)
            else "No incidents loaded yet."
        )
        return (
            completeness_figures.estimates_table(estimates, linkage.min_overlap()),
            completeness_figures.assumptions_list(linkage.assumptions()),
            completeness_figures.sources_by_month(table),
            completeness_figures.ward_month_table(table),
            status,
        )
