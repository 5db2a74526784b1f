"""Parquet files, with surveytk metadata restored from the schema metadata.

A parquet file written by surveytk carries, under the schema metadata key
``surveytk``, a JSON document (:func:`encode_surveytk_metadata`) with every
variable's labels and missing-value declarations and the facts of the file it
came from. Reading restores them; a parquet file without the key reads like any
unlabelled table.

JSON layout (version 1)::

    {"surveytk_metadata": 1,
     "file": {"format": "dta", "format_version": "118", "encoding": "utf-8",
              "sha256": "...", "file_label": null, "notes": []},
     "variables": {"<name>": {"label": "...", "value_labels": [[1, "Yes"], [2, "No"]],
                              "missing_values": [-1], "missing_ranges": [[-9, -1]],
                              "extended_missing": {".a": "refused"}, "measure": "nominal",
                              "format": "%8.0g", "storage": "numeric"}}}

Value labels are a list of ``[code, label]`` pairs so that numeric codes stay numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, get_args

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from surveytk.errors import ReadError
from surveytk.io.delivered_frame import LabelKey, LabelledFrame, Measure, Storage, VariableMeta
from surveytk.io.parsed import ParsedFile
from surveytk.io.read_text import storage_of

METADATA_KEY: Final = b"surveytk"
METADATA_VERSION: Final = 1


def read_parquet(path: Path, *, columns: Sequence[str] | None = None) -> ParsedFile:
    """Read a parquet file; restore surveytk metadata if the schema carries it.

    Returns
    -------
    ParsedFile
        ``format_version`` is the parquet format version (e.g. ``"2.6"``); the
        original file's facts, if recorded, are kept in ``notes``.
    """
    try:
        pfile = pq.ParquetFile(path)
        raw = (pfile.schema_arrow.metadata or {}).get(METADATA_KEY)
        doc = _load_doc(path, raw) if raw is not None else {}
        companions = _companions(doc, pfile.schema_arrow.names)
        wanted = None if columns is None else list(columns) + [
            companions[c] for c in columns if c in companions
        ]
        table = pfile.read(columns=wanted)
        # damaged pandas metadata in the schema fails here (JSON, UTF-8, unknown types)
        # one block per column: numeric columns without nulls are handed over without a
        # copy (the default consolidates them into one 2-D block, a copy of the whole table)
        df = _join_companions(table.to_pandas(split_blocks=True), companions)
    except (pa.ArrowException, OSError, ValueError, TypeError, IndexError) as exc:
        # ArrowException: ArrowInvalid, ArrowIOError, ArrowNotImplementedError of a flipped
        # byte; ValueError covers json.JSONDecodeError and UnicodeDecodeError
        raise ReadError(
            f"{path}: truncated or corrupt parquet file ({_first_line(exc)}); fetch the "
            "file again or write it anew",
            file=str(path),
            reason="corrupt",
        ) from exc
    except KeyError as exc:
        raise ReadError(
            f"{path}: no column {exc} in the file; check the names with `surveytk inspect`",
            file=str(path),
            reason="unknown_column",
        ) from exc
    saved = doc.get("variables")
    saved = saved if isinstance(saved, Mapping) else {}
    variables = {str(name): _variable(str(name), df[name], saved.get(name)) for name in df.columns}
    origin: Mapping[str, Any] = doc.get("file") or doc.get("source_file") or {}
    notes = tuple(str(n) for n in origin.get("notes", ()))
    if origin:
        notes += (
            "surveytk metadata restored; written from "
            f"{origin.get('format') or origin.get('path') or 'unknown'} "
            f"{origin.get('format_version') or ''}".rstrip()
            + (f" (sha256 {origin['sha256']})" if origin.get("sha256") else ""),
        )
    return ParsedFile(
        data=df,
        variables=variables,
        format_version=str(pfile.metadata.format_version),
        encoding=origin.get("encoding"),
        file_label=origin.get("file_label"),
        notes=notes,
    )


def _companions(doc: Mapping[str, Any], names: Sequence[str]) -> dict[str, str]:
    """Column → its companion column of extended missing codes (both present in the file)."""
    pairs = doc.get("extended_missing_columns") or {}
    if not isinstance(pairs, Mapping):
        return {}
    return {str(k): str(v) for k, v in pairs.items() if k in names and v in names}


def _join_companions(df: pd.DataFrame, companions: Mapping[str, str]) -> pd.DataFrame:
    """Put extended missing codes back into their numeric columns (``object`` dtype)."""
    for name, companion in companions.items():
        if name not in df.columns or companion not in df.columns:
            continue
        codes = df.pop(companion)
        has_code = codes.notna().to_numpy()
        col = df[name].astype(object)
        col[has_code] = codes[has_code].astype(str).to_numpy()
        df[name] = col
    return df


def _variable(name: str, col: pd.Series, saved: Any) -> VariableMeta:
    storage = storage_of(col)
    if not isinstance(saved, Mapping):
        return VariableMeta(name=name, storage=storage)
    return variable_from_json(name, saved, numeric=storage == "numeric")


def encode_surveytk_metadata(lf: LabelledFrame) -> bytes:
    """The JSON document to store under schema metadata key ``surveytk`` (for writers)."""
    return json.dumps(surveytk_metadata_doc(lf), ensure_ascii=False, allow_nan=True).encode(
        "utf-8"
    )


def surveytk_metadata_doc(lf: LabelledFrame) -> dict[str, Any]:
    """The metadata document of :func:`encode_surveytk_metadata`, as data."""
    return {
        "surveytk_metadata": METADATA_VERSION,
        "file": {
            "format": lf.file.format,
            "format_version": lf.file.format_version,
            "encoding": lf.file.encoding,
            "sha256": lf.file.sha256,
            "file_label": lf.file.file_label,
            "notes": list(lf.file.notes),
        },
        "variables": {name: variable_to_json(v) for name, v in lf.variables.items()},
    }


def variable_to_json(v: VariableMeta) -> dict[str, Any]:
    """One variable's metadata as JSON-ready data."""
    return {
        "label": v.label,
        "value_labels": [[_code(k), lab] for k, lab in v.value_labels.items()],
        "missing_values": [_code(k) for k in v.missing_values],
        "missing_ranges": [[lo, hi] for lo, hi in v.missing_ranges],
        "extended_missing": dict(v.extended_missing),
        "measure": v.measure,
        "format": v.format,
        "storage": v.storage,
    }


