"""Justice chain reads: cases (incidents) with their status histories, and the funnel,
stage durations, longest-waiting cases and period changes built from them
(geodata.stats.justice).

A case's report date is its `reported_on`, or when the register gave none the
date it occurred. Filters are tuples (empty = all) so results can be cached.
"""

from __future__ import annotations

from datetime import date

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
    cases, history = cases_and_history(engine, start, end, categories, agencies, wards)
    return justice.funnel(cases, history, by)


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
    """Median days at each open stage, finished and still waiting (as of `as_of`)."""
    _, history = cases_and_history(engine, start, end, categories, agencies, wards)
    return justice.stage_durations(history, as_of)


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
    cases, history = cases_and_history(engine, None, None, categories, agencies, wards)
    stuck = justice.stuck_cases(cases, history, as_of, limit)
    columns = [
        "record_ref",
        "agency",
        "category",
        "ward_name",
        "reported_on",
        "status",
        "since",
        "days",
    ]
    return stuck[columns]


@cached
def justice_change(
    engine: Engine,
    before: tuple[date, date],
    after: tuple[date, date],
    categories: tuple[str, ...] = (),
    agencies: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Cases entering each stage in two periods and the change in percent."""
    cases, history = cases_and_history(engine, None, None, categories, agencies, wards)
    return justice.period_change(cases, history, before, after)
