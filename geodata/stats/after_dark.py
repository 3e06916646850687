"""After-dark lens (issue #5): for each H3 cell, the share of its incidents that
happened after dark, whether a lighting action covers it, and the "dark hot spots
with no light planned".

Darkness is sunset to sunrise at the incident's place and date
(`geodata.stats.daylight`; `dark_probability` wraps it). The functions here take it as
an array `after_dark`: a flag, or for incidents known only as a time window the
probability (0 to 1) that it happened in the dark, or NaN when the time of day is
unknown. Shares are (expected) dark counts over incidents of known time.

Near the equator night lasts about 12 hours all year, so crime spread evenly over the
clock gives a share near 0.5; the default threshold (0.6) asks for clearly more.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import numpy as np
import pandas as pd
from h3.api import basic_int as h3i

from geodata.stats.daylight import daylight_share

MIN_COUNT = 10
MIN_SHARE = 0.6


def lit_cells(lighting: Iterable[Collection[int]], reach: int = 0) -> set[int]:
    """Cells covered by any lighting action (each given as its cells), widened by
    `reach` rings of neighbours when lights are known to reach further."""
    covered = {int(c) for cells in lighting for c in cells}
    if reach > 0:
        covered = set().union(*(h3i.grid_disk(c, reach) for c in covered)) if covered else set()
    return covered


def dark_probability(incidents: pd.DataFrame) -> np.ndarray:
    """Per incident, the share of its time window that lay in darkness (0 to 1; NaN
    for date-only incidents and those with no position). `incidents`: columns
    occurred_from, occurred_to, time_known, lat, lon."""
    light = daylight_share(
        incidents["occurred_from"],
        incidents["occurred_to"],
        incidents["time_known"],
        incidents["lat"].to_numpy(float),
        incidents["lon"].to_numpy(float),
    )
    return 1.0 - light


def after_dark_shares(cells: np.ndarray, after_dark: np.ndarray) -> pd.DataFrame:
    """Per cell: incidents, known (with a usable time), after_dark (count, or
    expected count from probabilities), share = after_dark / known, and lift (share
    / the share over all cells; above 1 = darker than the area as a whole). NaN in
    `after_dark` means unknown (no time of day): counted in incidents, not in known.
    Sorted by after_dark, most first, ties to the lower cell id."""
    cells = np.asarray(cells, dtype=np.int64)
    dark = np.asarray(after_dark, dtype=float)
    if dark.shape != cells.shape:
        raise ValueError("cells and after_dark must have the same length")
    known = ~np.isnan(dark)
    if (dark[known] < 0).any() or (dark[known] > 1).any():
        raise ValueError("after_dark must be flags or probabilities between 0 and 1")
    frame = pd.DataFrame({"cell": cells, "known": known, "after_dark": np.where(known, dark, 0)})
    table = frame.groupby("cell", as_index=False).agg(
        incidents=("known", "size"), known=("known", "sum"), after_dark=("after_dark", "sum")
    )
    return shares_from_sums(table, dark[known].mean() if known.any() else np.nan)


def shares_from_sums(table: pd.DataFrame, overall: float) -> pd.DataFrame:
    """`after_dark_shares`' table from per-cell sums already made (columns cell,
    incidents, known, after_dark; geodata.queries.after_dark sums them in the
    database) and `overall`, the after-dark share over every incident of known time."""
    table = table[["cell", "incidents", "known", "after_dark"]].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share"] = table["after_dark"] / table["known"].where(table["known"] > 0)
    table["lift"] = table["share"] / overall if overall and not np.isnan(overall) else np.nan
    return table.sort_values("cell").sort_values("after_dark", ascending=False, kind="mergesort")


def after_dark_lens(
    cells: np.ndarray, after_dark: np.ndarray, lighting: Iterable[Collection[int]], reach: int = 0
) -> pd.DataFrame:
    """`after_dark_shares` with a boolean column `lit`: a lighting action covers it."""
    return with_lighting(after_dark_shares(cells, after_dark), lighting, reach)


def with_lighting(
    table: pd.DataFrame, lighting: Iterable[Collection[int]], reach: int = 0
) -> pd.DataFrame:
    """A shares table with a boolean column `lit`: a lighting action covers the cell."""
    covered = lit_cells(lighting, reach)
    table["lit"] = table["cell"].isin(list(covered))
    return table.reset_index(drop=True)


def dark_hotspots_unlit(
    lens: pd.DataFrame, min_count: int = MIN_COUNT, min_share: float = MIN_SHARE
) -> pd.DataFrame:
    """Cells with at least `min_count` incidents of known time, an after-dark share above
    `min_share`, and no lighting action: where a light would meet the most dark
    crime. `lens` as from `after_dark_lens`; same order (most dark crime first)."""
    keep = (lens["known"] >= min_count) & (lens["share"] > min_share) & ~lens["lit"]
    return lens[keep].reset_index(drop=True)