def variable_from_json(name: str, d: Mapping[str, Any], *, numeric: bool = True) -> VariableMeta:
    """Inverse of :func:`variable_to_json`.

    Also accepts the older layout of :func:`surveytk.io.writers.write_labelled`:
    ``value_labels`` as a mapping with string keys and ``missing_values`` as
    strings; these codes become numbers again when the column is ``numeric``.
    """
    measure = d.get("measure", "unknown")
    storage = d.get("storage", "numeric" if numeric else "string")
    raw_labels = d.get("value_labels") or []
    pairs = raw_labels.items() if isinstance(raw_labels, Mapping) else raw_labels
    return VariableMeta(
        name=name,
        label=d.get("label"),
        value_labels={_code(k, numeric): str(lab) for k, lab in pairs},
        missing_values=tuple(_code(k, numeric) for k in d.get("missing_values") or []),
        missing_ranges=tuple((float(lo), float(hi)) for lo, hi in d.get("missing_ranges") or []),
        extended_missing={str(k): str(v) for k, v in (d.get("extended_missing") or {}).items()},
        measure=measure if measure in get_args(Measure) else "unknown",
        format=d.get("format"),
        storage=storage if storage in get_args(Storage) else "numeric",
    )


def _code(value: Any, numeric: bool = True) -> LabelKey:
    if isinstance(value, str) and numeric:
        try:
            value = float(value)
        except ValueError:
            return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, int | float | str):
        return value
    return str(value)


def _load_doc(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReadError(
            f"{path}: the surveytk metadata in the parquet schema is not valid JSON; "
            "write the file again with surveytk",
            file=str(path),
            reason="corrupt",
        ) from exc
    if not isinstance(doc, dict):
        raise ReadError(
            f"{path}: the surveytk metadata in the parquet schema is not a JSON object; "
            "write the file again with surveytk",
            file=str(path),
            reason="corrupt",
        )
    version = doc.get("surveytk_metadata", METADATA_VERSION)
    if not isinstance(version, int) or version > METADATA_VERSION:
        raise ReadError(
            f"{path}: surveytk metadata version {version!r} in the parquet schema is newer "
            f"than this surveytk reads ({METADATA_VERSION}); upgrade surveytk",
            file=str(path),
            reason="unsupported_version",
        )
    return doc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
