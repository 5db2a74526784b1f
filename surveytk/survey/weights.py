"""Sampling weights of a design: checked from a column, or made from the fpc."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from surveytk.disclosure import count_text
from surveytk.errors import DesignError
from surveytk.language.lexer import close_matches_hint
from surveytk.survey.stages import Stage


def _column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in data.columns:
        raise DesignError(
            f"{role} column {name!r} is not in the data"
            + (close_matches_hint(name, data.columns) or "; columns include "
               + ", ".join(map(str, list(data.columns)[:8]))),
            variable=name,
        )
    return data[name]


def _numeric(s: pd.Series, name: str, role: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise DesignError(f"{role} column {name!r} must be numeric, not {s.dtype}", variable=name)
    return np.asarray(s.to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)


def weights_from_fpc(stages: Sequence[Stage]) -> np.ndarray:
    """Weights Π_s N_s / n_s from the fpc when no weight column is given (R ``svydesign``)."""
    w = np.ones(stages[0].strata.shape[0])
    for stage in stages:
        if np.all(np.isfinite(stage.popsize_h)):
            w *= (stage.popsize_h / stage.n_h)[stage.strata]
    return w


def check_weights(data: pd.DataFrame, weights: str | None) -> np.ndarray:
    if weights is None:
        return np.ones(len(data), dtype=np.float64)
    w = _numeric(_column(data, weights, "weight"), weights, "weight")
    missing = ~np.isfinite(w)
    if missing.any():
        raise DesignError(
            f"weights must be present; {count_text(int(missing.sum()))} rows have a missing weight "
            f"({weights}). Drop them in the sample rules or fix the file.",
            variable=weights,
            reason="missing_weight",
        )
    negative = w < 0
    if negative.any():
        raise DesignError(
            f"weights must be positive; {count_text(int(negative.sum()))} rows have weight < 0 "
            f"({weights}). Drop them in the sample rules or fix the file.",
            variable=weights,
            reason="negative_weight",
        )
    if not (w > 0).any():
        raise DesignError(
            f"every weight in {weights!r} is zero; nothing to estimate", variable=weights
        )
    return w
