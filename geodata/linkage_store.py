"""Every write of event groups, and the re-placing of incidents after a reviewer's
choice.

Linkage (geodata.linkage) runs after each ingest, inside its transaction, over the
dates the file touched (padded by the link window) and over the records of *every*
agency in them: a health register loaded after the police one links to it. Groups a
reviewer confirmed are kept as they are, and a record a reviewer split off keeps its
own group (`split`) and is never linked again; every other group in the range is
recomputed, so re-running linkage is idempotent.

Counting events, not records: `event_key_sql` is the key aggregates count distinct.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text

from geodata import aggregates, cache, h3grid, incident_store, summaries
from geodata.errors import ObservatoryError
from geodata.gazetteer.normalise import normalise_place
from geodata.linkage import _MAX_SPAN_HOURS, LinkParams, link_records


def event_key_sql(alias: str = "i") -> str:
    """SQL for one incident's event: its group, or the incident itself when alone
    (negated ids never collide with group ids, which are positive)."""
    return f"coalesce({alias}.event_group_id, -{alias}.id)"


@dataclass(frozen=True)
class LinkRun:
    records: int  # records linkage looked at
    groups: int  # event groups of two or more records written
    linked_records: int


# What linkage reads of a record, as one hash: an import that changes none of it (a
# re-issued register with new case statuses) leaves every group as it was. Agency and
# type are not in it: a record never changes agency.
_LINKED_FIELDS = (
    "md5(ROW(i.category, i.occurred_from, i.occurred_to, i.time_known, i.ward_code, "
    "i.victim_sex, i.victim_age, ST_AsEWKB(i.geom))::text)"
)
_SEEN = (
    f"SELECT i.id, {_LINKED_FIELDS} AS seen, i.occurred_from, "
    "coalesce(i.occurred_to, i.occurred_from) AS until FROM incidents i "
)


def linkage_snapshot(conn: Connection) -> pd.DataFrame:
    """Once a file is staged, before its upsert (`incident_store.load_incidents`'s
    before_upsert): what linkage reads of the stored records it will overwrite, for
    `relink_import` to compare with. A re-run of an unchanged file overwrites none."""
    rows = conn.execute(text(_SEEN + f"WHERE i.id IN ({incident_store.OVERWRITTEN})"))
    return pd.DataFrame(rows.mappings().all(), columns=list(rows.keys()))


def relink_import(
    conn: Connection,
    import_id: int,
    params: LinkParams | None = None,
    before: pd.DataFrame | None = None,
) -> LinkRun:
    """Re-link the dates an import inserted or changed records on (all agencies).
    With `before` (`linkage_snapshot` taken before the upsert), only the dates of
    records it inserted or changed linkage fields of, old dates and new: a file that
    changed only statuses links nothing, so re-issues cannot reshape the groups."""
    if before is None or before.empty:  # nothing overwritten: every record counts
        first, last = conn.execute(
            text(
                "SELECT min(occurred_from), max(coalesce(occurred_to, occurred_from)) "
                "FROM incidents WHERE import_id = :i"
            ),
            {"i": import_id},
        ).one()
        if first is None:
            return LinkRun(0, 0, 0)
        return relink_range(conn, first, last, params)
    rows = conn.execute(text(_SEEN + "WHERE i.import_id = :i"), {"i": import_id})
    dates = pd.DataFrame(rows.mappings().all(), columns=list(rows.keys()))
    if len(before):
        old = before.set_index("id")["seen"].reindex(dates["id"]).to_numpy()
        dates = dates[dates["seen"].to_numpy() != old]
        dates = pd.concat([dates, before[before["id"].isin(dates["id"])]])
    if dates.empty:
        return LinkRun(0, 0, 0)
    return relink_range(conn, dates["occurred_from"].min(), dates["until"].max(), params)


def relink_range(
    conn: Connection, start: datetime, end: datetime, params: LinkParams | None = None
) -> LinkRun:
    """Recompute the event groups of records from `start` to `end` (padded by the
    window), keeping confirmed groups and split records. Returns what was written."""
    params = params or LinkParams.from_settings()
    pad = timedelta(hours=params.window_hours + _MAX_SPAN_HOURS)
    if not _linkable(conn, start - pad, end + pad):
        return LinkRun(0, 0, 0)
    records = _read_records(conn, start - pad, end + pad)
    _dissolve(conn, records["id"])
    free = records[~records["frozen"]].reset_index(drop=True)
    if free["agency_type"].nunique() < 2:  # one kind of agency: nothing to link
        free = free.iloc[:0]
    linked = link_records(free, params) if len(free) else free.assign(group_size=[])
    members = free.assign(grp=linked.get("event_group"), score=linked.get("group_score"))
    members = members[linked["group_size"].to_numpy() > 1] if len(free) else members
    groups = _write_groups(conn, members[["id", "grp", "score"]])
    return LinkRun(len(free), groups, len(members))


def _linkable(conn: Connection, start: datetime, end: datetime) -> bool:
    """Whether the range holds records of two kinds of agency, or a group to
    recompute. A national police back-load has neither, and reading its million
    records into linkage would find nothing to link."""
    kinds, grouped = conn.execute(
        text(
            "SELECT count(DISTINCT a.agency_type), bool_or(i.event_group_id IS NOT NULL) "
            "FROM incidents i JOIN agencies a ON a.id = i.agency_id "
            "WHERE i.occurred_from BETWEEN :start AND :end"
        ),
        {"start": start, "end": end},
    ).one()
    return kinds >= 2 or bool(grouped)


def _read_records(conn: Connection, start: datetime, end: datetime) -> pd.DataFrame:
    """Records in the range plus every member of a group one of them is in.
    `frozen`: in a confirmed group or split off (linkage leaves them alone)."""
    rows = conn.execute(
        text(
            """
            WITH ranged AS (
                SELECT i.id, i.event_group_id FROM incidents i
                WHERE i.occurred_from BETWEEN :start AND :end
            ), scope AS (
                SELECT id FROM ranged
                UNION
                SELECT i.id FROM incidents i
                JOIN ranged r ON r.event_group_id = i.event_group_id
            )
            SELECT i.id, i.agency_id AS agency, a.agency_type, i.category, i.occurred_from,
                   i.occurred_to, i.time_known, ST_Y(i.geom) AS latitude,
                   ST_X(i.geom) AS longitude, i.ward_code, i.victim_sex, i.victim_age,
                   coalesce(g.confirmed OR g.split, false) AS frozen
            FROM scope s JOIN incidents i ON i.id = s.id
            JOIN agencies a ON a.id = i.agency_id
            LEFT JOIN event_groups g ON g.id = i.event_group_id
            ORDER BY i.id
            """
        ),
        {"start": start, "end": end},
    )
    return pd.DataFrame(rows.mappings().all(), columns=list(rows.keys()))


def _dissolve(conn: Connection, ids: pd.Series) -> None:
    """Detach the records from their groups (confirmed and split ones stay) and
    drop the groups left with no record."""
    if ids.empty:
        return
    gone = conn.execute(
        text(
            "UPDATE incidents i SET event_group_id = NULL FROM event_groups g "
            "WHERE g.id = i.event_group_id AND NOT g.confirmed AND NOT g.split "
            "AND i.id = ANY(:ids) RETURNING g.id"
        ),
        {"ids": [int(x) for x in ids]},
    ).scalars()
    emptied = sorted(set(gone))
    if emptied:
        conn.execute(
            text(
                "DELETE FROM event_groups g WHERE g.id = ANY(:g) AND NOT EXISTS "
                "(SELECT 1 FROM incidents i WHERE i.event_group_id = g.id)"
            ),
            {"g": emptied},
        )


def _write_groups(conn: Connection, members: pd.DataFrame) -> int:
    """members: incident id, grp (label), score (the group's weakest link)."""
    if members.empty:
        return 0
    conn.execute(
        text("CREATE TEMP TABLE link_members (id bigint, grp bigint, score float8) ON COMMIT DROP")
    )
    buffer = io.StringIO()
    members.to_csv(buffer, index=False, header=False)
    driver = conn.connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy("COPY link_members (id, grp, score) FROM STDIN (FORMAT csv)") as copy,
    ):
        copy.write(buffer.getvalue())
    count = conn.execute(
        text(
            "CREATE TEMP TABLE link_groups ON COMMIT DROP AS SELECT grp, "
            "nextval(pg_get_serial_sequence('event_groups', 'id')) AS id, min(score) AS score "
            "FROM link_members GROUP BY grp"
        )
    ).rowcount
    conn.execute(text("INSERT INTO event_groups (id, score) SELECT id, score FROM link_groups"))
    conn.execute(
        text(
            "UPDATE incidents i SET event_group_id = g.id "
            "FROM link_members m JOIN link_groups g USING (grp) WHERE i.id = m.id"
        )
    )
    conn.execute(text("DROP TABLE link_members, link_groups"))
    return int(count)


