"""Place text as clerks write it, reduced to a key that matching can compare.

`Opp. Kawangware Pri. Sch.`, `kawangware primary school` and `Shule ya Msingi
Kawangware` all reduce to the same core name (`kawangware`) and kind
(`primary school`). The words table is `geodata/data/place_words.csv`, which a
team can read and extend: `filler` phrases (near, behind, karibu na ...) are
dropped, `kind` phrases (pri sch, soko, stg ...) become a canonical kind, and
`word` phrases (saint, roman numerals) are spelled one way.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WORDS_TABLE = Path(__file__).resolve().parent.parent / "data" / "place_words.csv"
_TYPES = ("filler", "kind", "word")

# Single letters joined by `.` or `/` are one abbreviation (p.s, s/c, h/c), not two words.
_LETTER_ABBREV = re.compile(r"\b([a-z])[./]([a-z])\b\.?")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class PlaceKey:
    """A place text reduced for matching.

    full: the name then its kinds, spelled canonically (`kawangware primary school`).
    core: the name without kind words (`kawangware`); equals `full` when the text is
          nothing but kind words (a ward called `Hospital`).
    kinds: the canonical kinds mentioned (`{"primary school"}`).
    """

    full: str
    core: str
    kinds: frozenset[str]


def _clean(text: str) -> list[str]:
    """Lower case, no accents or punctuation, abbreviations like p.s joined: the tokens."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"['\u2018\u2019`]", "", text)  # St Mary's -> st marys
    text = text.replace("&", " and ")
    previous = None
    while previous != text:  # p.s.s/c needs two passes at most; loop until stable
        previous, text = text, _LETTER_ABBREV.sub(r"\1\2", text)
    return _NOT_WORD.sub(" ", text).split()


@dataclass(frozen=True)
class _Table:
    phrases: dict[tuple[str, ...], tuple[str, tuple[str, ...]]]  # tokens -> (type, means)
    longest: int


@lru_cache(maxsize=2)
def _table(path: Path = WORDS_TABLE) -> _Table:
    phrases: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            kind = (row.get("type") or "").strip()
            tokens = tuple(_clean(row.get("phrase") or ""))
            if kind not in _TYPES or not tokens:
                raise ValueError(f"{path}, row {line}: needs a phrase and a type in {_TYPES}")
            phrases[tokens] = (kind, tuple(_clean(row.get("means") or "")))
    return _Table(phrases, max(len(k) for k in phrases))


def _is_missing(text: object) -> bool:
    return text is None or (isinstance(text, float) and math.isnan(text))


def place_key(text: object) -> PlaceKey:
    """Reduce a place text; empty keys for None, NaN or text that is only filler."""
    if _is_missing(text):
        return PlaceKey("", "", frozenset())
    table = _table()
    tokens = _clean(str(text))
    core: list[str] = []
    kinds: set[str] = set()
    i = 0
    while i < len(tokens):
        for size in range(min(table.longest, len(tokens) - i), 0, -1):
            entry = table.phrases.get(tuple(tokens[i : i + size]))
            if entry is not None:
                break
        else:
            core.append(tokens[i])
            i += 1
            continue
        kind, means = entry
        if kind == "kind":
            kinds.add(" ".join(means))
        elif kind == "word":
            core.extend(means)
        i += size
    # Kinds go last, sorted: `soko la Gikomba` and `Gikomba market` are one key.
    full = " ".join([*core, *sorted(kinds)])
    return PlaceKey(full, " ".join(core) or full, frozenset(kinds))


def normalise_place(text: object) -> str:
    """The matching key of a place text: `Opp. Kawangware Pri. Sch.` ->
    `kawangware primary school`. Empty for None, NaN or filler only."""
    return place_key(text).full
