"""The mapping file of a safety audit survey: which XLSForm question means the ward,
the weight, victimisation by category, feeling unsafe after dark, trust in police
and places felt unsafe (docs/surveys.md). A CSV, so it can be written in a
spreadsheet: one row per question, header meaning,question,value,category,missing,blank.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from etl.headers import is_personal
from geodata.categories import CATEGORIES
from geodata.errors import ObservatoryError
from geodata.vocab import vocab_key

MEANINGS = (
    "ward",
    "weight",
    "uuid",
    "submitted_at",
    "victimisation",
    "unsafe_after_dark",
    "trust_police",
    "unsafe_places",
    "setting",
)
SETTINGS = {"reference_months": 12, "unit_size": 1.0}
WEIGHT_KINDS = ("expansion", "relative")
MAPPING_HEADER = ("meaning", "question", "value", "category", "missing", "blank")


def column_key(header: str) -> str:
    """Group separators of Kobo (`/`), ODK (`-`) and some tools (`.`, `:`) as `/`."""
    return re.sub(r"[/.:\-]", "/", str(header).strip().lower())


@dataclass(frozen=True)
class Question:
    meaning: str
    question: str
    line: int  # in the mapping file
    value: str = ""
    category: str | None = None
    yes: frozenset[str] = frozenset()
    missing: frozenset[str] = frozenset()
    blank_is_no: bool = False


@dataclass
class SurveyMapping:
    source: str
    questions: list[Question]
    reference_months: int = 12
    unit_size: float = 1.0

    def of(self, meaning: str) -> list[Question]:
        return [q for q in self.questions if q.meaning == meaning]

    @property
    def categories(self) -> list[str]:
        return sorted({q.category for q in self.of("victimisation") if q.category})

    @property
    def weight_kind(self) -> str:
        weight = self.of("weight")
        return weight[0].value if weight else "none"

    def as_json(self) -> dict:
        """What each question means (never an answer), stored with the round."""
        return {
            "questions": [
                {
                    "meaning": q.meaning,
                    "question": q.question,
                    "value": q.value,
                    "category": q.category,
                }
                for q in self.questions
            ],
            "reference_months": self.reference_months,
            "unit_size": self.unit_size,
        }


def _codes(text: str) -> frozenset[str]:
    return frozenset(vocab_key(part) for part in (text or "").split("|") if part.strip())


def _mapping_error(source: str, line: int, column: str, message: str) -> ObservatoryError:
    return ObservatoryError(f"{source}, row {line}, column {column}: {message}")


def _question(source: str, line: int, row: dict) -> Question | tuple[str, str]:
    meaning = vocab_key(row.get("meaning") or "")
    question = (row.get("question") or "").strip()
    value = (row.get("value") or "").strip()
    if meaning not in MEANINGS:
        raise _mapping_error(
            source,
            line,
            "meaning",
            f"{meaning or '(empty)'!r} is not one of {', '.join(MEANINGS)}.",
        )
    if not question:
        raise _mapping_error(source, line, "question", "empty; write the question's XLSForm name.")
    if meaning == "setting":
        return (question, value)
    # A place's name is not a person's: `unsafe_place_name` may be read.
    last = column_key(question).split("/")[-1]
    if "place" not in last and is_personal(last):
        raise _mapping_error(
            source,
            line,
            "question",
            f"{question!r} looks like a name or phone column; it is never read.",
        )
    category = (row.get("category") or "").strip() or None
    if meaning == "victimisation" and category not in CATEGORIES:
        raise _mapping_error(
            source, line, "category", f"{category!r} is not one of {', '.join(CATEGORIES)}."
        )
    if meaning in {"victimisation", "unsafe_after_dark", "trust_police"} and not value:
        raise _mapping_error(
            source, line, "value", "empty; list the answer codes that mean yes, separated by |."
        )
    if meaning == "weight":
        value = value or "expansion"
        if value not in WEIGHT_KINDS:
            raise _mapping_error(
                source,
                line,
                "value",
                f"{value!r} is not one of {', '.join(WEIGHT_KINDS)} (how the weights are scaled).",
            )
    blank = vocab_key(row.get("blank") or "missing")
    if blank not in {"missing", "no"}:
        raise _mapping_error(source, line, "blank", f"{blank!r} is not `missing` or `no`.")
    return Question(
        meaning,
        question,
        line,
        value,
        category,
        _codes(value),
        _codes(row.get("missing") or ""),
        blank == "no",
    )


def read_mapping(path: Path | str) -> SurveyMapping:
    """Read a mapping CSV (header meaning,question,value,category,missing,blank)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ObservatoryError(f"{path.name}: cannot be read ({exc.strerror}).") from None
    except UnicodeDecodeError:
        raise ObservatoryError(f"{path.name}: save the mapping as CSV UTF-8.") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [vocab_key(h) for h in reader.fieldnames or []]
    if not {"meaning", "question"} <= set(header):
        raise ObservatoryError(
            f"{path.name}: the first row must be the header {','.join(MAPPING_HEADER)}."
        )
    reader.fieldnames = header
    mapping = SurveyMapping(path.name, [])
    for line, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        found = _question(path.name, line, row)
        if isinstance(found, tuple):
            _setting(mapping, path.name, line, *found)
        else:
            mapping.questions.append(found)
    _check_mapping(mapping)
    return mapping


def _setting(mapping: SurveyMapping, source: str, line: int, name: str, value: str) -> None:
    if name not in SETTINGS:
        raise _mapping_error(
            source, line, "question", f"setting {name!r} is not one of {', '.join(SETTINGS)}."
        )
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number <= 0 or (name == "reference_months" and not number.is_integer()):
        raise _mapping_error(source, line, "value", f"{name} must be a positive number.")
    if name == "reference_months":
        mapping.reference_months = int(number)
    else:
        mapping.unit_size = number


def _check_mapping(mapping: SurveyMapping) -> None:
    for meaning in ("ward", "weight", "uuid", "submitted_at", "unsafe_after_dark", "trust_police"):
        found = mapping.of(meaning)
        if len(found) > 1:
            raise _mapping_error(
                mapping.source,
                found[1].line,
                "meaning",
                f"{meaning} is mapped twice (row {found[0].line} too); keep one.",
            )
    if not mapping.of("ward"):
        raise ObservatoryError(
            f"{mapping.source}: no `ward` row; add one naming the question that holds the ward."
        )
    answers = {"victimisation", "unsafe_after_dark", "trust_police", "unsafe_places"}
    if not any(q.meaning in answers for q in mapping.questions):
        raise ObservatoryError(
            f"{mapping.source}: maps no question to victimisation, unsafe_after_dark, "
            "trust_police or unsafe_places; there is nothing to aggregate."
        )
