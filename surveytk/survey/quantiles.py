"""Quantiles of a survey variable with Woodruff intervals (R ``svyquantile``, survey ≥ 4.1).

R ``survey`` 4.1's defaults, which this module reproduces exactly:

- ``qrule = "math"``: the quantile is the smallest observed value x with
  F̂(x) ≥ p, where F̂ is the weighted distribution function (the inverse of the
  empirical CDF, Hyndman & Fan type 1 with weights);
- ``interval.type = "mean"``: the Woodruff (1952) interval. The proportion
  F̂(q̂) = mean of 1{y ≤ q̂} gets a Wald interval p_L, p_U with t on the
  design df (its standard error linearised, or from replicates); the
  interval of the quantile is (Q̂(p_L), Q̂(p_U)), an end NaN where p_L < 0 or
  p_U > 1; the standard error is (upper − lower) / (2 t_{df}).

Replicate designs use the same Woodruff interval with the replicate variance
of the proportion (R ``svyquantile.svyrep.design``'s default
``interval.type = "mean"``); R offers replicate quantiles only on request.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surveytk.errors import ModelError
from surveytk.survey.design import SurveyDesign
from surveytk.survey.estimators import (
    EmptyDomainError,
    survey_mean,
    t_quantile,
    wald_interval,
)


@dataclass(frozen=True)
class QuantileEstimate:
    """One quantile with its Woodruff interval."""

    prob: float
    estimate: float
    conf_low: float
    conf_high: float
    std_error: float
    df: float
    n: int


def quantile_math(values: np.ndarray, weights: np.ndarray, p: float) -> float:
    """R ``survey:::qrule_math``: the weighted quantile of rule ``"math"``.

    Notes
    -----
    Sort the values; with cumulative weights C_j and total W, let j be the
    last position with C_j ≤ pW (1 if none). If C_j / W equals p exactly the
    quantile is x_(j), otherwise x_(j+1) (x_(n) at the end). Sums are
    accumulated in extended precision, as R's ``cumsum`` and ``sum`` do, so
    that exact ties between C_j and pW fall the same way as in R.
    """
    keep = weights != 0
    x = np.asarray(values, dtype=np.float64)[keep]
    w = np.asarray(weights, dtype=np.float64)[keep]
    if x.size == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    x = x[order]
    cumw = np.cumsum(w[order].astype(np.longdouble)).astype(np.float64)
    total = float(np.sum(w.astype(np.longdouble)))
    below = np.flatnonzero(cumw <= p * total)
    pos = int(below[-1]) if below.size else 0
    nxt = pos if pos == x.size - 1 else pos + 1
    wlow = p - cumw[pos] / total
    return float(x[pos] if wlow == 0 else x[nxt])


def survey_quantiles(
    values: np.ndarray, design: SurveyDesign, probs: list[float], level: float = 0.95
) -> list[QuantileEstimate]:
    """Quantiles of ``values`` in the design's domain with Woodruff intervals.

    Parameters
    ----------
    values
        (n,) over all design rows; missing values leave the domain.
    probs
        Probabilities in [0, 1].
    """
    x = np.asarray(values, dtype=np.float64)
    present = np.isfinite(x)
    sub = design if present[design.domain].all() else design.subset(present)
    if sub.n_obs == 0:
        raise EmptyDomainError("no respondent in the domain has a value; nothing to estimate")
    dom = sub.domain
    xd, wd = x[dom], sub.weights[dom]
    df = sub.df
    q = t_quantile(df, level)
    out = []
    for p in probs:
        if not 0.0 <= p <= 1.0:
            raise ModelError(f"--probs: probabilities lie in [0, 1]; got {p:g}")
        qhat = quantile_math(xd, wd, p)
        below = np.where(present, x <= qhat, np.nan)
        m = survey_mean(below, sub, deff=False)
        lo, hi = wald_interval(m.estimate, m.std_error, df, level)
        lower = float("nan") if not lo[0] >= 0 else quantile_math(xd, wd, float(lo[0]))
        upper = float("nan") if not hi[0] <= 1 else quantile_math(xd, wd, float(hi[0]))
        out.append(
            QuantileEstimate(
                prob=float(p),
                estimate=qhat,
                conf_low=lower,
                conf_high=upper,
                std_error=(upper - lower) / (2.0 * q),
                df=df,
                n=int(xd.size),
            )
        )
    return out
