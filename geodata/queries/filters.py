"""The filters every analytics read takes, as one hashable value (a cache key), and
the one place they become SQL over the aggregate tables' columns.

    start, end    inclusive days (the day an incident started); None: unbounded
    categories    category keys; () every category
    agencies      agency ids; () every agency
    wards         ward codes; () every ward (and incidents with no ward)
    counties      county names; () every county
    hours         hours of the day (0-23) of the time-of-day band; () all day.
                  With a band, counts are the aoristic share of each incident inside
                  those hours, so they can be fractional; incidents with a date but no
                  time cannot be placed in a band and are left out.
    cell          an H3 cell (int64, resolution 4 to 9) to focus on; None: all
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date

from geodata.h3grid import MAP_RESOLUTIONS, cell_sql


def cell_resolution(cell: int) -> int:
    """The resolution of an H3 cell (bits 52-55 of the index)."""
    res = (int(cell) >> 52) & 0xF
    if res not in MAP_RESOLUTIONS:
        raise ValueError(f"H3 cell {cell} is at resolution {res}, not one of {MAP_RESOLUTIONS}")
    return res


@dataclass(frozen=True)
class Where:
    """A WHERE clause, its bound parameters and the columns it reads."""

    sql: str
    params: dict
    columns: frozenset[str]


@dataclass(frozen=True)
class IncidentFilter:
    start: date | None = None
    end: date | None = None
    categories: tuple[str, ...] = ()
    agencies: tuple[int, ...] = ()
    wards: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()
    hours: tuple[int, ...] = ()
    cell: int | None = None

    def __post_init__(self) -> None:
        # Lists from a callback become tuples: the filter is a cache key.
        for name in ("categories", "agencies", "wards", "counties", "hours"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value or ()))

    def but(self, **changes) -> IncidentFilter:
        """The same filters with `changes` (field=value)."""
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def band(self) -> tuple[int, ...]:
        """The hours of the time-of-day band, each once, in order."""
        return tuple(sorted({int(h) % 24 for h in self.hours}))

    def where(self, *, timed_only: bool = False) -> Where:
        """The filters over an aggregate table's columns (day, category, agency_id,
        ward_code, h3_7..h3_9, hour). `timed_only` keeps incidents with a time."""
        clauses, params, columns = ["TRUE"], {}, set()
        if self.start is not None:
            clauses.append("day >= :start")
            params["start"] = self.start
        if self.end is not None:
            clauses.append("day <= :end")
            params["end"] = self.end
        if self.categories:
            clauses.append("category = ANY(:categories)")
            params["categories"] = list(self.categories)
            columns.add("category")
        if self.agencies:
            clauses.append("agency_id = ANY(:agencies)")
            params["agencies"] = [int(a) for a in self.agencies]
            columns.add("agency_id")
        if self.wards:
            clauses.append("ward_code = ANY(:wards)")
            params["wards"] = list(self.wards)
            columns.add("ward_code")
        if self.counties:
            # An array, not IN (SELECT ...): the planner then reads the county's rows
            # through the ward_code index instead of joining every row in the range.
            clauses.append(
                "ward_code = ANY(ARRAY(SELECT code FROM wards WHERE county = ANY(:counties)))"
            )
            params["counties"] = list(self.counties)
            columns.add("ward_code")
        if self.cell is not None:
            column = cell_sql(cell_resolution(self.cell))
            clauses.append(f"{column} = :cell")
            params["cell"] = int(self.cell)
            columns.add(column)
        if self.hours:
            clauses.append("hour = ANY(:hours)")
            params["hours"] = list(self.band)
            columns.add("hour")
        elif timed_only:
            clauses.append("hour IS NOT NULL")
            columns.add("hour")
        return Where(" AND ".join(clauses), params, frozenset(columns))
