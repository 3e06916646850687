"""Linked records: records of different agencies that linkage took for one event
(a police report and the injury a health facility treated, say). A reviewer confirms
a group (linkage keeps it as it is from then on) or splits a record off (it is never
linked again). Members are shown by agency, category, time and ward only.

For the team only (`dashboard.auth.PAGE_ROLES`)."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids

dash.register_page(
    __name__,
    path="/links",
    name="Linked records",
    title="Linked records · Crime and violence observatory",
    order=85,
)


def layout(**_query) -> html.Div:
    return html.Div(
        [
            html.H1("Records linked as one event", className="page-title"),
            html.P(id=ids.LNK_STATUS, className="status", role="status"),
            html.P(id=ids.LNK_MESSAGE, className="status", role="status"),
            html.Div(id=ids.LNK_GROUPS, className="link-groups"),
            dcc.Store(id=ids.LNK_REFRESH, data=0),
        ],
        className="page page-links",
    )
