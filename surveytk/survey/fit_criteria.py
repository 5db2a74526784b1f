"""Design-based deviance and AIC of a weighted likelihood model (R ``AIC.svyglm``).

Lumley & Scott (2015, "AIC and BIC for modelling with complex survey data",
*Journal of Survey Statistics and Methodology* 3, 1–18) replace the number of
parameters in AIC by an effective number: the sum of the eigenvalues of
``V0⁻¹ V`` over the coefficients other than the intercept, where ``V`` is the
design-based covariance and ``V0`` the model-based ("naive") covariance of the
weighted fit. R survey 4.1 (``extractAIC.svyglm``) computes

    eff.p = Σ λ_j,  λ = eigenvalues of (V0[I, I])⁻¹ V[I, I],  I = non-intercept
    AIC   = deviance + 2 · eff.p

with the deviance and ``V0`` of the GLM fitted with prior weights normalised to
mean one (``svyglm`` divides the weights by their mean). Both therefore scale
with ``n / Σ w``: a fit with raw weights gives the same numbers after that
rescaling, which :func:`design_aic` applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FitCriteria:
    """Deviance, effective number of parameters, AIC and mean design effect (deltabar)."""

    deviance: float
    eff_p: float
    aic: float
    deltabar: float


def design_aic(
    *,
    loglik: float,
    information: np.ndarray,
    cov: np.ndarray,
    n: int,
    sum_weights: float,
    intercepts: Sequence[int] = (0,),
    saturated_loglik: float = 0.0,
) -> FitCriteria:
    """Lumley–Scott design-based AIC of a fit with raw sampling weights.

    Parameters
    ----------
    loglik
        Weighted log pseudo-likelihood at the estimates, with the raw weights.
    information
        Model-based information ``−H`` (k × k) of that weighted log-likelihood
        (for a canonical-link GLM, ``X' diag(w μ'(η)) X``).
    cov
        Design-based covariance of the estimates (k × k).
    n, sum_weights
        Number of rows and sum of their weights (the normalisation ``n / Σ w``).
    intercepts
        Positions of the intercept(s), left out of the effective number of parameters.
    saturated_loglik
        Weighted log-likelihood of the saturated model (0 for 0/1 outcomes).

    Returns
    -------
    FitCriteria
        On R's scale (weights normalised to mean one).
    """
    k = cov.shape[0]
    scale = n / sum_weights
    keep = [j for j in range(k) if j not in set(intercepts)]
    deviance = 2.0 * (saturated_loglik - loglik) * scale
    if not keep:
        return FitCriteria(deviance, 0.0, deviance, float("nan"))
    naive = np.linalg.inv(information * scale)
    block = np.ix_(keep, keep)
    lam = np.linalg.eigvals(np.linalg.solve(naive[block], cov[block])).real
    eff_p = float(lam.sum())
    return FitCriteria(
        deviance=float(deviance),
        eff_p=eff_p,
        aic=float(deviance + 2.0 * eff_p),
        deltabar=float(lam.mean()),
    )
