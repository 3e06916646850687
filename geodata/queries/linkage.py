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
), linked_events AS (
    SELECT agency, ward_code, month, category,
           (lead AND police AND NOT other)::int AS police_only,
           (lead AND other AND NOT police)::int AS other_only,
           (lead AND police AND other)::int AS seen_by_both
    FROM linked
), counted AS (
    -- A record in no group is an event of its own. agency_record_counts (kept on load,
    -- geodata.source_counts) counts every record per agency; the linked ones, few and
    -- found through their index, are taken back out here.
    SELECT agency_id, by_ward_month, ward_code, month, category, n
    FROM agency_record_counts
    UNION ALL
    SELECT i.agency_id, true, i.ward_code, date_trunc('month', i.occurred_from)::date,
           NULL, -count(*)
    FROM incidents i WHERE i.event_group_id IS NOT NULL
    GROUP BY i.agency_id, i.ward_code, 4
    UNION ALL
    SELECT i.agency_id, false, NULL, NULL, i.category, -count(*)
    FROM incidents i WHERE i.event_group_id IS NOT NULL
    GROUP BY i.agency_id, i.category
), records AS (
    -- present: the agency's records in the group (an agency is listed where it has one)
    SELECT c.by_ward_month, a.name AS agency, c.ward_code, c.month, c.category,
           CASE WHEN a.agency_type = ANY(:police) THEN c.n ELSE 0 END AS police_only,
           CASE WHEN a.agency_type = ANY(:police) THEN 0 ELSE c.n END AS other_only,
           0 AS seen_by_both, c.n AS present
    FROM counted c JOIN agencies a ON a.id = c.agency_id
    UNION ALL
    SELECT true, agency, ward_code, month, NULL, police_only, other_only, seen_by_both, 1
    FROM linked_events
    UNION ALL
    SELECT false, agency, NULL, NULL, category, police_only, other_only, seen_by_both, 1
    FROM linked_events
), per_agency AS (
    -- Grouped by hashing, twice (by agency, then without): no sort of tens of
    -- thousands of rows on text keys, and each agency once in a group's list.
    SELECT by_ward_month, ward_code, month, category, agency, sum(police_only) AS police_only,
           sum(other_only) AS other_only, sum(seen_by_both) AS seen_by_both
    FROM records GROUP BY by_ward_month, ward_code, month, category, agency
    HAVING sum(present) > 0
), grouped AS (
    SELECT by_ward_month, ward_code, month, category, sum(police_only) AS police_only,
           sum(other_only) AS other_only, sum(seen_by_both) AS seen_by_both,
           string_agg(agency, ', ' ORDER BY agency COLLATE "C") AS agencies
    FROM per_agency GROUP BY by_ward_month, ward_code, month, category
)
SELECT g.by_ward_month, g.ward_code, w.name AS ward_name, g.month, g.category,
       g.police_only, g.other_only, g.seen_by_both AS both, g.agencies
FROM grouped g LEFT JOIN wards w ON w.code = g.ward_code
"""


@cached
def _event_counts(engine: Engine) -> pd.DataFrame:
    """Events by police only, other agencies only and both, per ward and month
    (by_ward_month, with the agencies that reported) and per category, counted in one
    set-based pass: the event flags come from SQL, never from a Python loop per event."""
    with engine.connect() as conn:
        return pd.read_sql(text(_EVENT_COUNTS), conn, params={"police": list(POLICE_TYPES)})


def _with_estimates(table: pd.DataFrame) -> pd.DataFrame:
    # Withheld under MIN_OVERLAP events seen by both (nearly every ward and month):
    # only the others pay for an estimate, tens of thousands of rows at a million.
    counts = zip(table["police_only"], table["other_only"], table["both"], strict=True)
    estimates = [
        estimate(int(p + b), int(o + b), int(b)) if b >= MIN_OVERLAP else None for p, o, b in counts
    ]
    table["estimated_total"] = [e.total if e else None for e in estimates]
    table["interval_low"] = [e.interval[0] if e and e.interval else None for e in estimates]
    table["interval_high"] = [e.interval[1] if e and e.interval else None for e in estimates]
    table["enough_overlap"] = [bool(e and e.enough_overlap) for e in estimates]
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
