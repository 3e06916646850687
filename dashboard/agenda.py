"""The monthly meeting's fixed agenda, built once for the screen and the pack:
1. this month's hot spots, 2. the crime clock, 3. changes since last meeting,
4. open forum actions.

`build_agenda` asks geodata.queries for the numbers and the pure builders in
dashboard.figures.meeting for the figures; the page and dashboard.pdf only lay out
what it returns, so the projector and the printed pack always say the same thing.

"This month" is the last whole calendar month within the filters and "last month"
the one before (see `month_spans`), so a month still under way is never set against
a whole one.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import Engine

from dashboard.figures import meeting as meeting_figures
from geodata.actions import OPEN_STATUSES
from geodata.categories import LABELS
from geodata.queries import actions as action_queries
from geodata.queries import analytics, wards
from geodata.queries import clock as clock_queries
from geodata.queries.filters import IncidentFilter
from geodata.stats.trends import compare

HEX_RESOLUTION = 8
TOP_N = 5
CHANGE_ROWS = 8  # categories on the change figure; the rest are summed as "Others"


@dataclass(frozen=True)
class Scope:
    """What the agenda counts: the filters of geodata.queries.analytics, plus the
    names the stamp prints for them. A focus on one cell is not part of a meeting:
    the agenda is about the whole area in view."""

    start: date | None
    end: date | None
    categories: tuple[str, ...] = ()
    agencies: tuple[int, ...] = ()
    wards: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()
    hours: tuple[int, ...] = ()
    agency_names: tuple[str, ...] = ()
    ward_names: tuple[str, ...] = ()

    def filters(self, first: date | None, last: date | None) -> IncidentFilter:
        """The analytics reads' filters from `first` to `last`."""
        return IncidentFilter(
            first, last, self.categories, self.agencies, self.wards, self.counties, self.hours
        )


@dataclass(frozen=True)
class Row:
    """One line of a list read out at the meeting: `value` is the number (or the
    status) in large type; `flag` marks what needs the room's attention."""

    label: str
    value: str
    note: str = ""
    flag: bool = False


@dataclass(frozen=True)
class NumberList:
    heading: str
    rows: tuple[Row, ...]
    empty: str = "Nothing to show for these filters."


@dataclass(frozen=True)
class NamedFigure:
    name: str  # file stem of its PNG in the pack's zip
    figure: go.Figure = field(compare=False)


@dataclass(frozen=True)
class AgendaItem:
    number: int
    key: str
    title: str
    subtitle: str
    figures: tuple[NamedFigure, ...] = ()
    lists: tuple[NumberList, ...] = ()
    notes: tuple[str, ...] = ()
    shows_wards: bool = False


AGENDA_TITLES: tuple[tuple[str, str], ...] = (
    ("hotspots", "This month's hot spots"),
    ("clock", "The crime clock"),
    ("changes", "Changes since last meeting"),
    ("actions", "Open forum actions"),
)


def day_text(day: date | None) -> str:
    return "–" if day is None else f"{day.day} {day:%b %Y}"


def span_text(first: date | None, last: date | None) -> str:
    if first is None or last is None:
        return "no data"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    return f"{day_text(first)} – {day_text(last)}"


def month_spans(scope: Scope) -> tuple[tuple[date, date], tuple[date, date]] | None:
    """(this month, last month) as inclusive (first, last) days.

    This month is the last whole calendar month within the filters (the end date's
    own month when the end is its last day); last month is the one before it. With
    no whole month in the filters, the filtered days and the same days one month
    earlier.
    """
    if scope.end is None:
        return None
    end = scope.end
    if (end + timedelta(days=1)).month == end.month:  # not the last day of its month
        end = end.replace(day=1) - timedelta(days=1)
    first = end.replace(day=1)
    if scope.start is None or scope.start <= first:
        previous_last = first - timedelta(days=1)
        return (first, end), (previous_last.replace(day=1), previous_last)
    first, end = scope.start, scope.end
    previous_month = first.replace(day=1) - timedelta(days=1)

    def back(day: date) -> date:
        last_day = calendar.monthrange(previous_month.year, previous_month.month)[1]
        return previous_month.replace(day=min(day.day, last_day))

    return (first, end), (back(first), back(end))


def hours_text(hours: tuple[int, ...]) -> str:
    """'all day', or the band as clock times: (18, ..., 23, 0, ..., 5) is '18:00-06:00'."""
    chosen = sorted({int(h) % 24 for h in hours})
    if not chosen or len(chosen) == 24:
        return "all day"
    starts = [h for h in chosen if (h - 1) % 24 not in chosen]
    spans = []
    for first in starts:
        last = first
        while (last + 1) % 24 in chosen:
            last = (last + 1) % 24
        spans.append(f"{first:02d}:00-{(last + 1) % 24:02d}:00")
    return ", ".join(spans)


