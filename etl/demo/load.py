"""`observatory demo`: build the seeded demo's files, then load them like real data
(wards through the boundary loader, every agency file through `ingest`).

The police registers carry case statuses that move along the justice chain over the
year (etl.demo.justice): each quarterly file shows its cases as at the quarter's end,
and re-issues repeat the cases that moved on later. Files load in that order, each
dated as of its day. Running the demo again skips the files already imported whole:
loading an old quarter's file again would move its cases' statuses back.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from etl.demo import actions as demo_actions
from etl.demo import justice as demo_justice
from etl.demo import surveys as demo_surveys
from etl.demo import truth as truth_files
from etl.demo.agencies import agency_records, build_agencies
from etl.demo.geography import Geography, generated_town, real_wards
from etl.demo.model import choose_hot_spots, model_truth, period_for, true_events
from etl.demo.writers import AgencyFiles, write_agency
from geodata import settings
from geodata.errors import ObservatoryError

AGENCY_FOLDER = "agencies"
README = "README.txt"


@dataclass
class DemoBuild:
    folder: Path
    geography: Geography
    events: pd.DataFrame
    files: list[AgencyFiles] = field(default_factory=list)
    survey: demo_surveys.SurveyDemo | None = None
    # Every agency file in load order with the day it describes, status re-issues last.
    dated: list[demo_justice.DatedFile] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(len(f.records) for f in self.files)

    @property
    def planted_bad_rows(self) -> list[dict]:
        return [r for f in self.files for r in f.records if r["quarantine"]]

    @property
    def paths(self) -> list[Path]:
        return [p for f in self.files for p in f.paths]


def default_folder() -> Path:
    return settings.observatory_home() / "demo"


def _prepare_folder(folder: Path) -> None:
    """Empty a previous demo's output; refuse to touch a folder that holds other files."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / truth_files.TRUTH_FILE).exists():
            raise ObservatoryError(
                f"{folder} is not empty and holds no earlier demo (no truth.json); "
                "choose an empty or new folder with --out."
            )
        for sub in (AGENCY_FOLDER, "geography"):
            shutil.rmtree(folder / sub, ignore_errors=True)
        (folder / truth_files.TRUTH_FILE).unlink()
    (folder / AGENCY_FOLDER).mkdir(parents=True, exist_ok=True)
    (folder / "geography").mkdir(exist_ok=True)


def _readme(geo: Geography, seed: int, start: date, end: date) -> bytes:
    return (
        f"{geo.label}\n\n"
        "Every incident, name and phone number in these files is generated: this is a demo,\n"
        f"not real data. Seed {seed}, incidents from {start} to {end}.\n\n"
        f"{AGENCY_FOLDER}/   agency registers in their own layouts; load one agency's files with\n"
        "            `observatory ingest FILES --agency NAME --agency-type TYPE`\n"
        "            (names and types: `agencies` in truth.json)\n"
        "geography/  places.csv (gazetteer), roads.geojson, wards.geojson (generated town)\n"
        "truth.json  what the model planted: hot spots, profiles, rates, true events and,\n"
        "            for every written row, its true event, position, ward and place\n"
        f"\nWard boundaries: {geo.attribution}\n"
    ).encode()


