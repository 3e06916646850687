"""Login, roles, throttling, CSRF, audit and hardening, against the real database and
a small Dash app protected by `dashboard.auth.install_auth`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import dash
import pytest
from dash import Input, Output, dcc, html
from sqlalchemy import text

from dashboard import auth
from geodata import audit, security, users
from geodata.errors import ObservatoryError
from tests.conftest import PASSWORD


def _make_app(public: bool = False) -> dash.Dash:
    app = dash.Dash(__name__, serve_locally=True, assets_folder="no-assets")
    app.layout = html.Div(
        [dcc.Location(id="url"), html.Div(id="page"), html.Button(id="go"), html.Div(id="rows")]
    )

    @app.callback(Output("page", "children"), Input("url", "pathname"))
    def page(pathname):
        return f"page {pathname}"

    @app.callback(Output("rows", "children"), Input("go", "n_clicks"), prevent_initial_call=True)
    @auth.require_role("team")
    def rows(_clicks):
        auth.audit("view.records", {"rows": 3, "page": "/review"})
        return "3 records"

    @app.server.route("/boom")
    def boom():
        raise RuntimeError("secret internals at /srv/observatory/x.py line 12")

    auth.install_auth(app, public=public)
    return app


@pytest.fixture
def db(role_users):
    return role_users


@pytest.fixture
def app(db):
    return _make_app()


@pytest.fixture
def client(app):
    return app.server.test_client()


def _token(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r"name='csrf_token' value='([^']+)'", page).group(1)


def _login(client, username, password=PASSWORD, next_="/", **kwargs):
    form = {"username": username, "password": password, "csrf_token": _token(client)}
    form["next"] = next_
    return client.post("/login", data=form, **kwargs)


def _callback(client, pathname="/", **kwargs):
    body = {
        "output": "page.children",
        "outputs": {"id": "page", "property": "children"},
        "inputs": [{"id": "url", "property": "pathname", "value": pathname}],
        "changedPropIds": ["url.pathname"],
        "state": [],
    }
    return client.post("/_dash-update-component", json=body, **kwargs)


def _rows_callback(client):
    body = {
        "output": "rows.children",
        "outputs": {"id": "rows", "property": "children"},
        "inputs": [{"id": "go", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["go.n_clicks"],
        "state": [],
    }
    return client.post("/_dash-update-component", json=body)


def test_every_path_needs_login(client):
    for path in ("/", "/any-page", "/admin", "/review?ward=W1"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")
    assert client.get("/review?ward=W1").headers["Location"] == "/login?next=/review%3Fward%3DW1"
    # Dash's own routes answer 401 with no data, not the layout or a callback result.
    for path in ("/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/assets/style.css"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert b"page" not in response.data
    suites = "/_dash-component-suites/dash/dcc/dash_core_components.js"
    assert client.get(suites).status_code == 401
    response = _callback(client)
    assert response.status_code == 401
    assert b"page /" not in response.data


def test_login_sets_a_session_and_lands_on_next(client, db):
    response = _login(client, "tina", next_="/review")
    assert response.status_code == 302
    assert response.headers["Location"] == "/review"
    cookie = response.headers["Set-Cookie"]
    assert "observatory_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on localhost
    page = client.get("/review")
    assert page.status_code == 200
    assert _callback(client, "/review").get_json()["response"]["page"]["children"] == (
        "page /review"
    )
    log = audit.recent(db)
    assert list(log["action"]) == ["login"] and list(log["username"]) == ["tina"]
    # Over HTTPS the cookie is Secure.
    secure = _login(client, "tina", base_url="https://observatory.example")
    assert "Secure" in secure.headers["Set-Cookie"]


def test_next_never_leaves_the_site(client):
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        assert _login(client, "tina", next_=target).headers["Location"] == "/"


def test_csrf_missing_or_invalid_is_rejected(client, app):
    form = {"username": "tina", "password": PASSWORD}
    assert client.post("/login", data=form).status_code == 400
    token = _token(client)
    forged = token.split(".")[0] + "." + "0" * 64
    assert client.post("/login", data={**form, "csrf_token": forged}).status_code == 400
    # A valid token from another browser's session does not fit this session.
    other = app.server.test_client()
    assert other.post("/login", data={**form, "csrf_token": token}).status_code == 400
    assert client.post("/login", data={**form, "csrf_token": token}).status_code == 302


def test_csrf_tokens_expire():
    secret, nonce = b"k" * 32, "nonce"
    token = security.csrf_token(secret, nonce, now=1_000_000)
    assert security.verify_csrf(secret, nonce, token, now=1_000_000 + 60)
    assert not security.verify_csrf(secret, nonce, token, now=1_000_000 + security.CSRF_MAX_AGE + 1)
    assert not security.verify_csrf(secret, "other", token, now=1_000_000)
    assert not security.verify_csrf(b"x" * 32, nonce, token, now=1_000_000)


def test_five_wrong_passwords_then_the_sixth_attempt_waits(client, app, db):
    for attempt in range(1, 6):
        response = _login(client, "tina", "wrong password!")
        assert response.status_code == 401
        assert "Wrong username or password" in response.get_data(as_text=True)
        assert ("Wait 30 seconds" in response.get_data(as_text=True)) == (attempt == 5)
    # Even the right password is not checked now.
    started = time.monotonic()
    sixth = _login(client, "tina")
    assert sixth.status_code == 429
    assert 25 <= int(sixth.headers["Retry-After"]) <= 30
    assert re.search(r"Wait \d+ seconds", sixth.get_data(as_text=True))
    assert client.get("/").status_code == 302
    # Another address is not blocked by someone else's failures (key: name + IP).
    other = app.server.test_client()
    assert _login(other, "tina", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302
    # A second worker (another app on the same database) sees the same count.
    assert _login(_make_app().server.test_client(), "tina").status_code == 429
    assert time.monotonic() - started < 5
    assert "login.failed" in set(audit.recent(db)["action"])


def test_the_wait_passes_and_grows(client, app, db):
    state = app.server.extensions["observatory_auth"]
    state.policy = security.ThrottlePolicy(base_delay=1.0)
    for _ in range(5):
        _login(client, "tina", "wrong password!")
    assert _login(client, "tina").status_code == 429
    time.sleep(1.1)
    # The wait is over; a sixth failure doubles it.
    assert _login(client, "tina", "wrong password!").status_code == 401
    assert int(_login(client, "tina").headers["Retry-After"]) == 2
    time.sleep(2.1)
    started = time.monotonic()
    assert _login(client, "tina").status_code == 302
    assert time.monotonic() - started < 2
    # Success clears the count.
    assert users.login_failures(db, security.throttle_key("tina", "127.0.0.1")) == (0, None)


def test_retry_after_policy():
    now = datetime(2025, 5, 1, 12, 0)
    policy = security.ThrottlePolicy()
    assert security.retry_after(4, now, now, policy) == 0
    waits = [security.retry_after(n, now, now, policy) for n in (5, 6, 7, 8, 20)]
    assert waits == [30, 60, 120, 240, 900]
    assert security.retry_after(5, now, now + timedelta(seconds=20), policy) == 10
    assert security.retry_after(9, now, now + timedelta(hours=1), policy) == 0


def test_role_guard(app, db):
    commander, team, admin = (app.server.test_client() for _ in range(3))
    _login(commander, "cmdr")
    _login(team, "tina")
    _login(admin, "ada")
    assert commander.get("/admin").status_code == 403
    assert commander.get("/admin/users").status_code == 403
    assert commander.get("/review").status_code == 403
    assert commander.get("/patrol").status_code == 200
    assert commander.get("/").status_code == 200
    assert team.get("/admin").status_code == 403
    assert team.get("/review").status_code == 200
    assert admin.get("/admin").status_code == 200
    # Pages switch in the browser: the callback that renders /admin is refused too.
    assert _callback(commander, "/admin").status_code == 403
    assert _callback(commander, "/patrol").status_code == 200
    # A page nobody declared is for the team only.
    assert commander.get("/new-page").status_code == 403
    auth.declare_page_roles(app, {"/new-page": ("team", "commander")})
    assert commander.get("/new-page").status_code == 200


def test_page_allowed_matches_whole_segments():
    roles = auth.PAGE_ROLES
    assert not auth.page_allowed("/admin", "team", roles)
    assert not auth.page_allowed("/admin/", "commander", roles)
    assert auth.page_allowed("/administer", "team", roles)  # not under /admin
    assert not auth.page_allowed("/administer", "commander", roles)


def test_require_role_and_audit(app, db):
    commander, team = app.server.test_client(), app.server.test_client()
    _login(commander, "cmdr")
    _login(team, "tina")
    refused = _rows_callback(commander)
    assert refused.status_code == 403 and b"records" not in refused.data
    allowed = _rows_callback(team)
    assert allowed.get_json()["response"]["rows"]["children"] == "3 records"
    entries = audit.recent(db, action_prefix="view.")
    assert len(entries) == 1
    entry = entries.iloc[0]
    assert (entry["username"], entry["action"], entry["ip"]) == (
        "tina",
        "view.records",
        "127.0.0.1",
    )
    assert entry["detail"] == {"rows": 3, "page": "/review"}
    with pytest.raises(ValueError, match="personal"):
        audit.record(db, "view.records", "tina", {"victim_name": "x"})


def test_ward_scope_follows_the_role(app):
    from flask import session

    for name, expected in (("cmdr", ("W1",)), ("tina", None), ("ada", ())):
        with app.server.test_request_context("/patrol"):
            session["user"] = name
            assert auth.ward_scope() == expected, name


def test_disabled_user_is_signed_out(client, db):
    _login(client, "tina")
    assert client.get("/").status_code == 200
    users.set_disabled(db, "tina")
    assert client.get("/").status_code == 302
    assert _login(client, "tina").status_code == 401


def test_logout(client):
    _login(client, "tina")
    # A GET from another site only shows a confirmation form.
    assert b"Sign out?" in client.get("/logout").data
    assert client.get("/").status_code == 200
    token = _token(client, "/logout")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_passwords_are_stored_hashed(db):
    with db.connect() as conn:
        hashes = conn.execute(text("SELECT password_hash FROM users")).scalars().all()
        dump = conn.execute(text("SELECT string_agg(t::text, ' ') FROM users t")).scalar_one()
    assert len(hashes) == 3 and all(h.startswith("$argon2id$") for h in hashes)
    assert PASSWORD not in dump
    assert users.authenticate(db, "tina", PASSWORD).role == "team"
    assert users.authenticate(db, "tina", PASSWORD + "x") is None
    assert users.authenticate(db, "nobody", PASSWORD) is None


def test_user_mistakes_are_actionable(db):
    with pytest.raises(ObservatoryError, match="exists already"):
        users.add_user(db, "tina", PASSWORD, "team")
    with pytest.raises(ObservatoryError, match="at least 10"):
        users.add_user(db, "bob", "short", "team")
    with pytest.raises(ObservatoryError, match="station-wards"):
        users.add_user(db, "bob", PASSWORD, "commander")
    with pytest.raises(ObservatoryError, match="W9"):
        users.add_user(db, "bob", PASSWORD, "commander", ["W1", "W9"])
    with pytest.raises(ObservatoryError, match="choose one of"):
        users.add_user(db, "bob", PASSWORD, "superuser")


def test_security_headers_and_csp(client):
    login_page = client.get("/login")
    assert login_page.headers["X-Frame-Options"] == "DENY"
    assert login_page.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in login_page.headers["Content-Security-Policy"]
    assert "<script" not in login_page.get_data(as_text=True)
    assert "style=" not in login_page.get_data(as_text=True)
    _login(client, "tina")
    index = client.get("/")
    csp = index.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert index.headers["Cache-Control"] == "no-store"
    # Each inline script Dash renders is allowed by its hash, and nothing else inline.
    import base64
    import hashlib

    # (Dash's Internet Explorer notice sits in an HTML comment: never run.)
    document = re.sub(r"<!--.*?-->", "", index.get_data(as_text=True), flags=re.S)
    scripts = re.findall(r"<script>(.*?)</script>", document, re.S)
    renderer = re.search(
        r'<script id="_dash-renderer" type="application/javascript">(.*?)</script>',
        document,
        re.S,
    ).group(1)
    for script in [*scripts, renderer]:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_errors_do_not_leak(client):
    _login(client, "tina")
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    assert "secret internals" not in body and "Traceback" not in body


def test_cross_site_posts_are_refused(client):
    _login(client, "tina")
    assert _callback(client, headers={"Origin": "http://evil.example"}).status_code == 403
    assert _callback(client, headers={"Origin": "http://localhost"}).status_code == 200


def test_public_app_needs_no_login_and_holds_no_session(db):
    client = _make_app(public=True).server.test_client()
    page = client.get("/")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert "Content-Security-Policy" in page.headers
    assert b"password" not in client.get("/login").data
    assert client.post("/login", data={"username": "tina"}).status_code == 405
    assert _callback(client).status_code == 200
    # The team-only callback is refused: nobody is signed in on the public app.
    assert _rows_callback(client).status_code == 403
    too_big = client.post(
        "/_dash-update-component", data=b"x" * (2 << 20), content_type="application/json"
    )
    assert too_big.status_code == 413


def _cli(*args, stdin=""):
    return subprocess.run(
        [str(Path(sys.executable).parent / "observatory"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


def test_cli_users_add_list_disable(db):
    added = _cli(
        "users",
        "add",
        "Zawadi",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long pass phrase\n",
    )
    assert added.returncode == 0, added.stderr
    assert "added zawadi (admin)" in added.stdout
    assert users.authenticate(db, "zawadi", "a long pass phrase").role == "admin"
    again = _cli(
        "users", "add", "zawadi", "--role", "team", "--password-stdin", stdin="another long one\n"
    )
    assert again.returncode == 1
    assert again.stderr.strip() == "error: user 'zawadi' exists already; pick another name."
    bad = _cli(
        "users",
        "add",
        "omar",
        "--role",
        "commander",
        "--station-wards",
        "W1,W7",
        "--password-stdin",
        stdin="a long pass phrase\n",
    )
    assert bad.returncode == 1 and "W7" in bad.stderr and "Traceback" not in bad.stderr
    good = _cli(
        "users",
        "add",
        "omar",
        "--role",
        "commander",
        "--station-wards",
        "W1, W2",
        "--password-stdin",
        stdin="a long pass phrase\n",
    )
    assert good.returncode == 0, good.stderr
    assert users.get_user(db, "omar").station_wards == ("W1", "W2")
    listing = _cli("users", "list").stdout
    assert re.search(r"omar\s+commander\s+active", listing)
    assert "a long pass phrase" not in listing
    assert _cli("users", "disable", "omar").returncode == 0
    assert users.get_user(db, "omar").disabled
    detail = json.dumps(list(audit.recent(db)["detail"]))
    assert "pass phrase" not in detail and "omar" in detail


MAP_GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": "a",
            "properties": {},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[36.8, -1.3], [36.82, -1.3], [36.82, -1.28], [36.8, -1.3]]],
            },
        }
    ],
}


def _severe(logs):
    return [entry for entry in logs if entry["level"] == "SEVERE"]


@pytest.mark.browser
def test_the_csp_lets_dash_maps_and_gl_charts_run(dash_duo, db):
    """The strict CSP (no inline script but Dash's hashed ones, no eval) does not break
    a map, a WebGL chart or a clientside callback: the browser logs no violation."""
    import plotly.graph_objects as go

    app = _make_app(public=True)
    figure = go.Figure(go.Choroplethmap(geojson=MAP_GEOJSON, locations=["a"], z=[5]))
    figure.update_layout(map_style="white-bg", map_center={"lat": -1.29, "lon": 36.81}, map_zoom=12)
    app.layout.children += [
        dcc.Graph(id="map", figure=figure),
        dcc.Graph(id="gl", figure=go.Figure(go.Scattergl(x=[1, 2, 3], y=[3, 1, 2]))),
        html.Div(id="client"),
    ]
    app.clientside_callback(
        "function (p) { return 'client ' + p; }",
        Output("client", "children"),
        Input("url", "pathname"),
    )
    csp = app.server.test_client().get("/").headers["Content-Security-Policy"]
    assert "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    dash_duo.start_server(app)
    dash_duo.wait_for_text_to_equal("#client", "client /")
    dash_duo.wait_for_text_to_equal("#page", "page /")
    dash_duo.wait_for_element("#map canvas")
    dash_duo.wait_for_element("#gl canvas")
    assert _severe(dash_duo.get_logs() or []) == []


@pytest.mark.browser
def test_signing_in_through_the_browser(dash_duo, db):
    app = _make_app()
    dash_duo.server(app)
    dash_duo.driver.get(dash_duo.server.url + "/review")
    dash_duo.wait_for_element("input[name=username]").send_keys("tina")
    dash_duo.find_element("input[name=password]").send_keys(PASSWORD)
    dash_duo.find_element("button[type=submit]").click()
    dash_duo.wait_for_text_to_equal("#page", "page /review")
    assert dash_duo.driver.current_url.endswith("/review")
    assert _severe(dash_duo.get_logs() or []) == []
    # Signing out from the app's own link ends the session.
    dash_duo.driver.get(dash_duo.server.url + "/logout")
    dash_duo.wait_for_element("input[name=username]")
    dash_duo.driver.get(dash_duo.server.url + "/review")
    dash_duo.wait_for_element("input[name=username]")
