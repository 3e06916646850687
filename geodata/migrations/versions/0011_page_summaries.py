"""Small summaries that pages open with (issue #8), kept in step by triggers:

- `ward_shapes`: the ward outlines and shared boundary lines as GeoJSON text, with
  their bounding box and feature count (a map can pass the text on unparsed).
  Merging 1,450 wards' boundaries took 1.3 s on every first map after a load; wards
  change only when boundaries are loaded, so a statement trigger on `wards` rebuilds
  them then.
- `agency_ward_counts`: incidents per agency and ward with the first and last day.
  The patrol planner's station areas and the about page counted every incident
  (0.3 to 0.7 s at a million); statement triggers on `incidents` apply each
  statement's rows as a difference, so a load pays for its own rows only.
- `ix_incidents_needs_review`: the place review queue reads only rows not placed by
  GPS; at a million GPS rows it scanned every row to find none.

The tables are backfilled here for databases upgraded in place.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The GeoJSON pages draw (geodata.queries.wards asks for other tolerances live).
# Both carry a "bbox" member, so a map fits its view without walking the rings.
_SHAPE_FUNCTIONS = """
CREATE FUNCTION ward_lines_json(tolerance float8, decimals int) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH merged AS (
        SELECT ST_Simplify(ST_LineMerge(ST_Union(ST_Boundary(geom))), tolerance) AS g
        FROM wards
    )
    SELECT CASE WHEN g IS NULL OR ST_IsEmpty(g)
        THEN json_build_object('type', 'FeatureCollection', 'features', '[]'::json)
        ELSE json_build_object(
            'type', 'FeatureCollection',
            'bbox', json_build_array(
                round(ST_XMin(g)::numeric, decimals), round(ST_YMin(g)::numeric, decimals),
                round(ST_XMax(g)::numeric, decimals), round(ST_YMax(g)::numeric, decimals)),
            'features', json_build_array(json_build_object(
                'type', 'Feature', 'properties', json_build_object(),
                'geometry', ST_AsGeoJSON(g, decimals)::json)))
        END
    FROM merged
$$;

CREATE FUNCTION ward_outlines_json(tolerance float8, decimals int) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH simple AS (
        SELECT code, name, county,
               ST_Multi(ST_SimplifyPreserveTopology(geom, tolerance)) AS g
        FROM wards
    ), extent AS (SELECT ST_Extent(g) AS b FROM simple)
    SELECT CASE WHEN b IS NULL
        THEN json_build_object('type', 'FeatureCollection', 'features', '[]'::json)
        ELSE json_build_object(
            'type', 'FeatureCollection',
            'bbox', json_build_array(
                round(ST_XMin(b)::numeric, decimals), round(ST_YMin(b)::numeric, decimals),
                round(ST_XMax(b)::numeric, decimals), round(ST_YMax(b)::numeric, decimals)),
            'features', (SELECT json_agg(json_build_object(
                'type', 'Feature', 'id', code,
                'properties', json_build_object('name', name, 'county', county),
                'geometry', ST_AsGeoJSON(g, decimals)::json) ORDER BY code) FROM simple))
        END
    FROM extent
$$;

CREATE FUNCTION refresh_ward_shapes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ward_shapes;
    INSERT INTO ward_shapes
        (kind, tolerance, decimals, geojson, features, west, south, east, north)
    SELECT kind, tolerance, decimals, j::text, json_array_length(j->'features'),
           (j->'bbox'->>0)::float8, (j->'bbox'->>1)::float8,
           (j->'bbox'->>2)::float8, (j->'bbox'->>3)::float8
    FROM (VALUES ('lines', 0.001::float8, 4, ward_lines_json(0.001, 4)),
                 ('outlines', 0.0005::float8, 5, ward_outlines_json(0.0005, 5)))
         AS s(kind, tolerance, decimals, j);
    RETURN NULL;
