"""The place review page's pieces: the queue table, and the map: the gazetteer's
suggestions for a text (large markers), other places nearby (small markers), the
point a reviewer clicked for a new place, over ward outlines. Each place marker
carries its choice value (place:ID) in customdata, so clicking it picks it.

Pure builder: plain data in, a go.Figure out. Circles only (other MapLibre symbols
need sprites fetched from the internet; the dashboard works offline).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard import ids
from dashboard.figures import map as map_figures
from dashboard.figures import theme

SUGGESTED_COLOUR = "#D55E00"
NEARBY_COLOUR = "#0072B2"
NEW_POINT_COLOUR = "#000000"
SUGGESTED_SIZE = 18
NEARBY_SIZE = 11
TABLE_ROWS = 40
PLACE_ZOOM_SPAN = 0.03  # degrees around the places shown (about 3 km)
OUTLINE_PAD = 0.1  # degrees of ward outlines around them (about 11 km)


def _places_trace(places: Sequence[dict], name: str, colour: str, size: int) -> go.Scattermap:
    return go.Scattermap(
        lat=[p["lat"] for p in places],
        lon=[p["lon"] for p in places],
        customdata=[p["value"] for p in places],
        text=[p["label"] for p in places],
        mode="markers",
        marker={"size": size, "color": colour},
        hovertemplate="%{text}<br>click to choose<extra></extra>",
        name=name,
    )


def _bounds(points: Sequence[tuple[float, float]]) -> tuple[float, float, float, float]:
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    pad = PLACE_ZOOM_SPAN / 2
    return min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad


def outline_bounds(
    suggestions: Sequence[dict], nearby: Sequence[dict], pad: float = OUTLINE_PAD
) -> tuple[float, float, float, float] | None:
    """The area whose ward outlines the map draws: the places shown, widened by `pad`
    degrees each way so panning around them still shows wards. None without a point."""
    points = [(p["lat"], p["lon"]) for p in [*suggestions, *nearby] if p.get("lat") is not None]
    if not points:
        return None
    west, south, east, north = _bounds(points)
    return west - pad, south - pad, east + pad, north + pad


def search_choices(
    matches: pd.DataFrame, offered: Sequence[dict], typed: str, chosen: str | None, limit: int
) -> list[dict]:
    """Dropdown options while the reviewer types: the choices already offered whose
    label contains `typed`, then gazetteer places named like it (rows of
    geodata.queries.review.places_matching), at most `limit`, and always the chosen
    option so the dropdown keeps showing it."""
    wanted = typed.strip().lower()
    options = [
        {"label": o["label"], "value": o["value"]}
        for o in offered
        if wanted in str(o["label"]).lower()
    ]
    options += [
        {
            "label": f"{row.name}, {row.ward_name or 'no'} ward",
            "value": f"place:{row.id}",
            # The dropdown filters what it is sent by this text too: a place found by
            # one of its aliases must not be hidden for not having it in its label.
            "search": f"{row.name}, {row.ward_name or 'no'} ward; {row.aliases or ''}",
        }
        for row in matches.itertuples()
    ]
    unique: dict[str, dict] = {}
    for option in options:
        unique.setdefault(option["value"], option)
    shown = list(unique.values())[:limit]
    if chosen and chosen not in {o["value"] for o in shown}:
        kept = [o for o in offered if o["value"] == chosen]
        shown += [{"label": o["label"], "value": o["value"]} for o in kept]
    return shown


def nearby_choices(nearby: pd.DataFrame, exclude: Sequence[str] = ()) -> list[dict]:
    """Rows of geodata.queries.review.places_near as choices (value, label, lat, lon)."""
    return [
        {
            "value": f"place:{row.id}",
            "label": f"{row.name}, {row.ward_name or 'no'} ward ({row.metres:,.0f} m)",
            "lat": row.lat,
            "lon": row.lon,
        }
        for row in nearby.itertuples()
        if f"place:{row.id}" not in exclude
    ]


def review_map(
    suggestions: Sequence[dict],
    nearby: Sequence[dict],
    wards: dict | None,
    new_point: tuple[float, float] | None = None,
    *,
    style: str = "white-bg",
    height_px: int = 480,
    revision: str = "review-map",
) -> go.Figure:
    """Suggested and nearby places (dicts with value, label, lat, lon; those without
    a point are left off) and the clicked point, fitted to what is shown. The view
    is kept while `revision` stays the same (one text under review)."""
    suggested = [s for s in suggestions if s.get("lat") is not None]
    others = [s for s in nearby if s.get("lat") is not None]
    fig = go.Figure(
        [
            _places_trace(suggested, "suggested", SUGGESTED_COLOUR, SUGGESTED_SIZE),
            _places_trace(others, "nearby", NEARBY_COLOUR, NEARBY_SIZE),
            go.Scattermap(
                lat=[new_point[0]] if new_point else [],
                lon=[new_point[1]] if new_point else [],
                mode="markers",
                marker={"size": 12, "color": NEW_POINT_COLOUR},
                hovertemplate="new place here<extra></extra>",
                name="new place",
            ),
        ]
    )
    points = [(p["lat"], p["lon"]) for p in [*suggested, *others]]
    points += [new_point] if new_point else []
    has_wards = bool(wards and wards.get("features"))
    bounds = _bounds(points) if points else None
    bounds = bounds or (map_figures.geojson_bounds(wards) if has_wards else None)
    centre, zoom = map_figures.view_for_bounds(
        bounds or map_figures.KENYA_BOUNDS, height_px=height_px
    )
    theme.apply(fig)
    fig.update_layout(
        map={
            "style": style,
            "center": centre,
            "zoom": zoom,
            "layers": [map_figures.ward_layer(wards)] if has_wards else [],
        },
        legend={"orientation": "h", "y": 1.02, "x": 0},
        height=height_px,
        clickmode="event",
        uirevision=revision,  # a click for a new place keeps the reviewer's pan and zoom
    )
    return fig


METHOD_LABELS = {
    "unresolved": "not placed",
    "gazetteer": "at a place",
    "ward_name": "ward only",
}


def text_value(location_text: str | None, ward_text: str | None) -> str:
    """The dropdown value naming one text under review (both parts, as stored)."""
    return json.dumps([location_text, ward_text])


def parse_text_value(value: str | None) -> tuple[str | None, str | None] | None:
    if not value:
        return None
    location_text, ward_text = json.loads(value)
    return location_text, ward_text


def _known(value):
    """None for a missing value (None or NaN), else the value."""
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def placement_text(row: dict) -> str:
    """Where a queue row's records are now, in words."""
    method = METHOD_LABELS.get(row["method"], row["method"])
    place, ward = _known(row.get("place_name")), _known(row.get("ward_name"))
    where = place or (f"{ward} ward" if ward else "")
    confidence = row.get("confidence")
    sure = "" if _known(confidence) is None else f", confidence {confidence:.2f}"
    return f"{method}{': ' + where if where else ''}{sure}"


