"""Covariance estimators against direct, loop-by-loop implementations of the formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveytk.errors import DesignError, ModelError
from surveytk.models.covariance import (
    LinearizedCovariance,
    ReplicateCovariance,
    get_covariance,
    linearized_meat,
    replicate_variance,
)
from surveytk.models.kernel import KernelFit
from surveytk.survey.design import SurveyDesign


def _design_frame(lonely: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    sizes = {"a": 3, "b": 4, "c": 1 if lonely else 2}
    for h, npsu in sizes.items():
        for p in range(npsu):
            for _ in range(int(rng.integers(2, 6))):
                rows.append((h, f"{h}{p}", rng.uniform(1, 4)))
    d = pd.DataFrame(rows, columns=["stratum", "psu", "w"])
    d["N"] = d["stratum"].map({"a": 10, "b": 8, "c": 5}).astype(float)
    return d


def _loop_meat(scores: np.ndarray, d: pd.DataFrame, fpc: bool, rule: str) -> np.ndarray:
    """M = Σ_h (1 − f_h) n_h/(n_h − 1) Σ_i (z_hi − z̄_h)(z_hi − z̄_h)', written out."""
    k = scores.shape[1]
    meat = np.zeros((k, k))
    n_ok = n_all = 0
    for _h, g in d.groupby("stratum", sort=False):
        psus = list(dict.fromkeys(g["psu"]))
        z = np.array([scores[(d["psu"] == p).to_numpy()].sum(axis=0) for p in psus])
        nh = len(psus)
        f = nh / g["N"].iloc[0] if fpc else 0.0
        n_all += 1
        if nh == 1:
            if rule == "adjust":
                meat += (1 - f) * np.outer(z[0], z[0])
            continue
        n_ok += 1
        c = z - z.mean(axis=0)
        meat += (1 - f) * nh / (nh - 1) * c.T @ c
    if rule == "average":
        meat *= n_all / n_ok
    return meat


@pytest.mark.parametrize("fpc", [False, True])
def test_meat_matches_the_formula(fpc: bool) -> None:
    d = _design_frame()
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu",
                                  fpc="N" if fpc else None)  # fmt: skip
    scores = np.random.default_rng(2).normal(size=(len(d), 3))
    np.testing.assert_allclose(linearized_meat(scores, des), _loop_meat(scores, d, fpc, "fail"),
                               rtol=1e-12)  # fmt: skip


@pytest.mark.parametrize("rule", ["adjust", "certainty", "remove", "average"])
def test_lonely_psu_rules(rule: str) -> None:
    d = _design_frame(lonely=True)
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu", lonely_psu=rule)
    scores = np.random.default_rng(3).normal(size=(len(d), 2))
    np.testing.assert_allclose(linearized_meat(scores, des), _loop_meat(scores, d, False, rule),
                               rtol=1e-12)  # fmt: skip


def test_domain_scores_scatter_like_zero_rows() -> None:
    d = _design_frame()
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    mask = np.arange(len(d)) % 3 != 0
    sub = des.subset(mask)
    full = np.random.default_rng(4).normal(size=(len(d), 2))
    full[~mask] = 0.0
    np.testing.assert_allclose(linearized_meat(full[mask], sub), linearized_meat(full, sub))
    with pytest.raises(DesignError, match="scores have"):
        linearized_meat(full[:5], sub)


def test_sandwich_and_registry() -> None:
    d = _design_frame()
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    rng = np.random.default_rng(5)
    scores = rng.normal(size=(len(d), 2))
    a = rng.normal(size=(2, 2))
    h = -(a @ a.T + 2 * np.eye(2))
    kf = KernelFit(np.zeros(2), scores, h, None, None, True, 1)
    v = LinearizedCovariance().cov(kf, des)
    hinv = np.linalg.inv(h)
    np.testing.assert_allclose(v, hinv @ linearized_meat(scores, des) @ hinv, rtol=1e-12)
    assert isinstance(get_covariance("linearized"), LinearizedCovariance)
    assert isinstance(get_covariance("replicate"), ReplicateCovariance)
    with pytest.raises(ModelError, match="expecting one of"):
        get_covariance("sandwich")


def test_replicate_variance_formula_and_mse() -> None:
    rng = np.random.default_rng(6)
    thetas = rng.normal(size=(10, 2))
    full = np.array([0.1, -0.2])
    rs = np.linspace(0.5, 1.5, 10)
    v = replicate_variance(thetas, full, 0.3, rs)
    m = thetas.mean(axis=0)
    loop = sum(0.3 * rs[r] * np.outer(thetas[r] - m, thetas[r] - m) for r in range(10))
    np.testing.assert_allclose(v, loop)
    v_mse = replicate_variance(thetas, full, 0.3, rs, mse=True)
    loop = sum(0.3 * rs[r] * np.outer(thetas[r] - full, thetas[r] - full) for r in range(10))
    np.testing.assert_allclose(v_mse, loop)


def test_replicate_covariance_refits_each_column_and_drops_failures() -> None:
    d = _design_frame()
    for r in range(6):
        d[f"rw{r}"] = d["w"] * np.random.default_rng(r).uniform(0.5, 1.5, len(d))
    des = SurveyDesign.from_frame(d, weights="w", repweights="^rw", reptype="bootstrap")
    x = np.random.default_rng(9).normal(size=len(d))

    def weighted_mean(w: np.ndarray) -> np.ndarray:
        return np.array([np.sum(w * x) / np.sum(w)])

    est = ReplicateCovariance()
    v = est.cov(weighted_mean, weighted_mean(des.domain_weights()), des)
    thetas = np.array([weighted_mean(d[f"rw{r}"].to_numpy()) for r in range(6)])
    np.testing.assert_allclose(v, replicate_variance(thetas, thetas[0], 1 / 5, np.ones(6)))
    calls = iter(range(100))

    def flaky(w: np.ndarray) -> np.ndarray:
        if next(calls) == 2:
            raise ModelError("no convergence")
        return weighted_mean(w)

    est = ReplicateCovariance()
    est.cov(flaky, thetas[0], des)
    assert est.notes == ["1 of 6 replicates gave no estimate and were discarded"]
    with pytest.raises(DesignError, match="needs replicate weights"):
        ReplicateCovariance().cov(weighted_mean, thetas[0],
                                  SurveyDesign.from_frame(d, weights="w"))  # fmt: skip
