"""Incident records per month, category and resolution-6 cell with the distinct finer
cells under each, and records per month, category and ward with those placed (issue
#8, geodata.map_rollup): the national map decides its drawn resolution and counts its
cells and headlines without reading every incident. Filled from the incidents
already stored.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_map_monthly",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String()),
        sa.Column("h3_6", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("cells_7", sa.Integer(), nullable=False),
        sa.Column("cells_8", sa.Integer(), nullable=False),
        sa.Column("cells_9", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_incident_map_monthly_category_month", "incident_map_monthly", ["category", "month"]
    )
    op.create_table(
        "incident_wards_monthly",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("ward_code", sa.String()),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("placed", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_incident_wards_monthly_month", "incident_wards_monthly", ["month"])
    from geodata.map_rollup import refresh_map_rollup

    refresh_map_rollup(op.get_bind(), None)


def downgrade() -> None:
    op.drop_table("incident_wards_monthly")
    op.drop_table("incident_map_monthly")
