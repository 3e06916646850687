"""The stored schema. Migrations in `geodata/migrations` create it; these classes
describe it for queries and for Alembic's autogenerate check.

Times are East Africa Time (UTC+3, no daylight saving) stored without a zone: every
register is kept in local time, and hour-of-day analysis needs local hours.
H3 cells are stored as BIGINT (h3 v4 integer form; valid cells never set the top
bit) and exported as hex strings.
"""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SRID = 4326


class Base(DeclarativeBase):
    pass


class Ward(Base):
    __tablename__ = "wards"

    code: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String, nullable=False)
    county: Mapped[str | None] = mapped_column(String)
    constituency: Mapped[str | None] = mapped_column(String)
    population: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=False)
    loaded_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (Index("ix_wards_geom", "geom", postgresql_using="gist"),)


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    agency_type: Mapped[str] = mapped_column(String, nullable=False)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False)
    record_ref: Mapped[str] = mapped_column(String, nullable=False)
    category: Mapped[str] = mapped_column(String, nullable=False)
    # The category as the agency wrote it, kept so `other` rows can be re-classified.
    category_text: Mapped[str | None] = mapped_column(Text)
    occurred_from: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    occurred_to: Mapped[datetime | None] = mapped_column(DateTime)
    # False when only the date is known: such rows never count at midnight or noon.
    time_known: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reported_on: Mapped[datetime | None] = mapped_column(DateTime)
    location_text: Mapped[str | None] = mapped_column(Text)
    ward_text: Mapped[str | None] = mapped_column(Text)
    victim_sex: Mapped[str | None] = mapped_column(String(1))
    victim_age: Mapped[str | None] = mapped_column(String)
    status: Mapped[str | None] = mapped_column(String)
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False))
    ward_code: Mapped[str | None] = mapped_column(ForeignKey("wards.code", ondelete="SET NULL"))
    h3_7: Mapped[int | None] = mapped_column(BigInteger)
    h3_8: Mapped[int | None] = mapped_column(BigInteger)
    h3_9: Mapped[int | None] = mapped_column(BigInteger)
    # gps | gazetteer | ward_name | unresolved
    geocode_method: Mapped[str] = mapped_column(String, nullable=False)
    geocode_confidence: Mapped[float | None] = mapped_column(Float)
    # Hash of the stored values: a re-import with the same hash is `unchanged`.
    row_hash: Mapped[str] = mapped_column(String(32), nullable=False)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (
        UniqueConstraint("agency_id", "record_ref", name="uq_incidents_agency_ref"),
        Index("ix_incidents_geom", "geom", postgresql_using="gist"),
        Index("ix_incidents_occurred_from", "occurred_from"),
        Index("ix_incidents_ward_code", "ward_code"),
        Index("ix_incidents_h3_8", "h3_8"),
    )


class Import(Base):
    """One file loaded by `observatory ingest`: what came in and what became of it."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String, nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    # The JSON report, which never holds personal data (see etl.report).
    report: Mapped[dict] = mapped_column(JSONB, nullable=False)


class DataVersion(Base):
    """One row, bumped by every load, so every dashboard process drops cached
    aggregates when the data changes (see geodata.cache)."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (CheckConstraint("id = 1", name="ck_data_version_single_row"),)
