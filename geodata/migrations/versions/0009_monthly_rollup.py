"""Monthly rollups of the daily aggregate tables (issue #8): incidents per month,
category, agency and ward with their daylight/darkness split (and per month and
category, agency or ward alone), and aoristic weights per month, category, weekday
and hour. Filled from the daily tables already stored.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_cells_monthly",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String()),
        sa.Column("agency_id", sa.Integer()),
        sa.Column("ward_code", sa.String()),
        sa.Column("n", sa.Float(precision=53), nullable=False),
        sa.Column("daylight", sa.Float(precision=53), nullable=False),
        sa.Column("darkness", sa.Float(precision=53), nullable=False),
    )
    op.create_index(
        "ix_incident_cells_monthly_level_month", "incident_cells_monthly", ["level", "month"]
    )
    op.create_index("ix_incident_cells_monthly_agency_id", "incident_cells_monthly", ["agency_id"])
    op.create_index("ix_incident_cells_monthly_ward_code", "incident_cells_monthly", ["ward_code"])
    op.create_table(
        "incident_hours_monthly",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("hour", sa.SmallInteger()),
        sa.Column("weight", sa.Float(precision=53), nullable=False),
    )
    op.create_index("ix_incident_hours_monthly_month", "incident_hours_monthly", ["month"])
    # A database upgraded with incidents in it gets its rollups now, not at the next
    # ingest. The refresh lives with the tables' owner, geodata.rollup.
    from geodata.rollup import refresh_rollups

    refresh_rollups(op.get_bind(), None)


def downgrade() -> None:
    op.drop_table("incident_hours_monthly")
    op.drop_table("incident_cells_monthly")