def text_label(row: dict) -> str:
    ward = f" (ward given: {row['ward_text']})" if _known(row.get("ward_text")) else ""
    return f"{_known(row['location_text']) or '(no location)'}{ward}: {row['records']:,} records"


def queue_table(queue: pd.DataFrame, max_rows: int = TABLE_ROWS) -> html.Table:
    """The first `max_rows` of the queue (geodata.queries.review.review_queue), most
    frequent first, a Review button on every row. Hundreds of pattern-matching
    buttons make the browser crawl; the dropdown above lists the rest."""
    header = ("Location text", "Ward text", "Records", "Agencies", "Now", "")
    rows = [
        html.Tr(
            [
                html.Td(_known(row["location_text"]) or "–"),
                html.Td(_known(row["ward_text"]) or "–"),
                html.Td(f"{row['records']:,}", className="number"),
                html.Td(f"{row['agencies']:,}", className="number"),
                html.Td(placement_text(row)),
                html.Td(
                    html.Button(
                        "Review",
                        id={
                            "type": ids.REV_PICK,
                            "index": text_value(row["location_text"], row["ward_text"]),
                        },
                        className="button",
                    )
                ),
            ]
        )
        for row in queue.head(max_rows).to_dict("records")
    ]
    return html.Table(
        [html.Thead(html.Tr([html.Th(h, scope="col") for h in header])), html.Tbody(rows)],
        className="data-table",
    )
