"""HTTP hardening for both apps: security headers with a CSP that fits Dash, a request
size limit, plain HTML pages for sign-in and errors, and error pages that never show
a traceback unless Flask runs in debug mode. Installed by `dashboard.auth.install_auth`.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Any

import flask
from flask import Flask, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

STYLE_PATH = "/auth/login.css"
_EXTENSION = "observatory_hardening"
# Paths whose answers are the same for everyone and hold no data: cacheable.
_CACHEABLE_PREFIXES = ("/_dash-component-suites/", "/assets/", STYLE_PATH)
# Served as plain pages (sign-in, sign-out): no scripts at all.
PLAIN_PATHS = {"/login", "/logout"}


@dataclass
class _Hardening:
    public: bool
    dash_app: Any
    allow_eval: bool


def install_hardening(
    server: Flask,
    public: bool,
    dash_app: Any = None,
    max_content_length: int | None = None,
    allow_eval: bool = False,
) -> None:
    server.extensions[_EXTENSION] = _Hardening(public, dash_app, allow_eval)
    # Callbacks post small JSON; the full app may take an uploaded register.
    server.config["MAX_CONTENT_LENGTH"] = max_content_length or (1 << 20 if public else 16 << 20)
    server.add_url_rule(STYLE_PATH, "observatory_plain_css", _plain_css)
    server.after_request(_security_headers)
    server.register_error_handler(Exception, _error_page)


def content_security_policy(script_hashes: tuple[str, ...] = (), allow_eval: bool = False) -> str:
    """The CSP for Dash pages.

    script-src: Dash's inline renderer call and clientside callbacks are allowed by
    their hashes (`Dash.csp_hashes()`), nothing else inline. Plotly.js, the map
    (MapLibre) and WebGL traces were checked to run without 'unsafe-eval' in
    headless Chromium (tests/test_users_auth.py); `allow_eval` is the escape hatch
    should a future trace type need it. style-src: plotly.js and Dash components
    inject <style> elements, so inline styles are allowed (they cannot run code).
    MapLibre starts its workers from blob: URLs and draws into data:/blob: images.
    """
    script = ["'self'", *(["'unsafe-eval'"] if allow_eval else []), *script_hashes]
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(script),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


PLAIN_CSP = (
    "default-src 'none'; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _security_headers(response: flask.Response) -> flask.Response:
    state: _Hardening = flask.current_app.extensions[_EXTENSION]
    headers = response.headers
    if request.path in PLAIN_PATHS or response.status_code >= 400:
        headers["Content-Security-Policy"] = PLAIN_CSP
    elif response.mimetype == "text/html":
        # Hashed per page: cheap, and always the inline scripts Dash just rendered.
        hashes = tuple(state.dash_app.csp_hashes()) if state.dash_app is not None else ()
        headers["Content-Security-Policy"] = content_security_policy(hashes, state.allow_eval)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if not state.public and not request.path.startswith(_CACHEABLE_PREFIXES):
        # Pages and callback answers may hold record-level data: no shared caches.
        headers["Cache-Control"] = "no-store"
    return response


def html_page(title: str, body: str, status: int = 200) -> flask.Response:
    """A small page with no script and no inline style; `body` must be escaped HTML."""
    document = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title>"
        f"<link rel='stylesheet' href='{STYLE_PATH}'></head>"
        f"<body><main class='card'><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    return flask.Response(document, status=status, mimetype="text/html")


_PLAIN_CSS = """
body{margin:0;font:16px/1.4 system-ui,sans-serif;background:#f4f5f7;color:#1d2330}
.card{max-width:22rem;margin:10vh auto;padding:1.5rem;background:#fff;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.25rem;margin:0 0 1rem}
label{display:block;margin:0 0 .8rem}
input{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;
font-size:1rem;border:1px solid #9aa3b2;border-radius:4px}
button{width:100%;padding:.6rem;font-size:1rem;border:0;border-radius:4px;
background:#1f5fa8;color:#fff;cursor:pointer}
.message{background:#fdecea;border-left:4px solid #c0392b;padding:.5rem .75rem}
"""


def _plain_css() -> flask.Response:
    response = flask.Response(_PLAIN_CSS, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


_STATUS_TEXT = {
    400: "The request could not be understood.",
    401: "Sign in first.",
    403: "Your account cannot open this page.",
    404: "There is no page here.",
    405: "That is not allowed here.",
    413: "The request is too large.",
    429: "Too many requests: wait a little and try again.",
}


def _error_page(error: Exception) -> flask.Response:
    """A short page naming the status; never a traceback outside debug mode."""
    if isinstance(error, HTTPException):
        code = error.code or 500
        if flask.current_app.debug and code >= 500:
            raise error
        text = _STATUS_TEXT.get(code, "Something went wrong.")
        if request.path.endswith("/_dash-update-component") or code == 401:
            return flask.Response(text, status=code, mimetype="text/plain")
        body = f"<p>{html.escape(text)}</p><p><a href='/'>Home</a></p>"
        return html_page(str(code), body, code)
    if flask.current_app.debug:
        raise error
    log.exception("unhandled error on %s %s", request.method, request.path)
    return html_page("500", "<p>Something went wrong. It has been logged.</p>", 500)
