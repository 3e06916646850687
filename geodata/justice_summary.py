"""The justice chain's per-case summary (`justice_cases`, migration 0010), kept in step
with `incidents` and `incident_status_history` inside the transaction that changed them.

Reading a million status histories with window functions for every filter change took
seconds (issue #8); the summary holds, per case, what every justice read needs: the
filter keys (report day, category, agency, ward), the furthest chain
rank reached, the last status and the day its spell began, the day each stage was
first reached, and the finished spells of the open stages. geodata.stats.justice stays
the reference: the tests check the summary's answers equal it.

geodata.summaries.refresh calls it for every writer of incidents or their statuses
(the ingest's finish_import; re-placement, which moves cases between wards). Deleted
incidents take their rows with them (ON DELETE CASCADE), not their counts in
geodata.justice_rollup: see geodata.summaries.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import Connection, text

from geodata import bulk, justice_rollup
from geodata.stats.justice import CHAIN, CHAIN_RANK, OUTCOMES

TABLE = "justice_cases"

_RANK = (
    "CASE h.status "
    + " ".join(f"WHEN '{status}' THEN {rank}" for status, rank in CHAIN_RANK.items())
    + " END"
)
_CHAIN_LIST = ", ".join(f"'{stage}'" for stage in CHAIN)
# Columns in insert order; entered_<stage> for every stage past reported.
ENTERED = tuple(f"entered_{stage}" for stage in (*CHAIN[1:], *OUTCOMES))
COLUMNS = (
    "incident_id", "agency_id", "category", "ward_code", "reported_on",
    "rank", "last_status", "since", "last_seen", "open_since", *ENTERED,
    "finished_stage", "finished_days",
)  # fmt: skip

_ENTERED_SQL = ",\n           ".join(
    [
        f"min(began) FILTER (WHERE rank >= {rank}) AS entered_{stage}"
        for rank, stage in enumerate(CHAIN)
        if rank
    ]
    + [f"min(began) FILTER (WHERE status = '{stage}') AS entered_{stage}" for stage in OUTCOMES]
)

_SINGLE_ENTERED = ", ".join(
    [f"CASE WHEN rank >= {rank} THEN day END" for rank, _ in enumerate(CHAIN) if rank]
    + [f"CASE WHEN status = '{stage}' THEN day END" for stage in OUTCOMES]
)

# `{history_scope}` and `{incident_scope}` limit the cases read; empty for all of them.
# Most cases hold one status (every case of a first load): they take the plain path
# of one grouped pass; only the others pay for the window functions that find spells.
_SUMMARY = f"""
WITH counted AS (
    SELECT h.incident_id, count(*) AS n, min(h.status) AS status, min(h.observed_on) AS day
    FROM incident_status_history h
    {{history_scope}}
    GROUP BY h.incident_id
),
single AS (
    SELECT incident_id, status, day, {_RANK.replace("h.status", "status")} AS rank
    FROM counted WHERE n = 1
),
marked AS (
    SELECT h.incident_id, h.id, h.status, h.observed_on, {_RANK} AS rank,
           lag(h.status) OVER seen IS DISTINCT FROM h.status AS changed,
           max(h.observed_on) OVER (PARTITION BY h.incident_id) AS last_seen
    FROM incident_status_history h
    WHERE h.incident_id IN (SELECT incident_id FROM counted WHERE n > 1)
    WINDOW seen AS (PARTITION BY h.incident_id ORDER BY h.observed_on, h.id)
),
spells AS (
    -- A spell: the statuses in a row that are the same (repeats are one spell).
    SELECT incident_id, status, rank, last_seen, observed_on AS began,
           lead(observed_on) OVER (PARTITION BY incident_id ORDER BY observed_on, id) AS ended
    FROM marked WHERE changed
),
per_case AS (
    SELECT incident_id, coalesce(max(rank), 0) AS rank,
           max(status) FILTER (WHERE ended IS NULL) AS last_status,
           max(began) AS since, max(last_seen) AS last_seen,
           {_ENTERED_SQL},
           array_agg(status ORDER BY began, status) FILTER (
               WHERE ended IS NOT NULL AND status IN ({_CHAIN_LIST})) AS finished_stage,
           array_agg(ended - began ORDER BY began, status) FILTER (
               WHERE ended IS NOT NULL AND status IN ({_CHAIN_LIST})) AS finished_days
    FROM spells GROUP BY incident_id
    UNION ALL
    SELECT incident_id, coalesce(rank, 0), status, day, day, {_SINGLE_ENTERED},
           NULL::text[], NULL::int[]
    FROM single
)
INSERT INTO {TABLE} ({", ".join(COLUMNS)})
SELECT i.id, i.agency_id, i.category, i.ward_code,
       coalesce(i.reported_on, i.occurred_from)::date, coalesce(p.rank, 0), p.last_status,
       p.since, p.last_seen,
       CASE WHEN coalesce(p.last_status, 'reported') IN ({_CHAIN_LIST})
            THEN coalesce(p.since, coalesce(i.reported_on, i.occurred_from)::date) END,
       {", ".join(f"p.{c}" for c in ENTERED)},
       p.finished_stage, p.finished_days
FROM incidents i
LEFT JOIN per_case p ON p.incident_id = i.id
{{incident_scope}}
"""


def rebuild(conn: Connection) -> None:
    """Rewrite every case's row, and recount them (geodata.justice_rollup)."""
    conn.execute(text(f"TRUNCATE {TABLE}"))
    _insert(conn, None)
    justice_rollup.rebuild(conn)


def rewrite(conn: Connection, chosen: str, rows: int) -> None:
    """Rewrite the rows of the `rows` incidents whose ids the temporary table `chosen`
    (one column) holds (geodata.summaries chooses them)."""
    justice_rollup.count(conn, chosen, -1)
    conn.execute(text(f"DELETE FROM {TABLE} WHERE incident_id IN (SELECT * FROM {chosen})"))
    _insert(conn, rows, chosen)
    justice_rollup.count(conn, chosen, +1)
    justice_rollup.apply(conn)


def _insert(conn: Connection, rows: int | None, chosen: str = "") -> None:
    """Insert the summary of the chosen incidents (all when `rows` is None)."""
    if rows is None:
        sql = _SUMMARY.replace("{history_scope}", "").replace("{incident_scope}", "")
    else:
        sql = _SUMMARY.replace(
            "{history_scope}", f"WHERE h.incident_id IN (SELECT * FROM {chosen})"
        ).replace("{incident_scope}", f"WHERE i.id IN (SELECT * FROM {chosen})")
    many = rows is None or bulk.is_bulk(conn, TABLE, rows)
    deferred = bulk.indexes_deferred(conn, (TABLE,)) if many else contextlib.nullcontext()
    with deferred:
        conn.execute(text(sql))
    if many:
        conn.execute(text(f"ANALYZE {TABLE}"))
