"""Named places of the demo geography (the gazetteer): markets, bus stages, bars,
schools, churches, estates, villages, a health centre, police stations, landmarks,
each with the aliases clerks actually write ("Mjini Mkt", "Soko la Mjini")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from etl.demo.geography import (
    BAR_NAMES,
    CHURCH_NAMES,
    ESTATE_NAMES,
    VILLAGE_NAMES,
    Place,
    sample_in_polygon,
)

if TYPE_CHECKING:
    from etl.demo.geography import Geography

MIN_SPACING_M = 120.0
_SUFFIX_ALIASES = {
    " Market": lambda b: (f"{b} Mkt", f"Soko la {b}"),
    " Main Stage": lambda b: ("Main Stage", f"{b} Stg", f"Stage ya {b}"),
    " Stage": lambda b: (f"{b} Stg", f"{b} Bus Stop", f"Stage ya {b}"),
    " Primary School": lambda b: (f"{b} Pri Sch", f"{b} Primary", f"{b} Pri"),
    " Secondary School": lambda b: (f"{b} Sec Sch", f"{b} High School", f"{b} Sec"),
    " Health Centre": lambda b: (f"{b} HC", f"{b} Health Center", f"Hospitali ya {b}"),
    " Dispensary": lambda b: (f"{b} Disp", f"Zahanati ya {b}"),
    " Police Station": lambda b: (f"{b} Police Stn", f"{b} Police", f"Polisi {b}"),
    " Estate": lambda b: (f"{b} Est", b),
    " Village": lambda b: (b, f"Kijiji cha {b}"),
    " Church": lambda b: (b, f"Kanisa la {b}"),
    " Bar and Restaurant": lambda b: (f"{b} Bar", f"{b} B&R"),
    " Bar": lambda b: (b, f"{b} Pub"),
    " Pub": lambda b: (b, f"{b} Bar"),
    " Club": lambda b: (b, f"{b} Bar"),
    " Lounge": lambda b: (b, f"{b} Bar"),
}
_LANDMARK_ALIASES = {
    "Jamhuri Grounds": ("Jamhuri", "Jamhuri Grd", "Uwanja wa Jamhuri"),
    "Posta": ("Post Office", "Posta Kuu"),
    "Water Tank": ("Tangi la Maji", "Water Tower"),
    "Railway Crossing": ("Reli", "Railway Xing"),
    "Chief's Camp": ("Chiefs Camp", "Kambi ya Chifu"),
    "Slaughterhouse": ("Kichinjio", "Slaughter House"),
}


def aliases_for(name: str) -> tuple[str, ...]:
    """Other spellings of a place's name, as registers write them."""
    if name in _LANDMARK_ALIASES:
        return _LANDMARK_ALIASES[name]
    for suffix, make in _SUFFIX_ALIASES.items():
        if name.endswith(suffix):
            return tuple(a for a in make(name[: -len(suffix)]) if a != name)
    return ()


class _Placer:
    """Puts places near roads (or anywhere) inside a ward, kept apart from each other."""

    def __init__(self, rng: np.random.Generator, geo: Geography):
        self.rng = rng
        self.geo = geo
        self.xy: list[tuple[float, float]] = []
        roads = shapely.union_all([line for _, line in geo.roads]) if geo.roads else None
        self.road_parts = [
            (roads.intersection(poly.buffer(-60)) if roads is not None else None)
            for poly in geo.ward_xy
        ]

    def _near_road(self, ward: int) -> tuple[float, float] | None:
        part = self.road_parts[ward]
        if part is None or part.length < 150:
            return None
        d = self.rng.uniform(0, part.length)
        p0, p1 = part.interpolate(d), part.interpolate(min(d + 5, part.length))
        dx, dy = p1.x - p0.x, p1.y - p0.y
        norm = np.hypot(dx, dy) or 1.0
        off = self.rng.uniform(15, 90) * self.rng.choice([-1, 1])
        return p0.x - dy / norm * off, p0.y + dx / norm * off

    def _anywhere(self, ward: int) -> tuple[float, float]:
        poly = self.geo.ward_xy[ward]
        inner = poly.buffer(-150)
        x, y = sample_in_polygon(self.rng, inner if inner.area > 1e4 else poly, 1)[0]
        return float(x), float(y)

    def put(self, ward: int, near_road: bool) -> tuple[float, float]:
        poly = self.geo.ward_xy[ward]
        candidate = (0.0, 0.0)
        for attempt in range(60):
            candidate = (self._near_road(ward) if near_road else None) or self._anywhere(ward)
            inside = shapely.contains_xy(poly, *candidate)
            spaced = all(
                np.hypot(candidate[0] - x, candidate[1] - y) >= MIN_SPACING_M for x, y in self.xy
            )
            if inside and (spaced or attempt > 40):
                break
        else:
            candidate = self._anywhere(ward)
        self.xy.append(candidate)
        return candidate

    def make(self, name: str, kind: str, ward: int, near_road: bool = True) -> Place:
        x, y = self.put(ward, near_road)
        return Place(
            name,
            kind,
            aliases_for(name),
            round(float(x), 1),
            round(float(y), 1),
            self.geo.codes[ward],
        )


