"""`observatory ingest`: agency files in, incidents out, one transaction per file.

read (template columns only) -> normalise (quarantine, warnings) -> place (GPS, else
the location and ward text against the gazetteer, etl.places) -> load (COPY, wards,
upsert) -> link records of one event across agencies -> report.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from etl import headers as template
from etl.normalise import Normalised, normalise
from etl.readers import RawTable, read_table
from etl.report import FileReport, problem
from geodata import h3grid, import_records, incident_store, linkage_store, vocab
from geodata.errors import ObservatoryError

log = logging.getLogger(__name__)

# Files smaller than this load too fast for a progress bar to help.
PROGRESS_MIN_BYTES = 1 << 20
_STAGES = ("reading", "checking rows", "placing", "loading")


def ingest_files(
    paths: Iterable[Path | str],
    agency: str | None = None,
    agency_type: str | None = None,
    progress: bool = False,
    engine: Engine | None = None,
) -> list[dict]:
    """Load each file in its own transaction; one report dict per file.

    A file that cannot be loaded at all (unreadable, a required column missing, an
    unknown agency type) gets `failed: True` and an `error` naming the file, the
    column and the fix; the database is left as it was and the next file still loads.
    """
    if engine is None:
        from geodata.db import get_engine

        engine = get_engine()
    reports = []
    with _progress_bar(progress) as bar:
        for path in paths:
            report = ingest_file(engine, Path(path), agency, agency_type, bar)
            reports.append(report.to_dict())
    return reports


def ingest_file(
    engine: Engine,
    path: Path,
    agency: str | None = None,
    agency_type: str | None = None,
    bar=None,
) -> FileReport:
    started = time.perf_counter()
    report = FileReport(file=path.name)
    with _file_task(bar, path) as step:
        try:
            _ingest(engine, path, agency, agency_type, report, step)
        except ObservatoryError as exc:
            report = _failed(report, str(exc))
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            log.error("%s: the database refused the file: %s", path.name, reason)
            report = _failed(report, f"{path.name}: the database refused the file ({reason}).")
    report.seconds = round(time.perf_counter() - started, 3)
    log.debug("%s", report.summary())
    return report


def _failed(report: FileReport, error: str) -> FileReport:
    """Nothing of the file was stored: keep what explains the failure, zero the counts."""
    return FileReport(
        file=report.file,
        failed=True,
        error=error,
        sha256=report.sha256,
        columns=report.columns,
        dropped_columns=report.dropped_columns,
        ignored_columns=report.ignored_columns,
    )


def _ingest(
    engine: Engine,
    path: Path,
    agency: str | None,
    agency_type: str | None,
    report: FileReport,
    step,
) -> None:
    step("reading")
    given_type = _given_agency_type(path, agency_type)
    raw = read_table(path)
    _describe_columns(raw, report)
    template.require(raw.headers, path.name, {"agency": agency})
    step("checking rows")
    checked = normalise(raw.frame, agency=agency, agency_type=given_type)
    _report_rows(checked, report)
    agencies = _file_agencies(checked.frame, path.name)
    step("placing")
    frame = place(checked.frame, engine)
    step("loading")
    with engine.begin() as conn:
        known = import_records.upsert_agencies(conn, agencies, path.name)
        report.agencies = list(known.values())
        frame["agency_id"] = (
            frame["agency"].str.casefold().map({key: row["id"] for key, row in known.items()})
        )
        single = next(iter(known.values()))["id"] if len(known) == 1 else None
        report.import_id = import_records.start_import(conn, path.name, raw.sha256, single)
        loaded = incident_store.load_incidents(
            conn, frame, report.import_id, before_upsert=linkage_store.linkage_snapshot
        )
        _report_load(loaded, frame, report)
        if not report.balanced:  # a bug, never a clerk's mistake: roll back
            raise RuntimeError(f"{path.name}: row counts do not add up: {report.summary()}")
        # Before the aggregates refresh in finish_import, so counts of events see the links.
        linkage_store.relink_import(conn, report.import_id, before=loaded.before)
        incident_store.finish_import(
            conn, report.import_id, report.to_dict(), weights=loaded.weights
        )


def _given_agency_type(path: Path, agency_type: str | None) -> str | None:
    if agency_type is None:
        return None
    found = vocab.agency_type(agency_type)
    if found is None:
        raise ObservatoryError(
            f"{path.name}: --agency-type {agency_type!r} is not one of "
            f"{', '.join(vocab.AGENCY_TYPES)}."
        )
    return found


def _describe_columns(raw: RawTable, report: FileReport) -> None:
    report.sha256 = raw.sha256
    report.columns = dict(raw.headers.matched)
    report.dropped_columns = list(raw.headers.dropped)
    report.ignored_columns = list(raw.headers.ignored)
    if raw.headers.dropped:
        log.info(
            "%s: not reading columns of personal identifiers: %s",
            report.file,
            ", ".join(raw.headers.dropped),
        )


def _report_rows(checked: Normalised, report: FileReport) -> None:
    report.rows_read = checked.rows_read
    report.set_quarantine(checked.quarantine, checked.quarantined_rows)
    report.set_warnings(checked.warnings)
    report.blank_rows = checked.counts["blank_rows"]
    report.swapped_coordinates = checked.counts["swapped_coordinates"]
    report.unreadable_coordinates = checked.counts["unreadable_coordinates"]
    report.outside_kenya = checked.counts["outside_kenya"]
    report.unreadable_times = checked.counts["unreadable_times"]
    report.category_other_texts = checked.category_other_texts
    report.status_other_texts = checked.status_other_texts


def _file_agencies(frame: pd.DataFrame, file_name: str) -> list[tuple[str, str | None]]:
    """(name as first written, type) per agency in the file; one type per agency."""
    # Per distinct (spelling, type) pair: a national file repeats a few agencies a
    # million times.
    pairs = frame[["agency", "agency_type"]].drop_duplicates()
    agencies = []
    for _, group in pairs.groupby(pairs["agency"].str.casefold(), sort=True):
        types = sorted(set(group["agency_type"].dropna()))
        name = group["agency"].iloc[0]
        if len(types) > 1:
            raise ObservatoryError(
                f"{file_name}: agency {name!r} has more than one agency_type in this file "
                f"({', '.join(types)}); use one."
            )
        agencies.append((name, types[0] if types else None))
    return agencies


def place(frame: pd.DataFrame, engine: Engine | None = None) -> pd.DataFrame:
    """Give each incident a position method, confidence, place and H3 cells.

    Rows with coordinates are `gps`. With an engine, the others are matched on their
    location and ward text (etl.places: the gazetteer, reviewed aliases, ward names,
    preferring the agency's usual wards): a place gives a point, so ward and cells
    follow; a ward name gives `text_ward_code` only, never a made-up point.
    """
    frame = frame.copy()
    frame["place_id"] = pd.array([None] * len(frame), dtype="Int64")
    frame["text_ward_code"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    frame["geocode_method"] = np.where(frame["lat"].notna() & frame["lon"].notna(), "gps",
                                       "unresolved")  # fmt: skip
    frame["geocode_confidence"] = np.where(frame["geocode_method"] == "gps", 1.0, np.nan)
    if engine is not None and (frame["geocode_method"] == "unresolved").any():
        frame = _place_from_text(frame, engine)
    has_position = (frame["lat"].notna() & frame["lon"].notna()).to_numpy()
    cells = h3grid.points_to_cell_columns(
        frame["lat"].to_numpy(dtype=float, na_value=np.nan),
        frame["lon"].to_numpy(dtype=float, na_value=np.nan),
    )
    for res, column in cells.items():
        frame[f"h3_{res}"] = pd.arrays.IntegerArray(column, mask=~has_position)
    return frame


def _place_from_text(frame: pd.DataFrame, engine: Engine) -> pd.DataFrame:
    from etl.places import place_rows
    from geodata.gazetteer.store import agency_areas

    names = tuple(sorted(set(frame["agency"])))
    todo = frame.rename(columns={"lat": "latitude", "lon": "longitude"})
    placed = place_rows(engine, todo, agency_areas(engine, names))
    frame["lat"], frame["lon"] = placed["latitude"], placed["longitude"]
    frame["geocode_method"] = placed["geocode_method"]
    frame["geocode_confidence"] = placed["geocode_confidence"]
    frame["place_id"] = placed["place_id"]
    frame["text_ward_code"] = placed["ward_code"].where(placed["geocode_method"] == "ward_name")
    return frame


def _report_load(loaded: incident_store.LoadResult, frame: pd.DataFrame, report) -> None:
    report.inserted, report.updated = loaded.inserted, loaded.updated
    report.unchanged = loaded.unchanged
    report.no_ward = len(loaded.no_ward_rows) + report.outside_kenya
    report.no_position = int(frame["lat"].isna().sum())  # unresolved or ward only
    if loaded.no_ward_rows and not loaded.wards_loaded:
        report.notes.append("no wards are loaded yet: run `observatory wards load` first")
    elif loaded.no_ward_rows:
        where = frame.set_index("row").loc[loaded.no_ward_rows[:10_000], ["lat", "lon"]]
        extra = [
            problem(row, "latitude", f"{lat:.6f}, {lon:.6f}", "outside every loaded ward")
            for row, lat, lon in where.itertuples()
        ]
        report.set_warnings(report.warnings + extra)
        report.warnings_total += len(loaded.no_ward_rows) - len(extra)


@contextlib.contextmanager
def _progress_bar(enabled: bool) -> Iterator:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    # On stderr, so stdout keeps only the one summary line per file.
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        yield bar


@contextlib.contextmanager
def _file_task(bar, path: Path) -> Iterator:
    """A `step(stage)` callable advancing this file's bar (a no-op for small files)."""
    try:
        large = path.stat().st_size >= PROGRESS_MIN_BYTES
    except OSError:
        large = False
    if bar is None or not large:
        yield lambda stage: log.debug("%s: %s", path.name, stage)
        return
    task = bar.add_task(path.name, total=len(_STAGES))

    def step(stage: str) -> None:
        done = _STAGES.index(stage)
        bar.update(task, completed=done, description=f"{path.name}: {stage}")

    try:
        yield step
    finally:
        bar.update(task, completed=len(_STAGES))
        bar.remove_task(task)
