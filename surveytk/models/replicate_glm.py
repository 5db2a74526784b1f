"""Replicate refits of a binary GLM for replicate weights made from the design.

When every replicate weight is the sampling weight times a PSU multiplier
(bootstrap and jackknife replicates made by
:meth:`~surveytk.design.SurveyDesign.make_bootstrap` /
:meth:`~surveytk.design.SurveyDesign.make_jackknife`), the replicate score
and Hessian at the full-sample estimate θ̂ are multiplier-weighted sums of PSU
totals. That gives, almost for free:

1. the Hessian H_r(θ̂) of every replicate and its inverse (k × k each);
2. one Newton step θ̂ + H_r(θ̂)⁻¹ U_r(θ̂) per replicate — already the exact
   replicate estimate for least squares.

For logit and probit the estimates are then iterated to the root of the exact
replicate score with the *chord* method θ ← θ + H_r(θ̂)⁻¹ U_r(θ) (Ortega &
Rheinboldt 1970, §7.1), which converges linearly at a rate of the order of
|θ_r − θ̂| and needs only scores. Scores of a batch of replicates are two
matrix products (X Θ' and X' G) over the rows, so the pass over the data is
shared by the whole batch. The result is the same root that a full IRLS fit
with the replicate weights finds (to ``tol``).
"""

from __future__ import annotations

import numpy as np

from surveytk.models.irls import _mu

#: Elements per n × B block of a batch (memory ≈ 8 bytes × this × ~6 arrays).
BATCH_ELEMENTS = 2_000_000


def _psu_moments(
    X: np.ndarray, s_row: np.ndarray, ww: np.ndarray, psu: np.ndarray, n_psu: int
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """PSU totals of the score rows x_i s_i (P × k) and of ww_i x_i x_i' (P × k(k+1)/2)."""
    k = X.shape[1]
    u_psu = np.empty((n_psu, k))
    for j in range(k):
        u_psu[:, j] = np.bincount(psu, weights=X[:, j] * s_row, minlength=n_psu)
    iu = np.triu_indices(k)
    h_psu = np.empty((n_psu, iu[0].size))
    for c, (a, b) in enumerate(zip(*iu, strict=True)):
        h_psu[:, c] = np.bincount(psu, weights=ww * X[:, a] * X[:, b], minlength=n_psu)
    return u_psu, h_psu, iu


def _unpack(h_flat: np.ndarray, iu: tuple[np.ndarray, np.ndarray], k: int) -> np.ndarray:
    h = np.zeros((h_flat.shape[0], k, k))
    h[:, iu[0], iu[1]] = h_flat
    h[:, iu[1], iu[0]] = h_flat
    return h


def refit_psu_replicates(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    psu: np.ndarray,
    mult: np.ndarray,
    params: np.ndarray,
    link: str,
    *,
    tol: float = 1e-10,
    maxiter: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Replicate estimates for weights ``w_i · mult[psu_i, r]``.

    Parameters
    ----------
    X, y, w
        Model matrix, outcome and sampling weights of the estimation rows.
    psu
        PSU code (0..P−1) of each row.
    mult
        P × R replicate multipliers.
    params
        Full-sample estimate θ̂.
    link
        ``logit``, ``probit`` or ``lpm`` (weighted least squares).
    tol, maxiter
        Stop when every replicate's chord step, relative to its largest
        coefficient, is below ``tol``.

    Returns
    -------
    thetas, converged
        R × k estimates and a boolean per replicate (``False``: the chord
        iteration did not settle; the caller refits that replicate directly).

    Notes
    -----
    U_r(θ) = Σ_i w_i m_{p(i)r} x_i (y_i − μ_i) μ'_i / V(μ_i); H_r(θ̂) = Σ_p m_pr H_p
    with H_p = Σ_{i∈p} W_i x_i x_i' (IRLS working weights, the matrix R's
    ``glm.fit`` uses). Iterate θ ← θ + H_r(θ̂)⁻¹ U_r(θ) from θ̂.
    """
    n, k = X.shape
    n_psu, n_rep = mult.shape
    eta = X @ params
    if link == "lpm":
        s_row, ww = w * (y - eta), w
    else:
        mu, dmu = _mu(eta, link)
        mu = np.clip(mu, 1e-300, 1.0 - 1e-16)
        var = mu * (1.0 - mu)
        s_row = w * (y - mu) * dmu / var
        ww = w * dmu * dmu / var
    u_psu, h_psu, iu = _psu_moments(X, s_row, ww, psu, n_psu)
    h_rep = _unpack(mult.T @ h_psu, iu, k)
    try:
        h_inv = np.linalg.inv(h_rep)
    except np.linalg.LinAlgError:
        h_inv = np.linalg.pinv(h_rep)
    thetas = params + np.einsum("rij,rj->ri", h_inv, mult.T @ u_psu)
    converged = np.ones(n_rep, dtype=bool)
    if link == "lpm":  # the objective is quadratic: one step is exact
        return thetas, converged
    batch = max(1, min(n_rep, BATCH_ELEMENTS // max(n, 1)))
    for start in range(0, n_rep, batch):
        idx = np.arange(start, min(start + batch, n_rep))
        wb = w[:, None] * mult[:, idx][psu]  # n × B replicate weights
        theta = thetas[idx]
        size = np.full(idx.size, np.inf)
        for _ in range(maxiter):
            eta_b = X @ theta.T
            mu_b, dmu_b = _mu(eta_b, link)
            if link == "logit":  # canonical: μ'/V = 1
                g = wb * (y[:, None] - mu_b)
            else:
                mu_b = np.clip(mu_b, 1e-300, 1.0 - 1e-16)
                g = wb * (y[:, None] - mu_b) * (dmu_b / (mu_b * (1.0 - mu_b)))
            step = np.einsum("bij,jb->bi", h_inv[idx], X.T @ g)
            theta = theta + step
            size = np.max(np.abs(step), axis=1) / (np.max(np.abs(theta), axis=1) + 1e-8)
            if not np.all(np.isfinite(theta)) or np.all(size < tol):
                break
        thetas[idx] = theta
        converged[idx] = np.isfinite(theta).all(axis=1) & (size < tol)
    return thetas, converged
