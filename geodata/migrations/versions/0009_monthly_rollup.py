"""Monthly rollups of the daily aggregate tables (issue #8): filled by the R helper.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
