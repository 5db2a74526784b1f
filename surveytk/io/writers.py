"""Writers: SPSS ``.sav``, Stata ``.dta`` with labels, and Parquet with surveytk metadata.

Every writer is atomic (:func:`surveytk.io.atomic.atomic_path`): a failed write leaves
no partial file under the target name. Every writer is deterministic: the same frame
and labels give byte-identical files. ``.sav`` and ``.dta`` headers carry a creation
time; the writers put ``timestamp`` there (default :data:`FIXED_TIMESTAMP`), in the
spirit of reproducible builds' ``SOURCE_DATE_EPOCH``.

The writers take plain mappings (variable → label, variable → {code: label},
variable → user-missing codes) so that callers need not build metadata objects;
:func:`write_labelled` writes a :class:`~surveytk.io.delivered_frame.LabelledFrame` with its
own metadata, choosing the format from the file suffix.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from surveytk.errors import OutputError
from surveytk.io.atomic import atomic_path
from surveytk.io.delivered_frame import LabelledFrame, is_extended_missing

#: suffix of the companion column that carries a column's extended missing codes in Parquet
EXTENDED_COMPANION = "__extended_missing"

#: Header timestamp written into ``.sav`` and ``.dta`` files unless told otherwise.
FIXED_TIMESTAMP = datetime(2024, 6, 1, 0, 0, 0)

#: Key of the surveytk metadata JSON in a Parquet file's schema metadata.
PARQUET_METADATA_KEY = b"surveytk"

ValueLabels = Mapping[str, Mapping[Any, str]]
PathLike = str | os.PathLike[str]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# SPSS system file header: creation date "dd Mon yy" at byte 92, time "hh:mm:ss" at 101.
_SAV_STAMP_OFFSET = 92


def _sav_stamp(ts: datetime) -> bytes:
    date = f"{ts.day:02d} {_MONTHS[ts.month - 1]} {ts.year % 100:02d}"
    return (date + ts.strftime("%H:%M:%S")).encode("ascii")


def _patch_sav_timestamp(path: Path, ts: datetime) -> None:
    stamp = _sav_stamp(ts)
    with path.open("r+b") as fh:
        head = fh.read(4)
        if head not in (b"$FL2", b"$FL3"):
            raise OutputError(f"{path}: not an SPSS system file after writing; report this bug")
        fh.seek(_SAV_STAMP_OFFSET)
        fh.write(stamp)


def _prepare_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Second-resolution datetimes to microseconds: pyreadstat mis-writes ``datetime64[s]``.

    Microseconds (not nanoseconds) so that dates before 1677 or after 2262, which SPSS
    and Stata hold and pandas reads at that resolution, can be written back.
    """
    out = df
    for name in df.columns:
        dtype = df[name].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            raise OutputError(
                f"column {name}: timezone-aware datetimes cannot be written to SPSS/Stata; "
                "convert to naive local time first",
                variable=str(name),
            )
        if pd.api.types.is_datetime64_dtype(dtype) and dtype == "datetime64[s]":
            if out is df:
                out = df.copy()
            out[name] = df[name].astype("datetime64[us]")
    return out


def _check_columns(df: pd.DataFrame, target: Path, *mappings: Mapping[str, Any] | None) -> None:
    columns = {str(c) for c in df.columns}
    for mapping in mappings:
        unknown = sorted(set(mapping or {}) - columns)
        if unknown:
            raise OutputError(
                f"{target}: metadata names columns not in the frame: {', '.join(unknown[:5])}; "
                "drop them from the labels or add the columns",
                file=str(target),
                variable=unknown[0],
            )


def _plain_value_labels(value_labels: ValueLabels | None) -> dict[str, dict[int | float, str]]:
    return {str(k): dict(v) for k, v in (value_labels or {}).items()}