def relink_all(engine: Engine, params: LinkParams | None = None) -> LinkRun:
    """Re-link every record (`observatory link`), then refresh the aggregates."""
    with engine.begin() as conn:
        span = conn.execute(
            text(
                "SELECT min(occurred_from), max(coalesce(occurred_to, occurred_from)) "
                "FROM incidents WHERE true"
            )
        ).one()
        if span[0] is None:
            return LinkRun(0, 0, 0)
        run = relink_range(conn, span[0], span[1], params)
        aggregates.refresh_aggregates(conn)
        cache.bump_version(conn)
    return run


def confirm_group(engine: Engine, group_id: int) -> None:
    """A reviewer agrees the group is one event: linkage keeps it from now on."""
    with engine.begin() as conn:
        found = conn.execute(
            text("UPDATE event_groups SET confirmed = true WHERE id = :g AND NOT split"),
            {"g": int(group_id)},
        ).rowcount
        if not found:
            raise ObservatoryError(f"Event group {group_id} no longer exists; reload the page.")
        cache.bump_version(conn)


def split_record(engine: Engine, incident_id: int) -> None:
    """A reviewer says this record is not the same event as the rest of its group:
    it gets a group of its own marked `split`, which linkage never joins again. A
    group left with one record is dissolved."""
    with engine.begin() as conn:
        old = conn.execute(
            text("SELECT event_group_id FROM incidents WHERE id = :i"), {"i": int(incident_id)}
        ).scalar_one_or_none()
        if old is None:
            raise ObservatoryError(
                f"Incident {incident_id} is in no linked group; reload the page."
            )
        new = conn.execute(
            text("INSERT INTO event_groups (score, split) VALUES (0, true) RETURNING id")
        ).scalar_one()
        conn.execute(
            text("UPDATE incidents SET event_group_id = :g WHERE id = :i"),
            {"g": new, "i": int(incident_id)},
        )
        left = conn.execute(
            text("SELECT array_agg(id) FROM incidents WHERE event_group_id = :g"), {"g": old}
        ).scalar_one()
        if left is not None and len(left) < 2:
            conn.execute(
                text("UPDATE incidents SET event_group_id = NULL WHERE event_group_id = :g"),
                {"g": old},
            )
        if not left or len(left) < 2:
            conn.execute(text("DELETE FROM event_groups WHERE id = :g"), {"g": old})
        aggregates.refresh_aggregates(conn)
        cache.bump_version(conn)


