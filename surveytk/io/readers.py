"""Read any delivered file into a :class:`~surveytk.io.delivered_frame.LabelledFrame`.

:func:`read_file` is the one entry point (``surveytk.read_file``). It checks the
path, picks the reader by format, hashes the file's bytes in a background thread
while the reader parses, and adds the file facts. The format readers live in
:mod:`surveytk.io.read_stat` (SPSS, Stata), :mod:`surveytk.io.read_sas` (SAS
``.sas7bdat``, ``.xpt``), :mod:`surveytk.io.read_text` (CSV, TSV),
:mod:`surveytk.io.read_excel` (XLSX, XLS) and :mod:`surveytk.io.read_parquet`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from surveytk.errors import ReadError
from surveytk.io.delivered_frame import FileFormat, FileMeta, LabelledFrame
from surveytk.io.fileinfo import BackgroundHash, check_readable, detect_format
from surveytk.io.parsed import ParsedFile, ProgressCallback
from surveytk.io.read_text import read_delimited

__all__ = ["PROGRESS_BYTES", "read_file"]

#: files above this size get a progress bar on an interactive terminal
PROGRESS_BYTES: Final = 50 * 1024 * 1024


def read_file(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    format: str | None = None,
    columns: Sequence[str] | None = None,
    delimiter: str | None = None,
    progress: bool | None = None,
    sheet: str | int | None = None,
) -> LabelledFrame:
    """Read a survey data file with its metadata.

    Parameters
    ----------
    path
        A ``.sav``, ``.zsav``, ``.por``, ``.dta`` (releases 104–119), ``.sas7bdat``,
        ``.xpt``, ``.csv``, ``.tsv``, ``.xlsx``, ``.xls`` or ``.parquet`` file.
    encoding
        Text encoding. SPSS and SAS files declare theirs and Stata 118/119 files are
        UTF-8, so this is only needed for files whose text is in another encoding
        (for example ``"latin1"``); CSV/TSV are detected (UTF-8, UTF-16 and UTF-32,
        with or without byte-order mark) unless given.
    format
        Override the format implied by the extension (one of the extensions above,
        without the dot).
    columns
        Read only these variables (all by default); unknown names are an error.
    delimiter
        CSV/TSV field delimiter; sniffed among ``, ; \\t |`` when ``None``.
    progress
        Show a progress bar on stderr. ``None``: only for files over 50 MB when
        stderr is a terminal.
    sheet
        Workbook sheet by name or 1-based number; required for a workbook with
        several sheets. Only for ``.xlsx``/``.xls``.

    Returns
    -------
    LabelledFrame
        ``data`` holds values as delivered: codes, not labels; SPSS user-missing
        codes as their codes (declared in ``VariableMeta.missing_values`` /
        ``missing_ranges``); Stata extended missing values as the strings ``".a"`` …
        ``".z"`` and SAS special missing values as ``".A"`` … ``".Z"``, ``"._"``
        (listed in ``VariableMeta.extended_missing``) and system missing as
        ``NaN``; dates as ``datetime64``. :meth:`LabelledFrame.with_declared_missing_as_na`
        gives the analysis view with all declared missing values as ``NaN``. ``file``
        holds format, version, encoding, row and column counts and the SHA-256 of the
        file's bytes.

    Raises
    ------
    ReadError
        One line naming the file, the problem and what to do: not found, unknown
        extension, empty, truncated or corrupt, unsupported version, text not
        valid in the encoding, binary Stata strL content, a date variable beyond
        the years 1–9999, a workbook with several sheets and none chosen.

    Examples
    --------
    >>> lf = read_file("pl.dta")                      # doctest: +SKIP
    >>> lf.meta("plj0085_v1").value_labels[1]         # doctest: +SKIP
    '[1] Yes'
    """
    p = Path(path)
    size = check_readable(p)
    fmt = detect_format(p, format)
    if delimiter is not None and fmt not in ("csv", "tsv"):
        raise ReadError(
            f"{p}: a delimiter applies only to .csv/.tsv files, not .{fmt}",
            file=str(p),
            reason="bad_option",
        )
    if sheet is not None and fmt not in ("xlsx", "xls"):
        raise ReadError(
            f"{p}: a sheet applies only to .xlsx/.xls workbooks, not .{fmt}",
            file=str(p),
            reason="bad_option",
        )
    hasher = BackgroundHash(p)
    try:
        with _progress_bar(p, size, progress) as callback:
            parsed = _parse(
                p,
                fmt,
                encoding=encoding,
                columns=columns,
                delimiter=delimiter,
                progress=callback,
                sheet=sheet,
            )
    except BaseException:
        hasher.join()  # the parse error is the one to report
        raise
    return _assemble(p, fmt, parsed, hasher.result())


def _parse(
    path: Path,
    fmt: FileFormat,
    *,
    encoding: str | None,
    columns: Sequence[str] | None,
    delimiter: str | None,
    progress: ProgressCallback | None,
    sheet: str | int | None = None,
) -> ParsedFile:
    # the binary readers are imported here, so reading a CSV never imports pyreadstat,
    # python-calamine or pyarrow
    if fmt in ("sav", "zsav", "por"):
        from surveytk.io.read_stat import read_spss  # lazy: pyreadstat

        return read_spss(path, fmt, encoding=encoding, columns=columns, progress=progress)
    if fmt == "dta":
        from surveytk.io.read_stat import read_stata  # lazy: pyreadstat

        return read_stata(path, encoding=encoding, columns=columns, progress=progress)
    if fmt in ("sas7bdat", "xpt"):
        from surveytk.io.read_sas import read_sas  # lazy: pyreadstat

        return read_sas(path, fmt, encoding=encoding, columns=columns, progress=progress)
    if fmt in ("csv", "tsv"):
        return read_delimited(
            path, tab=fmt == "tsv", encoding=encoding, delimiter=delimiter, columns=columns
        )
    if fmt in ("xlsx", "xls"):
        from surveytk.io.read_excel import read_excel  # lazy: python-calamine

        return read_excel(path, sheet=sheet, columns=columns)
    from surveytk.io.read_parquet import read_parquet  # lazy: pyarrow.parquet

    return read_parquet(path, columns=columns)


def _assemble(path: Path, fmt: FileFormat, parsed: ParsedFile, sha: str) -> LabelledFrame:
    df = parsed.data
    info = FileMeta(
        path=str(path),
        format=fmt,
        format_version=parsed.format_version,
        encoding=parsed.encoding,
        n_rows=len(df),
        n_cols=df.shape[1],
        sha256=sha,
        file_label=parsed.file_label,
        notes=parsed.notes,
    )
    return LabelledFrame(data=df, variables=dict(parsed.variables), file=info)


def wants_progress(size: int, progress: bool | None) -> bool:
    """Whether to draw a progress bar: as asked, else for big files on a terminal."""
    if progress is not None:
        return progress
    return size > PROGRESS_BYTES and sys.stderr.isatty()


@contextlib.contextmanager
def _progress_bar(
    path: Path, size: int, progress: bool | None
) -> Iterator[ProgressCallback | None]:
    if not wants_progress(size, progress):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn("reading {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(path.name, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
