"""Reading a spreadsheet file into headers and rows of text: CSV, gzip-compressed CSV, XLSX.

The format is decided by the file's first bytes (a zip archive is an XLSX workbook, gzip is a
compressed CSV), then by its extension. CSV text is decoded as UTF-8 (with or without a BOM,
``utf-8-sig``) and, failing that, as Windows-1252, the encoding Excel writes on Windows.
Quoted cells may span several lines (the OMB COTS file has them).
"""

import csv
import datetime
import gzip
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import ImportFileError

_ZIP_MAGIC = b"PK\x03\x04"
_GZIP_MAGIC = b"\x1f\x8b"
_CSV_SUFFIXES = {".csv", ".txt", ".tsv", ""}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass
class Table:
    """A sheet as text.

    Attributes:
        headers: the header cells, stripped, in column order; a repeated header gets a
            suffix (``"Name (2)"``) so that every row can be a dict.
        rows: one dict per non-blank data row, header -> stripped-of-nothing cell text
            (``""`` for an empty cell). Entirely blank rows are skipped.
        row_numbers: the spreadsheet row number of each row (the header is row 1).
        sha256: hex digest of the file's bytes as stored (compressed if it is compressed).
        file_format: ``"csv"``, ``"csv.gz"`` or ``"xlsx"``.
    """

    headers: list[str]
    rows: list[dict[str, str]]
    row_numbers: list[int]
    sha256: str
    file_format: str


def table_read(path) -> Table:
    """Read the first sheet of ``path`` (CSV, ``.csv.gz`` or XLSX).

    Returns:
        A ``Table``; its first row gave the headers.

    Raises:
        ImportFileError: the file is missing, empty, not CSV/XLSX, not decodable, or has
            headers and no data rows.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise ImportFileError(f"{path.name}: the file is empty")
    suffixes = [s.lower() for s in path.suffixes]
    suffix = suffixes[-1] if suffixes else ""

    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ImportFileError(f"{path.name}: not a readable gzip file ({exc})") from None
        if data.startswith(_ZIP_MAGIC):
            raise ImportFileError(f"{path.name}: compressed workbooks are not supported; give the .xlsx")
        headers, cells = _csv_cells(data, path.name)
        file_format = "csv.gz"
    elif data.startswith(_ZIP_MAGIC):
        headers, cells = _xlsx_cells(data, path.name)
        file_format = "xlsx"
    elif suffix == ".xls":
        raise ImportFileError(f"{path.name}: old Excel .xls files are not supported; save it as .xlsx or CSV")
    elif suffix in _XLSX_SUFFIXES:
        raise ImportFileError(f"{path.name}: not a valid XLSX workbook")
    elif suffix not in _CSV_SUFFIXES:
        raise ImportFileError(f"{path.name}: not a CSV or XLSX file (expected .csv, .csv.gz or .xlsx)")
    else:
        headers, cells = _csv_cells(data, path.name)
        file_format = "csv"
    return _table(headers, cells, digest, file_format, path.name)


def _table(header_cells, cells, digest, file_format, name) -> Table:
    headers = _unique_headers([_clean_header(h) for h in header_cells])
    if not any(headers):
        raise ImportFileError(f"{name}: the first row holds no column headers")
    rows, numbers = [], []
    width = len(headers)
    for number, row in cells:
        if not any(cell.strip() for cell in row):
            continue
        row = list(row[:width]) + [""] * (width - len(row))
        rows.append({h: v for h, v in zip(headers, row, strict=True) if h})
        numbers.append(number)
    if not rows:
        raise ImportFileError(f"{name}: the file has headers but no data rows")
    return Table(
        headers=[h for h in headers if h],
        rows=rows,
        row_numbers=numbers,
        sha256=digest,
        file_format=file_format,
    )


def _clean_header(value) -> str:
    return " ".join(str(value or "").replace("\ufeff", "").split())


def _unique_headers(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        if not h:
            out.append("")
            continue
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    return out


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:65536]:
        raise ImportFileError(f"{name}: not a CSV or XLSX file (it holds binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(f"{name}: the text is neither UTF-8 nor Windows-1252") from None


def _csv_cells(data: bytes, name: str):
    text = _decode(data, name)
    first_line = text.split("\n", 1)[0]
    # Excel in many locales writes ";"-separated files; pick the separator of the header line.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError(f"{name}: the file is empty") from None
    except csv.Error as exc:
        raise ImportFileError(f"{name}: not a readable CSV file ({exc})") from None
    cells = []
    try:
        for index, row in enumerate(reader):
            cells.append((index + 2, row))
    except csv.Error as exc:
        raise ImportFileError(f"{name}: not a readable CSV file ({exc})") from None
    return headers, cells


def _xlsx_cells(data: bytes, name: str):
    import openpyxl  # imported here: only XLSX imports pay for it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(f"{name}: not a valid XLSX workbook ({exc})") from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(f"{name}: the workbook has no sheet")
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        try:
            headers = [_xlsx_text(v) for v in next(rows)]
        except StopIteration:
            raise ImportFileError(f"{name}: the first sheet is empty") from None
        cells = [(index + 2, [_xlsx_text(v) for v in row]) for index, row in enumerate(rows)]
    finally:
        workbook.close()
    return headers, cells


def _xlsx_text(value) -> str:
    """A cell as the text a person sees in it (dates as ISO, 3.0 as 3)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
