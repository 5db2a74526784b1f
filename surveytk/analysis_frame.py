"""A delivered file made ready for analysis: declared missing is missing, labels travel along.

Every analysis that reads a raw file (``surveytk fit``, ``surveytk tabulate``,
``surveytk.fit``, analysis specs) goes through :func:`analysis_frame` (or
:func:`load_analysis_frame` for a path or a table), so the rules hold
everywhere:

- SPSS user-missing values declared in the file — discrete codes and ranges —
  become missing (``NaN``/``NA``) unless ``keep_user_missing=True`` keeps them
  as values (haven's ``read_sav(user_na = FALSE)`` default, and SPSS's own
  treatment in procedures).
- Stata extended missing values ``.a`` … ``.z`` are always missing (Stata
  excludes them from every estimation command; haven reads them as tagged
  ``NA``).
- How many values each variable lost, and why, is counted
  (:class:`MissingCount`) for the console, the notes of every table and the
  results JSON; counts under the disclosure threshold are shown as
  "fewer than N".
- Value labels of labelled numeric columns and variable labels ride along
  in ``DataFrame.attrs`` (:data:`VALUE_LABELS_ATTR`, :data:`VARIABLE_LABELS_ATTR`),
  where ``C(x)`` in formulas and the tabulation's level names find them.
- ``--define NAME=EXPR`` derived variables (:mod:`surveytk.language.expr`) are added last,
  so they see declared missing as missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveytk.disclosure import DEFAULT_THRESHOLD, count_text
from surveytk.errors import ModelError
from surveytk.io.delivered_frame import LabelledFrame, VariableMeta
from surveytk.io.readers import read_file
from surveytk.language.expr import Definition, apply_definitions

#: ``DataFrame.attrs`` key of the value labels of labelled numeric columns:
#: column → {code as text → label}; set by :func:`analysis_frame`, read by the
#: formulas' ``C(x)`` and the tables' level names
VALUE_LABELS_ATTR = "surveytk.value_labels"
#: ``DataFrame.attrs`` key of the variable labels: column → label
VARIABLE_LABELS_ATTR = "surveytk.variable_labels"
#: an extended missing value as surveytk's reader gives it: Stata ``.a``–``.z``, SAS ``.A``–``._``
_EXTENDED = re.compile(r"^\.[a-zA-Z_]$")

DataLike = pd.DataFrame | LabelledFrame | str | os.PathLike[str]


@dataclass(frozen=True)
class MissingCount:
    """Values of one variable set missing, and why.

    Attributes
    ----------
    variable
        The column.
    reason
        ``user_missing`` (SPSS declared codes or ranges) or ``extended_missing``
        (Stata ``.a`` … ``.z``).
    declared
        What the file declares, as text (``9 "No answer"``, ``0 to 18``, ``.a "refused"``).
    n
        Values set missing (exact; see :meth:`count_text` for display).
    """

    variable: str
    reason: str
    declared: tuple[str, ...]
    n: int

    def count_text(self, threshold: int) -> str:
        """``n``, or ``fewer than {threshold}`` under the disclosure threshold."""
        return count_text(self.n, threshold)

    def sentence(self, threshold: int) -> str:
        why = (
            "declared user-missing in the file"
            if self.reason == "user_missing"
            else "Stata extended missing"
        )
        values = "value" if self.n == 1 and threshold <= 1 else "values"
        return (
            f"{self.variable}: {self.count_text(threshold)} {values} set missing "
            f"({why}: {', '.join(self.declared)})."
        )

    def to_dict(self, threshold: int) -> dict[str, Any]:
        small = 0 < self.n < threshold
        return {
            "variable": self.variable,
            "reason": self.reason,
            "declared": list(self.declared),
            "n": None if small else self.n,
            "n_below_threshold": small,
        }


@dataclass(frozen=True)
class AnalysisFrame:
    """The table an analysis uses, and what was done to make it.

    Attributes
    ----------
    data
        Values with declared missing set missing; ``attrs`` carry value and
        variable labels.
    set_missing
        One :class:`MissingCount` per variable and reason with values set missing.
    kept_user_missing
        Variables whose declared user-missing codes were kept as values
        (``keep_user_missing=True``), with what was declared.
    variable_labels, value_labels
        From the file: column → label; column → {code text → label}.
    """

    data: pd.DataFrame
    set_missing: tuple[MissingCount, ...] = ()
    kept_user_missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    variable_labels: Mapping[str, str] = field(default_factory=dict)
    value_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def notes(self, threshold: int = DEFAULT_THRESHOLD, columns: Sequence[str] | None = None
              ) -> tuple[str, ...]:
        """Sentences for the console and table notes (only ``columns`` if given)."""
        wanted = None if columns is None else set(columns)
        out = [m.sentence(threshold) for m in self.set_missing
               if wanted is None or m.variable in wanted]
        for var, declared in self.kept_user_missing.items():
            if wanted is None or var in wanted:
                out.append(f"{var}: declared user-missing codes kept as values "
                           f"(--keep-user-missing): {', '.join(declared)}.")
        return tuple(out)

    def report(self, threshold: int = DEFAULT_THRESHOLD, columns: Sequence[str] | None = None
               ) -> list[dict[str, Any]]:
        """The counts for a results file (counts under the threshold withheld)."""
        wanted = None if columns is None else set(columns)
        return [m.to_dict(threshold) for m in self.set_missing
                if wanted is None or m.variable in wanted]


def _code_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _declared_texts(meta: VariableMeta) -> tuple[str, ...]:
    labels = {_code_text(k): v for k, v in meta.value_labels.items()}
    out = []
    for code in meta.missing_values:
        text = _code_text(code)
        out.append(f'{text} "{labels[text]}"' if text in labels else text)
    for lo, hi in meta.missing_ranges:
        lo_t = "lowest" if np.isneginf(lo) else _code_text(lo)
        hi_t = "highest" if np.isposinf(hi) else _code_text(hi)
        out.append(f"{lo_t} to {hi_t}")
    return tuple(out)


def _extended_missing(
    series: pd.Series, meta: VariableMeta
) -> tuple[pd.Series, int, tuple[str, ...]]:
    """Stata ``.a`` … ``.z`` (SAS ``.A`` … ``._``) in a numeric or date column → missing.

    A numeric column is made float, a date column datetime64.
    """
    if series.dtype != object or meta.storage in ("string", "time"):
        return series, 0, ()
    is_ext = series.map(lambda v: isinstance(v, str) and bool(_EXTENDED.match(v)))
    mask = np.asarray(is_ext.to_numpy(dtype=bool), dtype=bool)
    if not mask.any():
        return series, 0, ()
    found = sorted(set(series[mask]))
    labels = dict(meta.extended_missing)
    declared = tuple(f'{c} "{labels[c]}"' if labels.get(c) else c for c in found)
    if meta.storage in ("date", "datetime"):
        return pd.to_datetime(series.mask(mask)), int(mask.sum()), declared
    cleaned = pd.to_numeric(series.mask(mask), errors="coerce")
    return cleaned.astype("float64"), int(mask.sum()), declared


def analysis_frame(
    lf: LabelledFrame,
    *,
    keep_user_missing: bool = False,
    definitions: Sequence[Definition] = (),
    labels: bool = True,
) -> AnalysisFrame:
    """Turn a delivered file into the table an analysis reads (see the module docstring).

    Parameters
    ----------
    lf
        What a reader returned (values as delivered, declarations in metadata).
    keep_user_missing
        Keep SPSS user-missing codes as values (said in the notes). Stata
        extended missing values stay missing.
    definitions
        Derived variables (``--define``), added after missing values are set.
    labels
        Put value labels into ``attrs`` (``False``: levels print as codes).
    """
    # a shallow copy: columns are replaced, never written in place (copy-on-write),
    # so a deep copy of a large file would only cost time and memory
    data = lf.data.copy(deep=False)
    data.attrs = dict(lf.data.attrs)
    counts: list[MissingCount] = []
    kept: dict[str, tuple[str, ...]] = {}
    value_labels: dict[str, dict[str, str]] = {}
    variable_labels: dict[str, str] = {}
    for name in data.columns:
        meta = lf.variables[name]
        col, n_ext, ext_declared = _extended_missing(data[name], meta)
        if n_ext:
            data[name] = col
            counts.append(MissingCount(name, "extended_missing", ext_declared, n_ext))
        if meta.has_user_missing:
            declared = _declared_texts(meta)
            if keep_user_missing:
                kept[name] = declared
            else:
                mask = meta.user_missing_mask(data[name])
                if mask.any():
                    data[name] = data[name].mask(mask)
                    counts.append(MissingCount(name, "user_missing", declared, int(mask.sum())))
        if meta.label:
            variable_labels[name] = meta.label
        if meta.value_labels and meta.storage in ("numeric", "string"):
            missing_codes = set() if keep_user_missing else {
                _code_text(c) for c in meta.missing_values
            }
            value_labels[name] = {
                _code_text(k): str(v) for k, v in meta.value_labels.items()
                if _code_text(k) not in missing_codes
            }
    if labels and value_labels:
        data.attrs[VALUE_LABELS_ATTR] = value_labels
    if variable_labels:
        data.attrs[VARIABLE_LABELS_ATTR] = variable_labels
    data = apply_definitions(data, definitions)
    return AnalysisFrame(
        data=data,
        set_missing=tuple(counts),
        kept_user_missing=kept,
        variable_labels=variable_labels,
        value_labels=value_labels if labels else {},
    )


def load_analysis_frame(
    data: DataLike,
    *,
    columns: Sequence[str] | None = None,
    keep_user_missing: bool = False,
    definitions: Sequence[Definition] = (),
    labels: bool = True,
    sheet: str | None = None,
) -> AnalysisFrame:
    """:func:`analysis_frame` of a path, a LabelledFrame or a DataFrame.

    A DataFrame has no declarations: it is used as it is (plus definitions).
    ``columns`` limits what is read from a file (``None``: all).
    """
    if isinstance(data, pd.DataFrame):
        return AnalysisFrame(data=apply_definitions(data, definitions))
    if isinstance(data, str | os.PathLike):
        data = read_file(Path(data), columns=columns, sheet=sheet)
    if isinstance(data, LabelledFrame):
        return analysis_frame(data, keep_user_missing=keep_user_missing,
                              definitions=definitions, labels=labels)
    raise ModelError(
        f"data must be a pandas DataFrame, a LabelledFrame or a file path, not "
        f"{type(data).__name__}"
    )
