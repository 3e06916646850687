"""Forum actions: the vocabulary, the checks every action passes (from a file or the
dashboard), and the writes to the `actions` table.

An action is keyed by `action_ref`. A file row without one gets a key made from its
forum and title, so loading the same file again updates the same actions (and a
file loaded twice unchanged changes nothing). Geometry is any point, line or polygon
in WGS84; meetings and awareness campaigns may have none.

Responsible people are never stored: the tracker is published, so only the
responsible agency or office is kept, and columns that would name a person are
dropped when a file is read (and said so in the load summary).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine, text

from geodata import cache
from geodata.errors import ObservatoryError
from geodata.vocab import vocab_key

ACTION_KINDS: tuple[str, ...] = (
    "lighting",
    "pathway_clearing",
    "bush_clearing",
    "patrol",
    "cctv",
    "community_meeting",
    "awareness",
    "other",
)
ACTION_STATUSES: tuple[str, ...] = ("proposed", "agreed", "in_progress", "done", "dropped")
# Not finished and not abandoned: these can be overdue.
OPEN_STATUSES: tuple[str, ...] = ("proposed", "agreed", "in_progress")
# Kinds that act on a place: without a geometry they cannot be mapped or evaluated.
PLACED_KINDS: frozenset[str] = frozenset(
    {"lighting", "pathway_clearing", "bush_clearing", "patrol", "cctv"}
)
KIND_LABELS: dict[str, str] = {
    "lighting": "Street lighting",
    "pathway_clearing": "Path clearing",
    "bush_clearing": "Bush clearing",
    "patrol": "Patrols",
    "cctv": "CCTV",
    "community_meeting": "Community meeting",
    "awareness": "Awareness campaign",
    "other": "Other",
}
STATUS_LABELS: dict[str, str] = {
    "proposed": "Proposed",
    "agreed": "Agreed",
    "in_progress": "In progress",
    "done": "Done",
    "dropped": "Dropped",
}
_KIND_SYNONYMS = {
    "lighting": ("light", "lights", "street_light", "street_lights", "streetlight", "taa"),
    "pathway_clearing": ("path_clearing", "pathway", "path", "footpath_clearing"),
    "bush_clearing": ("bush", "slashing", "clearing_bushes"),
    "patrol": ("patrols", "police_patrol", "community_patrol"),
    "cctv": ("camera", "cameras", "cctv_camera"),
    "community_meeting": ("meeting", "baraza", "community_baraza"),
    "awareness": ("awareness_campaign", "sensitisation", "sensitization"),
}
_STATUS_SYNONYMS = {
    "proposed": ("proposal", "suggested", "new"),
    "agreed": ("approved", "decided", "planned"),
    "in_progress": ("ongoing", "started", "in_hand", "underway"),
    "done": ("completed", "complete", "finished", "implemented"),
    "dropped": ("cancelled", "canceled", "abandoned"),
}
TEXT_FIELDS: tuple[str, ...] = (
    "action_ref",
    "title",
    "description",
    "responsible_agency",
    "forum",
    "priority",
)
DATE_FIELDS: tuple[str, ...] = ("decided_on", "started_on", "due_on", "completed_on")
# Kenya with a margin: a point outside is a typo (swapped or dropped digits).
_LAT_RANGE, _LON_RANGE = (-5.5, 5.5), (33.0, 42.5)


def _table(canonical: tuple[str, ...], synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table = {value: value for value in canonical}
    table.update({word: value for value, words in synonyms.items() for word in words})
    return table


_KINDS = _table(ACTION_KINDS, _KIND_SYNONYMS)
_STATUSES = _table(ACTION_STATUSES, _STATUS_SYNONYMS)


@dataclass(frozen=True)
class ActionRecord:
    """One checked action, ready to store."""

    action_ref: str
    kind: str
    title: str
    status: str
    description: str | None = None
    responsible_agency: str | None = None
    forum: str | None = None
    priority: str | None = None
    decided_on: date | None = None
    started_on: date | None = None
    due_on: date | None = None
    completed_on: date | None = None
    geometry: BaseGeometry | None = field(default=None, compare=False)

    def params(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "geometry"}
        values["wkt"] = None if self.geometry is None else shapely.to_wkt(self.geometry, 7)
        return values


@dataclass(frozen=True)
class ActionLoad:
    source: str
    inserted: int
    updated: int
    unchanged: int
    dropped_columns: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()

    def summary(self) -> str:
        line = (
            f"{self.source}: {self.inserted} actions added, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        if self.dropped_columns:
            line += f"; not read (would name a person): {', '.join(self.dropped_columns)}"
        if self.ignored_columns:
            line += f"; ignored columns: {', '.join(self.ignored_columns)}"
        return line


def action_ref_for(forum: str | None, title: str) -> str:
    """The key of an action given without one: forum and title, lower case."""
    parts = [vocab_key(forum or ""), vocab_key(title)]
    return "/".join(p for p in parts if p)


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _vocab(value: object, table: dict[str, str], column: str, where: str) -> str:
    key = vocab_key(str(value))
    found = table.get(key)
    if found is None:
        choices = ", ".join(dict.fromkeys(table.values()))
        raise ObservatoryError(f"{where}, column {column}: {value!r} is not one of {choices}.")
    return found


def parse_date(value: object, column: str, where: str) -> date | None:
    """A calendar date from a date, an ISO text (2024-07-31) or day first (31/07/2024)."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw[:10] if pattern == "%Y-%m-%d" else raw, pattern).date()
        except ValueError:
            continue
    raise ObservatoryError(
        f"{where}, column {column}: {raw!r} is not a date; write it as YYYY-MM-DD "
        "(e.g. 2024-07-31)."
    )


