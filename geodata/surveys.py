"""Writes of safety audit surveys and of feedback on police services.

Survey responses hold the mapped answers only (etl.surveys never reads another
column), keyed on the form's submission id so that loading the same export again,
or a later export that repeats earlier submissions, changes nothing. Feedback
records carry no identity at all; each is keyed on a hash of its values and its
repeat number within the file (see etl.feedback).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import bindparam

from geodata import cache
from geodata.errors import ObservatoryError


@dataclass(frozen=True)
class RoundInfo:
    name: str
    reference_months: int
    weight_kind: str  # none | expansion | relative
    unit_size: float
    categories: tuple[str, ...]
    mapping: dict
    source_file: str
    file_sha256: str


def ward_names(engine: Engine) -> list[tuple[str, str]]:
    """(code, name) of every loaded ward, to resolve the survey's ward answers."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT code, name FROM wards ORDER BY code"))]


_UPSERT_ROUND = text(
    """
    INSERT INTO survey_rounds (name, reference_months, weight_kind, unit_size, categories,
                               mapping, source_file, file_sha256)
    VALUES (:name, :reference_months, :weight_kind, :unit_size, :categories, :mapping,
            :source_file, :file_sha256)
    ON CONFLICT (name) DO UPDATE SET
        reference_months = EXCLUDED.reference_months, weight_kind = EXCLUDED.weight_kind,
        unit_size = EXCLUDED.unit_size, categories = EXCLUDED.categories,
        mapping = EXCLUDED.mapping, source_file = EXCLUDED.source_file,
        file_sha256 = EXCLUDED.file_sha256
    RETURNING id
    """
).bindparams(bindparam("mapping", type_=JSONB))

_STAGE = """
CREATE TEMP TABLE stage_survey (
    submission_uuid text, submitted_at timestamp, ward_code text, weight double precision,
    victimised jsonb, unsafe_after_dark boolean, trusts_police boolean, unsafe_places text[]
) ON COMMIT DROP
"""
_STAGE_INSERT = text(
    "INSERT INTO stage_survey VALUES (:submission_uuid, :submitted_at, :ward_code, :weight, "
    "CAST(:victimised AS jsonb), :unsafe_after_dark, :trusts_police, :unsafe_places)"
)
_COLUMNS = (
    "submitted_at",
    "ward_code",
    "weight",
    "victimised",
    "unsafe_after_dark",
    "trusts_police",
    "unsafe_places",
)
_UPSERT_RESPONSES = f"""
WITH upserted AS (
    INSERT INTO survey_responses AS r (round_id, submission_uuid, {", ".join(_COLUMNS)})
    SELECT :round_id, submission_uuid, {", ".join(_COLUMNS)} FROM stage_survey
    ON CONFLICT (submission_uuid) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS)}
    WHERE ({", ".join(f"r.{c}" for c in _COLUMNS)})
        IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _COLUMNS)})
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM upserted
"""
_OTHER_ROUNDS = """
SELECT s.submission_uuid, o.name FROM stage_survey s
JOIN survey_responses r USING (submission_uuid)
JOIN survey_rounds o ON o.id = r.round_id
WHERE r.round_id <> :round_id
ORDER BY 1 LIMIT 3
"""
_FIELDWORK = """
UPDATE survey_rounds SET
    fieldwork_from = (SELECT min(submitted_at)::date FROM survey_responses WHERE round_id = :id),
    fieldwork_to = (SELECT max(submitted_at)::date FROM survey_responses WHERE round_id = :id)
WHERE id = :id
"""


def _stage_rows(frame: pd.DataFrame) -> list[dict]:
    rows = []
    for rec in frame.to_dict("records"):
        submitted = rec["submitted_at"]
        rows.append(
            {
                "submission_uuid": rec["submission_uuid"],
                "submitted_at": None
                if pd.isna(submitted)
                else pd.Timestamp(submitted).to_pydatetime(),
                "ward_code": rec["ward_code"],
                "weight": float(rec["weight"]),
                "victimised": json.dumps(rec["victimised"], sort_keys=True),
                "unsafe_after_dark": rec["unsafe_after_dark"],
                "trusts_police": rec["trusts_police"],
                "unsafe_places": list(rec["unsafe_places"]),
            }
        )
    return rows


def store_responses(engine: Engine, info: RoundInfo, frame: pd.DataFrame) -> dict[str, int]:
    """Store one file's responses in round `info.name` (created or updated), in one
    transaction. A submission already stored under another round refuses the file."""
    with engine.begin() as conn:
        params = {**info.__dict__, "categories": list(info.categories)}
        round_id = conn.execute(_UPSERT_ROUND, params).scalar_one()
        conn.execute(text(_STAGE))
        rows = _stage_rows(frame)
        if rows:
            conn.execute(_STAGE_INSERT, rows)
        clash = conn.execute(text(_OTHER_ROUNDS), {"round_id": round_id}).all()
        if clash:
            ids = ", ".join(uuid for uuid, _ in clash)
            raise ObservatoryError(
                f"{info.source_file}: submissions {ids} are already stored in survey round "
                f"{clash[0][1]!r}; load this file with --round {clash[0][1]!r}, or check that "
                "it is the right export."
            )
        counts = conn.execute(text(_UPSERT_RESPONSES), {"round_id": round_id}).one()
        conn.execute(text(_FIELDWORK), {"id": round_id})
        cache.bump_version(conn)
    return {
        "inserted": counts.inserted,
        "updated": counts.updated,
        "unchanged": len(rows) - counts.inserted - counts.updated,
    }


FEEDBACK_COLUMNS = (
    "record_key",
    "station",
    "received_on",
    "channel",
    "rating",
    "complaint_category",
    "resolved",
)
_STAGE_FEEDBACK = """
CREATE TEMP TABLE stage_feedback (
    record_key text, station text, received_on date, channel text, rating integer,
    complaint_category text, resolved boolean
) ON COMMIT DROP
"""
_COPY_FEEDBACK = text(
    f"INSERT INTO stage_feedback VALUES ({', '.join(f':{c}' for c in FEEDBACK_COLUMNS)})"
)
_INSERT_FEEDBACK = f"""
INSERT INTO feedback_records ({", ".join(FEEDBACK_COLUMNS)}, source_file)
SELECT DISTINCT ON (record_key) {", ".join(FEEDBACK_COLUMNS)}, :source_file FROM stage_feedback
ORDER BY record_key
ON CONFLICT (record_key) DO NOTHING
"""


def _plain(value):
    """None for pandas' missing values; Python types for numpy ones."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def store_feedback(engine: Engine, frame: pd.DataFrame, source_file: str) -> dict[str, int]:
    """Insert feedback records not stored before (by record_key), in one transaction."""
    rows = [
        {k: _plain(v) for k, v in rec.items()}
        for rec in frame[list(FEEDBACK_COLUMNS)].to_dict("records")
    ]
    with engine.begin() as conn:
        conn.execute(text(_STAGE_FEEDBACK))
        if rows:
            conn.execute(_COPY_FEEDBACK, rows)
        inserted = conn.execute(text(_INSERT_FEEDBACK), {"source_file": source_file}).rowcount
        cache.bump_version(conn)
    return {"inserted": inserted, "unchanged": len(rows) - inserted}
