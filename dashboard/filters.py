"""The map page's filter state: parsed from the URL query string or the widgets,
checked, and written back to a query string so a view can be bookmarked.

Pure functions only; the query string keys are `start`, `end` (ISO dates) and
`categories` (comma-separated category keys).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from geodata.categories import CATEGORIES, SENSITIVE

QUERY_KEYS = ("start", "end", "categories")
DEFAULT_DAYS = 365


@dataclass(frozen=True)
class MapFilters:
    start: date | None
    end: date | None
    # Empty: every category the viewer may see.
    categories: tuple[str, ...] = ()

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
