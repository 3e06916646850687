"""Login, roles, audit and HTTP hardening for the dashboard's Flask server.

`install_auth(app, public)` is called once by `create_app`:

- full app: every path (Dash's own routes included) needs a signed-in user; pages are
  allowed per role by path prefix (`PAGE_ROLES`, extendable with `declare_page_roles`);
  Dash's page routing is checked too, since pages change in the browser without a
  page load: a callback request whose inputs carry a `pathname` the role may not see
  is refused;
- public app: no login and no session; only GET/HEAD and Dash's callback POST;
- both: `dashboard.hardening` (security headers with a CSP fitted to Dash, a request
  size limit, error pages without tracebacks unless Flask runs in debug mode).

Callbacks use `current_user()`, `require_role(...)`, `ward_scope()` and `audit(...)`;
every data callback of a page commanders may open narrows its filters with
`scoped_filters(...)`, so a commander's counts come from their station's wards only.
"""

from __future__ import annotations

import functools
import html
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import flask
from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import Forbidden

from dashboard import filters, hardening
from geodata import audit as audit_log
from geodata import security, users
from geodata.users import User

log = logging.getLogger(__name__)

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
LOGIN_CSS_PATH = hardening.STYLE_PATH
_EXTENSION = "observatory_auth"
ALL_ROLES = users.ROLES

# Path prefix -> roles allowed. "/" matches the home page only; a page not listed is
# for the team alone, so a new page is never shown to commanders by accident.
PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "/": ("team", "commander", "admin"),
    "/about": ("team", "commander", "admin"),
    "/map": ("team", "commander"),
    "/clock": ("team", "commander"),
    "/hotspots": ("team", "commander"),
    "/patrol": ("team", "commander"),
    "/review": ("team",),
    "/links": ("team",),
    "/records": ("team",),
    "/export": ("team",),
    "/admin": ("admin",),
    "/audit": ("admin",),
}
DEFAULT_ROLES: tuple[str, ...] = ("team",)

# Component id prefix (dashboard/ids.py) -> the page those components live on. A
# callback request names its outputs, so the guard checks the page of every output:
# a signed-in user cannot fetch another page's data by posting its callback directly,
# whatever page path the request claims. Prefixes not listed are shared widgets
# (filter bar, navigation, headline numbers of the home map).
OUTPUT_PAGES: dict[str, str] = {
    "map-": "/",
    "clock-": "/clock",
    "patrol-": "/patrol",
    "hot-": "/hotspots",
    "trend-": "/trends",
    "meeting-": "/meeting",
    "act-": "/actions",
    "eval-": "/evaluation",
    "rev-": "/review",
    "lnk-": "/links",
    "cmp-": "/completeness",
    "aud-": "/audits",
    "jus-": "/justice",
    "fb-": "/feedback",
    "admin-": "/admin",
}

# Dash's machinery: needs a signed-in user, but no page role.
_DASH_PREFIXES = (
    "/_dash-",
    "/_reload-hash",
    "/_favicon.ico",
    "/assets/",
    "/_dash_startup_route/",
)


@dataclass
class _AuthState:
    public: bool
    page_roles: dict[str, tuple[str, ...]]
    engine_factory: Callable[[], Any]
    dash_app: Any = None
    policy: security.ThrottlePolicy = field(default_factory=security.ThrottlePolicy)


def _state() -> _AuthState:
    return flask.current_app.extensions[_EXTENSION]


class _SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (
            flask.has_request_context() and request.is_secure
        )


def install_auth(
    app: Any,
    public: bool = False,
    *,
    engine_factory: Callable[[], Any] | None = None,
    page_roles: Mapping[str, tuple[str, ...]] | None = None,
    max_content_length: int | None = None,
    allow_eval: bool = False,
) -> Flask:
    """Protect `app` (a dash.Dash or its Flask server); returns the Flask server."""
    server: Flask = app.server if hasattr(app, "server") else app
    if engine_factory is None:
        from geodata.db import get_engine

        engine_factory = get_engine
    state = _AuthState(
        public=public,
        page_roles={**PAGE_ROLES, **dict(page_roles or {})},
        engine_factory=engine_factory,
        dash_app=app if hasattr(app, "server") else None,
    )
    server.extensions[_EXTENSION] = state
    server.secret_key = security.secret_key()
    server.session_interface = _SessionInterface()
    server.config.update(
        SESSION_COOKIE_NAME="observatory_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    hardening.install_hardening(
        server, public, state.dash_app, max_content_length, allow_eval=allow_eval
    )
    if not public:
        _register_login_routes(server)
    server.before_request(_guard)
    return server


