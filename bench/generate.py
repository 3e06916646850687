"""Incidents at national scale over the real Kenya wards, written as template CSV files.

Vectorised numpy with the demo model's parameters (etl.demo.model): the category mix
(ANNUAL), hot-spot shares and kinds, hour-of-day profiles with night peaks, weekday
and December effects, date-only rows, burglaries known only as a night window, and
victims. Space is national: Kenyan wards were drawn to hold similar populations, so
the background picks wards uniformly (a person-weighted draw) and a point uniformly
inside; hot spots are Gaussian blobs around random points in the smallest (densest,
urban) wards. Time spans two years, so year-to-date comparisons have a last year.

    python -m bench.generate --rows 1000000 --out /tmp/bench.csv [--text-only]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

from etl.demo import model
from etl.demo.dialects import POLICE_STATUS
from etl.demo.geography import M_PER_DEG
from etl.demo.wording import BY_AGENCY_TYPE

REPO = Path(__file__).resolve().parent.parent
KENYA_WARDS = REPO.parent / "shared" / "geodata" / "kenya-wards" / "kenya_wards.shp"
WARD_FIELDS = {
    "code_field": "wardcode",
    "name_field": "ward",
    "county_field": "county",
    "constituency_field": "const",
}
END = date(2024, 12, 31)
DAYS = 731
HOT_SPOTS = 400  # national: about 150 urban wards with several each
URBAN_SHARE = 0.15  # hot spots sit in the smallest wards by area
COLUMNS = (
    "agency",
    "agency_type",
    "record_ref",
    "category",
    "occurred_on",
    "occurred_time",
    "occurred_until",
    "reported_on",
    "latitude",
    "longitude",
    "location",
    "ward",
    "victim_sex",
    "victim_age",
    "status",
)


@dataclass(frozen=True)
class Wards:
    """The boundary file's wards, as arrays the generator indexes."""

    codes: np.ndarray
    names: np.ndarray
    constituencies: np.ndarray
    geoms: np.ndarray  # shapely polygons, prepared
    bounds: np.ndarray  # (n, 4) minx, miny, maxx, maxy
    areas: np.ndarray


def read_wards(path: Path = KENYA_WARDS) -> Wards:
    frame = gpd.read_file(path).to_crs(4326)
    geoms = shapely.make_valid(np.asarray(frame.geometry.array))
    shapely.prepare(geoms)
    return Wards(
        codes=frame["wardcode"].astype(str).to_numpy(),
        names=frame["ward"].astype(str).to_numpy(),
        constituencies=frame["const"].astype(str).str.title().to_numpy(),
        geoms=geoms,
        bounds=shapely.bounds(geoms),
        areas=frame.to_crs(21037).area.to_numpy(),
    )