def build_demo(
    seed: int = 20241,
    out_dir: Path | str | None = None,
    wards_path: Path | str | None = None,
    county: str | None = None,
    reference_date: date | None = None,
) -> DemoBuild:
    """Write the demo's files (no database): same arguments, byte-identical files."""
    folder = Path(out_dir) if out_dir else default_folder()
    reference = reference_date or date.today()
    start, end = period_for(reference)
    geo_rng, model_rng, agency_rng, writer_rng = np.random.default_rng(seed).spawn(4)
    if wards_path:
        geo = real_wards(geo_rng, Path(wards_path), county)
    elif county:
        raise ObservatoryError("--county needs --wards PATH (the generated town has no counties).")
    else:
        geo = generated_town(geo_rng)
    spots = choose_hot_spots(model_rng, geo)
    events = true_events(model_rng, geo, spots, start, end)
    events, actions, action_truth = demo_actions.plant_actions(
        events, geo, np.random.default_rng([seed, 5]), spots, start, end, reference
    )
    _prepare_folder(folder)
    build = DemoBuild(folder, geo, events)
    names = dict(zip(geo.codes, geo.names, strict=True))
    agencies = build_agencies(geo)
    for agency in agencies:
        records = agency_records(agency_rng, geo, agency, events)
        build.files.append(
            write_agency(writer_rng, agency, records, names, folder / AGENCY_FOLDER, start)
        )
    police = demo_justice.apply_status_progressions(np.random.default_rng([seed, 10]), build, start)
    build.dated = demo_justice.load_order(build, start, police)
    _write_geography(folder, geo)
    demo_actions.write_actions(folder, actions)
    build.survey = demo_surveys.build_survey(np.random.default_rng([seed, 9]), build, start, end)
    (folder / README).write_bytes(_readme(geo, seed, start, end))
    truth = _truth(seed, reference, start, end, geo, spots, events, agencies, build)
    truth["actions"] = action_truth
    truth["survey"] = build.survey.truth
    truth["justice"] = demo_justice.model_truth(build.dated)
    (folder / truth_files.TRUTH_FILE).write_bytes(truth_files.dumps(truth))
    return build


def _write_geography(folder: Path, geo: Geography) -> None:
    (folder / truth_files.PLACES_FILE).write_bytes(truth_files.places_csv(geo))
    (folder / truth_files.ROADS_FILE).write_bytes(truth_files.roads_geojson(geo))
    if geo.generated:
        (folder / truth_files.WARDS_FILE).write_bytes(truth_files.wards_geojson(geo))


def _truth(seed, reference, start, end, geo, spots, events, agencies, build) -> dict:
    files = {f.agency.name: [f"{AGENCY_FOLDER}/{p.name}" for p in f.paths] for f in build.files}
    records = [r for f in build.files for r in f.records]
    linked = pd.Series([r["event_id"] for r in records]).value_counts()
    return {
        "about": "Planted truths of the seeded demo. Never loaded into the database.",
        "records_note": "One record per written row. `category` is what the synonym table in "
        "force when the demo was built makes of `category_text` (other when unknown); "
        "`quarantine` names the planted fault of a row ingest must quarantine.",
        "seed": seed,
        "reference_date": reference.isoformat(),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "geography": {
            "label": geo.label,
            "attribution": geo.attribution,
            "generated": geo.generated,
            "projection": {
                "kind": "local equirectangular",
                "lat0": geo.projection.lat0,
                "lon0": geo.projection.lon0,
            },  # fmt: skip
            "wards": [
                {"code": c, "name": n, "weight": float(w)}
                for c, n, w in zip(geo.codes, geo.names, geo.weights, strict=True)
            ],
            "places": truth_files.PLACES_FILE,
            "roads": truth_files.ROADS_FILE,
            "ward_boundaries": truth_files.WARDS_FILE if geo.generated else None,
        },
        "model": model_truth(spots, geo),
        "agencies": [{**a.as_dict(), "files": files[a.name]} for a in agencies],
        "totals": {
            "true_events": len(events),
            "rows_written": len(records),
            "rows_to_quarantine": len(build.planted_bad_rows),
            "events_recorded_by_several_agencies": int((linked > 1).sum()),
            "events_never_recorded": int(len(events) - len(linked)),
        },
        "events_by_category": {
            str(k): int(v) for k, v in events["category"].value_counts().sort_index().items()
        },
        "quarantine": [
            {
                "file": r["file"],
                "row": r["row"],
                "record_ref": r["record_ref"],
                "reason": r["quarantine"],
            }
            for r in build.planted_bad_rows
        ],  # fmt: skip
        "events_by_category_ward_month": truth_files.event_counts(events),
        "events": truth_files.event_rows(events),
        "records": records,
    }


def _ingest(engine, dated: list[demo_justice.DatedFile]) -> tuple[list, list, list[str]]:
    """Ingest every file not imported whole before, each dated as of its day: (reports
    of the registers, reports of the status re-issues, names of the files skipped)."""
    from geodata.queries.sources import imported_file_hashes

    done = imported_file_hashes(engine)
    reports: list[dict] = []
    updates: list[dict] = []
    skipped: list[str] = []
    for dated_file in dated:
        if hashlib.sha256(dated_file.path.read_bytes()).hexdigest() in done:
            skipped.append(dated_file.path.name)
            continue
        loaded = demo_justice.ingest_dated(engine, [dated_file])
        (updates if dated_file.update else reports).extend(loaded)
    return reports, updates, skipped


