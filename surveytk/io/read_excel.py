"""Excel workbooks (.xlsx, .xlsm, .xls) through python-calamine.

calamine (Rust) reads both the XML workbooks of Excel 2007+ and the binary BIFF
files of Excel 97–2003, and is several times faster than openpyxl (which surveytk
keeps for writing). One sheet is read, with its header in the first row:

- ``sheet=None`` reads the only sheet of a one-sheet workbook; a workbook with
  several sheets is refused with the list of its sheets (a silent first sheet is the
  wrong table more often than not);
- ``sheet="Name"`` picks a sheet by name (exact, else the only case-insensitive match);
- ``sheet=2`` (or ``"2"`` when no sheet has that name) picks the second sheet, counting
  from 1 as readxl and Stata's ``import excel`` do.

Workbooks carry no value labels or missing-value declarations.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from surveytk.errors import ReadError
from surveytk.io.parsed import ParsedFile, check_columns_present
from surveytk.io.read_text import plain_variables
from surveytk.io.xlsx_limits import check_xlsx_size

SheetChoice = str | int | None


def read_excel(
    path: Path, *, sheet: SheetChoice = None, columns: Sequence[str] | None = None
) -> ParsedFile:
    """Read one sheet of a workbook (header in its first row).

    Parameters
    ----------
    path
        ``.xlsx``, ``.xlsm`` or ``.xls`` file.
    sheet
        Sheet name or 1-based number; required when the workbook has several sheets.
    columns
        Read only these columns.

    Raises
    ------
    ReadError
        Corrupt or password-protected workbook, no such sheet, several sheets and none
        chosen, duplicate or unknown column names.
    """
    from python_calamine import CalamineWorkbook

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        check_xlsx_size(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
    except Exception as exc:  # calamine raises its own classes and ValueError/OSError
        raise _workbook_error(path, exc) from exc
    name = choose_sheet(path, names, sheet)
    try:
        df = pd.read_excel(path, sheet_name=name, engine="calamine")
        df.columns = [str(c) for c in df.columns]
        if _maybe_renamed(list(df.columns)):  # pandas renames a repeated "x" to "x.1"
            header = book.get_sheet_by_name(name).to_python(nrows=1)
            _check_header(path, name, [str(c) for c in header[0]] if header else [])
    except ReadError:
        raise
    except Exception as exc:
        raise _workbook_error(path, exc) from exc
    if columns is not None:
        check_columns_present(path, columns, set(df.columns), f"sheet {name!r}")
        df = df[list(columns)]
    notes = (f"sheet {name!r} ({names.index(name) + 1} of {len(names)})",)
    return ParsedFile(
        data=df,
        variables=plain_variables(df),
        format_version=None,
        encoding=None,
        notes=notes,
    )


def choose_sheet(path: Path, names: Sequence[str], sheet: SheetChoice) -> str:
    """The sheet to read, or :class:`ReadError` listing the sheets."""
    listed = ", ".join(f"{i}: {n!r}" for i, n in enumerate(names, start=1))
    if not names:
        raise ReadError(f"{path}: the workbook has no sheets", file=str(path), reason="empty")
    if sheet is None:
        if len(names) == 1:
            return names[0]
        raise ReadError(
            f"{path}: the workbook has {len(names)} sheets ({listed}); choose one with "
            "--sheet NAME|N (Python: sheet=...)",
            file=str(path),
            reason="sheet_required",
        )
    if isinstance(sheet, str):
        if sheet in names:
            return sheet
        folded = [n for n in names if n.casefold() == sheet.strip().casefold()]
        if len(folded) == 1:
            return folded[0]
        if sheet.strip().isdigit():
            sheet = int(sheet.strip())
    if isinstance(sheet, int) and not isinstance(sheet, bool) and 1 <= sheet <= len(names):
        return names[sheet - 1]
    raise ReadError(
        f"{path}: no sheet {sheet!r} in the workbook; its sheets are {listed}",
        file=str(path),
        value=str(sheet),
        reason="unknown_sheet",
    )


def _maybe_renamed(columns: Sequence[str]) -> bool:
    """Whether a column looks like pandas' rename of a repeated header (``x.1`` beside ``x``)."""
    present = set(columns)
    for name in columns:
        stem, dot, number = name.rpartition(".")
        if dot and number.isdigit() and stem in present:
            return True
    return False


def _check_header(path: Path, sheet: str, header: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen and name != "":
            raise ReadError(
                f"{path}: sheet {sheet!r} has two columns named {name!r} in its header row; "
                "rename one in the workbook",
                file=str(path),
                variable=name,
                reason="duplicate_column",
            )
        seen.add(name)


def _workbook_error(path: Path, exc: BaseException) -> ReadError:
    kind = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else kind
    if "Password" in kind or "password" in text.lower() or "encrypt" in text.lower():
        return ReadError(
            f"{path}: the workbook is password-protected or encrypted; save an unprotected "
            "copy from Excel",
            file=str(path),
            reason="encrypted",
        )
    return ReadError(
        f"{path}: truncated or corrupt workbook ({text}); fetch the file again or re-save "
        "it from Excel",
        file=str(path),
        reason="corrupt",
    )
