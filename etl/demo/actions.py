"""Forum actions planted in the demo, with known effects on the true events, so the
impact evaluation can be tested against the truth after the real ETL.

- A street light at a planted night-robbery hot spot (a dark corner at one of the
  model's robbery hot spots): after its completion date it prevents LIGHT_EFFECT of
  the night robberies within LIGHT_RADIUS_M, and DISPLACED_SHARE of the prevented
  ones happen instead in the ring 150-400 m away, at the next dark corner (a
  footbridge the generator adds to the gazetteer, so clerks name it). Expected
  weighted displacement quotient: -DISPLACED_SHARE.
- A path clearing (a line along a road elsewhere) with no effect at all.
- A few actions proposed, agreed or under way with due dates, one of them overdue
  on the reference date, and one dropped.

Night is between sunset and sunrise at the event's place (`geodata.stats.daylight`).
The effect changes the true events before any agency records them, so it reaches the
database only through the agencies' files and `observatory ingest`.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from h3.api import basic_int as h3i
from shapely.geometry import LineString, Point
from shapely.ops import substring

from etl.demo.geography import Geography, Place
from etl.demo.model import NO_TIME_SHARE, VICTIMS, HotSpot
from geodata.queries.actions import geometry_cells
from geodata.stats.daylight import is_daylight

ACTIONS_FILE = "actions.geojson"
FORUM = "Demo Town Community Safety Forum"
LIGHT_EFFECT = 0.8
DISPLACED_SHARE = 0.5
LIGHT_RADIUS_M = 150.0
RING_M = (150.0, 400.0)
# The dark corner: extra night robberies a year around the light's hot spot.
DARK_CORNER_EVENTS = 240
DARK_CORNER_SIGMA_M = 25.0
DARK_HOURS = (19, 20, 21, 22, 23, 0, 1, 2, 3, 4)  # all between sunset and sunrise
# Where displaced robberies go: this far from the light, close around the footbridge.
FOOTBRIDGE = "Mto Mawe Footbridge"
FOOTBRIDGE_M = 385.0
FOOTBRIDGE_SIGMA_M = 8.0
# Days after the period start: before and after periods of about half a year each.
LIGHT_DAYS = {"decided_on": 120, "started_on": 172, "due_on": 185, "completed_on": 180}
PATH_DAYS = {"decided_on": 120, "started_on": 165, "due_on": 175, "completed_on": 172}
PATH_LENGTH_M = 300.0
MIN_PATH_DISTANCE_M = 1_500.0
H3_RES = 9


def _nearest_other(geo: Geography, x: float, y: float, exclude: str = "") -> float:
    return min(
        (np.hypot(p.x - x, p.y - y) for p in geo.places if p.name != exclude), default=np.inf
    )


def _cell(geo: Geography, x: float, y: float) -> int:
    lat, lon = geo.projection.to_latlon(x, y)
    return h3i.latlng_to_cell(float(lat), float(lon), H3_RES)


def _footbridge_site(geo: Geography, light: Place) -> tuple[float, float] | None:
    """A point FOOTBRIDGE_M from the light, inside the area, whose cell the evaluation
    counts as the light's ring (centre within RING_M[1] of the light, not in its
    target), well inside that cell, and as far as possible from other places (so
    clerks name the footbridge)."""
    lat, lon = geo.projection.to_latlon(light.x, light.y)
    point = {"type": "Point", "coordinates": [float(lon), float(lat)]}
    ring = geometry_cells(point, RING_M[1], H3_RES) - geometry_cells(point, RING_M[0], H3_RES)
    best, best_score = None, -np.inf
    for bearing in np.arange(0.0, 360.0, 5.0):
        x = light.x + FOOTBRIDGE_M * np.sin(np.radians(bearing))
        y = light.y + FOOTBRIDGE_M * np.cos(np.radians(bearing))
        if geo.ward_of(np.array([x]), np.array([y]))[0] == "":
            continue
        # Every point within 3 sigma must fall in the same ring cell.
        probe = {
            _cell(geo, x + 3 * FOOTBRIDGE_SIGMA_M * dx, y + 3 * FOOTBRIDGE_SIGMA_M * dy)
            for dx, dy in ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))
        }
        if len(probe) != 1 or not probe <= ring:
            continue
        score = _nearest_other(geo, x, y, exclude=light.name)
        if score > best_score:
            best, best_score = (float(x), float(y)), score
    return best


def _choose_light(geo: Geography, spots: list[HotSpot]) -> tuple[HotSpot, Place, tuple] | None:
    """The robbery hot spot whose place clerks name unambiguously (no ward's name in
    it) and stands most apart from other places (so its robberies are written as
    near it), with a footbridge site in its ring."""
    wards = [n.lower() for n in geo.names]

    def rank(spot: HotSpot) -> tuple:
        ambiguous = any(w in spot.place.lower() for w in wards)
        return (ambiguous, -_nearest_other(geo, spot.x, spot.y, exclude=spot.place), spot.id)

    for spot in sorted((s for s in spots if "robbery" in s.categories), key=rank):
        place = geo.place(spot.place)
        site = _footbridge_site(geo, place)
        if site is not None:
            return spot, place, site
    return None


def _dark_corner(
    rng: np.random.Generator, geo: Geography, spot: HotSpot, start: date, end: date
) -> pd.DataFrame:
    """DARK_CORNER_EVENTS night robberies a year close around the hot spot's centre."""
    days = pd.date_range(start, end, freq="D")
    n = rng.poisson(DARK_CORNER_EVENTS * len(days) / 365)
    evening = rng.choice(days.to_numpy(), n) + np.timedelta64(DARK_HOURS[0], "h")
    # Uniform over the dark hours, 19:00 to 05:00 the next morning.
    when = evening + rng.integers(0, 60 * len(DARK_HOURS), n) * np.timedelta64(1, "m")
    x = rng.normal(spot.x, DARK_CORNER_SIGMA_M, n)
    y = rng.normal(spot.y, DARK_CORNER_SIGMA_M, n)
    female, lo, hi = VICTIMS["robbery"]
    frame = pd.DataFrame(
        {
            "category": "robbery",
            "occurred_at": pd.to_datetime(when),
            "window_from": pd.NaT,
            "window_to": pd.NaT,
            "time_known": rng.random(n) >= NO_TIME_SHARE,
            "x": x,
            "y": y,
            "hot_spot": spot.id,
            "victim_sex": np.where(rng.random(n) < female, "F", "M"),
            "victim_age": lo + (rng.random(n) * (hi - lo + 1)).astype(int),
        }
    )
    return frame


