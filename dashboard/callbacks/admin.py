"""The admin page's callbacks: thin wrappers over geodata.users and geodata.audit.

Every callback needs the admin role (`auth.require_role`), and the user-changing one
also a CSRF token bound to the admin's session (belt and braces: Dash posts JSON,
which a form on another site cannot send, and the session cookie is SameSite=Lax).
"""

from __future__ import annotations

import json

import dash
from dash import ALL, Input, Output, State, ctx, html, no_update
from flask import session
from werkzeug.exceptions import Forbidden

from dashboard import auth, ids
from geodata import audit, security, users
from geodata.db import get_engine
from geodata.errors import ObservatoryError

AUDIT_FILTERS: tuple[tuple[str, str], ...] = (
    ("", "Everything"),
    ("export.", "Exports of records"),
    ("view.", "Views of records"),
    ("login", "Sign-ins (and failed ones)"),
    ("user.", "Changes to users"),
)


def csrf_token() -> str:
    """A token for this admin's session (the nonce is set at sign-in)."""
    if "csrf_nonce" not in session:
        session["csrf_nonce"] = security.new_csrf_nonce()
    return security.csrf_token(security.secret_key(), session["csrf_nonce"])


def _check_csrf(token: str | None) -> None:
    if not security.verify_csrf(security.secret_key(), session.get("csrf_nonce"), token):
        raise Forbidden("The page expired: reload it and try again.")


def users_table(engine) -> html.Table:
    header = html.Tr([html.Th(h) for h in ("User", "Role", "Wards", "State", "Created", "")])
    rows = [
        html.Tr(
            [
                html.Td(user.username),
                html.Td(user.role),
                html.Td(", ".join(user.station_wards) or "–"),
                html.Td("disabled" if user.disabled else "active"),
                html.Td(user.created_at.strftime("%Y-%m-%d") if user.created_at else "–"),
                html.Td(
                    html.Button(
                        "Enable" if user.disabled else "Disable",
                        id={"type": ids.ADMIN_TOGGLE, "index": user.username},
                        className="button button-small",
                    )
                ),
            ]
        )
        for user in users.list_users(engine)
    ]
    return html.Table([html.Thead(header), html.Tbody(rows)], className="table")


def audit_table(engine, action_prefix: str) -> html.Table | html.P:
    log = audit.recent(engine, 200, action_prefix=action_prefix or None)
    if log.empty:
        return html.P("Nothing recorded yet.")
    header = html.Tr([html.Th(h) for h in ("When", "User", "Action", "Detail", "Address")])
    rows = [
        html.Tr(
            [
                html.Td(f"{row.at:%Y-%m-%d %H:%M:%S}"),
                html.Td(row.username or "–"),
                html.Td(row.action),
                html.Td(json.dumps(row.detail, sort_keys=True) if row.detail else ""),
                html.Td(row.ip or "–"),
            ]
        )
        for row in log.itertuples()
    ]
    return html.Table([html.Thead(header), html.Tbody(rows)], className="table")


def _add(engine, admin: str, name, role, wards, password) -> str:
    codes = [w.strip() for w in (wards or "").split(",") if w.strip()]
    user = users.add_user(engine, name or "", password or "", role or "", codes)
    audit.record(engine, "user.add", admin, {"user": user.username, "role": user.role})
    return f"Added {user.username} ({user.role})."


def _toggle(engine, admin: str, name: str) -> str:
    user = users.get_user(engine, name)
    if user is None:
        raise ObservatoryError(f"There is no user {name!r} any more.")
    if user.username == admin:
        raise ObservatoryError("You cannot disable your own account.")
    users.set_disabled(engine, user.username, not user.disabled)
    action = "user.enable" if user.disabled else "user.disable"
    audit.record(engine, action, admin, {"user": user.username})
    return f"{'Enabled' if user.disabled else 'Disabled'} {user.username}."


def register(app: dash.Dash) -> None:
    @app.callback(
        Output(ids.ADMIN_STATUS, "children"),
        Output(ids.ADMIN_USERS, "children"),
        Output(ids.ADMIN_NEW_PASSWORD, "value"),
        Input(ids.ADMIN_ADD, "n_clicks"),
        Input({"type": ids.ADMIN_TOGGLE, "index": ALL}, "n_clicks"),
        State(ids.ADMIN_NEW_NAME, "value"),
        State(ids.ADMIN_NEW_ROLE, "value"),
        State(ids.ADMIN_NEW_WARDS, "value"),
        State(ids.ADMIN_NEW_PASSWORD, "value"),
        State(ids.ADMIN_CSRF, "data"),
        prevent_initial_call=True,
    )
    @auth.require_role("admin")
    def manage_users(_add_clicks, toggles, name, role, wards, password, token):
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            return no_update, no_update, no_update  # a table redraw, not a click
        _check_csrf(token)
        engine, admin = get_engine(), auth.current_user().username
        try:
            if ctx.triggered_id == ids.ADMIN_ADD:
                message = _add(engine, admin, name, role, wards, password)
            else:
                message = _toggle(engine, admin, ctx.triggered_id["index"])
        except ObservatoryError as exc:
            return str(exc), no_update, no_update
        return message, users_table(engine), ""

    @app.callback(
        Output(ids.ADMIN_AUDIT, "children"),
        Input(ids.ADMIN_AUDIT_FILTER, "value"),
        prevent_initial_call=True,
    )
    @auth.require_role("admin")
    def filter_audit(prefix):
        return audit_table(get_engine(), prefix or "")
