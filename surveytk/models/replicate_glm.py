"""Replicate refits of a binary GLM for replicate weights made from the design.

When every replicate weight is the sampling weight times a PSU multiplier
(bootstrap and jackknife replicates made by
:meth:`~surveytk.survey.design.SurveyDesign.make_bootstrap` /
:meth:`~surveytk.survey.design.SurveyDesign.make_jackknife`), the replicate score
and Hessian at the full-sample estimate θ̂ are multiplier-weighted sums of PSU
totals. That gives, almost for free:

1. the Hessian H_r(θ̂) of every replicate and its inverse (k × k each);
2. one Newton step θ̂ + H_r(θ̂)⁻¹ U_r(θ̂) per replicate — already the exact
   replicate estimate for least squares.

For logit and probit the estimates are then iterated to the root of the exact
replicate score with θ ← θ + H̃_r(θ)⁻¹ U_r(θ), where H̃_r(θ) = H_r(θ̂) +
T_r (θ − θ̂) is the Hessian to first order, T_r the third-derivative tensor
(again PSU totals). Only the scores need the rows; the Hessian error is
O(|θ_r − θ̂|²), so the iteration contracts by about that factor per step
(a chord/quasi-Newton method, Ortega & Rheinboldt 1970, §7.1). Scores of a
batch of replicates are two matrix products (X Θ' and X' G) over the rows, so
the pass over the data is shared by the whole batch; for a logit the pass goes
by row blocks that stay in cache, in two halves on two threads where the process
has two cores, and only replicates whose last step was not
below the tolerance take another. The result is the same root that a full IRLS
fit with the replicate weights finds (to ``tol``).
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from surveytk.models.irls import _mu

#: Elements per n × B block of a batch (memory ≈ 8 bytes × this × ~6 arrays).
BATCH_ELEMENTS = 2_000_000
#: replicates scored together (their n × B temporaries are made by row blocks)
MAX_BATCH = 128
#: elements of one row block × replicates of the logit scores (a block stays in cache)
BLOCK_ELEMENTS = 65_536
#: parts of the rows of the logit score pass, each summed on its own thread
SCORE_PARTS = 2
#: rows from which the parts run on threads (below, a thread costs more than it saves)
THREADED_ROWS = 20_000


def _psu_moments(
    X: np.ndarray, s_row: np.ndarray, ww: np.ndarray, psu: np.ndarray, n_psu: int
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """PSU totals of the score rows x_i s_i (P × k) and of ww_i x_i x_i' (P × k(k+1)/2).

    ``X`` column-major (``np.asfortranarray``): its columns are then contiguous.
    """
    k = X.shape[1]
    u_psu = np.empty((n_psu, k))
    for j in range(k):
        u_psu[:, j] = np.bincount(psu, weights=X[:, j] * s_row, minlength=n_psu)
    iu = np.triu_indices(k)
    h_psu = np.empty((n_psu, iu[0].size))
    c = 0
    for a in range(k):
        wa = ww * X[:, a]
        for b in range(a, k):
            h_psu[:, c] = np.bincount(psu, weights=wa * X[:, b], minlength=n_psu)
            c += 1
    return u_psu, h_psu, iu


def _dweight(eta: np.ndarray, w: np.ndarray, link: str) -> np.ndarray:
    """d W_i / d η_i of the IRLS working weight W = w μ'² / (μ(1 − μ))."""
    mu, dmu = _mu(eta, link)
    mu = np.clip(mu, 1e-300, 1.0 - 1e-16)
    var = mu * (1.0 - mu)
    if link == "logit":  # W = w μ(1 − μ)
        return np.asarray(w * var * (1.0 - 2.0 * mu))
    g = dmu * dmu / var  # probit: g' = g (−2η − φ(1 − 2Φ)/(Φ(1 − Φ)))
    return np.asarray(w * g * (-2.0 * eta - dmu * (1.0 - 2.0 * mu) / var))


def _sorted3(a: int, b: int, c: int) -> tuple[int, int, int]:
    lo, mid, hi = sorted((a, b, c))
    return lo, mid, hi


