"""Safety audit survey exports (KoboToolbox or ODK, CSV or XLSX) read through a
mapping file that says which question means what (docs/surveys.md).

Only the mapped questions, the submission id and the submission time are read: every
other column (names, phone numbers, GPS of the respondent's home, free notes) is
dropped unread, and those that look like personal identifiers are listed by header
so the report can say so. Columns are found by their XLSForm names with or without
group paths: `grp_police/trust` (Kobo), `grp_police-trust` (ODK Central) or `trust`
when that name is unique. A select_multiple answer is read from its space-separated
column or from Kobo's/ODK's one 0/1 column per option (`question/option`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from etl.headers import is_personal
from etl.readers import cell_text, detect_encoding, sniff_separator
from etl.survey_mapping import Question, SurveyMapping, column_key, read_mapping
from geodata.errors import ObservatoryError
from geodata.vocab import vocab_key

# Submission ids and times as Kobo and ODK (Central, Briefcase) name them.
UUID_COLUMNS = ("_uuid", "meta/instanceid", "instanceid", "key")
TIME_COLUMNS = ("_submission_time", "submissiondate", "end", "today")
_UTC_COLUMNS = {"_submission_time", "submissiondate"}  # server times, in UTC
_TRUE = {"1", "true", "yes", "1.0"}
_FALSE = {"0", "false", "no", "0.0"}
# Seven or more digits (spaces, dashes and a leading + allowed): a phone or ID number.
_DIGIT_RUN = re.compile(r"\+?\d[\d\s-]{5,}\d")
MAX_ERRORS = 5


@dataclass
class SurveyFile:
    file: str
    sha256: str
    frame: pd.DataFrame  # row, submission_uuid, submitted_at, ward_text, weight, answers...
    columns: dict[str, str] = field(default_factory=dict)  # header -> meaning
    dropped_columns: list[str] = field(default_factory=list)  # personal identifiers
    ignored_columns: int = 0


def read_rows(path: Path) -> tuple[str, list[str], list[list[str]]]:
    """(sha256, header, rows of text cells) of a CSV or XLSX file (first sheet)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ObservatoryError(f"{path.name}: cannot be read ({exc.strerror}).") from None
    sha = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"} or data.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(path)
    elif suffix in {".csv", ".txt"}:
        rows = _csv_rows(path, data)
    else:
        raise ObservatoryError(f"{path.name}: not a CSV or XLSX export; export as CSV or XLSX.")
    if not rows or not any(rows[0]):
        raise ObservatoryError(f"{path.name}: is empty; the first row must be the header.")
    return sha, [h.strip() for h in rows[0]], rows[1:]


def _csv_rows(path: Path, data: bytes) -> list[list[str]]:
    try:
        text = data.decode(detect_encoding(data)).lstrip("\ufeff")
    except (ObservatoryError, UnicodeDecodeError):
        raise ObservatoryError(
            f"{path.name}: the text encoding is not readable; export again as CSV (UTF-8)."
        ) from None
    first = text.splitlines()[0] if text.strip() else ""
    return list(csv.reader(io.StringIO(text), delimiter=sniff_separator(first)))


