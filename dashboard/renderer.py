"""A Chromium kept open between figure renders (the meeting pack, the patrol sheet).

Starting Chromium through kaleido takes 2 to 4 s on a 2-core machine, several times
longer than drawing the pack's figures in it, and a meeting asks for the PDF, then
the PNGs, then the PDF again with other filters. So each dashboard process opens one
browser at its first render, keeps it while renders keep coming, and closes it after
IDLE_S without one (memory goes back). A browser that fails or times out is closed,
never reused: the next render starts a fresh one.

The browser runs in a thread with its own event loop; renders are serialised by a
lock (one tab), so concurrent requests in a threaded worker queue up, as they did
when each started its own browser, but without paying for the start.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import threading
import time
from collections.abc import Sequence

IDLE_S = 600.0  # a meeting's worth of downloads
OPEN_TIMEOUT_S = 60.0
CLOSE_TIMEOUT_S = 20.0


class _LoopDied(RuntimeError):
    """The thread running the browser's event loop has ended."""


class KeptRenderer:
    """Figures (as plotly JSON dicts) to PNG bytes in one browser kept open."""

    def __init__(self, idle_s: float = IDLE_S) -> None:
        self.idle_s = idle_s
        self.starts = 0  # browsers started, for tests and diagnostics
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None
        self._browser: str | None = None
        self._last_used = 0.0
        self._timer: threading.Timer | None = None

    @property
    def is_open(self) -> bool:
        return self._kaleido is not None

    def browser_process(self):
        """The open browser's subprocess.Popen, or None."""
        return getattr(self._kaleido, "subprocess", None)

    def render(
        self, jobs: Sequence[tuple[dict, dict]], browser: str, timeout_s: float
    ) -> list[bytes]:
        """PNG bytes for each (figure dict, kaleido options) job, in order."""
        with self._lock:
            try:
                for attempt in (1, 2):
                    try:
                        kept = self._opened(browser)
                        return self._wait(
                            asyncio.run_coroutine_threadsafe(_draw(kept, jobs), self._loop),
                            timeout_s,
                        )
                    except _LoopDied:
                        if attempt == 2:
                            raise  # closed below
                        # A kept browser whose loop went: once more in a fresh one.
                        self._close()
            except BaseException:
                self._close()
                raise
            finally:
                self._last_used = time.monotonic()
                self._schedule_idle_close()

    def _wait(self, future: concurrent.futures.Future, timeout_s: float):
        """The future's result, watching the loop's thread: an exception raised into
        that thread (dash's test runner stops threads that way, and it lands only when
        the loop next wakes, which is for this very job) would leave it unresolved."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return future.result(timeout=min(0.25, max(deadline - time.monotonic(), 0)))
            except concurrent.futures.TimeoutError:
                if self._thread is None or not self._thread.is_alive():
                    raise _LoopDied from None
                if time.monotonic() >= deadline:
                    raise

    def close(self) -> None:
        """Close the browser now (it opens again at the next render)."""
        with self._lock:
            self._close()

    def _opened(self, browser: str):
        # The loop's thread must still run: a server that stops its worker threads
        # (dash's test runner raises SystemExit in them) can take it down with the
        # browser still open, and a render sent to a dead loop waits forever.
        alive = self._thread is not None and self._thread.is_alive()
        if self._kaleido is not None and self._browser == browser and alive:
            process = self.browser_process()
            if process is None or process.poll() is None:
                return self._kaleido
        self._close()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="kept-chromium", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        self._kaleido = self._wait(
            asyncio.run_coroutine_threadsafe(_open(browser), loop), OPEN_TIMEOUT_S
        )
        self._browser = browser
        self.starts += 1
        return self._kaleido

    def _close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        kept, loop, thread = self._kaleido, self._loop, self._thread
        self._kaleido = self._loop = self._thread = self._browser = None
        if loop is None:
            return
        try:
            if kept is not None and not (thread is not None and thread.is_alive()):
                raise RuntimeError("the browser's loop has stopped")  # kill it below
            if kept is not None:
                future = asyncio.run_coroutine_threadsafe(kept.__aexit__(None, None, None), loop)
                future.result(timeout=CLOSE_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - a browser that will not close is killed below
            process = getattr(kept, "subprocess", None)
            if process is not None and process.poll() is None:
                process.kill()
        finally:
            loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(timeout=CLOSE_TIMEOUT_S)

    def _schedule_idle_close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._kaleido is None:
            self._timer = None
            return
        self._timer = threading.Timer(self.idle_s, self._close_if_idle)
        self._timer.daemon = True
        self._timer.start()

    def _close_if_idle(self) -> None:
        with self._lock:
            if time.monotonic() - self._last_used >= self.idle_s * 0.99:
                self._close()


async def _open(browser: str):
    import kaleido

    # mathjax=False: otherwise kaleido asks a CDN for it.
    kept = kaleido.Kaleido(path=browser, mathjax=False, n=1)
    return await kept.__aenter__()


async def _draw(kept, jobs: Sequence[tuple[dict, dict]]) -> list[bytes]:
    return [await kept.calc_fig(figure, opts=opts) for figure, opts in jobs]


# One per process: gunicorn workers each keep their own, started after the fork.
renderer = KeptRenderer()
atexit.register(renderer.close)
