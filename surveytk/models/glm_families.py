"""Numeric kernels of the count and positive-valued GLMs: Poisson, negative binomial, gamma.

Families and links are statsmodels' objects (:mod:`statsmodels.genmod.families`):
they give the inverse link, dμ/dη and the variance function V(μ); the fitting
itself is a plain Fisher-scoring (IRLS) loop on numpy arrays with the
sampling weights as prior weights, returning the
:class:`~surveytk.models.kernel.KernelFit` the design covariance needs.
statsmodels is imported inside the functions, so ``surveytk --help`` stays light.

Estimating equations Σ wᵢ xᵢ (yᵢ − μᵢ) μ'ᵢ / V(μᵢ) = 0 with μᵢ = g⁻¹(xᵢ'β + oᵢ)
(oᵢ an offset); Poisson and quasi-Poisson share them, so their design-based
variances are identical (R ``svyglm`` with ``poisson()`` or ``quasipoisson()``).
The negative binomial (NB2, V(μ) = μ + μ²/θ) alternates IRLS for β at fixed θ
with Newton steps for the weighted maximum-likelihood θ, the algorithm of
R ``MASS::glm.nb`` (Venables & Ripley 2002, §7.4).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from surveytk.disclosure import count_text
from surveytk.errors import ModelError
from surveytk.models.irls import _solve, check_rank
from surveytk.models.kernel import KernelFit
from surveytk.models.options import LINKS
from surveytk.models.registry import GLM_MODELS

#: model name → its default link
DEFAULT_LINK: dict[str, str] = {
    "poisson": "log",
    "quasipoisson": "log",
    "negbin": "log",
    "gamma": "log",
}
#: smallest fitted mean allowed during iterations (log of 0 is undefined)
MU_FLOOR = 1e-10
#: θ beyond this means no overdispersion: Var = μ + μ²/θ is Poisson to 1e-8 for μ < 100
THETA_MAX = 1e10


def _link(name: str) -> Any:
    from statsmodels.genmod.families import links

    table = {
        "log": links.Log,
        "identity": links.Identity,
        "sqrt": links.Sqrt,
        "inverse": links.InversePower,
    }
    if name not in table:
        raise ModelError(f"--link: expecting one of {{{', '.join(LINKS)}}}; got {name!r}")
    return table[name]()


def make_family(model: str, link: str | None = None, theta: float = 1.0) -> Any:
    """A statsmodels family object for ``model`` with ``link`` (default: log).

    ``theta`` is the negative-binomial shape (statsmodels' ``alpha`` = 1/θ).
    """
    import warnings

    from statsmodels.genmod import families

    lk = _link(link or DEFAULT_LINK[model])
    with warnings.catch_warnings():  # statsmodels warns on links it calls non-standard
        warnings.simplefilter("ignore")
        if model in ("poisson", "quasipoisson"):
            return families.Poisson(link=lk)
        if model == "gamma":
            return families.Gamma(link=lk)
        if model == "negbin":
            return families.NegativeBinomial(link=lk, alpha=1.0 / theta)
    raise ModelError(f"GLM families: expecting one of {{{', '.join(GLM_MODELS)}}}; got {model!r}")


@dataclass(frozen=True)
class GLMFit:
    """A GLM kernel fit; ``theta`` is the negative-binomial shape (``None`` otherwise)."""

    kernel: KernelFit
    theta: float | None


def _check_outcome(model: str, y: np.ndarray, w: np.ndarray) -> None:
    yp = y[w > 0]
    if yp.size == 0:
        raise ModelError("no rows with positive weight remain; nothing to estimate")
    if model == "gamma" and np.any(yp <= 0):
        raise ModelError(
            "gamma: the outcome must be positive on every used row; "
            f"{count_text(int(np.sum(yp <= 0)))} row(s) are zero or negative",
            reason="outcome_range",
        )
    if model != "gamma" and np.any(yp < 0):
        raise ModelError(
            f"{model}: a count outcome cannot be negative; "
            f"{count_text(int(np.sum(yp < 0)))} row(s) are below 0",
            reason="outcome_range",
        )
    if np.all(yp == yp[0]):
        raise ModelError(
            f"{model}: the outcome is constant in the estimation sample", reason="constant_outcome"
        )


def _irls(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    offset: np.ndarray,
    family: Any,
    start: np.ndarray | None,
    maxiter: int,
    tol: float,
) -> tuple[np.ndarray, bool, int]:
    """Fisher scoring for β at a fixed family; returns (β, converged, iterations)."""
    link = family.link
    if start is None:
        mu = np.maximum(family.starting_mu(y), MU_FLOOR)
        eta = link(mu)
        beta = np.zeros(X.shape[1])
    else:
        beta = np.asarray(start, dtype=np.float64)
        eta = X @ beta + offset
    for it in range(1, maxiter + 1):
        mu = np.maximum(link.inverse(eta), MU_FLOOR)
        dmu = link.inverse_deriv(eta)
        ww = w * dmu * dmu / family.variance(mu)
        z = eta - offset + (y - mu) / dmu
        new = _solve(X, ww, ww * z)
        if not np.all(np.isfinite(new)):
            return new, False, it
        step = np.max(np.abs(new - beta)) / (np.max(np.abs(new)) + 1e-8)
        beta = new
        eta = X @ beta + offset
        if step < tol and it > 1:
            return beta, True, it
    return beta, False, maxiter


def _theta_score_info(
    theta: float, y: np.ndarray, mu: np.ndarray, w: np.ndarray
) -> tuple[float, float]:
    """Weighted score and information of the NB2 log-likelihood in θ (MASS ``theta.ml``)."""
    t = theta
    score = np.sum(
        w
        * (
            special.digamma(t + y)
            - special.digamma(t)
            + math.log(t)
            + 1.0
            - np.log(t + mu)
            - (y + t) / (mu + t)
        )
    )
    info = np.sum(
        w
        * (
            -special.polygamma(1, t + y)
            + special.polygamma(1, t)
            - 1.0 / t
            + 2.0 / (mu + t)
            - (y + t) / (mu + t) ** 2
        )
    )
    return float(score), float(info)


def theta_ml(
    y: np.ndarray,
    mu: np.ndarray,
    w: np.ndarray,
    start: float | None = None,
    maxiter: int = 100,
    tol: float = 1e-12,
) -> float:
    """Weighted maximum-likelihood θ of the NB2 distribution at fixed means.

    Newton's method in θ from the moment estimate Σ wᵢ / Σ wᵢ (yᵢ/μᵢ − 1)²
    (MASS ``theta.ml``) unless ``start`` is given; stops when a step is below
    ``tol`` relative to max(1, θ).
    """
    wn = w / np.mean(w[w > 0])
    if start is None:
        start = float(np.sum(wn) / np.sum(wn * (y / mu - 1.0) ** 2))
    t = max(start, 1e-8) if start > 0 else THETA_MAX / 10
    for _ in range(maxiter):
        score, info = _theta_score_info(t, y, mu, wn)
        if not (math.isfinite(info) and info > 0) or t > THETA_MAX:
            raise ModelError(
                "negbin: the counts show no overdispersion (theta grows without bound); "
                "the negative binomial reduces to the Poisson model — use --model poisson",
                reason="no_overdispersion",
            )
        step = score / info
        new = t + step
        if new <= 0:
            new = t / 2.0
        if not math.isfinite(new):
            break
        done = abs(new - t) <= tol * max(1.0, t)
        t = new
        if done:
            return t
    raise ModelError(
        "negbin: the dispersion θ did not converge; the counts may not be overdispersed "
        "(use poisson) or the model may be misspecified",
        reason="no_convergence",
    )


def _finish(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    offset: np.ndarray,
    family: Any,
    beta: np.ndarray,
    converged: bool,
    n_iter: int,
) -> KernelFit:
    eta = X @ beta + offset
    mu = np.maximum(family.link.inverse(eta), MU_FLOOR)
    dmu = family.link.inverse_deriv(eta)
    var = family.variance(mu)
    scores = X * (w * (y - mu) * dmu / var)[:, None]
    ww = w * dmu * dmu / var
    hessian = -(X.T @ (X * ww[:, None]))
    return KernelFit(beta, scores, hessian, None, None, converged, n_iter)


def fit_glm(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    *,
    model: str,
    link: str | None = None,
    offset: np.ndarray | None = None,
    start: np.ndarray | None = None,
    theta: float | None = None,
    maxiter: int = 100,
    tol: float = 1e-10,
    names: Sequence[str] | None = None,
    check: bool = True,
) -> GLMFit:
    """Weighted Poisson, negative-binomial or gamma GLM.

    Parameters
    ----------
    X, y, w
        Model matrix, outcome, non-negative weights.
    model
        ``poisson``, ``quasipoisson``, ``negbin`` or ``gamma``.
    link
        ``log`` (default), ``identity``, ``sqrt`` or ``inverse``.
    offset
        Added to the linear predictor (``None``: zero).
    start
        Starting β (warm start for replicate refits).
    theta
        Negative binomial only: hold θ fixed at this value (replicate refits
        keep the full-sample θ, as ``svyglm(family = negative.binomial(θ))``).
    check
        Check the outcome range, rank and convergence.

    Returns
    -------
    GLMFit
        ``kernel.scores`` rows wᵢ xᵢ (yᵢ − μᵢ) μ'ᵢ / V(μᵢ); ``kernel.hessian``
        −X'WX with W = w μ'² / V(μ) (the expected information, R ``svyglm``'s
        ``cov.unscaled``); ``theta`` for ``negbin``.
    """
    off = np.zeros(X.shape[0]) if offset is None else np.asarray(offset, dtype=np.float64)
    if check:
        _check_outcome(model, y, w)
        check_rank(X, w, names)
    if model != "negbin":
        family = make_family(model, link)
        beta, ok, it = _irls(X, y, w, off, family, start, maxiter, tol)
        _check_converged(model, ok, beta, maxiter, check)
        return GLMFit(_finish(X, y, w, off, family, beta, ok, it), None)
    if theta is not None:
        family = make_family(model, link, theta)
        beta, ok, it = _irls(X, y, w, off, family, start, maxiter, tol)
        _check_converged(model, ok, beta, maxiter, check)
        return GLMFit(_finish(X, y, w, off, family, beta, ok, it), theta)
    return _fit_negbin(X, y, w, off, link, start, maxiter, tol, check)


def _fit_negbin(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    off: np.ndarray,
    link: str | None,
    start: np.ndarray | None,
    maxiter: int,
    tol: float,
    check: bool,
) -> GLMFit:
    """Alternate β | θ (IRLS) and θ | β (Newton), from a Poisson fit, as ``glm.nb``."""
    beta, ok, it = _irls(X, y, w, off, make_family("poisson", link), start, maxiter, tol)
    _check_converged("negbin", ok, beta, maxiter, check)
    lk = _link(link or "log")
    mu = np.maximum(lk.inverse(X @ beta + off), MU_FLOOR)
    th = theta_ml(y, mu, w)
    total = it
    for _ in range(maxiter):
        family = make_family("negbin", link, th)
        beta, ok, it = _irls(X, y, w, off, family, beta, maxiter, tol)
        total += it
        _check_converged("negbin", ok, beta, maxiter, check)
        mu = np.maximum(lk.inverse(X @ beta + off), MU_FLOOR)
        new = theta_ml(y, mu, w, start=th)
        done = abs(new - th) <= tol * max(1.0, th)
        th = new
        if done:
            family = make_family("negbin", link, th)
            beta, ok, it = _irls(X, y, w, off, family, beta, maxiter, tol)
            return GLMFit(_finish(X, y, w, off, family, beta, ok, total + it), th)
    raise ModelError(
        "negbin: β and θ did not converge jointly; check the model", reason="no_convergence"
    )


def _check_converged(model: str, ok: bool, beta: np.ndarray, maxiter: int, check: bool) -> None:
    if ok or not check:
        return
    if not np.all(np.isfinite(beta)):
        raise ModelError(
            f"{model}: the fit diverged (non-finite coefficients); with a non-log link the "
            "fitted means may leave the valid range — try --link log",
            reason="no_convergence",
        )
    raise ModelError(
        f"{model}: did not converge in {maxiter} iterations; rescale numeric terms or "
        "check for a term that predicts zero counts exactly",
        reason="no_convergence",
    )


def predict_mean(family_link: str, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """μ = g⁻¹(η) and dμ/dη for a link name."""
    lk = _link(family_link)
    return np.asarray(lk.inverse(eta)), np.asarray(lk.inverse_deriv(eta))
