"""What a numeric kernel returns: the contract between estimators and covariance.

Kernels are pure functions of arrays (design matrix, outcome, weights, start
values) returning a frozen :class:`KernelFit`. Covariance estimators need only
``scores`` and ``hessian`` (linearised) or the kernel itself re-run with other
weights (replicate), so every family shares them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KernelFit:
    """A maximised weighted (pseudo-)log-likelihood.

    Attributes
    ----------
    params
        Estimates, length k.
    scores
        n × k: row i is ``w_i * d log L_i / d params`` at ``params`` (weighted
        score contributions; they sum to ~0 at the maximum).
    hessian
        k × k Hessian of the weighted log pseudo-likelihood at ``params``
        (negative definite at a maximum). The linearised covariance is
        ``H⁻¹ M H⁻¹`` with ``M`` from PSU totals of ``scores``.
    loglik, loglik_null
        Weighted log pseudo-likelihood at ``params`` and for the
        intercept(s)-only model (for pseudo-R²); ``None`` where undefined.
    """

    params: np.ndarray
    scores: np.ndarray
    hessian: np.ndarray
    loglik: float | None
    loglik_null: float | None
    converged: bool
    n_iter: int