def _number(value: object, column: str, where: str) -> float:
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ObservatoryError(f"{where}, column {column}: {value!r} is not a number.")
    return number


def parse_geometry(values: Mapping[str, object], where: str) -> BaseGeometry | None:
    """The geometry of `values`: `geometry` (GeoJSON mapping or text, WKT or a shapely
    geometry), `wkt`, or `latitude` + `longitude`; None when none is given."""
    given = {k: values.get(k) for k in ("geometry", "wkt", "latitude", "longitude")}
    given = {k: v for k, v in given.items() if not _blank(v)}
    if not given:
        return None
    if ("latitude" in given or "longitude" in given) and ({"wkt", "geometry"} & set(given)):
        raise ObservatoryError(
            f"{where}: give either latitude/longitude or wkt, not both (they may disagree)."
        )
    if "latitude" in given or "longitude" in given:
        missing = "longitude" if "latitude" in given else "latitude"
        if missing not in given:
            raise ObservatoryError(f"{where}, column {missing}: empty; a point needs both.")
        lat = _number(given["latitude"], "latitude", where)
        lon = _number(given["longitude"], "longitude", where)
        return _checked(shapely.Point(lon, lat), "latitude", where)
    column = "wkt" if "wkt" in given else "geometry"
    return _checked(_to_shape(given[column], column, where), column, where)


def _to_shape(value: object, column: str, where: str) -> BaseGeometry:
    if isinstance(value, BaseGeometry):
        return value
    try:
        if isinstance(value, Mapping):
            return shapely.from_geojson(json.dumps(value))
        raw = str(value).strip()
        return shapely.from_geojson(raw) if raw.startswith("{") else shapely.from_wkt(raw)
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        raise ObservatoryError(
            f"{where}, column {column}: not a readable geometry ({exc}); write WKT such as "
            "POINT (36.95 -0.80) or LINESTRING (36.95 -0.80, 36.96 -0.80), longitude first."
        ) from exc


