"""Justice chain reads: cases (incidents) with their status histories, and the funnel,
stage durations, longest-waiting cases and period changes built from them
(geodata.stats.justice).

A case's report date is its `reported_on`, or when the register gave none the
date it occurred. Filters are tuples (empty = all) so results can be cached.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine, bindparam, text

from geodata.cache import cached
from geodata.stats import justice

_CASES = """
SELECT i.id AS incident_id, i.record_ref, a.name AS agency, a.agency_type, i.category,
       i.ward_code, w.name AS ward_name,
       coalesce(i.reported_on, i.occurred_from)::date AS reported_on
FROM incidents i
JOIN agencies a ON a.id = i.agency_id
LEFT JOIN wards w ON w.code = i.ward_code
WHERE coalesce(i.reported_on, i.occurred_from) >= :start
  AND coalesce(i.reported_on, i.occurred_from) < :end
  AND (:all_categories OR i.category IN :categories)
  AND (:all_agencies OR a.name IN :agencies)
  AND (:all_wards OR i.ward_code IN :wards)
ORDER BY i.id
"""
_HISTORY = """
SELECT h.incident_id, h.status, h.observed_on
FROM incident_status_history h
WHERE h.incident_id = ANY(:ids)
ORDER BY h.incident_id, h.observed_on, h.id
"""
_FAR_PAST, _FAR_FUTURE = date(1900, 1, 1), date(2200, 1, 1)


def _filter_params(categories, agencies, wards) -> dict:
    return {
        "all_categories": not categories,
        "categories": tuple(categories) or ("",),
        "all_agencies": not agencies,
        "agencies": tuple(agencies) or ("",),
        "all_wards": not wards,
        "wards": tuple(wards) or ("",),
    }


@cached
def cases_and_history(
    engine: Engine,
    start: date | None = None,
    end: date | None = None,
    categories: tuple[str, ...] = (),
    agencies: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cases, history) for cases reported in [start, end) matching the filters.
    cases: incident_id, record_ref, agency, agency_type, category, ward_code,
    ward_name, reported_on; history: incident_id, status, observed_on."""
    statement = text(_CASES).bindparams(
        bindparam("categories", expanding=True),
        bindparam("agencies", expanding=True),
        bindparam("wards", expanding=True),
    )
    params = {
        "start": start or _FAR_PAST,
        "end": end or _FAR_FUTURE,
        **_filter_params(categories, agencies, wards),
    }
    with engine.connect() as conn:
        cases = pd.read_sql(statement, conn, params=params)
        ids = [int(i) for i in cases["incident_id"]]
        history = pd.read_sql(text(_HISTORY), conn, params={"ids": ids})
    cases["reported_on"] = pd.to_datetime(cases["reported_on"])
    history["observed_on"] = pd.to_datetime(history["observed_on"])
    return cases, history


# Every read below counts in SQL over the per-case summary `justice_cases`
# (geodata.justice_summary), one pass each over the filtered cases and no status
# history, so the page never pulls a million cases into pandas nor runs window
# functions over a million histories. geodata.stats.justice is the reference: the
# tests check both give the same tables.
_GROUPS = ("category", "agency", "agency_type", "ward_code")
_REACHED = ", ".join(
    ["count(*) AS reported"]
    + [f"count(*) FILTER (WHERE c.rank >= {rank}) AS {stage}"
       for rank, stage in enumerate(justice.CHAIN) if rank]
    + [f"count(*) FILTER (WHERE c.last_status = '{stage}') AS {stage}"
       for stage in justice.OUTCOMES]
)  # fmt: skip
_STATES_REACHED = ", ".join(
    ["coalesce(sum(c.n), 0)::bigint AS reported"]
    + [f"coalesce(sum(c.n) FILTER (WHERE c.rank >= {rank}), 0)::bigint AS {stage}"
       for rank, stage in enumerate(justice.CHAIN) if rank]
    + [f"coalesce(sum(c.n) FILTER (WHERE c.last_status = '{stage}'), 0)::bigint AS {stage}"
       for stage in justice.OUTCOMES]
)  # fmt: skip


def _params(start, end, categories, agencies, wards) -> dict:
    return {
        "start": start or _FAR_PAST,
        "end": end or _FAR_FUTURE,
        **_filter_params(categories, agencies, wards),
    }


