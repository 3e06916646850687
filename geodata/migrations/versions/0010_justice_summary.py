"""Per-case summary of the justice chain (issue #8): `justice_cases`, one row per
incident with what every justice read needs (filter keys, furthest stage, last status
and since when, the day each stage was first reached, finished spells), so the page
reads a million cases without a million status histories and their window functions;
and `agency_record_counts`, the records per agency the completeness page counts.
geodata.summaries keeps both in step; this revision backfills them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_STAGES_ENTERED = (
    "under_investigation", "in_court", "convicted", "acquitted", "withdrawn",
    "resolved_locally", "referred",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "justice_cases",
        sa.Column(
            "incident_id",
            sa.BigInteger(),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("ward_code", sa.String()),
        sa.Column("reported_on", sa.Date()),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("last_status", sa.String()),
        sa.Column("since", sa.Date()),
        sa.Column("last_seen", sa.Date()),
        sa.Column("open_since", sa.Date()),
        *(sa.Column(f"entered_{stage}", sa.Date()) for stage in _STAGES_ENTERED),
        sa.Column("finished_stage", postgresql.ARRAY(sa.Text())),
        sa.Column("finished_days", postgresql.ARRAY(sa.Integer())),
    )
    op.create_index("ix_justice_cases_agency_id", "justice_cases", ["agency_id"])
    op.create_index("ix_justice_cases_ward_code", "justice_cases", ["ward_code"])
    op.create_index(
        "ix_justice_cases_open_since",
        "justice_cases",
        ["open_since", "incident_id"],
        postgresql_where=sa.text("open_since IS NOT NULL"),
    )
    # The few cases with finished spells, found without reading the million.
    op.create_index(
        "ix_justice_cases_finished",
        "justice_cases",
        ["incident_id"],
        postgresql_where=sa.text("finished_stage IS NOT NULL"),
    )
    # Counts of the cases (geodata.justice_rollup): a row is a group, unique with its
    # NULLs (no ward, no status yet) so a refresh can add differences ON CONFLICT.
    op.create_table(
        "justice_states",
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String()),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("last_status", sa.String()),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ux_justice_states",
        "justice_states",
        ["category", "agency_id", "ward_code", "rank", "last_status"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "justice_days",
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("stage", sa.String()),
        sa.Column("day", sa.Date()),
        sa.Column("days", sa.Integer()),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ux_justice_days",
        "justice_days",
        ["category", "kind", "stage", "day", "days"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    # Records per agency by ward and month and by category, linked or not, for the
    # completeness page (geodata.source_counts); a plain table: a row is a group.
    op.create_table(
        "agency_record_counts",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("by_ward_month", sa.Boolean(), nullable=False),
        sa.Column("ward_code", sa.String()),
        sa.Column("month", sa.Date()),
        sa.Column("category", sa.String()),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_agency_record_counts_agency_id", "agency_record_counts", ["agency_id"])
    # A database upgraded with incidents in it gets its summaries now.
    from geodata.summaries import refresh

    refresh(op.get_bind())


def downgrade() -> None:
    op.drop_table("agency_record_counts")
    op.drop_table("justice_days")
    op.drop_table("justice_states")
    op.drop_table("justice_cases")
