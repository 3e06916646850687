"""The "you said, we did" tracker as html tables: the team's (an Edit button on every
row, an Evaluate link on done actions with a place) and the public-safe one. Pure
builders over geodata.queries.actions.tracker_table / public_tracker frames."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from dash import dcc, html

from dashboard import ids

OVERDUE_MARK = "⚠"


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else f"{value:%d %b %Y}"


def _overdue_cell(row: dict) -> html.Td:
    if not row["overdue"]:
        return html.Td("")
    days = int(row["days_overdue"])
    return html.Td(
        f"{OVERDUE_MARK} {days:,} day{'s' if days != 1 else ''} overdue", className="overdue-flag"
    )


def tracker_html(table: pd.DataFrame, table_id: str, evaluable: Iterable[int] = ()) -> html.Table:
    """The team's tracker (geodata.queries.actions.tracker_table): by status, overdue
    ones flagged and first; an Edit button on every row, an Evaluate link on done
    actions with a place (`evaluable` ids)."""
    evaluable = set(evaluable)
    header = ("Status", "Overdue", "Kind", "Title", "Wards", "Responsible", "Due", "Done", "")
    rows = []
    for row in table.to_dict("records"):
        buttons = [
            html.Button(
                "Edit", id={"type": ids.ACT_EDIT, "index": int(row["id"])}, className="button"
            )
        ]
        if row["id"] in evaluable:
            buttons.append(
                dcc.Link("Evaluate", href=f"/evaluation?action={row['id']}", className="button")
            )
        rows.append(
            html.Tr(
                [
                    html.Td(row["status_label"]),
                    _overdue_cell(row),
                    html.Td(row["kind_label"]),
                    html.Td(row["title"]),
                    html.Td(row["wards"] or "–"),
                    html.Td(row["responsible_agency"] or "–"),
                    html.Td(_day(row["due_on"])),
                    html.Td(_day(row["completed_on"])),
                    html.Td(buttons, className="row-buttons"),
                ],
                className="overdue" if row["overdue"] else None,
                **{"data-action": str(row["id"])},
            )
        )
    return _table(table_id, header, rows, len(table), int(table["overdue"].sum()))


def public_tracker_html(table: pd.DataFrame, table_id: str) -> html.Table:
    """The public-safe tracker (geodata.queries.actions.public_tracker): kind, wards,
    status and dates only, as the public app publishes it."""
    header = ("Status", "Overdue", "Kind", "Wards", "Decided", "Due", "Done")
    rows = [
        html.Tr(
            [
                html.Td(row["status_label"]),
                _overdue_cell(row),
                html.Td(row["kind_label"]),
                html.Td(row["wards"]),
                html.Td(_day(row["decided_on"])),
                html.Td(_day(row["due_on"])),
                html.Td(_day(row["completed_on"])),
            ],
            className="overdue" if row["overdue"] else None,
        )
        for row in table.to_dict("records")
    ]
    return _table(table_id, header, rows, len(table), int(table["overdue"].sum()))


def _table(table_id, header, rows, total: int, overdue: int) -> html.Table:
    caption = f"{total:,} actions" + (f"; {OVERDUE_MARK} {overdue:,} overdue" if overdue else "")
    return html.Table(
        [
            html.Caption(caption),
            html.Thead(html.Tr([html.Th(h) for h in header])),
            html.Tbody(rows),
        ],
        id=table_id,
        className="table data-table tracker-table",
    )
