"""Reference distributions for tests and intervals: t with design df, or the normal.

Written on :mod:`scipy.special` (``stdtr``/``stdtrit``/``ndtr``/``ndtri``, the same
functions ``scipy.stats.t`` and ``scipy.stats.norm`` evaluate) because importing
:mod:`scipy.stats` costs about a second at CLI start-up.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special


def _is_normal(df: float | None) -> bool:
    return df is None or not math.isfinite(df)


def two_sided_pvalues(stat: np.ndarray, df: float | None) -> np.ndarray:
    """``2 P(T > |stat|)`` for T ~ t(df), or the standard normal when ``df`` is None/inf."""
    a = -np.abs(np.asarray(stat, dtype=float))
    if _is_normal(df):
        return np.asarray(2.0 * special.ndtr(a), dtype=float)
    return np.asarray(2.0 * special.stdtr(float(df), a), dtype=float)  # type: ignore[arg-type]


def quantile(p: float, df: float | None) -> float:
    """The ``p`` quantile of t(df), or of the standard normal when ``df`` is None/inf."""
    if _is_normal(df):
        return float(special.ndtri(p))
    return float(special.stdtrit(float(df), p))  # type: ignore[arg-type]


def interval_multiplier(level: float, df: float | None) -> float:
    """Half-width multiplier of a two-sided ``level`` confidence interval."""
    return quantile(0.5 + level / 2.0, df)
