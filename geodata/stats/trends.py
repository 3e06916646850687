"""Trends and CompStat comparisons of incident counts.

Input is a DataFrame of incidents, or of counts already grouped by day (then give
a `count` column): a `date` column (or `occurred_from`; an incident counts on the
date it started) plus any grouping columns (category, agency, ward ...).

Periods are whole days ending on `as_of` (inclusive):
- last 28 days: as_of - 27 .. as_of; previous 28 days: as_of - 55 .. as_of - 28;
- year to date: 1 January .. as_of; the same period last year: 1 January .. the
  same day a year earlier (29 February falls back to 28 February).

Percent change is None when the base period is 0 (labelled "new" when the current
period has incidents). A comparison is flagged `small_number` when either count is
below SMALL_NUMBER (`small_numbers`, the one rule every comparison uses): with a
handful of incidents a change of two or three reads as a large percentage that is
mostly chance (a count of n varies by about sqrt(n)). A comparison whose earlier
period starts before the first day of data is not comparable at all
(`not_comparable_note`): the missing days would read as a rise.

The first and last months of a trend are often partial (the data, or the range
chosen, starts or stops mid-month): `month_coverage` says how many days each month
holds and `paced_counts` gives partial months their count at the pace seen, so a
month under way is not drawn as a fall.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

SMALL_NUMBER = 10
WINDOW_DAYS = 28
# A partial month with fewer days than this has no pace worth drawing: a few quiet
# or busy days scaled up to a month would invent a fall or a spike.
MIN_PACE_DAYS = 7


def _dates_and_counts(incidents: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    column = "date" if "date" in incidents else "occurred_from"
    dates = pd.to_datetime(incidents[column]).dt.normalize()
    counts = incidents["count"] if "count" in incidents else pd.Series(1, index=incidents.index)
    return dates, counts.astype(float)


def monthly_counts(
    incidents: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    by: Sequence[str] = ("category",),
) -> pd.DataFrame:
    """Counts per calendar month from start's month to end's month (both inclusive,
    days outside [start, end] left out), every month present even with no incident.

    Returns month (first day, Timestamp), the `by` columns, count; each group seen in
    the data appears in every month.
    """
    by = list(by)
    dates, counts = _dates_and_counts(incidents)
    inside = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
    frame = incidents.loc[inside, by].copy()
    frame["month"] = dates[inside].dt.to_period("M").dt.to_timestamp()
    frame["count"] = counts[inside]
    months = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq="M").to_timestamp()
    summed = frame.groupby(["month", *by], dropna=False)["count"].sum()
    groups = frame[by].drop_duplicates() if by else pd.DataFrame(index=[0])
    full = pd.DataFrame({"month": months}).merge(groups, how="cross")
    result = full.merge(summed.reset_index(), on=["month", *by], how="left")
    result["count"] = result["count"].fillna(0).astype(np.int64)
    return result.sort_values(["month", *by], ignore_index=True)


def month_coverage(first: dt.date, last: dt.date) -> pd.DataFrame:
    """The days each calendar month from first's to last's holds of [first, last]:
    month (first day, Timestamp), covered_from, covered_to (Timestamps), days,
    month_days, partial (fewer days than the month has). Empty when first > last."""
    rows = []
    month = dt.date(first.year, first.month, 1)
    while first <= last and month <= last:
        month_days = calendar.monthrange(month.year, month.month)[1]
        end = month.replace(day=month_days)
        covered_from, covered_to = max(month, first), min(end, last)
        days = (covered_to - covered_from).days + 1
        rows.append((month, covered_from, covered_to, days, month_days, days < month_days))
        month = end + dt.timedelta(days=1)
    frame = pd.DataFrame(
        rows, columns=["month", "covered_from", "covered_to", "days", "month_days", "partial"]
    )
    dates = ["month", "covered_from", "covered_to"]
    return frame.astype({**dict.fromkeys(dates, "datetime64[us]"), "days": "int64",
                         "month_days": "int64", "partial": bool})  # fmt: skip


def paced_counts(
    monthly: pd.DataFrame, coverage: pd.DataFrame, min_days: int = MIN_PACE_DAYS
) -> pd.DataFrame:
    """monthly_counts output with month_coverage's columns and `value`: the count
    for a whole month; for a partial month the count scaled to the whole month at
    the pace of its covered days (count x month_days / days), or NaN when it covers
    fewer than `min_days`. Months outside the coverage are dropped."""
    months = pd.Index(coverage["month"])
    at = months.get_indexer(monthly["month"])
    frame = monthly[at >= 0].reset_index(drop=True)
    at = at[at >= 0]
    for column in coverage.columns.drop("month"):
        frame[column] = coverage[column].to_numpy()[at]
    count = frame["count"].to_numpy(dtype=float)
    days, month_days = frame["days"].to_numpy(), frame["month_days"].to_numpy()
    partial = frame["partial"].to_numpy(dtype=bool)
    value = np.where(partial, count * month_days / np.maximum(days, 1), count)
    frame["value"] = np.where(partial & (days < min_days), np.nan, value)
    return frame


def change_label(current: float, previous: float) -> str:
    """'+25%', '-10%', '0%', 'new' (from zero) or 'none' (zero in both periods)."""
    if previous == 0:
        return "new" if current > 0 else "none"
    return f"{round(100 * (current - previous) / previous):+d}%".replace("+0%", "0%")


def compare(current: pd.Series, previous: pd.Series) -> pd.DataFrame:
    """Side-by-side counts: current, previous, difference, pct_change (None when the
    base is 0), label (see change_label) and small_number, aligned on the index."""
    current, previous = current.align(previous, fill_value=0)
    current, previous = current.astype(np.int64), previous.astype(np.int64)
    base = previous.where(previous != 0)
    pct = (100.0 * (current - previous) / base).astype(object)
    pct = pct.where(previous != 0, None)
    return pd.DataFrame(
        {
            "current": current,
            "previous": previous,
            "difference": current - previous,
            "pct_change": pct,
            "label": [change_label(c, p) for c, p in zip(current, previous, strict=True)],
            "small_number": small_numbers(current, previous),
        }
    )


def small_numbers(current, previous):
    """The small-number rule of every comparison (CompStat table, period cards,
    meeting figures): True where either count is below SMALL_NUMBER. Scalars or
    aligned Series."""
    return (current < SMALL_NUMBER) | (previous < SMALL_NUMBER)


def _day_text(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def not_comparable_note(
    kind: str, previous_period: tuple[dt.date, dt.date], data_first: dt.date | None
) -> str | None:
    """Why a comparison cannot be read, when its earlier period (inclusive first,
    last days) starts before the first day of data, else None.

    Days before the data began count as zero, so any change would be the data
    starting rather than crime changing; no percent change should be shown."""
    if data_first is None or data_first <= previous_period[0]:
        return None
    starts = _day_text(data_first)
    if data_first > previous_period[1]:
        return f"no data before {starts}: not comparable"
    if kind == "ytd":
        return f"last year's data starts {starts}: not comparable"
    days = (previous_period[1] - previous_period[0]).days + 1
    return f"data starts {starts}, within the {days} days before: not comparable"


def _same_day_last_year(day: dt.date) -> dt.date:
    if day.month == 2 and day.day == 29:
        return dt.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def periods(as_of: dt.date, window_days: int = WINDOW_DAYS) -> dict[str, tuple[dt.date, dt.date]]:
    """The four comparison periods ending on `as_of`, as inclusive (first, last) days."""
    day = dt.timedelta(days=1)
    recent_first = as_of - (window_days - 1) * day
    return {
        "recent": (recent_first, as_of),
        "before": (recent_first - window_days * day, recent_first - day),
        "ytd": (dt.date(as_of.year, 1, 1), as_of),
        "ytd_last_year": (dt.date(as_of.year - 1, 1, 1), _same_day_last_year(as_of)),
    }


def _period_sums(
    incidents: pd.DataFrame, span: tuple[dt.date, dt.date], by: list[str]
) -> pd.Series:
    dates, counts = _dates_and_counts(incidents)
    inside = (dates >= pd.Timestamp(span[0])) & (dates <= pd.Timestamp(span[1]))
    if not by:
        return pd.Series([counts[inside].sum()], index=pd.Index(["all"], name="group"))
    return counts[inside].groupby([incidents.loc[inside, c] for c in by]).sum()


def period_comparison(
    incidents: pd.DataFrame,
    as_of: dt.date,
    by: Sequence[str] = (),
    kind: str = "recent",
    window_days: int = WINDOW_DAYS,
) -> pd.DataFrame:
    """Last `window_days` days vs the same number before (kind="recent"), or year to
    date vs the same period last year (kind="ytd"), per group of `by` columns.
    Returns the `by` columns then the columns of compare()."""
    spans = periods(as_of, window_days)
    first, second = ("recent", "before") if kind == "recent" else ("ytd", "ytd_last_year")
    by = list(by)
    table = compare(
        _period_sums(incidents, spans[first], by), _period_sums(incidents, spans[second], by)
    )
    return table.reset_index(names=by or ["group"])


def compstat_table(
    incidents: pd.DataFrame,
    as_of: dt.date,
    wards: Iterable[str] | None = None,
    ward_column: str = "ward",
    window_days: int = WINDOW_DAYS,
) -> pd.DataFrame:
    """CompStat table by ward: last 28 days vs the 28 before and year to date vs last.

    wards: every ward to list (those with no incident get zeros); default the wards
    present in the data. Columns: ward; recent, before, diff_28, pct_28, label_28,
    small_28 (28-day comparison); ytd, ytd_last_year, diff_ytd, pct_ytd, label_ytd,
    small_ytd. Sorted by diff_28, largest rise first, then ward; a last row
    "All wards" holds the totals.
    """
    spans = periods(as_of, window_days)
    sums = pd.DataFrame(
        {name: _period_sums(incidents, span, [ward_column]) for name, span in spans.items()}
    )
    listed = pd.Index(list(wards) if wards is not None else [], dtype=object)
    names = listed.union(pd.Index(sums.index, dtype=object))
    sums = sums.reindex(names).fillna(0).astype(np.int64)
    sums.loc["All wards"] = sums.sum()
    recent = compare(sums["recent"], sums["before"])
    ytd = compare(sums["ytd"], sums["ytd_last_year"])
    table = pd.DataFrame(
        {
            "ward": sums.index,
            "recent": recent["current"],
            "before": recent["previous"],
            "diff_28": recent["difference"],
            "pct_28": recent["pct_change"],
            "label_28": recent["label"],
            "small_28": recent["small_number"],
            "ytd": ytd["current"],
            "ytd_last_year": ytd["previous"],
            "diff_ytd": ytd["difference"],
            "pct_ytd": ytd["pct_change"],
            "label_ytd": ytd["label"],
            "small_ytd": ytd["small_number"],
        }
    ).reset_index(drop=True)
    body = table.iloc[:-1].sort_values(["diff_28", "ward"], ascending=[False, True])
    return pd.concat([body, table.iloc[-1:]], ignore_index=True)
