"""`make bench`: every benchmark figure, one line each.

    python -m bench.run_all [--quick | --full] [--write-md] [--md-only]

Default: 100,000 and 1,000,000 incidents; --quick: 10,000 and 100,000 (a smoke run);
--full adds the ETL at 10,000,000. Uses its own database (a managed cluster under
--home, default /tmp/obs-bench; or --database-url, whose incidents it truncates).
Writes bench/out/results.json; --write-md also rewrites the table in BENCHMARKS.md
(--md-only rewrites it from the last results.json without running anything).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench import database, floors, generate, markdown
from bench.report import Figure, Suite

OUT = Path(__file__).resolve().parent / "out"
RESULTS = OUT / "results.json"
SECTIONS = ("etl", "queries", "callbacks")


def label(rows: int) -> str:
    power = math.log10(rows)
    return f"1e{int(power)}" if power.is_integer() else str(rows)


@dataclass
class Run:
    """What the figures share: the database, the wards and the generated files."""

    args: argparse.Namespace
    suite: Suite
    workdir: Path
    engine: object = None
    wards: generate.Wards | None = None
    frames: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)

    @property
    def repeat(self) -> int:
        return self.args.repeat or 10

    def frame(self, rows: int):
        """The generated incidents of this size (generated once, timed)."""
        if rows not in self.frames:
            started = time.perf_counter()
            self.frames[rows] = generate.incidents(rows, self.wards)
            seconds = time.perf_counter() - started
            self.suite.add(
                Figure(
                    f"generate.incidents.{label(rows)}",
                    {"rows/s": rows / seconds, "seconds": seconds},
                )
            )
        return self.frames[rows]

    def make_files(self, rows: int, text_only: bool = False) -> Path:
        """Write (once per size and kind) the GPS or text-only file of `rows`."""
        key = (rows, text_only)
        if key in self.files:
            return self.files[key]
        table = generate.template_table(self.frame(rows), self.wards, gps=not text_only)
        kind = "text" if text_only else "gps"
        path = generate.write_csv(table, self.workdir / f"incidents-{kind}-{label(rows)}.csv")
        self.files[key] = path
        return path


def etl_section(run: Run, small: int, large: int) -> None:
    from bench import etl

    engine = run.engine
    database.reset_incidents(engine)
    path = run.make_files(small)
    run.suite.run(
        f"etl.gps_csv.{label(small)}",
        lambda: [etl.ingest_figure(engine, path, small, f"etl.gps_csv.{label(small)}")],
    )
    rerun = f"etl.gps_csv_unchanged_rerun.{label(small)}"
    run.suite.run(rerun, lambda: [etl.ingest_figure(engine, path, small, rerun)])
    database.reset_incidents(engine)
    text_path = run.make_files(small, text_only=True)
    run.suite.run(
        f"etl.text_places_csv.{label(small)}",
        lambda: [
            etl.text_places_figure(engine, text_path, small, f"etl.text_places_csv.{label(small)}")
        ],
    )
    big = run.make_files(large)
    floor_seconds = floor_section(run, large, big)
    database.reset_incidents(engine)
    name = f"etl.gps_csv.{label(large)}"
    run.suite.run(name, lambda: [etl.ingest_figure(engine, big, large, name, floor_seconds)])
    rerun = f"etl.gps_csv_unchanged_rerun.{label(large)}"
    run.suite.run(rerun, lambda: [etl.ingest_figure(engine, big, large, rerun)])
    database.vacuum_analyze(engine)


def load_quietly(run: Run, rows: int) -> None:
    """The large file loaded without a figure, for a run of the later sections only."""
    from etl.ingest import ingest_files

    database.reset_incidents(run.engine)
    ingest_files([run.make_files(rows)], engine=run.engine)
    database.vacuum_analyze(run.engine)


def floor_section(run: Run, rows: int, path: Path) -> float | None:
    """Each floor on the same rows; returns H3 + point in polygon + COPY seconds."""
    frame, lab = run.frame(rows), label(rows)
    lat, lon = frame["lat"].to_numpy(), frame["lon"].to_numpy()
    measured: dict[str, Figure] = {}

    def keep(figures: Figure | list[Figure]) -> list[Figure]:
        figures = figures if isinstance(figures, list) else [figures]
        for figure in figures:
            measured[figure.name.split(".")[1]] = figure
        return figures

    run.suite.run(f"floor.h3_cells.{lab}", lambda: keep(floors.h3_cells_per_second(lat, lon, lab)))
    run.suite.run(
        f"floor.copy.{lab}", lambda: keep(floors.copy_rows_per_second(run.engine, path, rows, lab))
    )
    run.suite.run(
        f"floor.pip_postgis.{lab}",
        lambda: keep(floors.postgis_pip_per_second(run.engine, lat, lon, lab)),
    )
    run.suite.run(
        f"floor.pip_geos.{lab}", lambda: keep(floors.geos_pip_per_second(run.wards, lat, lon, lab))
    )
    parts = [measured.get(k) for k in ("h3_cells", "copy")]
    pip = [measured[k] for k in ("pip_postgis", "pip_geos") if k in measured]
    if None in parts or not pip:
        return None
    total = sum(f.values["seconds"] for f in parts) + min(f.values["seconds"] for f in pip)
    run.suite.add(
        Figure(
            f"floor.etl_total.{lab}",
            {"seconds": total, "rows/s": rows / total},
            "h3 + the faster point in polygon + COPY",
        )
    )
    return total


def query_section(run: Run, large: int) -> None:
    from bench import queries

    lab, engine, repeat = label(large), run.engine, run.repeat
    run.suite.run(f"query.hex_counts.{lab}", lambda: queries.hex_map_figures(engine, lab, repeat))
    run.suite.run(f"query.map_page.{lab}", lambda: queries.map_page_figures(engine, lab, repeat))
    for figure, module, name, resolutions in queries.AGGREGATES:
        run.suite.run(
            f"query.{figure}.{lab}",
            lambda f=figure, m=module, n=name, r=resolutions: queries.aggregate_figures(
                engine, f, m, n, r, lab, repeat
            ),
        )
    events = queries.incident_frame(run.frame(large), run.wards.codes)
    run.suite.run(f"stats.{lab}", lambda: queries.stats_figures(events, lab, repeat))


def callback_section(run: Run, large: int) -> None:
    from bench import callbacks

    lab = label(large)
    run.suite.run(
        f"callback.{lab}",
        lambda: callbacks.callback_figures(run.engine, lab, run.repeat),
    )


def full_section(run: Run, rows: int) -> None:
    from bench import etl

    path = run.make_files(rows)
    database.reset_incidents(run.engine)
    name = f"etl.gps_csv.{label(rows)}"
    run.suite.run(name, lambda: [etl.ingest_figure(run.engine, path, rows, name)])


def machine(engine) -> dict:
    import h3

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "database": database.server_description(engine),
        "h3": h3.__version__,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


# Which section a figure belongs to, by the first part of its name.
_SECTION_OF = {
    "generate": "etl",
    "etl": "etl",
    "floor": "etl",
    "query": "queries",
    "stats": "queries",
    "callback": "callbacks",
    "payload": "callbacks",
}


def merged(previous: list[dict], figures: list[Figure], sections: set[str]) -> list[dict]:
    """The last run's figures, those of the sections run again replaced by this run's
    (an --only run)."""
    kept = [f for f in previous if _SECTION_OF.get(f["name"].split(".")[0]) not in sections]
    return kept + [figure.as_dict() for figure in figures]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="10,000 and 100,000 incidents")
    size.add_argument("--full", action="store_true", help="also the ETL at 10,000,000")
    parser.add_argument("--write-md", action="store_true", help="rewrite BENCHMARKS.md's table")
    parser.add_argument("--md-only", action="store_true", help="only rewrite it from results")
    parser.add_argument("--home", type=Path, default=database.DEFAULT_HOME)
    parser.add_argument("--database-url", default=None, help="a server to use (truncated!)")
    parser.add_argument("--repeat", type=int, default=0, help="timed calls per figure")
    parser.add_argument(
        "--only", default="", help=f"comma-separated sections of {', '.join(SECTIONS)}"
    )
    parser.add_argument("--keep-files", action="store_true", help="keep the generated CSVs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.md_only:
        markdown.write(json.loads(RESULTS.read_text()))
        return 0
    small, large = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    started = time.perf_counter()
    load_before = round(os.getloadavg()[0], 2)
    suite = Suite()
    with tempfile.TemporaryDirectory(prefix="obs-bench-files-") as tmp:
        workdir = Path(tmp)
        if args.keep_files:
            workdir = args.home / "files"
            workdir.mkdir(parents=True, exist_ok=True)
        run = Run(args, suite, workdir)
        run.engine = database.bench_engine(args.home, args.database_url)
        run.wards = generate.read_wards()
        sections = set(args.only.split(",")) if args.only else set(SECTIONS)
        if "etl" in sections:
            etl_section(run, small, large)
        elif database.incident_count(run.engine) != large:
            load_quietly(run, large)
        if "queries" in sections:
            query_section(run, large)
        if "callbacks" in sections:
            callback_section(run, large)
        if args.full:
            full_section(run, 10_000_000)
    seconds = time.perf_counter() - started
    results = {
        "command": "make bench" if not argv and len(sys.argv) <= 1 else " ".join(sys.argv),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "machine": {**machine(run.engine), "load_average_1m_before": load_before},
        "figures": [figure.as_dict() for figure in suite.figures],
    }
    if args.only and RESULTS.exists():
        previous = json.loads(RESULTS.read_text())["figures"]
        results["figures"] = merged(previous, suite.figures, set(args.only.split(",")))
    OUT.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, default=str))
    print(f"{'bench.total':<40} seconds={seconds:.0f}  errors={suite.errors}  -> {RESULTS}")
    if args.write_md:
        markdown.write(results)
    return 1 if suite.errors else 0


if __name__ == "__main__":
    sys.exit(main())
