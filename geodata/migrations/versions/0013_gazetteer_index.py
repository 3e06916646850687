"""A partial index on the incidents a gazetteer place placed (issue #8): the hot-spot
reads spread them over their place's reach, and found them by scanning every
incident with its count weight (a second at a million incidents, none of them
placed by a place name).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_incidents_gazetteer",
        "incidents",
        ["place_id"],
        postgresql_where=sa.text("geocode_method = 'gazetteer'"),
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_gazetteer", table_name="incidents")
