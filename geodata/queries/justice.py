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


# Every read below counts in SQL over the filtered cases, one pass each, so the page
# never pulls a million cases and their histories into pandas (geodata.stats.justice
# is the reference: the tests check both give the same tables).
_RANK_SQL = (
    "CASE h.status "
    + " ".join(f"WHEN '{status}' THEN {rank}" for status, rank in justice.CHAIN_RANK.items())
    + " END"
)
_FILTERED = f"""
WITH cases AS NOT MATERIALIZED (
    SELECT i.id AS incident_id, i.record_ref, a.name AS agency, a.agency_type, i.category,
           i.ward_code, coalesce(i.reported_on, i.occurred_from)::date AS reported_on
    FROM incidents i
    JOIN agencies a ON a.id = i.agency_id
    WHERE {{dates}} (:all_categories OR i.category IN :categories)
      AND (:all_agencies OR a.name IN :agencies)
      AND (:all_wards OR i.ward_code IN :wards)
),
marked AS (
    -- Each status seen, oldest first: its chain rank, whether it changed the case's
    -- status (a new spell) and whether it is the case's last.
    SELECT h.incident_id, h.id, h.status, h.observed_on, {_RANK_SQL} AS rank,
           lag(h.status) OVER seen IS DISTINCT FROM h.status AS changed,
           lead(h.id) OVER seen IS NULL AS is_last
    FROM incident_status_history h
    {{scope}}
    WINDOW seen AS (PARTITION BY h.incident_id ORDER BY h.observed_on, h.id)
),
per_case AS (
    SELECT incident_id, max(rank) AS rank,
           max(status) FILTER (WHERE is_last) AS last_status,
           max(observed_on) FILTER (WHERE changed) AS since,
           {
    ", ".join(
        f"min(observed_on) FILTER (WHERE rank >= {rank}) AS entered_{stage}"
        for rank, stage in enumerate(justice.CHAIN)
        if rank
    )
},
           {
    ", ".join(
        f"min(observed_on) FILTER (WHERE status = '{stage}') AS entered_{stage}"
        for stage in justice.OUTCOMES
    )
}
    FROM marked GROUP BY incident_id
)
"""
_DATES = (
    "coalesce(i.reported_on, i.occurred_from) >= :start "
    "AND coalesce(i.reported_on, i.occurred_from) < :end AND"
)
_GROUPS = ("category", "agency", "agency_type", "ward_code")
_REACHED = ", ".join(
    ["count(*) AS reported"]
    + [f"count(*) FILTER (WHERE p.rank >= {rank}) AS {stage}"
       for rank, stage in enumerate(justice.CHAIN) if rank]
    + [f"count(*) FILTER (WHERE p.last_status = '{stage}') AS {stage}"
       for stage in justice.OUTCOMES]
)  # fmt: skip


def _params(start, end, categories, agencies, wards) -> dict:
    return {
        "start": start or _FAR_PAST,
        "end": end or _FAR_FUTURE,
        **_filter_params(categories, agencies, wards),
    }


def _scoped(params: dict) -> str:
    """The shared CTEs; every history row belongs to some case, so with no filter the
    semi-join on the cases (a hash of a million ids) is skipped."""
    all_dates = params["start"] == _FAR_PAST and params["end"] == _FAR_FUTURE
    unfiltered = (
        all_dates and params["all_categories"] and params["all_agencies"] and params["all_wards"]
    )
    scope = "" if unfiltered else "WHERE h.incident_id IN (SELECT incident_id FROM cases)"
    # An always-true date range still makes the planner expect a few thousand cases
    # (and pick nested loops over a million): leave it out when it is not asked for.
    dates = "" if all_dates else _DATES
    return _FILTERED.replace("{scope}", scope).replace("{dates}", dates)


