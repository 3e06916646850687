"""The justice chain (issue #9): from each case's status history, how many cases reach
each stage, how long they spend at each, which open cases have waited longest, and
how the counts changed between two periods.

Inputs are plain frames:

- `cases`: incident_id, reported_on (date or timestamp) and any grouping columns
  (category, agency, ward_code ...). Every case counts as reported.
- `history`: incident_id, status, observed_on: the statuses a case was seen with and
  the date each was first seen (`incident_status_history`), oldest first within a
  case when dates tie.

A case *reaches* a chain stage when any status it had is at or past that stage: a
case first seen `in_court` was investigated, and a conviction or acquittal passed
through court. Withdrawn, referred and resolved-locally cases leave the chain where
they were; their outcome is the last status seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

CHAIN: tuple[str, ...] = ("reported", "under_investigation", "in_court")
OUTCOMES: tuple[str, ...] = ("convicted", "acquitted", "withdrawn", "resolved_locally", "referred")
STAGES: tuple[str, ...] = CHAIN + OUTCOMES
OPEN: frozenset[str] = frozenset(CHAIN)
# How far along the chain a status shows the case went (outcomes outside the court
# path say nothing about how far it got).
CHAIN_RANK = {
    "reported": 0,
    "under_investigation": 1,
    "in_court": 2,
    "convicted": 2,
    "acquitted": 2,
}
STAGE_LABELS = {
    "reported": "Reported",
    "under_investigation": "Under investigation",
    "in_court": "In court",
    "convicted": "Convicted",
    "acquitted": "Acquitted",
    "withdrawn": "Withdrawn",
    "resolved_locally": "Resolved locally",
    "referred": "Referred",
}


def _ordered(history: pd.DataFrame) -> pd.DataFrame:
    h = history[["incident_id", "status", "observed_on"]].copy()
    h["observed_on"] = pd.to_datetime(h["observed_on"]).dt.normalize()
    h["_seq"] = np.arange(len(h))
    return h.sort_values(["incident_id", "observed_on", "_seq"], kind="stable")


def _reach(cases: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Per case: the furthest chain rank reached and the last status seen."""
    h = _ordered(history)
    rank = h.assign(rank=h["status"].map(CHAIN_RANK)).groupby("incident_id")["rank"].max()
    last = h.groupby("incident_id")["status"].last()
    out = cases[["incident_id"]].copy()
    out["rank"] = out["incident_id"].map(rank).fillna(0).astype(int)
    out["last_status"] = out["incident_id"].map(last).fillna("reported")
    return out


