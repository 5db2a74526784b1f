"""Shares of the levels of a variable in a domain, with linearised standard errors.

The estimator half of ``surveytk tabulate`` (:mod:`surveytk.tabulate` applies
disclosure control and holds the result): the level order and codes of a
by-variable, and the shares of its levels in one domain with R ``svymean``'s
linearised variance and t intervals on the domain's design degrees of freedom.
Pure functions of arrays and a :class:`~surveytk.survey.design.SurveyDesign`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveytk.survey.calibration import text_codes, value_text
from surveytk.survey.design import SurveyDesign
from surveytk.survey.estimators import indicators, wald_interval
from surveytk.survey.variance import linearized_meat

# ---------------------------------------------------------------------------
# numbers
# ---------------------------------------------------------------------------


def share_scores(
    indicators: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted shares of k levels and their estimating-equation scores.

    Parameters
    ----------
    indicators
        (m, k) 0/1 indicators of the k levels for the m domain rows.
    weights
        (m,) sampling weights of those rows (positive).

    Returns
    -------
    shares, scores, sum_weights
        The k shares p_k, the (m, k) scores w_i (y_ik − p_k) and Σ w_i.

    Notes
    -----
    The share p_k = Σ w_i y_ik / Σ w_i is the ratio estimator of the mean of
    y_k; it solves Σ w_i (y_ik − p_k) = 0, the score equation of a weighted
    least-squares fit of y_k on a constant, whose Hessian is −Σw · I
    (Woodruff 1971; Lumley 2010, §2.2 and §3.1).
    """
    y = np.asarray(indicators, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    p = (w @ y) / total
    return p, w[:, None] * (y - p), total


def share_variances(scores: np.ndarray, sum_weights: float, design: SurveyDesign) -> np.ndarray:
    """Linearised variances of the shares: the diagonal of H⁻¹ M H⁻¹ with H = −Σw · I.

    M is the design's meat of the scores (:func:`surveytk.survey.variance.linearized_meat`:
    PSU totals centred within strata, fpc, lonely-PSU rule); the result is the
    variance of the influence functions w_i (y_ik − p_k) / Σw, as R ``svymean``
    computes it (Binder 1983).
    """
    meat = linearized_meat(scores, design)
    bread = 1.0 / -sum_weights  # H⁻¹ of the diagonal Hessian −Σw · I
    return np.asarray(np.diag(meat) * bread * bread)


@dataclass(frozen=True)
class DomainShares:
    """Shares of k levels in one domain (all numbers before disclosure control)."""

    share: np.ndarray
    std_error: np.ndarray
    conf_low: np.ndarray
    conf_high: np.ndarray
    n: np.ndarray
    df: float
    sum_weights: float


def domain_shares(
    codes: np.ndarray, n_levels: int, design: SurveyDesign, level: float = 0.95
) -> DomainShares:
    """Shares of level codes ``0..n_levels-1`` in ``design``'s domain, linearised SEs.

    Parameters
    ----------
    codes
        (n,) level code of every design row (any value outside the domain).
    n_levels
        Number of levels k.
    design
        The design, narrowed to the domain with :meth:`SurveyDesign.subset`.
    level
        Confidence level of the intervals.

    Notes
    -----
    Domain estimation: rows outside the domain contribute zero scores while
    every PSU and stratum of the design stays in the variance (R ``svyby`` /
    ``subset.survey.design``). Intervals are Wald intervals p ± t · se with the
    domain's design df (#PSU − #strata among domain rows, R ``degf``); they may
    leave [0, 1] for small or extreme shares.
    """
    dom = design.domain
    y = indicators(np.asarray(codes)[dom], n_levels)
    share, scores, total = share_scores(y, design.weights[dom])
    se = np.sqrt(np.clip(share_variances(scores, total, design), 0.0, None))
    df = design.df
    low, high = wald_interval(share, se, df, level)
    return DomainShares(
        share=share,
        std_error=se,
        conf_low=low,
        conf_high=high,
        n=y.sum(axis=0),
        df=df,
        sum_weights=total,
    )


# ---------------------------------------------------------------------------
# levels of a variable
# ---------------------------------------------------------------------------


def level_order(series: pd.Series) -> list[str]:
    """The natural order of a variable's levels as text.

    Categories in their declared order, booleans ``False`` then ``True``,
    numbers ascending, text sorted; the text of a value as totals files and
    tables name it (``1.0`` → ``"1"``, :func:`surveytk.survey.calibration.text_codes`).
    """
    s = series.dropna()
    if isinstance(series.dtype, pd.CategoricalDtype):
        return _texts(list(series.cat.categories))
    if pd.api.types.is_bool_dtype(series.dtype):
        return ["False", "True"]
    if pd.api.types.is_numeric_dtype(series.dtype):
        # the values as factorising gives them (float32 as float64), so that the texts
        # are the ones text_codes and level_codes make
        return _texts(sorted(pd.factorize(s, use_na_sentinel=True)[1]))
    return sorted(text_codes(s)[1])


def ordered_level_codes(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """:func:`level_order` and the codes of :func:`level_codes` in that order (−1 where
    missing), equal to calling the two; a numeric column is factorised once, not twice."""
    dtype = series.dtype
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or not pd.api.types.is_numeric_dtype(dtype)
    ):
        levels = level_order(series)
        return level_codes(series, levels)[0], levels
    if isinstance(dtype, np.dtype) and (
        dtype.kind == "i" or (dtype.kind == "u" and dtype.itemsize < 8)
    ):
        counted = _counted_codes(series.to_numpy())
        if counted is not None:
            return counted
    raw, uniques = pd.factorize(series, use_na_sentinel=True)
    values = list(uniques)
    texts = [value_text(v) for v in values]
    ascending = sorted(range(len(values)), key=values.__getitem__)
    levels = list(dict.fromkeys(texts[i] for i in ascending))
    codes = np.asarray(raw, dtype=np.int64)
    return _recode(codes, texts, levels, codes >= 0), levels


def _counted_codes(values: np.ndarray) -> tuple[np.ndarray, list[str]] | None:
    """The codes and levels of integers in a range no wider than the column, by counting
    the values rather than hashing them (``None`` for a wider range); distinct integers
    have distinct texts, so the levels are the values present, ascending."""
    if values.size == 0:
        return None
    low, high = int(values.min()), int(values.max())
    if high - low >= max(values.size, 1 << 16):
        return None
    codes = np.subtract(values, low, dtype=np.int64)  # the offsets, then the codes in place
    seen = np.bincount(codes, minlength=high - low + 1) > 0
    rank = np.cumsum(seen) - 1
    np.take(rank, codes, out=codes, mode="clip")
    return codes, [value_text(v) for v in np.flatnonzero(seen) + low]


def _texts(values: list[object]) -> list[str]:
    """The distinct texts of ``values``, in order of first appearance."""
    return text_codes(pd.Series(values, dtype=object))[1]


def level_codes(series: pd.Series, levels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``series`` in ``levels`` (−1 where missing) and the missing mask."""
    missing = np.asarray(series.isna().to_numpy(), dtype=bool)
    tcodes, texts = text_codes(series)  # the text of each distinct value, made once
    return _recode(tcodes, texts, levels, ~missing & (tcodes >= 0)), missing


def _recode(
    codes: np.ndarray, texts: Sequence[str], levels: Sequence[str], use: np.ndarray
) -> np.ndarray:
    """Codes into ``texts`` (at the rows ``use``) as codes into ``levels``; −1 elsewhere."""
    index = {lv: i for i, lv in enumerate(levels)}
    to_level = np.array([index[t] for t in texts], dtype=np.int64)
    out = np.full(codes.shape[0], -1, dtype=np.int64)
    out[use] = to_level[codes[use]]
    return out
