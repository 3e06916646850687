"""Reading forum action files: CSV (a point as latitude/longitude, or any geometry as
a `wkt` column) and GeoJSON (a FeatureCollection, the columns as properties).

Every row is checked before anything is stored: one bad row refuses the file, and
the message lists each bad row and column (up to a few) so a clerk can fix them in
one go. Columns that would name a person are dropped unread.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from geodata.actions import DATE_FIELDS, TEXT_FIELDS, ActionRecord, check_action
from geodata.errors import ObservatoryError
from geodata.vocab import vocab_key

SUFFIXES = (".csv", ".geojson", ".json")
# File columns that would name or reach a person: never read.
PERSONAL_COLUMNS: frozenset[str] = frozenset(
    {
        "responsible_person",
        "person",
        "contact",
        "contact_person",
        "officer",
        "officer_name",
        "name",
        "phone",
        "phone_number",
        "telephone",
        "mobile",
        "email",
    }
)
_COLUMN_SYNONYMS = {
    "lat": "latitude",
    "y": "latitude",
    "lon": "longitude",
    "lng": "longitude",
    "long": "longitude",
    "x": "longitude",
    "geometry": "wkt",
    "geom": "wkt",
    "ref": "action_ref",
    "reference": "action_ref",
    "agency": "responsible_agency",
    "responsible": "responsible_agency",
    "type": "kind",
    "action_kind": "kind",
    "due": "due_on",
    "due_date": "due_on",
    "decided": "decided_on",
    "started": "started_on",
    "completed": "completed_on",
}
_KNOWN = frozenset({*TEXT_FIELDS, *DATE_FIELDS, "kind", "status", "wkt", "latitude", "longitude"})
_MAX_LISTED = 8


@dataclass(frozen=True)
class ActionFile:
    """A file's checked actions, and the columns not read."""

    name: str
    records: tuple[ActionRecord, ...]
    dropped_columns: tuple[str, ...]  # would name a person
    ignored_columns: tuple[str, ...]  # not an action field


def normal_column(name: str) -> str:
    key = vocab_key(name)
    return _COLUMN_SYNONYMS.get(key, key)


def _csv_rows(path: Path) -> tuple[list[tuple[str, dict]], list[str]]:
    data = path.read_bytes()
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        decoded = data.decode("cp1252")  # what Excel on Windows saves as "CSV"
    first = decoded.split("\n", 1)[0]
    separator = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(decoded), delimiter=separator)
    headers = [h for h in reader.fieldnames or [] if h]
    # Row numbers as a spreadsheet shows them: the header is row 1.
    rows = [(f"row {i}", row) for i, row in enumerate(reader, start=2) if any(row.values())]
    return rows, headers


def _geojson_rows(path: Path) -> tuple[list[tuple[str, dict]], list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ObservatoryError(f"{path.name}: not readable GeoJSON ({exc}).") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ObservatoryError(f"{path.name}: expected a GeoJSON FeatureCollection.")
    rows, headers = [], {}
    for i, feature in enumerate(data.get("features") or [], start=1):
        props = dict((feature or {}).get("properties") or {})
        headers.update(dict.fromkeys(props))
        rows.append((f"feature {i}", {**props, "\0geometry": feature.get("geometry")}))
    return rows, list(headers)


def read_actions_file(path: Path | str) -> ActionFile:
    """The checked actions of a .csv or .geojson file; ObservatoryError listing every
    bad row (file, row or feature number, column, what to write instead)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ObservatoryError(f"{path.name}: load actions from a .csv or .geojson file.")
    if not path.is_file():
        raise ObservatoryError(f"{path}: no such file.")
    rows, headers = (_csv_rows if suffix == ".csv" else _geojson_rows)(path)
    columns = {h: normal_column(h) for h in headers}
    dropped = tuple(h for h, c in columns.items() if c in PERSONAL_COLUMNS)
    ignored = tuple(h for h, c in columns.items() if c not in _KNOWN | PERSONAL_COLUMNS)
    if not {"kind", "title"} <= set(columns.values()):
        raise ObservatoryError(
            f"{path.name}: needs the columns kind and title (found: {', '.join(headers)})."
        )
    checked, problems = [], []
    for where, row in rows:
        values = {c: row.get(h) for h, c in columns.items() if c in _KNOWN}
        if "\0geometry" in row:  # GeoJSON: the feature's geometry
            values.pop("wkt", None)
            values["geometry"] = row["\0geometry"]
        try:
            checked.append((where, check_action(values, where)))
        except ObservatoryError as exc:
            problems.append(str(exc).rstrip("."))
    problems += _duplicate_refs(checked)
    if problems:
        listed = "; ".join(problems[:_MAX_LISTED])
        more = f"; and {len(problems) - _MAX_LISTED} more" if len(problems) > _MAX_LISTED else ""
        raise ObservatoryError(
            f"{path.name}: nothing loaded, {len(problems)} to fix: {listed}{more}."
        )
    return ActionFile(path.name, tuple(r for _, r in checked), dropped, ignored)


def _duplicate_refs(checked: list[tuple[str, ActionRecord]]) -> list[str]:
    first: dict[str, str] = {}
    problems = []
    for where, record in checked:
        if record.action_ref in first:
            problems.append(
                f"{where}: the same action as {first[record.action_ref]} "
                f"(action_ref {record.action_ref!r}); give each its own action_ref or title"
            )
        first.setdefault(record.action_ref, where)
    return problems