def _text_key(location_text: object, ward_text: object) -> str:
    return normalise_place(location_text) or normalise_place(ward_text)


def replace_text(engine: Engine, alias_text: str) -> int:
    """Place again every incident without GPS whose text means `alias_text` (its
    location text, or its ward text when it has no location), with the gazetteer
    and aliases as they are now; then re-link their dates and refresh the
    aggregates. Returns the number of incidents re-placed."""
    from geodata.gazetteer.store import agency_areas, load_index

    key = normalise_place(alias_text)
    index = load_index(engine)
    with engine.begin() as conn:
        rows = pd.DataFrame(
            conn.execute(
                text(
                    "SELECT i.id, i.location_text, i.ward_text, a.name AS agency, "
                    "i.occurred_from, coalesce(i.occurred_to, i.occurred_from) AS until "
                    "FROM incidents i JOIN agencies a ON a.id = i.agency_id "
                    "WHERE i.geocode_method <> 'gps' ORDER BY i.id"
                )
            ).mappings().all(),
            columns=["id", "location_text", "ward_text", "agency", "occurred_from", "until"],
        )  # fmt: skip
        pairs = rows[["location_text", "ward_text"]].drop_duplicates()
        hit = {
            (loc, ward)
            for loc, ward in pairs.itertuples(index=False)
            if _text_key(loc, ward) == key
        }
        mine = rows[
            [(a, b) in hit for a, b in zip(rows.location_text, rows.ward_text, strict=True)]
        ]
        if mine.empty:
            return 0
        placed = _placements(index, mine, agency_areas(engine, tuple(set(mine["agency"]))))
        changed = incident_store.replace_positions(conn, placed)
        summaries.refresh(conn, incident_ids=placed["id"].tolist())
        relink_range(conn, mine["occurred_from"].min(), mine["until"].max())
        aggregates.refresh_aggregates(conn)
        cache.bump_version(conn)
    return changed


def _placements(index, rows: pd.DataFrame, areas: dict) -> pd.DataFrame:
    """incident_store.REPLACE_COLUMNS for `rows` resolved against `index`."""
    texts = [
        (loc, ward, areas.get(agency, ()))
        for loc, ward, agency in zip(rows.location_text, rows.ward_text, rows.agency, strict=True)
    ]
    found = index.resolve(texts)
    lat = np.array([np.nan if f.lat is None else f.lat for f in found], dtype=float)
    lon = np.array([np.nan if f.lon is None else f.lon for f in found], dtype=float)
    has_point = np.isfinite(lat) & np.isfinite(lon)
    cells = h3grid.points_to_cell_columns(lat, lon)
    out = pd.DataFrame({"id": rows["id"].to_numpy(), "lat": lat, "lon": lon})
    for res, column in cells.items():
        out[f"h3_{res}"] = pd.arrays.IntegerArray(column, mask=~has_point)
    out["geocode_method"] = [f.method for f in found]
    out["geocode_confidence"] = [None if f.method == "unresolved" else f.confidence for f in found]
    out["place_id"] = pd.array([f.place_id for f in found], dtype="Int64")
    out["ward_code"] = [f.ward_code for f in found]
    return out
