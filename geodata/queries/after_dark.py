"""Reads behind the after-dark lens: per resolution-9 cell, incidents, those of known
time and the (expected) number after dark, summed from incident_cells_daily, whose
daylight and darkness columns hold each incident's share of its time window in
daylight and in darkness (geodata.aggregates). Summing a year of a million incidents
there takes a fraction of a second; the sun for every raw incident took seconds.

Counts follow the count unit the aggregates were built with
(geodata.aggregates.count_unit), as every analytics page does.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, text

from geodata.cache import cached
from geodata.queries.analytics import build_query
from geodata.queries.filters import IncidentFilter

LENS_COLUMNS = ("cell", "incidents", "known", "after_dark", "overall")


@cached
def cell_darkness(
    engine: Engine,
    start: date,
    end: date,
    categories: tuple[str, ...] = (),
    wards: tuple[str, ...] = (),
    min_known: float = 0.0,
) -> pd.DataFrame:
    """From `start` to `end` (inclusive days) per placed cell with at least
    `min_known` incidents of known time: cell (int64), incidents, known, after_dark,
    and overall, the after-dark share over every cell (the same in each row; NaN
    when no incident has a time). Ordered by cell.

    Most cells of a national year hold one or two incidents: `min_known` leaves them
    in the database, while the share over all of them still counts every cell."""
    q = build_query(IncidentFilter(start, end, categories, wards=wards))
    grouped = q.also("h3_9 IS NOT NULL").select(
        "h3_9 AS cell, sum(n) AS incidents, sum(daylight + darkness) AS known, "
        "sum(darkness) AS after_dark",
        group="h3_9",
    )
    sql = f"""
        WITH cells AS ({grouped}),
        shared AS (
            SELECT *, sum(after_dark) OVER () / nullif(sum(known) OVER (), 0) AS overall
            FROM cells
        )
        SELECT cell, incidents, known, after_dark, overall FROM shared
        WHERE known >= :min_known ORDER BY cell
    """
    with engine.connect() as conn:
        frame = pd.read_sql(text(sql), conn, params={**q.params, "min_known": float(min_known)})
    if frame.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c == "cell" else "float64") for c in LENS_COLUMNS}
        )
    return frame.astype({"cell": "int64", **dict.fromkeys(LENS_COLUMNS[1:], "float64")})