def _where(params: dict, *extra: str) -> str:
    """The filters asked for, and only those: an always-true condition still skews
    the planner's estimates (and its choice of plan) at a million cases."""
    conditions = list(extra)
    if params["start"] != _FAR_PAST or params["end"] != _FAR_FUTURE:
        conditions.append("c.reported_on >= :start AND c.reported_on < :end")
    if not params["all_categories"]:
        conditions.append("c.category IN :categories")
    if not params["all_agencies"]:
        conditions.append("c.agency_id IN (SELECT id FROM agencies WHERE name IN :agencies)")
    if not params["all_wards"]:
        conditions.append("c.ward_code IN :wards")
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _read(engine: Engine, sql: str, params: dict, expanding: tuple[str, ...] = ()) -> pd.DataFrame:
    names = [
        name
        for name, every in (("categories", "all_categories"), ("agencies", "all_agencies"),
                            ("wards", "all_wards"))
        if not params[every]
    ] + list(expanding)  # fmt: skip
    statement = text(sql).bindparams(*(bindparam(name, expanding=True) for name in names))
    used = {k: v for k, v in params.items() if f":{k}" in sql}
    with engine.connect() as conn:
        return pd.read_sql(statement, conn, params=used)


def _by_category(params: dict) -> bool:
    """Whether the counts of justice_days (kept per category, geodata.justice_rollup)
    answer: no date, agency or ward filter. The others are selective, and their
    indexes find their cases in justice_cases."""
    return (
        params["start"] == _FAR_PAST
        and params["end"] == _FAR_FUTURE
        and params["all_agencies"]
        and params["all_wards"]
    )


