"""Counts of the per-case justice summary (`justice_cases`), kept beside it so that a
national view sums tens of thousands of rows instead of a million cases (issue #8).

- `justice_states`: cases per category, agency, ward, furthest chain rank and last
  status: the case count and the funnel, under any filter and grouping.
- `justice_days`: per category, cases entering each stage per day (`entered`; the
  report day for `reported`), cases whose current open spell began on a day
  (`waiting`), finished spells of each open stage by length in days (`finished`),
  and cases by the last day a status was seen (`seen`): the period change, the days
  at each stage and the latest day, when the view filters on categories only.

Both hold counts only, so a refresh applies differences: the chosen cases' old rows
counted negative, their new rows positive, and groups that reach zero go. The cost
follows the cases a load touched, not the table.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from geodata.stats.justice import CHAIN, STAGES

STATES = "justice_states"
DAYS = "justice_days"
STATE_KEYS = ("category", "agency_id", "ward_code", "rank", "last_status")
DAY_KEYS = ("category", "kind", "stage", "day", "days")

_CHAIN_LIST = ", ".join(f"'{stage}'" for stage in CHAIN)
# The day a case entered each stage: its column in justice_cases.
_ENTERED = {stage: "reported_on" if stage == "reported" else f"entered_{stage}" for stage in STAGES}
_SETS = [f"(c.category, c.{column})" for column in _ENTERED.values()] + [
    "(c.category, c.last_status, c.since)",
    "(c.category, c.last_seen)",
]
_GROUPED = [*_ENTERED.values(), "last_status", "since", "last_seen"]
# The rows a set of cases adds to justice_days, counted: the cases first grouped on
# every day column at once (a million cases make some tens of thousands of groups,
# one hash each), those groups summed per stage's day (hashing each case once per
# stage took seconds at a million), and the finished spells apart.
# `{where}` chooses the cases (a condition on c, or nothing for all of them).
_DAY_COUNTS = f"""
WITH cases AS (
    SELECT c.category, {", ".join(f"c.{column}" for column in _GROUPED)}, count(*) AS n
    FROM justice_cases c {{where}}
    GROUP BY c.category, {", ".join(f"c.{column}" for column in _GROUPED)}
),
sets AS (
    SELECT c.category, {", ".join(f"c.{column}" for column in _GROUPED)},
           {", ".join(f"GROUPING(c.{column}) = 0 AS by_{column}" for column in _GROUPED)},
           sum(c.n)::bigint AS n
    FROM cases c
    GROUP BY GROUPING SETS ({", ".join(_SETS)})
)
{
    " UNION ALL ".join(
        f"SELECT category, 'entered' AS kind, '{stage}' AS stage, {column} AS day, "
        f"NULL::int AS days, n FROM sets WHERE by_{column} AND {column} IS NOT NULL"
        for stage, column in _ENTERED.items()
    )
}
UNION ALL
SELECT category, 'waiting', last_status, since, NULL, n FROM sets
WHERE by_since AND last_status IN ({_CHAIN_LIST})
UNION ALL
SELECT category, 'seen', NULL, last_seen, NULL, n FROM sets
WHERE by_last_seen AND last_seen IS NOT NULL
UNION ALL
SELECT c.category, 'finished', f.stage, NULL, f.days, count(*)
FROM justice_cases c, unnest(c.finished_stage, c.finished_days) AS f(stage, days)
WHERE c.finished_stage IS NOT NULL {{and_where}}
GROUP BY c.category, f.stage, f.days
"""


def _day_counts(where: str) -> str:
    return _DAY_COUNTS.replace("{where}", f"WHERE {where}" if where else "").replace(
        "{and_where}", f"AND {where}" if where else ""
    )


def rebuild(conn: Connection) -> None:
    """Recount both tables from every case."""
    conn.execute(text(f"TRUNCATE {STATES}, {DAYS}"))
    keys = ", ".join(STATE_KEYS)
    conn.execute(
        text(
            f"INSERT INTO {STATES} ({keys}, n) SELECT {keys}, count(*) FROM justice_cases c "
            f"GROUP BY {keys}"
        )
    )
    conn.execute(text(f"INSERT INTO {DAYS} ({', '.join(DAY_KEYS)}, n) {_day_counts('')}"))
    conn.execute(text(f"ANALYZE {STATES}, {DAYS}"))


def count(conn: Connection, chosen: str, sign: int) -> None:
    """Add the rows of the cases in temporary table `chosen` (one column of ids),
    counted `sign` (-1 before they are rewritten, +1 after), to the pending
    differences; `apply` writes them."""
    if sign < 0:
        conn.execute(
            text(
                "CREATE TEMP TABLE justice_state_delta ON COMMIT DROP AS "
                f"SELECT {', '.join(STATE_KEYS)}, 0::bigint AS n FROM {STATES} LIMIT 0"
            )
        )
        conn.execute(
            text(
                "CREATE TEMP TABLE justice_day_delta ON COMMIT DROP AS "
                f"SELECT {', '.join(DAY_KEYS)}, 0::bigint AS n FROM {DAYS} LIMIT 0"
            )
        )
    where = f"c.incident_id IN (SELECT * FROM {chosen})"
    keys = ", ".join(STATE_KEYS)
    conn.execute(
        text(
            f"INSERT INTO justice_state_delta SELECT {keys}, {sign} * count(*) "
            f"FROM justice_cases c WHERE {where} GROUP BY {keys}"
        )
    )
    keys = ", ".join(DAY_KEYS)
    conn.execute(
        text(
            f"INSERT INTO justice_day_delta SELECT {keys}, {sign} * n FROM ({_day_counts(where)}) r"
        )
    )


def apply(conn: Connection) -> None:
    """Write the pending differences (`count`) and drop the groups left empty."""
    for table, keys in ((STATES, STATE_KEYS), (DAYS, DAY_KEYS)):
        delta = "justice_state_delta" if table == STATES else "justice_day_delta"
        columns = ", ".join(keys)
        conn.execute(
            text(
                f"INSERT INTO {table} AS t ({columns}, n) "
                f"SELECT {columns}, sum(n) FROM {delta} GROUP BY {columns} "
                f"HAVING sum(n) <> 0 "
                f"ON CONFLICT ({columns}) DO UPDATE SET n = t.n + EXCLUDED.n"
            )
        )
        conn.execute(text(f"DELETE FROM {table} WHERE n = 0"))
        conn.execute(text(f"DROP TABLE {delta}"))
