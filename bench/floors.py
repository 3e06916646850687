"""The limits each ETL figure is read against, measured on the same rows:

- H3: cells per second of the C library through h3-py, one call per point (what
  `geodata.h3grid.points_to_cells` does);
- COPY: rows per second of the same CSV file copied into an unindexed table of text
  columns, with no parsing, placing or hashing;
- point in polygon: ST_Covers through the wards' GiST index over the same points,
  alone, in the loader's form (a probe per point) and ward-major (a probe per ward);
  and GEOS in process (shapely's STRtree, prepared polygons) beside them.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import Engine, text

from bench.generate import Wards
from bench.report import Figure

_TEMPLATE_COLUMNS = 15


def h3_cells_per_second(lat: np.ndarray, lon: np.ndarray, label: str) -> Figure:
    from h3.api import basic_int

    to_cell = basic_int.latlng_to_cell
    started = time.perf_counter()
    cells = [to_cell(a, b, 9) for a, b in zip(lat.tolist(), lon.tolist(), strict=True)]
    seconds = time.perf_counter() - started
    assert len(cells) == len(lat)
    return Figure(
        f"floor.h3_cells.{label}",
        {"cells/s": len(lat) / seconds, "seconds": seconds},
        "h3-py latlng_to_cell, res 9, one call per point",
    )


def copy_rows_per_second(engine: Engine, path: Path, rows: int, label: str) -> Figure:
    columns = ", ".join(f"c{i} text" for i in range(_TEMPLATE_COLUMNS))
    data = path.read_bytes()
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TEMP TABLE bench_copy ({columns}) ON COMMIT DROP"))
        driver = conn.connection.driver_connection
        started = time.perf_counter()
        with (
            driver.cursor() as cursor,
            cursor.copy("COPY bench_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            view = memoryview(data)
            for start in range(0, len(view), 1 << 20):
                copy.write(view[start : start + (1 << 20)])
        seconds = time.perf_counter() - started
        copied = conn.execute(text("SELECT count(*) FROM bench_copy")).scalar_one()
    assert copied == rows, (copied, rows)
    return Figure(
        f"floor.copy.{label}",
        {"rows/s": rows / seconds, "seconds": seconds, "MB": len(data) / 1e6},
        "the CSV file into an unindexed table of text columns",
    )


def postgis_pip_per_second(engine: Engine, lat, lon, label: str) -> Figure:
    """The loader's ward assignment alone (geodata.incident_store.assign_wards: a GiST
    index on the staged points, one probe per ward, lowest code on a shared boundary),
    index build included, over a staging table holding only the points."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from geodata import incident_store
    from geodata.h3grid import parents, points_to_cells

    # Staged in H3 order, as incident_store.copy_stage stages them.
    order = np.argsort(parents(points_to_cells(lat, lon, 9), 7), kind="stable")
    frame = pd.DataFrame({"row": np.arange(len(lat)), "lat": lat[order], "lon": lon[order]})
    sink = pa.BufferOutputStream()
    pacsv.write_csv(
        pa.Table.from_pandas(frame, preserve_index=False),
        sink,
        pacsv.WriteOptions(include_header=False),
    )
    with engine.begin() as conn:
        incident_store.create_stage(conn)
        with (
            conn.connection.driver_connection.cursor() as cursor,
            cursor.copy('COPY stage_incidents ("row", lat, lon) FROM STDIN (FORMAT csv)') as copy,
        ):
            copy.write(sink.getvalue().to_pybytes())
        started = time.perf_counter()
        incident_store.assign_wards(conn)
        seconds = time.perf_counter() - started
        placed = conn.execute(text("SELECT count(*) FROM ward_of")).scalar_one()
    return Figure(
        f"floor.pip_postgis.{label}",
        {"rows/s": len(lat) / seconds, "seconds": seconds, "in_a_ward": placed / len(lat)},
        "the loader's ward assignment: one GiST probe per ward into the staged points",
    )


def geos_pip_per_second(wards: Wards, lat: np.ndarray, lon: np.ndarray, label: str) -> Figure:
    """Point in polygon in process: STRtree bounding boxes, then prepared covers."""
    started = time.perf_counter()
    tree = shapely.STRtree(wards.geoms)
    points = shapely.points(lon, lat)
    point_idx, ward_idx = tree.query(points)
    inside = shapely.intersects_xy(wards.geoms[ward_idx], lon[point_idx], lat[point_idx])
    ward = np.full(len(lat), -1)
    # Lowest code wins on a shared boundary, as in the loader: assign in reverse order.
    hits = np.flatnonzero(inside)
    ranks = np.argsort(np.argsort(wards.codes))[ward_idx[hits]]
    last_first = hits[np.argsort(-ranks, kind="stable")]
    ward[point_idx[last_first]] = ward_idx[last_first]
    seconds = time.perf_counter() - started
    return Figure(
        f"floor.pip_geos.{label}",
        {"rows/s": len(lat) / seconds, "seconds": seconds, "in_a_ward": (ward >= 0).mean()},
        "shapely STRtree + intersects_xy in process",
    )