def declare_page_roles(app: Any, roles: Mapping[str, tuple[str, ...]]) -> None:
    """Let a page module say who may open it, e.g. {"/patrol": ("team", "commander")}."""
    server = app.server if hasattr(app, "server") else app
    state: _AuthState = server.extensions[_EXTENSION]
    for prefix, allowed in roles.items():
        unknown = set(allowed) - set(ALL_ROLES)
        if unknown:
            raise ValueError(f"unknown roles for {prefix}: {sorted(unknown)}")
        state.page_roles[prefix] = tuple(allowed)


def page_allowed(path: str, role: str, page_roles: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether `role` may open the page at `path` (longest matching prefix wins)."""
    path = "/" + path.strip("/")
    if path == "/":
        return role in page_roles.get("/", DEFAULT_ROLES)
    best, allowed = "", DEFAULT_ROLES
    for prefix, roles in page_roles.items():
        if prefix == "/":
            continue
        stem = prefix.rstrip("/")
        if (path == stem or path.startswith(stem + "/")) and len(stem) > len(best):
            best, allowed = stem, roles
    return role in allowed


# --- who is signed in ---------------------------------------------------------------


def current_user() -> User | None:
    """The signed-in, enabled user of this request, or None (always None when public)."""
    if "_observatory_user" in g:
        return g._observatory_user
    user = None
    state = _state()
    name = session.get("user") if not state.public else None
    if name:
        user = users.get_user(state.engine_factory(), name)
        if user is None or user.disabled:
            session.clear()  # a disabled or removed user's session ends here
            user = None
    g._observatory_user = user
    return user


def require_role(*roles: str) -> Callable:
    """Decorator for callbacks: a request from any other role gets 403, no data."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None or user.role not in roles:
                raise Forbidden("This needs a different role.")
            return fn(*args, **kwargs)

        return wrapper

    return decorate


def ward_scope() -> tuple[str, ...] | None:
    """Wards the current user may see data for: None means every ward (team); a
    commander gets their station's wards; anyone else none."""
    user = current_user()
    if user is None:
        return ()
    if user.role == "team":
        return None
    if user.role == "commander":
        return user.station_wards
    return ()


def data_scope() -> tuple[str, ...] | None:
    """`ward_scope()` for data reads; None (every ward) in an app built without
    sign-in (development apps, not `create_app`)."""
    if _EXTENSION not in flask.current_app.extensions:
        return None
    return ward_scope()


def scoped_filters(state: filters.Filters) -> filters.Filters:
    """The map or analytics filters narrowed to the viewer's wards: the one place a
    data callback intersects the wards asked for with `ward_scope()`."""
    return filters.within_scope(state, data_scope())


def audit(action: str, detail: Mapping[str, Any] | None = None) -> None:
    """Record that the current user did `action` (e.g. `export.incidents`)."""
    user = current_user()
    audit_log.record(
        _state().engine_factory(),
        action,
        user.username if user else None,
        detail,
        request.remote_addr if flask.has_request_context() else None,
    )


# --- the guard ------------------------------------------------------------------------


def _is_dash_machinery(path: str) -> bool:
    return path.startswith(_DASH_PREFIXES)


def _pathnames_in_callback(body: Any) -> list[str]:
    """`pathname`/`href` values among a Dash callback's inputs and states."""
    found: list[str] = []

    def visit(item: Any) -> None:
        if isinstance(item, list):
            for sub in item:
                visit(sub)
        elif (
            isinstance(item, dict)
            and item.get("property") in {"pathname", "href"}
            and isinstance(item.get("value"), str)
        ):
            found.append(urlsplit(item["value"]).path or "/")

    if isinstance(body, dict):
        visit(body.get("inputs", []))
        visit(body.get("state", []))
    return found


def _output_pages(body: Any) -> set[str]:
    """Pages owning the outputs of a Dash callback request (see OUTPUT_PAGES)."""
    outputs = body.get("outputs", []) if isinstance(body, dict) else []
    pages: set[str] = set()
    for item in outputs if isinstance(outputs, list) else [outputs]:
        component = item.get("id") if isinstance(item, dict) else None
        if isinstance(component, dict):  # pattern-matching id: its type names the widget
            component = component.get("type")
        if not isinstance(component, str):
            continue
        pages.update(page for prefix, page in OUTPUT_PAGES.items() if component.startswith(prefix))
    return pages


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


def _guard() -> Any:
    state = _state()
    path = request.path
    if state.public:
        if request.method in {"GET", "HEAD"}:
            return None
        if request.method == "POST" and path.endswith("/_dash-update-component"):
            return None if _same_origin() else flask.abort(403)
        return flask.abort(405)
    if path in {LOGIN_PATH, LOGIN_CSS_PATH, LOGOUT_PATH}:
        return None
    if request.method not in {"GET", "HEAD", "OPTIONS"} and not _same_origin():
        flask.abort(403)
    user = current_user()
    if user is None:
        if _is_dash_machinery(path) or request.method != "GET":
            return flask.Response("Sign in first.", status=401, mimetype="text/plain")
        return flask.redirect(f"{LOGIN_PATH}?next={quote(request.full_path.rstrip('?'))}")
    if path.endswith("/_dash-update-component"):
        body = request.get_json(silent=True)
        for page in {*_pathnames_in_callback(body), *_output_pages(body)}:
            if not page_allowed(page, user.role, state.page_roles):
                flask.abort(403)
    elif not _is_dash_machinery(path) and not page_allowed(path, user.role, state.page_roles):
        flask.abort(403)
    return None


# --- login and logout -----------------------------------------------------------------


def _csrf_token() -> str:
    if "csrf_nonce" not in session:
        session["csrf_nonce"] = security.new_csrf_nonce()
    return security.csrf_token(security.secret_key(), session["csrf_nonce"])


def _csrf_ok() -> bool:
    return security.verify_csrf(
        security.secret_key(), session.get("csrf_nonce"), request.form.get("csrf_token")
    )


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never `//evil.example` or `https://...`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_form(message: str = "", username: str = "", status: int = 200) -> flask.Response:
    note = f"<p class='message' role='alert'>{html.escape(message)}</p>" if message else ""
    body = (
        f"{note}<form method='post' action='{LOGIN_PATH}'>"
        f"<input type='hidden' name='csrf_token' value='{_csrf_token()}'>"
        "<input type='hidden' name='next' "
        f"value='{html.escape(_safe_next(request.values.get('next')), quote=True)}'>"
        "<label>Username <input name='username' autocomplete='username' required "
        f"value='{html.escape(username, quote=True)}'></label>"
        "<label>Password <input name='password' type='password' "
        "autocomplete='current-password' required></label>"
        "<button type='submit'>Sign in</button></form>"
    )
    return hardening.html_page("Sign in to the observatory", body, status)


def _wait_message(seconds: float) -> str:
    return (
        f"Too many failed sign-ins for this name from this address. "
        f"Wait {math.ceil(seconds)} seconds, then try again."
    )


def _login() -> flask.Response:
    if request.method == "GET":
        return _login_form()
    if not _csrf_ok():
        return _login_form("The form expired. Please sign in again.", status=400)
    state = _state()
    engine = state.engine_factory()
    username = request.form.get("username", "")[:64]
    password = request.form.get("password", "")[:1024]
    key = security.throttle_key(username, request.remote_addr)
    failures, last = users.login_failures(engine, key)
    wait = security.retry_after(failures, last, datetime.now(), state.policy)
    if wait > 0:
        response = _login_form(_wait_message(wait), username, status=429)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    user = users.authenticate(engine, username, password)
    if user is None:
        now = datetime.now()
        failures = users.record_login_failure(engine, key, now, state.policy.window)
        known = users.get_user(engine, username) if username else None
        # An unknown name is not logged: it is often a password typed in the wrong box.
        audit_log.record(engine, "login.failed", known and known.username, {}, request.remote_addr)
        wait = security.retry_after(failures, now, now, state.policy)
        message = "Wrong username or password."
        if wait > 0:
            message += " " + _wait_message(wait)
        return _login_form(message, username, status=401)
    users.clear_login_failures(engine, key)
    session.clear()  # a fresh session: no fixation of a cookie set before sign-in
    session.permanent = True
    session["user"] = user.username
    session["csrf_nonce"] = security.new_csrf_nonce()
    audit_log.record(engine, "login", user.username, {}, request.remote_addr)
    return flask.redirect(_safe_next(request.form.get("next")))


def _logout() -> flask.Response:
    # A link from another site must not sign people out: accept a POST with a token,
    # or a GET the browser marks as coming from this site (or typed in the address bar).
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if request.method == "GET" and fetch_site not in {"same-origin", "none"}:
        body = (
            f"<form method='post' action='{LOGOUT_PATH}'>"
            f"<input type='hidden' name='csrf_token' value='{_csrf_token()}'>"
            "<button type='submit'>Sign out</button></form>"
        )
        return hardening.html_page("Sign out?", body)
    if request.method == "POST" and not _csrf_ok():
        return hardening.html_page(
            "The form expired", "<p><a href='/logout'>Try again</a></p>", 400
        )
    name = session.get("user")
    if name:
        audit_log.record(_state().engine_factory(), "logout", name, {}, request.remote_addr)
    session.clear()
    return flask.redirect(LOGIN_PATH)


def _register_login_routes(server: Flask) -> None:
    server.add_url_rule(LOGIN_PATH, "observatory_login", _login, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "observatory_logout", _logout, methods=["GET", "POST"])