def _checked(shape: BaseGeometry, column: str, where: str) -> BaseGeometry:
    if shape.is_empty:
        raise ObservatoryError(f"{where}, column {column}: the geometry is empty.")
    if shape.geom_type == "GeometryCollection":
        raise ObservatoryError(
            f"{where}, column {column}: use one point, line or polygon (or a Multi- of one)."
        )
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    if not (
        _LAT_RANGE[0] <= min_lat <= max_lat <= _LAT_RANGE[1]
        and _LON_RANGE[0] <= min_lon <= max_lon <= _LON_RANGE[1]
    ):
        raise ObservatoryError(
            f"{where}, column {column}: ({min_lat:.5f}, {min_lon:.5f}) is outside Kenya; "
            "check for swapped latitude/longitude (WKT and GeoJSON put longitude first)."
        )
    if not shape.is_valid:
        # A self-crossing drawn polygon: keep the area it encloses.
        shape = shapely.make_valid(shape)
        polygons = [g for g in shapely.get_parts(shape) if g.geom_type == "Polygon"]
        shape = polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
    return shape


def check_action(values: Mapping[str, object], where: str = "action") -> ActionRecord:
    """Check and clean one action's values (as read from a file or a dashboard form).

    Raises ObservatoryError naming `where` (e.g. "actions.csv: row 4") and the column.
    """
    texts = {k: None if _blank(values.get(k)) else str(values[k]).strip() for k in TEXT_FIELDS}
    for column in ("kind", "title"):
        if _blank(values.get(column)):
            raise ObservatoryError(f"{where}, column {column}: empty; every action needs one.")
    kind = _vocab(values["kind"], _KINDS, "kind", where)
    raw_status = values.get("status")
    status = "proposed" if _blank(raw_status) else _vocab(raw_status, _STATUSES, "status", where)
    dates = {c: parse_date(values.get(c), c, where) for c in DATE_FIELDS}
    _check_dates(status, dates, where)
    geometry = parse_geometry(values, where)
    if geometry is None and kind in PLACED_KINDS:
        raise ObservatoryError(
            f"{where}: a {kind} action needs a place: give latitude/longitude, or wkt for a "
            "line or an area."
        )
    texts["action_ref"] = texts["action_ref"] or action_ref_for(texts["forum"], texts["title"])
    return ActionRecord(kind=kind, status=status, geometry=geometry, **texts, **dates)


def _check_dates(status: str, dates: dict[str, date | None], where: str) -> None:
    if status == "done" and dates["completed_on"] is None:
        raise ObservatoryError(
            f"{where}, column completed_on: empty, but the status is done; give the date it "
            "was completed (an evaluation compares before and after it)."
        )
    order = [(c, dates[c]) for c in ("decided_on", "started_on", "completed_on") if dates[c]]
    for (first, a), (second, b) in zip(order, order[1:], strict=False):
        if b < a:
            raise ObservatoryError(f"{where}, column {second}: {b} is before {first} ({a}).")