def _place_columns(geo: Geography, frame: pd.DataFrame) -> pd.DataFrame:
    lat, lon = geo.projection.to_latlon(frame["x"].to_numpy(), frame["y"].to_numpy())
    frame["x"], frame["y"] = np.round(frame["x"], 1), np.round(frame["y"], 1)
    frame["lat"], frame["lon"] = np.round(lat, 6), np.round(lon, 6)
    frame["ward_code"] = geo.ward_of(frame["x"].to_numpy(), frame["y"].to_numpy())
    return frame


def _light_effect(
    rng: np.random.Generator,
    geo: Geography,
    events: pd.DataFrame,
    light: Place,
    footbridge: tuple[float, float],
    completed: date,
) -> tuple[pd.DataFrame, dict]:
    """Prevent night robberies near the light after its completion; move some of
    them to the footbridge (same moment, new place)."""
    after = events["occurred_at"] >= pd.Timestamp(completed + timedelta(days=1))
    near = np.hypot(events["x"] - light.x, events["y"] - light.y) <= LIGHT_RADIUS_M
    dark = ~is_daylight(events["occurred_at"], events["lat"].to_numpy(), events["lon"].to_numpy())
    hit = np.flatnonzero((events["category"] == "robbery") & after & near & dark)
    prevented = hit[rng.random(len(hit)) < LIGHT_EFFECT]
    moved = prevented[rng.random(len(prevented)) < DISPLACED_SHARE]
    events = events.copy()
    x, y = _around(rng, footbridge, light, len(moved))
    events.loc[events.index[moved], ["x", "y"]] = np.column_stack([x, y])
    events.loc[events.index[moved], "hot_spot"] = ""
    events = events.drop(index=events.index[np.setdiff1d(prevented, moved)])
    counts = {
        "night_robberies_within_radius_after": len(hit),
        "prevented": len(prevented),
        "displaced_to_ring": len(moved),
    }
    return _place_columns(geo, events), counts


