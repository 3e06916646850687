"""The map page's filter state: parsed from the URL query string or the widgets,
checked, and written back to a query string so a view can be bookmarked.

Pure functions only; the query string keys are `start`, `end` (ISO dates) and
`categories` (comma-separated category keys). `within_scope` narrows any filters to
the wards a viewer may see (`dashboard.auth.scoped_filters` applies it per request).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TypeVar
from urllib.parse import urlencode

import h3

from geodata.categories import CATEGORIES, SENSITIVE
from geodata.h3grid import MAP_RESOLUTIONS, from_hex

QUERY_KEYS = ("start", "end", "categories")
DEFAULT_DAYS = 365
# No ward has an empty code (geodata.boundaries refuses one), so a ward filter of
# (NO_WARD,) matches no incident: what a viewer asking only for wards outside their
# scope gets. An empty ward filter would mean every ward.
NO_WARD = ""


@dataclass(frozen=True)
class MapFilters:
    start: date | None
    end: date | None
    # Empty: every category the viewer may see.
    categories: tuple[str, ...] = ()
    # Empty: every ward. Set only by `within_scope` (the map page has no ward widget).
    wards: tuple[str, ...] = ()

    def query_string(self) -> str:
        """`?start=...&end=...&categories=a,b` (empty parts left out)."""
        params = {}
        if self.start:
            params["start"] = self.start.isoformat()
        if self.end:
            params["end"] = self.end.isoformat()
        if self.categories:
            params["categories"] = ",".join(self.categories)
        return "?" + urlencode(params, safe=",") if params else ""


def allowed_categories(public: bool) -> tuple[str, ...]:
    """Categories a viewer may filter on: the public app never maps sensitive ones."""
    return tuple(c for c in CATEGORIES if not (public and c in SENSITIVE))


def default_range(first: date | None, last: date | None) -> tuple[date | None, date | None]:
    """The last twelve months of data (365 days ending on the last day with data)."""
    if last is None:
        return None, None
    start = last - timedelta(days=DEFAULT_DAYS - 1)
    if first is not None and start < first:
        start = first
    return start, last


def parse_date(value: object) -> date | None:
    """An ISO date (or datetime) string, or None when missing or not a date."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def parse_categories(value: object, allowed: Iterable[str]) -> tuple[str, ...]:
    """Known categories from a list or a comma-separated string, in canonical order.

    Unknown names are dropped rather than refused: a bookmark from an older version
    should still open.
    """
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    wanted = {str(item).strip() for item in items}
    return tuple(c for c in allowed if c in wanted)


def from_values(
    start: object,
    end: object,
    categories: object,
    *,
    first: date | None = None,
    last: date | None = None,
    public: bool = False,
) -> MapFilters:
    """Filters from raw widget or query-string values.

    A missing or unreadable date falls back to the default range; swapped dates are
    put in order.
    """
    default_start, default_end = default_range(first, last)
    start_date = parse_date(start) or default_start
    end_date = parse_date(end) or default_end
    if start_date and end_date and start_date > end_date:
        start_date, end_date = end_date, start_date
    chosen = parse_categories(categories, allowed_categories(public))
    return MapFilters(start_date, end_date, chosen)


def query_categories(filters: MapFilters, public: bool) -> tuple[str, ...]:
    """The categories to query: the chosen ones, or every allowed one when the public
    app must still leave sensitive categories out."""
    if filters.categories:
        return filters.categories
    return allowed_categories(public) if public else ()


# The analytics pages' filters: the map's, plus agencies, wards, a time-of-day band
# and a focus (one H3 cell or one ward clicked on the hot-spot map). Query string
# keys: start, end, categories, agencies (ids), wards (codes), hours ("18-6": from
# 18:00 to 06:00), focus ("cell:<h3 hex>" or "ward:<code>").
VIEW_KEYS = ("start", "end", "categories", "agencies", "wards", "hours", "focus")
BANDS = {"day": (6, 18), "night": (18, 6)}  # [from, to) hours; night wraps midnight


