"""Size limits checked before a workbook or text table is parsed.

A 2 MB ``.xlsx`` can place one cell in row 3,000,000: calamine then builds a dense
range of every row and column up to it (minutes, gigabytes). A CSV header with a
million fields makes pandas allocate a million columns. Both are refused before
parsing, from what the file itself says: the cell references in the worksheet XML
(streamed, never loaded whole) and the fields of the header line.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from surveytk.errors import ReadError

#: Excel's own limits; a worksheet beyond them is damaged or hostile
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
#: most cells (rows × columns of the used range) read from one sheet
MAX_SHEET_CELLS = 50_000_000
#: most columns in a delimited text file (30,000 are read routinely)
MAX_TEXT_COLUMNS = 100_000
#: longest header line of a delimited text file
MAX_HEADER_BYTES = 32 * 1024 * 1024

_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,4})([0-9]{1,9})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="([0-9]{1,9})"')
_CHUNK = 1 << 20


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _used_range(archive: zipfile.ZipFile, member: str) -> tuple[int, int]:
    """The largest row and column any cell of ``member`` names (streamed in 1 MB chunks)."""
    rows = cols = 0
    tail = b""
    with archive.open(member) as f:
        while chunk := f.read(_CHUNK):
            data = tail + chunk
            for m in _CELL_REF.finditer(data):
                cols = max(cols, _column_number(m.group(1)))
                rows = max(rows, int(m.group(2)))
            for m in _ROW_REF.finditer(data):
                rows = max(rows, int(m.group(1)))
            tail = data[-256:]
    return rows, cols


def check_xlsx_size(path: Path) -> None:
    """Refuse an ``.xlsx``/``.xlsm`` whose worksheets reach beyond Excel's limits or
    :data:`MAX_SHEET_CELLS`; a file that is no ZIP is left to the reader's own error."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with archive:
        for info in archive.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            try:
                rows, cols = _used_range(archive, info.filename)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError):
                return  # damaged: the reader reports it
            if rows > EXCEL_MAX_ROWS or cols > EXCEL_MAX_COLUMNS or rows * cols > MAX_SHEET_CELLS:
                raise ReadError(
                    f"{path}: a worksheet reaches row {rows:,} and column {cols:,} "
                    f"({rows * cols:,} cells); surveytk reads sheets within Excel's limits "
                    f"and up to {MAX_SHEET_CELLS:,} cells — save the data as CSV or Parquet",
                    file=str(path),
                    reason="too_large",
                )


def check_header_width(path: Path, sep: str, encoding: str) -> None:
    """Refuse a delimited text file whose header has more than :data:`MAX_TEXT_COLUMNS`
    fields (or is longer than :data:`MAX_HEADER_BYTES`), before pandas allocates them."""
    with path.open("rb") as f:
        line = f.readline(MAX_HEADER_BYTES + 1)
    if len(line) > MAX_HEADER_BYTES:
        raise ReadError(f"{path}: the header line is longer than {MAX_HEADER_BYTES:,} bytes; "
                        "this is no table surveytk can read", file=str(path), reason="too_large")
    n = line.count(sep.encode(encoding, errors="ignore") or b",") + 1
    if n > MAX_TEXT_COLUMNS:
        raise ReadError(f"{path}: the header has {n:,} fields; surveytk reads up to "
                        f"{MAX_TEXT_COLUMNS:,} columns — split the file", file=str(path),
                        reason="too_large")
