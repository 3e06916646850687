"""Ward attribution: the citation a boundary file's licence asks maps to show.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("wards", sa.Column("attribution", sa.Text()))


def downgrade() -> None:
    op.drop_column("wards", "attribution")