END
$$;
"""

# One statement per boundary load: rebuilding both shapes then is cheap beside it.
_SHAPE_TRIGGER = (
    "CREATE TRIGGER wards_refresh_shapes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
    "ON wards FOR EACH STATEMENT EXECUTE FUNCTION refresh_ward_shapes()"
)

_COUNTS_INSERTED = """
CREATE FUNCTION agency_ward_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agency_ward_counts AS c (agency_id, ward_code, n, first_day, last_day)
    SELECT agency_id, ward_code, count(*), min(occurred_from)::date, max(occurred_from)::date
    FROM new_rows GROUP BY agency_id, ward_code
    ON CONFLICT (agency_id, ward_code) DO UPDATE SET
        n = c.n + EXCLUDED.n,
        first_day = least(c.first_day, EXCLUDED.first_day),
        last_day = greatest(c.last_day, EXCLUDED.last_day);
    RETURN NULL;
END
$$
"""

# Updates and deletes: the old rows leave their groups and the new rows join theirs.
# A group whose rows left and came back alike (a linkage update, an unchanged
# upsert) is skipped. A group that may have lost its first or last day gets it
# recomputed from its own rows (the ward index), marked NULL meanwhile. Ward codes
# are joined through coalesce(ward_code, '') so the join can hash.
_COUNTS_CHANGED = """
CREATE FUNCTION agency_ward_counts_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    g record;
    lo date;
    hi date;
BEGIN
    WITH parts AS (
        SELECT agency_id, ward_code, -count(*) AS dn, min(occurred_from)::date AS olo,
               max(occurred_from)::date AS ohi, NULL::date AS nlo, NULL::date AS nhi
        FROM old_rows GROUP BY agency_id, ward_code
        {new_part}
    ), changed AS (
        SELECT agency_id, ward_code, sum(dn) AS dn, min(olo) AS olo, max(ohi) AS ohi,
               min(nlo) AS nlo, max(nhi) AS nhi
        FROM parts GROUP BY agency_id, ward_code
    ), moved AS (
        SELECT * FROM changed
        WHERE NOT (dn = 0 AND olo IS NOT DISTINCT FROM nlo AND ohi IS NOT DISTINCT FROM nhi)
    ), updated AS (
        UPDATE agency_ward_counts c SET
            n = c.n + m.dn,
            first_day = CASE WHEN m.olo <= c.first_day AND (m.nlo IS NULL OR m.nlo > m.olo)
                THEN NULL ELSE least(c.first_day, m.nlo) END,
            last_day = CASE WHEN m.ohi >= c.last_day AND (m.nhi IS NULL OR m.nhi < m.ohi)
                THEN NULL ELSE greatest(c.last_day, m.nhi) END
        FROM moved m
        WHERE c.agency_id = m.agency_id
          AND coalesce(c.ward_code, '') = coalesce(m.ward_code, '')
        RETURNING c.agency_id, c.ward_code
    )
    INSERT INTO agency_ward_counts (agency_id, ward_code, n, first_day, last_day)
    SELECT m.agency_id, m.ward_code, m.dn, m.nlo, m.nhi FROM moved m
    WHERE m.dn > 0 AND NOT EXISTS (
        SELECT 1 FROM updated u WHERE u.agency_id = m.agency_id
          AND coalesce(u.ward_code, '') = coalesce(m.ward_code, ''));

    DELETE FROM agency_ward_counts WHERE n <= 0;
    FOR g IN SELECT agency_id, ward_code FROM agency_ward_counts
             WHERE first_day IS NULL OR last_day IS NULL LOOP
        IF g.ward_code IS NULL THEN
            SELECT min(occurred_from)::date, max(occurred_from)::date INTO lo, hi
            FROM incidents WHERE agency_id = g.agency_id AND ward_code IS NULL;
        ELSE
            SELECT min(occurred_from)::date, max(occurred_from)::date INTO lo, hi
            FROM incidents WHERE agency_id = g.agency_id AND ward_code = g.ward_code;
        END IF;
        UPDATE agency_ward_counts SET first_day = lo, last_day = hi
        WHERE agency_id = g.agency_id AND ward_code IS NOT DISTINCT FROM g.ward_code;
    END LOOP;
    RETURN NULL;
