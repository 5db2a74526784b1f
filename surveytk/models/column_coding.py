"""How a data column enters a model: missing values, numbers, and levels with their coding.

:func:`surveytk.models.formula.build_model_frame` reads every column the formula
names through these: :func:`missing_mask` (NA and non-finite values),
:func:`numeric_values`, the outcome as 0/1, numbers or level codes
(:func:`outcome_values`), and for categorical columns the levels that occur
(:func:`observed_levels`), their texts (codes, or value labels where distinct:
:func:`labelled_texts`, :func:`level_text`), the treatment-coding order with
``C(x, ref=..., levels=[...])`` (:func:`choose_coding`) and the rows' codes
(:func:`level_codes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from surveytk.errors import FormulaError
from surveytk.models.formula_grammar import Factor

OutcomeKind = Literal["binary", "ordinal", "nominal", "continuous"]


@dataclass(frozen=True)
class LevelCoding:
    """Levels of a categorical variable in coding order (reference first) and their texts."""

    levels: tuple[Any, ...]  # original values, coding order
    labels: tuple[str, ...]


def is_bool(s: pd.Series) -> bool:
    """A boolean column (entered as 0/1)."""
    return pd.api.types.is_bool_dtype(s.dtype)


def is_categorical_like(s: pd.Series) -> bool:
    """A category or non-numeric column (entered with one dummy per level)."""
    return isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype)


def numeric_values(s: pd.Series, column: str) -> np.ndarray:
    """``s`` as float64 (NA as NaN); a categorical or text column is refused."""
    if isinstance(s.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(s.dtype) or is_bool(s)
    ):
        raise FormulaError(
            f"column {column!r} is not numeric ({s.dtype}); use C({column}) to enter it as "
            "categorical",
            variable=column,
        )
    return np.asarray(s.to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)


def level_codes(s: pd.Series, levels: Sequence[Any]) -> np.ndarray:
    """Integer codes of ``s`` into ``levels`` (−1 for missing or unknown)."""
    if isinstance(s.dtype, pd.CategoricalDtype) and list(s.cat.categories) == list(levels):
        return np.asarray(s.cat.codes.to_numpy(), dtype=np.int64)
    # factorize hashes once; mapping the few uniques to levels is then a take
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    index = {v: i for i, v in enumerate(levels)}
    texts = {level_text(v): i for i, v in enumerate(levels)}
    lookup = np.array(
        [index.get(u, texts.get(level_text(u), -1)) for u in uniques] + [-1], dtype=np.int64
    )
    return lookup[codes]


def observed_levels(s: pd.Series, mask: np.ndarray) -> list[Any]:
    """Levels of ``s`` that occur on the ``mask`` rows: category order, else sorted."""
    sub = s[mask]
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = np.unique(sub.cat.codes.to_numpy())
        present = present[present >= 0]
        return [s.cat.categories[i] for i in present]
    uniq = pd.unique(sub.dropna())
    try:
        return sorted(uniq.tolist())
    except TypeError:
        return sorted(uniq.tolist(), key=str)


def level_text(v: Any) -> str:
    """A level as text; whole floats without ``.0`` (``2.0`` → ``"2"``)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def missing_mask(s: pd.Series) -> np.ndarray:
    """True where ``s`` is missing: NA, and NaN or ±inf in a float column."""
    miss = np.array(s.isna().to_numpy(), dtype=bool)
    if pd.api.types.is_float_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        miss |= ~np.isfinite(np.asarray(s.to_numpy(dtype="float64", na_value=np.nan)))
    return miss


