"""Record linkage across agencies: the police, a health facility and a chief may each
record the same assault. Linking them into one event group lets hot spots count
events, not records, and lets completeness compare who saw what.

A pair of records from agencies of *different types* is a candidate (two police
stations, or two clinics, split an area and do not record one event twice; when
agency_type is not given, different agencies) when their categories are
compatible (same category, or one of CATEGORY_GROUPS: a police `robbery` is often a
hospital's `assault`), their times are within the window, and their places agree:
both points within the distance, or, when either is placed only to a ward, the same
ward. A record with no place at all may match a record anywhere: only its time,
category and victim speak for the link, against the other agency's records of that
category in the whole area.

The score is the probability that the pair is one event (Fellegi-Sunter style, with
the chance of a coincidence measured from the data): the likelihood ratio of the
pair's agreement, category (SAME_CATEGORY), the victim's sex and age (SEX_AGREE, AGE_AGREE
against how often two records agree by chance), time (gap between the two time windows on
a scale of window / TIME_SCALE; a date-only record is vaguer) and, for two points,
distance (on a scale of max distance / DISTANCE_SCALE, against the ward's area), is
divided by how often the other agency records such events in that ward anyway. It is
then weighed against the agency's other candidates for the same record (prior
PRIOR_SEEN that it recorded the event at all), in both directions, keeping the lower.
Pairs at or above the minimum score are linked strongest first (greedy union-find); a
link that would put two records of one agency in a group, or join records that
disagree (GROUP_FLOOR), is refused. The group's score is its weakest link.

Parameters are settings: OBSERVATORY_LINK_WINDOW_HOURS, OBSERVATORY_LINK_DISTANCE_M,
OBSERVATORY_LINK_MIN_SCORE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata import settings
from geodata.gazetteer.matching import haversine_m

CATEGORY_GROUPS: dict[str, frozenset[str]] = {
    "violence": frozenset({"homicide", "assault", "domestic_violence", "mob_justice", "robbery"}),
    "sexual_and_child": frozenset({"sexual_violence", "child_abuse", "domestic_violence"}),
    "property": frozenset({"robbery", "burglary", "theft", "stock_theft", "vehicle_theft"}),
    "disorder": frozenset({"public_disorder", "assault", "mob_justice", "drugs"}),
    "fraud": frozenset({"fraud", "theft"}),
    "other": frozenset({"other"}),
}
COMPATIBLE_SCORE = 0.5
SAME_CATEGORY = 0.95  # share of true pairs whose categories agree once the synonym table maps them
TIME_SCALE = 12.0  # one event's records are typically window / TIME_SCALE hours apart
DISTANCE_SCALE = 3.0  # ... and max distance / DISTANCE_SCALE metres apart
SEX_AGREE = 0.97  # share of true pairs whose agencies wrote the same victim sex
AGE_AGREE = 0.9  # ... and ages within AGE_TOLERANCE years (ages are often guessed)
AGE_TOLERANCE = 3.0
PRIOR_SEEN = 0.3  # chance that another agency recorded a given event at all
GROUP_FLOOR = 0.5  # within a group every pair scores at least this share of the minimum
_MAX_SPAN_HOURS = 72.0  # longer "sometime between" windows block as if 72 h long
_M_PER_DEG_LAT = 110_574.0


@dataclass(frozen=True)
class LinkParams:
    window_hours: float = 48.0
    distance_m: float = 1000.0
    min_score: float = 0.6

    @classmethod
    def from_settings(cls) -> LinkParams:
        return cls(
            float(settings.get("OBSERVATORY_LINK_WINDOW_HOURS") or cls.window_hours),
            float(settings.get("OBSERVATORY_LINK_DISTANCE_M") or cls.distance_m),
            float(settings.get("OBSERVATORY_LINK_MIN_SCORE") or cls.min_score),
        )


def category_compatibility(a: str, b: str) -> float:
    """1 for the same category, COMPATIBLE_SCORE within a group, 0 otherwise."""
    if a == b:
        return 1.0
    return COMPATIBLE_SCORE if any(a in g and b in g for g in CATEGORY_GROUPS.values()) else 0.0


@dataclass
class _Records:
    """The columns linkage needs, as arrays (positions are record numbers)."""

    agency: np.ndarray
    category: np.ndarray
    start: np.ndarray  # hours since the earliest record
    end: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    ward: np.ndarray  # ints, -1 for no ward
    kind: np.ndarray  # agency type as ints, -1 when not given
    sex: np.ndarray  # victim sex as ints, -1 when not known
    age: np.ndarray  # victim age in years, NaN when not known (or only a band)

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Records:
        start = pd.to_datetime(frame["occurred_from"])
        end = pd.to_datetime(frame["occurred_to"]) if "occurred_to" in frame else start
        end = end.where(end.notna() & (end >= start), start)
        if "time_known" in frame:  # a date-only record could be any time that day
            day_only = ~frame["time_known"].fillna(True).astype(bool)
            end = end.where(~day_only, start.dt.normalize() + pd.Timedelta(hours=23, minutes=59))
            start = start.where(~day_only, start.dt.normalize())
        origin = start.min()
        ward = frame["ward_code"] if "ward_code" in frame else pd.Series(None, index=frame.index)
        codes, _ = pd.factorize(ward.astype(object), use_na_sentinel=True)
        kinds = frame["agency_type"] if "agency_type" in frame else pd.Series(None, frame.index)
        return cls(
            agency=pd.factorize(frame["agency"].astype(object))[0],
            category=frame["category"].astype(str).to_numpy(),
            start=((start - origin) / pd.Timedelta(hours=1)).to_numpy(dtype=float),
            end=((end - origin) / pd.Timedelta(hours=1)).to_numpy(dtype=float),
            lat=pd.to_numeric(frame.get("latitude"), errors="coerce").to_numpy(dtype=float),
            lon=pd.to_numeric(frame.get("longitude"), errors="coerce").to_numpy(dtype=float),
            ward=codes,
            kind=pd.factorize(kinds.astype(object), use_na_sentinel=True)[0],
            sex=pd.factorize(_column(frame, "victim_sex"), use_na_sentinel=True)[0],
            age=pd.to_numeric(_column(frame, "victim_age"), errors="coerce").to_numpy(float),
        )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(None, index=frame.index, dtype=object)
    return frame[name].astype(object).where(frame[name].notna(), None)


def _pairs_within(keys: np.ndarray, times: np.ndarray, probe_keys, probe_times, window):
    """(probe position, record position) for every record with the probe's key and a
    time within `window` hours: one sort and two binary searches, no Python loop."""
    if len(keys) == 0 or len(probe_keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    big = (np.nanmax(times) - np.nanmin(times)) + 4 * window + 1.0
    order = np.lexsort((times, keys))
    sorted_comp = keys[order] * big + times[order]
    probe_comp = probe_keys * big + probe_times
    lo = np.searchsorted(sorted_comp, probe_comp - window, "left")
    hi = np.searchsorted(sorted_comp, probe_comp + window, "right")
    counts = hi - lo
    probe = np.repeat(np.arange(len(probe_keys)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return probe, order[np.repeat(lo, counts) + offsets]


def _expand_by_group(records: _Records) -> tuple[np.ndarray, np.ndarray]:
    """(record position, group number) for every group each record's category is in."""
    names = list(CATEGORY_GROUPS)
    positions, groups = [], []
    for g, name in enumerate(names):
        members = np.flatnonzero(np.isin(records.category, list(CATEGORY_GROUPS[name])))
        positions.append(members)
        groups.append(np.full(len(members), g))
    return np.concatenate(positions), np.concatenate(groups)


