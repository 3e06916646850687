"""Case status progressions for the demo's police registers: reported -> under
investigation -> in court -> convicted / acquitted, or withdrawn / resolved locally
on the way, with dates, in proportions like those the seed's programme reported
(about 60% investigated, a quarter of those taken to court, a third of court cases
convicted). Each quarterly file shows its cases' status at the quarter's end and
later re-issues repeat the cases whose status changed, so the justice chain has a
history to follow once the files are loaded in order (`ingest_dated`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

# Of the cases a police station records: the share investigated, of those the share
# taken to court, and of court cases the shares convicted and acquitted (the rest are
# still in court or withdrawn). Cases that go no further are withdrawn or resolved
# locally now and then. Mean days before each step.
INVESTIGATED, TO_COURT, CONVICTED, ACQUITTED = 0.62, 0.42, 0.38, 0.22
WITHDRAWN, RESOLVED_LOCALLY = 0.25, 0.12
MEAN_DAYS = {"under_investigation": 6.0, "in_court": 70.0, "decided": 160.0, "dropped": 45.0}


def status_progressions(rng: np.random.Generator, reported: pd.Series) -> pd.DataFrame:
    """The statuses each case (by index of `reported`, its report time) goes through
    and the day each began: columns case, status, on (sorted by case, then day)."""
    n = len(reported)
    day0 = pd.to_datetime(reported).dt.normalize().to_numpy()

    def later(start, key):
        return start + np.ceil(rng.exponential(MEAN_DAYS[key], n)).astype("timedelta64[D]")

    investigated = rng.random(n) < INVESTIGATED
    court = investigated & (rng.random(n) < TO_COURT)
    outcome = rng.random(n)
    convicted = court & (outcome < CONVICTED)
    acquitted = court & (outcome >= CONVICTED) & (outcome < CONVICTED + ACQUITTED)
    dropped = rng.random(n)
    withdrawn = ~court & investigated & (dropped < WITHDRAWN)
    resolved = ~investigated & (dropped < RESOLVED_LOCALLY)
    t_inv = later(day0, "under_investigation")
    t_court = later(t_inv, "in_court")
    t_end = later(t_court, "decided")
    t_drop = later(t_inv, "dropped")
    steps = [
        (np.ones(n, bool), "reported", day0),
        (investigated, "under_investigation", t_inv),
        (court, "in_court", t_court),
        (convicted, "convicted", t_end),
        (acquitted, "acquitted", t_end),
        (withdrawn, "withdrawn", t_drop),
        (resolved, "resolved_locally", t_drop),
    ]
    index = np.asarray(reported.index)
    frames = [pd.DataFrame({"case": index[m], "status": s, "on": t[m]}) for m, s, t in steps]
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["case", "on"], kind="stable").reset_index(drop=True)


def status_on(progressions: pd.DataFrame, day: date) -> pd.Series:
    """Each case's status as of the end of `day` (cases not yet reported are absent)."""
    seen = progressions[progressions["on"] <= pd.Timestamp(day)]
    return seen.groupby("case")["status"].last()


# The police registers' status column and the words their clerks write.
POLICE_STATUS_HEADER = {"police_a": "Action Taken", "police_b": "Case Status", "police_c": "Status"}
STATUS_WORDS = {
    "reported": "OB entry",
    "under_investigation": "PUI",
    "in_court": "PBC",
    "convicted": "Convicted",
    "acquitted": "Acquitted",
    "withdrawn": "Withdrawn",
    "resolved_locally": "Settled",
}


@dataclass(frozen=True)
class DatedFile:
    """A police file and the day it describes (its quarter's end)."""

    path: Path
    agency: object  # etl.demo.agencies.Agency
    as_of: date
    update: bool  # a later re-issue with changed statuses


def _quarter_end(start: date, index: int, span: int) -> date:
    year, month = divmod(start.month - 1 + (index + 1) * span, 12)
    return date(start.year + year, month + 1, 1) - timedelta(days=1)


def _read_register(path: Path, dialect) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode(dialect.encoding)
    rows = list(csv.reader(io.StringIO(text), delimiter=dialect.separator))
    return rows[0], rows[1:]


def _register_bytes(header: list[str], rows: list[list[str]], dialect) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=dialect.separator, lineterminator="\r\n").writerows(
        [header, *rows]
    )
    return buffer.getvalue().encode(dialect.encoding)


