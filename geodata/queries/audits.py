"""Safety audit reads for the dashboard: survey indicators by ward and round with
their intervals, the dark figure (survey-estimated victimisations over recorded
incidents), feeling unsafe after dark against the after-dark share of recorded
incidents, and the places named as unsafe, matched to the gazetteer.

Recorded incidents are counted over the round's reference period (the
`reference_months` before fieldwork began), as distinct events: records of several
agencies linked as one event (geodata.linkage) count once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from geodata.cache import cached
from geodata.errors import ObservatoryError
from geodata.stats.survey_estimates import dark_figure, proportions_by_group

INDICATORS = ("unsafe_after_dark", "trust_police")
ALL_WARDS = "all"


@cached
def survey_rounds(engine: Engine) -> pd.DataFrame:
    """Every round: name, fieldwork_from, fieldwork_to, reference_months, weight_kind,
    unit_size, categories, respondents; newest fieldwork first."""
    sql = """
        SELECT r.name, r.fieldwork_from, r.fieldwork_to, r.reference_months, r.weight_kind,
               r.unit_size, r.categories, count(s.id) AS respondents
        FROM survey_rounds r LEFT JOIN survey_responses s ON s.round_id = r.id
        GROUP BY r.id ORDER BY r.fieldwork_from DESC NULLS LAST, r.name
    """
    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn)


def _round(engine: Engine, round_name: str) -> dict:
    rounds = survey_rounds(engine)
    found = rounds[rounds["name"] == round_name]
    if found.empty:
        raise ObservatoryError(
            f"no survey round is called {round_name!r}; load one with `observatory surveys load`."
        )
    return found.iloc[0].to_dict()


@cached
def survey_answers(engine: Engine, round_name: str) -> pd.DataFrame:
    """One row per respondent of a round: ward_code, ward_name, weight, and 1/0/NaN
    (not answered) columns unsafe_after_dark, trust_police and victimised:<category>
    for each category the round asked about."""
    info = _round(engine, round_name)
    sql = """
        SELECT s.ward_code, w.name AS ward_name, s.weight, s.victimised,
               s.unsafe_after_dark, s.trusts_police AS trust_police
        FROM survey_responses s
        JOIN survey_rounds r ON r.id = s.round_id
        LEFT JOIN wards w ON w.code = s.ward_code
        WHERE r.name = :name ORDER BY s.id
    """
    with engine.connect() as conn:
        frame = pd.read_sql(text(sql), conn, params={"name": round_name})
    for column in INDICATORS:
        frame[column] = frame[column].map({True: 1.0, False: 0.0}).astype(float)
    for category in info["categories"]:
        frame[f"victimised:{category}"] = [
            np.nan if (v := (d or {}).get(category)) is None else float(v)
            for d in frame["victimised"]
        ]
    return frame.drop(columns="victimised")


def _indicator_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c in INDICATORS or c.startswith("victimised:")]


@cached
def survey_indicators(engine: Engine, round_name: str) -> pd.DataFrame:
    """Weighted proportions with 95% intervals: columns ward_code (ALL_WARDS for the
    whole round), ward_name, indicator (unsafe_after_dark, trust_police,
    victimised:<category>), respondents, yes, weight_total, proportion, se, n_eff,
    low, high."""
    answers = survey_answers(engine, round_name)
    answers = answers.assign(ward_code=answers["ward_code"].fillna("?"))
    frames = []
    for indicator in _indicator_columns(answers):
        for by in (["ward_code"], []):
            table = proportions_by_group(answers, by, indicator, "weight")
            if not by:
                table.insert(0, "ward_code", ALL_WARDS)
            table.insert(1, "indicator", indicator)
            frames.append(table)
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    names = answers.dropna(subset=["ward_name"]).drop_duplicates("ward_code")
    out["ward_name"] = out["ward_code"].map(names.set_index("ward_code")["ward_name"])
    out.loc[out["ward_code"] == ALL_WARDS, "ward_name"] = "All surveyed wards"
    return out[out["ward_code"] != "?"].reset_index(drop=True)


def _reference_period(info: dict) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if info["fieldwork_from"] is None or pd.isna(info["fieldwork_from"]):
        return None
    end = pd.Timestamp(info["fieldwork_from"])
    return end - pd.DateOffset(months=int(info["reference_months"])), end


@cached
def recorded_by_ward_category(engine: Engine, start, end) -> pd.DataFrame:
    """Distinct recorded events per ward_code (None: not placed on a ward) and
    category with occurred_from in [start, end)."""
    sql = """
        SELECT ward_code, category,
               count(DISTINCT coalesce('g' || event_group_id, 'i' || id)) AS recorded
        FROM incidents
        WHERE occurred_from >= :start AND occurred_from < :end
        GROUP BY ward_code, category
    """
    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn, params={"start": start, "end": end})


def _populations(engine: Engine, info: dict, answers: pd.DataFrame) -> pd.Series:
    """People-units per ward: the sum of expansion weights, else the ward population
    over the round's unit size (NaN when the ward has no population)."""
    if info["weight_kind"] == "expansion":
        return answers.groupby("ward_code")["weight"].sum()
    with engine.connect() as conn:
        wards = pd.read_sql(text("SELECT code, population FROM wards"), conn)
    population = wards.set_index("code")["population"].astype(float) / float(info["unit_size"])
    return population.reindex(answers["ward_code"].dropna().unique())


