"""The agencies a file names and the imports that record each load: found or
created at the start of a load, on the caller's connection and transaction."""

from __future__ import annotations

from sqlalchemy import Connection, text

from geodata.errors import ObservatoryError
from geodata.vocab import AGENCY_TYPES


def upsert_agencies(
    conn: Connection, agencies: list[tuple[str, str | None]], file_name: str
) -> dict[str, dict]:
    """Find or create each (name, type); names match ignoring case.

    A known agency keeps its id; a type given for it replaces the stored one. A new
    agency without a type is the clerk's to fix. Returns casefolded name -> row.
    """
    found: dict[str, dict] = {}
    for name, agency_type in agencies:
        row = conn.execute(
            text("SELECT id, name, agency_type FROM agencies WHERE lower(name) = lower(:n)"),
            {"n": name},
        ).first()
        if row is None and agency_type is None:
            raise ObservatoryError(
                f"{file_name}: agency {name!r} is new and has no type; add an agency_type "
                f"column or pass --agency-type (one of {', '.join(AGENCY_TYPES)})."
            )
        if row is None:
            row = conn.execute(
                text(
                    "INSERT INTO agencies (name, agency_type) VALUES (:n, :t) "
                    "RETURNING id, name, agency_type"
                ),
                {"n": name, "t": agency_type},
            ).one()
        elif agency_type and agency_type != row.agency_type:
            conn.execute(
                text("UPDATE agencies SET agency_type = :t WHERE id = :i"),
                {"t": agency_type, "i": row.id},
            )
            row = row._replace(agency_type=agency_type)
        found[name.casefold()] = {"id": row.id, "name": row.name, "agency_type": row.agency_type}
    return found


def start_import(conn: Connection, file_name: str, sha256: str, agency_id: int | None) -> int:
    return conn.execute(
        text(
            "INSERT INTO imports (file_name, file_sha256, agency_id, report) "
            "VALUES (:f, :s, :a, '{}'::jsonb) RETURNING id"
        ),
        {"f": file_name, "s": sha256, "a": agency_id},
    ).scalar_one()
