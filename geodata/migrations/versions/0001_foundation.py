"""Foundation: wards, agencies, incidents, imports.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "wards",
        sa.Column("code", sa.String(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("county", sa.String()),
        sa.Column("constituency", sa.String()),
        sa.Column("population", sa.Integer()),
        sa.Column(
            "geom",
            geoalchemy2.Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("loaded_at", sa.DateTime(), server_default=sa.func.now()),
    )
    op.create_index("ix_wards_geom", "wards", ["geom"], postgresql_using="gist")
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("agency_type", sa.String(), nullable=False),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id")),
        sa.Column("started_at", sa.DateTime(), server_default=sa.func.now()),
        sa.Column("report", postgresql.JSONB(), nullable=False),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("record_ref", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("category_text", sa.Text()),
        sa.Column("occurred_from", sa.DateTime(), nullable=False),
        sa.Column("occurred_to", sa.DateTime()),
        sa.Column("time_known", sa.Boolean(), nullable=False),
        sa.Column("reported_on", sa.DateTime()),
        sa.Column("location_text", sa.Text()),
        sa.Column("ward_text", sa.Text()),
        sa.Column("victim_sex", sa.String(1)),
        sa.Column("victim_age", sa.String()),
        sa.Column("status", sa.String()),
        sa.Column("geom", geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False)),
        sa.Column("ward_code", sa.String(), sa.ForeignKey("wards.code", ondelete="SET NULL")),
        sa.Column("h3_7", sa.BigInteger()),
        sa.Column("h3_8", sa.BigInteger()),
        sa.Column("h3_9", sa.BigInteger()),
        sa.Column("geocode_method", sa.String(), nullable=False),
        sa.Column("geocode_confidence", sa.Float()),
        sa.Column("row_hash", sa.String(32), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("imports.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now()),
        sa.UniqueConstraint("agency_id", "record_ref", name="uq_incidents_agency_ref"),
    )
    op.create_index("ix_incidents_geom", "incidents", ["geom"], postgresql_using="gist")
    op.create_index("ix_incidents_occurred_from", "incidents", ["occurred_from"])
    op.create_index("ix_incidents_ward_code", "incidents", ["ward_code"])
    op.create_index("ix_incidents_h3_8", "incidents", ["h3_8"])
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_data_version_single_row"),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("data_version")
    op.drop_table("incidents")
    op.drop_table("imports")
    op.drop_table("agencies")
    op.drop_index("ix_wards_geom", table_name="wards")
    op.drop_table("wards")
