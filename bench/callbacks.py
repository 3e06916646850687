"""Dash callbacks over HTTP: the dashboard under gunicorn on 127.0.0.1, callbacks
POSTed to /_dash-update-component as the browser sends them (built from the app's
own /_dash-dependencies), timed server side (bench.wsgi's X-Bench-Server-Ms), with
the bytes on the wire (gzip, as browsers ask) and before compression.

Each server callback is timed warm (its query results cached, as for every viewer
after the first) and cold (the worker's cache emptied before each request, as for the
first viewer after a load). The map gets two figures of its own: the first map (no
hexagons in the browser yet) and a filter change (colours only, a Patch).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from bench.report import Figure, percentiles, with_target

CALLBACK_TARGET_MS = 100.0
FIRST_MAP_TARGET_KB = 1000.0
FILTER_CHANGE_TARGET_KB = 200.0
BUDGET_S = 20.0  # per figure: slow callbacks get fewer samples
# One request longer than this is reported as timed out and the run goes on: gunicorn
# stops the worker a little later and starts a fresh one for the next callback.
REQUEST_TIMEOUT_S = 120.0
WORKER_TIMEOUT_S = int(REQUEST_TIMEOUT_S) + 10
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-password-not-secret-1"
REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn_server(
    app: str, log_path: Path, options: list[str], env: dict | None = None
) -> Iterator[str]:
    """gunicorn serving `app` on a free loopback port until the block ends; yields the
    base URL once it answers (a loaded machine can take many seconds to import)."""
    import requests

    port = _free_port()
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *options, app]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn exited ({proc.returncode}); see {log.name}")
                with contextlib.suppress(requests.RequestException):
                    requests.get(base + "/_dash-dependencies", timeout=60)
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start within 90 s; see {log.name}")
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def dashboard_server(workers: int = 1):
    """gunicorn serving bench.wsgi; a context manager yielding the base URL."""
    log = Path(os.environ.get("OBSERVATORY_HOME", "/tmp")) / "bench-gunicorn.log"
    # The warmer would compute the default views in the background while the first
    # figures are timed; its effect is measured apart (the issue note, BENCHMARKS.md).
    env = {**os.environ, "OBSERVATORY_WARM_CACHE": "0"}
    return gunicorn_server(
        "bench.wsgi:application",
        log,
        ["--workers", str(workers), "--timeout", str(WORKER_TIMEOUT_S)],
        env=env,
    )


def signed_in_session(engine: Engine, base: str, role: str = "team"):
    """A requests session past the login page, when the dashboard has one, signed in
    as the bench's user of `role`."""
    import re

    import requests

    session = requests.Session()
    first = session.get(base + "/", allow_redirects=False, timeout=30)
    if first.status_code not in (301, 302, 303) or "login" not in first.headers.get("Location", ""):
        return session
    from geodata import users

    username = BENCH_USER if role == "team" else f"{BENCH_USER}-{role}"
    if users.get_user(engine, username) is None:
        users.add_user(engine, username, BENCH_PASSWORD, role)
    form = session.get(base + "/login", timeout=30).text
    token = re.search(r"name='csrf_token' value='([^']+)'", form)
    session.post(
        base + "/login",
        data={
            "csrf_token": token.group(1) if token else "",
            "username": username,
            "password": BENCH_PASSWORD,
            "next": "/",
        },
        timeout=30,
    )
    return session


@dataclass
class Callback:
    """One server-side callback from /_dash-dependencies."""

    output: str
    outputs: list[dict]
    inputs: list[dict]
    state: list[dict]

    @property
    def name(self) -> str:
        first = self.outputs[0]
        ident = first["id"] if isinstance(first["id"], str) else first["id"].get("type", "")
        prop, _, duplicate = first["property"].partition("@")
        suffix = f"@{duplicate[:6]}" if duplicate else ""  # allow_duplicate outputs
        return f"{ident}.{prop}{suffix}".replace("_", "-")

    def payload(self, values: dict, changed: int = 0) -> dict:
        def filled(items):
            return [{**item, "value": values.get((item["id"], item["property"]))} for item in items]

        inputs = filled(self.inputs)
        multi = len(self.outputs) > 1
        return {
            "output": self.output,
            "outputs": self.outputs if multi else self.outputs[0],
            "inputs": inputs,
            "changedPropIds": [f"{_id_text(inputs[changed]['id'])}.{inputs[changed]['property']}"],
            "state": filled(self.state),
        }


