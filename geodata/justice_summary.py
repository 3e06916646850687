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
from collections.abc import Iterator

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
    [f"CASE WHEN s.rank >= {rank} THEN s.day END" for rank, _ in enumerate(CHAIN) if rank]
    + [f"CASE WHEN s.status = '{stage}' THEN s.day END" for stage in OUTCOMES]
)

# `{history_scope}` limits the statuses read (a WHERE on h, or nothing for all of
# them), `{incident_scope}` the incidents (an AND on i, or nothing).
_GROUPED = """
SELECT h.incident_id, count(*) AS n, min(h.status) AS status, min(h.observed_on) AS day
FROM incident_status_history h
{history_scope}
GROUP BY h.incident_id
"""

# Most cases hold one status (every case of a first load) or none: one grouped pass
# over the statuses joined to the incidents, streamed into the table (a CTE read twice
# would store a million rows first, the larger part of the cost at a million cases).
_SINGLE = f"""
INSERT INTO {TABLE} ({", ".join(COLUMNS)})
SELECT i.id, i.agency_id, i.category, i.ward_code,
       coalesce(i.reported_on, i.occurred_from)::date, coalesce(s.rank, 0), s.status,
       s.day, s.day,
       CASE WHEN coalesce(s.status, 'reported') IN ({_CHAIN_LIST})
            THEN coalesce(s.day, coalesce(i.reported_on, i.occurred_from)::date) END,
       {_SINGLE_ENTERED}, NULL::text[], NULL::int[]
FROM incidents i
LEFT JOIN (
    SELECT g.*, {_RANK.replace("h.status", "g.status")} AS rank FROM ({_GROUPED}) g
) s ON s.incident_id = i.id
WHERE coalesce(s.n, 0) <= 1 {{incident_scope}}
"""

# The others pay for the window functions that find their spells.
_MULTIPLE = f"""
WITH marked AS (
    SELECT h.incident_id, h.id, h.status, h.observed_on, {_RANK} AS rank,
           lag(h.status) OVER seen IS DISTINCT FROM h.status AS changed,
           max(h.observed_on) OVER (PARTITION BY h.incident_id) AS last_seen
    FROM incident_status_history h
    WHERE h.incident_id IN (SELECT g.incident_id FROM ({_GROUPED}) g WHERE g.n > 1)
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
)
INSERT INTO {TABLE} ({", ".join(COLUMNS)})
SELECT i.id, i.agency_id, i.category, i.ward_code,
       coalesce(i.reported_on, i.occurred_from)::date, p.rank, p.last_status,
       p.since, p.last_seen,
       CASE WHEN coalesce(p.last_status, 'reported') IN ({_CHAIN_LIST})
            THEN coalesce(p.since, coalesce(i.reported_on, i.occurred_from)::date) END,
       {", ".join(f"p.{c}" for c in ENTERED)},
       p.finished_stage, p.finished_days
FROM incidents i
JOIN per_case p ON p.incident_id = i.id
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
    """Insert the summary of the chosen incidents (all when `rows` is None), none of
    which has a row: one per incident, so a large insert checks the key once, after."""
    history = incidents = ""
    if rows is not None:
        history = f"WHERE h.incident_id IN (SELECT * FROM {chosen})"
        incidents = f"AND i.id IN (SELECT * FROM {chosen})"
    many = rows is None or bulk.is_bulk(conn, TABLE, rows)
    with contextlib.ExitStack() as deferred:
        if many:
            # Outermost: checking the foreign key, once the key is back, merges too.
            deferred.enter_context(_merged(conn))
            deferred.enter_context(bulk.indexes_deferred(conn, (TABLE,)))
            deferred.enter_context(bulk.primary_key_deferred(conn, TABLE))
        conn.execute(
            text(_SINGLE.replace("{history_scope}", history).replace("{incident_scope}", incidents))
        )
        if not many or _some_case_has_several_statuses(conn, history, chosen):
            conn.execute(text(_MULTIPLE.replace("{history_scope}", history)))
    if many:
        conn.execute(text(f"ANALYZE {TABLE}"))


def _some_case_has_several_statuses(conn: Connection, history: str, chosen: str) -> bool:
    """Whether a chosen case holds more than one status, once the others are written:
    when the statuses outnumber the cases written with one, two counts instead of
    grouping a million statuses again to find none (a first load has none)."""
    cases = f"WHERE c.incident_id IN (SELECT * FROM {chosen})" if chosen else ""
    statuses, written = conn.execute(
        text(
            f"SELECT (SELECT count(*) FROM incident_status_history h {history}), "
            f"(SELECT count(*) FROM {TABLE} c {cases} {'AND' if cases else 'WHERE'} "
            "c.last_status IS NOT NULL)"
        )
    ).one()
    return statuses > written


@contextlib.contextmanager
def _merged(conn: Connection) -> Iterator[None]:
    """Join the incidents and their grouped statuses by merging the two in id order,
    as both indexes give them: the planner prefers hashing a million incidents, three
    times slower at a million cases (3.6 s against 0.8 s)."""
    previous = conn.execute(text("SELECT current_setting('enable_hashjoin')")).scalar_one()
    conn.execute(text("SET LOCAL enable_hashjoin = off"))
    yield
    conn.execute(
        text("SELECT set_config('enable_hashjoin', :previous, true)"), {"previous": previous}
    )
