"""Placing rows that came without a usable position, from their location and ward text.

`place_rows` is the ETL step: rows with coordinates are `gps`; the others are matched
against the gazetteer and ward names once per distinct (location_text, ward_text,
agency area), however many rows repeat the text, and get:

- `gazetteer`: the place's point in latitude/longitude (so ward and H3 cells follow
  from it), its place_id and ward_code;
- `ward_name`: ward_code only; latitude/longitude stay empty (no made-up point);
- `unresolved`: nothing, kept and counted.

geocode_confidence is 1 for gps, the match confidence (0-1) for the text-placed and
empty for unresolved; rows below `geodata.gazetteer.matching.auto_accept()` are
the ones to review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from geodata.gazetteer.matching import PlaceIndex
from geodata.gazetteer.store import load_index

AgencyWards = Iterable[str] | Mapping[str, Iterable[str]]


def place_rows(engine: Engine, frame: pd.DataFrame, agency_ward_codes: AgencyWards) -> pd.DataFrame:
    """The frame with geocode_method, place_id, ward_code, latitude/longitude (for
    gazetteer rows) and geocode_confidence filled in.

    `agency_ward_codes`: the wards the reporting agency usually reports from, or a
    mapping agency name -> wards when the frame's `agency` column holds several."""
    return place_frame(load_index(engine), frame, agency_ward_codes)


def place_frame(
    index: PlaceIndex, frame: pd.DataFrame, agency_ward_codes: AgencyWards
) -> pd.DataFrame:
    """`place_rows` with an index already built (pure; what tests and benchmarks call)."""
    out = frame.copy()
    lat, lon = _coordinates(out, "latitude"), _coordinates(out, "longitude")
    has_point = np.isfinite(lat) & np.isfinite(lon)
    ward = (
        out["ward_code"].to_numpy(dtype=object, copy=True)
        if "ward_code" in out
        else np.full(len(out), None, dtype=object)
    )
    method = np.where(has_point, "gps", "unresolved").astype(object)
    confidence = np.where(has_point, 1.0, np.nan)
    place_id = np.full(len(out), None, dtype=object)
    todo = np.flatnonzero(~has_point)
    if len(todo):
        texts = zip(
            _texts(out, "location_text", todo),
            _texts(out, "ward_text", todo),
            _areas(out, todo, agency_ward_codes),
            strict=True,
        )
        # resolve() matches each distinct triple once and fans the answers back out.
        for row, found in zip(todo, index.resolve(list(texts)), strict=True):
            method[row], ward[row], place_id[row] = found.method, found.ward_code, found.place_id
            confidence[row] = np.nan if found.method == "unresolved" else found.confidence
            lat[row] = np.nan if found.lat is None else found.lat
            lon[row] = np.nan if found.lon is None else found.lon
    out["latitude"], out["longitude"] = lat, lon
    out["ward_code"] = pd.Series(ward, index=out.index, dtype=object)
    out["geocode_method"] = pd.Series(method, index=out.index, dtype=object)
    out["geocode_confidence"] = confidence
    out["place_id"] = pd.array(place_id, dtype="Int64")
    return out


def _coordinates(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, copy=True)


def _texts(frame: pd.DataFrame, column: str, rows: np.ndarray) -> list[object]:
    if column not in frame:
        return [None] * len(rows)
    return frame[column].to_numpy(dtype=object)[rows].tolist()


def _areas(frame: pd.DataFrame, rows: np.ndarray, agency_ward_codes: AgencyWards) -> list:
    if isinstance(agency_ward_codes, Mapping):
        areas = {name: frozenset(codes) for name, codes in agency_ward_codes.items()}
        agencies = frame["agency"].to_numpy(dtype=object)[rows]
        return [areas.get(name, frozenset()) for name in agencies]
    return [frozenset(agency_ward_codes or ())] * len(rows)
