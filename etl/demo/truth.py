"""What the demo planted, written beside the data (never into the database) so
later work can test that the dashboard recovers it: hot spots, hour and weekday
profiles, agency rates, every true event, and for every written row its true event,
position, ward and referenced place, plus the rows ingest must quarantine.

Also the geography as data: the gazetteer CSV (name, aliases, kind, latitude,
longitude), the roads and the generated wards as GeoJSON.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import shapely

from etl.demo.geography import Geography

TRUTH_FILE = "truth.json"
PLACES_FILE = "geography/places.csv"
ROADS_FILE = "geography/roads.geojson"
WARDS_FILE = "geography/wards.geojson"
_BIG_LISTS = ("events_by_category_ward_month", "events", "records")


def places_csv(geo: Geography) -> bytes:
    """The gazetteer: name, aliases (separated by `|`), kind, latitude, longitude."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "aliases", "kind", "latitude", "longitude"])
    for place in geo.places:
        lat, lon = geo.projection.to_latlon(place.x, place.y)
        writer.writerow(
            [place.name, "|".join(place.aliases), place.kind, f"{lat:.6f}", f"{lon:.6f}"]
        )
    return buffer.getvalue().encode("utf-8")


def _feature_collection(features: list[dict]) -> bytes:
    return (
        json.dumps({"type": "FeatureCollection", "features": features}, indent=1) + "\n"
    ).encode()


def roads_geojson(geo: Geography) -> bytes:
    features = []
    for name, line in geo.roads:
        lonlat = geo.projection.geom_to_lonlat(line)
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": json.loads(shapely.to_geojson(lonlat)),
            }
        )
    return _feature_collection(features)


def wards_geojson(geo: Geography) -> bytes:
    features = []
    for row in geo.wards.itertuples():
        geometry = shapely.set_precision(row.geometry, 1e-6)
        props = {k: getattr(row, k) for k in ("code", "name", "county", "constituency")}
        props["population"] = None if pd.isna(row.population) else int(row.population)
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": json.loads(shapely.to_geojson(geometry)),
            }
        )
    return _feature_collection(features)


def _iso(value) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M")


def event_rows(events: pd.DataFrame) -> list[dict]:
    return [
        {
            "event_id": e.event_id,
            "category": e.category,
            "occurred_at": _iso(e.occurred_at),
            "window_from": _iso(e.window_from),
            "window_to": _iso(e.window_to),
            "time_known": bool(e.time_known),
            "lat": float(e.lat),
            "lon": float(e.lon),
            "ward": e.ward_code,
            "hot_spot": e.hot_spot or None,
            "victim_sex": e.victim_sex or None,
            "victim_age": None if e.victim_age < 0 else int(e.victim_age),
        }
        for e in events.itertuples()
    ]


def event_counts(events: pd.DataFrame) -> list[dict]:
    """True events per category, ward and month (what a perfect pipeline would count)."""
    month = events["occurred_at"].dt.strftime("%Y-%m")
    counts = events.groupby(["category", "ward_code", month]).size()
    return [
        {"category": c, "ward": w, "month": m, "events": int(n)} for (c, w, m), n in counts.items()
    ]


def dumps(truth: dict) -> bytes:
    """JSON with the long lists one item per line: readable, diffable, deterministic."""
    head = {k: v for k, v in truth.items() if k not in _BIG_LISTS}
    text = json.dumps(head, indent=2, ensure_ascii=False, allow_nan=False)
    parts = [text[: -len("\n}")]]
    for key in _BIG_LISTS:
        items = ",\n    ".join(
            json.dumps(item, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            for item in truth.get(key, [])
        )
        parts.append(f',\n  "{key}": [\n    {items}\n  ]')
    return ("".join(parts) + "\n}\n").encode("utf-8")


def load_truth(folder: Path | str) -> dict:
    """The truth written beside a demo (for tests and later analysis)."""
    return json.loads((Path(folder) / TRUTH_FILE).read_text(encoding="utf-8"))
