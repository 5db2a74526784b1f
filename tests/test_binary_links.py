"""The numpy logistic functions of the logit link equal scipy.special's."""

from __future__ import annotations

import numpy as np
from scipy import special

from surveytk.models.binary_links import bernoulli_terms, expit, logit, normal_cdf, normal_quantile


def test_logistic_equals_scipy() -> None:
    eta = np.concatenate([np.linspace(-800, 800, 4001), [0.0, -0.0, 1e-300, -1e-300]])
    np.testing.assert_allclose(expit(eta), special.expit(eta), rtol=1e-15, atol=1e-300)
    mu = np.concatenate([np.geomspace(1e-300, 0.5, 500), 1 - np.geomspace(1e-16, 0.5, 500)])
    np.testing.assert_allclose(logit(mu), special.logit(mu), rtol=1e-13, atol=1e-15)
    z = np.linspace(-30.0, 3.0, 331)
    np.testing.assert_allclose(normal_quantile(normal_cdf(z)), z, rtol=1e-12, atol=1e-14)


def test_bernoulli_terms_are_zero_where_their_factor_is() -> None:
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.3, 0.0, 1.0])
    mu = np.array([0.0, 1.0, 0.2, 0.7, 0.4, 1e-320, 1.0 - 1e-16])
    w = np.array([1.0, 2.0, 1.5, 1.0, 3.0, 1.0, 1.0])
    want = w * special.xlogy(y, mu) + w * special.xlog1py(1.0 - y, -mu)
    np.testing.assert_allclose(bernoulli_terms(y, mu, w), want, rtol=1e-15)
    assert np.all(np.isfinite(bernoulli_terms(y, mu, w)))
