"""Reading agency files (CSV or XLSX) into a frame of text cells.

Only template columns come out: cells of personal-identifier and other columns are
dropped as the file is parsed (the CSV parser must see every cell to notice a row
with too many), so they never reach normalisation, the database, a log line or an
error message. Every cell comes back as text ("" when empty); `row` is the row
number the clerk sees in a spreadsheet (header = 1).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd

from etl.headers import HeaderMap, map_headers
from geodata.errors import ObservatoryError

_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_SEPARATORS = (",", ";", "\t", "|")
_ZIP_MAGIC = b"PK\x03\x04"
# Cells a row may have beyond the header before the parser gives up: empty ones are
# Excel's trailing separators, others a clerk's unquoted separator.
_SPARE_CELLS = 32


@dataclass
class RawTable:
    frame: pd.DataFrame  # template column names + `row`; every cell text
    headers: HeaderMap
    sha256: str
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None


def read_table(path: Path) -> RawTable:
    """Read a CSV or XLSX file in the observatory template."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ObservatoryError(f"{path.name}: no such file ({path}).") from None
    except OSError as exc:
        raise ObservatoryError(f"{path.name}: cannot be read ({exc.strerror}).") from None
    sha256 = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix in _XLSX_SUFFIXES or (suffix in _CSV_SUFFIXES and data.startswith(_ZIP_MAGIC)):
        return _read_xlsx(path, sha256)
    if suffix in _CSV_SUFFIXES:
        return _read_csv(path, data, sha256)
    if suffix in {".xls", ".ods", ".numbers"}:
        raise ObservatoryError(
            f"{path.name}: {suffix} files are not read; open it and save it as .xlsx or CSV."
        )
    raise ObservatoryError(f"{path.name}: not a CSV or XLSX file; save it as .xlsx or CSV.")


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when valid, else what Excel on Windows writes."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is None:
        raise ObservatoryError("the file's text encoding is not recognised; save it as CSV UTF-8.")
    return best.encoding


