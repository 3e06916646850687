"""Each agency's own register layout: its headers, date and time habits, record
references, and the personal columns its clerks keep (filled with fake values).

A builder takes the agency's records sorted by report time and returns the columns
in header order (`Dialect.columns`), the record references, and the as-written
coordinates. The headers are the registers' own words, which the template's header
synonyms must recognise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import numpy as np
import pandas as pd

from etl.demo import formats as f


@dataclass(frozen=True)
class Dialect:
    name: str
    file_format: str  # csv | xlsx
    encoding: str
    separator: str
    files_per_year: int
    ref_header: str
    date_header: str
    date_style: str
    category_header: str


DIALECTS = {
    d.name: d
    for d in (
        Dialect("police_a", "csv", "utf-8", ",", 4, "OB No.", "Date", "dmy", "Offence"),
        Dialect("police_b", "csv", "utf-8-sig", ",", 4, "OB Number", "Date of Occurrence",
                "iso", "Offense"),
        Dialect("police_c", "csv", "utf-8", ",", 4, "O.B. Ref", "Date", "dmon", "Offence"),
        Dialect("health", "csv", "utf-8", ",", 4, "Register No.", "Date of Incident",
                "dmy_short", "Nature of case"),
        Dialect("chief", "csv", "cp1252", ";", 2, "Case No", "Date", "dmy", "Nature of Case"),
        Dialect("rescue", "xlsx", "", "", 1, "Case No", "Incident Date", "xlsx",
                "Incident Type"),
        Dialect("children", "csv", "utf-8", ",", 1, "Ref No", "Date of Occurrence", "dmy",
                "Case Type"),
    )
}  # fmt: skip
POLICE_STATUS = {"PUI": 5, "Under investigation": 3, "PBC": 1, "Taken to court": 1,
                 "Withdrawn": 0.5, "Convicted": 0.3}  # fmt: skip
INJURIES = {"Cut wound": 3, "Bruises": 3, "Fracture": 1, "Soft tissue injury": 2, "None": 2}


def _ward_texts(rng: np.random.Generator, codes, names: dict[str, str]) -> list[str]:
    out = []
    for code, draw in zip(codes, rng.random(len(codes)), strict=True):
        name = names.get(code, "")
        if draw < 0.1:
            out.append("")
        elif draw < 0.25:
            out.append(name.upper())
        elif draw < 0.35:
            out.append(f"{name} Ward")
        else:
            out.append(name)
    return out


def _until(values, style: str) -> list[str]:
    return ["" if pd.isna(u) else f.time_text(pd.Timestamp(u), style) for u in values]


def _gps_pair(lat, lon, rng: np.random.Generator) -> list[str]:
    """`-0.812345, 36.951234`, sometimes with hemisphere letters instead of a sign."""
    out = []
    for a, b, draw in zip(lat, lon, rng.random(len(lat)), strict=True):
        if np.isnan(a):
            out.append("")
        elif draw < 0.15:
            out.append(f"{abs(a):.6f} {'S' if a < 0 else 'N'}, {b:.6f} E")
        else:
            out.append(f"{a:.6f}, {b:.6f}")
    return out


def police_a(rng, r: pd.DataFrame, names: dict[str, str]) -> tuple[dict, list[str]]:
    rep = r["reported"]
    seq = f.day_sequence(rep.dt.normalize(), rng)
    refs = [f"OB {n}/{t:%d/%m/%Y}" for n, t in zip(seq, rep, strict=True)]
    n = len(r)
    return {
        "OB No.": refs,
        "Date": f.dates(rng, r["occurred"], "dmy", ("dmy_short", "dmon"), 0.12),
        "Time": f.times(rng, r["occurred"], r["has_time"], "hrs", ("hhmm",), 0.1),
        "Until": _until(r["until"], "hrs"),
        "Date Reported": f.dates(rng, rep, "dmy"),
        "Offence": list(r["category_text"]),
        "Place of Occurrence": list(r["location_text"]),
        "Complainant": f.full_names(rng, n),
        "Phone": f.phones(rng, n),
        "Sex": f.sexes(r["victim_sex"], "F", "M"),
        "Age": f.ages(rng, r["victim_age"]),
        "Action Taken": f.choices(rng, n, POLICE_STATUS),
    }, refs


def police_b(rng, r: pd.DataFrame, names: dict[str, str]) -> tuple[dict, list[str]]:
    rep = r["reported"]
    seq = f.day_sequence(rep.dt.normalize(), rng)
    refs = [f"OB/{n}/{t:%d/%m/%Y}" for n, t in zip(seq, rep, strict=True)]
    n = len(r)
    until = ["" if pd.isna(u) else pd.Timestamp(u).strftime("%Y-%m-%d %H:%M") for u in r["until"]]
    return {
        "OB Number": refs,
        "Date of Occurrence": f.dates(rng, r["occurred"], "iso", ("dmy",), 0.08),
        "Time of Occurrence": f.times(rng, r["occurred"], r["has_time"], "hhmm"),
        "End Time": until,
        "Reported": [t.strftime("%Y-%m-%d %H:%M") for t in rep],
        "Offense": list(r["category_text"]),
        "Scene": list(r["location_text"]),
        "Ward": _ward_texts(rng, r["ward_code"], names),
        "Complainant Name": f.full_names(rng, n),
        "Tel No": f.phones(rng, n),
        "Gender": f.sexes(r["victim_sex"], "Female", "Male"),
        "Age": f.ages(rng, r["victim_age"], 0.2),
        "Case Status": f.choices(rng, n, POLICE_STATUS),
    }, refs


def police_c(rng, r: pd.DataFrame, names: dict[str, str]) -> tuple[dict, list[str]]:
    rep = r["reported"]
    seq = f.day_sequence(rep.dt.normalize(), rng)
    refs = [f"{n}/{t.day}/{t.month}/{t:%y}" for n, t in zip(seq, rep, strict=True)]
    n = len(r)
    return {
        "O.B. Ref": refs,
        "Date": f.dates(rng, r["occurred"], "dmon", ("dmy", "dlong"), 0.1),
        "Time": f.times(rng, r["occurred"], r["has_time"], "ampm_dot", ("ampm", "hrs"), 0.2),
        "To": _until(r["until"], "ampm_dot"),
        "Offence": list(r["category_text"]),
        "Place": list(r["location_text"]),
        "GPS": _gps_pair(r["gps_lat"], r["gps_lon"], rng),
        "Complainant": f.full_names(rng, n),
        "Mobile": f.phones(rng, n),
        "Sex": f.sexes(r["victim_sex"], "F", "M"),
        "Age": f.ages(rng, r["victim_age"]),
        "Status": f.choices(rng, n, POLICE_STATUS),
    }, refs


def health(rng, r: pd.DataFrame, names: dict[str, str]) -> tuple[dict, list[str]]:
    n = len(r)
    refs = [f"REG/{t:%Y}/{i + 1:04d}" for i, t in enumerate(r["reported"])]
    outcome = {"Referred to police": 2, "Referred": 2, "Treated": 4, "Admitted": 1}
    return {
        "Register No.": refs,
        "Date of Incident": f.dates(rng, r["occurred"], "dmy_short", ("dmy",), 0.3),
        "Time of Incident": f.times(rng, r["occurred"], r["has_time"], "ampm", ("hhmm",), 0.2),
        "Date of visit": f.dates(rng, r["reported"], "dmy_short"),
        "Nature of case": list(r["category_text"]),
        "Injury type": f.choices(rng, n, INJURIES),
        "Place": list(r["location_text"]),
        "GPS": _gps_pair(r["gps_lat"], r["gps_lon"], rng),
        "Patient Name": f.full_names(rng, n),
        "Phone": f.phones(rng, n),
        "Sex": f.sexes(r["victim_sex"], "Female", "Male"),
        "Age": f.ages(rng, r["victim_age"]),
        "Outcome": f.choices(rng, n, outcome),
    }, refs


def chief(rng, r: pd.DataFrame, names: dict[str, str]) -> tuple[dict, list[str]]:
    n = len(r)
    refs = [f"CH/{t:%y}/{i + 1:03d}" for i, t in enumerate(r["reported"])]
    # Word processors turn the clerk's apostrophes into curly ones (a cp1252 byte).
    curly = [t.replace("'", "\u2019") for t in r["location_text"]]
    action = {"Resolved locally": 3, "Reconciled": 2, "Referred to police": 3, "Referred": 1}
    return {
        "Case No": refs,
        "Date": f.dates(rng, r["occurred"], "dmy", ("dlong",), 0.25),
        "Time": f.times(rng, r["occurred"], r["has_time"], "hhmm", ("ampm_dot",), 0.3),
        "Nature of Case": [t.replace("'", "\u2019") for t in r["category_text"]],
        "Village": curly,
        "Complainant": f.full_names(rng, n),
        "ID No": f.id_numbers(rng, n),
        "Phone No": f.phones(rng, n),
        "Sex": f.sexes(r["victim_sex"], "ke", "me"),
        "Age": f.ages(rng, r["victim_age"]),
        "Action Taken": f.choices(rng, n, action),
    }, refs


def _xlsx_dates(rng, values) -> list:
    """Date cells, some typed in as text, some pasted as bare Excel serials."""
    out = []
    for v, draw in zip(values, rng.random(len(values)), strict=True):
        ts = pd.Timestamp(v)
        if draw < 0.12:
            out.append(int((ts.normalize() - pd.Timestamp("1899-12-30")).days))
        elif draw < 0.2:
            out.append(f.date_text(ts, "dmy"))
        else:
            out.append(ts.normalize().to_pydatetime())
    return out


def _xlsx_times(rng, values, known) -> list:
    out = []
    for v, k, draw in zip(values, known, rng.random(len(values)), strict=True):
        ts = pd.Timestamp(v)
        if not k:
            out.append(None)
        elif draw < 0.7:
            out.append(time(ts.hour, ts.minute))
        else:
            out.append(f.time_text(ts, "hrs"))
    return out


def _maybe_swapped(rng, lat, lon) -> tuple[list, list]:
    """Coordinates as numbers; now and then typed into each other's column."""
    a, b = [], []
    for x, y, draw in zip(lat, lon, rng.random(len(lat)), strict=True):
        if np.isnan(x):
            a.append(None), b.append(None)
        elif draw < 0.05:
            a.append(float(y)), b.append(float(x))
        else:
            a.append(float(x)), b.append(float(y))
    return a, b


