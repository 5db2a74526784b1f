"""Means of one variable in several domains with their joint covariance, and their differences.

:func:`domain_means` estimates p_d = Σ_{i∈d} w_i y_i / Σ_{i∈d} w_i for every
domain d (e.g. survey rounds) in one pass, with the full design-based
covariance between domains — PSUs that contribute to several domains (a panel
followed over waves) make the covariances non-zero, and dropping them would
misstate the variance of a difference. :func:`domain_differences` then tests
p_b − p_a for chosen pairs with variance c'Vc and a t reference on the design
degrees of freedom: R ``svyby(~y, ~d, design, svymean, covmat = TRUE)``
followed by ``svycontrast``.

Influence values (Woodruff 1971; Lumley 2010, §2.2): z_id = 1{i∈d} w_i (y_i − p_d) / Σ_{j∈d} w_j;
replicate designs recompute every p_d with each replicate's weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surveytk.survey.design import SurveyDesign
from surveytk.survey.estimators import EmptyDomainError, design_covariance, indicators


@dataclass(frozen=True)
class DomainMeans:
    """Means in ``k`` domains with their (k, k) covariance, rows used and design df."""

    estimate: np.ndarray
    cov: np.ndarray
    n: np.ndarray
    df: float

    @property
    def std_error(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))


@dataclass(frozen=True)
class Differences:
    """p_b − p_a for each pair with standard error, t statistic, p-value and interval."""

    pairs: tuple[tuple[int, int], ...]
    estimate: np.ndarray
    std_error: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    conf_low: np.ndarray
    conf_high: np.ndarray
    df: float


def domain_means(
    values: np.ndarray, codes: np.ndarray, n_domains: int, design: SurveyDesign
) -> DomainMeans:
    """Weighted means of ``values`` in the domains ``codes`` (0..k−1; −1 or NaN value: out).

    Parameters
    ----------
    values
        (n,) over all design rows (a 0/1 indicator gives shares).
    codes
        (n,) domain of each row; negative for rows in no domain.
    n_domains
        k.
    design
        The full design (its own domain, e.g. ``--subpop``, further restricts the rows).
    """
    y_all = np.asarray(values, dtype=np.float64)
    c_all = np.asarray(codes, dtype=np.int64)
    present = np.isfinite(y_all) & (c_all >= 0)
    sub = design if present[design.domain].all() else design.subset(present)
    if sub.n_obs == 0:
        raise EmptyDomainError("no respondent in any domain has a value; nothing to estimate")
    y = y_all[sub.domain]
    member = indicators(c_all[sub.domain], n_domains)
    w = sub.domain_weights()
    wsum = w @ member
    if np.any(wsum <= 0):
        empty = ", ".join(str(d) for d in np.flatnonzero(wsum <= 0))
        raise EmptyDomainError(f"domain(s) {empty} have no respondent with a value")
    est = (w * y) @ member / wsum
    influence = w[:, None] * member * (y[:, None] - est) / wsum

    def recompute(wr: np.ndarray) -> np.ndarray:
        return np.asarray((wr * y) @ member / (wr @ member))

    cov = design_covariance(influence, recompute, est, sub)
    n = member.sum(axis=0).astype(np.int64)
    return DomainMeans(est, cov, n, float(sub.df))


def domain_differences(
    means: DomainMeans, pairs: Sequence[tuple[int, int]], *, level: float = 0.95
) -> Differences:
    """p_b − p_a for every ``(a, b)`` in ``pairs``; two-sided t tests on the design df."""
    from scipy import stats

    k = means.estimate.shape[0]
    contrasts = np.zeros((len(pairs), k))
    for row, (a, b) in enumerate(pairs):
        contrasts[row, a] -= 1.0
        contrasts[row, b] += 1.0
    diff = contrasts @ means.estimate
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", contrasts, means.cov, contrasts), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / se
    df = means.df
    ref = stats.norm if not np.isfinite(df) else stats.t(df)
    p = 2.0 * ref.sf(np.abs(t))
    q = float(ref.ppf(0.5 + level / 2.0))
    return Differences(tuple((int(a), int(b)) for a, b in pairs), diff, se, t, p,
                       diff - q * se, diff + q * se, df)
