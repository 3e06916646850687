"""The demo's spatio-temporal model of true events: the planted truths.

Space: a mixture of Gaussian hot spots around chosen markets, bus stages, bars and
an estate (known centres, radii and weights) and a background proportional to ward
population. Time: daily Poisson counts with weekday and month effects (December
+30%), category hour-of-day profiles (robbery and assault peak 19:00-23:00,
domestic violence on weekend evenings), burglaries known only as a night window,
and some events whose time was never recorded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from etl.demo.geography import Geography, sample_in_polygon

# Baseline events a year in the generated town (before the December rise).
ANNUAL: dict[str, int] = {
    "homicide": 25,
    "assault": 1100,
    "sexual_violence": 350,
    "domestic_violence": 700,
    "child_abuse": 250,
    "robbery": 900,
    "burglary": 800,
    "theft": 1500,
    "stock_theft": 80,
    "vehicle_theft": 200,
    "drugs": 400,
    "mob_justice": 40,
    "public_disorder": 350,
    "fraud": 200,
    "other": 150,
}
HOT_SHARE: dict[str, float] = {
    "theft": 0.55,
    "robbery": 0.6,
    "assault": 0.45,
    "public_disorder": 0.5,
    "drugs": 0.5,
    "burglary": 0.35,
    "vehicle_theft": 0.4,
    "fraud": 0.3,
    "homicide": 0.3,
}
HOT_SPOT_KINDS: dict[str, tuple[int, float, tuple[str, ...]]] = {
    # kind: (how many, radius in metres, categories it draws)
    "market": (2, 450.0, ("theft", "robbery", "fraud")),
    "stage": (3, 350.0, ("robbery", "theft", "vehicle_theft", "assault")),
    "bar": (3, 300.0, ("assault", "robbery", "public_disorder", "drugs", "homicide")),
    "estate": (1, 550.0, ("burglary",)),
}
MIN_HOT_SPOT_SEPARATION_M = 1_000.0
NIGHT_PEAK_HOURS = (19, 20, 21, 22, 23)
MONTH_FACTOR: dict[int, float] = {12: 1.3}
NO_TIME_SHARE = 0.07
BURGLARY_WINDOW_SHARE = 0.55


def _profile(base: float, **ranges: float) -> tuple[float, ...]:
    """24 hourly weights: `base`, overridden by ranges written h{from}_{to} (inclusive)."""
    weights = [base] * 24
    for key, value in ranges.items():
        lo, hi = (int(v) for v in key[1:].split("_"))
        for h in range(lo, hi + 1):
            weights[h] = value
    return tuple(weights)


_NIGHT = _profile(1.0, h19_23=4.5, h0_2=2.0, h3_5=0.6)
_DAY = _profile(0.3, h7_18=2.0, h19_21=1.0)
HOUR_PROFILES: dict[str, tuple[float, ...]] = {
    "robbery": _NIGHT,
    "assault": _NIGHT,
    "homicide": _profile(0.6, h19_23=3.0, h0_3=2.5),
    "sexual_violence": _profile(0.6, h17_23=2.0, h0_2=1.2),
    "domestic_violence": _profile(0.4, h7_16=0.8, h17_23=2.5, h0_1=1.2),
    "child_abuse": _profile(0.3, h7_19=1.6),
    "burglary": _profile(0.5, h0_4=3.0, h10_15=1.2, h22_23=1.5),
    "theft": _DAY,
    "stock_theft": _profile(0.3, h0_5=3.0, h20_23=1.5),
    "vehicle_theft": _DAY,
    "drugs": _profile(0.4, h10_22=1.5),
    "mob_justice": _profile(0.5, h8_20=1.5),
    "public_disorder": _profile(0.5, h16_23=2.5),
    "fraud": _profile(0.1, h8_17=2.0),
    "other": _profile(0.5, h7_20=1.5),
}
# Domestic violence on Friday to Sunday evenings is the planted weekend pattern.
WEEKEND_HOUR_PROFILES = {"domestic_violence": _profile(0.3, h7_16=0.6, h17_23=4.0, h0_2=2.0)}
_EVENING_OUT = (0.85, 0.85, 0.85, 0.9, 1.15, 1.45, 1.2)
WEEKDAY_FACTOR: dict[str, tuple[float, ...]] = {  # Monday first
    "domestic_violence": (0.75, 0.75, 0.8, 0.85, 1.15, 1.6, 1.5),
    "assault": _EVENING_OUT,
    "public_disorder": _EVENING_OUT,
    "sexual_violence": _EVENING_OUT,
    "homicide": _EVENING_OUT,
    "robbery": (0.95, 0.95, 0.95, 1.0, 1.1, 1.15, 0.9),
    "theft": (1.0, 1.25, 0.9, 0.9, 1.25, 1.0, 0.7),  # Tuesday and Friday market days
}
# (share female, age range) of victims; None: the register has no victim.
VICTIMS: dict[str, tuple[float, int, int] | None] = {
    "sexual_violence": (0.93, 4, 45),
    "child_abuse": (0.55, 1, 17),
    "domestic_violence": (0.85, 18, 60),
    "assault": (0.3, 15, 60),
    "robbery": (0.4, 16, 70),
    "homicide": (0.2, 16, 70),
    "theft": (0.5, 15, 70),
    "burglary": (0.5, 20, 70),
    "mob_justice": (0.05, 16, 45),
    "fraud": (0.5, 20, 70),
}


@dataclass(frozen=True)
class HotSpot:
    id: str
    place: str
    kind: str
    x: float
    y: float
    radius_m: float
    weight: float
    categories: tuple[str, ...]

    @property
    def sigma_m(self) -> float:
        return self.radius_m / 2  # about 86% of its events within the radius

    def as_dict(self) -> dict:
        return {**asdict(self), "categories": list(self.categories), "sigma_m": self.sigma_m}


def period_for(reference: date) -> tuple[date, date]:
    """The 12 full months ending with the last complete month before `reference`."""
    end = reference.replace(day=1) - timedelta(days=1)
    start = date(end.year - 1, end.month, 1) + timedelta(days=32)
    return start.replace(day=1), end


def choose_hot_spots(rng: np.random.Generator, geo: Geography) -> list[HotSpot]:
    spots: list[HotSpot] = []
    for kind, (count, radius, categories) in HOT_SPOT_KINDS.items():
        candidates = [p for p in geo.places if p.kind == kind]
        chosen = 0
        for i in rng.permutation(len(candidates)):
            place = candidates[i]
            if chosen == count:
                break
            if any(
                np.hypot(place.x - s.x, place.y - s.y) < MIN_HOT_SPOT_SEPARATION_M for s in spots
            ):
                continue
            weight = round(float(rng.uniform(0.7, 1.5)), 2)
            spots.append(
                HotSpot(
                    f"H{len(spots) + 1}",
                    place.name,
                    kind,
                    place.x,
                    place.y,
                    radius,
                    weight,
                    categories,
                )
            )
            chosen += 1
    return spots


def _daily_times(rng, category: str, days: pd.DatetimeIndex) -> np.ndarray:
    weekday = np.asarray(WEEKDAY_FACTOR.get(category, (1.0,) * 7))[days.day_of_week]
    month = np.array([MONTH_FACTOR.get(m, 1.0) for m in days.month])
    rate = ANNUAL[category] / len(days) * weekday / weekday.mean() * month
    per_day = rng.poisson(rate)
    day = np.repeat(days.to_numpy(), per_day)
    weekend = np.repeat(days.day_of_week.to_numpy() >= 4, per_day)
    hours = np.empty(len(day), dtype=int)
    for is_weekend in (False, True):
        profile = np.asarray(
            (WEEKEND_HOUR_PROFILES if is_weekend else {}).get(category, HOUR_PROFILES[category])
        )
        mask = weekend == is_weekend
        hours[mask] = rng.choice(24, mask.sum(), p=profile / profile.sum())
    minutes = rng.integers(0, 60, len(day))
    return day + hours * np.timedelta64(1, "h") + minutes * np.timedelta64(1, "m")


def _points(rng, geo: Geography, spots: list[HotSpot], categories: np.ndarray):
    """Metric x, y per event and the hot spot it came from ('' for background)."""
    n = len(categories)
    x, y = np.empty(n), np.empty(n)
    source = np.full(n, "", dtype=object)
    for category in np.unique(categories):
        idx = np.flatnonzero(categories == category)
        own = [s for s in spots if category in s.categories]
        hot = rng.random(len(idx)) < (HOT_SHARE.get(category, 0.0) if own else 0.0)
        if own:
            weights = np.array([s.weight for s in own])
            pick = rng.choice(len(own), hot.sum(), p=weights / weights.sum())
            for k, spot in enumerate(own):
                sel = idx[hot][pick == k]
                x[sel], y[sel] = _gaussian(rng, geo, spot, len(sel))
                source[sel] = spot.id
        bg = idx[~hot]
        wards = rng.choice(len(geo.ward_xy), len(bg), p=geo.weights / geo.weights.sum())
        for w in np.unique(wards):
            sel = bg[wards == w]
            pts = sample_in_polygon(rng, geo.ward_xy[w], len(sel))
            x[sel], y[sel] = pts[:, 0], pts[:, 1]
    return x, y, source


def _gaussian(rng, geo: Geography, spot: HotSpot, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Normal draws around the centre, redrawn until inside the study area."""
    x = rng.normal(spot.x, spot.sigma_m, n)
    y = rng.normal(spot.y, spot.sigma_m, n)
    for _ in range(50):
        bad = np.flatnonzero(geo.ward_of(x, y) == "")
        if not len(bad):
            break
        x[bad] = rng.normal(spot.x, spot.sigma_m, len(bad))
        y[bad] = rng.normal(spot.y, spot.sigma_m, len(bad))
    return x, y


