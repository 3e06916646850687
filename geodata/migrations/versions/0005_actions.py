"""Forum actions: street lights, path clearings, patrols ... with their geometry,
dates and status, for the tracker and the impact evaluation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("action_ref", sa.String(), nullable=False, unique=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("geom", geoalchemy2.Geometry("GEOMETRY", srid=4326, spatial_index=False)),
        sa.Column("responsible_agency", sa.String()),
        sa.Column("forum", sa.String()),
        sa.Column("priority", sa.Text()),
        sa.Column("decided_on", sa.Date()),
        sa.Column("started_on", sa.Date()),
        sa.Column("due_on", sa.Date()),
        sa.Column("completed_on", sa.Date()),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now()),
        sa.CheckConstraint(
            "kind IN ('lighting', 'pathway_clearing', 'bush_clearing', 'patrol', 'cctv', "
            "'community_meeting', 'awareness', 'other')",
            name="ck_actions_kind",
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'agreed', 'in_progress', 'done', 'dropped')",
            name="ck_actions_status",
        ),
    )
    op.create_index("ix_actions_geom", "actions", ["geom"], postgresql_using="gist")


def downgrade() -> None:
    op.drop_index("ix_actions_geom", table_name="actions")
    op.drop_table("actions")