END
$$
"""
_NEW_PART = """UNION ALL
        SELECT agency_id, ward_code, count(*), NULL, NULL, min(occurred_from)::date,
               max(occurred_from)::date
        FROM new_rows GROUP BY agency_id, ward_code"""

_COUNTS_TRUNCATED = """
CREATE FUNCTION agency_ward_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- DELETE, not TRUNCATE: a TRUNCATE naming both tables holds this one open.
    DELETE FROM agency_ward_counts;
    RETURN NULL;
END
$$
"""

_COUNT_TRIGGERS = (
    "CREATE TRIGGER incidents_counts_insert AFTER INSERT ON incidents "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION agency_ward_counts_inserted()",
    "CREATE TRIGGER incidents_counts_update AFTER UPDATE ON incidents "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION agency_ward_counts_updated()",
    "CREATE TRIGGER incidents_counts_delete AFTER DELETE ON incidents "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION agency_ward_counts_deleted()",
    "CREATE TRIGGER incidents_counts_truncate AFTER TRUNCATE ON incidents "
    "FOR EACH STATEMENT EXECUTE FUNCTION agency_ward_counts_truncated()",
)

_COUNTS_BACKFILL = """
INSERT INTO agency_ward_counts (agency_id, ward_code, n, first_day, last_day)
SELECT agency_id, ward_code, count(*), min(occurred_from)::date, max(occurred_from)::date
FROM incidents GROUP BY agency_id, ward_code
"""


def upgrade() -> None:
    op.create_table(
        "ward_shapes",
        sa.Column("kind", sa.String(), primary_key=True),
        sa.Column("tolerance", sa.Float(precision=53), primary_key=True),
        sa.Column("decimals", sa.Integer(), primary_key=True),
        sa.Column("geojson", sa.Text(), nullable=False),
        sa.Column("features", sa.Integer(), nullable=False),
        sa.Column("west", sa.Float(precision=53)),
        sa.Column("south", sa.Float(precision=53)),
        sa.Column("east", sa.Float(precision=53)),
        sa.Column("north", sa.Float(precision=53)),
    )
    op.execute(_SHAPE_FUNCTIONS)
    op.execute(_SHAPE_TRIGGER)
    op.execute("UPDATE wards SET code = code WHERE false")  # fires the trigger: backfill

    op.create_table(
        "agency_ward_counts",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String()),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("first_day", sa.Date()),
        sa.Column("last_day", sa.Date()),
        sa.UniqueConstraint(
            "agency_id",
            "ward_code",
            name="uq_agency_ward_counts",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.execute(_COUNTS_BACKFILL)
    op.execute(_COUNTS_INSERTED)
    op.execute(_COUNTS_CHANGED.format(name="updated", new_part=_NEW_PART))
    op.execute(_COUNTS_CHANGED.format(name="deleted", new_part=""))
    op.execute(_COUNTS_TRUNCATED)
    for statement in _COUNT_TRIGGERS:
        op.execute(statement)
    op.create_index(
        "ix_incidents_needs_review",
        "incidents",
        ["location_text", "ward_text"],
        postgresql_where=sa.text("geocode_method <> 'gps'"),
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_needs_review", table_name="incidents")
    for trigger in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS incidents_counts_{trigger} ON incidents")
    for name in ("inserted", "updated", "deleted", "truncated"):
        op.execute(f"DROP FUNCTION IF EXISTS agency_ward_counts_{name}()")
    op.drop_table("agency_ward_counts")
    op.execute("DROP TRIGGER IF EXISTS wards_refresh_shapes ON wards")
    op.execute("DROP FUNCTION IF EXISTS refresh_ward_shapes()")
    op.execute("DROP FUNCTION IF EXISTS ward_outlines_json(float8, int)")
    op.execute("DROP FUNCTION IF EXISTS ward_lines_json(float8, int)")
    op.drop_table("ward_shapes")