def filter_stamp(scope: Scope, generated: datetime) -> str:
    """The line printed on every page: what the numbers were filtered on, and when."""
    categories = ", ".join(LABELS.get(c, c) for c in scope.categories) or "all"
    agencies = ", ".join(scope.agency_names) or ("all" if not scope.agencies else "chosen")
    places = list(scope.ward_names) + [f"{c} county" for c in scope.counties]
    return (
        f"Dates: {span_text(scope.start, scope.end)} · Categories: {categories} · "
        f"Agencies: {agencies} · Wards: {', '.join(places) or 'all'} · "
        f"Time band: {hours_text(scope.hours)} · Generated {generated:%d %b %Y %H:%M}"
    )


def _whole(value: float) -> str:
    """Counts are fractional only within a time band (aoristic shares): whole ones."""
    return f"{value:,.0f}"


def _hotspots(engine: Engine, scope: Scope, style: str) -> AgendaItem:
    number, (key, title) = 1, AGENDA_TITLES[0]
    spans = month_spans(scope)
    if spans is None:
        return AgendaItem(number, key, title, "No incidents loaded yet.", shows_wards=True)
    (first, last), _ = spans
    counts = analytics.cell_counts(engine, HEX_RESOLUTION, scope.filters(first, last))
    top = counts.sort_values(["count", "h3"], ascending=[False, True]).head(TOP_N)
    by_ward = analytics.ward_counts(engine, scope.filters(first, last))
    by_ward = by_ward[by_ward["count"] > 0].sort_values(
        ["count", "name"], ascending=[False, True], kind="mergesort"
    )
    whole = counts.assign(count=counts["count"].round().astype("int64"))
    fig = meeting_figures.hotspot_map(
        whole[whole["count"] > 0],
        # The shared edges drawn once, as on the map page: the pack's Chromium drew the
        # national polygons a second slower, and the page sends a third of the bytes.
        wards.ward_lines_geojson(engine),
        top_cells=top["h3"].tolist(),
        style=style,
    )
    found = analytics.cell_wards(
        engine, HEX_RESOLUTION, tuple(int(c) for c in top["h3"]), scope.filters(first, last)
    )
    # A cell can straddle a boundary: it is named for the ward most of it falls in.
    busiest = found.drop_duplicates("cell").set_index("cell")["name"].to_dict()
    cell_rows = tuple(
        Row(f"{rank}. Hexagon in {busiest.get(int(cell), 'no ward')}", _whole(n))
        for rank, (cell, n) in enumerate(zip(top["h3"], top["count"], strict=True), start=1)
    )
    ward_rows = tuple(
        Row(str(name), _whole(n))
        for name, n in zip(by_ward["name"].head(TOP_N), by_ward["count"], strict=False)
    )
    return AgendaItem(
        number,
        key,
        title,
        f"{span_text(first, last)}: {_whole(counts['count'].sum())} incidents placed on the map",
        figures=(NamedFigure("1-hotspots-map", fig),),
        lists=(
            NumberList("Busiest hexagons (ringed on the map)", cell_rows),
            NumberList("Busiest wards", ward_rows),
        ),
        shows_wards=True,
    )


def _clock(engine: Engine, scope: Scope) -> AgendaItem:
    number, (key, title) = 2, AGENDA_TITLES[1]
    clock = clock_queries.clock_weights(engine, scope.filters(scope.start, scope.end))
    hours = clock.hour.groupby("hour", as_index=False)["weight"].sum()
    busiest = hours.sort_values(["weight", "hour"], ascending=[False, True]).head(3)
    rows = tuple(
        Row(f"{int(h):02d}:00-{int(h) + 1:02d}:00", _whole(w))
        for h, w in zip(busiest["hour"], busiest["weight"], strict=True)
        if w > 0
    )
    notes = (
        "An incident known only as a time window is shared over the hours it spans.",
        f"{_whole(clock.date_only_total)} incidents known only by their date are not in the hours.",
    )
    return AgendaItem(
        number,
        key,
        title,
        f"{span_text(scope.start, scope.end)}: {_whole(clock.timed_total)} incidents "
        "with a time of day",
        figures=(NamedFigure("2-crime-clock", meeting_figures.clock_bars(hours)),),
        lists=(NumberList("Busiest hours", rows),),
        notes=notes,
    )


def change_table(current: pd.Series, previous: pd.Series, labels: dict) -> pd.DataFrame:
    """label, current, previous, change ("+25%", "new"), small_number per group (the
    series' index), the group seen most in either period first."""
    table = compare(current.round(), previous.round()).rename(columns={"label": "change"})
    table["label"] = [str(labels.get(k, k)) for k in table.index]
    table["size"] = table[["current", "previous"]].max(axis=1)
    table = table.sort_values(["size", "label"], ascending=[False, True], kind="mergesort")
    return table[["label", "current", "previous", "change", "small_number"]].reset_index(drop=True)


