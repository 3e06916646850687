"""The dashboard's WSGI app with a server-side clock, for the callback benchmark:

    gunicorn bench.wsgi:application

Each response carries `X-Bench-Server-Ms`: the time from the request reaching the
app to its last body byte (callback, JSON, compression), without the network or the
client. `POST /_bench/clear-cache` empties this worker's query cache and its cache of
compressed responses, so a request after it measures the SQL and the compression as
a viewer of a view nobody asked for since the load would.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from dashboard.app import server
from dashboard.compression import EXTENSION
from geodata import cache

CLEAR_CACHE_PATH = "/_bench/clear-cache"


class ServerTiming:
    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CLEAR_CACHE_PATH:
            cache.clear()
            compressed = server.extensions.get(EXTENSION)
            if compressed is not None and compressed.cache is not None:
                compressed.cache.clear()
            start_response("204 No Content", [])
            return []
        started = time.perf_counter()
        captured: dict = {}
        body: list[bytes] = []

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return body.append

        result = self.app(environ, capture)
        try:
            body.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        elapsed = (time.perf_counter() - started) * 1000
        headers = [*captured["headers"], ("X-Bench-Server-Ms", f"{elapsed:.3f}")]
        start_response(captured["status"], headers)
        return body


application = ServerTiming(server)
