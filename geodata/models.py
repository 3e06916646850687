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
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
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
        # The few placed by a gazetteer place (the hot-spot reads spread them out).
        Index(
            "ix_incidents_gazetteer",
            "place_id",
            postgresql_where=text("geocode_method = 'gazetteer'"),
        ),
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


class SurveyRound(Base):
    """One round of a safety audit survey (a Kobo/ODK export loaded with a mapping).

    `mapping` keeps which question means what (never any answer); `categories` the
    victimisation categories the round asked about."""

    __tablename__ = "survey_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    fieldwork_from: Mapped[date | None] = mapped_column(Date)
    fieldwork_to: Mapped[date | None] = mapped_column(Date)
    # Victimisation questions ask about the months before fieldwork began.
    reference_months: Mapped[int] = mapped_column(Integer, nullable=False)
    # none | expansion (weights sum to the population) | relative (population from wards)
    weight_kind: Mapped[str] = mapped_column(String, nullable=False)
    # People a respondent answers for (1: a person; a household's mean size: a household).
    unit_size: Mapped[float] = mapped_column(Float, nullable=False)
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    mapping: Mapped[dict] = mapped_column(JSONB, nullable=False)
    source_file: Mapped[str] = mapped_column(String, nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    loaded_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (
        CheckConstraint(
            "weight_kind IN ('none', 'expansion', 'relative')", name="ck_survey_rounds_weight_kind"
        ),
    )


class SurveyResponse(Base):
    """One respondent's answers to the mapped questions only: no name, phone number or
    other column of the form is ever stored (etl.surveys reads only mapped columns)."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_rounds.id", ondelete="CASCADE"), nullable=False
    )
    # The form's random submission id (Kobo `_uuid`, ODK `instanceID`): re-imports key on it.
    submission_uuid: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    ward_code: Mapped[str | None] = mapped_column(ForeignKey("wards.code", ondelete="SET NULL"))
    weight: Mapped[float] = mapped_column(Float, nullable=False)
    # category -> true/false for each category the respondent answered about.
    victimised: Mapped[dict] = mapped_column(JSONB, nullable=False)
    unsafe_after_dark: Mapped[bool | None] = mapped_column(Boolean)
    trusts_police: Mapped[bool | None] = mapped_column(Boolean)
    # Places named as unsafe, as written (phone-number-like digit runs removed).
    unsafe_places: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)

    __table_args__ = (
        CheckConstraint("weight > 0", name="ck_survey_responses_weight"),
        Index("ix_survey_responses_round_ward", "round_id", "ward_code"),
    )


class FeedbackRecord(Base):
    """Feedback on police services: station, day, channel, rating, complaint, resolved.
    No identities: files with name or phone columns are refused (etl.feedback)."""

    __tablename__ = "feedback_records"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # Hash of the values and their repeat number in the file: re-imports change nothing.
    record_key: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    station: Mapped[str] = mapped_column(String, nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    channel: Mapped[str] = mapped_column(String, nullable=False)
    rating: Mapped[int | None] = mapped_column(Integer)
    complaint_category: Mapped[str | None] = mapped_column(String)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    source_file: Mapped[str] = mapped_column(String, nullable=False)
    loaded_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_feedback_records_rating"),
        Index("ix_feedback_records_station_day", "station", "received_on"),
    )


class IncidentStatusHistory(Base):
    """Each status an incident was seen with, and when: written by the triggers of
    migration 0006 whenever an incident is inserted or its status changes. The first
    status is dated by reported_on when known, else by its import; later ones by
    their import."""

    __tablename__ = "incident_status_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
    )
    status: Mapped[str] = mapped_column(String, nullable=False)
    observed_on: Mapped[date] = mapped_column(Date, nullable=False)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_incident_status_history_incident", "incident_id", "observed_on"),)


class JusticeCase(Base):
    """The justice chain per case (migration 0010, kept by geodata.justice_summary):
    filter keys, furthest chain rank, last status and the day its spell began, the
    day each stage was first reached and the finished spells of the open stages."""

    __tablename__ = "justice_cases"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    category: Mapped[str] = mapped_column(String, nullable=False)
    ward_code: Mapped[str | None] = mapped_column(String, index=True)
    reported_on: Mapped[date | None] = mapped_column(Date)
    rank: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    last_status: Mapped[str | None] = mapped_column(String)
    since: Mapped[date | None] = mapped_column(Date)
    last_seen: Mapped[date | None] = mapped_column(Date)
    # The day an open case's current spell began (its report day when it never
    # changed); NULL once it left the chain: the longest-waiting list reads its index.
    open_since: Mapped[date | None] = mapped_column(Date)
    entered_under_investigation: Mapped[date | None] = mapped_column(Date)
    entered_in_court: Mapped[date | None] = mapped_column(Date)
    entered_convicted: Mapped[date | None] = mapped_column(Date)
    entered_acquitted: Mapped[date | None] = mapped_column(Date)
    entered_withdrawn: Mapped[date | None] = mapped_column(Date)
    entered_resolved_locally: Mapped[date | None] = mapped_column(Date)
    entered_referred: Mapped[date | None] = mapped_column(Date)
    finished_stage: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    finished_days: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))

    __table_args__ = (
        Index(
            "ix_justice_cases_open_since",
            "open_since",
            "incident_id",
            postgresql_where=text("open_since IS NOT NULL"),
        ),
        Index(
            "ix_justice_cases_finished",
            "incident_id",
            postgresql_where=text("finished_stage IS NOT NULL"),
        ),
    )


# Counts of the justice cases (geodata.justice_rollup keeps them with justice_cases).
justice_states = Table(
    "justice_states",
    Base.metadata,
    Column("category", String, nullable=False),
    Column("agency_id", Integer, nullable=False),
    Column("ward_code", String),
    Column("rank", SmallInteger, nullable=False),
    Column("last_status", String),
    Column("n", BigInteger, nullable=False),
    Index(
        "ux_justice_states",
        "category",
        "agency_id",
        "ward_code",
        "rank",
        "last_status",
        unique=True,
        postgresql_nulls_not_distinct=True,
    ),
)
justice_days = Table(
    "justice_days",
    Base.metadata,
    Column("category", String, nullable=False),
    # entered, waiting, finished or seen: see geodata.justice_rollup
    Column("kind", String, nullable=False),
    Column("stage", String),
    Column("day", Date),
    Column("days", Integer),
    Column("n", BigInteger, nullable=False),
    Index(
        "ux_justice_days",
        "category",
        "kind",
        "stage",
        "day",
        "days",
        unique=True,
        postgresql_nulls_not_distinct=True,
    ),
)
# Records per agency by ward and month (by_ward_month) and by category, linked or
# not (geodata.source_counts keeps it on load): what the completeness page counts.
agency_record_counts = Table(
    "agency_record_counts",
    Base.metadata,
    Column("agency_id", Integer, nullable=False),
    Column("by_ward_month", Boolean, nullable=False),
    Column("ward_code", String),
    Column("month", Date),
    Column("category", String),
    Column("n", BigInteger, nullable=False),
    Index("ix_agency_record_counts_agency_id", "agency_id"),
)


# Pre-aggregated incidents for the analytics pages (geodata.aggregates keeps them in
# step with `incidents` inside every ingest transaction). Plain tables, no key: a
# row is a group, and a refresh deletes and re-inserts whole agencies.
incident_cells_daily = Table(
    "incident_cells_daily",
    Base.metadata,
    # The day the incident started (occurred_from), as every date filter counts it.
    Column("day", Date, nullable=False),
    Column("category", String, nullable=False),
    Column("agency_id", Integer, nullable=False),
    Column("ward_code", String),
    Column("h3_7", BigInteger),
    Column("h3_8", BigInteger),
    Column("h3_9", BigInteger),
    # Incidents in the group (records; shares of an event when counting events).
    Column("n", Float(precision=53), nullable=False),
    # Their share in daylight and in darkness; the rest has no time or no place.
    Column("daylight", Float(precision=53), nullable=False),
    Column("darkness", Float(precision=53), nullable=False),
    Index("ix_incident_cells_daily_day", "day"),
    Index("ix_incident_cells_daily_agency_id", "agency_id"),
    Index("ix_incident_cells_daily_ward_code", "ward_code"),
)

incident_hours_daily = Table(
    "incident_hours_daily",
    Base.metadata,
    Column("day", Date, nullable=False),
    Column("category", String, nullable=False),
    Column("agency_id", Integer, nullable=False),
    Column("ward_code", String),
    Column("h3_7", BigInteger),
    Column("h3_8", BigInteger),
    Column("h3_9", BigInteger),
    # 0 = Monday. With `hour` NULL (time not known), the incident's share of this
    # weekday; otherwise its aoristic share of this weekday and hour.
    Column("weekday", SmallInteger, nullable=False),
    Column("hour", SmallInteger),
    Column("weight", Float(precision=53), nullable=False),
    Index("ix_incident_hours_daily_day", "day"),
    Index("ix_incident_hours_daily_agency_id", "agency_id"),
    Index("ix_incident_hours_daily_ward_code", "ward_code"),
)


# Monthly rollups of the two daily tables (geodata.rollup refreshes them at the end of
# every aggregate refresh). Their keys are what national reads filter and group by; a
# read needing any other column (a cell, a ward of the hours) sums the daily tables.
incident_cells_monthly = Table(
    "incident_cells_monthly",
    Base.metadata,
    # Which keys the row has (geodata.rollup.LEVELS): 0 all three, 1 category only,
    # 2 ward only, 3 agency only; the others are NULL.
    Column("level", SmallInteger, nullable=False),
    # The first day of the month the incidents started in.
    Column("month", Date, nullable=False),
    Column("category", String),
    Column("agency_id", Integer),
    Column("ward_code", String),
    Column("n", Float(precision=53), nullable=False),
    Column("daylight", Float(precision=53), nullable=False),
    Column("darkness", Float(precision=53), nullable=False),
    Index("ix_incident_cells_monthly_level_month", "level", "month"),
    Index("ix_incident_cells_monthly_agency_id", "agency_id"),
    Index("ix_incident_cells_monthly_ward_code", "ward_code"),
)

incident_hours_monthly = Table(
    "incident_hours_monthly",
    Base.metadata,
    Column("month", Date, nullable=False),
    Column("category", String, nullable=False),
    Column("weekday", SmallInteger, nullable=False),
    Column("hour", SmallInteger),
    Column("weight", Float(precision=53), nullable=False),
    Index("ix_incident_hours_monthly_month", "month"),
)

# Records per month, category (NULL: every category) and resolution-6 cell, with the
# distinct finer cells under each (geodata.map_rollup), for the national map.
incident_map_monthly = Table(
    "incident_map_monthly",
    Base.metadata,
    Column("month", Date, nullable=False),
    Column("category", String),
    Column("h3_6", BigInteger, nullable=False),
    Column("n", BigInteger, nullable=False),
    Column("cells_7", Integer, nullable=False),
    Column("cells_8", Integer, nullable=False),
    Column("cells_9", Integer, nullable=False),
    Index("ix_incident_map_monthly_category_month", "category", "month"),
)

# Records per month, category and ward (NULL: none) and how many have a map position:
# the map page's headlines and category counts (geodata.map_rollup).
incident_wards_monthly = Table(
    "incident_wards_monthly",
    Base.metadata,
    Column("month", Date, nullable=False),
    Column("category", String, nullable=False),
    Column("ward_code", String),
    Column("n", BigInteger, nullable=False),
    Column("placed", BigInteger, nullable=False),
    Index("ix_incident_wards_monthly_month", "month"),
)


class PatrolPlan(Base):
    """A saved patrol plan (issue #6) with the parameters it was planned from, so it
    can be printed again and scored later against what happened. `ward_codes` holds
    the station area (or the wards a drawn `area` touches): commanders see the plans
    inside their station's wards only."""

    __tablename__ = "patrol_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, nullable=False)
    created_by: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime | None] = mapped_column(DateTime, server_default=func.now())
    station: Mapped[str | None] = mapped_column(String)
    ward_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    # A drawn area; NULL when the area is the wards themselves.
    area = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False))
    start_hour: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    end_hour: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    days: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), nullable=False)
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    n_points: Mapped[int] = mapped_column(Integer, nullable=False)
    officer_hours: Mapped[float] = mapped_column(Float, nullable=False)
    # Incidents before this day made the plan; the schedule is for the shift from
    # shift_start to shift_end.
    as_of: Mapped[date] = mapped_column(Date, nullable=False)
    shift_start: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    shift_end: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    # Every other setting (look-back, half-life, seed, travel minutes ...).
    parameters: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")

    __table_args__ = (
        CheckConstraint(
            "start_hour BETWEEN 0 AND 23 AND end_hour BETWEEN 0 AND 23",
            name="ck_patrol_plans_hours",
        ),
        CheckConstraint("n_points > 0 AND officer_hours > 0", name="ck_patrol_plans_sizes"),
    )