def candidate_pairs(records: _Records, params: LinkParams) -> tuple[np.ndarray, np.ndarray]:
    """Record pairs (i < j) sharing a category group, within the window (plus the
    records' own spans), and in one ward or in neighbouring grid cells of the distance."""
    pos, group = _expand_by_group(records)
    span = min(float(np.nanmax(records.end - records.start, initial=0.0)), _MAX_SPAN_HOURS)
    window = params.window_hours + span
    times = records.start[pos]
    found_i, found_j = [], []
    in_ward = records.ward[pos] >= 0
    ward_keys = pd.factorize(pd.MultiIndex.from_arrays([group, records.ward[pos]]))[0]
    a, b = _pairs_within(ward_keys[in_ward], times[in_ward], ward_keys[in_ward],
                         times[in_ward], window)  # fmt: skip
    found_i.append(pos[in_ward][a])
    found_j.append(pos[in_ward][b])
    has_point = np.isfinite(records.lat[pos]) & np.isfinite(records.lon[pos])
    nowhere = ~in_ward & ~has_point  # no place at all: any record of the group may match
    if nowhere.any():
        a, b = _pairs_within(group, times, group[nowhere], times[nowhere], window)
        found_i.append(pos[nowhere][a])
        found_j.append(pos[b])
    if has_point.any():
        p = pos[has_point]
        lat0 = float(np.nanmean(records.lat[p]))
        cell_x = np.floor(records.lon[p] * _M_PER_DEG_LAT * np.cos(np.radians(lat0))
                          / params.distance_m).astype(np.int64)  # fmt: skip
        cell_y = np.floor(records.lat[p] * _M_PER_DEG_LAT / params.distance_m).astype(np.int64)
        cells = pd.MultiIndex.from_arrays([group[has_point], cell_x, cell_y])
        codes, uniques = pd.factorize(cells)
        lookup = pd.Series(np.arange(len(uniques)), index=uniques)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                shifted = pd.MultiIndex.from_arrays([group[has_point], cell_x + dx, cell_y + dy])
                probe = lookup.reindex(shifted).to_numpy()
                ok = ~np.isnan(probe)
                a, b = _pairs_within(codes, times[has_point], probe[ok].astype(np.int64),
                                     times[has_point][ok], window)  # fmt: skip
                found_i.append(p[ok][a])
                found_j.append(p[b])
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    i, j = np.minimum(i, j), np.maximum(i, j)
    keep = i < j
    pairs = np.unique(np.stack([i[keep], j[keep]], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def _ward_areas(records: _Records) -> np.ndarray:
    """Area (m2) per ward code, estimated from its records' points: for points spread
    over a disc the median distance to the centre is R / sqrt(2), so A = 2 pi med^2.
    Wards with few points get the median area of the others."""
    n_wards = max(int(records.ward.max(initial=-1)) + 1, 1)  # one, for records with none
    areas = np.full(n_wards, np.nan)
    has_point = np.isfinite(records.lat) & np.isfinite(records.lon) & (records.ward >= 0)
    for ward in range(n_wards):
        inside = has_point & (records.ward == ward)
        if inside.sum() >= 5:
            lat, lon = records.lat[inside], records.lon[inside]
            d = haversine_m(lat, lon, np.median(lat), np.median(lon))
            areas[ward] = max(2 * np.pi * float(np.median(d)) ** 2, 1e4)
    fallback = np.nanmedian(areas) if np.isfinite(areas).any() else 4e6
    return np.where(np.isfinite(areas), areas, fallback)


def _background_rates(records: _Records, anywhere: bool = False) -> np.ndarray:
    """Per record: how many records an hour its agency makes of its category in its
    ward (smoothed), the rate a chance candidate like it turns up at; `anywhere`: in
    the whole area (what a record with no place can be confused with)."""
    hours = max(float(np.nanmax(records.end) - np.nanmin(records.start)), 24.0 * 28)
    ward = np.zeros_like(records.ward) if anywhere else records.ward
    key = pd.MultiIndex.from_arrays([records.agency, records.category, ward])
    counts = pd.Series(1, index=key).groupby(level=[0, 1, 2]).transform("size").to_numpy()
    return (counts + 1.0) / hours


def score_pairs(records: _Records, i: np.ndarray, j: np.ndarray, params: LinkParams):
    """(score, allowed) per pair. Allowed needs different agencies, compatible
    categories, a time gap within the window and agreeing places. The score is the
    probability that the pair is one event, weighing how well it agrees against how
    many records like it the other agency makes there anyway (see module doc)."""
    gap = np.maximum(0.0, np.maximum(records.start[j] - records.end[i],
                                     records.start[i] - records.end[j]))  # fmt: skip
    category = np.array(
        [
            category_compatibility(a, b)
            for a, b in zip(records.category[i], records.category[j], strict=True)
        ]  # fmt: skip
    )
    both_points = np.isfinite(records.lat[i] + records.lon[i] + records.lat[j] + records.lon[j])
    distance = np.where(
        both_points,
        haversine_m(records.lat[i], records.lon[i], records.lat[j], records.lon[j]),
        np.inf,
    )
    same_ward = (records.ward[i] >= 0) & (records.ward[i] == records.ward[j])
    unplaced = ((records.ward[i] < 0) & ~np.isfinite(records.lat[i])) | (
        (records.ward[j] < 0) & ~np.isfinite(records.lat[j])
    )
    place_ok = np.where(both_points, distance <= params.distance_m, same_ward | unplaced)
    allowed = (
        (records.agency[i] != records.agency[j])
        & ((records.kind[i] < 0) | (records.kind[i] != records.kind[j]))
        & (category > 0)
        & (gap <= params.window_hours)
        & place_ok
    )
    ratio = _likelihood_ratios(records, i, j, gap, category, distance, both_points, params)
    ratio = np.where(allowed, ratio, 0.0)
    return np.minimum(_posterior(i, records.agency[j], ratio),
                      _posterior(j, records.agency[i], ratio)), allowed  # fmt: skip


def _likelihood_ratios(records, i, j, gap, category, distance, both_points, params):
    """How much likelier the pair's agreement is for one event than for chance."""
    tau = params.window_hours / TIME_SCALE
    vague = (records.end[i] - records.start[i]) + (records.end[j] - records.start[j])
    time_density = np.exp(-gap / tau) / (tau + vague)  # per hour
    sigma = params.distance_m / DISTANCE_SCALE
    ward = np.where(records.ward[j] >= 0, records.ward[j], records.ward[i])
    areas = _ward_areas(records)
    space = np.where(
        both_points,
        areas[np.maximum(ward, 0)]
        * np.exp(-(distance**2) / (2 * sigma**2))
        / (2 * np.pi * sigma**2),
        1.0,
    )  # a shared ward alone: as likely for one event as for chance, beyond the block
    same = np.where(category == 1.0, SAME_CATEGORY, 1 - SAME_CATEGORY)
    local, anywhere = _background_rates(records), _background_rates(records, anywhere=True)
    unplaced = ~np.isfinite(records.lat) & (records.ward < 0)
    rate = np.where(
        unplaced[i] | unplaced[j],
        np.sqrt(anywhere[i] * anywhere[j]),
        np.sqrt(local[i] * local[j]),
    )
    victim = _victim_ratios(records, i, j)
    return same * victim * time_density * space / rate


def _agreement_ratio(agree, known, m: float, u: float) -> np.ndarray:
    """m/u when two known values agree, (1-m)/(1-u) when they differ, 1 when unknown."""
    u = min(max(u, 1e-3), 0.999)
    return np.where(known, np.where(agree, m / u, (1 - m) / (1 - u)), 1.0)


def _victim_ratios(records: _Records, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Victim sex and age: both agencies saw the same person. The chance agreement u
    is measured on the records themselves (how often two records agree anyway)."""
    sex_known = (records.sex[i] >= 0) & (records.sex[j] >= 0)
    shares = np.bincount(records.sex[records.sex >= 0]) / max((records.sex >= 0).sum(), 1)
    sex = _agreement_ratio(records.sex[i] == records.sex[j], sex_known, SEX_AGREE,
                           float((shares**2).sum()))  # fmt: skip
    ages = np.sort(records.age[np.isfinite(records.age)])
    age_known = np.isfinite(records.age[i]) & np.isfinite(records.age[j])
    chance = 0.0
    if len(ages):
        near = np.searchsorted(ages, ages + AGE_TOLERANCE, "right") - np.searchsorted(
            ages, ages - AGE_TOLERANCE, "left"
        )
        chance = float(near.mean() / len(ages))
    close = np.abs(records.age[i] - records.age[j]) <= AGE_TOLERANCE
    return sex * _agreement_ratio(close, age_known, AGE_AGREE, chance)


def _posterior(record: np.ndarray, other_agency: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """P(pair is the record's event) among that agency's candidates for the record:
    prior PRIOR_SEEN that the agency recorded it at all, and if so which one."""
    key = pd.MultiIndex.from_arrays([record, other_agency])
    total = pd.Series(ratio, index=key).groupby(level=[0, 1]).transform("sum").to_numpy()
    return PRIOR_SEEN * ratio / ((1 - PRIOR_SEEN) + PRIOR_SEEN * total)


def group_links(
    n: int,
    i,
    j,
    score,
    agency: np.ndarray,
    support: dict[tuple[int, int], float] | None = None,
    floor: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy union-find, strongest link first. Two groups are joined only when they
    share no agency and, given `support` (score of every allowed pair, i < j), every
    record of one agrees with every record of the other at `floor` or more, so a
    chain A-B-C never joins A and C that are clearly different events.
    Returns (group label per record, group score per record: NaN alone)."""
    parent = list(range(n))
    members = {k: [k] for k in range(n)}
    agencies = {k: {agency[k]} for k in range(n)}
    weakest = dict.fromkeys(range(n), np.nan)

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def agree(a: int, b: int) -> bool:
        if support is None:
            return True
        return all(
            support.get((min(x, y), max(x, y)), -1.0) >= floor
            for x in members[a]
            for y in members[b]
        )

    for edge in np.lexsort((j, i, -score)):
        a, b = root(int(i[edge])), root(int(j[edge]))
        if a == b or agencies[a] & agencies[b] or not agree(a, b):
            continue
        parent[b] = a
        agencies[a] |= agencies.pop(b)
        members[a] += members.pop(b)
        weakest[a] = float(np.nanmin([weakest[a], weakest.pop(b), score[edge]]))
    roots = np.array([root(k) for k in range(n)])
    labels = pd.factorize(roots)[0]
    return labels, np.array([weakest[r] for r in roots])


def link_records(frame: pd.DataFrame, params: LinkParams | None = None) -> pd.DataFrame:
    """Event groups for incident records.

    frame columns: agency, category, occurred_from (and optionally occurred_to,
    time_known), latitude, longitude (NaN when only a ward is known), ward_code.
    Returns a frame on the same index: event_group (0..; a record alone gets its own),
    group_score (the weakest link; NaN alone) and group_size.
    """
    params = params or LinkParams.from_settings()
    out = pd.DataFrame(index=frame.index)
    if frame.empty:
        return out.assign(event_group=pd.Series(dtype=int), group_score=pd.Series(dtype=float),
                          group_size=pd.Series(dtype=int))  # fmt: skip
    records = _Records.of(frame)
    i, j = candidate_pairs(records, params)
    score, allowed = score_pairs(records, i, j, params)
    keep = allowed & (score >= params.min_score)
    pairs = zip(i[allowed].tolist(), j[allowed].tolist(), strict=True)
    support = dict(zip(pairs, score[allowed].tolist(), strict=True))
    labels, group_score = group_links(
        len(frame), i[keep], j[keep], score[keep], records.agency, support,
        floor=params.min_score * GROUP_FLOOR,
    )  # fmt: skip
    out["event_group"] = labels
    out["group_score"] = np.round(group_score, 3)
    out["group_size"] = out.groupby("event_group")["event_group"].transform("size")
    return out


def linked_pairs(frame: pd.DataFrame, params: LinkParams | None = None) -> pd.DataFrame:
    """Every allowed candidate pair with its score (for review screens and tuning):
    columns i, j (positions in `frame`), score, linked_enough."""
    params = params or LinkParams.from_settings()
    records = _Records.of(frame)
    i, j = candidate_pairs(records, params)
    score, allowed = score_pairs(records, i, j, params)
    pairs = pd.DataFrame({"i": i[allowed], "j": j[allowed], "score": score[allowed]})
    pairs["linked_enough"] = pairs["score"] >= params.min_score
    return pairs.sort_values("score", ascending=False, ignore_index=True)