def _around(rng, centre, light: Place, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n points close around `centre`, redrawn until inside the ring around the light."""
    x = rng.normal(centre[0], FOOTBRIDGE_SIGMA_M, n)
    y = rng.normal(centre[1], FOOTBRIDGE_SIGMA_M, n)
    for _ in range(50):
        d = np.hypot(x - light.x, y - light.y)
        bad = np.flatnonzero((d <= RING_M[0]) | (d > RING_M[1]))
        if not len(bad):
            break
        x[bad] = rng.normal(centre[0], FOOTBRIDGE_SIGMA_M, len(bad))
        y[bad] = rng.normal(centre[1], FOOTBRIDGE_SIGMA_M, len(bad))
    return x, y


def _path(geo: Geography, spots: list[HotSpot], light: Place) -> LineString:
    """A PATH_LENGTH_M stretch of road (or a straight path) by the busiest hot spot far
    from the light, where the forum cleared the verges."""
    far = [s for s in spots if np.hypot(s.x - light.x, s.y - light.y) >= MIN_PATH_DISTANCE_M]
    spot = max(far or spots, key=lambda s: (s.weight, s.id))
    centre = Point(spot.x, spot.y)
    roads = [line for _, line in geo.roads]
    if roads:
        road = min(roads, key=lambda line: line.distance(centre))
        if road.distance(centre) < 400:
            at = road.project(centre)
            lo = max(0.0, at - PATH_LENGTH_M / 2)
            return substring(road, lo, min(road.length, lo + PATH_LENGTH_M))
    half = PATH_LENGTH_M / 2
    return LineString([(spot.x - half, spot.y + 60), (spot.x + half, spot.y + 60)])


def _lonlat(geo: Geography, geom):
    return geo.projection.geom_to_lonlat(geom)


def _dates(start: date, offsets: dict[str, int]) -> dict[str, date]:
    return {k: start + timedelta(days=v) for k, v in offsets.items()}


def _action(ref, kind, title, status, geometry, agency, priority, **dates) -> dict:
    return {
        "action_ref": ref,
        "kind": kind,
        "title": title,
        "status": status,
        "responsible_agency": agency,
        "forum": FORUM,
        "priority": priority,
        "geometry": geometry,
        **{k: dates.get(k) for k in ("decided_on", "started_on", "due_on", "completed_on")},
    }


def _other_actions(geo, spots, light_spot, path_spot_xy, reference: date) -> list[dict]:
    """Actions not evaluated: agreed, under way (one overdue), proposed and dropped."""
    used = {light_spot.id}
    rest = [s for s in spots if s.id not in used and np.hypot(s.x - path_spot_xy[0],
            s.y - path_spot_xy[1]) > 600]  # fmt: skip
    market = next((s for s in rest if s.kind == "market"), rest[0])
    patrol = next((s for s in rest if s.kind == "bar" and s is not market), rest[-1])
    estate = next((p for p in geo.places if p.kind == "estate"), geo.places[0])
    area = shapely.box(patrol.x - 250, patrol.y - 250, patrol.x + 250, patrol.y + 250)
    week = timedelta(days=7)
    return [
        _action("DEMO-CCTV-1", "cctv", f"CCTV cameras at {market.place}", "agreed",
                _lonlat(geo, Point(market.x, market.y)), "County Government - ICT",
                "Theft and robbery on market days", decided_on=reference - 6 * week,
                due_on=reference + 9 * week),
        _action("DEMO-PATROL-1", "patrol", f"Evening foot patrols around {patrol.place}",
                "in_progress", _lonlat(geo, area), "Police - Community Policing",
                "Assaults and disorder near the bars at night", decided_on=reference - 12 * week,
                started_on=reference - 8 * week, due_on=reference - 3 * week),
        _action("DEMO-MEET-1", "community_meeting", "Baraza on gender-based violence",
                "proposed", None, "Area Chief's office",
                "Domestic violence on weekend evenings", decided_on=reference - 2 * week,
                due_on=reference + 4 * week),
        _action("DEMO-BUSH-1", "bush_clearing", f"Clear the bush behind {estate.name}",
                "dropped", _lonlat(geo, Point(estate.x, estate.y).buffer(120, 8)),
                "County Government - Environment", "Burglaries from the bush side",
                decided_on=reference - 20 * week, due_on=reference - 10 * week),
    ]  # fmt: skip


def _footbridge_place(geo: Geography, site: tuple[float, float]) -> Place:
    """The landmark by the next dark corner; its name shares no word with a ward or
    another place, so a clerk's "near the footbridge" finds it."""
    ward = geo.ward_of(np.array([site[0]]), np.array([site[1]]))[0]
    aliases = ("Mto Mawe Bridge", "Daraja la Mto Mawe")
    return Place(FOOTBRIDGE, "landmark", aliases, round(site[0], 1), round(site[1], 1), ward)


def plant_actions(
    events: pd.DataFrame,
    geography: Geography,
    rng: np.random.Generator,
    spots: list[HotSpot],
    start: date,
    end: date,
    reference: date,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The true events with the actions' effects, the actions (one row each, geometry
    as WGS84 shapely), and the planted truth. Adds the footbridge to the gazetteer
    (`geography.places`). Events keep the columns and ids of `true_events`; the dark
    corner's new events are numbered after them."""
    chosen = _choose_light(geography, spots)
    if chosen is None:
        return events, pd.DataFrame(), {"note": "no robbery hot spot could take a light"}
    spot, light, site = chosen
    corner = _place_columns(geography, _dark_corner(rng, geography, spot, start, end))
    first = len(events) + 1
    corner.insert(0, "event_id", [f"E{first + i:05d}" for i in range(len(corner))])
    events = pd.concat([events, corner[events.columns]], ignore_index=True)
    if FOOTBRIDGE not in {p.name for p in geography.places}:
        geography.places.append(_footbridge_place(geography, site))
    light_dates = _dates(start, LIGHT_DAYS)
    events, effect = _light_effect(rng, geography, events, light, site, light_dates["completed_on"])
    events = events.sort_values(["occurred_at", "event_id"], kind="stable", ignore_index=True)
    path = _path(geography, spots, light)
    path_mid = path.interpolate(0.5, normalized=True)
    actions = [
        _action("DEMO-LIGHT-1", "lighting", f"Street light at {light.name}", "done",
                _lonlat(geography, Point(light.x, light.y)), "County Government - Energy",
                "Robberies after dark", **light_dates),
        _action("DEMO-PATH-1", "pathway_clearing", "Clear the verges of the footpath", "done",
                _lonlat(geography, path), "County Government - Roads",
                "People feel unsafe on the footpath", **_dates(start, PATH_DAYS)),
        *_other_actions(geography, spots, spot, (path_mid.x, path_mid.y), reference),
    ]  # fmt: skip
    truth = {
        "light": _light_truth(geography, light, spot, len(corner), effect),
        "path": {"action_ref": "DEMO-PATH-1", "effect": 0.0},
        "actions": [
            {"action_ref": a["action_ref"], "status": a["status"], "due_on": _iso(a["due_on"])}
            for a in actions
        ],
        "overdue_on_reference_date": [
            a["action_ref"]
            for a in actions
            if a["status"] in ("proposed", "agreed", "in_progress")
            and a["due_on"] is not None
            and a["due_on"] < reference
        ],
    }
    return events, pd.DataFrame(actions), truth


def _light_truth(geo: Geography, light: Place, spot: HotSpot, added: int, effect: dict) -> dict:
    lat, lon = geo.projection.to_latlon(light.x, light.y)
    return {
        "action_ref": "DEMO-LIGHT-1",
        "place": light.name,
        "hot_spot": spot.id,
        "lat": round(float(lat), 6),
        "lon": round(float(lon), 6),
        "radius_m": LIGHT_RADIUS_M,
        "ring_m": list(RING_M),
        "effect": LIGHT_EFFECT,
        "displaced_share": DISPLACED_SHARE,
        "expected_wdq": -DISPLACED_SHARE,
        "category": "robbery",
        "night_only": True,
        "dark_corner": {"events": int(added), "sigma_m": DARK_CORNER_SIGMA_M},
        "displaced_to": FOOTBRIDGE,
        **effect,
    }


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def actions_geojson(actions: pd.DataFrame) -> bytes:
    """The actions as the GeoJSON `observatory actions load` reads."""
    features = []
    for row in actions.to_dict("records"):
        geometry = row.pop("geometry")
        props = {k: _iso(v) if isinstance(v, date) else v for k, v in row.items()}
        features.append(
            {
                "type": "Feature",
                "properties": {k: v for k, v in props.items() if v is not None},
                "geometry": None if geometry is None else json.loads(shapely.to_geojson(geometry)),
            }
        )
    text = json.dumps({"type": "FeatureCollection", "features": features}, indent=1)
    return (text + "\n").encode("utf-8")


def write_actions(folder: Path, actions: pd.DataFrame) -> Path | None:
    """Write ACTIONS_FILE into the demo folder (removing an earlier demo's when there
    are no actions); the path written, or None."""
    path = Path(folder) / ACTIONS_FILE
    if actions.empty:
        path.unlink(missing_ok=True)
        return None
    path.write_bytes(actions_geojson(actions))
    return path
