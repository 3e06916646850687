"""The printable patrol sheet: a valid PDF of exactly one A4 page with the map, the
numbered points and their landmarks, and the schedule, even for a long plan; and
the numbers on the map drawn as strokes (no font glyphs to fetch)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from h3.api import basic_int as h3i
from pypdf import PdfReader

from dashboard.figures.patrol import number_strokes, patrol_map
from dashboard.patrol_sheet import SheetContent, patrol_sheet, plan_lines

START = datetime(2024, 8, 2, 18, 0)
LANDMARKS = ("Silver Spoon Lounge", "Blue Moon Bar", "Tumaini Stage", "Mjini Market")


def _points(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lats = -1.30 + rng.uniform(-0.02, 0.02, n)
    lons = 36.82 + rng.uniform(-0.02, 0.02, n)
    return pd.DataFrame(
        {
            "point": range(1, n + 1),
            "cells": [(h3i.latlng_to_cell(a, b, 9),) for a, b in zip(lats, lons, strict=True)],
            "lat": lats,
            "lon": lons,
            "peak_label": ["21:00, 22:00, 20:00"] * n,
            "landmark": [f"{LANDMARKS[i % 4]} {i + 1}" for i in range(n)],
            "landmark_m": rng.uniform(10, 400, n),
            "activity": ["Robbery 12, Assault 5"] * n,
        }
    )


def _schedule(n_visits: int, n_points: int) -> pd.DataFrame:
    starts = [START + timedelta(minutes=7 * i) for i in range(n_visits)]
    return pd.DataFrame(
        {
            "point": [i % n_points + 1 for i in range(n_visits)],
            "start": starts,
            "end": [s + timedelta(minutes=12) for s in starts],
            "officer": [i % 3 + 1 for i in range(n_visits)],
        }
    )


def _wards() -> dict:
    ring = [[36.79, -1.33], [36.85, -1.33], [36.85, -1.27], [36.79, -1.27], [36.79, -1.33]]
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": "T1", "properties": {"name": "Test"},
             "geometry": {"type": "Polygon", "coordinates": [ring]}},
        ],
    }  # fmt: skip


def _content(n_points: int, n_visits: int) -> SheetContent:
    lines = plan_lines(
        "Test Police Station (Test)", START, START + timedelta(hours=12), (0, 1, 2, 3, 4, 5, 6),
        ("robbery", "assault"), 16, START.date(), 26,
    )  # fmt: skip
    return SheetContent(
        "Patrol sheet: night shift",
        lines,
        _points(n_points),
        _schedule(n_visits, n_points),
        _wards(),
        "Test wards (CC0)",
        datetime(2024, 8, 1, 9, 30),
    )


def _read(pdf: bytes) -> tuple[int, str]:
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_sheet_is_one_page_with_points_landmarks_and_schedule():
    content = _content(5, 29)
    pdf = patrol_sheet(content)
    pages, words = _read(pdf)
    assert pages == 1
    reader = PdfReader(io.BytesIO(pdf))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait, in points
    assert reader.pages[0].images, "the map is on the page"
    for point in content.points.itertuples():
        assert point.landmark in words
    for number in range(1, 6):
        assert f"Point {number}" in words
    assert "29 visits" in words and "18:00-18:12" in words
    assert "Ward boundaries: Test wards (CC0)" in words
    assert "more: see the dashboard" not in words  # everything fitted


def test_a_long_plan_still_fits_one_page_and_says_what_was_cut():
    content = _content(20, 400)
    pages, words = _read(patrol_sheet(content))
    assert pages == 1
    for point in content.points.itertuples():
        assert point.landmark in words  # every point is listed, even when visits are cut
    assert "400 visits" in words
    assert "more: see the dashboard" in words


def test_map_numbers_are_strokes_not_text():
    points = _points(12)
    fig = patrol_map(points, _wards())
    modes = [getattr(trace, "mode", None) for trace in fig.data]
    assert "text" not in " ".join(m for m in modes if m)  # no glyphs requested
    assert [layer["type"] for layer in fig.layout.map.layers] == ["line"]
    lats, lons = number_strokes(12, -1.3, 36.8, 0.002)
    segments = sum(v is None for v in lats)
    assert segments == 1 + 5  # "1" is one upright, "2" five segments
    finite = [v for v in lons if v is not None]
    assert min(finite) < 36.8 < max(finite)  # centred on the point
