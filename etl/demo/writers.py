"""Agency files on disk, byte for byte the same for the same seed: CSV in UTF-8,
UTF-8 with BOM or Windows-1252 with semicolons, and one XLSX; one file per agency
per quarter, half-year or year; a few planted bad rows that ingest must quarantine.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from etl.demo.agencies import Agency
from etl.demo.dialects import BUILDERS, DIALECTS, Dialect
from etl.demo.formats import impossible_date
from geodata.categories import classify

# (dialect, file number, what is wrong): rows the ETL must quarantine.
BAD_ROWS = (
    ("police_a", 1, "missing record_ref"),
    ("police_a", 3, "impossible date"),
    ("police_b", 0, "impossible date"),
    ("police_b", 2, "missing record_ref"),
    ("police_c", 1, "impossible date"),
    ("health", 2, "impossible date"),
    ("chief", 0, "missing date"),
    ("rescue", 0, "unreadable date"),
    ("children", 0, "missing category"),
)
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


@dataclass
class AgencyFiles:
    agency: Agency
    paths: list[Path] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)  # one per written row, for truth


def _month_index(values: pd.Series, start: date) -> np.ndarray:
    months = (values.dt.year - start.year) * 12 + values.dt.month - start.month
    return np.clip(months.to_numpy(), 0, 11)


def _corrupt(cells: dict[str, list], dialect: Dialect, pos: int, kind: str, day) -> None:
    if kind == "missing record_ref":
        cells[dialect.ref_header][pos] = ""
    elif kind == "impossible date":
        cells[dialect.date_header][pos] = impossible_date(pd.Timestamp(day), dialect.date_style)
    elif kind == "missing date":
        cells[dialect.date_header][pos] = ""
    elif kind == "unreadable date":
        cells[dialect.date_header][pos] = "not known"
    elif kind == "missing category":
        cells[dialect.category_header][pos] = ""


def _csv_bytes(headers: list[str], rows: list[list], dialect: Dialect) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.separator, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue().encode(dialect.encoding)


def _stable_zip(data: bytes) -> bytes:
    """The same archive with fixed entry times, so equal content gives equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def _xlsx_bytes(headers: list[str], rows: list[list], author: str, stamp: datetime) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Register"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, datetime):
                cell.number_format = "dd/mm/yyyy"
            elif isinstance(cell.value, time):
                cell.number_format = "hh:mm"
    book.properties.creator = author
    book.properties.created = book.properties.modified = stamp
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    return _stable_zip(buffer.getvalue())


def _file_name(agency: Agency, start: date, first: int, last: int, ext: str) -> str:
    def month(k: int) -> str:
        y, m = divmod(start.month - 1 + k, 12)
        return f"{start.year + y:04d}-{m + 1:02d}"

    return f"{agency.key}_{month(first)}_to_{month(last)}.{ext}"


def write_agency(
    rng: np.random.Generator,
    agency: Agency,
    records: pd.DataFrame,
    ward_names: dict[str, str],
    folder: Path,
    start: date,
) -> AgencyFiles:
    """Write one agency's files under `folder`; return them and one truth row per row."""
    dialect = DIALECTS[agency.dialect]
    recs = records.sort_values(["reported", "event_id"], kind="stable", ignore_index=True)
    cells, refs = BUILDERS[dialect.name](rng, recs, ward_names)
    headers = list(cells)
    span = 12 // dialect.files_per_year
    part = _month_index(recs["reported"], start) // span
    result = AgencyFiles(agency)
    for k in range(dialect.files_per_year):
        positions = np.flatnonzero(part == k)
        bad: dict[int, str] = {}
        for name, number, kind in BAD_ROWS:
            if name == dialect.name and number == k and len(positions) > 2:
                pos = int(positions[rng.integers(1, len(positions) - 1)])
                bad[pos] = kind
                _corrupt(cells, dialect, pos, kind, recs["occurred"].iloc[pos])
        rows = [[cells[h][p] for h in headers] for p in positions]
        as_dicts = recs.iloc[positions].to_dict("records")
        ext = dialect.file_format
        path = folder / _file_name(agency, start, k * span, (k + 1) * span - 1, ext)
        if ext == "xlsx":
            stamp = datetime(start.year, start.month, 1)
            data = _xlsx_bytes(headers, rows, agency.name, stamp)
        else:
            data = _csv_bytes(headers, rows, dialect)
        path.write_bytes(data)
        result.paths.append(path)
        for line, (pos, rec) in enumerate(zip(positions, as_dicts, strict=True), start=2):
            written_ref = cells[dialect.ref_header][pos]
            result.records.append(
                _truth_row(rec, path, line, refs[pos], agency, bad.get(int(pos)), written_ref)
            )
    return result


def _truth_row(
    rec: dict, path: Path, line: int, ref: str, agency: Agency, bad, written_ref
) -> dict:
    text = str(rec["category_text"])
    has_gps = not np.isnan(rec["gps_lat"])
    return {
        "file": f"{path.parent.name}/{path.name}",
        "row": line,
        "record_ref": written_ref,
        "agency": agency.name,
        "event_id": rec["event_id"],
        "category_text": text,
        "category": classify(text) or "other",
        "true_category": rec["true_category"],
        "location_text": rec["location_text"],
        "place": rec["place"],
        "gps": bool(has_gps),
        "true_lat": float(rec["true_lat"]),
        "true_lon": float(rec["true_lon"]),
        "true_ward": rec["ward_code"],
        "quarantine": bad,
        **({"intended_ref": ref} if bad == "missing record_ref" else {}),
    }
