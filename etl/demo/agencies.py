"""The demo's agencies and what each of them records of the true events.

Police stations cover their station areas; an area chief covers a few wards;
the health centre, the rescue centre and the children's office take cases from
the whole area. Each agency records each true event in its area with its own
probability per category, so one event may be recorded by several agencies
(duplicates whose truth is known), each with its own time, place and wording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.demo.geography import Geography
from etl.demo.placetext import LocationWriter
from etl.demo.wording import category_texts

POLICE_RATES = {
    "homicide": 0.95, "assault": 0.45, "sexual_violence": 0.35, "domestic_violence": 0.25,
    "child_abuse": 0.2, "robbery": 0.75, "burglary": 0.7, "theft": 0.5, "stock_theft": 0.6,
    "vehicle_theft": 0.85, "drugs": 0.9, "mob_justice": 0.8, "public_disorder": 0.7,
    "fraud": 0.6, "other": 0.5,
}  # fmt: skip
CHIEF_RATES = {
    "domestic_violence": 0.2, "child_abuse": 0.15, "stock_theft": 0.3, "public_disorder": 0.2,
    "theft": 0.08, "mob_justice": 0.3, "drugs": 0.1, "assault": 0.08, "other": 0.25,
}  # fmt: skip
HEALTH_RATES = {
    "assault": 0.35, "sexual_violence": 0.55, "domestic_violence": 0.3, "child_abuse": 0.15,
    "robbery": 0.12, "homicide": 0.3, "mob_justice": 0.35,
}  # fmt: skip
RESCUE_RATES = {"sexual_violence": 0.4, "domestic_violence": 0.25, "child_abuse": 0.25}
CHILDREN_RATES = {"child_abuse": 0.5, "sexual_violence": 0.3}  # sexual: child victims only


@dataclass(frozen=True)
class Agency:
    key: str  # used in file names
    name: str
    agency_type: str
    dialect: str  # which register layout its files use (see writers)
    wards: tuple[str, ...]  # the area it takes cases from
    rates: dict[str, float]
    gps_share: float
    kiswahili_share: float

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "agency_type": self.agency_type,
            "dialect": self.dialect,
            "wards": list(self.wards),
            "rates": self.rates,
            "gps_share": self.gps_share,
        }


def _nearest_wards(geo: Geography, sites: list[tuple[float, float]]) -> list[int]:
    """Index of the nearest site for every ward centroid."""
    out = []
    for poly in geo.ward_xy:
        c = poly.centroid
        out.append(int(np.argmin([np.hypot(c.x - sx, c.y - sy) for sx, sy in sites])))
    return out


def _slug(name: str) -> str:
    name = name.lower().replace("'", "")
    return "-".join("".join(ch if ch.isalnum() else " " for ch in name).split())


def build_agencies(geo: Geography) -> list[Agency]:
    """Three police stations (each with its station area), an area chief for the
    wards around the chief's camp, and three agencies that serve the whole area."""
    police = [p for p in geo.places if p.kind == "police"][:3]
    nearest = _nearest_wards(geo, [(p.x, p.y) for p in police])
    agencies = []
    dialects = ("police_a", "police_b", "police_c")
    gps = (0.0, 0.0, 0.12)  # one station has started using a phone app
    for k, station in enumerate(police):
        wards = tuple(c for c, n in zip(geo.codes, nearest, strict=True) if n == k)
        agencies.append(
            Agency(
                key=_slug(station.name),
                name=station.name,
                agency_type="police_station",
                dialect=dialects[k],
                wards=wards,
                rates=POLICE_RATES,
                gps_share=gps[k],
                kiswahili_share=0.15,
            )
        )
    camp = next(p for p in geo.places if p.name == "Chief's Camp")
    centre = geo.ward_xy[geo.codes.index(camp.ward_code)].centroid
    distance = [np.hypot(p.centroid.x - centre.x, p.centroid.y - centre.y) for p in geo.ward_xy]
    chief_wards = tuple(sorted(geo.codes[i] for i in np.argsort(distance)[:4]))
    chief = f"{geo.names[geo.codes.index(camp.ward_code)]} Location Chief"
    health = next(p for p in geo.places if p.name.endswith("Health Centre"))
    everywhere = tuple(geo.codes)
    for name, agency_type, dialect, wards, rates, gps_share, kiswahili in (
        (chief, "chief", "chief", chief_wards, CHIEF_RATES, 0.0, 0.7),
        (health.name, "health_facility", "health", everywhere, HEALTH_RATES, 0.45, 0.05),
        ("Tumaini Rescue Centre", "rescue_centre", "rescue", everywhere, RESCUE_RATES, 0.35, 0.3),
        ("Sub-County Children's Office", "childrens_office", "children", everywhere,
         CHILDREN_RATES, 0.0, 0.2),
    ):  # fmt: skip
        agencies.append(
            Agency(_slug(name), name, agency_type, dialect, wards, rates, gps_share, kiswahili)
        )
    return agencies


