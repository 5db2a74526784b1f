"""Ordered logit/probit kernel: derivatives, agreement with statsmodels, recovery.

Tolerances: analytic vs central finite differences 1e-5 relative (the
difference step is 1e-6, so truncation error is ~1e-9 and rounding ~1e-8 on
these log-likelihood scales); statsmodels' OrderedModel (an independent
implementation, BFGS with numerical derivatives) 1e-5 absolute.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveytk.errors import ModelError
from surveytk.models.ordinal_kernel import (
    fit_ordinal_kernel,
    null_loglik,
    ordinal_terms,
    predict_ordinal,
)

BETA = np.array([0.6, -1.0, 0.3])
ZETA = np.array([-1.0, 0.2, 1.4])


def simulate(n: int, link: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=n), rng.binomial(1, 0.4, n), rng.uniform(-1, 1, n)])
    noise = rng.logistic(size=n) if link == "logit" else rng.normal(size=n)
    latent = X @ BETA + noise
    y = np.searchsorted(ZETA, latent)  # y = #cuts below the latent value
    w = rng.uniform(0.3, 3.0, n)
    return X, y.astype(np.intp), w


def numeric_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(x.size)])


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_gradient_and_hessian_match_finite_differences(link: str) -> None:
    X, y, w = simulate(400, link, 1)
    theta = np.concatenate([BETA + 0.05, ZETA - 0.1])
    _, scores, hess = ordinal_terms(theta, X, y, w, link)
    num_g = numeric_gradient(lambda t: ordinal_terms(t, X, y, w, link)[0], theta)
    num_h = np.array(
        [
            (
                ordinal_terms(theta + 1e-6 * e, X, y, w, link)[1].sum(0)
                - ordinal_terms(theta - 1e-6 * e, X, y, w, link)[1].sum(0)
            )
            / 2e-6
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(scores.sum(0), num_g, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hess, num_h, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_unweighted_fit_matches_statsmodels(link: str) -> None:
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    X, y, _ = simulate(600, link, 2)
    kf = fit_ordinal_kernel(X, y, np.ones(len(y)), 4, link=link)
    with np.errstate(all="ignore"):
        sm = OrderedModel(y, X, distr=link).fit(method="newton", disp=0, maxiter=200)
    sm_zeta = np.cumsum(np.r_[sm.params[3], np.exp(sm.params[4:])])
    assert kf.converged
    np.testing.assert_allclose(kf.params[:3], sm.params[:3], atol=1e-5)
    np.testing.assert_allclose(kf.params[3:], sm_zeta, atol=1e-5)
    assert kf.loglik == pytest.approx(sm.llf, rel=1e-9)


def test_scores_sum_to_zero_and_hessian_negative_definite() -> None:
    X, y, w = simulate(500, "logit", 3)
    kf = fit_ordinal_kernel(X, y, w, 4)
    assert np.abs(kf.scores.sum(0)).max() < 1e-6 * w.sum()
    assert np.all(np.linalg.eigvalsh(kf.hessian) < 0)
    assert kf.loglik_null == pytest.approx(null_loglik(y, w, 4))
    assert kf.loglik is not None and kf.loglik > kf.loglik_null


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_simulation_recovers_known_effects(link: str) -> None:
    """DGP above; every estimate within 4 model-based SEs of the truth (seeded)."""
    X, y, _ = simulate(6000, link, 4)
    kf = fit_ordinal_kernel(X, y, np.ones(len(y)), 4, link=link)
    se = np.sqrt(np.diag(np.linalg.inv(-kf.hessian)))
    z = (kf.params - np.concatenate([BETA, ZETA])) / se
    assert np.all(np.abs(z) < 4), z


def test_predicted_probabilities_sum_to_one_and_match_loglik() -> None:
    X, y, w = simulate(300, "probit", 5)
    kf = fit_ordinal_kernel(X, y, w, 4, link="probit")
    prob = predict_ordinal(kf.params, X, 4, "probit")
    np.testing.assert_allclose(prob.sum(1), 1.0, atol=1e-12)
    assert np.sum(w * np.log(prob[np.arange(len(y)), y])) == pytest.approx(kf.loglik)


def test_warm_start_gives_same_estimate_in_fewer_iterations() -> None:
    X, y, w = simulate(400, "logit", 6)
    cold = fit_ordinal_kernel(X, y, w, 4)
    warm = fit_ordinal_kernel(X, y, w * np.linspace(0.8, 1.2, len(w)), 4, start=cold.params)
    again = fit_ordinal_kernel(X, y, w * np.linspace(0.8, 1.2, len(w)), 4)
    np.testing.assert_allclose(warm.params, again.params, atol=1e-8)
    assert warm.n_iter <= again.n_iter


def test_collinear_columns_raise_model_error() -> None:
    X, y, w = simulate(200, "logit", 7)
    X = np.column_stack([X, 2 * X[:, 0]])
    with pytest.raises(ModelError, match="collinear"):
        fit_ordinal_kernel(X, y, w, 4)


def test_unknown_link_is_refused() -> None:
    X, y, w = simulate(50, "logit", 8)
    with pytest.raises(ModelError, match="expecting one of"):
        fit_ordinal_kernel(X, y, w, 4, link="cloglog")


@settings(max_examples=15, deadline=None)
@given(scale=st.floats(min_value=1e-3, max_value=1e4), seed=st.integers(0, 1000))
def test_rescaling_weights_changes_nothing(scale: float, seed: int) -> None:
    X, y, w = simulate(150, "logit", seed)
    a = fit_ordinal_kernel(X, y, w, 4)
    b = fit_ordinal_kernel(X, y, w * scale, 4)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-7, atol=1e-8)
    # the sandwich H^-1 (S'S) H^-1 is invariant to the weight scale as well
    va = np.linalg.solve(a.hessian, np.linalg.solve(a.hessian, a.scores.T @ a.scores).T)
    vb = np.linalg.solve(b.hessian, np.linalg.solve(b.hessian, b.scores.T @ b.scores).T)
    np.testing.assert_allclose(va, vb, rtol=1e-6)
