"""Places and linkage: the gazetteer (places, reviewed aliases), event groups, and
incidents pointing at the place they were matched to and the event they belong to.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String()),
        sa.Column("aliases", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("ward_code", sa.String(), sa.ForeignKey("wards.code", ondelete="SET NULL")),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now()),
    )
    op.create_index("ix_places_geom", "places", ["geom"], postgresql_using="gist")
    op.create_index("ix_places_ward_code", "places", ["ward_code"])
    op.create_table(
        "place_aliases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alias_key", sa.Text(), nullable=False, unique=True),
        sa.Column("alias_text", sa.Text(), nullable=False),
        sa.Column("place_id", sa.Integer(), sa.ForeignKey("places.id", ondelete="CASCADE")),
        sa.Column("ward_code", sa.String(), sa.ForeignKey("wards.code", ondelete="CASCADE")),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now()),
        sa.CheckConstraint(
            "(place_id IS NULL) <> (ward_code IS NULL)", name="ck_place_aliases_one_target"
        ),
    )
    op.create_table(
        "event_groups",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("split", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now()),
    )
    op.add_column("incidents", sa.Column("place_id", sa.Integer()))
    op.create_foreign_key(
        "fk_incidents_place_id", "incidents", "places", ["place_id"], ["id"], ondelete="SET NULL"
    )
    op.add_column("incidents", sa.Column("event_group_id", sa.BigInteger()))
    op.create_foreign_key(
        "fk_incidents_event_group_id",
        "incidents",
        "event_groups",
        ["event_group_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index("ix_incidents_event_group_id", "incidents", ["event_group_id"])


def downgrade() -> None:
    op.drop_index("ix_incidents_event_group_id", table_name="incidents")
    op.drop_constraint("fk_incidents_event_group_id", "incidents", type_="foreignkey")
    op.drop_column("incidents", "event_group_id")
    op.drop_constraint("fk_incidents_place_id", "incidents", type_="foreignkey")
    op.drop_column("incidents", "place_id")
    op.drop_table("event_groups")
    op.drop_table("place_aliases")
    op.drop_index("ix_places_ward_code", table_name="places")
    op.drop_index("ix_places_geom", table_name="places")
    op.drop_table("places")
