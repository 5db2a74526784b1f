"""The fit's row-block passes give the numbers of the whole-array formulas they replace.

IRLS steps, the start and the final pass go by the row blocks of
``weighted_gram`` (same bits as the whole-array expressions); the logit replicate
scores go by cache-sized blocks (rounding noise only); the bootstrap draws one
call per stratum (the same random stream as one call per replicate).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from surveytk.errors import ModelError
from surveytk.models import irls, replicate_glm
from surveytk.survey.design import SurveyDesign


def _data(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.c_[np.ones(n), rng.normal(size=(n, 2)), rng.integers(0, 2, n)]
    w = rng.uniform(0.3, 3.0, n)
    w[rng.uniform(size=n) < 0.05] = 0.0
    p = special.expit(X @ np.array([0.3, 0.8, -0.5, 0.4]))
    y = (rng.uniform(size=n) < p).astype(float)
    return X, y, w


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_blocked_irls_step_has_the_bits_of_the_whole_array_step(
    link: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(irls, "GRAM_BLOCK", 1000)  # 5 blocks and a partial one
    X, y, w = _data(5_500)
    beta = np.array([0.2, 0.7, -0.4, 0.3])
    eta = X @ beta
    mu, dmu = irls._mu(eta, link)
    if link == "logit":
        ww = w * dmu
        wz = ww * eta + w * (y - mu)
    else:
        mu = np.clip(mu, 1e-300, 1.0 - 1e-16)
        dmu = np.maximum(dmu, 1e-300)
        ww = w * dmu * dmu / (mu * (1.0 - mu))
        wz = ww * (eta + (y - mu) / dmu)
    whole = irls._solve(X, ww, wz)
    assert np.array_equal(irls._irls_step(X, y, w, beta, link), whole)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_blocked_final_pass_has_the_bits_of_the_whole_array_pass(
    link: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(irls, "GRAM_BLOCK", 1000)
    X, y, w = _data(5_500)
    kf = irls.fit_binary(X, y, w, link=link)  # type: ignore[arg-type]
    mu, dmu = irls._mu(X @ kf.params, link)
    mu_c = np.clip(mu, 1e-300, 1.0 - 1e-16)
    var = mu_c * (1.0 - mu_c)
    assert kf.loglik == irls.bernoulli_loglik(y, mu_c, w)
    assert np.array_equal(kf.scores, X * (w * (y - mu) * dmu / var)[:, None])
    assert np.array_equal(kf.hessian, -irls.weighted_gram(X, w * dmu * dmu / var))


def test_logit_replicate_scores_by_blocks_match_the_direct_sum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y, w = _data(3_001)
    rng = np.random.default_rng(1)
    psu = rng.integers(0, 40, X.shape[0])
    mult = rng.integers(0, 3, (40, 7)).astype(float)
    theta = np.array([0.3, 0.8, -0.5, 0.4]) + rng.normal(scale=0.05, size=(7, 4))
    direct = ((w[:, None] * mult[psu]) * (y[:, None] - special.expit(X @ theta.T))).T @ X
    for block in (64 * 7, 1000, 10**6):  # blocks of 64 rows, a partial last block, one block
        monkeypatch.setattr(replicate_glm, "BLOCK_ELEMENTS", block)
        got = replicate_glm._logit_scores(X, y, X * w[:, None], psu, mult, theta)
        np.testing.assert_allclose(got, direct, rtol=1e-12, atol=1e-9)


def test_bootstrap_draws_the_stream_of_one_call_per_replicate() -> None:
    rows = [(h, f"{h}-{p}", 1.0) for h in range(4) for p in range(3 + h) for _ in range(2)]
    d = pd.DataFrame(rows, columns=["stratum", "psu", "w"])
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    made = des.make_bootstrap(25, seed=7)
    assert made.repweights is not None
    draw = np.random.default_rng(7)
    expected = np.zeros((des.n_psu, 25))
    order = np.argsort(des.psu_stratum, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(des.n_psu_h))).astype(int)
    for h in range(des.n_strata):
        members = order[bounds[h] : bounds[h + 1]]
        for r in range(25):  # R bootweights: n_h draws with replacement, replicate by replicate
            expected[members, r] = np.bincount(
                draw.integers(0, members.size, size=members.size), minlength=members.size
            )
    np.testing.assert_array_equal(made.repweights, expected)


def test_outcome_checks_look_only_at_rows_with_positive_weight() -> None:
    _, y, w = _data(400)
    w[:2] = 0.0
    y2 = y.copy()
    y2[0] = 5.0  # out of range, but weight 0: not an estimation row
    irls._check_outcome(y2, w)
    y2[2] = -1.0
    with pytest.raises(ModelError, match=r"lie in \[0, 1\]"):
        irls._check_outcome(y2, w)
    y3 = np.ones_like(y)
    y3[1] = 0.0  # the only 0 has weight 0: constant among the estimation rows
    with pytest.raises(ModelError, match=r"single value \(1\)"):
        irls._check_outcome(y3, w)
    with pytest.raises(ModelError, match="no rows with positive weight"):
        irls._check_outcome(y, np.zeros_like(w))


def test_logit_replicate_scores_on_threads_are_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The row parts of the replicate score pass give the same sums on two threads as on
    one, and equal the whole-array scores Σ w m x (y − μ) to rounding."""
    rng = np.random.default_rng(5)
    n, k, b, p = 50_000, 5, 37, 300
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = (rng.uniform(size=n) < 0.4).astype(float)
    w = rng.uniform(0.5, 2.0, n)
    psu = rng.integers(0, p, n)
    mult = rng.uniform(0.0, 2.0, (p, b))
    theta = rng.normal(scale=0.2, size=(b, k))
    Xw = X * w[:, None]
    assert n >= replicate_glm.THREADED_ROWS
    threaded = replicate_glm._logit_scores(X, y, Xw, psu, mult, theta)
    monkeypatch.setattr(replicate_glm, "_usable_cores", lambda: 1)
    serial = replicate_glm._logit_scores(X, y, Xw, psu, mult, theta)
    np.testing.assert_array_equal(threaded, serial)
    whole = (Xw.T @ ((y[:, None] - special.expit(X @ theta.T)) * mult[psu])).T
    np.testing.assert_allclose(threaded, whole, rtol=1e-10, atol=1e-9)