def extended_missing_columns(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Columns holding extended missing codes (``".a"``): name → boolean row mask."""
    found: dict[str, pd.Series] = {}
    for name in df.columns:
        col = df[name]
        if col.dtype.kind in "biufcmM" or isinstance(col.dtype, pd.CategoricalDtype):
            continue
        mask = col.map(is_extended_missing).astype(bool)
        if mask.any():
            rest = col[~mask & col.notna()]
            dated = rest.map(lambda v: isinstance(v, pd.Timestamp)).all()
            if dated or pd.to_numeric(rest, errors="coerce").notna().all():
                found[str(name)] = mask  # numbers (or dates) and codes
    return found


def split_extended_missing(col: pd.Series, mask: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A column with extended codes → (float64 or datetime64 values, codes or missing)."""
    return _extended_values(col, mask), col.where(mask).astype("string")


def _extended_values(col: pd.Series, mask: pd.Series) -> pd.Series:
    rest = col.mask(mask)
    if rest.dropna().map(lambda v: isinstance(v, pd.Timestamp)).any():
        return pd.to_datetime(rest)
    return pd.to_numeric(rest, errors="raise").astype("float64")


def write_sav(
    df: pd.DataFrame,
    path: PathLike,
    *,
    variable_labels: Mapping[str, str | None] | None = None,
    value_labels: ValueLabels | None = None,
    user_missing: Mapping[str, Sequence[int | float]] | None = None,
    measure: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
    file_label: str = "",
    compress: bool = False,
    timestamp: datetime | None = None,
    missing_ranges: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> Path:
    """Write an SPSS system file with labels and user-missing declarations.

    Parameters
    ----------
    df
        Data, values as codes. Datetime columns become SPSS dates/datetimes (give
        ``formats={"col": "DATE11"}`` for a date).
    path
        Target ``.sav`` (or ``.zsav`` with ``compress=True``).
    variable_labels
        Variable → variable label (question text).
    value_labels
        Variable → {code: label}.
    user_missing
        Variable → discrete user-missing codes (SPSS allows at most three per
        variable), declared in the file's missing-value records.
    measure
        Variable → ``"nominal"``, ``"ordinal"`` or ``"scale"``.
    formats
        Variable → SPSS print format (``F8.2``, ``DATE11``, ``A20``).
    file_label
        The file label (at most 64 characters).
    compress
        Write a zlib-compressed ``.zsav``.
    timestamp
        Creation date/time written into the header; :data:`FIXED_TIMESTAMP` if ``None``
        so that equal inputs give equal bytes.
    missing_ranges
        Variable → user-missing ranges ``(low, high)``, inclusive; SPSS allows one range
        plus at most one discrete code per variable.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputError
        Too many missing codes for SPSS, or a column holds Stata/SAS extended missing
        codes (``.a``), which SPSS has no place for.
    """
    import pyreadstat

    target = Path(path)
    _check_columns(
        df, target, variable_labels, value_labels, user_missing, measure, formats, missing_ranges
    )
    extended = extended_missing_columns(df)
    if extended:
        name = next(iter(extended))
        raise OutputError(
            f"{target}: variable {name} holds Stata/SAS extended missing codes (.a, .b, ...), "
            "which SPSS files cannot store; write .dta or .parquet, or turn them into "
            "user-missing codes (numbers) first",
            file=str(target),
            variable=name,
        )
    missing = _sav_missing(target, user_missing or {}, missing_ranges or {})
    labels = dict(variable_labels or {})
    with atomic_path(target) as tmp:
        pyreadstat.write_sav(
            _prepare_frame(df),
            str(tmp),
            file_label=file_label,
            column_labels={str(c): labels.get(str(c)) for c in df.columns},
            compress=compress,
            variable_value_labels=_plain_value_labels(value_labels),
            missing_ranges=missing or None,
            variable_measure=dict(measure) if measure else None,
            variable_format=dict(formats) if formats else None,
        )
        _patch_sav_timestamp(tmp, timestamp or FIXED_TIMESTAMP)
    return target


def _sav_missing(
    target: Path,
    discrete: Mapping[str, Sequence[int | float]],
    ranges: Mapping[str, Sequence[tuple[float, float]]],
) -> dict[str, list[Any]]:
    """pyreadstat's ``missing_ranges``: codes, and ``{"lo", "hi"}`` for ranges."""
    missing: dict[str, list[Any]] = {}
    for name in dict.fromkeys([*discrete, *ranges]):
        codes: list[Any] = list(discrete.get(name, ()))
        spans = list(ranges.get(name, ()))
        if len(spans) > 1 or len(codes) > (1 if spans else 3):
            raise OutputError(
                f"{target}: variable {name} declares {len(codes)} user-missing code(s) and "
                f"{len(spans)} range(s); SPSS allows at most three discrete codes, or one "
                "range and one code",
                file=str(target),
                variable=name,
            )
        missing[name] = codes + [{"lo": lo, "hi": hi} for lo, hi in spans]
    return missing


def write_dta(
    df: pd.DataFrame,
    path: PathLike,
    *,
    variable_labels: Mapping[str, str | None] | None = None,
    value_labels: ValueLabels | None = None,
    file_label: str = "",
    version: Literal[117, 118, 119] = 118,
    timestamp: datetime | None = None,
) -> Path:
    """Write a Stata ``.dta`` file with variable and value labels.

    Parameters
    ----------
    df
        Data; labelled columns must hold integers (Stata labels integers only).
        Datetime columns are written as Stata dates (``%td``).
    path
        Target ``.dta``.
    variable_labels
        Variable → variable label (at most 80 characters).
    value_labels
        Variable → {integer code: label}; each labelled variable gets its own label set
        named after the variable.
    file_label
        The data label.
    version
        File format: 118 (Stata 14–18, what SOEP ships), 117 or 119.
    timestamp
        Header timestamp; :data:`FIXED_TIMESTAMP` if ``None``.

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    The engine is pandas' vectorised ``DataFrame.to_stata``, not pyreadstat: pyreadstat
    writes row by row through Python (about 8 µs per row), which made a million-row
    SOEP ``pl`` file take minutes; pandas writes the same file in about a second and
    takes the header timestamp as an argument. The result reads back with pyreadstat
    and Stata alike.

    Columns holding extended missing codes (``".a"`` … ``".z"`` beside numbers, as
    :func:`~surveytk.io.readers.read_file` returns them) are written as Stata's extended
    missing values, with value labels on them given as ``{".a": "refused"}``; pandas
    cannot write those, so such a frame goes through pyreadstat (slower, same result).
    """
    target = Path(path)
    _check_columns(df, target, variable_labels, value_labels)
    extended = extended_missing_columns(df)
    if extended:
        return _write_dta_extended(
            df, target, extended, variable_labels=variable_labels,
            value_labels=value_labels, file_label=file_label, version=version,
            timestamp=timestamp,
        )
    plain = _plain_value_labels(value_labels)
    for name, mapping in plain.items():
        bad = [k for k in mapping if float(k) != int(k)]
        if bad or not pd.api.types.is_integer_dtype(df[name].dtype):
            raise OutputError(
                f"{target}: variable {name} has non-integer labelled codes; Stata labels "
                "integers only",
                file=str(target),
                variable=name,
            )
        plain[name] = {int(k): v for k, v in mapping.items()}
    labels = {str(k): v for k, v in (variable_labels or {}).items() if v}
    dates = {str(c): "td" for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c].dtype)}
    with atomic_path(target) as tmp, warnings.catch_warnings():
        # pandas warns on column-name fixes and precision; turn them into errors here
        warnings.simplefilter("error")
        df.to_stata(
            tmp,
            write_index=False,
            version=version,
            time_stamp=timestamp or FIXED_TIMESTAMP,
            data_label=file_label or None,
            variable_labels=labels,
            value_labels=plain,
            convert_dates=dates or None,  # type: ignore[arg-type]
        )
    return target


