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
from geodata.linkage_store import event_key_sql
from geodata.stats.capture_recapture import ASSUMPTIONS, MIN_OVERLAP, estimate, source_overlap

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


def _event_records(engine: Engine) -> pd.DataFrame:
    """One row per record: event_group (the event key), agency, is_police, and its
    event's ward_code, ward_name, month and category."""
    key = event_key_sql("i")
    with engine.connect() as conn:
        return pd.read_sql(
            text(
                f"""
                SELECT e.event_group, e.agency, e.is_police,
                       first_value(e.ward_code) OVER w AS ward_code,
                       first_value(e.month) OVER w AS month,
                       first_value(e.category) OVER w AS category
                FROM (
                    SELECT {key} AS event_group, i.id, a.name AS agency,
                           a.agency_type = ANY(:police) AS is_police, i.ward_code,
                           date_trunc('month', i.occurred_from)::date AS month, i.category
                    FROM incidents i JOIN agencies a ON a.id = i.agency_id
                ) e
                WINDOW w AS (PARTITION BY e.event_group
                             ORDER BY (e.ward_code IS NULL), e.is_police DESC, e.id)
                """
            ),
            conn,
            params={"police": list(POLICE_TYPES)},
        ).merge(_ward_names(engine), on="ward_code", how="left")


def _ward_names(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(text("SELECT code AS ward_code, name AS ward_name FROM wards"), conn)


@cached
def completeness_by_ward_month(engine: Engine) -> pd.DataFrame:
    """Per ward and month (events without a ward under ward_code None): the agencies
    that reported, events seen by the police only, by other agencies only, by both,
    and the capture-recapture columns of geodata.stats.capture_recapture.source_overlap
    (estimates are withheld where the overlap is too small, nearly everywhere at this
    scale). Latest month first, then ward name."""
    records = _event_records(engine)
    if records.empty:
        return pd.DataFrame(
            columns=[
                "ward_code", "ward_name", "month", "agencies", "police_only", "other_only",
                "both", "estimated_total", "interval_low", "interval_high", "enough_overlap",
            ]
        )  # fmt: skip
    table = source_overlap(records, ["ward_code", "ward_name", "month"])
    table["agencies"] = table["agencies"].map(lambda a: ", ".join(a))
    return table.sort_values(
        ["month", "ward_name", "ward_code"], ascending=[False, True, True], na_position="last"
    ).reset_index(drop=True)


@cached
def capture_recapture_by_category(engine: Engine) -> pd.DataFrame:
    """Per category, and for all categories together (first row): n1 (police events),
    n2 (other agencies' events), m (both), seen, the Chapman estimate with its log
    interval, enough_overlap (False under MIN_OVERLAP events seen by both: no
    estimate) and the sentence to show. Over every loaded month and ward."""
    records = _event_records(engine)
    per_event = records.groupby("event_group").agg(
        category=("category", "first"),
        police=("is_police", "any"),
        other=("is_police", lambda s: bool((~s).any())),
    )
    rows = []
    groups = [(ALL_CATEGORIES, per_event)] + list(per_event.groupby("category"))
    for category, events in groups:
        n1, n2 = int(events["police"].sum()), int(events["other"].sum())
        result = estimate(n1, n2, int((events["police"] & events["other"]).sum()))
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