@cached
def dark_figures(engine: Engine, round_name: str) -> pd.DataFrame:
    """Per ward (and ALL_WARDS) and category: proportion victimised with its interval,
    population, estimated victimisations, recorded events in the reference period,
    and ratio (estimated / recorded) with ratio_low, ratio_high. The ALL_WARDS row
    counts incidents without a ward too when every loaded ward was surveyed."""
    info = _round(engine, round_name)
    period = _reference_period(info)
    indicators = survey_indicators(engine, round_name)
    if period is None or indicators.empty:
        return pd.DataFrame()
    table = indicators[indicators["indicator"].str.startswith("victimised:")].copy()
    table["category"] = table["indicator"].str.removeprefix("victimised:")
    answers = survey_answers(engine, round_name)
    population = _populations(engine, info, answers)
    recorded = recorded_by_ward_category(engine, *period)
    surveyed = recorded[recorded["ward_code"].isin(population.index)]
    per_ward = surveyed.set_index(["ward_code", "category"])["recorded"]
    # When the survey covers every loaded ward, incidents not placed on any ward are
    # still in the surveyed area: the whole-area ratio counts them.
    with engine.connect() as conn:
        loaded = set(conn.execute(text("SELECT code FROM wards")).scalars())
    if loaded <= set(population.index):
        surveyed = recorded
    overall = surveyed.groupby("category")["recorded"].sum()
    table["population"] = [
        population.sum(min_count=1) if w == ALL_WARDS else population.get(w, np.nan)
        for w in table["ward_code"]
    ]
    table["recorded"] = [
        overall.get(c, 0) if w == ALL_WARDS else per_ward.get((w, c), 0)
        for w, c in zip(table["ward_code"], table["category"], strict=True)
    ]
    estimated, ratio, low, high = dark_figure(
        table["proportion"], table["low"], table["high"], table["population"], table["recorded"]
    )
    table["estimated"], table["ratio"], table["ratio_low"], table["ratio_high"] = (
        estimated,
        ratio,
        low,
        high,
    )
    columns = [
        "ward_code",
        "ward_name",
        "category",
        "respondents",
        "proportion",
        "low",
        "high",
        "population",
        "estimated",
        "recorded",
        "ratio",
        "ratio_low",
        "ratio_high",
    ]
    return table[columns].reset_index(drop=True)


