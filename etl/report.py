"""The per-file ingest report: what came in and what became of every row.

It holds header names, counts and the text of template cells that could not be
read; never a cell of a personal-identifier or ignored column (those are never read).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields

# Enough to show a clerk every kind of problem; a file with more is wrong throughout.
LIST_LIMIT = 10_000
VALUE_LIMIT = 100


def problem(row: int, column: str, value: str, reason: str) -> dict:
    """One quarantine or warning entry, {row, column, value, reason}."""
    value = value if len(value) <= VALUE_LIMIT else value[: VALUE_LIMIT - 1] + "\u2026"
    return {"row": int(row), "column": column, "value": value, "reason": reason}


def shown(value: str) -> str:
    """A cell quoted for a message, shortened like the report's `value`."""
    return '"' + (value if len(value) <= 40 else value[:39] + "\u2026") + '"'


@dataclass
class FileReport:
    file: str
    failed: bool = False
    error: str | None = None
    sha256: str | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    blank_rows: int = 0
    quarantine: list[dict] = field(default_factory=list)
    quarantine_truncated: bool = False
    columns: dict[str, str] = field(default_factory=dict)
    dropped_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    swapped_coordinates: int = 0
    unreadable_coordinates: int = 0
    outside_kenya: int = 0
    no_ward: int = 0
    no_position: int = 0
    unreadable_times: int = 0
    category_other_texts: dict[str, int] = field(default_factory=dict)
    status_other_texts: dict[str, int] = field(default_factory=dict)
    agencies: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    warnings_total: int = 0
    notes: list[str] = field(default_factory=list)
    import_id: int | None = None
    seconds: float = 0.0

    def set_quarantine(self, problems: list[dict], rows: int) -> None:
        problems = sorted(problems, key=lambda p: p["row"])
        self.quarantined = rows
        self.quarantine = problems[:LIST_LIMIT]
        self.quarantine_truncated = len(problems) > LIST_LIMIT

    def set_warnings(self, problems: list[dict]) -> None:
        self.warnings_total = len(problems)
        self.warnings = sorted(problems, key=lambda p: p["row"])[:LIST_LIMIT]

    @property
    def balanced(self) -> bool:
        """Every row read is inserted, updated, unchanged or quarantined, exactly once."""
        total = self.inserted + self.updated + self.unchanged + self.quarantined
        return self.rows_read == total

    def to_dict(self) -> dict:
        # Shallow: the lists hold plain dicts already, and a deep copy of a large
        # quarantine list costs more than the rest of the report.
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def summary(self) -> str:
        """One line for the terminal."""
        if self.failed:
            return f"{self.file}: failed: {self.error}"
        parts = [
            f"{self.rows_read} rows read",
            f"{self.inserted} inserted",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
            f"{self.quarantined} quarantined",
        ]
        if self.no_ward:
            parts.append(f"{self.no_ward} without a ward")
        if self.swapped_coordinates:
            parts.append(f"{self.swapped_coordinates} lat/lon swapped back")
        if self.category_other_texts:
            parts.append(f"{sum(self.category_other_texts.values())} as category other")
        return f"{self.file}: " + ", ".join(parts)


def count_texts(texts) -> dict[str, int]:
    """text -> count, most frequent first (then by text, so reports are stable)."""
    counts = Counter(texts.value_counts().to_dict() if hasattr(texts, "value_counts") else texts)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
