"""SAS data files: ``.sas7bdat`` (with a format catalog beside it) and transport ``.xpt``.

Both through pyreadstat. Values stay as delivered, as for SPSS and Stata:

- SAS special missing values ``.A`` … ``.Z`` and ``._`` of a ``.sas7bdat`` stay
  distinguishable from system missing ``.``: in ``data`` they are the strings
  ``".A"`` … ``"._"`` in an ``object`` column whose other values are numbers, listed
  with their labels in :attr:`VariableMeta.extended_missing`. (Transport files are
  read without them: pyreadstat reads their special missing values as ``NaN``.)
- Value labels are not in the data file: SAS keeps them as user formats in a format
  catalog. A catalog named ``<file>.sas7bcat`` or ``formats.sas7bcat`` (SAS's default
  name) in the same folder is read, and each variable whose format it defines gets
  that format's labels. Without a catalog the codes are read as they are and a note
  names the formats that would have labelled them.
- Dates, times and datetimes become ``datetime64``/``time`` by their format, including
  the month and year formats (``MMYY``, ``MONYY``, ``YEAR``...) that show a date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import pyreadstat

from surveytk.errors import ReadError
from surveytk.io.delivered_frame import FileFormat, VariableMeta
from surveytk.io.parsed import ParsedFile, ProgressCallback
from surveytk.io.read_stat import (
    ReadFunction,
    label_key,
    normalise_extended_missing,
    run_reader,
    variable_meta,
)

#: SAS formats that show a date but that pyreadstat does not convert by itself
EXTRA_DATE_FORMATS: Final = ("MMYY", "MONYY", "YYMM", "YYMON", "YEAR", "YYQ", "MONTH", "QTR")
#: common built-in SAS formats (name without width), so not a catalog's user format
_BUILTIN: Final = frozenset(
    [
        "BEST", "F", "W", "COMMA", "COMMAX", "DOLLAR", "DOLLARX", "E", "Z", "PERCENT",
        "PERCENTN", "NUMX", "HEX", "BINARY", "$", "$CHAR", "$UPCASE", "$QUOTE", "$HEX", "DATE",
        "DATETIME", "TIME", "TOD", "HHMM", "MMSS", "DDMMYY", "MMDDYY", "YYMMDD", "MMYY",
        "MONYY", "YYMM", "YYMON", "YEAR", "YYQ", "MONTH", "QTR", "WEEKDATE", "WORDDATE",
        "WEEKDAY", "DOWNAME", "JULIAN", "NLDATE", "DTDATE", "E8601DA", "E8601DT", "E8601TM",
        "IS8601DA", "IS8601DT", "IS8601TM", "B8601DA", "B8601DT", "B8601TM",
    ]
)


def read_sas(
    path: Path,
    fmt: FileFormat,
    *,
    encoding: str | None = None,
    columns: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> ParsedFile:
    """Read a SAS ``.sas7bdat`` or transport ``.xpt`` (version 5 or 8) file.

    Parameters
    ----------
    path
        The file.
    fmt
        ``"sas7bdat"`` or ``"xpt"``.
    encoding
        Override the encoding the file declares (old files may declare none).
    columns
        Read only these variables.
    progress
        Called with (rows read, total rows) when given.

    Returns
    -------
    ParsedFile
        Codes as delivered, special missing values as ``".A"`` … strings, labels from
        a format catalog beside the file if there is one.
    """
    kwargs: dict[str, Any] = {
        "dates_as_pandas_datetime": True,
        "encoding": encoding,
        "extra_date_formats": list(EXTRA_DATE_FORMATS),
    }
    reader: ReadFunction = pyreadstat.read_xport
    if fmt == "sas7bdat":
        kwargs["user_missing"] = True
        reader = pyreadstat.read_sas7bdat
    df, meta = run_reader(reader, path, columns, kwargs, progress)
    extended = normalise_extended_missing(path, df, meta)
    catalog = find_catalog(path) if fmt == "sas7bdat" else None
    formats = catalog_formats(catalog, encoding) if catalog is not None else {}
    variables = {
        name: _with_catalog_labels(
            variable_meta(name, df, meta, extended.get(name, {})), meta, formats, extended
        )
        for name in df.columns
    }
    notes: list[str] = []
    if catalog is not None:
        notes.append(f"value labels from the format catalog {catalog.name}")
    else:
        user_formats = sorted(
            {f for f in (meta.variable_to_label or {}).values() if f and not _builtin(f)}
        )
        if user_formats:
            notes.append(
                f"user formats {', '.join(user_formats[:10])} are defined in a format catalog "
                f"that is not beside the file (expected {path.stem}.sas7bcat or "
                "formats.sas7bcat); values are read as codes"
            )
    return ParsedFile(
        data=df,
        variables=variables,
        format_version=_version(fmt, meta),
        encoding=encoding or meta.file_encoding or None,
        file_label=meta.file_label or None,
        notes=tuple(notes),
    )


def find_catalog(path: Path) -> Path | None:
    """The format catalog beside a ``.sas7bdat``: ``<stem>.sas7bcat``, else ``formats.sas7bcat``."""
    for name in (f"{path.stem}.sas7bcat", "formats.sas7bcat"):
        for candidate in path.parent.glob("*.sas7bcat"):
            if candidate.name.lower() == name.lower():
                return candidate
    return None


def catalog_formats(catalog: Path, encoding: str | None) -> dict[str, dict[Any, str]]:
    """Format name (upper case) → {code: label} from a ``.sas7bcat`` catalog."""
    try:
        _, meta = pyreadstat.read_sas7bcat(str(catalog), encoding=encoding)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, UnicodeError) as exc:
        raise ReadError(
            f"{catalog}: the SAS format catalog cannot be read ({exc}); remove or replace it "
            "(the data file is read without it)",
            file=str(catalog),
            reason="corrupt",
        ) from exc
    return {str(k).upper(): dict(v) for k, v in (meta.value_labels or {}).items()}


def _with_catalog_labels(
    var: VariableMeta,
    meta: Any,
    formats: Mapping[str, Mapping[Any, str]],
    extended: Mapping[str, Mapping[str, str]],
) -> VariableMeta:
    fmt_name = (meta.variable_to_label or {}).get(var.name)
    labels = formats.get(str(fmt_name).upper()) if fmt_name else None
    if not labels:
        return var
    codes = extended.get(var.name, {})
    value_labels: dict[Any, str] = {}
    tagged = dict(codes)
    for key, label in labels.items():
        if var.storage != "string" and f".{key}" in codes:
            tagged[f".{key}"] = str(label)
        elif var.storage == "string":
            value_labels[str(key)] = str(label)
        else:
            value_labels[label_key(key)] = str(label)
    return replace(var, value_labels=value_labels, extended_missing=tagged)


def _builtin(fmt: str) -> bool:
    name = fmt.upper().rstrip("0123456789.")
    return name in ("", "$") or name in _BUILTIN or name.startswith(("DDMMYY", "MMDDYY", "YYMMDD"))


def _version(fmt: FileFormat, meta: Any) -> str:
    if fmt == "xpt":
        return "transport"
    created = getattr(meta, "creation_time", None)
    return f"sas7bdat (created {created:%Y-%m-%d})" if created else "sas7bdat"
