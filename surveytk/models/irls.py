"""Numeric kernels of the binary models: weighted logit, probit and least squares.

Pure functions of arrays (design matrix ``X``, outcome ``y`` in [0, 1],
non-negative weights ``w``) returning a frozen
:class:`~surveytk.models.kernel.KernelFit`. No pandas, no patsy: the work is
a few passes of ``X' W X`` with numpy BLAS, so a million rows take well under
a second and the replicate loop (warm-started) costs one to three steps per
replicate.

The log-likelihood is the quasi-binomial one, so non-integer weights are fine
(R ``quasibinomial()``: the same estimating equations as ``binomial()``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from surveytk.errors import ModelError
from surveytk.models.binary_links import bernoulli_terms, expit, logit, normal_cdf, normal_quantile
from surveytk.models.kernel import KernelFit

Link = Literal["logit", "probit"]
LINKS: tuple[str, ...] = ("logit", "probit")
#: Fitted probabilities closer than this to 0 or 1 count as "numerically 0/1".
PROB_EPS = 1e-8
#: |coefficient × range of its column| beyond this (on the link scale) counts as
#: diverging: a factor e^20 in the odds across the column's range (logit); 6 SD of
#: the latent normal (probit). Separation is reported only when fitted probabilities
#: are also numerically 0 or 1, so strong but finite effects pass.
DIVERGE = {"logit": 20.0, "probit": 6.0}
#: Smallest eigenvalue of the unit-column Gram matrix below which columns are
#: collinear (a singular value of about 3e-6).
RANK_TOL = 1e-11
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _names(k: int, names: Sequence[str] | None) -> list[str]:
    return list(names) if names is not None else [f"x{j}" for j in range(k)]


def check_rank(X: np.ndarray, w: np.ndarray, names: Sequence[str] | None = None) -> None:
    """Raise :class:`ModelError` naming the columns of ``X`` that are collinear.

    Eigenvalues of the Gram matrix of √w X with columns scaled to unit norm;
    scanning left to right, a column that makes the smallest eigenvalue fall
    below ``RANK_TOL`` depends on the columns before it (R ``lm``/``glm``'s
    pivoting rule, which names the later column).
    """
    k = X.shape[1]
    nm = _names(k, names)
    xtwx = weighted_gram(X, w)  # zero-weight rows add nothing
    norms = np.sqrt(np.clip(np.diag(xtwx), 0.0, None))
    zero = [nm[j] for j in range(k) if norms[j] == 0]
    if zero:
        raise ModelError(
            f"model-matrix column(s) {', '.join(zero)} are zero on every used row; "
            "drop them from the formula",
            variable=zero[0],
            reason="collinear",
        )
    n_pos = int(np.count_nonzero(w > 0))
    if n_pos < k:
        raise ModelError(
            f"only {n_pos} rows with positive weight for {k} coefficients; "
            "widen the sample or simplify the formula",
            reason="too_few_rows",
        )
    gram = xtwx / np.outer(norms, norms)
    if np.linalg.eigvalsh(gram)[0] > RANK_TOL:
        return
    dependent: list[str] = []
    kept: list[int] = []
    for j in range(k):
        cols = [*kept, j]
        if np.linalg.eigvalsh(gram[np.ix_(cols, cols)])[0] > RANK_TOL:
            kept.append(j)
        else:
            dependent.append(nm[j])
    raise ModelError(
        f"collinear model-matrix column(s): {', '.join(dependent)} (linear combinations of "
        "the other columns); drop them or merge categories",
        variable=dependent[0] if dependent else None,
        reason="collinear",
    )


def _mu(eta: np.ndarray, link: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and dμ/dη."""
    if link == "logit":
        mu = expit(eta)
        return mu, mu * (1.0 - mu)
    mu = normal_cdf(eta)
    return mu, np.exp(-0.5 * eta * eta) / _SQRT_2PI


def working_weights(X: np.ndarray, beta: np.ndarray, w: np.ndarray, link: str) -> np.ndarray:
    """IRLS working weights w μ'² / (μ(1 − μ)) at ``beta`` (``w`` itself for least squares)."""
    if link == "lpm":
        return w
    mu, dmu = _mu(X @ beta, link)
    mu = np.clip(mu, 1e-300, 1.0 - 1e-16)
    return np.asarray(w * dmu * dmu / (mu * (1.0 - mu)))


