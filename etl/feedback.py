"""Feedback on police services (CSV or XLSX): station, date, channel, rating 1-5,
complaint category, resolved yes/no. No identities: a file with a column of names,
phone numbers or ID numbers is refused whole, so the clerk removes it at the source.

Every row is checked before anything is stored; the message lists the first few bad
rows with their column and the fix. Re-importing a file, or a later export that
repeats earlier rows, adds nothing: a record is keyed on its values and on how many
identical rows came before it in the file (two people can give the same rating at
the same station on the same day), or on the file's `ref` column when it has one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from etl.headers import header_key, is_personal
from etl.parse import parse_datetimes
from etl.surveys import read_rows
from geodata.errors import ObservatoryError
from geodata.vocab import vocab_key

CHANNELS: dict[str, tuple[str, ...]] = {
    "sms": ("text", "text message", "bulk sms"),
    "ussd": ("short code",),
    "web": ("online", "website", "web form", "internet", "app", "mobile app"),
    "paper": ("form", "paper form", "suggestion box", "box", "written"),
    "phone": ("call", "phone call", "hotline", "toll free", "telephone call"),
    "in_person": ("in person", "walk in", "desk", "counter", "visit", "baraza"),
    "whatsapp": ("whats app", "wa"),
    "email": ("e-mail", "mail"),
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "station": ("station", "police station", "station name", "police post", "agency", "facility"),
    "date": ("date", "received_on", "received", "date received", "feedback date", "submitted"),
    "channel": ("channel", "via", "medium", "source", "mode"),
    "rating": ("rating", "score", "stars", "satisfaction", "rating 1 5"),
    "complaint_category": (
        "complaint_category",
        "complaint",
        "complaint type",
        "category",
        "issue",
        "complaint category",
    ),
    "resolved": ("resolved", "is resolved", "resolved yes no", "closed", "resolution"),
    "ref": ("ref", "reference", "feedback ref", "feedback id", "ticket", "ticket no"),
}
REQUIRED = ("station", "date", "channel")
_YES = {"yes", "y", "true", "1", "resolved", "closed", "ndiyo"}
_NO = {"no", "n", "false", "0", "unresolved", "open", "pending", "hapana"}
MAX_ERRORS = 5

_BY_KEY = {header_key(w): column for column, words in COLUMNS.items() for w in (column, *words)}
_CHANNEL_BY_KEY = {
    vocab_key(w): channel for channel, words in CHANNELS.items() for w in (channel, *words)
}


def _columns(file: str, headers: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    personal = []
    for pos, header in enumerate(headers):
        column = _BY_KEY.get(header_key(header))
        if column and column not in found:
            found[column] = pos
        elif header and is_personal(header):
            personal.append(header)
    if personal:
        raise ObservatoryError(
            f"{file}: columns {', '.join(repr(h) for h in personal)} hold names, phone or ID "
            "numbers; feedback is stored without identities: delete those columns and load "
            "the file again."
        )
    for column in REQUIRED:
        if column not in found:
            accepted = ", ".join(f"`{w}`" for w in COLUMNS[column])
            raise ObservatoryError(f"{file}: no {column} column (headers accepted: {accepted}).")
    return found


def channel(text: str) -> str | None:
    """The channel for a clerk's spelling (sms, ussd, web, paper, phone ...), else None."""
    return _CHANNEL_BY_KEY.get(vocab_key(text))


def read_feedback(path: Path | str) -> tuple[str, pd.DataFrame]:
    """(sha256, frame of record_key, station, received_on, channel, rating,
    complaint_category, resolved); refuses the file when any row is unusable."""
    path = Path(path)
    sha, headers, rows = read_rows(path)
    cols = _columns(path.name, headers)
    width = len(headers)
    cells = [(list(r) + [""] * width)[:width] for r in rows]
    keep = [i for i, r in enumerate(cells) if any(c.strip() for c in r)]
    frame = pd.DataFrame(
        {name: [" ".join(cells[i][pos].split()) for i in keep] for name, pos in cols.items()}
    )
    frame.insert(0, "row", [i + 2 for i in keep])
    errors: list[str] = []
    out = _values(frame, errors, {name: headers[pos] for name, pos in cols.items()})
    if errors:
        more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
        raise ObservatoryError(f"{path.name}: " + "; ".join(errors[:MAX_ERRORS]) + more)
    out["record_key"] = _record_keys(out, frame.get("ref"))
    return sha, out


def _values(frame: pd.DataFrame, errors: list[str], header: dict[str, str]) -> pd.DataFrame:
    def bad(mask: pd.Series, column: str, fix: str) -> None:
        for row, value in zip(frame.loc[mask, "row"], frame.loc[mask, column], strict=True):
            errors.append(f"row {row}, column {header[column]}: {value!r} {fix}")

    bad(frame["station"].eq(""), "station", "is empty; write the station's name")
    dates = parse_datetimes(frame["date"])
    bad(dates.bad | dates.values.isna(), "date", "is not a date (write e.g. 2025-03-14)")
    channels = frame["channel"].map(channel)
    bad(channels.isna(), "channel", f"is not one of {', '.join(CHANNELS)}")
    rating = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if "rating" in frame:
        numbers = pd.to_numeric(frame["rating"], errors="coerce")
        given = frame["rating"].ne("")
        wrong = given & ~numbers.isin([1, 2, 3, 4, 5])
        bad(wrong, "rating", "is not a whole number from 1 to 5")
        rating = numbers.where(given & ~wrong).astype("Int64")
    resolved = pd.Series(None, index=frame.index, dtype=object)
    if "resolved" in frame:
        keys = frame["resolved"].map(vocab_key)
        bad(~keys.isin(_YES | _NO | {""}), "resolved", "is not yes or no")
        resolved = keys.map(lambda k: True if k in _YES else False if k in _NO else None)
    category = frame.get("complaint_category", pd.Series("", index=frame.index))
    return pd.DataFrame(
        {
            "row": frame["row"],
            "station": frame["station"],
            "received_on": dates.values.dt.date,
            "channel": channels,
            "rating": rating,
            "complaint_category": category.map(lambda t: vocab_key(t) or None),
            "resolved": resolved,
        }
    )


def _record_keys(frame: pd.DataFrame, refs: pd.Series | None) -> list[str]:
    parts = ["station", "received_on", "channel", "rating", "complaint_category", "resolved"]
    values = pd.Series(
        [
            "|".join("" if pd.isna(v) else str(v) for v in rec)
            for rec in frame[parts].itertuples(index=False)
        ],
        index=frame.index,
    )
    if refs is not None:
        values = values.where(refs.eq(""), "ref|" + frame["station"].str.casefold() + "|" + refs)
    repeat = values.groupby(values).cumcount().astype(str)
    return [
        hashlib.md5(f"{v}#{k}".encode()).hexdigest() for v, k in zip(values, repeat, strict=True)
    ]


def load_feedback(path: Path | str, engine=None) -> dict:
    """Read, check and store a feedback file; the report dict (counts only)."""
    from geodata import surveys
    from geodata.db import get_engine

    engine = engine or get_engine()
    path = Path(path)
    _, frame = read_feedback(path)
    stored = surveys.store_feedback(engine, frame, path.name)
    return {
        "file": path.name,
        "rows_read": len(frame),
        **stored,
        "stations": int(frame["station"].nunique()),
    }
