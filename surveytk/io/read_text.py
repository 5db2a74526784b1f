"""Delimited text (.csv, .tsv) and Excel (.xlsx) files.

These formats carry no labels or missing-value declarations, so every variable
gets an empty :class:`VariableMeta` apart from its name and storage. Text files
are decoded as UTF-8 (with or without byte-order mark) unless an encoding is
given; a file that is not valid UTF-8 is refused with a pointer to ``--encoding``
rather than guessed at.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import pandas as pd

from surveytk.errors import ReadError
from surveytk.io.labelled import Storage, VariableMeta
from surveytk.io.parsed import ParsedFile

#: candidate delimiters, in order of preference when the sniffer is undecided
DELIMITERS: Final = (",", ";", "\t", "|")
SNIFF_BYTES: Final = 64 * 1024
DECODE_CHUNK: Final = 1024 * 1024

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(path: Path, encoding: str | None = None) -> str:
    """The encoding to read ``path`` with: the given one, else UTF-8 (BOM-aware), checked.

    The whole file is decoded in chunks (without keeping the text) so that a
    stray byte deep in the file is reported now rather than as a parser error.

    Raises
    ------
    ReadError
        The bytes are not valid in that encoding, or the encoding is unknown.
    """
    if encoding is None:
        with path.open("rb") as fh:
            head = fh.read(4)
        encoding = next((name for bom, name in _BOMS if head.startswith(bom)), "utf-8")
        given = False
    else:
        given = True
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError as exc:
        raise ReadError(
            f"{path}: unknown encoding {encoding!r}; give a Python codec name, "
            "e.g. --encoding utf-8, latin1 or cp1251",
            file=str(path),
            value=encoding,
            reason="encoding",
        ) from exc
    offset = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(DECODE_CHUNK):
                decoder.decode(chunk)
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        what = f"in the given encoding {encoding!r}" if given else "UTF-8"
        raise ReadError(
            f"{path}: the text is not valid {what} (first bad byte at byte offset "
            f"{offset + exc.start}); give the file's encoding with --encoding ENC "
            "(Python: encoding=...), e.g. --encoding cp1252, latin1 or cp1251",
            file=str(path),
            value=encoding,
            reason="encoding",
        ) from exc
    return encoding


def sniff_delimiter(path: Path, encoding: str) -> str:
    """The delimiter among ``, ; \\t |`` that the first lines of the file use."""
    with path.open("r", encoding=encoding, newline="") as fh:
        sample = fh.read(SNIFF_BYTES)
    lines = [ln for ln in sample.splitlines() if ln.strip()][:50]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_delimited(
    path: Path,
    *,
    tab: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    columns: Sequence[str] | None = None,
) -> ParsedFile:
    """Read a .csv or .tsv file with a header line.

    Parameters
    ----------
    path
        The file.
    tab
        The file is a .tsv: tab is the delimiter unless ``delimiter`` says otherwise.
    encoding
        Text encoding; detected (UTF-8 with or without BOM) when ``None``.
    delimiter
        Field delimiter; sniffed among ``, ; \\t |`` when ``None``.
    columns
        Read only these columns.

    Returns
    -------
    ParsedFile
        Columns typed by pandas' inference (empty fields and ``NA`` become missing);
        ``encoding`` is the one used, ``format_version`` is ``None``.
    """
    enc = detect_encoding(path, encoding)
    sep = delimiter or ("\t" if tab else sniff_delimiter(path, enc))
    try:
        df = pd.read_csv(path, sep=sep, encoding=enc, usecols=_usecols(columns))
    except pd.errors.EmptyDataError as exc:
        raise ReadError(
            f"{path}: no header line and no data; the file is empty", file=str(path), reason="empty"
        ) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise ReadError(
            f"{path}: malformed delimited text with delimiter {sep!r} "
            f"({_first_line(exc)}); fix the file or pass --delimiter",
            file=str(path),
            reason="corrupt",
        ) from exc
    return ParsedFile(
        data=df,
        variables=_plain_variables(df),
        format_version=None,
        encoding=enc,
        notes=(f"delimiter {sep!r}",),
    )


def read_xlsx(path: Path, *, columns: Sequence[str] | None = None) -> ParsedFile:
    """Read the first sheet of an .xlsx workbook (header in the first row)."""
    try:
        df = pd.read_excel(path, sheet_name=0, engine="openpyxl", usecols=_usecols(columns))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise ReadError(
            f"{path}: truncated or corrupt .xlsx workbook ({_first_line(exc)}); "
            "fetch the file again or re-save it from Excel",
            file=str(path),
            reason="corrupt",
        ) from exc
    df.columns = [str(c) for c in df.columns]
    return ParsedFile(data=df, variables=_plain_variables(df), format_version=None, encoding=None)


def _usecols(columns: Sequence[str] | None) -> list[str] | None:
    return list(columns) if columns is not None else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _plain_variables(df: pd.DataFrame) -> dict[str, VariableMeta]:
    return {
        str(name): VariableMeta(name=str(name), storage=storage_of(df[name])) for name in df.columns
    }


def storage_of(col: pd.Series) -> Storage:
    """Storage of an unlabelled column from its dtype."""
    kind = col.dtype.kind
    if kind == "M":
        return "datetime"
    if kind == "m":
        return "time"
    if kind in "biufc":
        return "numeric"
    return "string"
