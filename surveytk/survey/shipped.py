"""Replicate weights shipped with the data (``--repweights REGEX --reptype TYPE``).

Columns are selected by a regular expression (``re.search`` on the names, as R
``svrepdesign(repweights=)``); the variance scale and rscales default to R
``svrepdesign``'s for the type.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from surveytk.disclosure import count_text
from surveytk.errors import DesignError
from surveytk.survey.options import REP_TYPES, check_choice


def read_shipped(
    data: pd.DataFrame,
    pattern: str,
    reptype: str | None,
    rho: float | None,
    scale: float | None,
    rscales: Sequence[float] | None,
    weights: str | None,
) -> tuple[np.ndarray, float, np.ndarray]:
    """(n, R) replicate weights matching ``pattern`` (the weight column left out), scale, rscales.

    Raises
    ------
    DesignError
        No ``reptype``, an invalid or unmatched pattern, non-numeric, missing or
        negative replicate weights, bad ``rho``/``rscales``.
    """
    if reptype is None:
        raise DesignError("--repweights needs --reptype (one of " + ", ".join(REP_TYPES) + ")")
    check_choice("--reptype", reptype, REP_TYPES)
    check_bounded_regex(pattern)
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise DesignError(
            f"--repweights {pattern!r} is not a valid regular expression: {exc}"
        ) from None
    cols = [c for c in map(str, data.columns) if rx.search(c[:MAX_NAME]) and c != weights]
    if not cols:
        raise DesignError(
            f"--repweights {pattern!r} matches no column; replicate columns look like "
            "e.g. 'repw_1 … repw_80' → use '^repw_'",
            variable=pattern,
        )
    mat = np.column_stack([_numeric(data[c], c) for c in cols])
    bad = ~np.isfinite(mat) | (mat < 0)
    if bad.any():
        raise DesignError(
            f"replicate weights {pattern!r}: {count_text(int(bad.any(axis=1).sum()))}"
            f" rows have missing "
            "or negative values; fix the file",
            variable=pattern,
        )
    sc, rs = _shipped_scales(reptype, mat.shape[1], rho, scale, rscales)
    return np.ascontiguousarray(mat), sc, rs


#: longest --repweights pattern; column names are matched only up to this many characters
MAX_PATTERN = 200
MAX_NAME = 256
#: a repeated group (``(a+)+``, ``(a|aa)*``, ``(x){2,}``) or a back-reference: the shapes
#: whose matching time can grow exponentially with the length of a column name
_UNBOUNDED = re.compile(r"\)[*+{]|\)\?[*+]|\\[1-9]|\(\?P=")


def check_bounded_regex(pattern: str) -> None:
    """Refuse a ``--repweights`` pattern that could backtrack catastrophically.

    Plain regular expressions (R ``svrepdesign(repweights=)``) stay: anchors, classes,
    single-character repeats (``repw_[0-9]+$``), alternatives. A repeated group or a
    back-reference is refused, and so is a pattern over :data:`MAX_PATTERN` characters.
    """
    if len(pattern) > MAX_PATTERN:
        raise DesignError(f"--repweights is {len(pattern)} characters long; at most "
                          f"{MAX_PATTERN} are allowed", variable="--repweights")
    if _UNBOUNDED.search(pattern):
        raise DesignError(
            f"--repweights {pattern[:60]!r}: a repeated group or a back-reference can take "
            "exponential time on long column names; use a plain pattern such as '^repw_' or "
            "'repw_[0-9]+$'",
            variable="--repweights",
        )


def _numeric(s: pd.Series, name: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise DesignError(
            f"replicate weight column {name!r} must be numeric, not {s.dtype}", variable=name
        )
    return np.asarray(s.to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)


def _shipped_scales(
    reptype: str,
    nrep: int,
    rho: float | None,
    scale: float | None,
    rscales: Sequence[float] | None,
) -> tuple[float, np.ndarray]:
    """R ``svrepdesign`` defaults for scale and rscales."""
    rs = np.ones(nrep) if rscales is None else np.asarray(rscales, dtype=np.float64)
    if rs.size == 1:
        rs = np.full(nrep, float(rs[0]))
    if rs.size != nrep:
        raise DesignError(f"rscales has {rs.size} values; the design has {nrep} replicates")
    if reptype == "brr":
        return 1.0 / nrep, rs
    if reptype == "fay":
        if rho is None or not 0 <= rho < 1:
            raise DesignError("--reptype fay needs --rho in [0, 1), e.g. 0.5")
        return 1.0 / (nrep * (1.0 - rho) ** 2), rs
    if reptype in ("bootstrap", "subbootstrap"):
        return (1.0 / (nrep - 1) if scale is None else float(scale)), rs
    if reptype == "jk1":
        return ((nrep - 1.0) / nrep if scale is None else float(scale)), rs
    if reptype == "jkn" and rscales is None:
        raise DesignError(
            "--reptype jkn with shipped weights needs rscales ((n_h − 1)/n_h per replicate); "
            "give them in the analysis spec"
        )
    return (1.0 if scale is None else float(scale)), rs