def _centre_distances(geo: Geography) -> np.ndarray:
    cx = np.array([p.centroid.x for p in geo.ward_xy])
    cy = np.array([p.centroid.y for p in geo.ward_xy])
    return np.hypot(cx - cx[0], cy - cy[0])


def spread_wards(geo: Geography, count: int) -> list[int]:
    """`count` wards far apart (greedy farthest-point), starting from the first."""
    cx = np.array([p.centroid.x for p in geo.ward_xy])
    cy = np.array([p.centroid.y for p in geo.ward_xy])
    chosen = [int(np.argmax(geo.weights))] if not geo.generated else [0]
    while len(chosen) < min(count, len(cx)):
        d = np.min([np.hypot(cx - cx[i], cy - cy[i]) for i in chosen], axis=0)
        chosen.append(int(np.argmax(d)))
    return chosen


def town_places(rng: np.random.Generator, geo: Geography) -> list[Place]:
    """About sixty places for the generated town; ward 0 is the town centre."""
    placer = _Placer(rng, geo)
    names = geo.names
    n = len(names)
    others = np.arange(1, n)
    weights = geo.weights / geo.weights.sum()
    centre = names[0]
    places = [
        placer.make(f"{centre} Market", "market", 0),
        placer.make(f"{centre} Main Stage", "stage", 0),
        placer.make("Jamhuri Grounds", "landmark", 0),
        placer.make("Posta", "landmark", 0),
        placer.make(f"{centre} Health Centre", "health", 0),
    ]
    for ward in rng.choice(others, 3, replace=False):
        places.append(placer.make(f"{names[ward]} Market", "market", int(ward)))
    for ward in rng.choice(others, 6, replace=False):
        places.append(placer.make(f"{names[ward]} Stage", "stage", int(ward)))
    for bar, ward in zip(BAR_NAMES, rng.choice(n, len(BAR_NAMES), p=weights), strict=True):
        places.append(placer.make(bar, "bar", int(ward)))
    for ward in rng.choice(n, 6, replace=False):
        places.append(placer.make(f"{names[ward]} Primary School", "school", int(ward)))
    for ward in rng.choice(n, 2, replace=False):
        places.append(placer.make(f"{names[ward]} Secondary School", "school", int(ward)))
    for church in CHURCH_NAMES:
        ward = 0 if centre in church else int(rng.choice(others))
        places.append(placer.make(church, "church", ward))
    ward = int(rng.choice(others))
    places.append(placer.make(f"{names[ward]} Dispensary", "health", ward))
    for ward in spread_wards(geo, 3):
        places.append(placer.make(f"{names[ward]} Police Station", "police", ward))
    for ward, estate in enumerate(rng.permutation(ESTATE_NAMES)):
        places.append(placer.make(f"{estate} Estate", "estate", ward, near_road=False))
    periphery = np.argsort(-_centre_distances(geo))[: len(VILLAGE_NAMES)]
    for ward, village in zip(periphery, VILLAGE_NAMES, strict=True):
        places.append(placer.make(f"{village} Village", "village", int(ward), near_road=False))
    for landmark in ("Water Tank", "Railway Crossing", "Chief's Camp", "Slaughterhouse"):
        places.append(placer.make(landmark, "landmark", int(rng.choice(others))))
    return unique_names(places)


def unique_names(places: list[Place]) -> list[Place]:
    """Number repeated names (real ward names repeat across counties)."""
    seen: dict[str, int] = {}
    out = []
    for p in places:
        seen[p.name] = seen.get(p.name, 0) + 1
        if seen[p.name] > 1:
            name = f"{p.name} {seen[p.name]}"
            p = Place(name, p.kind, aliases_for(name), p.x, p.y, p.ward_code)
        out.append(p)
    return out


def ward_places(rng: np.random.Generator, geo: Geography) -> list[Place]:
    """Generated places inside real wards: a handful per ward, plus the agencies' sites."""
    placer = _Placer(rng, geo)
    places: list[Place] = []
    for i, name in enumerate(geo.names):
        places.append(placer.make(f"{name} Estate", "estate", i, near_road=False))
        hub = f"{name} Market" if i % 2 == 0 else f"{name} Stage"
        places.append(placer.make(hub, "market" if i % 2 == 0 else "stage", i))
        bar = BAR_NAMES[i % len(BAR_NAMES)]
        places.append(placer.make(bar if i < len(BAR_NAMES) else f"{bar} {name}", "bar", i))
        places.append(placer.make(f"{name} Primary School", "school", i))
    main = int(np.argmax(geo.weights))
    places.append(placer.make(f"{geo.names[main]} Health Centre", "health", main))
    for i in spread_wards(geo, 3):
        places.append(placer.make(f"{geo.names[i]} Police Station", "police", i))
    for church in CHURCH_NAMES[2:]:
        places.append(placer.make(church, "church", int(rng.integers(len(geo.names)))))
    places.append(placer.make("Chief's Camp", "landmark", main))
    return unique_names(places)
