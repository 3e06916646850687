"""Load test of the public app: gunicorn on 127.0.0.1 serving `dashboard.app:server`
with PUBLIC=1 (the Procfile's workers and threads), the seeded demo loaded, and N
simulated forum members for T seconds.

    python -m bench.load_public [--users 50] [--seconds 60] [--home DIR]

Each simulated member repeats a visit: the page (HTML), Dash's layout and callback
list, a page switch (the router callback, to a random public page, in English or
Kiswahili) and one control change on it (a random month range and category, or a
quarter and sensitive category), with no pause between requests: a worst case, not
a model of real use. Scripts and stylesheets are fetched once per member, as a
browser caches them. Prints p50/p95/max latency per kind of request and overall,
requests per second and errors (any status but 200/204, or a failed connection).
Not part of `make test`: it takes a minute and measures this machine.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import threading
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from bench.callbacks import gunicorn_server

REPO = Path(__file__).resolve().parent.parent
DEMO_SEED = 20241
DEMO_REFERENCE = date(2024, 9, 30)
ROUTER = ".._pages_content.children..._pages_store.data.."
MAP = "..pub-map-image.src...pub-map-image.alt...pub-map-summary.children.."
CLOCK = "pub-clock-bars.children"
SENSITIVE = "..pub-sens-image.src...pub-sens-image.alt...pub-sens-table.children.."
PAGES = ("/", "/clock", "/sensitive", "/actions")


def ensure_demo() -> None:
    """Load the seeded demo unless incidents are there already."""
    from sqlalchemy import text

    from geodata.db import get_engine

    engine = get_engine()
    with engine.connect() as conn:
        if conn.execute(text("SELECT count(*) FROM incidents")).scalar_one():
            return
    from etl.demo import run_demo

    home = Path(os.environ["OBSERVATORY_HOME"])
    run_demo(DEMO_SEED, home / "demo", reference_date=DEMO_REFERENCE, engine=engine)


def public_server(workers: int, threads: int):
    """gunicorn serving the public app (PUBLIC=1); a context manager yielding the URL."""
    home = Path(os.environ["OBSERVATORY_HOME"])
    return gunicorn_server(
        "dashboard.app:server",
        home / "load-public-gunicorn.log",
        ["--workers", str(workers), "--threads", str(threads)],
        env={**os.environ, "PUBLIC": "1"},
    )


def _body(output: str, outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
          state: list[tuple[str, str, object]] = ()) -> dict:  # fmt: skip
    return {
        "output": output,
        "outputs": [{"id": i, "property": p} for i, p in outputs]
        if len(outputs) > 1
        else {"id": outputs[0][0], "property": outputs[0][1]},
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": [f"{i}.{p}" for i, p, _ in inputs],
    }


class Choices:
    """What the controls offer, read from the database once."""

    def __init__(self) -> None:
        from geodata.db import get_engine
        from geodata.queries import public

        engine = get_engine()
        first, last = public.month_bounds(engine)
        self.months, current = [], first
        while current <= last:
            self.months.append(current.strftime("%Y-%m"))
            current = public.next_month(current)
        self.categories = ["all", *public.PUBLIC_CATEGORIES]
        self.sensitive = list(public.SENSITIVE_CATEGORIES)
        self.quarters = list(public.sensitive_quarters(engine))

    def control_change(self, rng: random.Random, page: str, lang: str) -> tuple[str, dict] | None:
        if page in ("/", "/clock"):
            start, end = sorted(rng.sample(self.months, 2))
            prefix = "pub-map" if page == "/" else "pub-clock"
            output = MAP if page == "/" else CLOCK
            outputs = (
                [
                    ("pub-map-image", "src"),
                    ("pub-map-image", "alt"),
                    ("pub-map-summary", "children"),
                ]
                if page == "/"
                else [("pub-clock-bars", "children")]
            )
            inputs = [(f"{prefix}-from", "value", start), (f"{prefix}-to", "value", end),
                      (f"{prefix}-category", "value", rng.choice(self.categories))]  # fmt: skip
            return output, _body(output, outputs, inputs, [("pub-lang", "data", lang)])
        if page == "/sensitive":
            outputs = [("pub-sens-image", "src"), ("pub-sens-image", "alt"),
                       ("pub-sens-table", "children")]  # fmt: skip
            inputs = [("pub-sens-quarter", "value", rng.choice(self.quarters)),
                      ("pub-sens-category", "value", rng.choice(self.sensitive))]  # fmt: skip
            return SENSITIVE, _body(SENSITIVE, outputs, inputs, [("pub-lang", "data", lang)])
        return None


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    def timed(self, kind: str, session, method: str, url: str, **kwargs) -> object:
        started = time.perf_counter()
        try:
            response = session.request(method, url, timeout=60, **kwargs)
            ok = response.status_code in (200, 204)
        except Exception:  # noqa: BLE001 - a failed request is an error to count
            response, ok = None, False
        elapsed = time.perf_counter() - started
        with self.lock:
            self.times[kind].append(elapsed)
            if not ok:
                self.errors[kind] += 1
        return response


def member(base: str, choices: Choices, recorder: Recorder, until: float, seed: int) -> None:
    import requests

    rng = random.Random(seed)
    session = requests.Session()
    post = base + "/_dash-update-component"
    first = True
    while time.monotonic() < until:
        page, lang = rng.choice(PAGES), rng.choice(("en", "sw"))
        index = recorder.timed("page", session, "GET", base + page)
        if first and index is not None:  # a browser fetches the scripts once, then caches
            for asset in re.findall(r'(?:src|href)="(/[^"]+)"', index.text):
                recorder.timed("asset", session, "GET", base + asset)
            first = False
        recorder.timed("layout", session, "GET", base + "/_dash-layout")
        recorder.timed("deps", session, "GET", base + "/_dash-dependencies")
        search = "?lang=sw" if lang == "sw" else ""
        route = _body(
            ROUTER,
            [("_pages_content", "children"), ("_pages_store", "data")],
            [("_pages_location", "pathname", page), ("_pages_location", "search", search)],
        )
        recorder.timed("router", session, "POST", post, json=route)
        change = choices.control_change(rng, page, lang)
        if change is not None:
            kind, body = change
            name = {MAP: "map", CLOCK: "clock", SENSITIVE: "sensitive"}[kind]
            recorder.timed(name, session, "POST", post, json=body)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(recorder: Recorder, seconds: float) -> str:
    lines = [f"{'request':<10} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>6}"]
    everything: list[float] = []
    for kind in sorted(recorder.times):
        times = recorder.times[kind]
        everything += times
        lines.append(
            f"{kind:<10} {len(times):>7} {1000 * statistics.median(times):>8.0f} "
            f"{1000 * _quantile(times, 0.95):>8.0f} {1000 * max(times):>8.0f} "
            f"{recorder.errors[kind]:>6}"
        )
    errors = sum(recorder.errors.values())
    lines.append(
        f"{'all':<10} {len(everything):>7} {1000 * statistics.median(everything):>8.0f} "
        f"{1000 * _quantile(everything, 0.95):>8.0f} {1000 * max(everything):>8.0f} {errors:>6}"
    )
    lines.append(f"{len(everything) / seconds:.1f} requests/s over {seconds:.0f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (Procfile: 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads each (Procfile: 4)")
    parser.add_argument("--home", default=os.environ.get("OBSERVATORY_HOME", "/tmp/obs-load"))
    args = parser.parse_args(argv)
    os.environ["OBSERVATORY_HOME"] = args.home
    Path(args.home).mkdir(parents=True, exist_ok=True)
    ensure_demo()
    choices = Choices()
    with public_server(args.workers, args.threads) as base:
        recorder = Recorder()
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=member, args=(base, choices, recorder, until, seed))
            for seed in range(args.users)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    print(
        f"public app, {args.users} concurrent members for {args.seconds:.0f} s, gunicorn "
        f"{args.workers} workers x {args.threads} threads on 127.0.0.1, {os.cpu_count()} CPUs"
    )
    print(report(recorder, elapsed))


if __name__ == "__main__":
    main()
