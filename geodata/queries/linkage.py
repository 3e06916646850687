"""Reads about records linked as one event (geodata.linkage): the groups a reviewer
confirms or splits, and completeness, which agencies saw which events, with the
two-source capture-recapture estimate of the events none of them recorded.

No personal data: a group's members are shown by agency, category, time, ward and
the link's score, never by names (which never reach the database anyway) or free
text.

An event is one group, or one record in no group (geodata.linkage_store.event_key_sql).
Its ward, month and category are those of one of its records: one placed in a ward
before one that is not, a police record (the register the forum acts on) before
another agency's, then the first loaded.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, text

from geodata.cache import cached
from geodata.stats.capture_recapture import ASSUMPTIONS, MIN_OVERLAP, estimate

POLICE_TYPES: tuple[str, ...] = ("police_station", "ap_post")
ALL_CATEGORIES = "all categories"

GROUP_COLUMNS = (
    "group_id", "score", "confirmed", "incident_id", "agency", "agency_type", "category",
    "occurred_from", "time_known", "ward_code", "ward_name", "geocode_method",
)  # fmt: skip


@cached
def linked_groups(engine: Engine, limit: int = 200) -> pd.DataFrame:
    """GROUP_COLUMNS, one row per member of the `limit` groups of two or more records
    to review: unconfirmed ones first, the weakest links first, then by time."""
    with engine.connect() as conn:
        return pd.read_sql(
            text(
                """
                WITH chosen AS (
                    SELECT g.id, g.score, g.confirmed, min(i.occurred_from) AS first_seen
                    FROM event_groups g JOIN incidents i ON i.event_group_id = g.id
                    WHERE NOT g.split
                    GROUP BY g.id HAVING count(*) > 1
                    ORDER BY g.confirmed, g.score, min(i.occurred_from), g.id
                    LIMIT :limit
                )
                SELECT c.id AS group_id, c.score, c.confirmed, i.id AS incident_id,
                       a.name AS agency, a.agency_type, i.category, i.occurred_from,
                       i.time_known, i.ward_code, w.name AS ward_name, i.geocode_method
                FROM chosen c JOIN incidents i ON i.event_group_id = c.id
                JOIN agencies a ON a.id = i.agency_id
                LEFT JOIN wards w ON w.code = i.ward_code
                ORDER BY c.confirmed, c.score, c.first_seen, c.id, i.occurred_from, a.name
                """
            ),
            conn,
            params={"limit": int(limit)},
        )


_EVENT_COUNTS = """
WITH linked AS (
    -- Records sharing a group: the event's ward, month and category are those of its
    -- lead record (placed before unplaced, police before others, then first loaded).
    SELECT a.name AS agency,
           first_value(i.ward_code) OVER lead_first AS ward_code,
           first_value(date_trunc('month', i.occurred_from)::date) OVER lead_first AS month,
           first_value(i.category) OVER lead_first AS category,
           row_number() OVER lead_first = 1 AS lead,
           bool_or(a.agency_type = ANY(:police)) OVER event AS police,
           bool_or(a.agency_type <> ALL(:police)) OVER event AS other
    FROM incidents i JOIN agencies a ON a.id = i.agency_id
    WHERE i.event_group_id IS NOT NULL
    WINDOW event AS (PARTITION BY i.event_group_id),
           lead_first AS (PARTITION BY i.event_group_id
                          ORDER BY (i.ward_code IS NULL), a.agency_type = ANY(:police) DESC, i.id)
), records AS (
    -- A record in no group is an event of its own: no window needed for the million.
    SELECT a.name AS agency, i.ward_code, date_trunc('month', i.occurred_from)::date AS month,
           i.category, true AS lead, a.agency_type = ANY(:police) AS police,
           a.agency_type <> ALL(:police) AS other
    FROM incidents i JOIN agencies a ON a.id = i.agency_id
    WHERE i.event_group_id IS NULL
    UNION ALL
    SELECT agency, ward_code, month, category, lead, police, other FROM linked
)
SELECT GROUPING(r.category) = 1 AS by_ward_month, r.ward_code, w.name AS ward_name, r.month,
       r.category,
       count(*) FILTER (WHERE r.lead AND r.police AND NOT r.other) AS police_only,
       count(*) FILTER (WHERE r.lead AND r.other AND NOT r.police) AS other_only,
       count(*) FILTER (WHERE r.lead AND r.police AND r.other) AS both,
       array_agg(DISTINCT r.agency) AS agencies
