"""The map page's reads against a real PostGIS, checked against the template rows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from geodata.h3grid import points_to_cell_columns
from geodata.queries import maps
from tests.test_dashboard_map import LAST_DAY, _load, _template_rows


@pytest.fixture
def loaded(empty_db, tmp_path):
    _load(empty_db, tmp_path)
    return empty_db


def _expected(start: date, end: date, categories: tuple[str, ...] = ()):
    rows = _template_rows()
    day = rows["occurred_on"].map(date.fromisoformat)
    keep = (day >= start) & (day <= end)
    if categories:
        keep &= rows["category"].isin(categories)
    return rows[keep]


def test_reads_agree_with_the_rows_that_were_loaded(loaded):
    start, end = date(2024, 1, 1), date(2024, 3, 31)
    rows = _expected(start, end, ("theft", "assault"))
    cells = points_to_cell_columns(rows["latitude"].to_numpy(), rows["longitude"].to_numpy())[8]
    expected = dict(zip(*np.unique(cells, return_counts=True), strict=True))

    counts = maps.hex_counts(loaded, 8, start, end, ("theft", "assault"))
    assert counts.dtypes.to_dict() == {"h3": np.dtype("int64"), "count": np.dtype("int64")}
    assert dict(zip(counts["h3"], counts["count"], strict=True)) == expected

    numbers = maps.headline_numbers(loaded, start, end, ("theft", "assault"))
    top = rows["category"].value_counts()
    assert numbers["incidents"] == numbers["placed"] == len(rows)
    assert numbers["placed_share"] == 1.0 and numbers["wards"] == 2
    assert (numbers["top_category"], numbers["top_category_count"]) == (top.index[0], top.iloc[0])

    by_category = maps.category_counts(loaded, start, end)
    assert dict(zip(by_category["category"], by_category["count"], strict=True)) == (
        _expected(start, end)["category"].value_counts().to_dict()
    )
    assert maps.date_bounds(loaded)[1] == LAST_DAY


def test_reads_of_an_empty_database_say_so(empty_db):
    assert maps.date_bounds(empty_db) == (None, None)
    assert maps.hex_counts(empty_db, 8, None, None).empty
    numbers = maps.headline_numbers(empty_db, None, None)
    assert numbers["incidents"] == 0 and numbers["placed_share"] is None
    assert numbers["top_category"] is None
    with pytest.raises(ValueError, match="resolution"):
        maps.hex_counts(empty_db, 6, None, None)
