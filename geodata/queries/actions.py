"""Reads about forum actions: the actions with their geometry, the "you said, we
did" tracker (and its public-safe version), the H3 cells an action covers, and the
incidents an evaluation or the after-dark lens counts.

Incidents are counted once per event: records of several agencies linked into one
event group count as one (the best-placed record stands for the event), so a
robbery seen by the police and the health centre does not count twice before or
after an action. Results are cached per data version: treat them as read-only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime

import numpy as np
import pandas as pd
import shapely
from h3.api import basic_int as h3i
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, text

from geodata.actions import ACTION_STATUSES, KIND_LABELS, OPEN_STATUSES, STATUS_LABELS
from geodata.cache import cached
from geodata.errors import ObservatoryError
from geodata.h3grid import FINEST

M_PER_DEG = 111_320.0
# Lines and outlines are sampled this often (metres) to find the cells they cross.
_SAMPLE_M = 20.0

_ACTIONS = """
SELECT a.id, a.action_ref, a.kind, a.title, a.description, a.responsible_agency, a.forum,
       a.priority, a.decided_on, a.started_on, a.due_on, a.completed_on, a.status,
       a.created_at, a.updated_at, ST_AsGeoJSON(a.geom, 7) AS geometry,
       GeometryType(a.geom) AS geom_type,
       (SELECT string_agg(w.name, ', ' ORDER BY w.name) FROM wards w
         WHERE a.geom IS NOT NULL AND ST_Intersects(w.geom, a.geom)) AS wards
FROM actions a
"""


@cached
def actions_frame(engine: Engine, statuses: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every action (or those with one of `statuses`): its fields, `geometry` as a
    GeoJSON mapping (None without one), `geom_type`, and `wards`, the names of the
    wards it touches; ordered by id."""
    where, params = "", {}
    if statuses is not None:
        where, params = "WHERE a.status = ANY(:statuses)", {"statuses": list(statuses)}
    with engine.connect() as conn:
        frame = pd.read_sql(text(f"{_ACTIONS} {where} ORDER BY a.id"), conn, params=params)
    frame["geometry"] = [json.loads(g) if isinstance(g, str) else None for g in frame["geometry"]]
    # None, not NaN, where an action touches no ward (pandas would make it a float).
    frame["wards"] = pd.Series(
        [w if isinstance(w, str) else None for w in frame["wards"]], index=frame.index, dtype=object
    )
    for column in ("decided_on", "started_on", "due_on", "completed_on"):
        frame[column] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame[column]]
    return frame


def action_record(engine: Engine, action_id: int) -> dict:
    """One action as a dict (the row of `actions_frame`)."""
    frame = actions_frame(engine)
    found = frame[frame["id"] == int(action_id)]
    if found.empty:
        raise ObservatoryError(f"there is no action {action_id}: it may have been deleted.")
    return found.iloc[0].to_dict()


def tracker_table(engine: Engine, as_of: date | None = None) -> pd.DataFrame:
    """The "you said, we did" table: one row per action, grouped by status (in the
    order proposed, agreed, in progress, done, dropped), overdue ones first.

    overdue: not done or dropped and its due date before `as_of` (default today);
    days_overdue counts the days since (0 when not overdue)."""
    return _tracker(engine, as_of or date.today())


@cached
def _tracker(engine: Engine, as_of: date) -> pd.DataFrame:
    frame = actions_frame(engine).copy()
    frame["kind_label"] = frame["kind"].map(KIND_LABELS)
    frame["status_label"] = frame["status"].map(STATUS_LABELS)
    open_ = frame["status"].isin(OPEN_STATUSES)
    due = pd.to_datetime(frame["due_on"])
    days = (pd.Timestamp(as_of) - due).dt.days
    frame["overdue"] = (open_ & days.gt(0)).astype(bool)
    frame["days_overdue"] = days.where(frame["overdue"], 0).fillna(0).astype(int)
    frame["status_order"] = frame["status"].map({s: i for i, s in enumerate(ACTION_STATUSES)})
    frame["due"] = due
    frame = frame.sort_values(
        ["status_order", "overdue", "days_overdue", "due", "id"],
        ascending=[True, False, False, True, True],
        kind="mergesort",
        na_position="last",
    )
    columns = [
        "id", "status", "status_label", "overdue", "days_overdue", "kind", "kind_label",
        "title", "forum", "responsible_agency", "priority", "wards", "decided_on",
        "started_on", "due_on", "completed_on",
    ]  # fmt: skip
    return frame[columns].reset_index(drop=True)


