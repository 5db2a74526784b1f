"""SPSS (.sav, .zsav, .por) and Stata (.dta) files through pyreadstat.

Values stay as delivered: pyreadstat is called with ``user_missing=True`` so SPSS
user-missing codes keep their codes (and are declared in
:attr:`VariableMeta.missing_values` / :attr:`VariableMeta.missing_ranges`), and
Stata extended missing values ``.a`` … ``.z`` stay distinguishable from system
missing: in ``data`` they are the strings ``".a"`` … ``".z"`` inside an
object column whose other values are numbers (system missing ``.`` is ``NaN``).
Dates become ``datetime64`` (``dates_as_pandas_datetime=True``).
"""

from __future__ import annotations

import contextlib
import datetime
import math
import mmap
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyreadstat

from surveytk.errors import ReadError
from surveytk.io.delivered_frame import FileFormat, LabelKey, Measure, Storage, VariableMeta
from surveytk.io.fileinfo import (
    STATA_SUPPORTED,
    read_head,
    read_tail,
    spss_product,
    spss_version,
    stata_byteorder,
    stata_dimensions,
    stata_release,
)
from surveytk.io.native_guard import (
    check_spss_header,
    check_stata_strls,
    check_zsav_blocks,
    guard_native,
    spss_slots,
)
from surveytk.io.parsed import ParsedFile, ProgressCallback, check_columns_present
from surveytk.io.stat_diagnose import binary_strl_variables, out_of_range_dates

#: files above this size are read with several processes where there are cores to spare
MULTIPROCESS_BYTES: Final = 50 * 1024 * 1024
#: ... and only with at least this many cores (measured: no gain on 2 shared cores)
MULTIPROCESS_MIN_CPUS: Final = 4
#: number of chunks when a progress bar is shown
PROGRESS_CHUNKS: Final = 40

_DATETIME_FORMATS: Final = ("DATETIME", "YMDHMS", "%TC", "E8601DT", "IS8601DT", "B8601DT")
_TIME_FORMATS: Final = ("TIME", "DTIME", "MTIME")
_MEASURES: Final = frozenset({"nominal", "ordinal", "scale"})

ReadFunction = Callable[..., tuple[pd.DataFrame, Any]]


# --------------------------------------------------------------------------- SPSS


