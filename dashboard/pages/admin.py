"""Users and the audit log, for admins only (the sign-in guard refuses everyone else
the page and its callbacks): add a user, disable or enable one, and see who signed
in, viewed or exported record-level data, and when."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.callbacks.admin import AUDIT_FILTERS, audit_table, csrf_token, users_table
from geodata.db import get_engine
from geodata.users import ROLES

dash.register_page(
    __name__,
    path="/admin",
    name="Users and audit",
    title="Users and audit · Crime and violence observatory",
    order=200,
)


def _field(label: str, control, target: str) -> html.Div:
    return html.Div(
        [html.Label(label, htmlFor=target, className="filter-label"), control],
        className="filter",
    )


def _add_form() -> html.Div:
    return html.Div(
        [
            _field("Username", dcc.Input(id=ids.ADMIN_NEW_NAME, type="text"), ids.ADMIN_NEW_NAME),
            _field(
                "Role",
                dcc.Dropdown(
                    id=ids.ADMIN_NEW_ROLE,
                    options=[{"label": r, "value": r} for r in ROLES],
                    value="team",
                    clearable=False,
                ),
                ids.ADMIN_NEW_ROLE,
            ),
            _field(
                "Station wards (commanders: ward codes, comma-separated)",
                dcc.Input(id=ids.ADMIN_NEW_WARDS, type="text"),
                ids.ADMIN_NEW_WARDS,
            ),
            _field(
                "Password (at least 10 characters)",
                dcc.Input(id=ids.ADMIN_NEW_PASSWORD, type="password", autoComplete="new-password"),
                ids.ADMIN_NEW_PASSWORD,
            ),
            html.Button("Add user", id=ids.ADMIN_ADD, className="button"),
        ],
        className="filter-bar",
    )


def layout(**_query) -> html.Div:
    engine = get_engine()
    return html.Div(
        [
            html.H1("Users and audit log", className="page-title"),
            dcc.Store(id=ids.ADMIN_CSRF, data=csrf_token()),
            html.H2("Users"),
            html.Div(users_table(engine), id=ids.ADMIN_USERS),
            html.H2("Add a user"),
            _add_form(),
            html.P(id=ids.ADMIN_STATUS, className="status", role="status"),
            html.H2("Audit log"),
            html.P(
                "Who signed in, viewed or exported record-level data, and when "
                "(the newest 200 entries)."
            ),
            _field(
                "Show",
                dcc.Dropdown(
                    id=ids.ADMIN_AUDIT_FILTER,
                    options=[{"label": label, "value": v} for v, label in AUDIT_FILTERS],
                    value="",
                    clearable=False,
                ),
                ids.ADMIN_AUDIT_FILTER,
            ),
            html.Div(audit_table(engine, ""), id=ids.ADMIN_AUDIT),
        ],
        className="page page-admin",
    )