PUBLIC_TRACKER_COLUMNS: tuple[str, ...] = (
    "kind_label",
    "status_label",
    "wards",
    "decided_on",
    "due_on",
    "completed_on",
    "overdue",
    "days_overdue",
)


def public_tracker(engine: Engine, as_of: date | None = None) -> pd.DataFrame:
    """The tracker safe to publish: what kind of action, in which ward(s), its status
    and dates. No titles, descriptions or agencies (they can name people or exact
    spots) and no geometry finer than the ward."""
    table = tracker_table(engine, as_of)
    return table[list(PUBLIC_TRACKER_COLUMNS)].fillna({"wards": "-"}).reset_index(drop=True)


def _as_shape(geometry: BaseGeometry | Mapping | str) -> BaseGeometry:
    if isinstance(geometry, BaseGeometry):
        return geometry
    if isinstance(geometry, Mapping):
        return shapely.from_geojson(json.dumps(geometry))
    if geometry.lstrip().startswith("{"):
        return shapely.from_geojson(geometry)
    return shapely.from_wkt(geometry)


def geometry_cells(
    geometry: BaseGeometry | Mapping | str, metres: float = 0.0, res: int = FINEST
) -> frozenset[int]:
    """H3 cells an action covers: every cell the geometry touches (a point's cell, the
    cells a line crosses, a polygon's cells), plus every cell whose centre lies within
    `metres` of it. Distances in a local metric projection (exact to well under a
    metre over a town)."""
    shape = _as_shape(geometry)
    lat0, lon0 = shape.centroid.y, shape.centroid.x
    kx = M_PER_DEG * math.cos(math.radians(lat0))

    def to_metric(coords: np.ndarray) -> np.ndarray:
        return (coords - [lon0, lat0]) * [kx, M_PER_DEG]

    metric = shapely.transform(shape, to_metric)
    outline = shapely.boundary(metric) if shape.area else metric
    samples = shapely.get_coordinates(shapely.segmentize(outline, _SAMPLE_M))
    lon = samples[:, 0] / kx + lon0
    lat = samples[:, 1] / M_PER_DEG + lat0
    touched = {h3i.latlng_to_cell(a, b, res) for a, b in zip(lat, lon, strict=True)}
    if shape.area:
        touched |= set(h3i.geo_to_cells(shape, res))
    if metres <= 0:
        return frozenset(touched)
    spacing = math.sqrt(3) * h3i.average_hexagon_edge_length(res, "m")
    k = int(math.ceil(metres / spacing)) + 1
    candidates = set().union(*(h3i.grid_disk(c, k) for c in touched)) - touched
    cells = sorted(candidates)
    centres = np.array([h3i.cell_to_latlng(c) for c in cells]).reshape(-1, 2)
    xy = to_metric(centres[:, ::-1])
    near = shapely.distance(metric, shapely.points(xy)) <= metres
    return frozenset(touched | {c for c, keep in zip(cells, near, strict=True) if keep})


@cached
def action_cells(
    engine: Engine, action_id: int, metres: float = 0.0, res: int = FINEST
) -> tuple[int, ...]:
    """`geometry_cells` of a stored action, sorted; an action without a geometry is
    refused (it has no place to evaluate)."""
    action = action_record(engine, action_id)
    if action["geometry"] is None:
        raise ObservatoryError(
            f"action {action_id} ({action['title']}) has no place on the map: draw it first."
        )
    return tuple(sorted(geometry_cells(action["geometry"], metres, res)))