def _uniform_in_wards(rng, wards: Wards, ward_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A uniform point inside each row's ward (rejection sampling in its bounding box)."""
    lon, lat = np.empty(len(ward_idx)), np.empty(len(ward_idx))
    order = np.argsort(ward_idx, kind="stable")
    counts = np.bincount(ward_idx, minlength=len(wards.codes))
    starts = np.concatenate([[0], np.cumsum(counts)])
    for w in np.flatnonzero(counts):
        rows = order[starts[w] : starts[w + 1]]
        minx, miny, maxx, maxy = wards.bounds[w]
        got_x, got_y, got = [], [], 0
        while got < len(rows):
            need = len(rows) - got
            x, y = rng.uniform(minx, maxx, 3 * need + 64), rng.uniform(miny, maxy, 3 * need + 64)
            inside = shapely.contains_xy(wards.geoms[w], x, y)
            got_x.append(x[inside][:need])
            got_y.append(y[inside][:need])
            got += len(got_x[-1])
        lon[rows], lat[rows] = np.concatenate(got_x), np.concatenate(got_y)
    return lat, lon


def _hot_spots(rng, wards: Wards) -> tuple[np.ndarray, ...]:
    """Centres (lat, lon), sigma in metres, ward index and categories of each hot spot."""
    urban = np.argsort(wards.areas)[: int(len(wards.areas) * URBAN_SHARE)]
    ward_idx = rng.choice(urban, HOT_SPOTS)
    lat, lon = _uniform_in_wards(rng, wards, ward_idx)
    kinds = list(model.HOT_SPOT_KINDS.values())
    kind = np.arange(HOT_SPOTS) % len(kinds)
    sigma = np.array([kinds[k][1] / 2 for k in kind])  # as model.HotSpot.sigma_m
    weight = rng.uniform(0.7, 1.5, HOT_SPOTS)
    return lat, lon, sigma, ward_idx, [kinds[k][2] for k in kind], weight


def _categories(rng, n: int) -> np.ndarray:
    names = np.array(list(model.ANNUAL))
    share = np.array(list(model.ANNUAL.values()), dtype=float)
    return names[rng.choice(len(names), n, p=share / share.sum())]


def _places(rng, wards: Wards, categories: np.ndarray):
    """lat, lon and ward index per incident: a hot spot's blob or the background."""
    n = len(categories)
    lat, lon = np.empty(n), np.empty(n)
    ward = rng.integers(0, len(wards.codes), n)
    h_lat, h_lon, h_sigma, h_ward, h_cats, h_weight = _hot_spots(rng, wards)
    hot = np.zeros(n, dtype=bool)
    for category in np.unique(categories):
        idx = np.flatnonzero(categories == category)
        own = np.array([category in cats for cats in h_cats])
        share = model.HOT_SHARE.get(category, 0.0) if own.any() else 0.0
        sel = idx[rng.random(len(idx)) < share]
        if not len(sel):
            continue
        spots = np.flatnonzero(own)
        pick = spots[rng.choice(len(spots), len(sel), p=h_weight[own] / h_weight[own].sum())]
        metres = rng.normal(0.0, 1.0, (len(sel), 2)) * h_sigma[pick, None]
        lat[sel] = h_lat[pick] + metres[:, 1] / M_PER_DEG
        lon[sel] = h_lon[pick] + metres[:, 0] / (M_PER_DEG * np.cos(np.radians(h_lat[pick])))
        ward[sel] = h_ward[pick]
        hot[sel] = True
    lat[~hot], lon[~hot] = _uniform_in_wards(rng, wards, ward[~hot])
    return lat.round(6), lon.round(6), ward


def _moments(rng, categories: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Day index (0 = first day) and minute of day, by each category's profiles."""
    days = pd.date_range(end=END, periods=DAYS, freq="D")
    weekday, month = days.day_of_week.to_numpy(), days.month.to_numpy()
    month_factor = np.array([model.MONTH_FACTOR.get(m, 1.0) for m in range(1, 13)])[month - 1]
    day = np.empty(len(categories), dtype=np.int64)
    minute = np.empty(len(categories), dtype=np.int64)
    for category in np.unique(categories):
        idx = np.flatnonzero(categories == category)
        factor = np.asarray(model.WEEKDAY_FACTOR.get(category, (1.0,) * 7))[weekday]
        weights = factor * month_factor
        day[idx] = rng.choice(DAYS, len(idx), p=weights / weights.sum())
        weekend = weekday[day[idx]] >= 4
        hours = np.empty(len(idx), dtype=np.int64)
        for is_weekend in (False, True):
            table = model.WEEKEND_HOUR_PROFILES if is_weekend else {}
            profile = np.asarray(table.get(category, model.HOUR_PROFILES[category]))
            mask = weekend == is_weekend
            hours[mask] = rng.choice(24, mask.sum(), p=profile / profile.sum())
        minute[idx] = hours * 60 + rng.integers(0, 60, len(idx))
    return day, minute


def _texts(lookup: list[str], index: np.ndarray) -> pa.Array:
    """Strings from a small table by index, as Arrow dictionary-decoded text."""
    return pa.DictionaryArray.from_arrays(
        pa.array(index, pa.int32()), pa.array(lookup, pa.string())
    ).cast(pa.string())


def _clock(minutes: np.ndarray, blank: np.ndarray) -> pa.Array:
    table = [f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)] + [""]
    return _texts(table, np.where(blank, 1440, minutes))


def incidents(rows: int, wards: Wards, seed: int = 8) -> pd.DataFrame:
    """`rows` incidents as plain columns (not yet template text): category, wording,
    day, minute, time_known, window, lat, lon, ward index, agency index, victim."""
    rng = np.random.default_rng(seed)
    categories = _categories(rng, rows)
    lat, lon, ward = _places(rng, wards, categories)
    day, minute = _moments(rng, categories)
    window = (categories == "burglary") & (rng.random(rows) < model.BURGLARY_WINDOW_SHARE)
    known = window | (rng.random(rows) >= model.NO_TIME_SHARE)
    minute = np.where(window, rng.choice([20, 21, 22, 23], rows) * 60, minute)
    until = np.where(window, rng.choice([5, 6, 7], rows) * 60, -1)
    frame = pd.DataFrame(
        {
            "category": categories,
            "day": day,
            "minute": minute,
            "time_known": known,
            "until_minute": until,
            "lat": lat,
            "lon": lon,
            "ward": ward,
        }
    )
    _victims(rng, frame)
    frame["status"] = rng.choice(len(POLICE_STATUS), rows)
    frame["wording"] = _wordings(rng, categories)
    frame["report_lag"] = rng.choice([0, 0, 0, 1, 1, 2, 7], rows)
    return frame


def _victims(rng, frame: pd.DataFrame) -> None:
    n = len(frame)
    sex = np.full(n, 2)  # 0 F, 1 M, 2 none
    age = np.full(n, -1)
    for category, spec in model.VICTIMS.items():
        if spec is None:
            continue
        idx = np.flatnonzero(frame["category"].to_numpy() == category)
        female, lo, hi = spec
        sex[idx] = np.where(rng.random(len(idx)) < female, 0, 1)
        age[idx] = rng.integers(lo, hi + 1, len(idx))
    frame["victim_sex"], frame["victim_age"] = sex, age


def _wordings(rng, categories: np.ndarray) -> np.ndarray:
    """A police register's wording for each category (etl.demo.wording's table)."""
    table = BY_AGENCY_TYPE["police_station"]
    out = np.empty(len(categories), dtype=object)
    for category in np.unique(categories):
        idx = np.flatnonzero(categories == category)
        choices = np.asarray(table[category], dtype=object)
        out[idx] = choices[rng.integers(0, len(choices), len(idx))]
    return out


def template_table(frame: pd.DataFrame, wards: Wards, gps: bool = True) -> pa.Table:
    """The incidents as the template's text columns; `gps=False` leaves coordinates
    empty and names the place only by its ward (text-only placing)."""
    n = len(frame)
    day_text = np.datetime_as_string(
        np.datetime64(END) - np.timedelta64(DAYS - 1, "D") + frame["day"].to_numpy(), unit="D"
    )
    reported = np.datetime_as_string(
        np.datetime64(END)
        - np.timedelta64(DAYS - 1, "D")
        + (frame["day"] + frame["report_lag"]).to_numpy(),
        unit="D",
    )
    until = frame["until_minute"].to_numpy()
    next_day = np.datetime_as_string(
        np.datetime64(END) - np.timedelta64(DAYS - 2, "D") + frame["day"].to_numpy(), unit="D"
    )
    until_text = pc.if_else(
        pa.array(until >= 0),
        pc.binary_join_element_wise(
            pa.array(next_day.astype(object), pa.string()),
            _clock(np.maximum(until, 0), until < 0),
            " ",
        ),
        "",
    )
    ward = frame["ward"].to_numpy()
    agencies = sorted(set(wards.constituencies))
    agency_of = pd.Index(agencies).get_indexer(wards.constituencies[ward])
    station_names = [f"{name} Police Station" for name in agencies]
    sex = ["F", "M", ""]
    age = frame["victim_age"].to_numpy()
    columns = {
        "agency": _texts(station_names, agency_of),
        "agency_type": pa.array(np.full(n, "police_station", dtype=object), pa.string()),
        "record_ref": pc.binary_join_element_wise(
            "OB", pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), " "
        ),
        "category": pa.array(frame["wording"].to_numpy(), pa.string()),
        "occurred_on": pa.array(day_text.astype(object), pa.string()),
        "occurred_time": _clock(frame["minute"].to_numpy(), ~frame["time_known"].to_numpy()),
        "occurred_until": until_text,
        "reported_on": pa.array(reported.astype(object), pa.string()),
        "latitude": pa.array(frame["lat"].to_numpy() if gps else np.full(n, None), pa.float64()),
        "longitude": pa.array(frame["lon"].to_numpy() if gps else np.full(n, None), pa.float64()),
        "location": pa.array(np.full(n, "", dtype=object), pa.string()),
        "ward": _texts(list(wards.names), ward) if not gps else pa.nulls(n, pa.string()),
        "victim_sex": _texts(sex, frame["victim_sex"].to_numpy()),
        "victim_age": pa.array(np.where(age >= 0, age, None), pa.int64()),
        "status": _texts(list(POLICE_STATUS), frame["status"].to_numpy()),
    }
    return pa.table([columns[c] for c in COLUMNS], names=list(COLUMNS))


def write_csv(table: pa.Table, path: Path) -> Path:
    """Write with Arrow: a header row, quoted only where needed, empty for missing."""
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    pacsv.write_csv(table, path, options)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--text-only", action="store_true", help="ward names, no GPS")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    wards = read_wards()
    frame = incidents(args.rows, wards, args.seed)
    write_csv(template_table(frame, wards, gps=not args.text_only), args.out)
    print(f"wrote {args.rows:,} incidents to {args.out}")


if __name__ == "__main__":
    main()