FROM records r LEFT JOIN wards w ON w.code = r.ward_code
GROUP BY GROUPING SETS ((r.ward_code, w.name, r.month), (r.category))
"""


@cached
def _event_counts(engine: Engine) -> pd.DataFrame:
    """Events by police only, other agencies only and both, per ward and month
    (by_ward_month, with the agencies that reported) and per category, counted in one
    set-based pass: the event flags come from SQL, never from a Python loop per event."""
    with engine.connect() as conn:
        return pd.read_sql(text(_EVENT_COUNTS), conn, params={"police": list(POLICE_TYPES)})


def _with_estimates(table: pd.DataFrame) -> pd.DataFrame:
    estimates = [
        estimate(int(r.police_only + r.both), int(r.other_only + r.both), int(r.both))
        for r in table.itertuples()
    ]
    table["estimated_total"] = [e.total for e in estimates]
    table["interval_low"] = [e.interval[0] if e.interval else None for e in estimates]
    table["interval_high"] = [e.interval[1] if e.interval else None for e in estimates]
    table["enough_overlap"] = [e.enough_overlap for e in estimates]
    return table


_WARD_MONTH_COLUMNS = [
    "ward_code", "ward_name", "month", "agencies", "police_only", "other_only",
    "both", "estimated_total", "interval_low", "interval_high", "enough_overlap",
]  # fmt: skip


@cached
def completeness_by_ward_month(engine: Engine) -> pd.DataFrame:
    """Per ward and month (events without a ward under ward_code None): the agencies
    that reported, events seen by the police only, by other agencies only, by both,
    and the capture-recapture columns of geodata.stats.capture_recapture.source_overlap
    (estimates are withheld where the overlap is too small, nearly everywhere at this
    scale). Latest month first, then ward name."""
    counts = _event_counts(engine)
    table = counts[counts["by_ward_month"]].reset_index(drop=True)
    if table.empty:
        return pd.DataFrame(columns=_WARD_MONTH_COLUMNS)
    counted = ["police_only", "other_only", "both"]
    table = table[_WARD_MONTH_COLUMNS[:4] + counted].astype(dict.fromkeys(counted, "int64"))
    table["agencies"] = table["agencies"].map(lambda a: ", ".join(sorted(a)))
    table = _with_estimates(table)
    return table.sort_values(
        ["month", "ward_name", "ward_code"], ascending=[False, True, True], na_position="last"
    ).reset_index(drop=True)[_WARD_MONTH_COLUMNS]


@cached
def capture_recapture_by_category(engine: Engine) -> pd.DataFrame:
    """Per category, and for all categories together (first row): n1 (police events),
    n2 (other agencies' events), m (both), seen, the Chapman estimate with its log
    interval, enough_overlap (False under MIN_OVERLAP events seen by both: no
    estimate) and the sentence to show. Over every loaded month and ward."""
    counts = _event_counts(engine)
    per_category = counts[~counts["by_ward_month"]].sort_values("category")
    columns = ["police_only", "other_only", "both"]
    groups = [(ALL_CATEGORIES, per_category[columns].sum())]
    groups += [(r["category"], r[columns]) for _, r in per_category.iterrows()]
    rows = []
    for category, c in groups:
        both = int(c["both"])
        result = estimate(int(c["police_only"]) + both, int(c["other_only"]) + both, both)
        rows.append(
            {
                "category": category,
                "n1": result.n1,
                "n2": result.n2,
                "m": result.m,
                "seen": result.seen,
                "estimated_total": result.total,
                "unrecorded": result.unrecorded,
                "interval_low": result.interval[0] if result.interval else None,
                "interval_high": result.interval[1] if result.interval else None,
                "enough_overlap": result.enough_overlap,
                "sentence": result.sentence(),
            }
        )
    return pd.DataFrame(rows)


def assumptions() -> tuple[str, ...]:
    """The capture-recapture assumptions, to state beside every estimate."""
    return ASSUMPTIONS


def min_overlap() -> int:
    return MIN_OVERLAP
