"""CompStat comparisons and hot-spot statistics over the aggregate tables: the
statistics of geodata.stats fed by geodata.queries.analytics, cached per data
version like every other read. Filters as in geodata.queries.analytics; the CompStat
reads take their periods from `as_of` and ignore the filters' dates."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from geodata.cache import cached
from geodata.gazetteer.matching import AREA_KINDS, AREA_REACH_M, REACH_M
from geodata.queries.analytics import (
    cell_counts,
    cell_month_counts,
    placed_counts,
    segment_counts,
)
from geodata.queries.filters import IncidentFilter
from geodata.queries.maps import date_bounds
from geodata.queries.wards import ward_table
from geodata.stats.emerging import emerging_hotspots
from geodata.stats.hotspots import hotspots, share_over_reach
from geodata.stats.trends import (
    compstat_table,
    not_comparable_note,
    period_comparison,
    periods,
)


def _segment_bounds(as_of: date) -> tuple[date, ...]:
    """Every day a comparison period ending on `as_of` starts, or ends the day
    before: each period is a union of the segments between them."""
    spans = periods(as_of).values()
    return tuple(
        sorted({first for first, _ in spans} | {last + timedelta(days=1) for _, last in spans})
    )


def _wards_in_view(
    engine: Engine, wards: tuple[str, ...], counties: tuple[str, ...]
) -> pd.DataFrame:
    """code, name of the wards the filters list (every ward for none), from the ward
    table: their counts are not needed, and counting them scans every incident."""
    table = ward_table(engine)
    keep = np.ones(len(table), dtype=bool)
    if wards:
        keep &= table["code"].isin(wards).to_numpy()
    if counties:
        keep &= table["county"].isin(counties).to_numpy()
    return table.loc[keep, ["code", "name"]]


@cached
def compstat_by_ward(
    engine: Engine,
    as_of: date,
    filters: IncidentFilter,
) -> pd.DataFrame:
    """geodata.stats.trends.compstat_table by ward, every ward in view listed, with
    ward names: ward (code, or "All wards"), name, then compstat_table's columns."""
    daily = segment_counts(engine, _segment_bounds(as_of), filters, by="ward")
    daily = daily.rename(columns={"group": "ward"}).dropna(subset=["ward"])
    in_view = _wards_in_view(engine, filters.wards, filters.counties)
    table = compstat_table(daily, as_of, wards=in_view["code"].tolist())
    names = dict(zip(in_view["code"], in_view["name"], strict=True))
    table.insert(1, "name", table["ward"].map(names).fillna(table["ward"]))
    return table


@cached
def period_cards(
    engine: Engine,
    as_of: date,
    filters: IncidentFilter,
) -> dict[str, dict]:
    """The last 28 days vs the 28 before ("recent") and year to date vs the same days
    last year ("ytd"): for each, current, previous, difference, pct_change, label,
    small_number (geodata.stats.trends.compare), the periods compared, and
    not_comparable: why the change cannot be read when the earlier period starts
    before the first day of data (geodata.stats.trends.not_comparable_note), else
    None."""
    daily = segment_counts(engine, _segment_bounds(as_of), filters, by="category")
    spans = periods(as_of)
    data_first, _ = date_bounds(engine)
    cards = {}
    for kind, (first, second) in {
        "recent": ("recent", "before"),
        "ytd": ("ytd", "ytd_last_year"),
    }.items():
        row = period_comparison(daily, as_of, kind=kind).iloc[0]
        cards[kind] = {
            "current": int(row["current"]),
            "previous": int(row["previous"]),
            "difference": int(row["difference"]),
            "pct_change": None if row["pct_change"] is None else float(row["pct_change"]),
            "label": str(row["label"]),
            "small_number": bool(row["small_number"]),
            "current_period": spans[first],
            "previous_period": spans[second],
            "not_comparable": not_comparable_note(kind, spans[second], data_first),
        }
    return cards


@cached
def gi_cells(
    engine: Engine,
    res: int,
    filters: IncidentFilter,
) -> pd.DataFrame:
    """Getis-Ord Gi* with FDR for the cells at `res` (geodata.stats.hotspots): one row
    per cell of the study grid (cells with incidents and their ring of empty
    neighbours) with cell, count, gi_z, p_value, q_value, bin (-3..3), label.

    Incidents placed only by a place name count evenly over the place's reach (its
    point is not where they happened), so `count` can be fractional."""
    counts = cell_counts(engine, res, filters)
    if counts.empty:
        return hotspots(pd.DataFrame({"cell": pd.Series([], dtype="int64"), "count": []}))
    placed = placed_counts(engine, res, filters)
    area = placed["kind"].isin(AREA_KINDS).to_numpy()
    placed = placed.assign(reach_m=np.where(area, AREA_REACH_M, REACH_M))
    return hotspots(share_over_reach(counts.rename(columns={"h3": "cell"}), placed, res))


@cached
def emerging_cells(
    engine: Engine,
    res: int,
    filters: IncidentFilter,
) -> pd.DataFrame:
    """The emerging hot-spot category of each cell over the months from the filters'
    start to their end (geodata.stats.emerging.emerging_hotspots; ObservatoryError with fewer than
    ten months)."""
    counts = cell_month_counts(engine, res, filters)
    first, last = pd.Timestamp(filters.start), pd.Timestamp(filters.end)
    months = pd.period_range(first, last, freq="M").to_timestamp()
    return emerging_hotspots(counts, months=list(months))