#: pyreadstat's ``version`` argument for each Stata file format release
_PYREADSTAT_DTA_VERSION = {117: 13, 118: 14, 119: 15}


def _write_dta_extended(
    df: pd.DataFrame,
    target: Path,
    extended: Mapping[str, pd.Series],
    *,
    variable_labels: Mapping[str, str | None] | None,
    value_labels: ValueLabels | None,
    file_label: str,
    version: int,
    timestamp: datetime | None,
) -> Path:
    """:func:`write_dta` for frames with extended missing codes, through pyreadstat."""
    import pyreadstat

    out = _prepare_frame(df).copy()
    tags: dict[str, list[str]] = {}
    formats: dict[str, str] = {}
    for name, mask in extended.items():
        col = df[name]
        codes = sorted({str(c) for c in col[mask]})
        bad = [c for c in codes if not ("a" <= c[1:].lower() <= "z" and c[1:].isalpha())]
        if bad:
            raise OutputError(
                f"{target}: variable {name} holds the missing code {bad[0]}, which Stata "
                "cannot store (Stata has .a to .z); recode it first",
                file=str(target),
                variable=name,
            )
        numbers = _extended_values(col, mask)
        if numbers.dtype.kind == "M":  # a date variable: Stata %td days since 1960
            formats[name] = "%td"
            numbers = (numbers - pd.Timestamp("1960-01-01")).dt.days.astype("float64")
        letters = col[mask].map(lambda c: str(c)[1:].lower())
        merged = numbers.astype(object)
        merged[mask] = letters
        out[name] = merged
        tags[name] = sorted({str(c)[1:].lower() for c in codes})
    labels: dict[str, dict[Any, str]] = {}
    for name, mapping in (value_labels or {}).items():
        labels[str(name)] = {
            (str(k)[1:].lower() if is_extended_missing(k) else k): str(v)
            for k, v in mapping.items()
        }
    with atomic_path(target) as tmp:
        pyreadstat.write_dta(
            out,
            str(tmp),
            file_label=file_label,
            column_labels={str(k): v for k, v in (variable_labels or {}).items() if v},
            version=_PYREADSTAT_DTA_VERSION[version],
            variable_value_labels=labels or None,
            missing_user_values=tags,
            variable_format=formats or None,
        )
        _patch_dta_timestamp(tmp, timestamp or FIXED_TIMESTAMP)
    return target


