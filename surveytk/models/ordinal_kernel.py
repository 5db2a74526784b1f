"""Numeric kernels for ordered logit/probit and a shared Newton maximiser.

Pure functions of arrays returning :class:`~surveytk.models.kernel.KernelFit`.
Parameters are ``(beta_1..beta_p, zeta_1..zeta_{J-1})`` in the R ``polr`` /
``svyolr`` convention ``P(Y <= k | x) = F(zeta_k - x'beta)``; the design matrix
has no intercept column. Scores and Hessian are reported in this same
parametrisation, so the linearised covariance of the reported thresholds needs
no delta step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special, stats

from surveytk.errors import ModelError
from surveytk.models.kernel import KernelFit

Link = Literal["logit", "probit"]
LINKS: tuple[str, ...] = ("logit", "probit")

#: Objective: params -> (loglik, gradient, hessian); loglik is -inf outside the domain.
Objective = Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class NewtonResult:
    """Where Newton stopped."""

    params: np.ndarray
    loglik: float
    converged: bool
    n_iter: int


def newton_maximise(
    objective: Objective,
    start: np.ndarray,
    *,
    maxiter: int = 100,
    tol: float = 1e-10,
) -> NewtonResult:
    """Maximise a concave objective by Newton's method with step halving.

    Parameters
    ----------
    objective
        Returns log-likelihood, gradient and Hessian at a parameter vector
        (log-likelihood ``-inf`` where the parameters are outside the domain).
    start
        Starting values (replicate refits pass the full-sample estimate).
    maxiter, tol
        Iteration limit; convergence when the largest Newton step is at most
        ``sqrt(tol)`` in absolute terms (scaled by ``1 + |param|``), after which
        the final quadratic step leaves an error of order ``tol``.

    Notes
    -----
    Step: ``delta = -H^{-1} g``; halved until the objective does not decrease
    (beyond rounding). Nocedal & Wright (2006), *Numerical Optimization*, ch. 3.

    Raises
    ------
    ModelError
        When the Hessian is singular at the start (a term without variation,
        or collinear terms). A Hessian that becomes singular later (estimates
        diverging under separation) ends the iterations unconverged instead.
    """
    params = np.asarray(start, dtype=float).copy()
    ll, grad, hess = objective(params)
    if not np.isfinite(ll):
        raise ModelError("starting values give an undefined likelihood; check the outcome coding")
    step_tol = float(np.sqrt(tol))
    for it in range(1, maxiter + 1):
        try:
            delta = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as exc:
            if it > 1:  # became singular on the way: estimates diverge (separation)
                return NewtonResult(params, ll, False, it)
            raise ModelError(
                "Hessian is singular: a term has no variation or terms are collinear; "
                "drop or merge them"
            ) from exc
        if not np.all(np.isfinite(delta)):
            if it > 1:
                return NewtonResult(params, ll, False, it)
            raise ModelError("Newton step is not finite: terms are collinear; drop or merge them")
        slack = 1e-12 * (1.0 + abs(ll))
        scale = 1.0
        for _ in range(40):
            trial = params + scale * delta
            ll_t, grad_t, hess_t = objective(trial)
            if np.isfinite(ll_t) and ll_t >= ll - slack:
                break
            scale *= 0.5
        else:
            return NewtonResult(params, ll, False, it)
        small = np.max(np.abs(scale * delta) / (1.0 + np.abs(params))) <= step_tol
        params, ll, grad, hess = trial, ll_t, grad_t, hess_t
        if small and scale == 1.0:
            return NewtonResult(params, ll, True, it)
    return NewtonResult(params, ll, False, maxiter)


# ---- link functions ---------------------------------------------------------------


def _cdf(z: np.ndarray, link: str) -> np.ndarray:
    return np.asarray(special.expit(z) if link == "logit" else special.ndtr(z))


def _sf(z: np.ndarray, link: str) -> np.ndarray:
    return np.asarray(special.expit(-z) if link == "logit" else special.ndtr(-z))


def _pdf(z: np.ndarray, link: str) -> np.ndarray:
    if link == "logit":
        p = special.expit(z)
        return np.asarray(p * (1.0 - p))
    return np.asarray(stats.norm.pdf(z))


def _dpdf(z: np.ndarray, link: str) -> np.ndarray:
    """Derivative of the density."""
    if link == "logit":
        p = special.expit(z)
        return np.asarray(p * (1.0 - p) * (1.0 - 2.0 * p))
    return np.asarray(-z * stats.norm.pdf(z))


def _interval_prob(upper: np.ndarray, lower: np.ndarray, link: str) -> np.ndarray:
    """``F(upper) - F(lower)`` without cancellation in the upper tail."""
    tail = lower > 0
    lo = np.where(tail, 0.0, lower)
    up = np.where(tail, 0.0, upper)
    direct = _cdf(up, link) - _cdf(lo, link)
    lo_t = np.where(tail, lower, 0.0)
    up_t = np.where(tail, upper, 0.0)
    upper_tail = _sf(lo_t, link) - _sf(up_t, link)
    return np.where(tail, upper_tail, direct)


# ---- ordered model ----------------------------------------------------------------


def _bounds(params: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower cut points minus the linear index, ±inf at the ends."""
    p = X.shape[1]
    zeta = params[p:]
    cuts = np.concatenate(([-np.inf], zeta, [np.inf]))
    eta = X @ params[:p]
    return cuts[y + 1] - eta, cuts[y] - eta