class PatrolPlanPoint(Base):
    """One numbered stop of a saved plan: its H3 cells (resolution 9), centre, score,
    peak hours, nearest gazetteer landmark and what happens there (categories)."""

    __tablename__ = "patrol_plan_points"

    plan_id: Mapped[int] = mapped_column(
        ForeignKey("patrol_plans.id", ondelete="CASCADE"), primary_key=True
    )
    point: Mapped[int] = mapped_column(Integer, primary_key=True)
    cells: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    peak_hours: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), nullable=False)
    landmark: Mapped[str | None] = mapped_column(String)
    landmark_m: Mapped[float | None] = mapped_column(Float)
    activity: Mapped[str | None] = mapped_column(Text)


class PatrolPlanVisit(Base):
    """One visit of a saved plan's schedule: an officer (numbered, never named) at a
    point from `starts_at` to `ends_at`."""

    __tablename__ = "patrol_plan_visits"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("patrol_plans.id", ondelete="CASCADE"), nullable=False, index=True
    )
    point: Mapped[int] = mapped_column(Integer, nullable=False)
    officer: Mapped[int] = mapped_column(Integer, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class WardShape(Base):
    """Ward outlines or shared boundary lines as GeoJSON text with a "bbox", rebuilt by
    a trigger on `wards` (migration 0011) at each boundary load."""

    __tablename__ = "ward_shapes"

    kind: Mapped[str] = mapped_column(String, primary_key=True)  # lines | outlines
    tolerance: Mapped[float] = mapped_column(Float(precision=53), primary_key=True)
    decimals: Mapped[int] = mapped_column(Integer, primary_key=True)
    geojson: Mapped[str] = mapped_column(Text, nullable=False)
    features: Mapped[int] = mapped_column(Integer, nullable=False)
    # The "bbox" of the GeoJSON, NULL without wards.
    west: Mapped[float | None] = mapped_column(Float(precision=53))
    south: Mapped[float | None] = mapped_column(Float(precision=53))
    east: Mapped[float | None] = mapped_column(Float(precision=53))
    north: Mapped[float | None] = mapped_column(Float(precision=53))


class AgencyWardCount(Base):
    """Incidents per agency and ward (NULL: no ward) with the first and last day, kept
    by statement triggers on `incidents` (migration 0011)."""

    __tablename__ = "agency_ward_counts"

    # No key column: a unique pair with NULL wards equal (NULLS NOT DISTINCT).
    __mapper_args__ = {"primary_key": ["agency_id", "ward_code"]}
    agency_id: Mapped[int] = mapped_column(Integer, nullable=False)
    ward_code: Mapped[str | None] = mapped_column(String)
    n: Mapped[int] = mapped_column(BigInteger, nullable=False)
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint(
            "agency_id",
            "ward_code",
            name="uq_agency_ward_counts",
            postgresql_nulls_not_distinct=True,
        ),
    )


# The place review queue reads only rows not placed by GPS: at a million GPS rows it
# scanned the whole table to find none (migration 0011).
Index(
    "ix_incidents_needs_review",
    Incident.location_text,
    Incident.ward_text,
    postgresql_where=text("geocode_method <> 'gps'"),
)
