"""The audit log: who viewed or exported record-level data, signed in or out, and when.

`detail` describes the request (page, filters, number of rows), never the people in
the records: keys that suggest personal data are refused, since a log that quietly
collected names would defeat the point of keeping them out of the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, text

# Substrings of detail keys that would mean personal data went into the log.
_PERSONAL_KEYS = ("name", "phone", "id_number", "national_id", "victim", "suspect", "address")
_MAX_DETAIL_CHARS = 4000


def _check_detail(detail: Mapping[str, Any]) -> str:
    for key in detail:
        lowered = str(key).lower()
        if any(word in lowered for word in _PERSONAL_KEYS) and lowered not in {
            "page_name",
            "file_name",
        }:
            raise ValueError(f"audit detail key {key!r} suggests personal data; log counts")
    encoded = json.dumps(dict(detail), default=str, sort_keys=True)
    if len(encoded) > _MAX_DETAIL_CHARS:
        raise ValueError("audit detail too large: log filters and counts, not records")
    return encoded


def record(
    engine: Engine,
    action: str,
    username: str | None,
    detail: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Append one entry. `action` is a short verb phrase such as `export.incidents`,
    `view.records`, `login`, `login.failed`, `logout`, `user.add`."""
    encoded = _check_detail(detail or {})
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (username, action, detail, ip) "
                "VALUES (:u, :a, CAST(:d AS jsonb), :ip)"
            ),
            {"u": username, "a": action, "d": encoded, "ip": ip},
        )


def recent(
    engine: Engine,
    limit: int = 200,
    username: str | None = None,
    action_prefix: str | None = None,
    since: datetime | None = None,
) -> pd.DataFrame:
    """Newest entries first: columns at, username, action, detail, ip."""
    clauses, params = [], {"limit": int(limit)}
    if username:
        clauses.append("username = :u")
        params["u"] = username
    if action_prefix:
        clauses.append("action LIKE :a ESCAPE '\\'")
        escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["a"] = escaped + "%"
    if since is not None:
        clauses.append("at >= :since")
        params["since"] = since
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    # `where` joins fixed fragments; every value is a bound parameter.
    sql = (
        f"SELECT at, username, action, detail, ip FROM audit_log {where} "
        "ORDER BY at DESC, id DESC LIMIT :limit"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    return pd.DataFrame(rows, columns=["at", "username", "action", "detail", "ip"])