def _safe(vals: np.ndarray, fn: Callable[[np.ndarray, str], np.ndarray], link: str) -> np.ndarray:
    """``fn`` at finite points, 0 at ±inf (density and its derivative vanish there)."""
    fin = np.isfinite(vals)
    out = np.zeros_like(vals)
    out[fin] = fn(vals[fin], link)
    return out


def ordinal_terms(
    params: np.ndarray, X: np.ndarray, y: np.ndarray, w: np.ndarray, link: str
) -> tuple[float, np.ndarray, np.ndarray]:
    """Weighted log-likelihood, score matrix and Hessian of the ordered model.

    Parameters
    ----------
    params
        ``(beta, zeta)``, length ``p + J - 1``.
    X
        n × p design matrix without intercept.
    y
        Outcome codes ``0..J-1`` (int).
    w
        Weights.
    link
        ``"logit"`` or ``"probit"``.

    Returns
    -------
    loglik, scores, hessian
        ``scores`` is n × k (weighted); log-likelihood is ``-inf`` when the
        thresholds are not increasing or a probability underflows.

    Notes
    -----
    With ``a = zeta_y - x'beta`` and ``b = zeta_{y-1} - x'beta``,
    ``l = log(F(a) - F(b))``; ``dl/da = f(a)/P``, ``dl/db = -f(b)/P``,
    ``d2l/da2 = f'(a)/P - (f(a)/P)^2``, ``d2l/db2 = -f'(b)/P - (f(b)/P)^2``,
    ``d2l/dadb = f(a) f(b)/P^2``, and ``da/dbeta = db/dbeta = -x``.
    McCullagh (1980), JRSS B 42:109–142.
    """
    n, p = X.shape
    q = params.size - p
    zeta = params[p:]
    k = p + q
    if q > 1 and np.any(np.diff(zeta) <= 0):
        return -np.inf, np.zeros((n, k)), np.zeros((k, k))
    a, b = _bounds(params, X, y)
    prob = _interval_prob(a, b, link)
    if np.any(prob <= 0):
        return -np.inf, np.zeros((n, k)), np.zeros((k, k))
    fa, fb = _safe(a, _pdf, link), _safe(b, _pdf, link)
    ga, gb = fa / prob, fb / prob
    loglik = float(np.sum(w * np.log(prob)))
    d_eta = -(ga - gb)
    scores = np.empty((n, k))
    scores[:, :p] = (w * d_eta)[:, None] * X
    up = y < q  # has an upper threshold zeta_y
    lo = y > 0  # has a lower threshold zeta_{y-1}
    s_z = np.zeros((n, q))
    idx = np.arange(n)
    s_z[idx[up], y[up]] = (w * ga)[up]
    s_z[idx[lo], y[lo] - 1] -= (w * gb)[lo]
    scores[:, p:] = s_z
    haa = _safe(a, _dpdf, link) / prob - ga**2
    hbb = -_safe(b, _dpdf, link) / prob - gb**2
    hab = ga * gb
    hess = np.zeros((k, k))
    c_bb = w * (haa + 2.0 * hab + hbb)
    hess[:p, :p] = (X * c_bb[:, None]).T @ X
    c_ua = -w * (haa + hab)  # d2 / dbeta dzeta_y
    c_lb = -w * (hab + hbb)  # d2 / dbeta dzeta_{y-1}
    for j in range(q):
        sel_u = up & (y == j)
        sel_l = lo & (y - 1 == j)
        col = X[sel_u].T @ c_ua[sel_u] + X[sel_l].T @ c_lb[sel_l]
        hess[:p, p + j] = col
        hess[p + j, :p] = col
        hess[p + j, p + j] = np.sum((w * haa)[sel_u]) + np.sum((w * hbb)[sel_l])
        if j + 1 < q:
            # observations in category j+1 have lower zeta_j and upper zeta_{j+1}
            sel = y == j + 1
            cross = np.sum((w * hab)[sel])
            hess[p + j, p + j + 1] = cross
            hess[p + j + 1, p + j] = cross
    return loglik, scores, hess


def ordinal_start(y: np.ndarray, w: np.ndarray, n_levels: int, p: int, link: str) -> np.ndarray:
    """Start values: ``beta = 0`` and thresholds at the weighted cumulative shares."""
    shares = np.bincount(y, weights=w, minlength=n_levels) / np.sum(w)
    cum = np.clip(np.cumsum(shares)[:-1], 1e-6, 1 - 1e-6)
    zeta = special.logit(cum) if link == "logit" else special.ndtri(cum)
    return np.concatenate((np.zeros(p), np.asarray(zeta, dtype=float)))


