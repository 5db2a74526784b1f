"""Writing harmonised tables: Parquet (default, with provenance), Stata, SPSS, CSV.

All writes are atomic and deterministic (same table → same bytes). Parquet
keeps the common-schema dtypes and carries the provenance (input file hashes,
codebook versions and hashes, surveytk version) in its schema metadata under
the key ``surveytk``. Stata and SPSS outputs store categories and booleans as
integer codes with value labels from ``codebooks/schema.yaml``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveytk.codebook.model import Schema
from surveytk.io.atomic import atomic_path, write_text_atomic
from surveytk.io.formats import format_from_path
from surveytk.io.writers import read_parquet_metadata, write_dta, write_parquet, write_sav

#: suffix of a data file → its format (:func:`surveytk.io.formats.format_from_path`)
SUFFIX_FORMATS: dict[str, str] = {
    ".parquet": "parquet", ".dta": "dta", ".sav": "sav", ".csv": "csv"
}


def labelled_codes(table: pd.DataFrame, schema: Schema | None) -> tuple[pd.DataFrame,
                                                                       dict[str, dict[int, str]],
                                                                       dict[str, str]]:
    """Categories and booleans as integer codes (1-based) with value labels, for Stata/SPSS.

    ``<var>_missing`` reason columns are written as text.
    """
    out: dict[str, Any] = {}
    value_labels: dict[str, dict[int, str]] = {}
    var_labels: dict[str, str] = {}
    variables = schema.variables if schema is not None else {}
    for name in table.columns:
        s = table[name]
        var = variables.get(str(name))
        if var is not None:
            var_labels[str(name)] = var.label
        elif str(name).endswith("_missing"):
            var_labels[str(name)] = f"Why {str(name)[:-8]} is missing"
        if str(name).endswith("_missing") and isinstance(s.dtype, pd.CategoricalDtype):
            # reasons as text: self-explanatory, and Stata label-set names stay short
            out[name] = s.astype(object).where(s.notna(), "").astype(str)
        elif isinstance(s.dtype, pd.CategoricalDtype):
            codes = pd.array(s.cat.codes.to_numpy().astype(np.int64) + 1, dtype="Int16")
            codes[codes == 0] = pd.NA
            out[name] = codes
            labels = {lv.value: lv.label for lv in var.levels} if var is not None else {}
            value_labels[str(name)] = {i + 1: labels.get(str(c), str(c))
                                       for i, c in enumerate(s.cat.categories)}
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[name] = s.astype("Int8")
            value_labels[str(name)] = {0: "No", 1: "Yes"}
        elif isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
            out[name] = s.astype(object).where(s.notna(), "").astype(str)
        elif pd.api.types.is_extension_array_dtype(s.dtype):
            out[name] = s.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        else:
            out[name] = s
    return pd.DataFrame(out), value_labels, var_labels


def write_data(table: pd.DataFrame, path: str | Path, *, fmt: str | None = None,
               provenance: dict[str, Any] | None = None, schema: Schema | None = None) -> Path:
    """Write a harmonised (or pooled) data table atomically.

    Parameters
    ----------
    table
        The harmonised table.
    path
        Target file.
    fmt
        ``parquet``, ``dta``, ``sav`` or ``csv``; by default from the suffix (an unknown
        suffix is an error).
    provenance
        Stored in Parquet schema metadata (key ``surveytk``); for the other formats
        written beside the file as ``<file>.provenance.json``.
    schema
        The common schema, for variable and value labels in Stata/SPSS output.
    """
    target = Path(path)
    kind = format_from_path(target, SUFFIX_FORMATS, fmt)
    meta = {"provenance": provenance or {}}
    if kind == "parquet":
        return write_parquet(table, target, metadata=meta)
    if kind == "csv":
        with atomic_path(target) as tmp:
            table.to_csv(tmp, index=False, date_format="%Y-%m-%d", lineterminator="\n")
    else:
        data, value_labels, var_labels = labelled_codes(table, schema)
        if kind == "dta":
            write_dta(data, target, variable_labels=var_labels,
                      value_labels=value_labels)
        else:
            formats = {c: "DATE11" for c in data.columns
                       if pd.api.types.is_datetime64_any_dtype(data[c].dtype)}
            write_sav(data, target, variable_labels=var_labels,
                      value_labels=value_labels, formats=formats)
    write_text_atomic(target.with_name(target.name + ".provenance.json"),
                      json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return target


def read_provenance(path: str | Path) -> dict[str, Any]:
    """The provenance stored with a harmonised Parquet file (``{}`` if none)."""
    meta = read_parquet_metadata(path)
    prov = meta.get("provenance", {})
    return dict(prov) if isinstance(prov, dict) else {}