def _changes(engine: Engine, scope: Scope) -> AgendaItem:
    number, (key, title) = 3, AGENDA_TITLES[2]
    spans = month_spans(scope)
    if spans is None:
        return AgendaItem(number, key, title, "No incidents loaded yet.", shows_wards=True)
    (first, last), (prev_first, prev_last) = spans
    this_label, last_label = span_text(first, last), span_text(prev_first, prev_last)

    def categories(a: date, b: date) -> pd.Series:
        daily = analytics.monthly_trend(engine, scope.filters(a, b), by="category")
        return daily.groupby("group")["count"].sum()

    def ward_series(a: date, b: date) -> pd.Series:
        return analytics.ward_counts(engine, scope.filters(a, b)).set_index("ward_code")["count"]

    by_category = change_table(categories(first, last), categories(prev_first, prev_last), LABELS)
    table = wards.ward_table(engine)
    names = dict(zip(table["code"], table["name"], strict=True))
    by_ward = change_table(ward_series(first, last), ward_series(prev_first, prev_last), names)
    by_ward = by_ward[by_ward["current"] + by_ward["previous"] > 0].head(TOP_N)
    fig = meeting_figures.change_bars(
        by_category.head(CHANGE_ROWS), this_label=this_label, last_label=last_label
    )
    ward_rows = tuple(
        Row(
            str(row.label),
            f"{row.current:,}",
            f"{row.change}, was {row.previous:,}"
            + (f" {meeting_figures.SMALL_NUMBER_MARK}" if row.small_number else ""),
        )
        for row in by_ward.itertuples()
    )
    total_now, total_before = int(by_category["current"].sum()), int(by_category["previous"].sum())
    return AgendaItem(
        number,
        key,
        title,
        f"{this_label} against {last_label}: {total_now:,} incidents, was {total_before:,}",
        figures=(NamedFigure("3-changes-by-category", fig),),
        lists=(NumberList("Wards: this month, and the change", ward_rows),),
        notes=(meeting_figures.SMALL_NUMBER_NOTE,),
        shows_wards=True,
    )


def _actions(engine: Engine, as_of: date, public: bool) -> AgendaItem:
    number, (key, title) = 4, AGENDA_TITLES[3]
    table = action_queries.tracker_table(engine, as_of)
    open_ = table[table["status"].isin(OPEN_STATUSES)]
    rows = tuple(
        Row(
            _action_label(row, public),
            str(row.status_label),
            _due_note(row),
            flag=bool(row.overdue),
        )
        for row in open_.itertuples()
    )
    overdue = int(open_["overdue"].sum())
    return AgendaItem(
        number,
        key,
        title,
        f"As of {day_text(as_of)}: {len(open_):,} open, {overdue:,} overdue",
        lists=(NumberList("Open actions", rows, "No open actions."),),
        shows_wards=True,
    )


def _action_label(row, public: bool) -> str:
    where = f" – {row.wards}" if isinstance(row.wards, str) and row.wards else ""
    if public:  # titles can name exact spots: the public tracker shows kinds only
        return f"{row.kind_label}{where}"
    agency = f" ({row.responsible_agency})" if isinstance(row.responsible_agency, str) else ""
    return f"{row.title}{where}{agency}"


def _due_note(row) -> str:
    if row.overdue:
        return f"OVERDUE by {row.days_overdue} days (due {day_text(row.due_on)})"
    return f"due {day_text(row.due_on)}" if row.due_on else "no due date"


def build_item(
    engine: Engine,
    scope: Scope,
    number: int,
    *,
    public: bool = False,
    as_of: date | None = None,
    style: str = "white-bg",
) -> AgendaItem:
    """Agenda item `number` (1-4) for `scope`; overdue actions as of `as_of` (default
    today, the day of the meeting)."""
    if number == 1:
        return _hotspots(engine, scope, style)
    if number == 2:
        return _clock(engine, scope)
    if number == 3:
        return _changes(engine, scope)
    if number == 4:
        return _actions(engine, as_of or date.today(), public)
    raise ValueError(f"the agenda has items 1 to {len(AGENDA_TITLES)}, not {number!r}")


def build_agenda(
    engine: Engine,
    scope: Scope,
    *,
    public: bool = False,
    as_of: date | None = None,
    style: str = "white-bg",
) -> tuple[AgendaItem, ...]:
    """Every agenda item for `scope`, in order."""
    return tuple(
        build_item(engine, scope, n, public=public, as_of=as_of, style=style)
        for n in range(1, len(AGENDA_TITLES) + 1)
    )


def scope_record(scope: Scope) -> dict:
    """`scope` as JSON-ready data, for a dcc.Store."""
    record = asdict(scope)
    record["start"] = scope.start.isoformat() if scope.start else None
    record["end"] = scope.end.isoformat() if scope.end else None
    return record


def scope_from_record(record: dict) -> Scope:
    """The inverse of `scope_record` (lists back to tuples)."""
    values = dict(record)
    for key in ("start", "end"):
        values[key] = date.fromisoformat(values[key]) if values.get(key) else None
    for f in fields(Scope):
        if isinstance(values.get(f.name), list):
            values[f.name] = tuple(values[f.name])
    return Scope(**{f.name: values[f.name] for f in fields(Scope) if f.name in values})
