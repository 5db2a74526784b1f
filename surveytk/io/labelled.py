"""The in-memory form of a delivered file: data plus its metadata.

Every reader returns a :class:`LabelledFrame`. Values stay as delivered
(codes, not labels); the labels, user-missing declarations and file facts
travel beside the data in frozen metadata objects (the shape of pyreadstat's
``(df, meta)`` and ipumspy's ``VariableDescription``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

FileFormat = Literal["sav", "zsav", "por", "dta", "csv", "tsv", "xlsx", "parquet"]
Measure = Literal["nominal", "ordinal", "scale", "unknown"]
Storage = Literal["numeric", "string", "date", "datetime", "time"]
LabelKey = int | float | str


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
        Stata extended missing values present (``".a"`` … ``".z"``) with their labels.
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

    def is_declared_missing(self, value: object) -> bool:
        """Whether ``value`` is one of this variable's declared user-missing codes."""
        if value in self.missing_values:
            return True
        if isinstance(value, int | float) and not isinstance(value, bool):
            return any(lo <= value <= hi for lo, hi in self.missing_ranges)
        return False


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