@cached
def case_count_and_latest_day(
    engine: Engine,
    categories: tuple[str, ...] = (),
    agencies: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> tuple[int, date | None]:
    """Cases matching the filters and the latest date their registers describe (a
    report or a status seen; None without cases): days are counted to it."""
    params = _params(None, None, categories, agencies, wards)
    if _by_category(params):
        sql = (
            "SELECT (SELECT coalesce(sum(c.n), 0) FROM justice_states c"
            + _where(params)
            + ") AS cases, (SELECT max(c.day) FROM justice_days c"
            + _where(params, "(c.kind = 'seen' OR (c.kind = 'entered' AND c.stage = 'reported'))")
            + ") AS latest"
        )
    else:
        sql = (
            "SELECT count(*) AS cases, greatest(max(c.reported_on), max(c.last_seen)) AS latest "
            "FROM justice_cases c" + _where(params)
        )
    row = _read(engine, sql, params).iloc[0]
    latest = None if pd.isna(row["latest"]) else pd.Timestamp(row["latest"]).date()
    return int(row["cases"]), latest


@cached
def justice_funnel(
    engine: Engine,
    start: date | None = None,
    end: date | None = None,
    by: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    agencies: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Cases reaching each stage (justice.funnel) grouped by any of category,
    agency, agency_type, ward_code."""
    if not set(by) <= set(_GROUPS):
        raise ValueError(f"cannot group the funnel by {by}")
    params = _params(start, end, categories, agencies, wards)
    dated = params["start"] != _FAR_PAST or params["end"] != _FAR_FUTURE
    # Without dates the counts of justice_states answer (tens of thousands of rows);
    # the report day is only in justice_cases.
    source, reached = ("justice_cases", _REACHED) if dated else ("justice_states", _STATES_REACHED)
    keys = {"agency": "a.name", "agency_type": "a.agency_type"}
    columns = "".join(f"{keys.get(column, f'c.{column}')} AS {column}, " for column in by)
    join = " JOIN agencies a ON a.id = c.agency_id" if {"agency", "agency_type"} & set(by) else ""
    group = f" GROUP BY {', '.join(keys.get(c, f'c.{c}') for c in by)}" if by else ""
    counts = _read(
        engine, f"SELECT {columns}{reached} FROM {source} c{join}{_where(params)}{group}", params
    )
    return justice.funnel_from_counts(counts, by)


def _median(values: np.ndarray, counts: np.ndarray) -> float:
    """percentile_cont(0.5) of `values` each repeated `counts` times."""
    if not counts.sum():
        return np.nan
    return float(np.median(np.repeat(values.astype(float), counts.astype(np.int64))))


@cached
def justice_durations(
    engine: Engine,
    as_of: date,
    start: date | None = None,
    end: date | None = None,
    categories: tuple[str, ...] = (),
    agencies: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Median days at each open stage, finished and still waiting (as of `as_of`):
    justice.stage_durations. SQL counts cases per (stage, days) and per (stage,
    day the current spell began), a few thousand rows; the medians are taken here."""
    params = {**_params(start, end, categories, agencies, wards), "chain": tuple(justice.CHAIN)}
    if _by_category(params):
        finished = _read(
            engine,
            "SELECT c.stage, c.days, sum(c.n)::bigint AS n FROM justice_days c"
            + _where(params, "c.kind = 'finished'")
            + " GROUP BY c.stage, c.days",
            params,
        )
        waiting = _read(
            engine,
            "SELECT c.stage, c.day AS since, sum(c.n)::bigint AS n FROM justice_days c"
            + _where(params, "c.kind = 'waiting'")
            + " GROUP BY c.stage, c.day",
            params,
        )
    else:
        finished = _read(
            engine,
            "SELECT s.stage, s.days, count(*) AS n FROM justice_cases c, "
            "unnest(c.finished_stage, c.finished_days) AS s(stage, days)"
            + _where(params, "c.finished_stage IS NOT NULL")
            + " GROUP BY s.stage, s.days",
            params,
        )
        waiting = _read(
            engine,
            "SELECT c.last_status AS stage, c.since, count(*) AS n FROM justice_cases c"
            + _where(params, "c.last_status IN :chain")
            + " GROUP BY c.last_status, c.since",
            params,
            ("chain",),
        )
    waiting["since"] = pd.to_datetime(waiting["since"])
    rows = []
    for stage in justice.CHAIN:
        done = finished[finished["stage"] == stage]
        still = waiting[waiting["stage"] == stage]
        waited = (pd.Timestamp(as_of) - still["since"]).dt.days if as_of is not None else None
        rows.append(
            {
                "stage": stage,
                "finished": int(done["n"].sum()),
                "median_days": _median(done["days"].to_numpy(), done["n"].to_numpy()),
                "open": int(still["n"].sum()),
                "open_median_days": np.nan
                if waited is None
                else _median(waited.to_numpy(), still["n"].to_numpy()),
            }
        )
    return pd.DataFrame(rows)


@cached
def stuck_cases(
    engine: Engine,
    as_of: date,
    limit: int = 20,
    categories: tuple[str, ...] = (),
    agencies: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Open cases longest without a change: record_ref, agency, category, ward_name,
    reported_on, status, since, days (no personal data: registers' references only).
    The oldest `open_since` first, read from its index."""
    params = {
        **_params(None, None, categories, agencies, wards),
        "as_of": as_of,
        "limit": int(limit),
    }
    sql = f"""
    SELECT i.record_ref, a.name AS agency, c.category, w.name AS ward_name, c.reported_on,
           coalesce(c.last_status, 'reported') AS status, c.open_since AS since,
           CAST(:as_of AS date) - c.open_since AS days
    FROM (
        SELECT c.* FROM justice_cases c{_where(params, "c.open_since IS NOT NULL")}
        ORDER BY c.open_since, c.incident_id LIMIT :limit
    ) c
    JOIN incidents i ON i.id = c.incident_id
    JOIN agencies a ON a.id = c.agency_id
    LEFT JOIN wards w ON w.code = c.ward_code
    ORDER BY c.open_since, c.incident_id
    """
    stuck = _read(engine, sql, params)
    for column in ("reported_on", "since"):
        stuck[column] = pd.to_datetime(stuck[column])
    stuck["days"] = stuck["days"].astype(int)
    return stuck


@cached
def justice_change(
    engine: Engine,
    before: tuple[date, date],
    after: tuple[date, date],
    categories: tuple[str, ...] = (),
    agencies: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Cases entering each stage in two periods and the change in percent
    (justice.period_change)."""

    def entered(stage: str) -> str:
        return "c.reported_on" if stage == "reported" else f"c.entered_{stage}"

    counts = ", ".join(
        f"count(*) FILTER (WHERE {entered(stage)} BETWEEN :{period}_start AND :{period}_end)"
        f" AS {period}_{stage}"
        for period in ("before", "after")
        for stage in justice.STAGES
    )
    params = {
        **_params(None, None, categories, agencies, wards),
        "before_start": before[0],
        "before_end": before[1],
        "after_start": after[0],
        "after_end": after[1],
    }
    if _by_category(params):
        sums = ", ".join(
            f"coalesce(sum(c.n) FILTER (WHERE c.day BETWEEN :{p}_start AND :{p}_end), 0)::bigint"
            f" AS {p}"
            for p in ("before", "after")
        )
        table = (
            _read(
                engine,
                f"SELECT c.stage, {sums} FROM justice_days c"
                + _where(params, "c.kind = 'entered'")
                + " GROUP BY c.stage",
                params,
            )
            .set_index("stage")
            .reindex(list(justice.STAGES), fill_value=0)
        )
        return justice.change_table(
            table["before"].astype(np.int64).to_numpy(), table["after"].astype(np.int64).to_numpy()
        )
    row = _read(engine, f"SELECT {counts} FROM justice_cases c{_where(params)}", params).iloc[0]
    return justice.change_table(
        [int(row[f"before_{stage}"]) for stage in justice.STAGES],
        [int(row[f"after_{stage}"]) for stage in justice.STAGES],
    )