def bernoulli_loglik(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    """Σ w_i [y_i log μ_i + (1 − y_i) log(1 − μ_i)] (quasi-binomial, y in [0, 1])."""
    return float(np.sum(bernoulli_terms(y, mu, w)))


def null_loglik(y: np.ndarray, w: np.ndarray) -> float:
    """Log pseudo-likelihood of the intercept-only model (weighted mean of y)."""
    sw, swy = float(np.sum(w)), float(np.sum(w * y))
    p = swy / sw
    if not 0.0 < p < 1.0:
        return bernoulli_loglik(y, np.full_like(y, p), w)
    # μ is the constant p: Σ w y log p + Σ w (1 − y) log(1 − p), without two passes of logs
    return swy * math.log(p) + (sw - swy) * math.log1p(-p)


def _start(X: np.ndarray, y: np.ndarray, w: np.ndarray, link: str) -> np.ndarray:
    """One weighted least-squares step from R's ``mustart = (w y + 0.5)/(w + 1)``."""
    w_mean = np.mean(w[w > 0])

    def block(i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        wb, yb = w[i:j], y[i:j]
        wn = wb / w_mean
        mu = (wn * yb + 0.5) / (wn + 1.0)
        eta = logit(mu) if link == "logit" else normal_quantile(mu)
        _, dmu = _mu(eta, link)
        ww = wb * dmu * dmu / (mu * (1.0 - mu))
        z = eta + (yb - mu) / dmu
        return ww, ww * z

    return _wls_by_blocks(X, block)


#: rows per block of :func:`weighted_gram` (a block of W X stays in cache)
GRAM_BLOCK = 32_768


def weighted_gram(X: np.ndarray, ww: np.ndarray) -> np.ndarray:
    """X' W X, accumulated over row blocks.

    X' (W X) is much faster with BLAS than (X' W) X (both operands stay
    C-ordered); by blocks, W X never exists as a whole n × k array, whose
    allocation (page faults) cost more than the products at a million rows.
    """
    return gram_by_blocks(X, lambda i, j: ww[i:j])


def gram_by_blocks(X: np.ndarray, weights_of: Callable[[int, int], np.ndarray]) -> np.ndarray:
    """X' W X over row blocks of :data:`GRAM_BLOCK`, W of rows i:j made by ``weights_of(i, j)``
    (which may also fill the caller's other per-row arrays of the block)."""
    n, k = X.shape
    a = np.zeros((k, k))
    buf = np.empty((min(n, GRAM_BLOCK), k))
    for i in range(0, n, GRAM_BLOCK):
        j = min(i + GRAM_BLOCK, n)
        xb, xw = X[i:j], buf[: j - i]
        np.multiply(xb, weights_of(i, j)[:, None], out=xw)
        a += xb.T @ xw
    return a


def _solve(X: np.ndarray, ww: np.ndarray, wz: np.ndarray) -> np.ndarray:
    """Solve X'WX β = X'(W z) (weighted least squares step)."""
    return solve_psd(weighted_gram(X, ww), X.T @ wz)


#: reciprocal condition number below which a k × k system counts as singular
#: (LAPACK's threshold for scipy's ill-conditioning warning: machine epsilon)
_RCOND = float(np.finfo(np.float64).eps)


def solve_psd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve a β = b for a symmetric positive (semi)definite ``a``; least squares if singular.

    Near-singular X'WX happens on the way to separation; the minimum-norm least
    squares solution copes and the separation check reports it. numpy only: the
    import of ``scipy.linalg`` cost a tenth of a second of every fit.
    """
    with np.errstate(all="ignore"):
        if np.all(np.isfinite(a)) and np.all(np.isfinite(b)):
            s = np.linalg.svd(a, compute_uv=False)
            if s.size and s[0] > 0 and s[-1] / s[0] > _RCOND:
                try:
                    np.linalg.cholesky(a)  # positive definite, as scipy's assume_a="pos"
                    return np.asarray(np.linalg.solve(a, b), dtype=np.float64)
                except np.linalg.LinAlgError:
                    pass
        return np.asarray(np.linalg.lstsq(a, b, rcond=None)[0], dtype=np.float64)


def _diverging(
    X: np.ndarray, beta: np.ndarray, link: str, names: Sequence[str] | None
) -> list[str]:
    nm = _names(X.shape[1], names)
    span = X.max(axis=0) - X.min(axis=0)
    span = np.where(span > 0, span, 1.0)  # the intercept: its own size
    big = np.abs(beta) * span > DIVERGE[link]
    return [nm[j] for j in np.flatnonzero(big)]


def fit_binary(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    *,
    link: Link = "logit",
    start: np.ndarray | None = None,
    maxiter: int = 100,
    tol: float = 1e-10,
    names: Sequence[str] | None = None,
    check: bool = True,
    full_output: bool = True,
) -> KernelFit:
    """Weighted logit or probit by iteratively reweighted least squares.

    Parameters
    ----------
    X
        n × k model matrix (float64).
    y
        Outcome in [0, 1] (0/1 for a binary model).
    w
        Non-negative weights (sampling or replicate weights; zero = unused row).
    link
        ``logit`` or ``probit``.
    start
        Starting values (warm start for replicates); default from R's
        ``mustart``.
    maxiter, tol
        Iteration cap; convergence when the largest change of a coefficient,
        relative to the largest coefficient, is below ``tol``.
    names
        Column names, for error messages.
    check
        Check rank, separation and convergence (``False`` in replicate refits,
        where the caller wants the numbers as R's ``glm.fit`` gives them).
    full_output
        Compute scores, Hessian and log-likelihoods; ``False`` (replicate
        refits, which need only ``params``) leaves ``scores`` empty (0 × k),
        ``hessian`` zero and ``loglik`` ``None``.

    Returns
    -------
    KernelFit
        ``scores`` are w_i x_i (y_i − μ_i) μ'_i / (μ_i (1 − μ_i)); ``hessian``
        is −X' W X with the IRLS working weights W = w μ'² / (μ(1 − μ)) —
        the observed Hessian for logit and the expected one for probit,
        as R ``svyglm`` uses (``summary.glm``'s ``cov.unscaled``).

    Raises
    ------
    ModelError
        Collinear columns, an outcome without both values, separation,
        non-convergence (only with ``check``).

    Notes
    -----
    Fisher scoring for the quasi-binomial estimating equations
    Σ w_i x_i (y_i − μ_i) μ'_i / V(μ_i) = 0 (McCullagh & Nelder 1989, §2.5);
    the design-based variance then follows Binder (1983).
    """
    if link not in LINKS:
        raise ModelError(f"link: expecting one of {{{', '.join(LINKS)}}}; got {link!r}")
    if check:
        _check_outcome(y, w)
        check_rank(X, w, names)
    beta = _start(X, y, w, link) if start is None else np.asarray(start, dtype=np.float64)
    converged = False
    it = 0
    for it in range(1, maxiter + 1):  # noqa: B007
        new = _irls_step(X, y, w, beta, link)
        step = np.max(np.abs(new - beta)) / (np.max(np.abs(new)) + 1e-8)
        beta = new
        if not np.all(np.isfinite(beta)):
            break
        # the deviance settles long before probit's Fisher scoring has settled the
        # coefficients, so convergence is judged on the coefficients
        # logit's IRLS is Newton's method: once a step is below √tol / 10 the
        # error left after it is of order step² < tol, so stop one step earlier
        if step < tol or (link == "logit" and step < 0.1 * math.sqrt(tol)):
            converged = True
            break
    if not full_output:
        k = X.shape[1]
        return KernelFit(beta, np.empty((0, k)), np.zeros((k, k)), None, None, converged, it)
    return _finish_binary(X, y, w, beta, link, converged, it, maxiter, names, check)


def _irls_step(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray, link: str
) -> np.ndarray:
    """One IRLS step from ``beta``, by row blocks (:func:`_wls_by_blocks`)."""

    def block(i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        wb = w[i:j]
        eta = X[i:j] @ beta
        mu, dmu = _mu(eta, link)
        if link == "logit":  # canonical link: W = w μ(1 − μ), W z = W η + w (y − μ)
            ww = wb * dmu
            return ww, ww * eta + wb * (y[i:j] - mu)
        mu = np.clip(mu, 1e-300, 1.0 - 1e-16)
        dmu = np.maximum(dmu, 1e-300)
        ww = wb * dmu * dmu / (mu * (1.0 - mu))
        return ww, ww * (eta + (y[i:j] - mu) / dmu)

    return _wls_by_blocks(X, block)


def _wls_by_blocks(
    X: np.ndarray, block: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """Solve X'WX β = X'(W z), the weights W and W z of rows i:j made by ``block(i, j)``.

    Rows go by the blocks of :func:`weighted_gram` (the same sums), so the n-long
    temporaries of a step stay in cache; only W z is kept whole, for X'(W z) over
    all rows at once as :func:`_solve`. The same bits as :func:`_solve` on the
    whole arrays.
    """
    wz = np.empty(X.shape[0])

    def weights_of(i: int, j: int) -> np.ndarray:
        ww, wz[i:j] = block(i, j)
        return ww

    a = gram_by_blocks(X, weights_of)
    return solve_psd(a, X.T @ wz)


def _check_outcome(y: np.ndarray, w: np.ndarray) -> None:
    pos = w > 0
    if not pos.any():
        raise ModelError("no rows with positive weight remain; nothing to estimate")
    if np.any(((y < 0) | (y > 1)) & pos):  # no copy of the positive-weight rows
        raise ModelError("a binary outcome must lie in [0, 1]; recode it to 0/1")
    first = y[int(np.argmax(pos))]
    if not np.any((y != first) & pos):
        raise ModelError(
            f"the outcome takes a single value ({int(first)}) in the estimation sample; "
            "a binary model needs both 0 and 1",
            reason="constant_outcome",
        )


def _finish_binary(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    beta: np.ndarray,
    link: str,
    converged: bool,
    n_iter: int,
    maxiter: int,
    names: Sequence[str] | None,
    check: bool,
) -> KernelFit:
    n = X.shape[0]
    # by row blocks of gram_by_blocks: the n-long temporaries stay in cache and every
    # number is the one the whole-array expressions give (sums included)
    ll_terms = np.empty(n)
    resid_w = np.empty(n)
    extreme = False

    def weights_of(i: int, j: int, ll: np.ndarray = ll_terms) -> np.ndarray:
        nonlocal extreme
        wb, yb = w[i:j], y[i:j]
        mu, dmu = _mu(X[i:j] @ beta, link)
        if check:
            extreme = extreme or bool(np.any(((mu < PROB_EPS) | (mu > 1.0 - PROB_EPS)) & (wb > 0)))
        mu_c = np.clip(mu, 1e-300, 1.0 - 1e-16)
        var = mu_c * (1.0 - mu_c)
        ll[i:j] = bernoulli_terms(yb, mu_c, wb)
        resid_w[i:j] = wb * (yb - mu) * dmu / var
        return np.asarray(wb * dmu * dmu / var)

    gram = gram_by_blocks(X, weights_of)
    if check:
        _check_separation(X, w, beta, link, converged, extreme, maxiter, names)
    loglik = float(np.sum(ll_terms))  # bernoulli_loglik, by blocks
    del weights_of, ll_terms
    loglik_null = null_loglik(y, w)  # its temporaries freed before the n × k scores are made
    return KernelFit(
        params=beta,
        scores=X * resid_w[:, None],
        hessian=-gram,
        loglik=loglik,
        loglik_null=loglik_null,
        converged=converged,
        n_iter=n_iter,
    )


def _check_separation(
    X: np.ndarray,
    w: np.ndarray,
    beta: np.ndarray,
    link: str,
    converged: bool,
    extreme: bool,
    maxiter: int,
    names: Sequence[str] | None,
) -> None:
    """Separation (fitted probabilities 0 or 1 and diverging coefficients) or no convergence."""
    diverging: list[str] = []
    if extreme or not converged:
        diverging = _diverging(X[w > 0], beta, link, names)
    if not np.all(np.isfinite(beta)) or (extreme and diverging):
        which = ", ".join(diverging) if diverging else "unknown"
        raise ModelError(
            f"perfect or quasi-complete separation: fitted probabilities of 0 or 1 and "
            f"diverging coefficient(s) {which}; the outcome is (almost) determined by "
            "them — merge categories, drop the variable(s), or use a penalised model",
            variable=diverging[0] if diverging else None,
            reason="separation",
        )
    if not converged:
        raise ModelError(
            f"the {link} fit did not converge in {maxiter} iterations; check for "
            "separation or badly scaled covariates",
            reason="no_convergence",
        )


def fit_wls(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    *,
    names: Sequence[str] | None = None,
    check: bool = True,
) -> KernelFit:
    """Weighted least squares (the linear probability model).

    Returns
    -------
    KernelFit
        ``scores`` w_i x_i e_i; ``hessian`` −X' W X; ``loglik`` ``None``
        (there is no likelihood of a linear probability model).

    Notes
    -----
    β = (X'WX)⁻¹ X'Wy; with the design meat this is the survey-weighted
    linear regression of R ``svyglm(family = gaussian())`` (Lumley 2010, ch. 5).
    """
    if check:
        if not (w > 0).any():
            raise ModelError("no rows with positive weight remain; nothing to estimate")
        check_rank(X, w, names)
    beta = _solve(X, w, w * y)
    e = y - X @ beta
    scores = X * (w * e)[:, None]
    hessian = -weighted_gram(X, w)
    return KernelFit(
        params=beta,
        scores=scores,
        hessian=hessian,
        loglik=None,
        loglik_null=None,
        converged=True,
        n_iter=1,
    )


def weighted_r2(X: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray) -> float:
    """1 − Σw e² / Σw (y − ȳ_w)²."""
    e = y - X @ beta
    ybar = np.sum(w * y) / np.sum(w)
    sst = float(np.sum(w * (y - ybar) ** 2))
    return float(1.0 - np.sum(w * e * e) / sst) if sst > 0 else float("nan")
