"""Saved patrol plans (issue #6): the parameters a plan was made from, its numbered
points and its visit schedule, so a plan can be printed again and scored later.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patrol_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("created_by", sa.String()),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now()),
        sa.Column("station", sa.String()),
        sa.Column("ward_codes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("area", geoalchemy2.Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)),
        sa.Column("start_hour", sa.SmallInteger(), nullable=False),
        sa.Column("end_hour", sa.SmallInteger(), nullable=False),
        sa.Column("days", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("n_points", sa.Integer(), nullable=False),
        sa.Column("officer_hours", sa.Float(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("shift_start", sa.DateTime(), nullable=False),
        sa.Column("shift_end", sa.DateTime(), nullable=False),
        sa.Column("parameters", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.CheckConstraint(
            "start_hour BETWEEN 0 AND 23 AND end_hour BETWEEN 0 AND 23",
            name="ck_patrol_plans_hours",
        ),
        sa.CheckConstraint("n_points > 0 AND officer_hours > 0", name="ck_patrol_plans_sizes"),
    )
    op.create_table(
        "patrol_plan_points",
        sa.Column(
            "plan_id",
            sa.Integer(),
            sa.ForeignKey("patrol_plans.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("point", sa.Integer(), primary_key=True),
        sa.Column("cells", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("peak_hours", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("landmark", sa.String()),
        sa.Column("landmark_m", sa.Float()),
        sa.Column("activity", sa.Text()),
    )
    op.create_table(
        "patrol_plan_visits",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "plan_id",
            sa.Integer(),
            sa.ForeignKey("patrol_plans.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("point", sa.Integer(), nullable=False),
        sa.Column("officer", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_patrol_plan_visits_plan_id", "patrol_plan_visits", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_patrol_plan_visits_plan_id", table_name="patrol_plan_visits")
    op.drop_table("patrol_plan_visits")
    op.drop_table("patrol_plan_points")
    op.drop_table("patrol_plans")
