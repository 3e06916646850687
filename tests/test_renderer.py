"""The kept Chromium behind the meeting pack and the patrol sheet: one browser start
serves many downloads, real PNGs come out, and the browser goes away when closed or
left idle (its memory is the price of keeping it)."""

from __future__ import annotations

import ctypes
import io
import time

import plotly.graph_objects as go
import pytest
from PIL import Image

from dashboard import pdf
from dashboard.renderer import KeptRenderer, renderer


def _bar(height: int) -> go.Figure:
    fig = go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2]))
    fig.update_layout(width=400, height=height)
    return fig


def _job(fig: go.Figure) -> tuple[dict, dict]:
    return fig.to_plotly_json(), {"format": "png", "width": 400, "height": fig.layout.height}


def test_downloads_after_the_first_reuse_one_browser():
    starts = renderer.starts
    first = pdf.render_pngs([_bar(300)])
    second = pdf.render_pngs([_bar(200), _bar(250)])
    assert renderer.starts - starts <= 1  # the first may start it; the second never does
    assert [Image.open(io.BytesIO(png)).size for png in first + second] == [
        (400, 300),
        (400, 200),
        (400, 250),
    ]


def test_a_closed_or_idle_browser_is_gone_and_reopens():
    kept = KeptRenderer(idle_s=1.0)
    browser = pdf.chromium_path()
    kept.render([_job(_bar(300))], browser, 60)
    process = kept.browser_process()
    assert kept.is_open and process.poll() is None
    kept.render([_job(_bar(300))], browser, 60)
    assert kept.starts == 1 and kept.browser_process() is process

    deadline = time.monotonic() + 30
    while kept.is_open and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not kept.is_open
    process.wait(timeout=20)  # the idle browser exited: nothing left running

    (png,) = kept.render([_job(_bar(200))], browser, 60)
    assert kept.starts == 2 and Image.open(io.BytesIO(png)).size == (400, 200)
    again = kept.browser_process()
    kept.close()
    assert not kept.is_open
    again.wait(timeout=20)


# The SystemExit this test raises in the loop's thread is reported by pytest as a
# thread's unhandled exception: it is the point of the test, not a fault.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_browser_whose_loop_died_is_replaced_not_waited_on():
    """A server stopping its threads (dash's test runner raises SystemExit in them)
    can end the loop that talks to the browser while the browser lives on: the next
    download must start a fresh one instead of waiting on the dead loop."""
    kept = KeptRenderer()
    browser = pdf.chromium_path()
    kept.render([_job(_bar(300))], browser, 60)
    orphan = kept.browser_process()
    # What dash's runner does to threads a server started: the exception waits until
    # the loop wakes, which the next download's job does.
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(kept._thread.ident), ctypes.py_object(SystemExit)
    )
    assert orphan.poll() is None

    (png,) = kept.render([_job(_bar(200))], browser, 30)
    assert kept.starts == 2 and Image.open(io.BytesIO(png)).size == (400, 200)
    orphan.wait(timeout=20)  # the old browser was killed, not left running
    kept.close()