def sniff_separator(header_line: str) -> str:
    """The separator the header row uses most, outside quoted names."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {sep: unquoted.count(sep) for sep in _SEPARATORS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _read_csv(path: Path, data: bytes, sha256: str) -> RawTable:
    try:
        encoding = detect_encoding(data)
    except ObservatoryError as exc:
        raise ObservatoryError(f"{path.name}: {exc}") from None
    head = data[:65536].decode(encoding, errors="ignore").lstrip("\ufeff")
    first_line = head.splitlines()[0] if head.strip() else ""
    if not first_line.strip():
        raise ObservatoryError(f"{path.name}: the file is empty; the first row must be the header.")
    separator = sniff_separator(first_line)
    header_row = next(csv.reader(io.StringIO(head), delimiter=separator))
    headers = map_headers(header_row)
    positions = headers.positions()
    frame = _csv_frame(path, data, encoding, separator, positions, len(header_row))
    names = {pos: col for col, pos in headers.columns.items()}
    frame.columns = [names[pos] for pos in positions]
    frame.insert(0, "row", range(2, len(frame) + 2))
    return RawTable(frame, headers, sha256, encoding=encoding, separator=separator)


def _csv_frame(
    path: Path, data: bytes, encoding: str, separator: str, positions: list[int], width: int
) -> pd.DataFrame:
    if not positions:  # nothing of the template: the required-column check explains
        return pd.DataFrame()
    import pyarrow as pa

    try:
        return _arrow_csv(data, encoding, separator, positions, width)
    except pa.ArrowInvalid:
        # Blank lines, short or long rows: the exact (slower) parser numbers rows as
        # a spreadsheet does and names the row at fault. Arrow's message is not
        # repeated: it quotes the row's cells.
        return _pandas_csv(path, data, encoding, separator, positions, width)


def _arrow_csv(
    data: bytes, encoding: str, separator: str, positions: list[int], width: int
) -> pd.DataFrame:
    """The fast path, for files whose every row has exactly the header's cells."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if encoding == "utf-8-sig":
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    names = [f"c{i}" for i in range(width)]
    wanted = [names[p] for p in positions]
    table = pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, encoding=encoding),
        parse_options=pacsv.ParseOptions(
            delimiter=separator, newlines_in_values=True, ignore_empty_lines=False
        ),
        convert_options=pacsv.ConvertOptions(
            include_columns=wanted,
            column_types=dict.fromkeys(wanted, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    frame = table.to_pandas()
    frame.columns = positions
    return frame.astype(str)


def _pandas_csv(
    path: Path, data: bytes, encoding: str, separator: str, positions: list[int], width: int
) -> pd.DataFrame:
    try:
        # No `usecols`: with it pandas silently drops the extra cells of a row with an
        # unquoted separator, shifting nothing but hiding the clerk's mistake.
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=separator,
            encoding=encoding,
            header=None,
            skiprows=1,
            names=range(width + _SPARE_CELLS),
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        # Only pandas' own wording about cell counts is repeated: never a cell's text.
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if match:
            _, line, saw = match.groups()
            raise ObservatoryError(
                f"{path.name}: line {line} has {saw} cells but the header has {width}; "
                f"put quotes around values that contain {separator!r}, or remove the extra cells."
            ) from None
        raise ObservatoryError(
            f"{path.name}: could not be read as CSV (check for an unclosed quote)."
        ) from None
    except UnicodeDecodeError:
        raise ObservatoryError(
            f"{path.name}: mixes text encodings; save it again as CSV UTF-8."
        ) from None
    except pd.errors.EmptyDataError:  # a header row and nothing else
        return pd.DataFrame({pos: pd.Series(dtype=str) for pos in positions})
    extra = frame.iloc[:, width:].ne("").any(axis=1)  # trailing empty cells are harmless
    if extra.any():
        rows = ", ".join(str(i + 2) for i in extra[extra].index[:5])
        raise ObservatoryError(
            f"{path.name}: row {rows} has more cells than the header ({width}); put quotes "
            f"around values that contain {separator!r}, or remove the extra cells."
        )
    return frame[positions]


def _read_xlsx(path: Path, sha256: str) -> RawTable:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure means the same thing to a clerk
        raise ObservatoryError(
            f"{path.name}: is not a readable .xlsx workbook; open it and save it again "
            "as .xlsx or CSV."
        ) from None
    try:
        sheet = _pick_sheet(workbook)
        rows = sheet.iter_rows(values_only=True)
        header_number, header_row = _header_row(rows)
        if header_row is None:
            raise ObservatoryError(f"{path.name}: sheet {sheet.title!r} is empty.")
        headers = map_headers(header_row)
        columns = sorted(headers.columns.items(), key=lambda item: item[1])
        cells: dict[str, list[str]] = {name: [] for name, _ in columns}
        numbers: list[int] = []
        for number, values in enumerate(rows, start=header_number + 1):
            numbers.append(number)
            width = len(values)
            for name, pos in columns:
                cells[name].append(cell_text(values[pos]) if pos < width else "")
    finally:
        workbook.close()
    frame = pd.DataFrame(cells, dtype=str)
    frame.insert(0, "row", numbers)
    return RawTable(frame, headers, sha256, sheet=sheet.title)


def _header_row(rows) -> tuple[int, list[str] | None]:
    """The first row with any value (and its number); later rows stay in `rows`."""
    for number, values in enumerate(rows, start=1):
        if any(v not in (None, "") for v in values):
            return number, [cell_text(v) for v in values]
    return 0, None


def _pick_sheet(workbook):
    for sheet in workbook.worksheets:
        if sheet.title.strip().lower() == "incidents":
            return sheet
    return workbook.worksheets[0]


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would hold (dates ISO, whole numbers
    without `.0`), so CSV and XLSX cells take the same parsing path."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.year < 1900:  # a time-only cell that Excel anchors at day 0
            return value.strftime("%H:%M:%S")
        if value.time() == time(0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
