"""Multinomial logit kernel: derivatives, agreement with statsmodels, recovery.

Tolerances: analytic vs central finite differences 1e-5 relative; statsmodels'
MNLogit (independent Newton implementation, unweighted) 1e-7 absolute.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveytk.models.multinomial_kernel import fit_mlogit_kernel, mlogit_terms, predict_mlogit

# true coefficients per non-base level (rows), columns: intercept, x1, x2
TRUE = np.array([[0.5, 1.0, -1.0], [-0.5, 0.3, 0.2], [0.2, -1.0, 0.5]])


def simulate(n: int, seed: int, base: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.binomial(1, 0.5, n)])
    prob = predict_mlogit(TRUE.ravel(), X, 4, base)
    u = rng.uniform(size=n)
    y = (u[:, None] > np.cumsum(prob, axis=1)).sum(1)
    w = rng.uniform(0.3, 3.0, n)
    return X, y.astype(np.intp), w


def test_gradient_and_hessian_match_finite_differences() -> None:
    X, y, w = simulate(400, 1)
    theta = TRUE.ravel() + 0.05
    _, scores, hess = mlogit_terms(theta, X, y, w, 4, 0)
    eps = 1e-6
    eye = np.eye(theta.size)
    num_g = [
        (
            mlogit_terms(theta + eps * e, X, y, w, 4, 0)[0]
            - mlogit_terms(theta - eps * e, X, y, w, 4, 0)[0]
        )
        / (2 * eps)
        for e in eye
    ]
    num_h = [
        (
            mlogit_terms(theta + eps * e, X, y, w, 4, 0)[1].sum(0)
            - mlogit_terms(theta - eps * e, X, y, w, 4, 0)[1].sum(0)
        )
        / (2 * eps)
        for e in eye
    ]
    np.testing.assert_allclose(scores.sum(0), num_g, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(hess, np.array(num_h), rtol=1e-5, atol=1e-5)


def test_gradient_only_mode_equals_column_sums_of_scores() -> None:
    X, y, w = simulate(100, 2)
    theta = TRUE.ravel()
    full = mlogit_terms(theta, X, y, w, 4, 1)
    grad = mlogit_terms(theta, X, y, w, 4, 1, scores_wanted=False)
    np.testing.assert_allclose(grad[1][0], full[1].sum(0), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(grad[2], full[2])


def test_unweighted_fit_matches_statsmodels() -> None:
    import statsmodels.api as sm

    X, y, _ = simulate(800, 3)
    kf = fit_mlogit_kernel(X, y, np.ones(len(y)), 4, 0)
    ref = sm.MNLogit(y, X).fit(disp=0, method="newton", maxiter=100)
    assert kf.converged
    np.testing.assert_allclose(kf.params, np.asarray(ref.params).T.ravel(), atol=1e-7)
    assert kf.loglik == pytest.approx(ref.llf, rel=1e-10)


def test_base_level_changes_parametrisation_not_fit() -> None:
    X, y, w = simulate(500, 4)
    b0 = fit_mlogit_kernel(X, y, w, 4, 0)
    b2 = fit_mlogit_kernel(X, y, w, 4, 2)
    assert b0.loglik == pytest.approx(b2.loglik, rel=1e-12)
    np.testing.assert_allclose(
        predict_mlogit(b0.params, X, 4, 0), predict_mlogit(b2.params, X, 4, 2), atol=1e-9
    )
    # level 1 vs base 0 equals (level 1 vs 2) - (level 0 vs 2)
    p2 = b2.params.reshape(3, 3)  # rows: levels 0, 1, 3
    np.testing.assert_allclose(b0.params.reshape(3, 3)[0], p2[1] - p2[0], atol=1e-8)


def test_simulation_recovers_known_effects() -> None:
    """DGP above; every estimate within 4 model-based SEs of the truth (seeded)."""
    X, y, _ = simulate(6000, 5)
    kf = fit_mlogit_kernel(X, y, np.ones(len(y)), 4, 0)
    se = np.sqrt(np.diag(np.linalg.inv(-kf.hessian)))
    z = (kf.params - TRUE.ravel()) / se
    assert np.all(np.abs(z) < 4), z


@settings(max_examples=15, deadline=None)
@given(scale=st.floats(min_value=1e-3, max_value=1e4), seed=st.integers(0, 1000))
def test_rescaling_weights_changes_nothing(scale: float, seed: int) -> None:
    X, y, w = simulate(200, seed)
    a = fit_mlogit_kernel(X, y, w, 4, 0)
    b = fit_mlogit_kernel(X, y, w * scale, 4, 0)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-7, atol=1e-8)