def funnel(cases: pd.DataFrame, history: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Cases reaching each stage: columns *by, stage, cases, share (of reported).

    Chain stages count every case that got that far; outcome stages count cases whose
    last status is that outcome. Every stage appears for every group (0 when none)."""
    by = list(by)
    reach = _reach(cases, history)
    flags = pd.DataFrame({"incident_id": cases["incident_id"].to_numpy()})
    for rank, stage in enumerate(CHAIN):
        flags[stage] = (reach["rank"] >= rank).to_numpy()
    for stage in OUTCOMES:
        flags[stage] = (reach["last_status"] == stage).to_numpy()
    for column in by:
        flags[column] = cases[column].to_numpy()
    if by:
        counts = flags.groupby(by, sort=True, dropna=False)[list(STAGES)].sum().reset_index()
    else:
        counts = flags[list(STAGES)].sum().to_frame().T
    return funnel_from_counts(counts, by)


def funnel_from_counts(counts: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """The funnel's long table from one row per group (columns *by and one count per
    stage), as `funnel` returns it; the query layer counts in SQL and ends here."""
    by = list(by)
    counts = counts.copy()
    counts["_reported"] = counts["reported"].astype(float)
    long = counts.melt(
        id_vars=[*by, "_reported"], value_vars=list(STAGES), var_name="stage", value_name="cases"
    )
    long["cases"] = long["cases"].astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        long["share"] = np.where(long["_reported"] > 0, long["cases"] / long["_reported"], np.nan)
    long["stage"] = pd.Categorical(long["stage"], categories=list(STAGES), ordered=True)
    long = long.sort_values([*by, "stage"], kind="stable").drop(columns="_reported")
    long["stage"] = long["stage"].astype(str)
    return long.reset_index(drop=True)


def spells(history: pd.DataFrame, as_of: date | None = None) -> pd.DataFrame:
    """Each stretch a case spent at one status: incident_id, status, start, end (NaT
    while it lasts), days (to `end`, or to `as_of` for the current one when given),
    current (True for the last spell of each case). Repeats of the same status are
    one spell."""
    h = _ordered(history)
    changed = h["status"].ne(h.groupby("incident_id")["status"].shift())
    h = h[changed].copy()
    h["end"] = h.groupby("incident_id")["observed_on"].shift(-1)
    h["current"] = h["end"].isna()
    until = h["end"]
    if as_of is not None:
        until = until.fillna(pd.Timestamp(as_of))
    h["days"] = (until - h["observed_on"]).dt.days.astype(float)
    h = h.rename(columns={"observed_on": "start"})
    return h[["incident_id", "status", "start", "end", "days", "current"]].reset_index(drop=True)


def stage_durations(history: pd.DataFrame, as_of: date | None = None) -> pd.DataFrame:
    """Per open stage (reported, under investigation, in court): finished spells, the
    median days a finished spell lasted, cases still at that stage, and the median
    days they have waited so far (needs `as_of`). Spells that have not ended are
    kept apart: mixing them in would bias the median down."""
    s = spells(history, as_of)
    rows = []
    for stage in CHAIN:
        at = s[s["status"] == stage]
        done = at[~at["current"]]
        waiting = at[at["current"]]
        rows.append(
            {
                "stage": stage,
                "finished": len(done),
                "median_days": float(done["days"].median()) if len(done) else np.nan,
                "open": len(waiting),
                "open_median_days": float(waiting["days"].median())
                if len(waiting) and as_of is not None
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


def stuck_cases(
    cases: pd.DataFrame, history: pd.DataFrame, as_of: date, limit: int = 20
) -> pd.DataFrame:
    """Open cases (last status reported, under investigation or in court, or none)
    with the longest time since their last change: the columns of `cases`, plus
    status, since (date of the last change, the report date when never changed) and
    days, longest first (ties by incident_id)."""
    h = _ordered(history)
    last = h.groupby("incident_id").agg(status=("status", "last"))
    changes = spells(history).groupby("incident_id")["start"].max()
    out = cases.copy()
    out["status"] = out["incident_id"].map(last["status"]).fillna("reported")
    reported = pd.to_datetime(out["reported_on"]).dt.normalize()
    out["since"] = out["incident_id"].map(changes).fillna(reported)
    out = out[out["status"].isin(OPEN) & out["since"].notna()]
    out["days"] = (pd.Timestamp(as_of) - out["since"]).dt.days.astype(int)
    out = out.sort_values(["days", "incident_id"], ascending=[False, True], kind="stable")
    return out.head(limit).reset_index(drop=True)


def stage_entries(cases: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """When each case first reached each stage: incident_id, stage, entered_on.
    Reported = the case's report date; a chain stage = the first status at or past
    it; an outcome = the first time that status was seen."""
    h = _ordered(history)
    h = h.assign(rank=h["status"].map(CHAIN_RANK))
    frames = [
        pd.DataFrame(
            {
                "incident_id": cases["incident_id"].to_numpy(),
                "stage": "reported",
                "entered_on": pd.to_datetime(cases["reported_on"]).dt.normalize().to_numpy(),
            }
        )
    ]
    for rank, stage in enumerate(CHAIN[1:], start=1):
        first = h[h["rank"] >= rank].groupby("incident_id")["observed_on"].min()
        frames.append(pd.DataFrame({"incident_id": first.index, "stage": stage,
                                    "entered_on": first.to_numpy()}))  # fmt: skip
    first_outcome = h[h["status"].isin(OUTCOMES)].groupby(["incident_id", "status"])
    outcomes = first_outcome["observed_on"].min().reset_index()
    frames.append(outcomes.rename(columns={"status": "stage", "observed_on": "entered_on"}))
    return pd.concat(frames, ignore_index=True)


def period_change(
    cases: pd.DataFrame,
    history: pd.DataFrame,
    before: tuple[date, date],
    after: tuple[date, date],
) -> pd.DataFrame:
    """Cases entering each stage in two periods (inclusive dates) and the change in
    percent, the way programmes report it ("73% more cases reported, 64% more
    investigated, 6.2% more prosecuted"). change_pct is NaN when `before` is 0."""
    entries = stage_entries(cases, history)
    when = entries["entered_on"]

    def counted(period: tuple[date, date]) -> pd.Series:
        start, end = (pd.Timestamp(d) for d in period)
        inside = entries[(when >= start) & (when <= end)]
        return inside.groupby("stage").size().reindex(list(STAGES), fill_value=0)

    return change_table(counted(before).to_numpy(), counted(after).to_numpy())


def change_table(before: Sequence[int], after: Sequence[int]) -> pd.DataFrame:
    """stage, before, after, change_pct from the counts entering each of STAGES."""
    table = pd.DataFrame({"stage": list(STAGES), "before": np.asarray(before, dtype=np.int64),
                          "after": np.asarray(after, dtype=np.int64)})  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        table["change_pct"] = np.where(
            table["before"] > 0, (table["after"] - table["before"]) / table["before"] * 100, np.nan
        )
    return table