def _patch_dta_timestamp(path: Path, ts: datetime) -> None:
    """Overwrite the ``<timestamp>`` of a release 117+ header (17 characters)."""
    stamp = f"{ts.day:02d} {_MONTHS[ts.month - 1]} {ts.year:04d} {ts:%H:%M}".encode("ascii")
    with path.open("r+b") as fh:
        head = fh.read(256)
        at = head.find(b"<timestamp>")
        if at < 0 or head[at + 11] != len(stamp):
            raise OutputError(
                f"{path}: no 17-character timestamp in the .dta header; report this bug"
            )
        fh.seek(at + 12)
        fh.write(stamp)


def write_parquet(
    df: pd.DataFrame,
    path: PathLike,
    *,
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Write Parquet with surveytk metadata as JSON under the schema key ``surveytk``.

    Parameters
    ----------
    df
        The table; the index is not written.
    path
        Target ``.parquet``.
    metadata
        JSON-serialisable mapping (codebook versions, file hashes, labels, …), stored
        with sorted keys so equal metadata gives equal bytes.

    Returns
    -------
    Path
        The file written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(path)
    try:
        payload = json.dumps(dict(metadata or {}), sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise OutputError(
            f"{target}: metadata is not JSON-serialisable ({exc}); pass plain values",
            file=str(target),
        ) from exc
    table = pa.Table.from_pandas(df, preserve_index=False)
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[PARQUET_METADATA_KEY] = payload.encode("utf-8")
    table = table.replace_schema_metadata(schema_meta)
    with atomic_path(target) as tmp:
        pq.write_table(table, str(tmp))
    return target


def read_parquet_metadata(path: PathLike) -> dict[str, Any]:
    """The surveytk metadata of a Parquet file written by :func:`write_parquet` (``{}`` if none)."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(str(path))
    raw = (schema.metadata or {}).get(PARQUET_METADATA_KEY)
    if raw is None:
        return {}
    result = json.loads(raw.decode("utf-8"))
    return dict(result)


def write_labelled(frame: LabelledFrame, path: PathLike, **options: Any) -> Path:
    """Write a :class:`LabelledFrame` with its own labels, choosing the format by suffix.

    ``.sav``/``.zsav`` keep variable labels, value labels, user-missing codes, measure
    and formats; ``.dta`` keeps variable and value labels; ``.parquet`` stores the
    metadata as JSON. Extra keyword options go to the format's writer.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    metas = [frame.meta(c) for c in frame.columns]
    var_labels = {m.name: m.label for m in metas}
    val_labels: dict[str, dict[Any, str]] = {
        m.name: dict(m.value_labels) for m in metas if m.value_labels
    }
    if suffix in (".sav", ".zsav"):
        measures = {m.name: m.measure for m in metas if m.measure != "unknown"}
        return write_sav(
            frame.data,
            target,
            variable_labels=var_labels,
            value_labels=val_labels,
            user_missing={m.name: m.missing_values for m in metas if m.missing_values},  # type: ignore[misc]
            missing_ranges={m.name: m.missing_ranges for m in metas if m.missing_ranges},
            measure=measures,
            compress=suffix == ".zsav",
            file_label=frame.file.file_label or "",
            **options,
        )
    if suffix == ".dta":
        for m in metas:
            tagged = {code: label for code, label in m.extended_missing.items() if label}
            if tagged:
                val_labels[m.name] = {**val_labels.get(m.name, {}), **tagged}
        return write_dta(
            frame.data,
            target,
            variable_labels=var_labels,
            value_labels=val_labels,
            file_label=frame.file.file_label or "",
            **options,
        )
    if suffix == ".parquet":
        return _write_labelled_parquet(frame, target, **options)
    raise OutputError(
        f"{target}: cannot write format {suffix or '(none)'}; use .sav, .zsav, .dta or .parquet",
        file=str(target),
    )


def _write_labelled_parquet(frame: LabelledFrame, target: Path, **options: Any) -> Path:
    """Parquet with the metadata document of :mod:`surveytk.io.read_parquet`.

    A numeric column with extended missing codes is stored as ``float64`` plus a
    companion text column ``<name>__extended_missing`` holding the codes; reading the
    file with :func:`~surveytk.io.readers.read_file` puts them back together.
    """
    from surveytk.io.read_parquet import surveytk_metadata_doc  # lazy: pyarrow

    data = frame.data
    companions: dict[str, str] = {}
    extended = extended_missing_columns(data)
    if extended:
        data = data.copy()
        for name, mask in extended.items():
            companion = name + EXTENDED_COMPANION
            if companion in data.columns:
                raise OutputError(
                    f"{target}: cannot store the extended missing codes of {name}: a column "
                    f"{companion} exists already; rename it",
                    file=str(target),
                    variable=companion,
                )
            data[name], data[companion] = split_extended_missing(data[name], mask)
            companions[name] = companion
    doc = surveytk_metadata_doc(frame)
    if companions:
        doc["extended_missing_columns"] = companions
    return write_parquet(data, target, metadata=doc, **options)
