"""How many events did no agency record? Two-source capture-recapture.

Police records are one "capture", every other agency together the other; events seen
by both (linked records, see geodata.linkage) are the "recaptures". With n1 events in
the police registers, n2 in the others' and m in both:

- Lincoln-Petersen: N = n1 * n2 / m (biased upwards when m is small);
- Chapman: N = (n1 + 1)(n2 + 1) / (m + 1) - 1, nearly unbiased, with variance
  var = (n1 + 1)(n2 + 1)(n1 - m)(n2 - m) / ((m + 1)^2 (m + 2)).

The interval reported is the log-transformed one of Chao (1987), as recommended by
Sadinle (2009) for two-list estimates: with r = n1 + n2 - m events seen and
f0 = N - r unseen, C = exp(z * sqrt(log(1 + var / f0^2))), the interval is
[r + f0 / C, r + f0 * C]. It is asymmetric and never falls below the r events actually
seen, where the normal interval N +- z sqrt(var) can. Both are returned; the log one
is the one to show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import pandas as pd

MIN_OVERLAP = 7  # below this many events seen by both, the estimate is not shown
ASSUMPTIONS = (
    "Closed population: the events counted happened in the same ward and period, and "
    "none is added or removed between the two sources.",
    "Independent sources: whether the police record an event does not change the chance "
    "that a health facility, chief or other agency records it (victims who go to one "
    "often go to the other, which makes the estimate too low).",
    "Homogeneous capture: every event has the same chance of being recorded by each "
    "source (serious events are recorded more often, which also makes it too low).",
    "Perfect matching: records of the same event were linked, and no two different "
    "events were (missed links make the estimate too high, false links too low).",
)


def lincoln_petersen(n1: int, n2: int, m: int) -> float:
    """N = n1 n2 / m; infinite when there is no overlap."""
    return math.inf if m == 0 else n1 * n2 / m


def chapman(n1: int, n2: int, m: int) -> float:
    """Chapman's nearly unbiased estimate (n1+1)(n2+1)/(m+1) - 1."""
    return (n1 + 1) * (n2 + 1) / (m + 1) - 1


def chapman_variance(n1: int, n2: int, m: int) -> float:
    return (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))


def _check(n1: int, n2: int, m: int) -> None:
    if min(n1, n2, m) < 0 or m > min(n1, n2):
        raise ValueError(f"need 0 <= m <= n1, n2; got n1={n1}, n2={n2}, m={m}")


def normal_interval(n1: int, n2: int, m: int, level: float = 0.95) -> tuple[float, float]:
    """Chapman N +- z sqrt(var): symmetric, can fall below the events seen."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    estimate, spread = chapman(n1, n2, m), math.sqrt(chapman_variance(n1, n2, m))
    return estimate - z * spread, estimate + z * spread


def log_interval(n1: int, n2: int, m: int, level: float = 0.95) -> tuple[float, float]:
    """Chao's log-transformed interval for Chapman's N (never below r = n1 + n2 - m)."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    seen = n1 + n2 - m
    unseen = chapman(n1, n2, m) - seen
    if unseen <= 0:
        return float(seen), float(seen)
    c = math.exp(z * math.sqrt(math.log(1 + chapman_variance(n1, n2, m) / unseen**2)))
    return seen + unseen / c, seen + unseen * c


@dataclass(frozen=True)
class Estimate:
    """A capture-recapture estimate with everything a reader needs beside it."""

    n1: int  # events the police recorded
    n2: int  # events the other agencies recorded
    m: int  # events both recorded
    seen: int  # events any source recorded: n1 + n2 - m
    total: float | None  # Chapman estimate of all events (None: not enough overlap)
    unrecorded: float | None  # total - seen
    interval: tuple[float, float] | None  # log-based (Chao) 95 % interval for total
    normal_interval: tuple[float, float] | None
    lincoln_petersen: float | None
    enough_overlap: bool
    level: float = 0.95
    assumptions: tuple[str, ...] = field(default=ASSUMPTIONS)

    def sentence(self) -> str:
        if not self.enough_overlap:
            return (
                f"Not enough overlap: only {self.m} events were recorded by both the police "
                f"and another agency (at least {MIN_OVERLAP} are needed for an estimate)."
            )
        low, high = self.interval
        return (
            f"{self.seen:,} events were recorded; an estimated {self.total:,.0f} happened "
            f"({self.level:.0%} interval {low:,.0f} to {high:,.0f}), so about "
            f"{self.unrecorded:,.0f} were recorded by no agency."
        )


def estimate(n1: int, n2: int, m: int, level: float = 0.95) -> Estimate:
    """Chapman's estimate of all events, its intervals and assumptions; withheld
    (enough_overlap False) when fewer than MIN_OVERLAP events were seen by both."""
    _check(n1, n2, m)
    seen = n1 + n2 - m
    if m < MIN_OVERLAP:
        return Estimate(n1, n2, m, seen, None, None, None, None, None, False, level)
    total = chapman(n1, n2, m)
    return Estimate(
        n1, n2, m, seen, total, total - seen, log_interval(n1, n2, m, level),
        normal_interval(n1, n2, m, level), lincoln_petersen(n1, n2, m), True, level,
    )  # fmt: skip


def source_overlap(events: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per group (e.g. ward and month): events seen by police only, by other agencies
    only, by both, the agencies that reported, and the capture-recapture estimate.

    events: one row per record with event_group (from linkage), agency, is_police
    (bool) and the `by` columns (each event's records share them)."""
    per_event = events.groupby([*by, "event_group"], dropna=False).agg(
        police=("is_police", "any"), other=("is_police", lambda s: (~s).any())
    )
    per_event["both"] = per_event["police"] & per_event["other"]
    table = per_event.groupby(level=list(range(len(by))), dropna=False).agg(
        police_only=("both", lambda s: int((per_event.loc[s.index, "police"] & ~s).sum())),
        other_only=("both", lambda s: int((per_event.loc[s.index, "other"] & ~s).sum())),
        both=("both", "sum"),
    )
    agencies = events.groupby(by, dropna=False)["agency"].agg(lambda s: tuple(sorted(set(s))))
    table["agencies"] = agencies.reindex(table.index)
    estimates = [
        estimate(int(row.police_only + row.both), int(row.other_only + row.both), int(row.both))
        for row in table.itertuples()
    ]
    table["estimated_total"] = [e.total for e in estimates]
    table["interval_low"] = [e.interval[0] if e.interval else None for e in estimates]
    table["interval_high"] = [e.interval[1] if e.interval else None for e in estimates]
    table["enough_overlap"] = [e.enough_overlap for e in estimates]
    return table.reset_index()
