"""Delimited text files (.csv, .tsv).

These formats carry no labels or missing-value declarations, so every variable
gets an empty :class:`VariableMeta` apart from its name and storage. The encoding
is the one given, else detected (:func:`detect_encoding`): a byte-order mark
(UTF-8, UTF-16, UTF-32), else the NUL-byte pattern of UTF-16/UTF-32 without one,
else UTF-8. A file that is not valid in that encoding is refused with a pointer to
``--encoding`` rather than guessed at.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import pandas as pd

from surveytk.errors import ReadError
from surveytk.io.delivered_frame import Storage, VariableMeta
from surveytk.io.parsed import ParsedFile, check_columns_present
from surveytk.io.xlsx_limits import check_header_width

#: candidate delimiters, in order of preference when the sniffer is undecided
DELIMITERS: Final = (",", ";", "\t", "|")
SNIFF_BYTES: Final = 64 * 1024
DECODE_CHUNK: Final = 1024 * 1024

#: byte-order marks, longest first (the UTF-32-LE mark starts with the UTF-16-LE one)
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: bytes looked at to recognise UTF-16/UTF-32 without a byte-order mark
DETECT_BYTES: Final = 64 * 1024
#: share of ASCII characters (delimiters, digits, line ends) a text table surely has
_MIN_ZERO_SHARE: Final = 0.05


def detect_encoding(path: Path, encoding: str | None = None) -> str:
    """The encoding to read ``path`` with: the given one, else detected; checked.

    Detection: a byte-order mark names UTF-8, UTF-16 or UTF-32; without one, the
    positions of NUL bytes give UTF-16 or UTF-32 and their byte order (every ASCII
    character — each delimiter, digit and line end — has NUL high bytes there);
    otherwise UTF-8. The whole file is then decoded in chunks (without keeping the
    text) so that a stray byte deep in the file is reported now rather than as a
    parser error.

    Raises
    ------
    ReadError
        The bytes are not valid in that encoding, the encoding is unknown, or the
        file holds NUL bytes in no pattern of a Unicode encoding.
    """
    if encoding is None:
        with path.open("rb") as fh:
            head = fh.read(DETECT_BYTES)
        bom = next((name for bom, name in _BOMS if head.startswith(bom)), None)
        encoding = bom or _wide_encoding(path, head) or "utf-8"
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


def _wide_encoding(path: Path, head: bytes) -> str | None:
    """UTF-16/UTF-32 (with byte order) from where the NUL bytes fall; ``None`` if there are none.

    Raises
    ------
    ReadError
        NUL bytes that fit no Unicode encoding (a binary file, or a damaged one).
    """
    if b"\x00" not in head:
        return None
    n = len(head) - len(head) % 4
    if n >= 4:
        zeros = [head[i:n:4].count(0) / (n // 4) for i in range(4)]
        patterns = (
            ("utf-32-le", (1, 2, 3), (0,)),
            ("utf-32-be", (0, 1, 2), (3,)),
            ("utf-16-le", (1, 3), (0, 2)),
            ("utf-16-be", (0, 2), (1, 3)),
        )
        for name, nul, text in patterns:
            if min(zeros[i] for i in nul) >= _MIN_ZERO_SHARE and max(
                zeros[i] for i in text
            ) < _MIN_ZERO_SHARE / 5:
                return name
    raise ReadError(
        f"{path}: the file holds NUL bytes in no pattern of UTF-8, UTF-16 or UTF-32, so it "
        "is not a text table (or it is damaged); check the file, or give its encoding with "
        "--encoding ENC",
        file=str(path),
        reason="encoding",
    )


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
    check_header_width(path, sep, enc)
    try:
        if columns is not None:  # name absent columns, not pandas' "Usecols do not match"
            header = pd.read_csv(path, sep=sep, encoding=enc, nrows=0).columns
            check_columns_present(path, list(columns), {str(c) for c in header})
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
        variables=plain_variables(df),
        format_version=None,
        encoding=enc,
        notes=(f"delimiter {sep!r}",),
    )


def _usecols(columns: Sequence[str] | None) -> list[str] | None:
    return list(columns) if columns is not None else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def plain_variables(df: pd.DataFrame) -> dict[str, VariableMeta]:
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