def _recorded(rng: np.random.Generator, agency: Agency, events: pd.DataFrame) -> np.ndarray:
    rate = events["category"].map(agency.rates).fillna(0.0).to_numpy(dtype=float)
    in_area = events["ward_code"].isin(agency.wards).to_numpy()
    if agency.agency_type == "childrens_office":
        minor = (events["victim_age"].between(0, 17)).to_numpy()
        rate = np.where(events["category"].eq("sexual_violence").to_numpy() & ~minor, 0.0, rate)
    return np.flatnonzero(in_area & (rng.random(len(events)) < rate))


# How each kind of agency learns the time: (share with no time written, clock rounding
# in minutes, spread of the time in minutes, report delay range in hours).
_TIMING = {
    "police_station": (0.03, 15, 0, (0.2, 30)),
    "chief": (0.45, 60, 30, (2, 72)),
    "health_facility": (0.2, 5, 40, (0.5, 8)),
    "rescue_centre": (0.55, 30, 90, (24, 240)),
    "childrens_office": (0.75, 30, 60, (24, 336)),
}


def _times(rng: np.random.Generator, agency: Agency, ev: pd.DataFrame) -> pd.DataFrame:
    """As-recorded start, end of window, whether a time was written, and report time."""
    n = len(ev)
    no_time, rounding, spread, (d_lo, d_hi) = _TIMING[agency.agency_type]
    true = ev["occurred_at"].to_numpy(dtype="datetime64[m]")
    shift = np.round(rng.normal(0, spread, n)) if spread else np.zeros(n)
    when = true + shift.astype("int64") * np.timedelta64(1, "m")
    minutes = when.astype("int64")
    when = (np.round(minutes / rounding) * rounding).astype("int64").astype("datetime64[m]")
    if agency.agency_type == "rescue_centre":  # survivors recall the day, not always right
        slip = rng.choice([-1, 0, 0, 0, 0, 0, 0, 0, 0, 1], n)
        when = when + slip * np.timedelta64(1, "D")
    has_time = ev["time_known"].to_numpy() & (rng.random(n) >= no_time)
    window = ev["window_from"].notna().to_numpy()
    use_window = window & (agency.agency_type == "police_station")
    start = np.where(use_window, ev["window_from"].to_numpy(dtype="datetime64[m]"), when)
    until = np.where(use_window, ev["window_to"].to_numpy(dtype="datetime64[m]"),
                     np.datetime64("NaT"))  # fmt: skip
    has_time = has_time | use_window
    delay = rng.uniform(d_lo, d_hi, n) * 60
    base = np.where(window, ev["window_to"].to_numpy(dtype="datetime64[m]"), true)
    reported = base + delay.astype("int64") * np.timedelta64(1, "m")
    return pd.DataFrame(
        {"occurred": start, "has_time": has_time, "until": until, "reported": reported}
    )


def agency_records(
    rng: np.random.Generator, geo: Geography, agency: Agency, events: pd.DataFrame
) -> pd.DataFrame:
    """The agency's records of true events, in as-recorded values (before formatting)."""
    ev = events.iloc[_recorded(rng, agency, events)].reset_index(drop=True)
    records = _times(rng, agency, ev)
    records.insert(0, "event_id", ev["event_id"].to_numpy())
    records["true_category"] = ev["category"].to_numpy()
    records["category_text"] = category_texts(
        rng, agency.agency_type, ev["category"].to_numpy(), ev["victim_age"].to_numpy()
    )
    writer = LocationWriter(geo, agency.kiswahili_share)
    texts, refs = writer.texts(rng, ev["x"].to_numpy(), ev["y"].to_numpy(),
                               ev["ward_code"].to_numpy())  # fmt: skip
    records["location_text"] = texts
    records["place"] = refs
    records["ward_code"] = ev["ward_code"].to_numpy()
    records["true_lat"], records["true_lon"] = ev["lat"].to_numpy(), ev["lon"].to_numpy()
    with_gps = rng.random(len(ev)) < agency.gps_share
    jitter_x, jitter_y = rng.normal(0, 6, len(ev)), rng.normal(0, 6, len(ev))
    lat, lon = geo.projection.to_latlon(ev["x"] + jitter_x, ev["y"] + jitter_y)
    records["gps_lat"] = np.where(with_gps, np.round(lat, 6), np.nan)
    records["gps_lon"] = np.where(with_gps, np.round(lon, 6), np.nan)
    records["victim_sex"] = ev["victim_sex"].to_numpy()
    records["victim_age"] = ev["victim_age"].to_numpy()
    return records