@cached
def after_dark_by_ward(engine: Engine, start, end) -> pd.DataFrame:
    """Per ward: incidents in [start, end), known (with a time of day) and the
    expected after-dark count and share. Incidents placed only on a ward take the
    ward's point on surface for sunset (it moves under a minute across a ward)."""
    from geodata.stats.after_dark import dark_probability

    sql = """
        SELECT i.ward_code, i.occurred_from, i.occurred_to, i.time_known,
               ST_Y(coalesce(i.geom, ST_PointOnSurface(w.geom))) AS lat,
               ST_X(coalesce(i.geom, ST_PointOnSurface(w.geom))) AS lon
        FROM incidents i JOIN wards w ON w.code = i.ward_code
        WHERE i.occurred_from >= :start AND i.occurred_from < :end
    """
    with engine.connect() as conn:
        frame = pd.read_sql(text(sql), conn, params={"start": start, "end": end})
    if frame.empty:
        return pd.DataFrame(columns=["ward_code", "incidents", "known", "after_dark", "share"])
    frame["dark"] = dark_probability(frame)
    frame["known"] = frame["dark"].notna()
    table = frame.groupby("ward_code", as_index=False).agg(
        incidents=("dark", "size"), known=("known", "sum"), after_dark=("dark", "sum")
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share"] = table["after_dark"] / table["known"].where(table["known"] > 0)
    return table


@cached
def perception_vs_record(engine: Engine, round_name: str) -> pd.DataFrame:
    """Per surveyed ward: the share feeling unsafe after dark (proportion, low, high,
    respondents) beside the after-dark share of its recorded incidents over the
    reference period (incidents, known, after_dark, share)."""
    info = _round(engine, round_name)
    indicators = survey_indicators(engine, round_name)
    if indicators.empty:
        return pd.DataFrame()
    unsafe = indicators[
        (indicators["indicator"] == "unsafe_after_dark") & (indicators["ward_code"] != ALL_WARDS)
    ][["ward_code", "ward_name", "respondents", "proportion", "low", "high"]]
    period = _reference_period(info)
    if period is None:
        return unsafe.reset_index(drop=True)
    recorded = after_dark_by_ward(engine, *period)
    out = unsafe.merge(recorded, on="ward_code", how="left")
    out[["incidents", "known"]] = out[["incidents", "known"]].fillna(0).astype(int)
    return out.rename(columns={"share": "after_dark_share"}).reset_index(drop=True)


@cached
def unsafe_places(engine: Engine, round_name: str) -> pd.DataFrame:
    """Places named as unsafe, matched to the gazetteer (respondent's ward as the
    hint): one row per place (or unmatched text): name, place_id, ward_code, lat, lon,
    method, confidence, mentions, weighted (sum of weights), texts (as written)."""
    from geodata.gazetteer.store import load_index

    sql = """
        SELECT s.ward_code, s.weight, p.text
        FROM survey_responses s JOIN survey_rounds r ON r.id = s.round_id
        CROSS JOIN LATERAL unnest(s.unsafe_places) AS p(text)
        WHERE r.name = :name
    """
    with engine.connect() as conn:
        said = pd.read_sql(text(sql), conn, params={"name": round_name})
    columns = [
        "name",
        "place_id",
        "ward_code",
        "lat",
        "lon",
        "method",
        "confidence",
        "mentions",
        "weighted",
        "texts",
    ]
    if said.empty:
        return pd.DataFrame(columns=columns)
    found = load_index(engine).resolve(
        [
            (t, None, (w,) if isinstance(w, str) else ())
            for t, w in zip(said["text"], said["ward_code"], strict=True)
        ]
    )
    with engine.connect() as conn:
        names = dict(conn.execute(text("SELECT id, name FROM places")).all())
    said["place_id"] = [f.place_id for f in found]
    said["method"] = [f.method for f in found]
    said["confidence"] = [f.confidence for f in found]
    said["lat"] = [f.lat for f in found]
    said["lon"] = [f.lon for f in found]
    said["place_ward"] = [f.ward_code for f in found]
    said["key"] = [
        f"p{p}" if p else f"t{t.casefold()}"
        for p, t in zip(said["place_id"], said["text"], strict=True)
    ]
    rows = []
    for _, group in said.groupby("key", sort=False):
        first = group.iloc[0]
        placed = first["place_id"] is not None and not pd.isna(first["place_id"])
        rows.append(
            {
                "name": names.get(int(first["place_id"])) if placed else first["text"],
                "place_id": int(first["place_id"]) if placed else None,
                "ward_code": first["place_ward"] if placed else first["ward_code"],
                "lat": first["lat"],
                "lon": first["lon"],
                "method": first["method"],
                "confidence": float(group["confidence"].min()),
                "mentions": len(group),
                "weighted": float(group["weight"].sum()),
                "texts": tuple(sorted(set(group["text"]))),
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["mentions", "name"], ascending=[False, True]).reset_index(drop=True)


@cached
def trust_in_police(engine: Engine) -> pd.DataFrame:
    """Trust in police per round (all surveyed wards): round, fieldwork_from,
    respondents, proportion, low, high; oldest round first."""
    rows = []
    for info in survey_rounds(engine).to_dict("records"):
        table = survey_indicators(engine, info["name"])
        if table.empty:
            continue
        found = table[(table["indicator"] == "trust_police") & (table["ward_code"] == ALL_WARDS)]
        for rec in found.to_dict("records"):
            rows.append(
                {
                    "round": info["name"],
                    "fieldwork_from": info["fieldwork_from"],
                    **{k: rec[k] for k in ("respondents", "proportion", "low", "high")},
                }
            )
    columns = ["round", "fieldwork_from", "respondents", "proportion", "low", "high"]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values("fieldwork_from", kind="stable").reset_index(drop=True)
