"""Figures: one printed line each, timing helpers, and the guard that turns a component
not built yet into `n/a (not built yet)` instead of a crash."""

from __future__ import annotations

import statistics
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

NOT_BUILT = "n/a (not built yet)"
_NAME_WIDTH = 40


@dataclass
class Figure:
    """One measured figure: a dotted name and its values (`key=value` on the line)."""

    name: str
    values: dict[str, float | int | str] = field(default_factory=dict)
    note: str = ""

    def line(self) -> str:
        parts = [f"{key}={_format(value)}" for key, value in self.values.items()]
        if self.note:
            parts.append(self.note)
        return f"{self.name:<{_NAME_WIDTH}} " + "  ".join(parts)

    def as_dict(self) -> dict:
        return {"name": self.name, "values": self.values, "note": self.note}


class NotBuilt(Exception):
    """The component a figure measures does not exist yet in this tree."""


def _format(value: float | int | str) -> str:
    if isinstance(value, (bool, str)):
        return str(value)
    if isinstance(value, int):
        return f"{value}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def percentiles(samples_s: Iterable[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds (nearest rank), and the sample count."""
    ordered = sorted(samples_s)
    if not ordered:
        return {}
    rank95 = min(len(ordered) - 1, max(0, int(round(0.95 * len(ordered))) - 1))
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[rank95] * 1000,
        "n": len(ordered),
    }


def time_calls(
    fn: Callable[[], object], repeat: int, budget_s: float = 20.0
) -> tuple[dict[str, float], object]:
    """p50/p95 of `fn()` over up to `repeat` calls, and the last result.

    The first call warms caches and is not counted, unless it is slow (over a quarter
    of `budget_s`): then it counts, and calls stop once `budget_s` is spent, so a
    slow function gets fewer samples and `make bench` stays short.
    """
    began = time.perf_counter()
    result = fn()
    first = time.perf_counter() - began
    samples: list[float] = [first] if first > budget_s / 4 else []
    while len(samples) < repeat and time.perf_counter() - began < budget_s:
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return percentiles(samples), result


def with_target(values: dict, key: str, limit: float) -> dict:
    """Add `target=<=limit` and `ok=yes|no` for the value at `key`."""
    values = dict(values)
    values["target"] = f"<={_format(limit)}"
    values["ok"] = "yes" if values[key] <= limit else "NO"
    return values


@dataclass
class Suite:
    """Collects figures, prints each line as it is measured."""

    figures: list[Figure] = field(default_factory=list)
    errors: int = 0

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        print(figure.line(), flush=True)

    def run(self, name: str, fn: Callable[[], Iterable[Figure]]) -> None:
        """Run one figure function (a list or a generator of figures, printed as they
        come); a missing component prints `n/a`, an error one line."""
        try:
            for figure in fn():
                self.add(figure)
        except NotBuilt as exc:
            self.add(Figure(name, note=f"{NOT_BUILT}{': ' + str(exc) if str(exc) else ''}"))
        except Exception as exc:  # noqa: BLE001 - one broken figure must not stop the run
            self.errors += 1
            detail = traceback.format_exception_only(exc)[-1].strip()
            self.add(Figure(name, note=f"ERROR {detail}"))