def _psu_third(
    X: np.ndarray, dw: np.ndarray, psu: np.ndarray, n_psu: int
) -> tuple[np.ndarray, np.ndarray]:
    """PSU totals of dW_i x_ia x_ib x_ic over a ≤ b ≤ c, and the k³ → combination map.

    ``X`` column-major; the products ((dW x_a) x_b) x_c share their first factors.
    """
    k = X.shape[1]
    combos = [(a, b, c) for a in range(k) for b in range(a, k) for c in range(b, k)]
    t_psu = np.empty((n_psu, len(combos)))
    j = 0
    for a in range(k):
        da = dw * X[:, a]
        for b in range(a, k):
            dab = da * X[:, b]
            for c in range(b, k):
                t_psu[:, j] = np.bincount(psu, weights=dab * X[:, c], minlength=n_psu)
                j += 1
    where = {cmb: j for j, cmb in enumerate(combos)}
    full = np.array(
        [where[_sorted3(a, b, c)] for a in range(k) for b in range(k) for c in range(k)]
    )
    return t_psu, full


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
        Stop when every replicate's step, relative to its largest coefficient,
        is below √tol / 10 for logit (the error left is then ≪ ``tol``) or below
        ``tol`` for probit (linear convergence).

    Returns
    -------
    thetas, converged
        R × k estimates and a boolean per replicate (``False``: the chord
        iteration did not settle; the caller refits that replicate directly).

    Notes
    -----
    U_r(θ) = Σ_i w_i m_{p(i)r} x_i (y_i − μ_i) μ'_i / V(μ_i); H_r(θ̂) = Σ_p m_pr H_p
    with H_p = Σ_{i∈p} W_i x_i x_i' (IRLS working weights, the matrix R's
    ``glm.fit`` uses). Iterate θ ← θ + [H_r(θ̂) + T_r(θ − θ̂)]⁻¹ U_r(θ) from the
    one-step estimate, T_r = Σ_p m_pr Σ_{i∈p} (dW_i/dη_i) x_i ⊗ x_i ⊗ x_i.
    """
    k = X.shape[1]
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
    Xf = np.asfortranarray(X)
    u_psu, h_psu, iu = _psu_moments(Xf, s_row, ww, psu, n_psu)
    h_rep = _unpack(mult.T @ h_psu, iu, k)
    try:
        h_inv = np.linalg.inv(h_rep)
    except np.linalg.LinAlgError:
        h_inv = np.linalg.pinv(h_rep)
    thetas = params + np.einsum("rij,rj->ri", h_inv, mult.T @ u_psu)
    converged = np.ones(n_rep, dtype=bool)
    if link == "lpm":  # the objective is quadratic: one step is exact
        return thetas, converged
    # H_r(θ) ≈ H_r(θ̂) + T_r (θ − θ̂): the Hessian's first-order change, also from PSU
    # totals, makes the chord iteration converge quadratically-fast in |θ_r − θ̂|
    t_psu, t_map = _psu_third(Xf, _dweight(eta, w, link), psu, n_psu)
    del Xf
    t_rep = (mult.T @ t_psu)[:, t_map].reshape(n_rep, k, k, k)
    # second PSU-level step: by Taylor, U_r(θ̂ + Δ) ≈ −½ T_r[Δ, Δ] after the first
    delta = thetas - params
    u2 = -0.5 * np.einsum("rabc,rb,rc->ra", t_rep, delta, delta)
    h2 = h_rep + np.einsum("rijc,rc->rij", t_rep, delta)
    with contextlib.suppress(np.linalg.LinAlgError):
        thetas = thetas + np.linalg.solve(h2, u2[:, :, None])[:, :, 0]
    # logit (exact Hessian): each step shrinks the error by a factor ~|θ_r − θ̂|²
    # (≲ 1e-3), so once a step is below √tol / 10 the error left is far below tol.
    # probit's matrix is the expected information, which is not the Jacobian of the
    # score: convergence is linear, so its steps must themselves fall below tol.
    stop = 0.1 * np.sqrt(tol) if link == "logit" else tol
    if link == "logit":
        Xw = X * w[:, None]

        def score(idx: np.ndarray, theta: np.ndarray) -> np.ndarray:
            return _logit_scores(X, y, Xw, psu, mult[:, idx], theta)

    else:

        def score(idx: np.ndarray, theta: np.ndarray) -> np.ndarray:
            return _glm_scores(X, y, w, psu, mult[:, idx], theta, link)

    active = np.arange(n_rep)
    size = np.full(n_rep, np.inf)
    for _ in range(maxiter):
        # every replicate still moving takes a step; a converged one is left alone
        u = np.empty((active.size, k))
        for lo in range(0, active.size, MAX_BATCH):
            idx = active[lo : lo + MAX_BATCH]
            u[lo : lo + idx.size] = score(idx, thetas[idx])
        theta = thetas[active]
        h = h_rep[active] + np.einsum("bijc,bc->bij", t_rep[active], theta - params)
        try:
            step = np.linalg.solve(h, u[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = np.einsum("bij,bj->bi", h_inv[active], u)
        theta = theta + step
        thetas[active] = theta
        size[active] = np.max(np.abs(step), axis=1) / (np.max(np.abs(theta), axis=1) + 1e-8)
        finite = np.isfinite(theta).all(axis=1)
        active = active[finite & ~(size[active] < stop)]
        if not active.size:
            break
    converged = np.isfinite(thetas).all(axis=1) & (size < stop)
    return thetas, converged


def _logit_scores(
    X: np.ndarray, y: np.ndarray, Xw: np.ndarray, psu: np.ndarray, mult: np.ndarray,
    theta: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """B × k replicate scores Σ_i w_i m_{p(i)r} x_i (y_i − μ_i(θ_r)) of a logit.

    ``Xw`` = w x_i, ``mult`` P × B. The rows go in :data:`SCORE_PARTS` parts whose sums
    are added in a fixed order, on as many threads as the process may use (numpy's
    products and exponentials release the GIL): the same numbers on one core or two.
    """
    n = X.shape[0]
    m = np.ascontiguousarray(mult)
    neg = np.ascontiguousarray(-theta.T)
    cuts = [n * i // SCORE_PARTS for i in range(SCORE_PARTS + 1)]

    def part(i: int) -> np.ndarray:
        return _logit_score_rows(X, y, Xw, psu, m, neg, cuts[i], cuts[i + 1])

    if _usable_cores() > 1 and n >= THREADED_ROWS:
        with ThreadPoolExecutor(SCORE_PARTS) as pool:
            sums = list(pool.map(part, range(SCORE_PARTS)))
    else:
        sums = [part(i) for i in range(SCORE_PARTS)]
    out = sums[0]
    for more in sums[1:]:
        out = out + more
    return out.T


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _logit_score_rows(
    X: np.ndarray, y: np.ndarray, Xw: np.ndarray, psu: np.ndarray, m: np.ndarray,
    neg: np.ndarray, start: int, stop: int,
) -> np.ndarray:  # fmt: skip
    """k × B score sums of rows ``start:stop``, by row blocks that stay in cache.

    μ = 1/(1 + e^−η) with numpy's vectorised exponential (within an ulp or two of
    ``scipy.special.expit``, ten times faster: the scores are the residual of an
    almost-converged step, so such differences are rounding noise far below the
    tolerance).
    """
    k, b = X.shape[1], neg.shape[1]
    rows = max(64, BLOCK_ELEMENTS // b)
    e_buf = np.empty((max(min(rows, stop - start), 0), b))
    m_buf = np.empty_like(e_buf)
    out = np.zeros((k, b))
    for i in range(start, stop, rows):
        j = min(i + rows, stop)
        e, mb = e_buf[: j - i], m_buf[: j - i]
        np.matmul(X[i:j], neg, out=e)
        np.exp(e, out=e)
        e += 1.0
        np.divide(1.0, e, out=e)  # μ
        np.subtract(y[i:j, None], e, out=e)
        np.take(m, psu[i:j], axis=0, out=mb, mode="clip")  # codes < P: no check
        e *= mb
        out += Xw[i:j].T @ e
    return out


def _glm_scores(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    psu: np.ndarray,
    mult: np.ndarray,
    theta: np.ndarray,
    link: str,
) -> np.ndarray:
    """B × k replicate scores of a probit (any link of :func:`~surveytk.models.irls._mu`)."""
    out = np.empty(theta.shape)
    batch = max(1, BATCH_ELEMENTS // max(X.shape[0], 1))
    for lo in range(0, theta.shape[0], batch):
        sl = slice(lo, lo + batch)
        wb = w[:, None] * mult[:, sl][psu]  # n × B replicate weights
        mu_b, dmu_b = _mu(X @ theta[sl].T, link)
        mu_b = np.clip(mu_b, 1e-300, 1.0 - 1e-16)
        g = wb * (y[:, None] - mu_b) * (dmu_b / (mu_b * (1.0 - mu_b)))
        out[sl] = (X.T @ g).T
    return out