@dataclass
class DemoRun:
    build: DemoBuild
    ward_summary: str
    reports: list[dict]  # the agency registers loaded by this run
    seconds: float
    notes: list[str] = field(default_factory=list)
    status_reports: list[dict] = field(default_factory=list)  # status re-issues loaded
    already_imported: list[str] = field(default_factory=list)  # files skipped

    def status_updates(self) -> int:
        return sum(int(r.get("updated") or 0) for r in self.status_reports)

    def total(self, key: str) -> int:
        return sum(int(r.get(key) or 0) for r in self.reports)

    def summary(self) -> str:
        geo, build = self.build.geography, self.build
        loaded = self.reports + self.status_reports
        failed = [f"{r['file']}: {r.get('error')}" for r in loaded if r.get("failed")]
        lines = [
            f"{geo.label}: {len(geo.codes)} wards, {len(geo.places)} places, "
            f"{len(geo.roads)} roads",
            f"wards: {self.ward_summary}",
            f"{len(build.events):,} true events; {build.rows:,} rows in {len(build.paths)} "
            f"files from {len(build.files)} agencies under {build.folder}",
            f"ingest: {self.total('rows_read'):,} rows read, {self.total('inserted'):,} "
            f"inserted, {self.total('updated'):,} updated, {self.total('unchanged'):,} "
            f"unchanged, {self.total('quarantined'):,} quarantined "
            f"({len(build.planted_bad_rows)} bad rows planted)",
            f"justice chain: {len(self.status_reports)} status re-issues loaded, "
            f"{self.status_updates():,} cases moved on",
            *(
                [
                    f"already imported: {len(self.already_imported)} files skipped "
                    "(loaded before and unchanged since)"
                ]
                if self.already_imported
                else []
            ),
            *(f"FAILED {line}" for line in failed),
            *self.notes,
            f"truth: {build.folder / truth_files.TRUTH_FILE}",
            f"done in {self.seconds:.1f} s",
        ]
        return "\n".join(lines)


def run_demo(
    seed: int = 20241,
    out_dir: Path | str | None = None,
    wards_path: Path | str | None = None,
    county: str | None = None,
    reference_date: date | None = None,
    engine=None,
) -> DemoRun:
    """Build the demo's files, then load the wards and every agency file."""
    from geodata.boundaries import load_ward_frame
    from geodata.db import get_engine
    from geodata.gazetteer.store import load_gazetteer

    began = time.perf_counter()
    build = build_demo(seed, out_dir, wards_path, county, reference_date)
    engine = engine or get_engine()
    geo = build.geography
    wards = load_ward_frame(engine, geo.wards, attribution=geo.attribution)
    # Before the agency files: rows without GPS are placed from their text on ingest.
    places = load_gazetteer(engine, build.folder / truth_files.PLACES_FILE, source="demo")
    reports, updates, skipped = _ingest(engine, build.dated)
    if reports or updates:
        # Each import links only its own padded dates, against whatever the files loaded
        # before it left: the groups would depend on the load order (an early quarter
        # links before the other agencies' records exist). One link over every record
        # once all are in gives the groups the order cannot change.
        from geodata.linkage_store import relink_all

        relink_all(engine)
    notes = demo_surveys.load_survey_demo(engine, build.survey)
    actions_file = build.folder / demo_actions.ACTIONS_FILE
    if actions_file.exists():
        from geodata.actions import load_actions

        notes.append(f"actions: {load_actions(engine, actions_file).summary()}")
    notes = [f"gazetteer: {places.summary()}", *notes]
    seconds = time.perf_counter() - began
    return DemoRun(build, wards.summary(), reports, seconds, notes, updates, skipped)


def load_demo(
    seed: int = 20241,
    out_dir: Path | str | None = None,
    wards_path: Path | str | None = None,
    county: str | None = None,
    reference_date: date | None = None,
    engine=None,
) -> str:
    """Build and load the demo (see `run_demo`); the summary to print."""
    return run_demo(seed, out_dir, wards_path, county, reference_date, engine).summary()
