"""The observatory's incident categories and the synonyms agencies write for them."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from geodata import settings
from geodata.errors import ObservatoryError

CATEGORIES: tuple[str, ...] = (
    "homicide",
    "assault",
    "sexual_violence",
    "domestic_violence",
    "child_abuse",
    "robbery",
    "burglary",
    "theft",
    "stock_theft",
    "vehicle_theft",
    "drugs",
    "mob_justice",
    "public_disorder",
    "fraud",
    "other",
)

# A count of one of these can identify a victim: public views never show them
# below ward x quarter (see the public app).
SENSITIVE: frozenset[str] = frozenset({"sexual_violence", "domestic_violence", "child_abuse"})

LABELS: dict[str, str] = {c: c.replace("_", " ").capitalize() for c in CATEGORIES}

_SHIPPED = Path(__file__).parent / "data" / "category_synonyms.csv"


def normalise_text(text: str) -> str:
    """Lower case, single spaces, no surrounding punctuation: the key synonyms match on."""
    text = text.strip().lower().replace("\u2019", "'")
    text = re.sub(r"[\s_]+", " ", text)
    return text.strip(" .,;:-")


def _read_synonyms(path: Path) -> dict[str, str]:
    table: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or {"synonym", "category"} - set(reader.fieldnames):
            raise ObservatoryError(f"{path}: needs a header row `synonym,category`.")
        for line, row in enumerate(reader, start=2):
            category = (row["category"] or "").strip()
            if category not in CATEGORIES:
                raise ObservatoryError(
                    f"{path}, row {line}: category {category!r} is not one of "
                    f"{', '.join(CATEGORIES)}."
                )
            table[normalise_text(row["synonym"] or "")] = category
    return table


@lru_cache(maxsize=4)
def _synonyms_for(extra: str | None) -> dict[str, str]:
    table = _read_synonyms(_SHIPPED)
    if extra:
        path = Path(extra).expanduser()
        if not path.exists():
            raise ObservatoryError(f"OBSERVATORY_CATEGORY_SYNONYMS: {path} does not exist.")
        table.update(_read_synonyms(path))
    return table


def synonyms() -> dict[str, str]:
    """Normalised synonym -> category: the shipped table plus the team's own file."""
    return _synonyms_for(settings.get("OBSERVATORY_CATEGORY_SYNONYMS"))


def classify(text: str) -> str | None:
    """The category for an agency's text, or None when it is not recognised."""
    key = normalise_text(text)
    table = synonyms()
    if key in table:
        return table[key]
    if key.replace("_", " ") in table:
        return table[key.replace("_", " ")]
    return None