def null_loglik(y: np.ndarray, w: np.ndarray, n_levels: int) -> float:
    """Weighted log-likelihood of the thresholds-only (intercepts-only) model."""
    tot = np.bincount(y, weights=w, minlength=n_levels)
    pos = tot > 0
    return float(np.sum(tot[pos] * np.log(tot[pos] / tot.sum())))


def fit_ordinal_kernel(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    n_levels: int,
    *,
    link: str = "logit",
    start: np.ndarray | None = None,
    maxiter: int = 100,
    tol: float = 1e-10,
) -> KernelFit:
    """Fit an ordered logit/probit by weighted pseudo-maximum likelihood.

    Parameters
    ----------
    X
        n × p design matrix **without** an intercept column.
    y
        Integer outcome codes ``0..n_levels-1`` (ordered).
    w
        Non-negative weights (probability weights; scale does not matter).
    n_levels
        Number of outcome levels J (≥ 3 for an ordered model; 2 is allowed and
        gives the binary model with one threshold).
    link
        ``"logit"`` (proportional odds) or ``"probit"``.
    start
        Starting values ``(beta, zeta)``; replicate refits pass the full estimate.

    Returns
    -------
    KernelFit
        Parameters ``(beta, zeta)``, weighted scores, Hessian, log-likelihoods.

    Notes
    -----
    Maximises ``sum_i w_i log(F(zeta_{y_i} - x_i'beta) - F(zeta_{y_i-1} - x_i'beta))``
    (R ``MASS::polr`` / ``survey::svyolr`` convention) by Newton's method with
    analytic derivatives; the log-likelihood is concave for log-concave F
    (Pratt 1981, JASA 76:103–106). McCullagh (1980), JRSS B 42:109–142.
    """
    if link not in LINKS:
        raise ModelError(f"link: expecting one of {{{', '.join(LINKS)}}}; got {link!r}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=np.intp)
    w = np.asarray(w, dtype=float)
    p = X.shape[1]
    x0 = ordinal_start(y, w, n_levels, p, link) if start is None else np.asarray(start, float)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        ll, sc, h = ordinal_terms(theta, X, y, w, link)
        return ll, sc.sum(axis=0), h

    res = newton_maximise(objective, x0, maxiter=maxiter, tol=tol)
    ll, scores, hess = ordinal_terms(res.params, X, y, w, link)
    return KernelFit(
        params=res.params,
        scores=scores,
        hessian=hess,
        loglik=ll,
        loglik_null=null_loglik(y, w, n_levels),
        converged=res.converged,
        n_iter=res.n_iter,
    )


def predict_ordinal(params: np.ndarray, X: np.ndarray, n_levels: int, link: str) -> np.ndarray:
    """Predicted probabilities, n × J, of each outcome level.

    ``P(Y = j) = F(zeta_j - x'beta) - F(zeta_{j-1} - x'beta)`` with
    ``zeta_0 = -inf`` and ``zeta_J = +inf``.
    """
    X = np.asarray(X, dtype=float)
    p = X.shape[1]
    eta = X @ params[:p]
    zeta = params[p : p + n_levels - 1]
    cum = _cdf(zeta[None, :] - eta[:, None], link)
    cum = np.concatenate((np.zeros((X.shape[0], 1)), cum, np.ones((X.shape[0], 1))), axis=1)
    return np.diff(cum, axis=1)


@dataclass(frozen=True)
class OrdinalPredictor:
    """``predict(params, X) -> n × J`` for margins, with an analytic average Jacobian.

    ``X`` is the model frame's matrix; ``columns`` selects the slope columns
    (the intercept, absorbed by the thresholds, is left out).
    """

    columns: tuple[int, ...]
    n_levels: int
    link: str

    def __call__(self, params: np.ndarray, X: np.ndarray) -> np.ndarray:
        return predict_ordinal(params, X[:, list(self.columns)], self.n_levels, self.link)

    def avg_jacobian(self, params: np.ndarray, X: np.ndarray, a: np.ndarray) -> np.ndarray:
        """J × k: ``sum_i a_i dP_ij/dparams``.

        ``dP_j/dbeta = -x (f(zeta_j - eta) - f(zeta_{j-1} - eta))``,
        ``dP_j/dzeta_j = f(zeta_j - eta)``, ``dP_j/dzeta_{j-1} = -f(zeta_{j-1} - eta)``.
        """
        Xs = X[:, list(self.columns)]
        p, q = Xs.shape[1], self.n_levels - 1
        eta = Xs @ params[:p]
        dens = _pdf(params[p : p + q][None, :] - eta[:, None], self.link)  # n × q
        padded = np.concatenate((np.zeros((len(eta), 1)), dens, np.zeros((len(eta), 1))), 1)
        diff = padded[:, 1:] - padded[:, :-1]  # n × J: f(upper) - f(lower)
        jac = np.zeros((self.n_levels, p + q))
        jac[:, :p] = -(diff * a[:, None]).T @ Xs
        avg_dens = a @ dens  # q
        for m in range(q):
            jac[m, p + m] += avg_dens[m]
            jac[m + 1, p + m] -= avg_dens[m]
        return jac