def apply_status_progressions(rng: np.random.Generator, build, start: date) -> list[DatedFile]:
    """Give the police files' cases statuses that progress over the year: each
    quarterly file shows its cases' status at the quarter's end, and for every later
    quarter a re-issue (`..._status_YYYY-MM-DD.csv`, same layout) repeats the cases
    whose status changed, as registers re-sent monthly do. Returns every police
    file with the day it describes, oldest first."""
    from etl.demo.dialects import DIALECTS

    occurred = build.events.set_index("event_id")["occurred_at"]
    out: list[DatedFile] = []
    for group in build.files:
        dialect = DIALECTS[group.agency.dialect]
        column = POLICE_STATUS_HEADER.get(dialect.name)
        if column is None:
            continue
        span = 12 // dialect.files_per_year
        for k, path in enumerate(group.paths):
            header, rows = _read_register(path, dialect)
            recs = [r for r in group.records if r["file"].endswith("/" + path.name)]
            lines = pd.Series([occurred[r["event_id"]] for r in recs], [r["row"] for r in recs])
            progress = status_progressions(rng, lines)
            ends = [_quarter_end(start, j, span) for j in range(k, dialect.files_per_year)]
            status = status_on(progress, ends[0])
            at = header.index(column)
            for line, value in status.items():
                rows[line - 2][at] = STATUS_WORDS[value]
            path.write_bytes(_register_bytes(header, rows, dialect))
            out.append(DatedFile(path, group.agency, ends[0], False))
            usable = {r["row"] for r in recs if not r["quarantine"]}
            for end in ends[1:]:
                later = status_on(progress, end)
                changed = [n for n, v in later.items() if n in usable and status.get(n) != v]
                if changed:
                    update = [
                        rows[n - 2][:at] + [STATUS_WORDS[later[n]]] + rows[n - 2][at + 1 :]
                        for n in changed
                    ]
                    target = path.with_name(f"{path.stem}_status_{end.isoformat()}.csv")
                    target.write_bytes(_register_bytes(header, update, dialect))
                    out.append(DatedFile(target, group.agency, end, True))
                status = later
    return sorted(out, key=lambda f: (f.as_of, f.update, f.path.name))


def ingest_dated(engine, files: list[DatedFile]) -> list[dict]:
    """Ingest files in order, each dated as of its day in the status history (the
    session setting `observatory.observed_on` read by the history triggers)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from etl.ingest import ingest_files

    url = engine.url.render_as_string(hide_password=False)
    reports: list[dict] = []
    for dated_file in files:
        options = f"-c observatory.observed_on={dated_file.as_of.isoformat()}"
        dated = create_engine(url, poolclass=NullPool, connect_args={"options": options})
        try:
            reports += ingest_files(
                [dated_file.path],
                agency=dated_file.agency.name,
                agency_type=dated_file.agency.agency_type,
                engine=dated,
            )
        finally:
            dated.dispose()
    return reports


def load_order(build, start: date, police: list[DatedFile]) -> list[DatedFile]:
    """Every agency file in the order the demo loads it: each agency's registers as
    written (the same order as without status progressions, so placement from text,
    which learns an agency's usual wards as its files load, is unchanged), each dated
    as of the end of the months it covers; then the status re-issues, oldest first,
    so every case's statuses arrive in the order they happened."""
    from etl.demo.dialects import DIALECTS

    dated = {f.path: f for f in police if not f.update}
    out: list[DatedFile] = []
    for group in build.files:
        span = 12 // DIALECTS[group.agency.dialect].files_per_year
        for k, path in enumerate(group.paths):
            as_of = dated[path].as_of if path in dated else _quarter_end(start, k, span)
            out.append(DatedFile(path, group.agency, as_of, False))
    return out + [f for f in police if f.update]


def model_truth(files: list[DatedFile]) -> dict:
    """What the status progressions planted, for truth.json."""
    return {
        "shares": {
            "investigated": INVESTIGATED,
            "taken_to_court_of_investigated": TO_COURT,
            "convicted_of_court": CONVICTED,
            "acquitted_of_court": ACQUITTED,
            "withdrawn_of_investigated_not_in_court": WITHDRAWN,
            "resolved_locally_of_not_investigated": RESOLVED_LOCALLY,
        },
        "mean_days": MEAN_DAYS,
        "files": [
            {
                "file": f"{f.path.parent.name}/{f.path.name}",
                "as_of": f.as_of.isoformat(),
                "status_update": f.update,
            }
            for f in files
        ],  # fmt: skip
    }