def read_spss(
    path: Path,
    fmt: FileFormat,
    *,
    encoding: str | None = None,
    columns: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> ParsedFile:
    """Read an SPSS system (.sav, .zsav) or portable (.por) file.

    Parameters
    ----------
    path
        The file.
    fmt
        ``"sav"``, ``"zsav"`` or ``"por"``.
    encoding
        Override the encoding the file declares (only needed for old files that
        declare none or a wrong one).
    columns
        Read only these variables.
    progress
        Called with (rows read, total rows) when given; the file is then read in chunks.

    Returns
    -------
    ParsedFile
        Data with user-missing codes kept as codes, and per-variable metadata.
    """
    head = read_head(path, 64)
    version = spss_version(head)
    if fmt in ("sav", "zsav") and version is None:
        raise ReadError(
            f"{path}: not an SPSS system file (no $FL2/$FL3 header); check the file is "
            "really .sav/.zsav or pass the right format",
            file=str(path),
            reason="corrupt",
        )
    if fmt in ("sav", "zsav"):
        check_spss_header(path, read_head(path, 176), path.stat().st_size)
    if fmt == "zsav":
        with _mapped(path) as data:
            check_zsav_blocks(path, data)
    declared = spss_slots(read_head(path, 176)) if fmt in ("sav", "zsav") else None
    guard_native(path, fmt, encoding if fmt != "por" else None, _count(columns), declared)
    reader: ReadFunction = pyreadstat.read_por if fmt == "por" else pyreadstat.read_sav
    kwargs: dict[str, Any] = {"dates_as_pandas_datetime": True}
    if fmt != "por":
        kwargs["user_missing"] = True
        kwargs["encoding"] = encoding
    df, meta = run_reader(reader, path, columns, kwargs, progress, allow_chunks=fmt != "por")
    product = spss_product(head)
    variables = {name: variable_meta(name, df, meta) for name in df.columns}
    notes = tuple(meta.notes or ())
    if fmt == "por":
        version = "portable"
    elif product:
        version = f"{version} ({product})"
    return ParsedFile(
        data=df,
        variables=variables,
        format_version=version,
        encoding=encoding or meta.file_encoding,
        file_label=meta.file_label or None,
        notes=notes,
    )


# --------------------------------------------------------------------------- Stata


def read_stata(
    path: Path,
    *,
    encoding: str | None = None,
    columns: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> ParsedFile:
    """Read a Stata .dta file of release 104 … 119 (either byte order).

    Parameters
    ----------
    path
        The file.
    encoding
        Encoding of the strings in the file. Releases 118 and 119 are UTF-8 by
        definition; older releases have no declared encoding. Give it when a file
        holds text in another encoding (for example ``"latin1"``).
    columns
        Read only these variables.
    progress
        Called with (rows read, total rows) when given; the file is then read in chunks.

    Returns
    -------
    ParsedFile
        Data with extended missing values as the strings ``".a"`` … ``".z"``, and
        per-variable metadata; ``format_version`` is the release number, e.g. ``"118"``.
    """
    head = read_head(path, 256)
    release = check_stata_release(path, head)
    check_stata_size(path, head)
    if release >= 117 and not read_tail(path, 16).rstrip(b"\r\n").endswith(b"</stata_dta>"):
        raise ReadError(
            f"{path}: truncated or corrupt Stata file (the closing </stata_dta> tag is "
            "missing); fetch the file again",
            file=str(path),
            reason="truncated",
        )
    if release >= 117:
        with _mapped(path) as data:
            check_stata_strls(path, release, data)
    dims = stata_dimensions(head)
    guard_native(path, "dta", encoding, _count(columns), dims[0] if dims else None)
    kwargs: dict[str, Any] = {
        "user_missing": True,
        "dates_as_pandas_datetime": True,
        "encoding": encoding,
    }
    df, meta = run_reader(pyreadstat.read_dta, path, columns, kwargs, progress)
    extended = normalise_extended_missing(path, df, meta)
    variables = {name: variable_meta(name, df, meta, extended.get(name, {})) for name in df.columns}
    if encoding is None and release >= 118:
        encoding = "utf-8"
    order = stata_byteorder(head)
    return ParsedFile(
        data=df,
        variables=variables,
        format_version=str(release),
        encoding=encoding or meta.file_encoding,
        file_label=meta.file_label or None,
        notes=tuple(meta.notes or ()) + ((f"byte order {order}",) if order == "MSF" else ()),
    )


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[mmap.mmap]:
    """The file mapped read-only (the checks touch only the pages they read)."""
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        yield data


def _count(columns: Sequence[str] | None) -> int | None:
    return len(columns) if columns is not None else None


def check_stata_release(path: Path, head: bytes) -> int:
    """The release from the header, or :class:`ReadError` if it is not 104 … 119."""
    release = stata_release(head)
    lo, hi = STATA_SUPPORTED.start, STATA_SUPPORTED.stop - 1
    if release is None:
        raise ReadError(
            f"{path}: not a Stata .dta file (no release number in the header); check the "
            "file is really .dta or pass the right format",
            file=str(path),
            reason="corrupt",
        )
    if release not in STATA_SUPPORTED:
        raise ReadError(
            f"{path}: unsupported Stata file format release {release}; surveytk reads "
            f"releases {lo}–{hi}; open the file in Stata and save it again "
            "(`save` or `saveold, version(13)`)",
            file=str(path),
            value=release,
            reason="unsupported_version",
        )
    return release


def check_stata_size(path: Path, head: bytes) -> None:
    """Refuse a header that declares more values than the file has bytes.

    Every Stata value takes at least one byte, so ``variables × observations`` above the
    file size means a damaged header; pyreadstat would first allocate memory for all of
    them (a 1 KB file declaring 1.5 billion rows took 40 s and gigabytes).
    """
    dims = stata_dimensions(head)
    if dims is None:
        return
    nvar, nobs = dims
    if nvar * nobs > path.stat().st_size:
        raise ReadError(
            f"{path}: truncated or corrupt Stata file (the header declares {nobs:,} "
            f"observations of {nvar:,} variables, more than the file's bytes can hold); "
            "fetch the file again",
            file=str(path),
            reason="corrupt",
        )


def normalise_extended_missing(
    path: Path, df: pd.DataFrame, meta: Any
) -> dict[str, dict[str, str]]:
    """Rewrite pyreadstat's extended missing letters ``"a"`` as ``".a"``; return them per column.

    A numeric variable comes back from pyreadstat as an ``object`` column when it holds
    extended missing values (letters beside numbers), or as a text column when every
    value is missing. Every single letter (``a``–``z``, SAS ``A``–``Z`` and ``_``) in a
    numeric variable is an extended missing code, whether or not the metadata lists it
    (chunked reads list only the last chunk's). Columns left with numbers only become
    numeric again; anything else in a numeric variable is refused
    (:func:`_settle_numeric`), never turned into ``NaN`` silently.
    """
    rtypes: Mapping[str, str] = meta.readstat_variable_types
    found: dict[str, dict[str, str]] = {}
    for name in df.columns:
        col = df[name]
        if rtypes.get(name) == "string" or col.dtype.kind in "biufcmM":
            continue
        col = col.astype(object)
        letters = col.map(
            lambda v: (
                isinstance(v, str) and len(v) == 1 and v.isascii() and (v.isalpha() or v == "_")
            )
        ).to_numpy(dtype=bool)
        codes: dict[str, str] = {}
        if letters.any():
            labels = _labels_of(name, meta)
            dotted = "." + col[letters].astype(str)
            col = col.copy()
            col[letters] = dotted
            for code in sorted(set(dotted)):
                letter = code[1:]
                codes[code] = str(labels.get(letter, labels.get(code, "")))
        df[name] = _settle_numeric(path, name, col, letters)
        if codes:
            found[name] = codes
    return found


def _settle_numeric(path: Path, name: str, col: pd.Series, extended: Any) -> pd.Series:
    """A numeric variable's ``object`` column: numbers (and extended codes), or dates/times.

    Raises
    ------
    ReadError
        The column mixes numbers with dates, or holds text other than extended missing
        codes (counted in the message).
    """
    rest = col[~extended & col.notna().to_numpy()]
    kinds = rest.map(_value_kind)
    n_text = int((kinds == "text").sum())
    if n_text:
        raise ReadError(
            f"{path}: numeric variable {name} holds text values that are not "
            "missing-value codes; the file is damaged or was written by a non-conforming "
            "program; open it in the program that wrote it and check the variable",
            file=str(path),
            variable=name,
            reason="corrupt",
        )
    if (kinds == "temporal").any():
        if (kinds == "number").any():
            raise ReadError(
                f"{path}: variable {name} mixes dates/times with plain numbers; the file is "
                "damaged; open it in the program that wrote it and check the variable",
                file=str(path),
                variable=name,
                reason="corrupt",
            )
        if rest.map(lambda v: isinstance(v, datetime.time)).any():
            return col  # times of day stay datetime.time objects
        if extended.any():  # dates beside extended codes: Timestamps in an object column
            return col.map(lambda v: pd.Timestamp(v) if _value_kind(v) == "temporal" else v)
        return pd.to_datetime(col)
    if extended.any():
        return col
    return pd.to_numeric(col, errors="raise")


def _value_kind(value: object) -> str:
    if isinstance(value, bool):
        return "text"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    if isinstance(value, datetime.date | datetime.time | pd.Timestamp):
        return "temporal"
    return "text"


# --------------------------------------------------------------------------- shared


def run_reader(
    reader: ReadFunction,
    path: Path,
    columns: Sequence[str] | None,
    kwargs: dict[str, Any],
    progress: ProgressCallback | None,
    *,
    allow_chunks: bool = True,
) -> tuple[pd.DataFrame, Any]:
    """Call pyreadstat (whole, in chunks for a progress bar, or multiprocess); map its errors."""
    usecols = list(columns) if columns is not None else None
    try:
        if progress is not None and allow_chunks:
            df, meta = _read_chunked(reader, path, usecols, kwargs, progress)
        elif _use_multiprocessing(path):
            df, meta = pyreadstat.read_file_multiprocessing(
                reader,
                str(path),
                num_processes=min(4, (os.cpu_count() or 2) - 1),
                usecols=usecols,
                **kwargs,
            )
        else:
            df, meta = reader(str(path), usecols=usecols, **kwargs)
    except UnicodeError as exc:
        raise _binary_strl_error(reader, path) or encoding_error(
            path, kwargs.get("encoding")
        ) from exc
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
        mapped = map_pyreadstat_error(path, exc, kwargs.get("encoding"))
        if mapped.reason == "encoding":
            raise _binary_strl_error(reader, path) or mapped from exc
        raise mapped from exc
    except OverflowError as exc:
        dated = _date_range_error(reader, path, kwargs)
        if dated is not None:
            raise dated from exc
        # a damaged data block decodes to a date outside what Python can represent
        raise ReadError(
            f"{path}: truncated or corrupt file (a date value is out of range); fetch the "
            "file again or check that it opens in the program that wrote it",
            file=str(path),
            reason="corrupt",
        ) from exc
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        if kwargs.get("user_missing") and kwargs.get("dates_as_pandas_datetime"):
            # pyreadstat cannot put extended missing values (.a) of a date variable into
            # a datetime column; read dates as Python dates, which keep them
            # (normalise_extended_missing turns the rest into datetime64 again)
            retry = {**kwargs, "dates_as_pandas_datetime": False}
            return run_reader(reader, path, columns, retry, progress, allow_chunks=allow_chunks)
        # pyreadstat's own conversion code trips over damaged metadata (found by fuzzing)
        raise ReadError(
            f"{path}: truncated or corrupt file (the reader failed with "
            f"{type(exc).__name__}); fetch the file again or check that it opens in the "
            "program that wrote it",
            file=str(path),
            reason="corrupt",
        ) from exc
    if usecols is not None:
        check_columns_present(path, usecols, set(df.columns))
    return df, meta


def _binary_strl_error(reader: ReadFunction, path: Path) -> ReadError | None:
    """The error naming the variables with binary strL content, if that is the cause."""
    if reader is not pyreadstat.read_dta:
        return None
    try:
        names = binary_strl_variables(path)
    except Exception:  # diagnosis of a damaged file: fall back to the general message
        return None
    if not names:
        return None
    shown = ", ".join(names[:5])
    return ReadError(
        f"{path}: variable(s) {shown} hold binary strL content (files or images stored "
        "in the data), not text; no encoding reads them. Leave them out (Python: "
        f"read_file(..., columns=[...]) without {names[0]}) or drop them in Stata "
        f"(`drop {' '.join(names[:5])}`, then `save`)",
        file=str(path),
        variable=names[0],
        reason="binary_strl",
    )


def _date_range_error(reader: ReadFunction, path: Path, kwargs: dict[str, Any]) -> ReadError | None:
    """The error naming the date variables with values beyond the years 1–9999, if any."""
    try:
        bad = out_of_range_dates(reader, path, kwargs)
    except Exception:  # diagnosis of a damaged file: fall back to the general message
        return None
    if not bad:
        return None
    name, fmt = bad[0]
    more = f" (also {', '.join(n for n, _ in bad[1:5])})" if len(bad) > 1 else ""
    return ReadError(
        f"{path}: variable {name}{more} has the date format {fmt} but holds values outside "
        "the years 1–9999, which no date type represents; correct those values, or give "
        "the variable a plain number format, in the program that wrote the file",
        file=str(path),
        variable=name,
        value=fmt,
        reason="date_out_of_range",
    )


def _use_multiprocessing(path: Path) -> bool:
    cpus = os.cpu_count() or 1
    return cpus >= MULTIPROCESS_MIN_CPUS and path.stat().st_size > MULTIPROCESS_BYTES


def _read_chunked(
    reader: ReadFunction,
    path: Path,
    usecols: list[str] | None,
    kwargs: dict[str, Any],
    progress: ProgressCallback,
) -> tuple[pd.DataFrame, Any]:
    _, head_meta = reader(str(path), metadataonly=True, **kwargs)
    total = int(head_meta.number_rows or 0)
    if total <= 0:
        df, meta = reader(str(path), usecols=usecols, **kwargs)
        progress(len(df), len(df))
        return df, meta
    size = max(1, math.ceil(total / PROGRESS_CHUNKS))
    parts: list[pd.DataFrame] = []
    meta = head_meta
    done = 0
    for chunk, chunk_meta in pyreadstat.read_file_in_chunks(
        reader, str(path), chunksize=size, usecols=usecols, **kwargs
    ):
        meta = chunk_meta
        parts.append(chunk)
        done += len(chunk)
        progress(done, total)
    df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return df, meta


def encoding_error(path: Path, encoding: str | None) -> ReadError:
    """The one-line error for text that is not valid in the declared/assumed encoding."""
    declared = f"the given encoding {encoding!r}" if encoding else "the file's declared encoding"
    return ReadError(
        f"{path}: text in the file is not valid in {declared}; give the right one with "
        "--encoding ENC (Python: encoding=...), e.g. --encoding latin1 or windows-1252",
        file=str(path),
        value=encoding,
        reason="encoding",
    )


def map_pyreadstat_error(path: Path, exc: Exception, encoding: str | None) -> ReadError:
    """Translate a pyreadstat/ReadStat exception into one actionable line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    low = text.lower()
    if "does not exist" in low:
        return ReadError(
            f"{path}: file not found; check the path", file=str(path), reason="not_found"
        )
    if "requested encoding" in low or "invalid byte sequence" in low:
        return encoding_error(path, encoding)
    if "character set" in low:
        return ReadError(
            f"{path}: unknown encoding {encoding!r}; give a name iconv knows, "
            "e.g. --encoding latin1, windows-1252 or utf-8",
            file=str(path),
            value=encoding,
            reason="encoding",
        )
    if "version" in low and "not supported" in low:
        return ReadError(
            f"{path}: this version of the file format is not supported ({text}); re-save "
            "the file with a current SPSS/Stata",
            file=str(path),
            reason="unsupported_version",
        )
    return ReadError(
        f"{path}: truncated or corrupt file (reader said: {text}); fetch the file again or "
        "check that it opens in the program that wrote it",
        file=str(path),
        reason="corrupt",
    )


def variable_meta(
    name: str, df: pd.DataFrame, meta: Any, extended: Mapping[str, str] | None = None
) -> VariableMeta:
    fmt = meta.original_variable_types.get(name)
    rtype = meta.readstat_variable_types.get(name)
    labels = _labels_of(name, meta)
    value_labels = {
        label_key(k): str(v)
        for k, v in labels.items()
        if not (extended and isinstance(k, str) and (k in extended or f".{k}" in extended))
    }
    discrete, ranges = _user_missing(meta.missing_ranges.get(name) or [])
    measure = meta.variable_measure.get(name, "unknown")
    return VariableMeta(
        name=name,
        label=meta.column_names_to_labels.get(name) or None,
        value_labels=value_labels,
        missing_values=discrete,
        missing_ranges=ranges,
        extended_missing=dict(extended or {}),
        measure=measure if measure in _MEASURES else _unknown_measure(),
        format=fmt,
        storage=_storage(df[name], fmt, rtype),
    )


def _unknown_measure() -> Measure:
    return "unknown"


def _labels_of(name: str, meta: Any) -> Mapping[Any, Any]:
    label_set = meta.variable_to_label.get(name)
    if label_set is None:
        return {}
    return meta.value_labels.get(label_set) or {}


def label_key(value: Any) -> LabelKey:
    """Integral float codes (SPSS stores every number as a double) become ints."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float | str):
        return value
    return str(value)


def _user_missing(
    declared: Sequence[Mapping[str, Any]],
) -> tuple[tuple[LabelKey, ...], tuple[tuple[float, float], ...]]:
    """Split pyreadstat's ``missing_ranges`` into discrete codes and true ranges."""
    discrete: list[LabelKey] = []
    ranges: list[tuple[float, float]] = []
    for item in declared:
        lo, hi = item["lo"], item["hi"]
        if lo == hi:
            discrete.append(label_key(lo))
        else:
            ranges.append((float(lo), float(hi)))
    return tuple(discrete), tuple(ranges)


def _storage(col: pd.Series, fmt: str | None, rtype: str | None) -> Storage:
    fmt_u = (fmt or "").upper()
    if rtype == "string":
        return "string"
    if fmt_u.startswith(_TIME_FORMATS) and col.dtype == object:
        return "time"
    if col.dtype.kind == "M" or (
        col.dtype == object and col.map(lambda v: isinstance(v, pd.Timestamp)).any()
    ):
        return "datetime" if fmt_u.startswith(_DATETIME_FORMATS) else "date"
    return "numeric"