def _read(engine: Engine, sql: str, params: dict, expanding: tuple[str, ...] = ()) -> pd.DataFrame:
    names = ("categories", "agencies", "wards", *expanding)
    statement = text(_scoped(params) + sql).bindparams(
        *(bindparam(name, expanding=True) for name in names)
    )
    with engine.connect() as conn:
        return pd.read_sql(statement, conn, params=params)


@cached
def case_count_and_latest_day(
    engine: Engine,
    categories: tuple[str, ...] = (),
    agencies: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> tuple[int, date | None]:
    """Cases matching the filters and the latest date their registers describe (a
    report or a status seen; None without cases): days are counted to it."""
    row = _read(
        engine,
        "SELECT count(*) AS cases, greatest(max(c.reported_on), "
        "(SELECT max(observed_on) FROM marked)) AS latest FROM cases c",
        _params(None, None, categories, agencies, wards),
    ).iloc[0]
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
    columns = "".join(f"c.{column}, " for column in by)
    group = f" GROUP BY {', '.join(f'c.{column}' for column in by)}" if by else ""
    counts = _read(
        engine,
        f"SELECT {columns}{_REACHED} FROM cases c LEFT JOIN per_case p USING (incident_id)" + group,
        _params(start, end, categories, agencies, wards),
    )
    return justice.funnel_from_counts(counts, by)


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
    justice.stage_durations."""
    spells = """
    , spells AS (
        SELECT status, observed_on AS began,
               lead(observed_on) OVER (PARTITION BY incident_id ORDER BY observed_on, id)
                   AS ended
        FROM marked WHERE changed
    )
    SELECT status AS stage,
           count(*) FILTER (WHERE ended IS NOT NULL) AS finished,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ended - began)
               FILTER (WHERE ended IS NOT NULL) AS median_days,
           count(*) FILTER (WHERE ended IS NULL) AS open,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(:as_of AS date) - began)
               FILTER (WHERE ended IS NULL) AS open_median_days
    FROM spells WHERE status IN :chain GROUP BY status
    """
    params = {**_params(start, end, categories, agencies, wards), "as_of": as_of or _FAR_PAST}
    statement_params = {**params, "chain": tuple(justice.CHAIN)}
    table = _read(engine, spells, statement_params, ("chain",))
    table = table.set_index("stage").reindex(list(justice.CHAIN)).reset_index()
    table[["finished", "open"]] = table[["finished", "open"]].fillna(0).astype(int)
    table[["median_days", "open_median_days"]] = table[["median_days", "open_median_days"]].astype(
        float
    )
    if as_of is None:
        table["open_median_days"] = np.nan
    return table


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
    reported_on, status, since, days (no personal data: registers' references only)."""
    sql = """
    , open_cases AS (
        SELECT c.incident_id, c.record_ref, c.agency, c.category, c.ward_code, c.reported_on,
               coalesce(p.last_status, 'reported') AS status,
               coalesce(p.since, c.reported_on) AS since
        FROM cases c LEFT JOIN per_case p USING (incident_id)
    )
    SELECT o.record_ref, o.agency, o.category, w.name AS ward_name, o.reported_on, o.status,
           o.since, CAST(:as_of AS date) - o.since AS days
    FROM open_cases o LEFT JOIN wards w ON w.code = o.ward_code
    WHERE o.status IN :chain
    ORDER BY days DESC, o.incident_id
    LIMIT :limit
    """
    params = {
        **_params(None, None, categories, agencies, wards),
        "as_of": as_of,
        "limit": int(limit),
        "chain": tuple(justice.OPEN),
    }
    stuck = _read(engine, sql, params, ("chain",))
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
        return "c.reported_on" if stage == "reported" else f"p.entered_{stage}"

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
    row = _read(
        engine, f"SELECT {counts} FROM cases c LEFT JOIN per_case p USING (incident_id)", params
    ).iloc[0]
    return justice.change_table(
        [int(row[f"before_{stage}"]) for stage in justice.STAGES],
        [int(row[f"after_{stage}"]) for stage in justice.STAGES],
    )