_COLUMNS = (
    "action_ref, kind, title, description, responsible_agency, forum, priority, "
    "decided_on, started_on, due_on, completed_on, status"
)
_VALUES = (
    ":action_ref, :kind, :title, :description, :responsible_agency, :forum, :priority, "
    ":decided_on, :started_on, :due_on, :completed_on, :status"
)
_GEOM = "ST_GeomFromText(CAST(:wkt AS text), 4326)"
# Only rows whose values differ are touched, so an unchanged re-load changes nothing
# (not even updated_at); xmax = 0 tells a fresh insert from an update.
_UPSERT = text(
    f"INSERT INTO actions ({_COLUMNS}, geom) VALUES ({_VALUES}, {_GEOM}) "
    "ON CONFLICT (action_ref) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS.split(", ")[1:])
    + ", geom = EXCLUDED.geom, updated_at = now() WHERE "
    + " OR ".join(f"actions.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in _COLUMNS.split(", ")[1:])
    + " OR ST_AsEWKB(actions.geom) IS DISTINCT FROM ST_AsEWKB(EXCLUDED.geom) "
    "RETURNING id, (xmax = 0) AS inserted"
)


def upsert_actions(conn: Connection, records: Iterable[ActionRecord]) -> tuple[int, int, int]:
    """Insert or update by action_ref inside the caller's transaction; returns
    (inserted, updated, unchanged) and bumps the data version when anything changed."""
    inserted = updated = unchanged = 0
    for record in records:
        row = conn.execute(_UPSERT, record.params()).first()
        if row is None:
            unchanged += 1
        elif row.inserted:
            inserted += 1
        else:
            updated += 1
    if inserted or updated:
        cache.bump_version(conn)
    return inserted, updated, unchanged


def load_actions(engine: Engine, path: Path | str) -> ActionLoad:
    """`observatory actions load FILE`: check every row, then upsert them all in one
    transaction (a refused file leaves the table as it was)."""
    from geodata.action_files import read_actions_file

    found = read_actions_file(path)
    with engine.begin() as conn:
        counts = upsert_actions(conn, found.records)
    return ActionLoad(found.name, *counts, found.dropped_columns, found.ignored_columns)


def create_action(engine: Engine, values: Mapping[str, object]) -> int:
    """Store a new action (from the dashboard form); returns its id. Refuses an
    action_ref (or forum and title) that is already taken."""
    record = check_action(values, "the new action")
    with engine.begin() as conn:
        taken = conn.execute(
            text("SELECT id FROM actions WHERE action_ref = :ref"), {"ref": record.action_ref}
        ).first()
        if taken:
            raise ObservatoryError(
                f"an action {record.action_ref!r} exists already (id {taken.id}): edit it, or "
                "give the new one another title or action_ref."
            )
        new_id = conn.execute(
            text(
                f"INSERT INTO actions ({_COLUMNS}, geom) VALUES ({_VALUES}, {_GEOM}) RETURNING id"
            ),
            record.params(),
        ).scalar_one()
        cache.bump_version(conn)
    return int(new_id)


def _stored(conn: Connection, action_id: int) -> dict:
    row = (
        conn.execute(
            text(f"SELECT {_COLUMNS}, ST_AsGeoJSON(geom) AS geometry FROM actions WHERE id = :id"),
            {"id": action_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise ObservatoryError(f"there is no action {action_id}: it may have been deleted.")
    return dict(row)


def update_action(engine: Engine, action_id: int, values: Mapping[str, object]) -> ActionRecord:
    """Change the given fields of an action (others keep their values); a `geometry`,
    `wkt` or `latitude`/`longitude` replaces the stored geometry. Returns the result."""
    with engine.begin() as conn:
        merged = _stored(conn, action_id)
        if {"wkt", "latitude", "longitude", "geometry"} & set(values):
            merged.pop("geometry")
        merged.update(values)
        record = check_action(merged, f"action {action_id}")
        clash = conn.execute(
            text("SELECT id FROM actions WHERE action_ref = :ref AND id <> :id"),
            {"ref": record.action_ref, "id": action_id},
        ).first()
        if clash:
            raise ObservatoryError(
                f"action {action_id}: action_ref {record.action_ref!r} belongs to action "
                f"{clash.id}; choose another."
            )
        assignments = ", ".join(f"{c} = :{c}" for c in _COLUMNS.split(", "))
        conn.execute(
            text(
                f"UPDATE actions SET {assignments}, geom = {_GEOM}, updated_at = now() "
                "WHERE id = :id"
            ),  # fmt: skip
            {**record.params(), "id": action_id},
        )
        cache.bump_version(conn)
    return record


def delete_action(engine: Engine, action_id: int) -> None:
    with engine.begin() as conn:
        gone = conn.execute(text("DELETE FROM actions WHERE id = :id"), {"id": action_id})
        if gone.rowcount == 0:
            raise ObservatoryError(f"there is no action {action_id}: it may have been deleted.")
        cache.bump_version(conn)
