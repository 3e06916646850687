"""Stored incidents out as a CSV file a spreadsheet or GIS opens directly."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Engine

from geodata.errors import ObservatoryError
from geodata.queries.incidents import incidents_for_export

log = logging.getLogger(__name__)


def export_incidents(engine: Engine, out_path: Path | str) -> int:
    """Write every stored incident to `out_path` (CSV, UTF-8); returns the row count.

    The file appears complete or not at all: it is written beside the target and
    renamed, so a reader never sees half an export.
    """
    out_path = Path(out_path)
    if out_path.is_dir():
        raise ObservatoryError(
            f"{out_path} is a directory: give a file name such as incidents.csv."
        )
    if not out_path.parent.is_dir():
        raise ObservatoryError(
            f"{out_path.parent} does not exist: create it or choose another --out."
        )
    partial = out_path.with_name(f".{out_path.name}.partial")
    try:
        with partial.open("wb") as handle:
            count = incidents_for_export(engine, handle)
        os.replace(partial, out_path)
    except OSError as exc:
        raise ObservatoryError(f"cannot write {out_path}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    log.debug("exported %d incidents to %s", count, out_path)
    return count
