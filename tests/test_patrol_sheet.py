"""The printable patrol sheet: a valid PDF of exactly one A4 page with the map, the
numbered points and their landmarks, and the schedule, even for a long plan; the
numbers on the map drawn as strokes (no font glyphs to fetch); a drawn station area
checked in words and outlined on the map and the sheet."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely
from h3.api import basic_int as h3i
from PIL import Image
from pypdf import PdfReader

from dashboard.figures.patrol import DRAWN_AREA_COLOUR, number_strokes, patrol_map, sheet_map
from dashboard.patrol_sheet import SheetContent, patrol_sheet, plan_lines
from dashboard.pdf import render_pngs
from geodata.errors import ObservatoryError
from geodata.patrol_area import area_shape, polygon_from_vertices, pull_inside

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


# A drawn station area around the test points (lon, lat corners, anticlockwise).
DRAWN = [[36.795, -1.325], [36.845, -1.325], [36.845, -1.275], [36.795, -1.275]]


def _orange_pixels(png: bytes) -> int:
    """Pixels near the drawn area's colour (#d55e00) in a PNG."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    target = np.array([0xD5, 0x5E, 0x00])
    return int((np.abs(image - target).sum(axis=2) < 60).sum())


def test_drawn_corners_are_checked_in_words():
    square = polygon_from_vertices([*DRAWN, DRAWN[3]])
    assert square == {"type": "Polygon", "coordinates": [[*DRAWN, DRAWN[0]]]}
    # A double click is one corner, and a click back on the first closes the ring.
    again = polygon_from_vertices([DRAWN[0], DRAWN[1], DRAWN[1], DRAWN[2], DRAWN[3], DRAWN[0]])
    assert again == square
    with pytest.raises(ObservatoryError, match="2 corners: click at least 3"):
        polygon_from_vertices([DRAWN[0], DRAWN[1], DRAWN[1]])
    with pytest.raises(ObservatoryError, match="0 corners"):
        polygon_from_vertices([])
    with pytest.raises(ObservatoryError, match="one line"):
        polygon_from_vertices([[36.80, -1.30], [36.81, -1.29], [36.82, -1.28]])
    with pytest.raises(ObservatoryError, match="edges cross each other"):
        polygon_from_vertices([DRAWN[0], DRAWN[2], DRAWN[1], DRAWN[3]])  # a bow tie
    with pytest.raises(ObservatoryError, match="not a place"):
        polygon_from_vertices([[36.8, -1.3], ["east", -1.3], [36.9, -1.2]])
    # What comes back from the browser or the database is checked too.
    with pytest.raises(ObservatoryError, match="not a polygon"):
        area_shape('{"type": "Point", "coordinates": [36.8, -1.3]}')
    with pytest.raises(ObservatoryError, match="not a polygon"):
        area_shape("not json")
    assert area_shape(json.dumps(square)).area > 0


def test_a_point_on_the_edge_of_the_drawn_area_is_pulled_inside():
    shape = area_shape(json.dumps(polygon_from_vertices(DRAWN)))
    assert pull_inside(shape, -1.30, 36.82) == (-1.30, 36.82)  # inside: kept
    lat, lon = pull_inside(shape, -1.30, 36.8465)  # 170 m east of the edge
    assert shape.contains(shapely.Point(lon, lat))
    assert abs(lat + 1.30) < 0.001 and 36.842 < lon < 36.845


def test_the_drawn_area_is_outlined_on_the_map_and_on_the_sheet():
    area = polygon_from_vertices(DRAWN)
    points = _points(5)
    fig = patrol_map(points, _wards(), area=area)
    layers = fig.layout.map.layers
    assert [layer["type"] for layer in layers] == ["line", "line"]  # wards, then the area
    assert layers[1]["color"] == DRAWN_AREA_COLOUR
    assert layers[1]["source"]["features"][0]["geometry"] == area
    centre = fig.layout.map.center
    assert 36.795 < centre.lon < 36.845 and -1.325 < centre.lat < -1.275  # fits the area

    with_area = sheet_map(points, _wards(), 540, 300, area=area)
    without = sheet_map(points, _wards(), 540, 300)
    drawn, plain = render_pngs([with_area, without])
    assert _orange_pixels(drawn) > 500 and _orange_pixels(plain) == 0

    content = replace(_content(5, 29), area=area)
    pages, words = _read(patrol_sheet(content))
    assert pages == 1 and "Visit schedule" in words