def rescue(rng, r: pd.DataFrame, names: dict[str, str]) -> tuple[dict, list[str]]:
    n = len(r)
    refs = [f"TRC-{t:%y}-{i + 1:03d}" for i, t in enumerate(r["reported"])]
    lat, lon = _maybe_swapped(rng, r["gps_lat"], r["gps_lon"])
    referred = {"Police": 3, "Hospital": 3, "Children's office": 1, "Legal aid": 1, "": 2}
    return {
        "Case No": refs,
        "Incident Date": _xlsx_dates(rng, r["occurred"]),
        "Time": _xlsx_times(rng, r["occurred"], r["has_time"]),
        "Date Reported": [pd.Timestamp(t).normalize().to_pydatetime() for t in r["reported"]],
        "Incident Type": list(r["category_text"]),
        "Survivor Name": f.full_names(rng, n),
        "Age": [None if a < 0 else int(a) for a in r["victim_age"]],
        "Sex": f.sexes(r["victim_sex"], "F", "M"),
        "Location": list(r["location_text"]),
        "GPS Lat": lat,
        "GPS Long": lon,
        "Referred To": f.choices(rng, n, referred),
        "Status": f.choices(rng, n, {"Referred": 3, "Under investigation": 2, "In court": 1}),
    }, refs