@dataclass(frozen=True)
class ViewFilters:
    start: date | None
    end: date | None
    categories: tuple[str, ...] = ()
    agencies: tuple[int, ...] = ()
    wards: tuple[str, ...] = ()
    # [from, to) hours of the time-of-day band; None: all day.
    band: tuple[int, int] | None = None
    focus: str | None = None

    def hours(self) -> tuple[int, ...]:
        return band_hours(self.band)

    def query_string(self) -> str:
        params: dict[str, str] = {}
        if self.start:
            params["start"] = self.start.isoformat()
        if self.end:
            params["end"] = self.end.isoformat()
        if self.categories:
            params["categories"] = ",".join(self.categories)
        if self.agencies:
            params["agencies"] = ",".join(str(a) for a in self.agencies)
        if self.wards:
            params["wards"] = ",".join(self.wards)
        if self.band:
            params["hours"] = f"{self.band[0]}-{self.band[1]}"
        if self.focus:
            params["focus"] = self.focus
        return "?" + urlencode(params, safe=",:") if params else ""

    def query_args(self, public: bool = False) -> dict:
        """Keyword arguments for geodata.queries.analytics; a focus on a ward narrows
        the wards, a focus on a cell sets `cell`. The public app never queries
        sensitive categories."""
        categories = self.categories or (allowed_categories(public) if public else ())
        wards, cell = self.wards, None
        kind, _, value = (self.focus or "").partition(":")
        if kind == "ward":
            wards = (value,)
        elif kind == "cell":
            cell = from_hex(value)
        return {
            "start": self.start,
            "end": self.end,
            "categories": tuple(categories),
            "agencies": self.agencies,
            "wards": wards,
            "hours": self.hours(),
            "cell": cell,
        }


Filters = TypeVar("Filters", MapFilters, ViewFilters)


def within_scope(state: Filters, scope: tuple[str, ...] | None) -> Filters:
    """`state` narrowed to the wards of `scope` (None: every ward, `state` unchanged).

    The chosen wards inside the scope are kept; no choice means every scope ward; a
    choice (or a scope) with no ward left matches nothing (NO_WARD) rather than
    falling back to every ward. A focus on a ward outside the scope (it replaces the
    wards in `query_args`) becomes a focus on NO_WARD: nothing.
    """
    if scope is None:
        return state
    allowed = set(scope)
    chosen = state.wards or tuple(sorted(allowed))
    narrowed = replace(state, wards=tuple(w for w in chosen if w in allowed) or (NO_WARD,))
    kind, _, focused = (getattr(state, "focus", None) or "").partition(":")
    if kind == "ward" and focused not in allowed:
        narrowed = replace(narrowed, focus=f"ward:{NO_WARD}")
    return narrowed


def band_hours(band: tuple[int, int] | None) -> tuple[int, ...]:
    """The hours of day in [from, to), wrapping past midnight; () for all day."""
    if band is None:
        return ()
    first, last = band
    span = (last - first) % 24 or 24
    return tuple(sorted((first + step) % 24 for step in range(span)))


def parse_band(value: object) -> tuple[int, int] | None:
    """ "18-6" (or a preset name, day or night) as (18, 6); None when all day or
    unreadable. A band that covers the whole day is no band."""
    if isinstance(value, str) and value.strip() in BANDS:
        return BANDS[value.strip()]
    if not isinstance(value, str) or "-" not in value:
        return None
    first, _, last = value.partition("-")
    try:
        band = int(first) % 24, int(last) % 24
    except ValueError:
        return None
    return None if band[0] == band[1] else band


def parse_focus(value: object) -> str | None:
    """A valid "cell:<h3 hex>" or "ward:<code>", else None."""
    if not isinstance(value, str):
        return None
    kind, _, rest = value.strip().partition(":")
    if kind == "ward" and rest:
        return f"ward:{rest}"
    if kind == "cell" and h3.is_valid_cell(rest) and h3.get_resolution(rest) in MAP_RESOLUTIONS:
        return f"cell:{rest}"
    return None


def _items(value: object) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def parse_agencies(value: object, known: Iterable[int] | None = None) -> tuple[int, ...]:
    ids = sorted({int(v) for v in _items(value) if v.lstrip("-").isdigit()})
    return tuple(i for i in ids if known is None or i in set(known))


def parse_wards(value: object, known: Iterable[str] | None = None) -> tuple[str, ...]:
    codes = sorted(set(_items(value)))
    return tuple(c for c in codes if known is None or c in set(known))


def view_from_values(
    values: dict,
    *,
    first: date | None = None,
    last: date | None = None,
    public: bool = False,
) -> ViewFilters:
    """Filters from raw widget or query-string values (keys of VIEW_KEYS; missing
    ones default). Unknown agencies, wards and categories are dropped, so an old
    bookmark still opens."""
    base = from_values(
        values.get("start"),
        values.get("end"),
        values.get("categories"),
        first=first,
        last=last,
        public=public,
    )
    return ViewFilters(
        start=base.start,
        end=base.end,
        categories=base.categories,
        agencies=parse_agencies(values.get("agencies")),
        wards=parse_wards(values.get("wards")),
        band=parse_band(values.get("hours")),
        focus=parse_focus(values.get("focus")),
    )
