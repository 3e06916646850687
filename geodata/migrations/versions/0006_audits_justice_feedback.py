"""Safety audit surveys, feedback on police services, and each incident's status
history for the justice chain.

The history is written by triggers on `incidents`, so every path that stores an
incident (the ingest upsert today, any other later) records its statuses. They are
statement-level triggers with transition tables rather than the row-level
`AFTER INSERT OR UPDATE OF status ... FOR EACH ROW`: one set-based INSERT per load
instead of one per incident keeps ingest throughput. (PostgreSQL allows transition
tables only on single-event triggers without a column list, hence two triggers,
and the UPDATE one compares old and new status itself.)

observed_on: a case's first status is dated by its `reported_on` when known (the
register says it was reported then), otherwise by the date of the import that
brought it; every later change is dated by the import that brought it. A session
that loads old files can date them instead with the setting `observatory.observed_on`
(e.g. libpq options `-c observatory.observed_on=2024-06-30`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The date a load describes: the session setting `observatory.observed_on` when set
# (loading old monthly files in order, each as of its own month), else the import's.
_IMPORT_DAY = (
    "coalesce(nullif(current_setting('observatory.observed_on', true), '')::date, "
    "im.started_at::date, current_date)"
)

_ON_INSERT = f"""
CREATE FUNCTION incident_status_history_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO incident_status_history (incident_id, status, observed_on, import_id)
    SELECT n.id, n.status, coalesce(n.reported_on::date, {_IMPORT_DAY}), n.import_id
    FROM new_rows n
    LEFT JOIN imports im ON im.id = n.import_id
    WHERE n.status IS NOT NULL;
    RETURN NULL;
END
$$
"""

_ON_UPDATE = f"""
CREATE FUNCTION incident_status_history_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO incident_status_history (incident_id, status, observed_on, import_id)
    SELECT n.id, n.status,
        CASE WHEN EXISTS (SELECT 1 FROM incident_status_history h WHERE h.incident_id = n.id)
            THEN {_IMPORT_DAY}
            ELSE coalesce(n.reported_on::date, {_IMPORT_DAY})
        END,
        n.import_id
    FROM new_rows n
    JOIN old_rows o ON o.id = n.id
    LEFT JOIN imports im ON im.id = n.import_id
    WHERE n.status IS NOT NULL AND n.status IS DISTINCT FROM o.status;
    RETURN NULL;
END
$$
"""

_TRIGGERS = (
    "CREATE TRIGGER incidents_status_history_insert AFTER INSERT ON incidents "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION incident_status_history_inserted()",
    "CREATE TRIGGER incidents_status_history_update AFTER UPDATE ON incidents "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION incident_status_history_updated()",
)

# Incidents stored before this revision: their current status, dated as a first one.
_BACKFILL = """
INSERT INTO incident_status_history (incident_id, status, observed_on, import_id)
SELECT i.id, i.status,
    coalesce(i.reported_on::date, im.started_at::date, i.created_at::date, current_date),
    i.import_id
FROM incidents i
LEFT JOIN imports im ON im.id = i.import_id
WHERE i.status IS NOT NULL
"""


def upgrade() -> None:
    _surveys()
    _feedback()
    op.create_table(
        "incident_status_history",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "incident_id",
            sa.BigInteger(),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("imports.id", ondelete="SET NULL")),
    )
    op.create_index(
        "ix_incident_status_history_incident",
        "incident_status_history",
        ["incident_id", "observed_on"],
    )
    op.execute(_BACKFILL)
    op.execute(_ON_INSERT)
    op.execute(_ON_UPDATE)
    for statement in _TRIGGERS:
        op.execute(statement)


def _surveys() -> None:
    op.create_table(
        "survey_rounds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("fieldwork_from", sa.Date()),
        sa.Column("fieldwork_to", sa.Date()),
        sa.Column("reference_months", sa.Integer(), nullable=False),
        sa.Column("weight_kind", sa.String(), nullable=False),
        sa.Column("unit_size", sa.Float(), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("mapping", postgresql.JSONB(), nullable=False),
        sa.Column("source_file", sa.String(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), server_default=sa.func.now()),
        sa.CheckConstraint(
            "weight_kind IN ('none', 'expansion', 'relative')", name="ck_survey_rounds_weight_kind"
        ),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "round_id",
            sa.Integer(),
            sa.ForeignKey("survey_rounds.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("submission_uuid", sa.String(), nullable=False, unique=True),
        sa.Column("submitted_at", sa.DateTime()),
        sa.Column("ward_code", sa.String(), sa.ForeignKey("wards.code", ondelete="SET NULL")),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("victimised", postgresql.JSONB(), nullable=False),
        sa.Column("unsafe_after_dark", sa.Boolean()),
        sa.Column("trusts_police", sa.Boolean()),
        sa.Column("unsafe_places", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.CheckConstraint("weight > 0", name="ck_survey_responses_weight"),
    )
    op.create_index("ix_survey_responses_round_ward", "survey_responses", ["round_id", "ward_code"])


def _feedback() -> None:
    op.create_table(
        "feedback_records",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("record_key", sa.String(32), nullable=False, unique=True),
        sa.Column("station", sa.String(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("rating", sa.Integer()),
        sa.Column("complaint_category", sa.String()),
        sa.Column("resolved", sa.Boolean()),
        sa.Column("source_file", sa.String(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), server_default=sa.func.now()),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_feedback_records_rating"),
    )
    op.create_index(
        "ix_feedback_records_station_day", "feedback_records", ["station", "received_on"]
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS incidents_status_history_update ON incidents")
    op.execute("DROP TRIGGER IF EXISTS incidents_status_history_insert ON incidents")
    op.execute("DROP FUNCTION IF EXISTS incident_status_history_updated()")
    op.execute("DROP FUNCTION IF EXISTS incident_status_history_inserted()")
    op.drop_index("ix_incident_status_history_incident", table_name="incident_status_history")
    op.drop_table("incident_status_history")
    op.drop_index("ix_feedback_records_station_day", table_name="feedback_records")
    op.drop_table("feedback_records")
    op.drop_index("ix_survey_responses_round_ward", table_name="survey_responses")
    op.drop_table("survey_responses")
    op.drop_table("survey_rounds")