def children(rng, r: pd.DataFrame, names: dict[str, str]) -> tuple[dict, list[str]]:
    n = len(r)
    refs = [f"SCCO/{i + 1:04d}/{t:%y}" for i, t in enumerate(r["reported"])]
    return {
        "Ref No": refs,
        "Date of Occurrence": f.dates(rng, r["occurred"], "dmy", ("iso", "dmon"), 0.15),
        "Time of Occurrence": f.times(rng, r["occurred"], r["has_time"], "hhmm"),
        "Date Reported": f.dates(rng, r["reported"], "dmy"),
        "Case Type": list(r["category_text"]),
        "Locality": list(r["location_text"]),
        "Ward": _ward_texts(rng, r["ward_code"], names),
        "Child Name": f.full_names(rng, n),
        "Guardian Phone": f.phones(rng, n),
        "Sex": f.sexes(r["victim_sex"], "Female", "Male"),
        "Age": f.ages(rng, r["victim_age"], 0.3),
        "Action Taken": f.choices(rng, n, {"Referred": 2, "Resolved locally": 1, "PUI": 1}),
    }, refs


BUILDERS = {
    "police_a": police_a,
    "police_b": police_b,
    "police_c": police_c,
    "health": health,
    "chief": chief,
    "rescue": rescue,
    "children": children,
}
PERSONAL_HEADERS = (
    "Complainant", "Phone", "Complainant Name", "Tel No", "Mobile", "Patient Name", "ID No",
    "Phone No", "Survivor Name", "Child Name", "Guardian Phone",
)  # fmt: skip
