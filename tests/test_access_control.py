"""Who may see what in the real full app (`create_app()`), through Flask's test client:
every page needs sign-in, the user admin is for admins only, a commander opens only
their own station's patrol plans, and exports and user changes reach the audit log.

The sign-in throttle itself (five wrong passwords, then a wait) is tested in
tests/test_users_auth.py on a small app; here only that the real app has it wired."""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import quote

import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard import ids, page_sets
from dashboard.app import create_app
from geodata import audit, users
from geodata.patrol_plans import PlanParameters, save_plan
from tests.test_users_auth import _login

ROUTER = ".._pages_content.children..._pages_store.data.."
ADMIN_CALLBACK = "..admin-status.children...admin-users.children...admin-new-password.value.."
TOGGLE_ID = json.dumps({"index": ["ALL"], "type": ids.ADMIN_TOGGLE}, separators=(",", ":"))


@pytest.fixture
def db(role_users):
    return role_users


@pytest.fixture
def app(db):
    return create_app()


def _client(app, username: str | None = None):
    client = app.server.test_client()
    if username:
        assert _login(client, username).status_code == 302
    return client


def _open_page(client, path: str):
    """What Dash asks when the browser switches to `path` without a page load."""
    body = {
        "output": ROUTER,
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    return client.post("/_dash-update-component", json=body)


def test_every_page_of_the_full_app_sends_anonymous_visitors_to_sign_in(app):
    paths = [p["path"] for p in page_sets.pages_of(app)]
    assert {"/", "/about", "/patrol", "/meeting", "/admin"} <= set(paths)
    client = _client(app)
    client.get("/login")  # Dash registers its page router on the first request
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == f"/login?next={quote(path)}", path
        switched = _open_page(client, path)
        assert switched.status_code == 401 and b"page" not in switched.data, path
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert client.get(path).status_code == 401
    # The public app's pages are not part of the full app.
    assert "/sensitive" not in paths


def test_only_admins_open_the_user_admin(app, db):
    commander, team, admin = (_client(app, name) for name in ("cmdr", "tina", "ada"))
    for client in (commander, team):
        assert client.get("/admin").status_code == 403
        assert _open_page(client, "/admin").status_code == 403
        assert _admin_add(client, "x" * 20, "mallory", "admin").status_code == 403
    assert users.get_user(db, "mallory") is None
    assert admin.get("/admin").status_code == 200
    page = json.dumps(_open_page(admin, "/admin").get_json())
    assert "cmdr" in page and "Audit log" in page
    # The navigation shows each role the pages it may open.
    assert '"/admin"' in json.dumps(admin.get("/_dash-layout").get_json())
    assert '"/admin"' not in json.dumps(commander.get("/_dash-layout").get_json())


def _admin_token(client) -> str:
    page = json.dumps(_open_page(client, "/admin").get_json())
    return re.search(rf'"id": "{ids.ADMIN_CSRF}"[^}}]*?"data": "([^"]+)"', page).group(1)


def _admin_add(client, token, name, role, wards="", password="a long pass phrase"):
    body = {
        "output": ADMIN_CALLBACK,
        "outputs": [
            {"id": ids.ADMIN_STATUS, "property": "children"},
            {"id": ids.ADMIN_USERS, "property": "children"},
            {"id": ids.ADMIN_NEW_PASSWORD, "property": "value"},
        ],
        "inputs": [{"id": ids.ADMIN_ADD, "property": "n_clicks", "value": 1}, []],
        "state": [
            {"id": ids.ADMIN_NEW_NAME, "property": "value", "value": name},
            {"id": ids.ADMIN_NEW_ROLE, "property": "value", "value": role},
            {"id": ids.ADMIN_NEW_WARDS, "property": "value", "value": wards},
            {"id": ids.ADMIN_NEW_PASSWORD, "property": "value", "value": password},
            {"id": ids.ADMIN_CSRF, "property": "data", "value": token},
        ],
        "changedPropIds": [f"{ids.ADMIN_ADD}.n_clicks"],
    }
    return client.post("/_dash-update-component", json=body)


def _admin_toggle(client, token, name):
    target = {"index": name, "type": ids.ADMIN_TOGGLE}
    body = {
        "output": ADMIN_CALLBACK,
        "outputs": [
            {"id": ids.ADMIN_STATUS, "property": "children"},
            {"id": ids.ADMIN_USERS, "property": "children"},
            {"id": ids.ADMIN_NEW_PASSWORD, "property": "value"},
        ],
        "inputs": [
            {"id": ids.ADMIN_ADD, "property": "n_clicks", "value": None},
            [{"id": target, "property": "n_clicks", "value": 1}],
        ],
        "state": [
            {"id": i, "property": p, "value": None}
            for i, p in (
                (ids.ADMIN_NEW_NAME, "value"),
                (ids.ADMIN_NEW_ROLE, "value"),
                (ids.ADMIN_NEW_WARDS, "value"),
                (ids.ADMIN_NEW_PASSWORD, "value"),
            )
        ]
        + [{"id": ids.ADMIN_CSRF, "property": "data", "value": token}],
        "changedPropIds": [json.dumps(target, separators=(",", ":")) + ".n_clicks"],
    }
    return client.post("/_dash-update-component", json=body)


def test_an_admin_adds_and_disables_users_and_it_is_audited(app, db):
    admin = _client(app, "ada")
    token = _admin_token(admin)
    assert _admin_add(admin, "forged", "omar", "team").status_code == 403
    added = _admin_add(admin, token, "Omar", "commander", "W2")
    assert "Added omar (commander)" in added.get_data(as_text=True)
    assert "a long pass phrase" not in added.get_data(as_text=True)
    assert users.authenticate(db, "omar", "a long pass phrase").station_wards == ("W2",)
    weak = _admin_add(admin, token, "bob", "team", password="short")
    assert "at least 10" in weak.get_data(as_text=True)
    assert users.get_user(db, "bob") is None
    assert "Disabled omar" in _admin_toggle(admin, token, "omar").get_data(as_text=True)
    assert users.get_user(db, "omar").disabled
    assert "your own account" in _admin_toggle(admin, token, "ada").get_data(as_text=True)
    log = audit.recent(db, action_prefix="user.")
    assert list(log["action"]) == ["user.disable", "user.add"]
    assert set(log["username"]) == {"ada"}


def test_a_cli_export_of_records_is_audited_and_shown_to_admins(app, db, tmp_path):
    from observatory.cli import cli

    out = tmp_path / "incidents.csv"
    result = CliRunner().invoke(cli, ["export", "incidents", "--out", str(out)])
    assert result.exit_code == 0, result.output
    entry = audit.recent(db, action_prefix="export.").iloc[0]
    assert entry["action"] == "export.incidents" and entry["username"].startswith("os:")
    assert entry["detail"] == {"rows": 0, "file_name": "incidents.csv", "via": "cli"}
    page = json.dumps(_open_page(_client(app, "ada"), "/admin").get_json())
    assert "export.incidents" in page and entry["username"] in page


def _plan(engine, name: str, ward: str) -> int:
    params = PlanParameters(ward_codes=(ward,), station=f"Station {ward}", as_of=date(2024, 6, 1))
    points = pd.DataFrame(
        {
            "point": [1],
            "cells": [[617700169958293503]],
            "lat": [-1.295],
            "lon": [36.805],
            "score": [1.0],
            "peak_hours": [[20]],
        }
    )
    schedule = pd.DataFrame(
        {
            "point": [1],
            "officer": [1],
            "start": [pd.Timestamp("2024-06-01 18:00")],
            "end": [pd.Timestamp("2024-06-01 18:30")],
        }
    )
    return save_plan(engine, name, params, points, schedule, "tina")


def _open_saved(app, client, plan_id: int):
    (output,) = [k for k in app.callback_map if f"{ids.PATROL_EVAL_TEXT}.children" in k]
    body = {
        "output": output,
        "outputs": [
            {"id": ids.PATROL_CURRENT, "property": "data", "allow_duplicate": True},
            {"id": ids.PATROL_EVAL_GRAPH, "property": "figure"},
            {"id": ids.PATROL_EVAL_GRAPH, "property": "style"},
            {"id": ids.PATROL_EVAL_TEXT, "property": "children"},
        ],
        "inputs": [{"id": ids.PATROL_SAVED, "property": "value", "value": plan_id}],
        "changedPropIds": [f"{ids.PATROL_SAVED}.value"],
        "state": [],
    }
    return client.post("/_dash-update-component", json=body)


def test_a_commander_opens_only_their_own_stations_plans(app, db):
    own, other = _plan(db, "Ward one nights", "W1"), _plan(db, "Ward two nights", "W2")
    commander, team = _client(app, "cmdr"), _client(app, "tina")
    page = json.dumps(_open_page(commander, "/patrol").get_json())
    assert "Ward one nights" in page and "Ward two nights" not in page
    everything = json.dumps(_open_page(team, "/patrol").get_json())
    assert "Ward one nights" in everything and "Ward two nights" in everything
    refused = _open_saved(app, commander, other).get_data(as_text=True)
    assert "no saved plan" in refused and '"plan_id"' not in refused
    opened = _open_saved(app, commander, own)
    assert opened.status_code == 200
    assert opened.get_json()["response"][ids.PATROL_CURRENT]["data"] == {"plan_id": own}


def test_the_real_app_slows_a_guessed_password(app):
    client = _client(app)
    for _ in range(5):
        assert _login(client, "tina", "wrong password!").status_code == 401
    sixth = _login(client, "tina")
    assert sixth.status_code == 429 and int(sixth.headers["Retry-After"]) > 0
