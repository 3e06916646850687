"""Place resolution: a location text (and the row's ward text) to a gazetteer place or
a ward, with a confidence a reviewer can trust.

How a text is matched, in order:

1. The text is reduced (`normalise.place_key`) to a core name and kinds, so
   `opp. Kawangware pri sch` and `shule ya msingi Kawangware` compare equal.
2. Every gazetteer name and alias, every ward name (and each part of `A/B` names)
   and every reviewed alias is a candidate. Equal cores score 100; otherwise the
   rapidfuzz WRatio of the cores (typos, extra words). Kinds adjust the score: a
   `market` text is not a `primary school` place.
3. Candidates inside the row's stated ward gain ROW_WARD_BOOST, inside the wards the
   agency usually reports from AGENCY_WARD_BOOST.
4. The best candidate is compared with its best *rival*: a candidate that would put the
   incident in another ward (or more than COLOCATED_M away). Confidence is the best
   raw score as a similarity (1 for equal keys, lower for fuzzy ones) times how
   clearly it beats the rival (a lead of MARGIN points or more is clear). A place in
   another ward than the one the row states keeps at most half its confidence.
5. A text names a place, not the spot: "behind the market" can be across the road in
   the next ward. When a place lies closer to its ward's boundary than its reach
   (REACH_M, AREA_REACH_M for estates and villages), confidence is multiplied by the
   share of that reach inside the ward, and capped at NEAR_BOUNDARY_CAP, so its rows
   are placed but go to review: nothing in the text says which side they were on.

A place resolves to its point (and so its ward and H3 cells); a ward name resolves to
the ward only, never to a made-up point. Rows at or above the auto-accept threshold
(setting OBSERVATORY_PLACE_AUTO_ACCEPT, default AUTO_ACCEPT) need no review; rows
placed below it are kept, flagged by their confidence for review; texts that match
nothing well enough, or equally well in different wards, stay `unresolved` with the
candidates as suggestions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from geodata import settings
from geodata.gazetteer.normalise import PlaceKey, place_key

AUTO_ACCEPT = 0.9  # the default of OBSERVATORY_PLACE_AUTO_ACCEPT
MIN_SCORE = 72.0  # below this raw score a candidate is no match at all
FUZZY_DISCOUNT = 0.4  # confidence lost between an equal key and the weakest match
MIN_CONFIDENCE = 0.3  # below this a best guess is not placed (too close to its rival)
MARGIN = 10.0  # a lead of this many points over the rival is a clear win
ROW_WARD_BOOST = 10.0
AGENCY_WARD_BOOST = 5.0
KIND_CONFLICT = 12.0  # `soko` text vs a school: different things that share a name
KIND_UNSAID = 3.0  # the gazetteer names a kind the text did not say
KIND_MISSING = 6.0  # the text names a kind the candidate does not have
COLOCATED_M = 1500.0  # two places closer than this in one ward are not rivals
OUTSIDE_STATED_WARD = 0.5  # confidence factor when the place contradicts the row's ward
WARD_TEXT_CUTOFF = 85.0
FUZZY_LIMIT = 12  # fuzzy candidates kept per text (exact ones are always kept)
# How far from a named place the incidents its name describes happen: a few hundred
# metres for a landmark ("near the stage"), about a kilometre for an estate or village.
REACH_M = 400.0
AREA_REACH_M = 1000.0
AREA_KINDS = frozenset({"estate", "village"})
NEAR_BOUNDARY_CAP = 0.85  # below the default auto-accept: the ward needs a reviewer

METHODS = ("gps", "gazetteer", "ward_name", "unresolved")


def auto_accept() -> float:
    """The confidence at and above which a placement needs no review (a setting)."""
    return float(settings.get("OBSERVATORY_PLACE_AUTO_ACCEPT") or AUTO_ACCEPT)


@dataclass(frozen=True)
class Candidate:
    """A suggestion: a place (place_id set) or a ward (place_id None)."""

    name: str
    place_id: int | None
    ward_code: str | None
    score: float


@dataclass(frozen=True)
class Resolution:
    method: str  # gazetteer | ward_name | unresolved
    place_id: int | None = None
    ward_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    confidence: float = 0.0
    candidates: tuple[Candidate, ...] = ()


UNRESOLVED = Resolution("unresolved")


@dataclass(frozen=True)
class _Target:
    name: str
    place_id: int | None
    ward_code: str | None
    lat: float | None
    lon: float | None
    kinds: frozenset[str]
    boundary_m: float | None = None  # distance to its ward's boundary, when known

    @property
    def ward_certainty(self) -> float:
        """How sure the ward is for an incident described by this place (1 for a
        ward, or a place whose reach lies inside its ward)."""
        if self.place_id is None or self.boundary_m is None:
            return 1.0
        reach = AREA_REACH_M if self.kinds & AREA_KINDS else REACH_M
        if self.boundary_m >= reach:
            return 1.0
        return min(disc_share_inside(self.boundary_m / reach), NEAR_BOUNDARY_CAP)


def disc_share_inside(x: float) -> float:
    """Share of a disc inside a straight boundary at x radii from its centre (0-1)."""
    x = min(max(x, 0.0), 1.0)
    outside = (math.acos(x) - x * math.sqrt(1 - x * x)) / (2 * math.pi)
    return 1.0 - outside


@dataclass
class _Scored:
    target: int
    raw: float
    boosted: float = 0.0


@dataclass
class PlaceIndex:
    """Every name the team knows, ready to match. Build once per load, resolve many."""

    targets: list[_Target] = field(default_factory=list)
    cores: list[str] = field(default_factory=list)  # distinct core keys, for rapidfuzz
    by_core: dict[str, list[tuple[int, frozenset[str]]]] = field(default_factory=dict)
    ward_targets: dict[str, int] = field(default_factory=dict)
    # Full keys a reviewer confirmed (place_aliases): they always mean their target.
    reviewed: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        places: Iterable[Mapping],
        wards: Iterable[tuple[str, str]],
        aliases: Iterable[tuple[str, int | None, str | None]] = (),
    ) -> PlaceIndex:
        """places: mappings with id, name, aliases, kind, lat, lon, ward_code;
        wards: (code, name); aliases: reviewed (text, place_id, ward_code)."""
        index = cls()
        place_targets: dict[int, int] = {}
        for row in places:
            kinds = place_key(row.get("kind")).kinds
            target = _Target(
                row["name"], int(row["id"]), row.get("ward_code"), row["lat"], row["lon"], kinds,
                row.get("boundary_m"),
            )  # fmt: skip
            place_targets[target.place_id] = index._add_target(target)
            for text in (row["name"], *(row.get("aliases") or ())):
                index._add_name(place_targets[target.place_id], place_key(text), kinds)
        for code, name in wards:
            idx = index._add_target(_Target(name, None, code, None, None, frozenset()))
            index.ward_targets[code] = idx
            for text in {name, *name.split("/")}:
                index._add_name(idx, place_key(text), frozenset())
        for text, place_id, ward_code in aliases:
            idx = place_targets.get(place_id) if place_id else index.ward_targets.get(ward_code)
            if idx is not None:
                index._add_name(idx, place_key(text), frozenset())  # as the reviewer wrote it
                index.reviewed[place_key(text).full] = idx
        return index

    def _add_target(self, target: _Target) -> int:
        self.targets.append(target)
        return len(self.targets) - 1

    def _add_name(self, idx: int, key: PlaceKey, extra_kinds: frozenset[str]) -> None:
        if not key.core:
            return
        if key.core not in self.by_core:
            self.by_core[key.core] = []
            self.cores.append(key.core)
        self.by_core[key.core].append((idx, key.kinds | extra_kinds))

    def resolve(
        self, texts: Sequence[tuple[object, object, Iterable[str] | None]]
    ) -> list[Resolution]:
        """One Resolution per (location_text, ward_text, agency_ward_codes); each
        distinct triple is matched once, however many rows share it."""
        keyed = [(_text(loc), _text(ward), frozenset(codes or ())) for loc, ward, codes in texts]
        distinct = list(dict.fromkeys(keyed))
        keys = {t: place_key(t) for t in {t for k in distinct for t in k[:2]}}
        fuzzy = self._fuzzy(sorted({key.core for key in keys.values() if key.core}))
        done = {k: self._resolve_one(keys[k[0]], keys[k[1]], k[2], fuzzy) for k in distinct}
        return [done[k] for k in keyed]

    def _fuzzy(self, queries: list[str]) -> dict[str, list[tuple[str, float]]]:
        """For each query core, its best choice cores with WRatio scores (batched)."""
        out: dict[str, list[tuple[str, float]]] = {q: [] for q in queries}
        if not queries or not self.cores:
            return out
        choices = self.cores
        for start in range(0, len(queries), 512):
            chunk = queries[start : start + 512]
            matrix = process.cdist(
                chunk,
                choices,
                scorer=fuzz.WRatio,
                score_cutoff=MIN_SCORE - KIND_UNSAID,
                dtype=np.float32,
                workers=-1,
            )
            limit = min(FUZZY_LIMIT, len(choices))
            top = np.argpartition(-matrix, limit - 1, axis=1)[:, :limit]
            for row, query in enumerate(chunk):
                hits = [(choices[c], float(matrix[row, c])) for c in top[row] if matrix[row, c]]
                exact = [(query, 100.0)] if query in self.by_core else []
                out[query] = exact + hits
        return out

    def _scores(self, key: PlaceKey, fuzzy: dict) -> dict[int, float]:
        """Best raw score (0-100) per target for one reduced text."""
        best: dict[int, float] = {}
        for core, similarity in fuzzy.get(key.core, ()):
            score = 100.0 if core == key.core else similarity
            for idx, kinds in self.by_core[core]:
                value = score - _kind_penalty(key.kinds, kinds, self.targets[idx].place_id)
                if value > best.get(idx, -1.0):
                    best[idx] = value
        return best

    def _ward_codes(
        self, key: PlaceKey, agency: frozenset[str], fuzzy: dict
    ) -> tuple[frozenset[str], float]:
        """The wards a ward text names (several when the name repeats across counties,
        narrowed to the agency's usual wards when that settles it) and the score."""
        scores: dict[str, float] = {}
        for i, score in self._scores(key, fuzzy).items():
            code = self.targets[i].ward_code
            if self.targets[i].place_id is None and score >= WARD_TEXT_CUTOFF:
                scores[code] = max(score, scores.get(code, 0.0))
        if not scores:
            return frozenset(), 0.0
        top = max(scores.values())
        codes = {c for c, s in scores.items() if s >= top - 3}
        return frozenset(codes & agency or codes), min(top, 100.0)

    def _resolve_one(
        self, loc: PlaceKey, ward: PlaceKey, agency: frozenset[str], fuzzy: dict
    ) -> Resolution:
        if loc.full in self.reviewed:  # a reviewer's choice needs no second guess
            return self._placed(self.targets[self.reviewed[loc.full]], 1.0, ())
        stated, ward_score = self._ward_codes(ward, agency, fuzzy)
        scored = [
            _Scored(i, raw, raw + _boost(self.targets[i].ward_code, stated, agency))
            for i, raw in self._scores(loc, fuzzy).items()
            if raw >= MIN_SCORE
        ]
        scored.sort(key=lambda s: (-s.boosted, -s.raw, s.target))
        resolution = self._decide(scored, stated) if scored else None
        if resolution is not None:
            return resolution
        suggestions = self._suggest(scored)
        if len(stated) == 1:
            (code,) = stated
            return Resolution(
                "ward_name",
                ward_code=code,
                confidence=round(ward_score / 100, 3),
                candidates=suggestions,
            )
        return Resolution("unresolved", candidates=suggestions)

    def _decide(self, scored: list[_Scored], stated: frozenset[str]) -> Resolution | None:
        best = self.targets[scored[0].target]
        rival = next((s for s in scored[1:] if not self._colocated(best, s.target)), None)
        lead = scored[0].boosted - rival.boosted if rival else MARGIN
        confidence = _similarity(scored[0].raw) * min(max(lead / MARGIN, 0.0), 1.0)
        if stated and best.ward_code not in stated:
            confidence *= OUTSIDE_STATED_WARD
        suggestions = self._suggest(scored)
        if confidence >= MIN_CONFIDENCE:
            return self._placed(best, round(confidence * best.ward_certainty, 3), suggestions)
        # Too close to call between places, but if every contender lies in one ward,
        # that ward is known even though the point is not.
        contenders = {
            self.targets[s.target].ward_code
            for s in scored
            if s.boosted >= scored[0].boosted - MARGIN
        }
        if len(contenders) == 1 and best.ward_code is not None:
            confidence = _similarity(scored[0].raw)
            return Resolution(
                "ward_name",
                ward_code=best.ward_code,
                confidence=round(confidence, 3),
                candidates=suggestions,
            )
        return None

    def _placed(self, target: _Target, confidence: float, suggestions) -> Resolution:
        if target.place_id is None:
            return Resolution(
                "ward_name",
                ward_code=target.ward_code,
                confidence=confidence,
                candidates=suggestions,
            )
        return Resolution(
            "gazetteer",
            target.place_id,
            target.ward_code,
            target.lat,
            target.lon,
            confidence,
            suggestions,
        )

    def _colocated(self, best: _Target, idx: int) -> bool:
        other = self.targets[idx]
        if best.ward_code is None or best.ward_code != other.ward_code:
            return False
        if best.lat is None or other.lat is None:
            return True  # a ward and a place inside it say the same thing about the ward
        return float(haversine_m(best.lat, best.lon, other.lat, other.lon)) <= COLOCATED_M

    def _suggest(self, scored: list[_Scored]) -> tuple[Candidate, ...]:
        return tuple(
            Candidate(
                self.targets[s.target].name,
                self.targets[s.target].place_id,
                self.targets[s.target].ward_code,
                round(s.boosted, 1),
            )
            for s in scored[:5]
        )


def _similarity(raw: float) -> float:
    """A raw score as a 0-1 confidence: 100 (equal after normalising) is 1, MIN_SCORE
    is 1 - FUZZY_DISCOUNT, so one typo in a short name (WRatio ~91 -> 0.87) stays
    below the auto-accept default and goes to review; an alias then fixes it for good."""
    shortfall = (100.0 - min(raw, 100.0)) / (100.0 - MIN_SCORE)
    return 1.0 - FUZZY_DISCOUNT * shortfall


def _kind_penalty(text_kinds: frozenset[str], kinds: frozenset[str], place_id) -> float:
    if not text_kinds:
        return KIND_UNSAID if kinds else 0.0
    if not kinds:
        return KIND_MISSING if place_id is not None else KIND_CONFLICT
    if text_kinds & kinds:
        return 0.0
    words = {w for k in text_kinds for w in k.split()}
    if words & {w for k in kinds for w in k.split()}:
        return KIND_UNSAID  # `school` and `primary school`: compatible, less precise
    return KIND_CONFLICT


def _boost(ward_code: str | None, stated: frozenset[str], agency: frozenset[str]) -> float:
    if ward_code is None:
        return 0.0
    return (ROW_WARD_BOOST if ward_code in stated else 0.0) + (
        AGENCY_WARD_BOOST if ward_code in agency else 0.0
    )


def _text(value: object) -> str | None:
    """Missing (None, NaN, blank) as None, anything else as its text: NaN != NaN would
    defeat the per-text cache."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value).strip() or None


def haversine_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres (scalars or numpy arrays)."""
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 6_371_008.8 * 2 * np.arcsin(np.sqrt(a))
