"""Records per agency by ward and month and by category (`agency_record_counts`,
migration 0010): what the completeness page counts, kept on load so the page sums a
few tens of thousands of rows instead of grouping a million incidents (issue #8).

Every record counts here, linked or not: linkage changes which records share an
event without touching this table, and geodata.queries.linkage takes the few linked
records back out at read time (through the index on event_group_id). So only writes
of incidents refresh it, agency by agency (geodata.summaries).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

TABLE = "agency_record_counts"
# The month of a record is the month its incident started, as the page shows it.
MONTH = "date_trunc('month', i.occurred_from)::date"

_INSERT = f"""
INSERT INTO {TABLE} (agency_id, by_ward_month, ward_code, month, category, n)
SELECT i.agency_id, GROUPING(i.category) = 1, i.ward_code, {MONTH}, i.category, count(*)
FROM incidents i
{{where}}
GROUP BY GROUPING SETS ((i.agency_id, i.ward_code, {MONTH}), (i.agency_id, i.category))
"""


def refresh(conn: Connection, agencies: Sequence[int] | None = None) -> None:
    """Rewrite the rows of `agencies` (every agency when None) from the incidents, on
    the caller's connection and transaction."""
    if agencies is None:
        conn.execute(text(f"TRUNCATE {TABLE}"))
        conn.execute(text(_INSERT.replace("{where}", "")))
    else:
        if not agencies:
            return
        ids = {"ids": [int(a) for a in agencies]}
        conn.execute(text(f"DELETE FROM {TABLE} WHERE agency_id = ANY(:ids)"), ids)
        conn.execute(text(_INSERT.replace("{where}", "WHERE i.agency_id = ANY(:ids)")), ids)
