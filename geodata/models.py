"""The stored schema. Migrations in `geodata/migrations` create it; these classes
describe it for queries and for Alembic's autogenerate check.

Times are East Africa Time (UTC+3, no daylight saving) stored without a zone: every
register is kept in local time, and hour-of-day analysis needs local hours.
H3 cells are stored as BIGINT (h3 v4 integer form; valid cells never set the top
bit) and exported as hex strings.
"""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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
    loaded_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())
    # The citation the boundary file's licence asks every map drawing it to show.
    attribution: Mapped[str | None] = mapped_column(Text)

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
    # The gazetteer place a text-placed row resolved to (geocode_method gazetteer).
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    # Records of several agencies that are one event share a group (geodata.linkage).
    event_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_groups.id", ondelete="SET NULL"), index=True
    )
    # Hash of the stored values: a re-import with the same hash is `unchanged`.
    row_hash: Mapped[str] = mapped_column(String(32), nullable=False)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id", ondelete="SET NULL"))
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())

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
    started_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())
    # The JSON report, which never holds personal data (see etl.report).
    report: Mapped[dict] = mapped_column(JSONB, nullable=False)


class DataVersion(Base):
    """One row, bumped by every load, so every dashboard process drops cached
    aggregates when the data changes (see geodata.cache)."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (CheckConstraint("id = 1", name="ck_data_version_single_row"),)


class Place(Base):
    """A named place the team knows (gazetteer): landmark, estate, stage, market ...

    The ward is derived from the point when the gazetteer is loaded."""

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, nullable=False)
    kind: Mapped[str | None] = mapped_column(String)
    aliases: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    geom = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False), nullable=False)
    ward_code: Mapped[str | None] = mapped_column(
        ForeignKey("wards.code", ondelete="SET NULL"), index=True
    )
    # The file it came from: reloading a file replaces that file's places.
    source: Mapped[str] = mapped_column(String, nullable=False)
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (Index("ix_places_geom", "geom", postgresql_using="gist"),)


class PlaceAlias(Base):
    """A text a reviewer confirmed: its normalised key always means this place or ward."""

    __tablename__ = "place_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alias_key: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    alias_text: Mapped[str] = mapped_column(Text, nullable=False)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"))
    ward_code: Mapped[str | None] = mapped_column(ForeignKey("wards.code", ondelete="CASCADE"))
    created_by: Mapped[str] = mapped_column(String, nullable=False)
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (
        CheckConstraint(
            "(place_id IS NULL) <> (ward_code IS NULL)", name="ck_place_aliases_one_target"
        ),
    )


class EventGroup(Base):
    """One event seen by several agencies: their incidents point here."""

    __tablename__ = "event_groups"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    # A reviewer confirmed the link, or split it (a split group is never re-linked).
    confirmed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    split: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())


class User(Base):
    """A dashboard login. Roles: team (everything but user admin), commander (maps,
    clock and patrols for `station_wards`), admin (users and the audit log)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    # argon2id, never the password (geodata.users.hash_password).
    password_hash: Mapped[str] = mapped_column(String, nullable=False)
    role: Mapped[str] = mapped_column(String, nullable=False)
    station_wards: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default="{}"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())

    __table_args__ = (
        CheckConstraint("role IN ('team', 'commander', 'admin')", name="ck_users_role"),
    )


class AuditLog(Base):
    """Who viewed or exported record-level data, and when. `detail` holds filters and
    counts, never personal data (geodata.audit refuses such keys)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, server_default=func.now())
    username: Mapped[str | None] = mapped_column(String)
    action: Mapped[str] = mapped_column(String, nullable=False)
    detail: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    ip: Mapped[str | None] = mapped_column(String)

    __table_args__ = (Index("ix_audit_log_at", "at"),)


class LoginFailure(Base):
    """Consecutive failed logins per (username, IP) digest, shared by every worker."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class Action(Base):
    """A forum action (a street light, a cleared path, a patrol area ...): what was
    decided, where (any geometry; none for a meeting), by whom and when, and its
    status. `action_ref` is the stable key a re-loaded file updates by."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_ref: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String, nullable=False)
    title: Mapped[str] = mapped_column(String, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("GEOMETRY", srid=SRID, spatial_index=False))
    # An agency or office, never a person: the tracker is shown to the public.
    responsible_agency: Mapped[str | None] = mapped_column(String)
    forum: Mapped[str | None] = mapped_column(String)
    # The forum priority the action answers, in the forum's words.
    priority: Mapped[str | None] = mapped_column(Text)
    decided_on: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String, nullable=False)
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (
        CheckConstraint(
            "kind IN ('lighting', 'pathway_clearing', 'bush_clearing', 'patrol', 'cctv', "
            "'community_meeting', 'awareness', 'other')",
            name="ck_actions_kind",
        ),
        CheckConstraint(
            "status IN ('proposed', 'agreed', 'in_progress', 'done', 'dropped')",
            name="ck_actions_status",
        ),
        Index("ix_actions_geom", "geom", postgresql_using="gist"),
    )
