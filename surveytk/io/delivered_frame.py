"""The in-memory form of a delivered file: data plus its metadata.

Every reader returns a :class:`LabelledFrame`. Values stay as delivered
(codes, not labels); the labels, user-missing declarations and file facts
travel beside the data in frozen metadata objects (the shape of pyreadstat's
``(df, meta)`` and ipumspy's ``VariableDescription``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import pandas as pd

FileFormat = Literal[
    "sav", "zsav", "por", "dta", "sas7bdat", "xpt", "csv", "tsv", "xls", "xlsx", "parquet"
]
Measure = Literal["nominal", "ordinal", "scale", "unknown"]
Storage = Literal["numeric", "string", "date", "datetime", "time"]
LabelKey = int | float | str

#: an extended missing code as it stands in ``data``: Stata ``.a``–``.z``, SAS ``.A``–``.Z``, ``._``
EXTENDED_MISSING: Final = re.compile(r"\.[a-zA-Z_]")


def is_extended_missing(value: object) -> bool:
    """Whether ``value`` is an extended missing code (``".a"``, ``".Z"``, ``"._"``)."""
    return isinstance(value, str) and EXTENDED_MISSING.fullmatch(value) is not None


@dataclass(frozen=True)
class VariableMeta:
    """What a file says about one variable.

    Attributes
    ----------
    name
        Variable name as in the file.
    label
        Variable label (question text or short label), ``None`` if absent.
    value_labels
        Code → label, as declared in the file. Empty for unlabelled variables.
    missing_values
        SPSS discrete user-missing codes declared in the file.
    missing_ranges
        SPSS user-missing ranges ``(low, high)``, inclusive.
    extended_missing
        Extended missing codes present in the column with their labels (``""`` where
        unlabelled): Stata ``".a"`` … ``".z"``, SAS ``".A"`` … ``".Z"`` and ``"._"``. In
        ``data`` these rows hold the code as a string (see :func:`is_extended_missing`).
    measure
        SPSS measurement level, ``"unknown"`` where the format has none.
    format
        Display format as in the file (``F8.2``, ``%9.0g``, ``DATE11``...).
    storage
        How the values are stored after reading.
    """

    name: str
    label: str | None = None
    value_labels: Mapping[LabelKey, str] = field(default_factory=dict)
    missing_values: tuple[LabelKey, ...] = ()
    missing_ranges: tuple[tuple[float, float], ...] = ()
    extended_missing: Mapping[str, str] = field(default_factory=dict)
    measure: Measure = "unknown"
    format: str | None = None
    storage: Storage = "numeric"

    @property
    def has_user_missing(self) -> bool:
        return bool(self.missing_values or self.missing_ranges)

    @property
    def has_declared_missing(self) -> bool:
        """Declares SPSS user-missing codes or holds extended missing codes."""
        return self.has_user_missing or bool(self.extended_missing)

    def is_declared_missing(self, value: object) -> bool:
        """Whether ``value`` is a declared user-missing code or an extended missing code."""
        if self.storage != "string" and is_extended_missing(value):
            return True
        try:
            if value in self.missing_values:
                return True
        except TypeError:  # an unhashable or incomparable cell
            return False
        if isinstance(value, int | float) and not isinstance(value, bool):
            return any(lo <= value <= hi for lo, hi in self.missing_ranges)
        return False

    def declared_missing_mask(self, values: pd.Series) -> np.ndarray:
        """Per row of ``values`` (this variable's column), whether it is declared missing.

        True for SPSS discrete user-missing codes, values inside a user-missing range
        (inclusive) and, in numeric columns, extended missing codes (``.a``, ``.A``,
        ``._``). System missing (``NaN``) is not *declared* missing: it is ``False``.
        """
        return self.user_missing_mask(values) | self.extended_missing_mask(values)

    def user_missing_mask(self, values: pd.Series) -> np.ndarray:
        """Rows holding an SPSS discrete user-missing code or a value in a missing range."""
        out = np.zeros(len(values), dtype=bool)
        if not self.has_user_missing:
            return out
        if self.storage == "string":
            text = values.astype(object).where(values.notna(), None)
            codes = {str(c).rstrip() for c in self.missing_values}
            return text.map(lambda v: v is not None and str(v).rstrip() in codes).to_numpy(bool)
        num = pd.to_numeric(values.where(~_extended_rows(values)), errors="coerce")
        arr = num.to_numpy(dtype="float64", na_value=np.nan)
        numeric_codes = [float(c) for c in self.missing_values if isinstance(c, int | float)]
        if numeric_codes:
            out |= np.isin(arr, numeric_codes)
        for lo, hi in self.missing_ranges:
            out |= (arr >= lo) & (arr <= hi)
        return out

    def extended_missing_mask(self, values: pd.Series) -> np.ndarray:
        """Rows holding an extended missing code (numeric columns only)."""
        if self.storage == "string" or values.dtype.kind in "biufcmM":
            return np.zeros(len(values), dtype=bool)
        return _extended_rows(values)

    def declared_missing_text(self) -> str:
        """The declaration in words, for notes: ``"-9, -8; 7777 to 9999; .a, .b"``."""
        parts = []
        if self.missing_values:
            parts.append(", ".join(_code_text(c) for c in self.missing_values))
        parts += [f"{_code_text(lo)} to {_code_text(hi)}" for lo, hi in self.missing_ranges]
        if self.extended_missing:
            parts.append(", ".join(sorted(self.extended_missing)))
        return "; ".join(parts)


def _extended_rows(values: pd.Series) -> np.ndarray:
    if values.dtype.kind in "biufcmM":
        return np.zeros(len(values), dtype=bool)
    return values.map(is_extended_missing).to_numpy(dtype=bool)


def _code_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class FileMeta:
    """Facts about the delivered file itself."""

    path: str
    format: FileFormat
    format_version: str | None
    encoding: str | None
    n_rows: int
    n_cols: int
    sha256: str
    file_label: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelledFrame:
    """A delivered table: ``data`` (values as delivered) plus per-variable metadata."""

    data: pd.DataFrame
    variables: Mapping[str, VariableMeta]
    file: FileMeta

    def __post_init__(self) -> None:
        missing = [c for c in self.data.columns if c not in self.variables]
        if missing:
            raise ValueError(f"no metadata for columns {missing[:5]}")

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.data.columns]

    def meta(self, name: str) -> VariableMeta:
        return self.variables[name]

    def __len__(self) -> int:
        return len(self.data)

    def declared_missing(self) -> dict[str, DeclaredMissingCount]:
        """Per variable with any, how many values are declared missing (user or extended)."""
        out: dict[str, DeclaredMissingCount] = {}
        for name in self.columns:
            meta = self.variables[name]
            if not meta.has_declared_missing:
                continue
            col = self.data[name]
            count = DeclaredMissingCount(
                user=int(meta.user_missing_mask(col).sum()),
                extended=int(meta.extended_missing_mask(col).sum()),
                declaration=meta.declared_missing_text(),
            )
            if count.total:
                out[name] = count
        return out

    def with_declared_missing_as_na(self) -> DeclaredMissingApplied:
        """A copy of ``data`` with every declared missing value set to ``NaN``, and the counts.

        The analysis view of a delivered file (as haven's ``zap_missing`` after
        ``user_na = TRUE``, or Stata treating ``.a`` … ``.z`` as missing): SPSS user-missing
        codes and ranges and extended missing codes become ``NaN``; a numeric column that
        held extended codes becomes ``float64``. ``data`` itself is not changed.
        """
        data = self.data.copy()
        counts: dict[str, DeclaredMissingCount] = {}
        for name in self.columns:
            meta = self.variables[name]
            if not meta.has_declared_missing:
                continue
            col = data[name]
            user = meta.user_missing_mask(col)
            extended = meta.extended_missing_mask(col)
            hit = user | extended
            if hit.any():
                col = col.mask(hit)
            if col.dtype == object and meta.storage == "numeric":
                col = pd.to_numeric(col, errors="raise").astype("float64")
            elif col.dtype == object and meta.storage in ("date", "datetime"):
                col = pd.to_datetime(col)
            elif col.dtype == object:
                col = col.infer_objects()
            if hit.any():
                counts[name] = DeclaredMissingCount(
                    user=int(user.sum()),
                    extended=int(extended.sum()),
                    declaration=meta.declared_missing_text(),
                )
            data[name] = col
        return DeclaredMissingApplied(data=data, counts=counts)


@dataclass(frozen=True)
class DeclaredMissingCount:
    """How many values of one variable are declared missing, and what the file declares."""

    user: int
    extended: int
    declaration: str

    @property
    def total(self) -> int:
        return self.user + self.extended


@dataclass(frozen=True)
class DeclaredMissingApplied:
    """:meth:`LabelledFrame.with_declared_missing_as_na`: the data and counts per variable."""

    data: pd.DataFrame
    counts: Mapping[str, DeclaredMissingCount]
