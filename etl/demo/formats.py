"""Cell formats as registers write them: mixed date and time forms, record
references, sexes, ages, statuses, and fake personal identifiers (names, phone and
ID numbers) that the ETL must drop before anything is stored."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_LONG = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")  # fmt: skip
FIRST_NAMES = ("Wanjiku", "Achieng", "Njeri", "Akinyi", "Mwende", "Chebet", "Nafula", "Wairimu",
               "Kemunto", "Auma", "Kamau", "Otieno", "Mwangi", "Ochieng", "Kiprono", "Mutua",
               "Wekesa", "Njoroge", "Omondi", "Kipchumba", "Baraka", "Faith", "Brian", "Mercy",
               "Kevin", "Grace", "Dennis", "Esther", "Collins", "Purity")  # fmt: skip
SURNAMES = ("Kariuki", "Onyango", "Wambui", "Kiptoo", "Musyoka", "Barasa", "Nyaga", "Odhiambo",
            "Chepkoech", "Maina", "Wafula", "Kilonzo", "Githinji", "Owino", "Rotich", "Muriithi",
            "Nyamweya", "Mugo", "Achola", "Langat")  # fmt: skip


def date_text(ts: datetime, style: str) -> str:
    d, m, y = ts.day, ts.month, ts.year
    if style == "iso":
        return f"{y:04d}-{m:02d}-{d:02d}"
    if style == "dmy":
        return f"{d:02d}/{m:02d}/{y:04d}"
    if style == "dmy_short":
        return f"{d}/{m}/{y % 100:02d}"
    if style == "dmon":
        return f"{d:02d}-{MONTHS[m - 1]}-{y:04d}"
    if style == "dlong":
        return f"{d} {MONTHS_LONG[m - 1]} {y:04d}"
    raise ValueError(style)


def impossible_date(ts: datetime, style: str) -> str:
    """A date no calendar has (30 February), in the agency's own style."""
    if style == "iso":
        return f"{ts.year:04d}-02-30"
    if style == "dmy":
        return f"30/02/{ts.year:04d}"
    if style == "dmy_short":
        return f"31/4/{ts.year % 100:02d}"
    if style == "dmon":
        return f"31-Jun-{ts.year:04d}"
    return f"30 February {ts.year:04d}"


def time_text(ts: datetime, style: str) -> str:
    h, m = ts.hour, ts.minute
    if style == "hhmm":
        return f"{h:02d}:{m:02d}"
    if style == "hrs":
        return f"{h:02d}{m:02d}hrs"
    twelve = h % 12 or 12
    suffix = "am" if h < 12 else "pm"
    if style == "ampm_dot":
        return f"{twelve}.{m:02d}{suffix}"
    if style == "ampm":
        return f"{twelve}:{m:02d} {suffix.upper()}"
    raise ValueError(style)


def styles(rng: np.random.Generator, n: int, main: str, others: tuple[str, ...], share: float):
    """Per row: the clerk's usual style, or now and then another one."""
    out = np.full(n, main, dtype=object)
    other = rng.random(n) < share
    out[other] = rng.choice(others, other.sum())
    return out


def dates(rng, values, main: str, others: tuple[str, ...] = (), share: float = 0.0) -> list[str]:
    chosen = styles(rng, len(values), main, others or (main,), share)
    return [date_text(pd.Timestamp(v), s) for v, s in zip(values, chosen, strict=True)]


def times(rng, values, known, main: str, others: tuple[str, ...] = (), share=0.0) -> list[str]:
    chosen = styles(rng, len(values), main, others or (main,), share)
    return [
        time_text(pd.Timestamp(v), s) if k else ""
        for v, k, s in zip(values, known, chosen, strict=True)
    ]


def full_names(rng: np.random.Generator, n: int) -> list[str]:
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(SURNAMES, n)
    return [f"{a} {b}" for a, b in zip(first, last, strict=True)]


def phones(rng: np.random.Generator, n: int) -> list[str]:
    digits = rng.integers(10_000_000, 99_999_999, n)
    prefix = rng.choice(["07", "07", "01"], n)
    style = rng.integers(3, size=n)
    out = []
    for d, p, s in zip(digits, prefix, style, strict=True):
        number = f"{p}{d:08d}"
        if s == 0:
            out.append(number)
        elif s == 1:
            out.append(f"{number[:4]} {number[4:7]} {number[7:]}")
        else:
            out.append(f"+254{number[1:]}")
    return out


def id_numbers(rng: np.random.Generator, n: int) -> list[str]:
    return [str(v) for v in rng.integers(10_000_000, 39_999_999, n)]


def sexes(values, female: str, male: str) -> list[str]:
    return [female if v == "F" else male if v == "M" else "" for v in values]


def ages(rng: np.random.Generator, values, suffix_share: float = 0.0) -> list[str]:
    suffix = rng.random(len(values)) < suffix_share
    return [
        "" if a < 0 else f"{a} yrs" if s else str(a) for a, s in zip(values, suffix, strict=True)
    ]


def choices(rng: np.random.Generator, n: int, options: dict[str, float]) -> list[str]:
    p = np.array(list(options.values()), dtype=float)
    return [str(v) for v in rng.choice(list(options), n, p=p / p.sum())]


def day_sequence(days: pd.Series, rng: np.random.Generator, max_gap: int = 6) -> np.ndarray:
    """Entry numbers within each day, with gaps for the book's non-crime entries."""
    gaps = rng.integers(1, max_gap + 1, len(days))
    return pd.Series(gaps, index=days.index).groupby(days.to_numpy()).cumsum().to_numpy()
