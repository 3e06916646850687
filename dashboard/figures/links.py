"""The linked-records page's list: one card per group of records linked as one
event, its members (agency, category, time, ward; never personal data or free text)
with a Split button each, and a Confirm button for the group.

Pure builder: geodata.queries.linkage.linked_groups in, Dash components out."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard import ids
from geodata.categories import LABELS

MEMBER_HEADER = ("Agency", "Type", "Category", "When", "Ward", "Placed by", "")


def _when(row: dict) -> str:
    moment = pd.Timestamp(row["occurred_from"])
    return f"{moment:%d %b %Y %H:%M}" if row["time_known"] else f"{moment:%d %b %Y}"


def _member(row: dict) -> html.Tr:
    ward = row["ward_name"] if isinstance(row["ward_name"], str) else "–"
    split = html.Button(
        "Split off",
        id={"type": ids.LNK_SPLIT, "index": int(row["incident_id"])},
        className="button",
        title="Not the same event: this record is never linked again",
    )
    return html.Tr(
        [
            html.Td(row["agency"]),
            html.Td(row["agency_type"].replace("_", " ")),
            html.Td(LABELS.get(row["category"], row["category"])),
            html.Td(_when(row)),
            html.Td(ward),
            html.Td(row["geocode_method"].replace("_", " ")),
            html.Td(split, className="row-buttons"),
        ]
    )


def group_cards(groups: pd.DataFrame) -> list[html.Section]:
    """One card per group, in the order of the frame."""
    cards = []
    for group_id, members in groups.groupby("group_id", sort=False):
        first = members.iloc[0]
        confirmed = bool(first["confirmed"])
        state = "confirmed" if confirmed else f"link score {first['score']:.2f}"
        action = (
            html.Span("Confirmed", className="badge")
            if confirmed
            else html.Button(
                "Confirm",
                id={"type": ids.LNK_CONFIRM, "index": int(group_id)},
                className="button-primary",
                title="These records are one event: keep them together",
            )
        )
        cards.append(
            html.Section(
                [
                    html.H3(f"Event {group_id}: {len(members)} records, {state}"),
                    html.Table(
                        [
                            html.Thead(html.Tr([html.Th(h, scope="col") for h in MEMBER_HEADER])),
                            html.Tbody([_member(r) for r in members.to_dict("records")]),
                        ],
                        className="data-table",
                    ),
                    action,
                ],
                className="link-group" + (" confirmed" if confirmed else ""),
                id=f"link-group-{group_id}",
            )
        )
    return cards