def _id_text(ident) -> str:
    return ident if isinstance(ident, str) else json.dumps(ident, sort_keys=True)


def _parse_outputs(output: str) -> list[dict]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        out.append({"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop})
    return out


def server_callbacks(session, base: str) -> list[Callback]:
    deps = session.get(base + "/_dash-dependencies", timeout=30).json()
    found = []
    for dep in deps:
        if dep.get("clientside_function"):
            continue
        # Pattern-matching callbacks need concrete ids the page would create: skipped.
        if any(isinstance(i["id"], dict) for i in dep["inputs"]):
            continue
        found.append(
            Callback(dep["output"], _parse_outputs(dep["output"]), dep["inputs"], dep["state"])
        )
    return found


class CallbackTimedOut(RuntimeError):
    """A callback ran past REQUEST_TIMEOUT_S (or its worker was stopped meanwhile)."""


@dataclass
class Response:
    seconds: float
    wire_bytes: int
    raw_bytes: int
    body: dict


def post(session, base: str, payload: dict) -> Response:
    import requests

    try:
        response = session.post(
            base + "/_dash-update-component",
            json=payload,
            headers={"Accept-Encoding": "gzip"},
            stream=True,
            timeout=REQUEST_TIMEOUT_S,
        )
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise CallbackTimedOut(payload["output"]) from exc
    if response.status_code in (502, 503, 504):  # the worker was stopped mid-request
        raise CallbackTimedOut(payload["output"])
    wire = response.raw.read(decode_content=False)
    if response.status_code == 204:
        return Response(float(response.headers["X-Bench-Server-Ms"]) / 1000, 0, 0, {})
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code} for {payload['output']}")
    raw = gzip.decompress(wire) if response.headers.get("Content-Encoding") == "gzip" else wire
    seconds = float(response.headers["X-Bench-Server-Ms"]) / 1000
    return Response(seconds, len(wire), len(raw), json.loads(raw))


def timed(session, base: str, payload: dict, repeat: int, cold: bool) -> tuple[dict, Response]:
    """Server-side p50/p95 over up to `repeat` requests. The first request warms up
    (imports, pools, the cache) and is not counted unless cold and slow; requests
    stop once BUDGET_S of server time is spent, so a slow callback gets fewer
    samples."""

    def once() -> Response:
        if cold:
            session.post(base + "/_bench/clear-cache", timeout=30)
        return post(session, base, payload)

    last = once()
    # Warm: the first request fills the cache, so it is a cold figure and never
    # counted. Cold: counted when slow, so a slow callback still gets samples.
    samples = [last.seconds] if cold and last.seconds > BUDGET_S / 4 else []
    while len(samples) < repeat and sum(samples) < BUDGET_S:
        last = once()
        samples.append(last.seconds)
    return with_target(percentiles(samples), "p95_ms", CALLBACK_TARGET_MS), last


def _default_values(engine: Engine) -> dict:
    from bench.queries import default_range
    from dashboard import ids

    start, end = default_range(engine)
    return {
        ("_pages_location", "pathname"): "/",
        ("_pages_location", "search"): "",
        (ids.URL, "pathname"): "/",
        (ids.MAP_DATES, "start_date"): start.isoformat(),
        (ids.MAP_DATES, "end_date"): end.isoformat(),
        (ids.MAP_CATEGORIES, "value"): [],
        (ids.MAP_DRAWN, "data"): None,
    }


def _page_paths() -> list[str]:
    import dash

    import dashboard.app  # noqa: F401 - registers the pages

    return [page["path"] for page in dash.page_registry.values()]


def _figure(name: str, values: dict, last: Response) -> Figure:
    return Figure(
        name, {**values, "wire_kB": last.wire_bytes / 1000, "raw_kB": last.raw_bytes / 1000}
    )


def _payload_figure(name: str, last: Response, limit_kb: float) -> Figure:
    values = with_target({"wire_kB": last.wire_bytes / 1000}, "wire_kB", limit_kb)
    values["raw_kB"] = last.raw_bytes / 1000
    return Figure(name, values, "gzip on the wire; raw = before compression")


def _role_for(ident, path: str | None) -> str:
    """The role whose user may call a callback: the team's, or the admin's for the
    administrator's pages (the guard refuses the team there)."""
    from dashboard import auth

    page = path
    if page is None and isinstance(ident, str):
        page = next((p for prefix, p in auth.OUTPUT_PAGES.items() if ident.startswith(prefix)), "/")
    return "team" if auth.page_allowed(page or "/", "team", auth.PAGE_ROLES) else "admin"


def callback_figures(engine: Engine, label: str, repeat: int) -> Iterator[Figure]:
    from dashboard import ids

    values = _default_values(engine)
    with dashboard_server() as base:
        sessions = {"team": signed_in_session(engine, base)}
        for callback in server_callbacks(sessions["team"], base):
            ident = callback.outputs[0]["id"]
            if ident == ids.MAP_GRAPH:
                yield from _map_figures(sessions["team"], base, callback, values, label, repeat)
                continue
            paths = _page_paths() if ident == "_pages_content" else [None]
            for path in paths:
                role = _role_for(ident, path)
                if role not in sessions:
                    sessions[role] = signed_in_session(engine, base, role)
                session = sessions[role]
                own = dict(values)
                name = f"callback.{callback.name}"
                if path is not None:
                    own[("_pages_location", "pathname")] = path
                    name = f"callback.page{path.rstrip('/') or '/home'}".replace("/", ".", 1)
                for cold in (False, True):
                    # Other callbacks: fewer samples, so many pages fit in the run.
                    payload = callback.payload(own)
                    figure = f"{name}.{'cold' if cold else 'warm'}.{label}"
                    try:
                        stats, last = timed(session, base, payload, max(3, repeat // 2), cold)
                    except CallbackTimedOut:
                        yield _timed_out(figure)
                        sessions = {"team": _after_timeout(engine, base)}
                        break  # the cold figure would time out too
                    yield _figure(figure, stats, last)


def _timed_out(name: str) -> Figure:
    values = with_target({"p95_ms": REQUEST_TIMEOUT_S * 1000}, "p95_ms", CALLBACK_TARGET_MS)
    return Figure(name, {"timed_out": "yes", **values}, f"over {REQUEST_TIMEOUT_S:.0f} s: stopped")


def _after_timeout(engine: Engine, base: str):
    """Wait for gunicorn to replace the stopped worker, then sign in again."""
    import requests

    deadline = time.monotonic() + WORKER_TIMEOUT_S + 90
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/_dash-dependencies", timeout=10).ok:
                return signed_in_session(engine, base)
        time.sleep(1)
    raise RuntimeError("the dashboard did not recover from a timed-out callback")


def _map_figures(session, base, callback: Callback, values, label, repeat) -> Iterator[Figure]:
    from dashboard import ids

    first = callback.payload(values)
    for cold in (False, True):
        stats, last = timed(session, base, first, repeat, cold)
        yield _figure(f"callback.map.first.{'cold' if cold else 'warm'}.{label}", stats, last)
    yield _payload_figure(f"payload.first_map.{label}", last, FIRST_MAP_TARGET_KB)
    drawn = last.body["response"][ids.MAP_DRAWN]["data"]
    changed = {**values, (ids.MAP_DRAWN, "data"): drawn, (ids.MAP_CATEGORIES, "value"): ["robbery"]}
    position = next(i for i, item in enumerate(callback.inputs) if item["id"] == ids.MAP_CATEGORIES)
    payload = callback.payload(changed, changed=position)
    for cold in (False, True):
        stats, last = timed(session, base, payload, repeat, cold)
        yield _figure(f"callback.map.filter.{'cold' if cold else 'warm'}.{label}", stats, last)
    yield _payload_figure(f"payload.filter_change.{label}", last, FILTER_CHANGE_TARGET_KB)
