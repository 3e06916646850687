"""Pre-aggregated incidents for the analytics pages: counts per day, category,
agency, ward and H3 cell with their daylight/darkness split, and aoristic weights
per weekday and hour. Filled from the incidents already stored.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _key_columns() -> list[sa.Column]:
    return [
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String()),
        sa.Column("h3_7", sa.BigInteger()),
        sa.Column("h3_8", sa.BigInteger()),
        sa.Column("h3_9", sa.BigInteger()),
    ]


def upgrade() -> None:
    op.create_table(
        "incident_cells_daily",
        *_key_columns(),
        sa.Column("n", sa.Float(precision=53), nullable=False),
        sa.Column("daylight", sa.Float(precision=53), nullable=False),
        sa.Column("darkness", sa.Float(precision=53), nullable=False),
    )
    op.create_table(
        "incident_hours_daily",
        *_key_columns(),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("hour", sa.SmallInteger()),
        sa.Column("weight", sa.Float(precision=53), nullable=False),
    )
    for table in ("incident_cells_daily", "incident_hours_daily"):
        op.create_index(f"ix_{table}_day", table, ["day"])
        op.create_index(f"ix_{table}_agency_id", table, ["agency_id"])
        op.create_index(f"ix_{table}_ward_code", table, ["ward_code"])
    # A database upgraded with incidents in it gets its aggregates now, not at the
    # next ingest. The refresh lives with the tables' owner, geodata.aggregates.
    from geodata.aggregates import refresh_aggregates

    refresh_aggregates(op.get_bind())


def downgrade() -> None:
    op.drop_table("incident_hours_daily")
    op.drop_table("incident_cells_daily")
