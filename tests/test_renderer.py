"""The kept Chromium behind the meeting pack and the patrol sheet: one browser start
serves many downloads, real PNGs come out, and the browser goes away when closed or
left idle (its memory is the price of keeping it)."""

from __future__ import annotations

import io
import time

import plotly.graph_objects as go
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
    began = time.perf_counter()
    second = pdf.render_pngs([_bar(200), _bar(250)])
    reused_s = time.perf_counter() - began
    assert renderer.starts - starts <= 1  # the first may start it; the second never does
    assert [Image.open(io.BytesIO(png)).size for png in first + second] == [
        (400, 300),
        (400, 200),
        (400, 250),
    ]
    # Two figures in the kept browser take less time than starting one (2 to 4 s here).
    assert reused_s < 2.0


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
