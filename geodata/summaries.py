"""Tables derived from the incidents inside the transaction that wrote them, so that
national pages read small summaries rather than a million incidents (issue #8): the
justice chain per case (geodata.justice_summary) and the records per agency the
completeness page counts (geodata.source_counts).

Every writer of incidents or of their statuses calls `refresh` once it has written:
the ingest's finish_import with its import, re-placement with the incidents it moved.
The application never deletes incidents; whoever does outside it (a bench reset, a
manual DELETE) calls `refresh(conn)` after, which recounts everything.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from geodata import bulk, justice_summary, source_counts

_CHOSEN = "summary_chosen"
_BY_IMPORT = "SELECT id FROM incidents WHERE import_id = :import_id"
_BY_IDS = "SELECT unnest(CAST(:ids AS bigint[])) AS id"


def refresh(
    conn: Connection,
    import_id: int | None = None,
    incident_ids: list[int] | None = None,
    written: int | None = None,
) -> None:
    """Bring the summaries up to date for the incidents import `import_id` wrote
    (inserted or updated; `written` of them, when the caller counted), or for
    `incident_ids`, or for every incident when both are None; on the caller's
    connection and transaction."""
    if import_id is None and incident_ids is None:
        _rebuild(conn)
        return
    if written is not None and bulk.is_bulk(conn, justice_summary.TABLE, written):
        # Recounted from every incident below anyway: choosing the million first
        # would only scan the incidents once more.
        _rebuild(conn)
        return
    if import_id is not None:
        chosen, params = _BY_IMPORT, {"import_id": int(import_id)}
    else:
        chosen, params = _BY_IDS, {"ids": [int(i) for i in incident_ids or ()]}
    conn.execute(text(f"CREATE TEMP TABLE {_CHOSEN} ON COMMIT DROP AS {chosen}"), params)
    try:
        rows = conn.execute(text(f"SELECT count(*) FROM {_CHOSEN}")).scalar_one()
        if rows and bulk.is_bulk(conn, justice_summary.TABLE, rows):
            # Most of the table (a first or national load): recounting everything
            # beats applying a million differences.
            _rebuild(conn)
        elif rows:
            conn.execute(text(f"ANALYZE {_CHOSEN}"))
            justice_summary.rewrite(conn, _CHOSEN, rows)
            agencies = conn.execute(
                text(
                    f"SELECT DISTINCT i.agency_id FROM incidents i "
                    f"WHERE i.id IN (SELECT * FROM {_CHOSEN})"
                )
            ).scalars()
            source_counts.refresh(conn, list(agencies))
    finally:
        conn.execute(text(f"DROP TABLE {_CHOSEN}"))


def _rebuild(conn: Connection) -> None:
    justice_summary.rebuild(conn)
    source_counts.refresh(conn)
