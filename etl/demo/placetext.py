"""Location texts as clerks write them: a nearby place in English or Kiswahili
("behind Mjini Mkt", "karibu na Tumaini Pri Sch", "opp Kona Bar"), an estate or
village, a road, or just the ward, with abbreviations, typos and odd casing.

Each text comes with the gazetteer place it refers to (or "" for a road or a
ward), so place resolution can be scored against the truth.
"""

from __future__ import annotations

import numpy as np

from etl.demo.geography import Geography

NEAR_PLACE_M = 350.0
NEAR_AREA_M = 900.0
NEAR_ROAD_M = 150.0
AREA_KINDS = ("estate", "village")

ENGLISH = (
    "{p}",
    "near {p}",
    "behind {p}",
    "opp {p}",
    "opposite {p}",
    "next to {p}",
    "at {p}",
    "outside {p}",
    "{p} area",
    "nr {p}",
)
KISWAHILI = (
    "karibu na {p}",
    "nyuma ya {p}",
    "mbele ya {p}",
    "kando ya {p}",
    "hapo {p}",
    "nje ya {p}",
)
AREA_FORMS = ("{p}", "{p}", "{p} area", "eneo la {p}", "mtaa wa {p}")
ROAD_FORMS = ("along {r}", "{r}", "off {r}", "barabara ya {r}")
WARD_FORMS = ("{w}", "{w} area", "{w} ward", "eneo la {w}")
# Clerks' abbreviations for words in place names.
ABBREVIATIONS = (
    ("Primary School", "Pri Sch"),
    ("Secondary School", "Sec Sch"),
    ("Market", "Mkt"),
    ("Stage", "Stg"),
    ("Police Station", "Police Stn"),
    ("Estate", "Est"),
    ("Health Centre", "H/C"),
    ("Church", "Ch"),
)


def nearest(points: np.ndarray, targets: np.ndarray, k: int = 1):
    """(distances, indices) of the k nearest targets per point, nearest first."""
    k = min(k, len(targets))
    dist = np.empty((len(points), k))
    index = np.empty((len(points), k), dtype=int)
    for lo in range(0, len(points), 2000):  # bounded memory for a whole country
        chunk = points[lo : lo + 2000]
        d = np.hypot(
            chunk[:, None, 0] - targets[None, :, 0], chunk[:, None, 1] - targets[None, :, 1]
        )
        order = np.argsort(d, axis=1, kind="stable")[:, :k]
        index[lo : lo + 2000] = order
        dist[lo : lo + 2000] = np.take_along_axis(d, order, axis=1)
    return dist, index


def typo(rng: np.random.Generator, text: str) -> str:
    """One slip of the pen: swap, drop or double a letter inside a word."""
    letters = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i + 1].isalpha()]
    if not letters:
        return text
    i = int(rng.choice(letters))
    kind = rng.integers(3)
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def _casing(rng: np.random.Generator, text: str) -> str:
    draw = rng.random()
    if draw < 0.12:
        return text.upper()
    if draw < 0.22:
        return text.lower()
    return text


def name_variant(rng: np.random.Generator, name: str, aliases: tuple[str, ...]) -> str:
    """The name, an alias or an abbreviation, sometimes with a typo."""
    text = name
    if aliases and rng.random() < 0.45:
        text = aliases[int(rng.integers(len(aliases)))]
    elif rng.random() < 0.4:
        for long, short in ABBREVIATIONS:
            text = text.replace(long, short)
    if rng.random() < 0.08:
        text = typo(rng, text)
    return text


class LocationWriter:
    """Writes one agency's location texts for metric points."""

    def __init__(self, geo: Geography, kiswahili_share: float):
        self.geo = geo
        self.kiswahili_share = kiswahili_share
        self.places = geo.places
        self.place_xy = np.array([[p.x, p.y] for p in geo.places])
        self.areas = [p for p in geo.places if p.kind in AREA_KINDS]
        self.area_xy = np.array([[p.x, p.y] for p in self.areas])
        self.ward_names = dict(zip(geo.codes, geo.names, strict=True))

    def texts(
        self, rng: np.random.Generator, x: np.ndarray, y: np.ndarray, wards: np.ndarray
    ) -> tuple[list[str], list[str]]:
        """(location text, referenced place name or "") per point."""
        points = np.column_stack([x, y])
        near_d, near_i = nearest(points, self.place_xy, k=2)
        if self.areas:
            area_d, area_i = (a[:, 0] for a in nearest(points, self.area_xy))
        else:
            area_d, area_i = np.full(len(x), np.inf), np.zeros(len(x), dtype=int)
        road_d, road_name = self._roads(x, y)
        texts, refs = [], []
        for k in range(len(x)):
            # Half the time a clerk names the second-nearest place if it is close too.
            pick = 1 if near_d[k, 1] < NEAR_PLACE_M and rng.random() < 0.25 else 0
            if near_d[k, pick] < NEAR_PLACE_M and rng.random() < 0.9:
                place = self.places[near_i[k, pick]]
                text = self._near_place(rng, place)
            elif area_d[k] < NEAR_AREA_M and rng.random() < 0.85:
                place = self.areas[area_i[k]]
                text = rng.choice(AREA_FORMS).format(p=name_variant(rng, *_short(place)))
            elif road_d[k] < NEAR_ROAD_M:
                place, text = None, rng.choice(ROAD_FORMS).format(r=road_name[k])
            else:
                place = None
                text = rng.choice(WARD_FORMS).format(w=self.ward_names.get(wards[k], ""))
            texts.append(_casing(rng, str(text)).strip())
            refs.append(place.name if place is not None else "")
        return texts, refs

    def _near_place(self, rng: np.random.Generator, place) -> str:
        forms = KISWAHILI if rng.random() < self.kiswahili_share else ENGLISH
        return str(rng.choice(forms)).format(p=name_variant(rng, place.name, place.aliases))

    def _roads(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, list[str]]:
        import shapely

        if not self.geo.roads:
            return np.full(len(x), np.inf), [""] * len(x)
        points = shapely.points(x, y)
        dist = np.column_stack([shapely.distance(line, points) for _, line in self.geo.roads])
        nearest = dist.argmin(axis=1)
        names = [self.geo.roads[i][0] for i in nearest]
        return dist[np.arange(len(x)), nearest], names


def _short(place) -> tuple[str, tuple[str, ...]]:
    """An estate or village as written in an area phrase: mostly without the kind word."""
    bare = place.name.removesuffix(" Estate").removesuffix(" Village")
    return bare, place.aliases
