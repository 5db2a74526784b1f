"""Numeric kernel for the weighted multinomial logit.

Pure functions of arrays returning :class:`~surveytk.models.kernel.KernelFit`.
Parameters are stacked by outcome level (every level except the base, in level
order), and within a level by design-matrix column:
``(beta_{l1,1..p}, beta_{l2,1..p}, ...)`` — the row-major order of
``nnet::multinom``'s coefficient matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from surveytk.models.kernel import KernelFit
from surveytk.models.ordinal_kernel import newton_maximise, null_loglik


def _others(n_levels: int, base: int) -> np.ndarray:
    return np.array([j for j in range(n_levels) if j != base], dtype=np.intp)


def predict_mlogit(params: np.ndarray, X: np.ndarray, n_levels: int, base: int) -> np.ndarray:
    """Predicted probabilities, n × J, in outcome-level order.

    ``P(Y = l) = exp(x'beta_l) / sum_m exp(x'beta_m)`` with ``beta_base = 0``.
    """
    X = np.asarray(X, dtype=float)
    p = X.shape[1]
    B = np.zeros((p, n_levels))
    B[:, _others(n_levels, base)] = np.asarray(params, dtype=float).reshape(n_levels - 1, p).T
    eta = X @ B
    return np.asarray(special.softmax(eta, axis=1))


def mlogit_terms(
    params: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    n_levels: int,
    base: int,
    *,
    scores_wanted: bool = True,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Weighted log-likelihood, score matrix (n × k) and Hessian (k × k).

    With ``scores_wanted=False`` the score matrix is replaced by its column
    sums (1 × k, the gradient), which is all Newton needs.

    Notes
    -----
    ``l_i = sum_l y_il log pi_il``; score for level ``l``: ``w_i (y_il - pi_il) x_i``;
    Hessian block ``(l, m)``: ``-sum_i w_i pi_il (1[l=m] - pi_im) x_i x_i'``.
    McFadden (1974); Agresti (2013), *Categorical Data Analysis*, §8.1.
    """
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    others = _others(n_levels, base)
    m = others.size
    B = np.zeros((p, n_levels))
    B[:, others] = params.reshape(m, p).T
    eta = X @ B
    eta -= eta.max(axis=1, keepdims=True)
    logp = eta - np.log(np.exp(eta).sum(axis=1, keepdims=True))
    loglik = float(np.sum(w * logp[np.arange(n), y]))
    prob = np.exp(logp[:, others])
    resid = (y[:, None] == others[None, :]).astype(float) - prob
    wr = w[:, None] * resid
    if scores_wanted:
        scores = (wr[:, :, None] * X[:, None, :]).reshape(n, m * p)
    else:  # only the column sums: the gradient
        scores = (X.T @ wr).T.reshape(1, m * p)
    hess = np.empty((m * p, m * p))
    wp = w[:, None] * prob
    for a in range(m):
        for b in range(a, m):
            c = wp[:, a] * ((1.0 if a == b else 0.0) - prob[:, b])
            block = -(X.T * c) @ X
            hess[a * p : (a + 1) * p, b * p : (b + 1) * p] = block
            hess[b * p : (b + 1) * p, a * p : (a + 1) * p] = block.T
    return loglik, scores, hess


def fit_mlogit_kernel(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    n_levels: int,
    base: int,
    *,
    start: np.ndarray | None = None,
    maxiter: int = 100,
    tol: float = 1e-10,
) -> KernelFit:
    """Fit a multinomial logit by weighted pseudo-maximum likelihood.

    Parameters
    ----------
    X
        n × p design matrix (with the intercept column if the model has one).
    y
        Integer outcome codes ``0..n_levels-1``.
    w
        Non-negative weights.
    n_levels, base
        Number of outcome levels and the code of the base level (its
        coefficients are fixed at 0).
    start
        Starting values, length ``(n_levels - 1) * p``; replicate refits pass
        the full-sample estimate.

    Returns
    -------
    KernelFit

    Notes
    -----
    Maximises ``sum_i w_i log pi_{i,y_i}`` with
    ``log(pi_il / pi_i,base) = x_i'beta_l`` by Newton's method with the analytic
    Hessian (globally concave). Weighted point estimates equal
    ``nnet::multinom(..., weights = w)``. Agresti (2013), §8.1.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=np.intp)
    w = np.asarray(w, dtype=float)
    k = (n_levels - 1) * X.shape[1]
    x0 = np.zeros(k) if start is None else np.asarray(start, dtype=float)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        ll, sc, h = mlogit_terms(theta, X, y, w, n_levels, base, scores_wanted=False)
        return ll, sc.sum(axis=0), h

    res = newton_maximise(objective, x0, maxiter=maxiter, tol=tol)
    ll, scores, hess = mlogit_terms(res.params, X, y, w, n_levels, base)
    return KernelFit(
        params=res.params,
        scores=scores,
        hessian=hess,
        loglik=ll,
        loglik_null=null_loglik(y, w, n_levels),
        converged=res.converged,
        n_iter=res.n_iter,
    )


@dataclass(frozen=True)
class MlogitPredictor:
    """``predict(params, X) -> n × J`` for margins, with an analytic average Jacobian."""

    n_levels: int
    base: int

    def __call__(self, params: np.ndarray, X: np.ndarray) -> np.ndarray:
        return predict_mlogit(params, X, self.n_levels, self.base)

    def avg_jacobian(self, params: np.ndarray, X: np.ndarray, a: np.ndarray) -> np.ndarray:
        """J × k: ``sum_i a_i pi_il (1[l=m] - pi_im) x_i`` for level l, equation m."""
        prob = predict_mlogit(params, X, self.n_levels, self.base)
        others = _others(self.n_levels, self.base)
        p = X.shape[1]
        jac = np.zeros((self.n_levels, others.size * p))
        for b, m in enumerate(others):
            for lev in range(self.n_levels):
                c = a * prob[:, lev] * ((1.0 if lev == m else 0.0) - prob[:, m])
                jac[lev, b * p : (b + 1) * p] = c @ X
        return jac