def _xlsx_rows(path: Path) -> list[list[str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure means the same to the user
        raise ObservatoryError(f"{path.name}: is not a readable .xlsx workbook.") from None
    try:
        # Kobo and ODK put the main form on the first sheet, repeat groups after it.
        return [
            [cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)
        ]
    finally:
        book.close()


class _Columns:
    """Finds a question's column among a file's headers."""

    def __init__(self, file: str, headers: list[str]):
        self.file = file
        self.headers = headers
        self.keys = [column_key(h) for h in headers]

    def find(self, name: str, line: int | None = None, required: bool = True) -> int | None:
        key = column_key(name)
        exact = [i for i, k in enumerate(self.keys) if k == key]
        if exact:
            return exact[0]
        tail = [i for i, k in enumerate(self.keys) if k.endswith("/" + key)]
        if len(tail) == 1:
            return tail[0]
        where = f" (mapping row {line})" if line else ""
        if len(tail) > 1:
            names = ", ".join(self.headers[i] for i in tail)
            raise ObservatoryError(
                f"{self.file}: question {name!r}{where} matches several "
                f"columns ({names}); write its group path."
            )
        if required:
            raise ObservatoryError(
                f"{self.file}: no column for question {name!r}{where}; check "
                "the name in the mapping against the export's header row."
            )
        return None

    def options(self, name: str, main: int | None) -> dict[str, int]:
        """Per-option 0/1 columns of a select_multiple: option key -> position."""
        if main is not None:
            prefixes = [self.keys[main] + "/"]
        else:  # only option columns in the export: `group/question/option`
            key = column_key(name)
            prefixes = sorted(
                {
                    k[: k.index(key) + len(key) + 1]
                    for k in self.keys
                    if (k.startswith(key + "/") or f"/{key}/" in k)
                }
            )
        return {
            vocab_key(k[len(p) :]): i
            for p in prefixes[:1]
            for i, k in enumerate(self.keys)
            if k.startswith(p) and "/" not in k[len(p) :]
        }

    def first_of(self, names: Iterable[str]) -> int | None:
        for name in names:
            if name in self.keys:
                return self.keys.index(name)
        return None


def _cell_answer(q: Question, cell: str) -> float:
    """1.0 (yes), 0.0 (no) or NaN (not answered) for a select_one / select_multiple cell."""
    text = (cell or "").strip()
    if not text:
        return 0.0 if q.blank_is_no else float("nan")
    tokens = {vocab_key(t) for t in text.split()}
    if (tokens | {vocab_key(text)}) & q.yes:
        return 1.0
    if vocab_key(text) in q.missing or tokens <= q.missing:
        return float("nan")
    return 0.0


def _option_answer(q: Question, cells: list[str]) -> float:
    """The same from 0/1 option columns (any yes option ticked)."""
    values = [(c or "").strip().lower() for c in cells]
    if any(v in _TRUE for v in values):
        return 1.0
    if all(v == "" for v in values):
        return 0.0 if q.blank_is_no else float("nan")
    return 0.0


def _question_reader(q: Question, columns: _Columns):
    """cells -> answer for one mapped yes/no question (main column or option columns)."""
    main = columns.find(q.question, q.line, required=False)
    options = columns.options(q.question, main)
    if options and q.yes <= set(options):  # the options' own 0/1 columns, when exported
        positions = [options[c] for c in sorted(q.yes)]
        return positions, lambda cells: _option_answer(q, [cells[p] for p in positions])
    if main is None:
        columns.find(q.question, q.line)  # raises the actionable message
    return [main], lambda cells: _cell_answer(q, cells[main])


def _places(cell: str, select: bool) -> list[str]:
    """Unsafe places named in one answer; digit runs (phone or ID numbers) removed."""
    parts = cell.split() if select else re.split(r"[;,|\n]+", cell or "")
    cleaned = (" ".join(_DIGIT_RUN.sub(" ", p).split()) for p in parts)
    return [p for p in cleaned if p]


def _timestamp(text: str, utc: bool) -> datetime | None:
    """East Africa Time, naive; server times in UTC (Kobo, ODK Central) shifted +3 h."""
    value = pd.Timestamp(text)
    if value.tzinfo is not None:
        value = value.tz_convert("UTC").tz_localize(None) + timedelta(hours=3)
    elif utc:
        value = value + timedelta(hours=3)
    return value.to_pydatetime()


@dataclass
class _Plan:
    uuid: int
    time: int | None
    time_utc: bool
    ward: int
    weight: int | None
    yes_no: dict[str, list]  # answer field or victimisation category -> readers
    places: list[tuple[int, bool]]

    def positions(self) -> set[int]:
        used = {self.uuid, self.ward, self.time, self.weight}
        used |= {
            p for readers in self.yes_no.values() for positions, _ in readers for p in positions
        }
        return {p for p in used | {p for p, _ in self.places} if p is not None}


def _plan(file: str, mapping: SurveyMapping, columns: _Columns) -> _Plan:
    def optional(meaning: str, defaults: tuple[str, ...]) -> int | None:
        given = mapping.of(meaning)
        return (
            columns.find(given[0].question, given[0].line) if given else columns.first_of(defaults)
        )

    uuid = optional("uuid", UUID_COLUMNS)
    if uuid is None:
        raise ObservatoryError(
            f"{file}: no submission id column (_uuid, meta/instanceID or KEY); "
            "export with the form's metadata or map one with meaning `uuid`."
        )
    time = optional("submitted_at", TIME_COLUMNS)
    (ward,) = mapping.of("ward")
    weight = mapping.of("weight")
    yes_no: dict[str, list] = {}
    for q in mapping.questions:
        if q.meaning in {"victimisation", "unsafe_after_dark", "trust_police"}:
            field_name = q.category if q.meaning == "victimisation" else q.meaning
            yes_no.setdefault(field_name, []).append(_question_reader(q, columns))
    places = [
        (columns.find(q.question, q.line), q.value.lower() == "select")
        for q in mapping.of("unsafe_places")
    ]
    return _Plan(
        uuid,
        time,
        time is not None and columns.keys[time] in _UTC_COLUMNS,
        columns.find(ward.question, ward.line),
        columns.find(weight[0].question, weight[0].line) if weight else None,
        yes_no,
        places,
    )


def _combined(readers: list, cells: list[str]) -> float:
    """Several questions for one thing: yes when any says yes, missing when all are."""
    values = [read(cells) for _, read in readers]
    if any(v == 1.0 for v in values):
        return 1.0
    return 0.0 if any(v == 0.0 for v in values) else float("nan")


def _is_personal_column(header: str) -> bool:
    """Form metadata (`_id`, `meta/...`) is the server's, never the respondent's."""
    key = column_key(header)
    if key.startswith(("_", "meta/")) or key in {"key", "deviceid", "start", "end", "today"}:
        return False
    return is_personal(key.split("/")[-1])


def read_survey(path: Path | str, mapping: SurveyMapping) -> SurveyFile:
    """Read the mapped questions of a Kobo/ODK export; refuse it with the first few
    bad rows (file, row, column, what to fix) when any row cannot be used."""
    path = Path(path)
    sha, headers, rows = read_rows(path)
    columns = _Columns(path.name, headers)
    plan = _plan(path.name, mapping, columns)
    records, errors, seen = [], [], {}
    width = len(headers)
    for number, raw in enumerate(rows, start=2):
        cells = (list(raw) + [""] * width)[:width]
        if not any(c.strip() for c in cells):
            continue
        record, problems = _record(path.name, number, cells, plan, headers, mapping)
        if record and record["submission_uuid"] in seen:
            problems.append(
                f"row {number}, column {headers[plan.uuid]}: the same submission id "
                f"as row {seen[record['submission_uuid']]}; remove the duplicate."
            )
        errors += problems
        if record and not problems:
            seen[record["submission_uuid"]] = number
            records.append(record)
    if errors:
        more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
        raise ObservatoryError(f"{path.name}: " + "; ".join(errors[:MAX_ERRORS]) + more)
    used = plan.positions()
    unread = [h for i, h in enumerate(headers) if i not in used and h]
    dropped = [h for h in unread if _is_personal_column(h)]
    meanings = {headers[plan.uuid]: "uuid", headers[plan.ward]: "ward"}
    return SurveyFile(
        path.name,
        sha,
        pd.DataFrame(records, columns=_RECORD_COLUMNS),
        meanings,
        dropped,
        len(unread) - len(dropped),
    )


_RECORD_COLUMNS = [
    "row",
    "submission_uuid",
    "submitted_at",
    "ward_text",
    "weight",
    "victimised",
    "unsafe_after_dark",
    "trusts_police",
    "unsafe_places",
]


def _record(file, number, cells, plan: _Plan, headers, mapping) -> tuple[dict | None, list[str]]:
    problems = []
    uuid = cells[plan.uuid].strip().removeprefix("uuid:")
    if not uuid:
        problems.append(f"row {number}, column {headers[plan.uuid]}: no submission id")
    weight = 1.0
    if plan.weight is not None:
        text = cells[plan.weight].strip()
        try:
            weight = float(text)
        except ValueError:
            weight = float("nan")
        if not weight > 0 or weight == float("inf"):
            problems.append(
                f"row {number}, column {headers[plan.weight]}: weight {text!r} "
                "is not a positive number"
            )
    submitted = None
    if plan.time is not None and cells[plan.time].strip():
        try:
            submitted = _timestamp(cells[plan.time].strip(), plan.time_utc)
        except (ValueError, TypeError):
            problems.append(
                f"row {number}, column {headers[plan.time]}: "
                f"{cells[plan.time].strip()!r} is not a date and time"
            )
    answers = {name: _combined(readers, cells) for name, readers in plan.yes_no.items()}

    def flag(name: str) -> bool | None:
        value = answers.get(name, float("nan"))
        return None if value != value else bool(value)

    victimised = {c: flag(c) for c in mapping.categories if flag(c) is not None}
    places = [p for pos, select in plan.places for p in _places(cells[pos], select)]
    record = {
        "row": number,
        "submission_uuid": uuid,
        "submitted_at": submitted,
        "ward_text": cells[plan.ward].strip(),
        "weight": weight,
        "victimised": victimised,
        "unsafe_after_dark": flag("unsafe_after_dark"),
        "trusts_police": flag("trust_police"),
        "unsafe_places": places,
    }
    return record, problems


def resolve_wards(file: str, frame: pd.DataFrame, wards: list[tuple[str, str]]) -> pd.Series:
    """Ward code per row from a code or a ward name (any case and punctuation; each
    part of an `A/B` name). Unknown or ambiguous names refuse the file."""
    by_code = {code.casefold(): code for code, _ in wards}
    by_name: dict[str, set[str]] = {}
    for code, name in wards:
        for part in {name, *name.split("/")}:
            by_name.setdefault(vocab_key(part), set()).add(code)
    codes, unknown = [], {}
    for row, text in zip(frame["row"], frame["ward_text"], strict=True):
        found = by_code.get(text.casefold()) or by_name.get(vocab_key(text)) if text else None
        if isinstance(found, set):
            found = next(iter(found)) if len(found) == 1 else None
        if text and found is None:
            unknown.setdefault(text, []).append(int(row))
        codes.append(found)
    if unknown and not wards:
        raise ObservatoryError(f"{file}: no wards are loaded; run `observatory wards load` first.")
    if unknown:
        listed = "; ".join(
            f"{t!r} (rows {', '.join(map(str, r[:5]))})"
            for t, r in list(unknown.items())[:MAX_ERRORS]
        )
        raise ObservatoryError(
            f"{file}: ward column: no loaded ward (or several) is called "
            f"{listed}; use the ward codes or names of the loaded wards."
        )
    return pd.Series(codes, index=frame.index, dtype=object)


def load_survey(path: Path | str, mapping_path: Path | str, round_name: str, engine=None) -> dict:
    """Read, check and store one export as (part of) survey round `round_name`.
    Re-importing the same submissions changes nothing. Returns the report dict."""
    from geodata import surveys
    from geodata.db import get_engine

    if not round_name.strip():
        raise ObservatoryError("--round: give the survey round a name, e.g. 2025-Q1.")
    engine = engine or get_engine()
    mapping = read_mapping(mapping_path)
    survey = read_survey(path, mapping)
    frame = survey.frame.copy()
    frame["ward_code"] = resolve_wards(survey.file, frame, surveys.ward_names(engine))
    stored = surveys.store_responses(
        engine,
        surveys.RoundInfo(
            round_name.strip(),
            mapping.reference_months,
            mapping.weight_kind,
            mapping.unit_size,
            tuple(mapping.categories),
            mapping.as_json(),
            survey.file,
            survey.sha256,
        ),
        frame,
    )
    return {
        "file": survey.file,
        "round": round_name.strip(),
        "rows_read": len(frame),
        **stored,
        "no_ward": int(frame["ward_code"].isna().sum()),
        "dropped_columns": survey.dropped_columns,
        "ignored_columns": survey.ignored_columns,
        "categories": mapping.categories,
    }