def _windows(rng, events: pd.DataFrame) -> None:
    """Burglaries found in the morning: the register knows only 'between 22:00 and 06:00'."""
    n = len(events)
    burglary = (events["category"] == "burglary").to_numpy()
    window = burglary & (rng.random(n) < BURGLARY_WINDOW_SHARE)
    start_hour = rng.choice([20, 21, 22, 22, 22, 23], n)
    end_hour = rng.choice([5, 6, 6, 6, 7], n)
    day = events["occurred_at"].dt.normalize().to_numpy()
    frm = day + start_hour * np.timedelta64(1, "h")
    to = day + np.timedelta64(1, "D") + end_hour * np.timedelta64(1, "h")
    # The true moment lies in the window; nobody recorded it.
    span_min = ((to - frm) // np.timedelta64(1, "m")).astype("int64")
    true = frm + (rng.random(n) * span_min).astype("int64") * np.timedelta64(1, "m")
    events["window_from"] = pd.Series(np.where(window, frm, np.datetime64("NaT")))
    events["window_to"] = pd.Series(np.where(window, to, np.datetime64("NaT")))
    events.loc[window, "occurred_at"] = pd.Series(true[window], index=events.index[window])


def true_events(
    rng: np.random.Generator, geo: Geography, spots: list[HotSpot], start: date, end: date
) -> pd.DataFrame:
    """One row per true event: id, category, occurred_at (the true moment), window,
    time_known, x, y, lat, lon, ward_code, hot_spot, victim_sex, victim_age."""
    days = pd.date_range(start, end, freq="D")
    parts = [
        pd.DataFrame({"category": c, "occurred_at": _daily_times(rng, c, days)}) for c in ANNUAL
    ]
    events = pd.concat(parts, ignore_index=True)
    events = events.sort_values(["occurred_at", "category"], kind="stable", ignore_index=True)
    _windows(rng, events)
    windowed = events["window_from"].notna().to_numpy()
    events["time_known"] = windowed | (rng.random(len(events)) >= NO_TIME_SHARE)
    x, y, source = _points(rng, geo, spots, events["category"].to_numpy())
    lat, lon = geo.projection.to_latlon(x, y)
    events["x"], events["y"] = np.round(x, 1), np.round(y, 1)
    events["lat"], events["lon"] = np.round(lat, 6), np.round(lon, 6)
    events["ward_code"] = geo.ward_of(x, y)
    events["hot_spot"] = source
    _victims(rng, events)
    events.insert(0, "event_id", [f"E{i + 1:05d}" for i in range(len(events))])
    return events


def _victims(rng, events: pd.DataFrame) -> None:
    n = len(events)
    sex = np.full(n, "", dtype=object)
    age = np.full(n, -1, dtype=int)
    draws, ages = rng.random(n), rng.random(n)
    for i, category in enumerate(events["category"]):
        spec = VICTIMS.get(category)
        if spec is None:
            continue
        female, lo, hi = spec
        sex[i] = "F" if draws[i] < female else "M"
        age[i] = lo + int(ages[i] * (hi - lo + 1))
    events["victim_sex"] = sex
    events["victim_age"] = age


def model_truth(spots: list[HotSpot], geo: Geography) -> dict:
    """The model's parameters as written to truth.json (centres in WGS84)."""
    hot = []
    for spot in spots:
        lat, lon = geo.projection.to_latlon(spot.x, spot.y)
        hot.append({**spot.as_dict(), "lat": round(float(lat), 6), "lon": round(float(lon), 6)})
    return {
        "hot_spots": hot,
        "hot_share": HOT_SHARE,
        "night_peak_hours": list(NIGHT_PEAK_HOURS),
        "annual_baseline": ANNUAL,
        "hour_profiles": {c: list(p) for c, p in HOUR_PROFILES.items()},
        "weekend_hour_profiles": {c: list(p) for c, p in WEEKEND_HOUR_PROFILES.items()},
        "weekend_days": "Friday to Sunday",
        "weekday_factors_monday_first": {c: list(f) for c, f in WEEKDAY_FACTOR.items()},
        "month_factors": {str(m): MONTH_FACTOR.get(m, 1.0) for m in range(1, 13)},
        "no_time_share": NO_TIME_SHARE,
        "burglary_window_share": BURGLARY_WINDOW_SHARE,
        "background": "ward population" if geo.generated else "generated ward weights",
    }
