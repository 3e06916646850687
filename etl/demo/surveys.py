"""The demo's safety audit survey round, feedback on police services and case status
progressions, consistent with the demo's true events and agency records.

Survey: about RESPONDENTS households across the wards, interviewed in the ten days
after the incident year, as a KoboToolbox CSV export (`;`, group paths, select_multiple
with 0/1 option columns, names and phone numbers that the loader must drop). For each
ward and category in DARK_FIGURE the chance a household was victimised is
DARK_FIGURE[c] x (distinct true events of c in the ward that some agency recorded) /
households: so the survey-estimated victimisations over recorded events has the known
expectation DARK_FIGURE[c]. Feeling unsafe after dark follows the ward's share of
events after dark; trust in police (about 35%) follows the station covering the ward,
and so do its feedback ratings.
Case status progressions for the police registers are in etl.demo.justice.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from etl.demo import formats
from geodata.vocab import vocab_key

SURVEY_FOLDER = "surveys"
EXPORT_FILE = "safety_audit_kobo.csv"
MAPPING_FILE = "safety_audit_mapping.csv"
FEEDBACK_FILE = "police_feedback.csv"
ROUND_NAME = "Safety audit round 1"
RESPONDENTS = 1500
FEEDBACK_RECORDS = 600
HOUSEHOLD_SIZE = 4.0
FIELDWORK_DAYS = 10
# Survey victimisations per distinct recorded event (the planted dark figure).
DARK_FIGURE: dict[str, float] = {
    "theft": 3.0,
    "burglary": 1.6,
    "robbery": 2.5,
    "assault": 4.0,
    "sexual_violence": 6.0,
    "domestic_violence": 8.0,
}
_MULTIPLE = ("theft", "burglary", "robbery", "assault")  # one select_multiple question
_SENSITIVE = {"sexual_violence": "grp_victim/sv", "domestic_violence": "grp_victim/dv"}
STATION_TRUST = (0.28, 0.36, 0.44)  # per police station, in the order of the agencies
CHANNELS = {"sms": 35, "ussd": 20, "paper": 18, "web": 10, "phone": 12, "in_person": 5}
COMPLAINTS = {
    "delay": 5,
    "rudeness": 3,
    "no_feedback": 4,
    "bribery": 2,
    "lost_file": 1,
    "refused_to_record": 1,
}


@dataclass
class SurveyDemo:
    folder: Path
    export: Path
    mapping: Path
    feedback: Path
    truth: dict = field(default_factory=dict)


def recorded_events(build) -> pd.DataFrame:
    """Distinct true events some agency recorded in a row the ETL keeps."""
    ids = {r["event_id"] for f in build.files for r in f.records if not r["quarantine"]}
    return build.events[build.events["event_id"].isin(ids)]


def _dark_share(events: pd.DataFrame) -> pd.Series:
    hours = pd.to_datetime(events["occurred_at"]).dt.hour
    dark = (hours >= 19) | (hours < 6)
    return dark.groupby(events["ward_code"]).mean()


def _station_of_ward(build) -> dict[str, int]:
    police = [f.agency for f in build.files if f.agency.agency_type == "police_station"]
    return {code: k for k, agency in enumerate(police) for code in agency.wards}


def _weights(rng: np.random.Generator, wards: np.ndarray, households: dict) -> np.ndarray:
    """Expansion weights: each ward's respondents sum to its households, with a
    non-response adjustment spread of about 30%."""
    adjust = rng.lognormal(0.0, 0.3, len(wards))
    out = np.empty(len(wards))
    for code in np.unique(wards):
        at = wards == code
        out[at] = households[code] * adjust[at] / adjust[at].sum()
    return np.round(out, 3)


def _place_texts(rng, places: list, weights: np.ndarray, n: int) -> str:
    if not places or n == 0:
        return ""
    chosen = rng.choice(len(places), size=min(n, len(places)), replace=False, p=weights)
    texts = []
    for k in chosen:
        name = places[k].name
        style = rng.integers(5)
        texts.append(
            [name, name.lower(), f"near {name}", f"{name} area", f"karibu na {name}"][style]
        )
    return "; ".join(texts)


def _unsafe_place_weights(geo, events: pd.DataFrame, code: str) -> tuple[list, np.ndarray]:
    """Places in or next to the ward, weighted by the true events within 400 m."""
    ward_events = events[events["ward_code"] == code]
    candidates = [p for p in geo.places if p.ward_code == code and p.kind != "police"]
    if not candidates:
        return [], np.array([])
    ex, ey = ward_events["x"].to_numpy(), ward_events["y"].to_numpy()
    near = np.array([((ex - p.x) ** 2 + (ey - p.y) ** 2 < 400**2).sum() for p in candidates])
    weight = 0.5 + near.astype(float) ** 1.5
    return candidates, weight / weight.sum()


def _victims(rng: np.random.Generator, ward: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """Who was victimised: in each ward n x p respondents (rounded at random), chosen
    at random. Fixing the count rather than drawing each respondent keeps the round's
    estimate close to the planted dark figure, so the demo shows it rather than luck."""
    out = np.zeros(len(ward), dtype=bool)
    for code in np.unique(ward):
        at = np.flatnonzero(ward == code)
        expected = len(at) * p[code]
        count = int(expected) + int(rng.random() < expected - int(expected))
        out[rng.choice(at, size=count, replace=False)] = True
    return out


def _answers(rng, n: int, p, yes: str, no: str, missing: str, missing_share: float) -> list:
    draw = rng.random(n) < p
    gone = rng.random(n) < missing_share
    return [missing if g else yes if d else no for d, g in zip(draw, gone, strict=True)]


def _respondents(rng, build, end: date) -> tuple[pd.DataFrame, dict]:
    geo = build.geography
    codes = np.array(geo.codes)
    households = {c: float(w) / HOUSEHOLD_SIZE for c, w in zip(codes, geo.weights, strict=True)}
    ward = rng.choice(codes, RESPONDENTS)  # about equal allocation across wards
    weights = _weights(rng, ward, households)
    recorded = recorded_events(build)
    counts = recorded.groupby(["ward_code", "category"]).size()
    frame = pd.DataFrame({"ward": ward, "weight": weights})
    truth_p = {}
    for category, factor in DARK_FIGURE.items():
        truth_p[category] = {
            w: float(min(factor * counts.get((w, category), 0) / households[w], 0.6))
            for w in geo.codes
        }
        frame[category] = _victims(rng, ward, truth_p[category])
    dark = _dark_share(build.events).reindex(codes).fillna(0.4)
    unsafe_p = np.clip(0.25 + 1.2 * (dark - 0.35), 0.1, 0.9)
    station = _station_of_ward(build)
    trust_p = {c: STATION_TRUST[station.get(c, 1) % len(STATION_TRUST)] for c in codes}
    frame["unsafe_p"] = frame["ward"].map(unsafe_p)
    frame["trust_p"] = frame["ward"].map(trust_p)
    truth = {
        "dark_figure": DARK_FIGURE,
        "victimised_probability": truth_p,
        "recorded_events": {f"{w}|{c}": int(v) for (w, c), v in counts.items() if c in DARK_FIGURE},
        "households": households,
        "unsafe_after_dark_probability": {c: float(v) for c, v in unsafe_p.items()},
        "trust_police_probability": trust_p,
    }
    return frame, truth


def _export_rows(rng, build, frame: pd.DataFrame, end: date) -> tuple[list[str], list[list]]:
    geo = build.geography
    names = dict(zip(geo.codes, geo.names, strict=True))
    n = len(frame)
    header = [
        "start",
        "end",
        "today",
        "deviceid",
        "grp_respondent/consent",
        "grp_respondent/respondent_name",
        "grp_respondent/phone_number",
        "grp_respondent/sex",
        "grp_location/ward",
        "grp_victim/crimes_experienced",
        *[f"grp_victim/crimes_experienced/{o}" for o in (*_MULTIPLE, "none")],
        *_SENSITIVE.values(),
        "grp_safety/walk_after_dark",
        "grp_safety/unsafe_places",
        "grp_police/trust_police",
        "weight",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_index",
    ]
    people, phones = formats.full_names(rng, n), formats.phones(rng, n)
    unsafe = _answers(rng, n, frame["unsafe_p"].to_numpy(), "unsafe", "safe", "dont_know", 0.03)
    very = rng.random(n) < 0.4
    trust = _answers(rng, n, frame["trust_p"].to_numpy(), "trust", "not_much", "dont_know", 0.05)
    places = {c: _unsafe_place_weights(geo, build.events, c) for c in geo.codes}
    first = datetime.combine(end + timedelta(days=1), datetime.min.time())
    rows = []
    for i, rec in enumerate(frame.to_dict("records")):
        walk = {
            "unsafe": "very_unsafe" if very[i] else "unsafe",
            "safe": "very_safe" if very[i] else "safe",
        }.get(unsafe[i], unsafe[i])
        told = {
            "trust": rng.choice(["a_lot", "somewhat"], p=[0.3, 0.7]),
            "not_much": rng.choice(["not_much", "not_at_all"]),
        }.get(trust[i], trust[i])
        crimes = [o for o in _MULTIPLE if rec[o]]
        said = " ".join(crimes) or "none"
        named = rng.integers(1, 3) if walk in ("unsafe", "very_unsafe") else rng.integers(0, 2)
        text = _place_texts(rng, *places[rec["ward"]], int(named))
        # Interviews by day, 08:00 to 18:00; the first on the first morning.
        day = 0 if i == 0 else int(rng.integers(FIELDWORK_DAYS))
        minute = 9 * 60 if i == 0 else int(rng.integers(8 * 60, 18 * 60))
        when = first + timedelta(days=day, minutes=minute)
        sensitive = [
            "refused" if rng.random() < 0.04 else "yes" if rec[c] else "no" for c in _SENSITIVE
        ]
        server = when - timedelta(hours=3) + timedelta(minutes=int(rng.integers(5, 600)))
        rows.append(
            [
                (when - timedelta(minutes=25)).isoformat(timespec="milliseconds") + "+03:00",
                when.isoformat(timespec="milliseconds") + "+03:00",
                when.date().isoformat(),
                f"collect:{rng.integers(10**9, 10**10)}",
                "yes",
                people[i],
                phones[i],
                rng.choice(["female", "male"]),
                vocab_key(names[rec["ward"]]),
                said,
                *[int(o in crimes) for o in _MULTIPLE],
                int(not crimes),
                *sensitive,
                walk,
                text,
                told,
                rec["weight"],
                10_000 + i,
                str(uuid.UUID(bytes=rng.bytes(16), version=4)),
                server.isoformat(timespec="seconds"),
                "",
                i + 1,
            ]
        )
    return header, rows


def mapping_csv() -> bytes:
    lines = [
        "meaning,question,value,category,missing,blank",
        "ward,grp_location/ward,,,,",
        "weight,weight,expansion,,,",
    ]
    lines += [f"victimisation,grp_victim/crimes_experienced,{c},{c},,no" for c in _MULTIPLE]
    lines += [f"victimisation,{q},yes,{c},refused," for c, q in _SENSITIVE.items()]
    lines += [
        "unsafe_after_dark,grp_safety/walk_after_dark,unsafe|very_unsafe,,dont_know,",
        "trust_police,grp_police/trust_police,a_lot|somewhat,,dont_know,",
        "unsafe_places,grp_safety/unsafe_places,text,,,",
        "setting,reference_months,12,,,",
        f"setting,unit_size,{HOUSEHOLD_SIZE:g},,,",
    ]
    return ("\n".join(lines) + "\n").encode()


def _csv(header: list[str], rows: list[list], sep: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def feedback_rows(rng, build, start: date, end: date) -> tuple[list[str], list[list]]:
    """FEEDBACK_RECORDS records across the police stations: better-trusted stations
    get better ratings; about 45% carry a complaint, about half of them resolved."""
    police = [f.agency for f in build.files if f.agency.agency_type == "police_station"]
    days = (end - start).days + 1
    rows = []
    channels, shares = list(CHANNELS), np.array(list(CHANNELS.values()), float)
    kinds, kind_p = list(COMPLAINTS), np.array(list(COMPLAINTS.values()), float)
    for _ in range(FEEDBACK_RECORDS):
        k = int(rng.integers(len(police)))
        trust = STATION_TRUST[k % len(STATION_TRUST)]
        mean = 1.5 + 5 * trust  # 2.9 to 3.7
        rating = int(np.clip(np.round(rng.normal(mean, 1.1)), 1, 5))
        complaint = rng.random() < (0.75 if rating <= 2 else 0.3)
        category = str(rng.choice(kinds, p=kind_p / kind_p.sum())) if complaint else ""
        resolved = ("yes" if rng.random() < 0.3 + trust else "no") if complaint else ""
        day = start + timedelta(days=int(rng.integers(days)))
        channel = str(rng.choice(channels, p=shares / shares.sum()))
        rows.append([police[k].name, day.isoformat(), channel, rating, category, resolved])
    rows.sort(key=lambda r: (r[1], r[0]))
    return ["station", "date", "channel", "rating", "complaint_category", "resolved"], rows


def build_survey(rng: np.random.Generator, build, start: date, end: date) -> SurveyDemo:
    """Write the survey export, its mapping and the feedback file under
    `build.folder / SURVEY_FOLDER`; same seed, same bytes."""
    folder = build.folder / SURVEY_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    frame, truth = _respondents(rng, build, end)
    header, rows = _export_rows(rng, build, frame, end)
    demo = SurveyDemo(folder, folder / EXPORT_FILE, folder / MAPPING_FILE, folder / FEEDBACK_FILE)
    demo.export.write_bytes(_csv(header, rows, sep=";"))
    demo.mapping.write_bytes(mapping_csv())
    demo.feedback.write_bytes(_csv(*feedback_rows(rng, build, start, end)))
    fieldwork = (end + timedelta(days=1)).isoformat()
    demo.truth = {
        "round": ROUND_NAME,
        "fieldwork_from": fieldwork,
        "respondents": len(rows),
        **truth,
    }
    return demo


def load_survey_demo(engine, demo: SurveyDemo) -> list[str]:
    """Load the survey round and the feedback file like a user would; summary lines."""
    from etl.feedback import load_feedback
    from etl.surveys import load_survey

    survey = load_survey(demo.export, demo.mapping, ROUND_NAME, engine=engine)
    feedback = load_feedback(demo.feedback, engine=engine)
    return [
        f"survey: {survey['rows_read']} responses in round {survey['round']!r} "
        f"({len(survey['dropped_columns'])} personal columns dropped unread)",
        f"feedback: {feedback['rows_read']} records from {feedback['stations']} stations",
    ]