@cached
def lighting_cells(
    engine: Engine, metres: float = 0.0, statuses: tuple[str, ...] = OPEN_STATUSES + ("done",)
) -> tuple[tuple[int, ...], ...]:
    """The cells of each lighting action with one of `statuses` (default: planned,
    under way or done; dropped ones light nothing), widened by `metres`."""
    frame = actions_frame(engine, tuple(statuses))
    lights = frame[(frame["kind"] == "lighting") & frame["geometry"].notna()]
    return tuple(tuple(sorted(geometry_cells(g, metres))) for g in lights["geometry"])


def _event_filter(
    start: datetime | date, end: datetime | date, cells, categories, ward_codes
) -> tuple[str, dict]:
    clauses = ["h3_9 IS NOT NULL", "occurred_from >= :start", "occurred_from < :end"]
    params: dict = {"start": start, "end": end}
    if cells is not None:
        clauses.append("h3_9 = ANY(CAST(:cells AS bigint[]))")
        params["cells"] = [int(c) for c in cells]
    if categories:
        clauses.append("category = ANY(:categories)")
        params["categories"] = list(categories)
    if ward_codes:
        clauses.append("ward_code = ANY(:wards)")
        params["wards"] = list(ward_codes)
    return " AND ".join(clauses), params


# One row per event: a linked group's best-placed record stands for it.
_EVENTS = """
SELECT DISTINCT ON (COALESCE(event_group_id, -id))
       h3_9 AS cell, occurred_from, occurred_to, time_known, category,
       ST_Y(geom) AS lat, ST_X(geom) AS lon
FROM incidents WHERE {where}
ORDER BY COALESCE(event_group_id, -id), geocode_confidence DESC NULLS LAST, id
"""


@cached
def evaluation_incidents(
    engine: Engine,
    start: datetime | date,
    end: datetime | date,
    cells: tuple[int, ...] | None = None,
    categories: tuple[str, ...] = (),
    ward_codes: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Placed events from `start` (inclusive) to `end` (exclusive), in `cells` (H3
    resolution 9; None: anywhere), of `categories` (empty: all), in `ward_codes`
    (empty: all): cell (int64), occurred_from, occurred_to, time_known, category, lat,
    lon; ordered by time."""
    where, params = _event_filter(start, end, cells, categories, ward_codes)
    with engine.connect() as conn:
        frame = pd.read_sql(text(_EVENTS.format(where=where)), conn, params=params)
    frame = frame.astype({"cell": "int64", "time_known": "bool"})
    return frame.sort_values(["occurred_from", "cell"], kind="mergesort").reset_index(drop=True)


@cached
def monthly_cell_counts(
    engine: Engine, start: datetime | date, end: datetime | date, categories: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Events per resolution-9 cell and calendar month from `start` to `end`
    (exclusive): one row per cell with any event, one column per month (pandas
    Period), zero-filled; the shape `geodata.stats.impact_areas.match_control` takes."""
    where, params = _event_filter(start, end, None, categories, ())
    sql = (
        f"SELECT cell, date_trunc('month', occurred_from) AS month, count(*) AS n "
        f"FROM ({_EVENTS.format(where=where)}) e GROUP BY 1, 2"
    )
    with engine.connect() as conn:
        counts = pd.read_sql(text(sql), conn, params=params)
    months = pd.period_range(pd.Timestamp(start), pd.Timestamp(end) - pd.Timedelta(1), freq="M")
    if counts.empty:
        return pd.DataFrame(columns=months, dtype="int64")
    counts["month"] = pd.to_datetime(counts["month"]).dt.to_period("M")
    table = counts.pivot_table(index="cell", columns="month", values="n", fill_value=0)
    table.index = table.index.astype("int64")
    return table.reindex(columns=months, fill_value=0).astype("int64")


@cached
def cell_counts(
    engine: Engine, start: datetime | date, end: datetime | date, categories: tuple[str, ...] = ()
) -> pd.Series:
    """Events per resolution-9 cell from `start` to `end` (exclusive), indexed by cell
    (int64); cells without events are absent."""
    where, params = _event_filter(start, end, None, categories, ())
    sql = f"SELECT cell, count(*) AS n FROM ({_EVENTS.format(where=where)}) e GROUP BY cell"
    with engine.connect() as conn:
        counts = pd.read_sql(text(sql), conn, params=params)
    return counts.set_index(counts["cell"].astype("int64"))["n"].astype("int64")