def outcome_values(
    s: pd.Series,
    mask: np.ndarray,
    kind: OutcomeKind,
    column: str,
    value_labels: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The outcome on the ``mask`` rows as ``kind`` needs it, and its level texts.

    Binary: float 0/1; continuous: float; ordinal and nominal: int64 codes into
    the observed levels (texts from ``value_labels`` where distinct).
    """
    sub = s[mask]
    if kind == "binary":
        if isinstance(sub.dtype, pd.CategoricalDtype) or not (
            is_bool(sub) or pd.api.types.is_numeric_dtype(sub.dtype)
        ):
            name = column if column.isidentifier() else f"`{column}`"
            raise FormulaError(
                f"outcome {column!r} of a binary model must be boolean or 0/1 numeric, "
                f"not {sub.dtype}; recode it, e.g. I({name} == \"Yes\") ~ ... for text",
                variable=column,
            )
        y = np.asarray(sub.to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)
        if not np.isin(y, (0.0, 1.0)).all():
            raise FormulaError(
                f"outcome {column!r} of a binary model has values other than 0/1; recode it",
                variable=column,
            )
        return y, ()
    if kind == "continuous":
        return numeric_values(sub, column), ()
    if kind == "ordinal":
        cat = sub.dtype
        if isinstance(cat, pd.CategoricalDtype):
            if not cat.ordered:
                raise FormulaError(
                    f"outcome {column!r} of an ordinal model must be an ordered category or "
                    "integers; it is an unordered category",
                    variable=column,
                )
        elif not pd.api.types.is_integer_dtype(cat) and not (
            pd.api.types.is_float_dtype(cat)
            and np.all(np.mod(sub.to_numpy(dtype="float64"), 1) == 0)
        ):
            raise FormulaError(
                f"outcome {column!r} of an ordinal model must be an ordered category or "
                f"integers, not {cat}",
                variable=column,
            )
    levels = observed_levels(s, mask)
    if len(levels) < 2:
        raise FormulaError(
            f"outcome {column!r} has fewer than two levels in the estimation sample",
            variable=column,
        )
    codes = level_codes(sub, levels)
    return codes, tuple(labelled_texts(levels, value_labels))


def labelled_texts(levels: Sequence[Any], value_labels: Mapping[str, str] | None) -> list[str]:
    """Level texts: value labels where every level has a distinct one, else codes."""
    codes = [level_text(v) for v in levels]
    if not value_labels:
        return codes
    texts = [value_labels.get(c, c) for c in codes]
    if len(set(texts)) < len(texts):  # two codes share a label: keep codes, never merge
        return [f"{value_labels[c]} ({c})" if c in value_labels else c for c in codes]
    return texts


def choose_coding(
    col: str,
    s: pd.Series,
    mask: np.ndarray,
    factor: Factor | None,
    formula: str,
    value_labels: Mapping[str, str] | None = None,
) -> LevelCoding:
    """Levels of categorical ``col`` in coding order: ``C(col, levels=[...])`` order,
    then the reference (``ref=``, else the first level) moved first."""
    levels = observed_levels(s, mask)
    labels = labelled_texts(levels, value_labels)
    codes = [level_text(v) for v in levels]

    def position(level: str) -> int | None:
        for seq in (labels, codes):
            if level in seq:
                return seq.index(level)
        return None

    if factor is not None and factor.levels is not None:
        unlisted = [lab for lab, c in zip(labels, codes, strict=True)
                    if lab not in factor.levels and c not in factor.levels]
        if unlisted:
            raise FormulaError(
                f"C({col}, levels=[...]) in formula {formula!r} does not list level(s) "
                f"{', '.join(map(repr, unlisted[:5]))} of the estimation sample; list every level",
                variable=col,
            )
        order = [i for i in (position(lv) for lv in factor.levels) if i is not None]
        levels = [levels[i] for i in order]
        labels = [labels[i] for i in order]
        codes = [codes[i] for i in order]
    ref = factor.ref if factor is not None else None
    if ref is not None:
        at = position(ref)
        if at is None:
            raise FormulaError(
                f"reference level {ref!r} of C({col}) does not occur in the estimation sample; "
                "levels: " + ", ".join(labels),
                variable=col,
                value=ref,
            )
        i = at
        levels = [levels[i], *levels[:i], *levels[i + 1 :]]
        labels = [labels[i], *labels[:i], *labels[i + 1 :]]
    if len(levels) < 2:
        raise FormulaError(
            f"categorical {col!r} in formula {formula!r} has fewer than two levels in the "
            "estimation sample; drop it or widen the sample",
            variable=col,
        )
    return LevelCoding(tuple(levels), tuple(labels))
