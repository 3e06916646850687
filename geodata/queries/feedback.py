"""Feedback on police services: ratings and complaints per station over time.
Trust in police from the surveys, shown on the same page, is
`geodata.queries.audits.trust_in_police`."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, bindparam, text

from geodata.cache import cached

_WHERE = """
WHERE received_on >= :start AND received_on < :end
  AND (:all_stations OR station IN :stations)
"""
_MONTHLY = f"""
SELECT station, date_trunc('month', received_on)::date AS month,
       count(*) AS records,
       count(rating) AS rated,
       avg(rating)::float AS mean_rating,
       count(complaint_category) AS complaints,
       count(*) FILTER (WHERE complaint_category IS NOT NULL AND resolved) AS resolved,
       count(*) FILTER (WHERE complaint_category IS NOT NULL AND resolved IS NOT NULL)
           AS resolution_known
FROM feedback_records {_WHERE}
GROUP BY station, month ORDER BY station, month
"""
_COMPLAINTS = f"""
SELECT station, complaint_category, count(*) AS complaints,
       count(*) FILTER (WHERE resolved) AS resolved
FROM feedback_records {_WHERE} AND complaint_category IS NOT NULL
GROUP BY station, complaint_category ORDER BY station, complaints DESC, complaint_category
"""
_FAR_PAST, _FAR_FUTURE = date(1900, 1, 1), date(2200, 1, 1)


def _read(engine: Engine, sql: str, start, end, stations: tuple[str, ...]) -> pd.DataFrame:
    statement = text(sql).bindparams(bindparam("stations", expanding=True))
    params = {
        "start": start or _FAR_PAST,
        "end": end or _FAR_FUTURE,
        "all_stations": not stations,
        "stations": tuple(stations) or ("",),
    }
    with engine.connect() as conn:
        return pd.read_sql(statement, conn, params=params)


@cached
def feedback_stations(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(text("SELECT DISTINCT station FROM feedback_records ORDER BY 1")).scalars()
        )


@cached
def feedback_monthly(
    engine: Engine,
    start: date | None = None,
    end: date | None = None,
    stations: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Per station and month: records, rated, mean_rating, complaints, resolved,
    resolution_known and resolved_share (of complaints whose outcome is known)."""
    frame = _read(engine, _MONTHLY, start, end, stations)
    frame["month"] = pd.to_datetime(frame["month"])
    known = frame["resolution_known"].where(frame["resolution_known"] > 0)
    frame["resolved_share"] = frame["resolved"] / known
    return frame


@cached
def feedback_complaints(
    engine: Engine,
    start: date | None = None,
    end: date | None = None,
    stations: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Per station and complaint category: complaints and resolved, most first."""
    return _read(engine, _COMPLAINTS, start, end, stations)
