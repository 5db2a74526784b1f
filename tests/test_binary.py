"""Binary models: errors, row accounting, invariances (Hypothesis), API and replicates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveytk.errors import DesignError, FormulaError, ModelError
from surveytk.models import fit
from surveytk.models.irls import bernoulli_loglik, fit_binary, fit_wls


def _data(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 4, n)
    psu = stratum * 10 + rng.integers(0, 5, n)
    x = rng.normal(size=n)
    female = rng.integers(0, 2, n).astype(bool)
    area = rng.choice(["a", "b", "c"], n)
    eta = -0.3 + 0.8 * x + 0.5 * female + 0.4 * (area == "b")
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return pd.DataFrame(
        {"y": y, "x": x, "female": female, "area": area, "stratum": stratum, "psu": psu,
         "w": rng.uniform(0.5, 3.0, n)}
    )  # fmt: skip


DESIGN = {"weights": "w", "strata": "stratum", "psu": "psu"}
FORMULA = "y ~ x + female + C(area)"
#: against R svyglm (epsilon 1e-12): both solve the same equations
R_TOL = 1e-6


def test_terms_in_formula_order_and_fit_statistics() -> None:
    d = _data()
    r = fit(d, model="logit", formula=FORMULA, **DESIGN)
    assert list(r.params.index) == ["(Intercept)", "x", "female", "area[b]", "area[c]"]
    assert r.df_resid == (20 - 4) + 1 - 5
    assert r.converged and r.loglik is not None
    # loglik is the weighted Bernoulli log pseudo-likelihood at the estimate
    X = np.column_stack([np.ones(len(d)), d["x"], d["female"], d["area"] == "b", d["area"] == "c"])
    mu = 1 / (1 + np.exp(-(X.astype(float) @ r.params.to_numpy())))
    y, w = d["y"].to_numpy(), d["w"].to_numpy()
    assert r.loglik == pytest.approx(bernoulli_loglik(y, mu, w))
    # McFadden: 1 − ℓ(β̂)/ℓ(intercept only), the null model predicting the weighted mean
    null = bernoulli_loglik(y, np.full(len(y), np.average(y, weights=w)), w)
    assert r.pseudo_r2 == pytest.approx(1 - r.loglik / null, rel=1e-10)


def test_data_is_the_r_reference_sample(reference_dir: Path) -> None:
    """``_data()`` is the sample tests/reference/binary_small_reference.R fits."""
    pd.testing.assert_frame_equal(
        _data(), pd.read_csv(reference_dir / "data" / "binary_small.csv"), check_exact=True
    )


@pytest.mark.parametrize("model", ["logit", "probit", "lpm"])
def test_fit_matches_r_svyglm(model: str, reference_dir: Path) -> None:
    """Estimates and SEs of R ``svyglm`` on this sample (binary_small_reference.R)."""
    ref = pd.read_csv(reference_dir / "binary_small_reference.csv")
    ref = ref[ref["model"] == ("linear" if model == "lpm" else model)]
    assert len(ref) == 5
    r = fit(_data(), model=model, formula=FORMULA, **DESIGN)
    assert list(ref["term"]) == ["(Intercept)", "x", "femaleTRUE", "areab", "areac"]
    np.testing.assert_allclose(r.params.to_numpy(), ref["estimate"], rtol=R_TOL)
    np.testing.assert_allclose(r.std_errors.to_numpy(), ref["std_error"], rtol=R_TOL)
    np.testing.assert_allclose(r.tidy()["p_value"], ref["p_value"], rtol=R_TOL)
    assert r.df_resid == ref["df"].iloc[0]
    assert r.nobs == ref["n_obs"].iloc[0]


def test_lpm_is_weighted_least_squares() -> None:
    d = _data()
    lpm = fit(d, model="lpm", formula=FORMULA, **DESIGN)
    assert lpm.loglik is None
    X = np.column_stack([np.ones(len(d)), d["x"], d["female"], d["area"] == "b", d["area"] == "c"])
    X = X.astype(float)
    w, y = d["w"].to_numpy(), d["y"].to_numpy()
    beta = np.linalg.solve((X.T * w) @ X, (X.T * w) @ y)
    np.testing.assert_allclose(lpm.params.to_numpy(), beta, rtol=1e-10)
    # weighted R²: 1 − Σw e² / Σw (y − ȳ_w)²
    e, ybar = y - X @ beta, np.average(y, weights=w)
    assert lpm.extra["r2"] == pytest.approx(1 - np.sum(w * e**2) / np.sum(w * (y - ybar) ** 2),
                                            rel=1e-10)


def test_rows_left_out_are_counted_by_reason() -> None:
    d = _data()
    d.loc[[0, 1, 2], "x"] = np.nan
    d.loc[[2, 3], "y"] = np.nan
    d.loc[[10, 11, 12, 13], "w"] = 0.0
    r = fit(d, model="logit", formula=FORMULA, subpop="area != 'c' | female", **DESIGN)
    outside = int(((d["area"] == "c") & ~d["female"] & (d["w"] > 0)).sum())
    assert r.dropped["zero_weight"] == 4
    assert r.dropped["outside_subpop"] == outside
    # rows 0-3 are all in the domain: x missing in 3 of them, y in 2 (row 2 in both)
    assert (d.loc[:3, "w"] > 0).all() and ((d.loc[:3, "area"] != "c") | d.loc[:3, "female"]).all()
    assert r.dropped["x"] == 3 and r.dropped["y"] == 2
    assert r.dropped["total"] == 4 + outside + 4
    assert r.nobs + r.dropped["total"] == len(d)
    assert r.design.subpop == "area != 'c' | female"


def test_separation_names_the_variable() -> None:
    d = _data()
    d["perfect"] = d["y"] * 2.0 - 1.0 + np.random.default_rng(1).uniform(-0.5, 0.5, len(d))
    with pytest.raises(ModelError, match=r"separation.*perfect") as exc:
        fit(d, model="logit", formula="y ~ x + perfect", **DESIGN)
    assert exc.value.reason == "separation"
    # quasi-complete: one category has only y = 1
    d2 = _data()
    d2.loc[d2["area"] == "c", "y"] = 1.0
    with pytest.raises(ModelError, match=r"separation.*area\[c\]"):
        fit(d2, model="probit", formula=FORMULA, **DESIGN)


def test_collinear_columns_are_named() -> None:
    d = _data()
    d["x2"] = 2.0 * d["x"] + 1.0
    with pytest.raises(ModelError, match=r"collinear model-matrix column\(s\): x2"):
        fit(d, model="logit", formula="y ~ x + x2", **DESIGN)
    with pytest.raises(ModelError, match="collinear"):
        fit(d, model="lpm", formula="y ~ x + x2", **DESIGN)


def test_non_convergence_and_constant_outcome_and_no_rows() -> None:
    d = _data()
    with pytest.raises(ModelError, match="did not converge in 1 iterations"):
        fit(d, model="probit", formula=FORMULA, maxiter=1, **DESIGN)
    d1 = d.assign(y=1.0)
    with pytest.raises(ModelError, match="single value"):
        fit(d1, model="logit", formula=FORMULA, **DESIGN)
    d2 = d.assign(x=np.nan)
    with pytest.raises(FormulaError, match="no row of the data is complete"):
        fit(d2, model="logit", formula=FORMULA, **DESIGN)


def test_bad_weights_are_design_errors() -> None:
    d = _data()
    d.loc[5, "w"] = -2.0
    with pytest.raises(DesignError, match=r"fewer than 10 rows have weight < 0 \(w\)"):
        fit(d, model="logit", formula=FORMULA, **DESIGN)


def test_api_reads_paths_and_rejects_unknown_options(tmp_path: Path) -> None:
    d = _data()
    path = tmp_path / "d.parquet"
    d.to_parquet(path)
    a = fit(str(path), model="logit", formula=FORMULA, **DESIGN)
    b = fit(d, model="logit", formula=FORMULA, **DESIGN)
    np.testing.assert_allclose(a.std_errors.to_numpy(), b.std_errors.to_numpy(), rtol=1e-12)
    with pytest.raises(ModelError, match="unknown argument stratta=; did you mean strata="):
        fit(d, model="logit", formula=FORMULA, stratta="stratum")
    with pytest.raises(ModelError, match="needs data"):
        fit(None, model="logit", formula=FORMULA)


def test_bootstrap_made_from_design_is_seeded_and_near_linearised() -> None:
    d = _data(n=1500, seed=3)
    lin = fit(d, model="logit", formula=FORMULA, **DESIGN)
    b1 = fit(d, model="logit", formula=FORMULA, replicates=200, seed=11, **DESIGN)
    b2 = fit(d, model="logit", formula=FORMULA, replicates=200, seed=11, **DESIGN)
    np.testing.assert_array_equal(b1.std_errors.to_numpy(), b2.std_errors.to_numpy())
    np.testing.assert_array_equal(b1.params.to_numpy(), lin.params.to_numpy())
    ratio = b1.std_errors.to_numpy() / lin.std_errors.to_numpy()
    assert np.all((ratio > 0.7) & (ratio < 1.4)), ratio
    assert b1.design.variance == "replicate:bootstrap" and b1.design.n_replicates == 200


def test_ame_block() -> None:
    d = _data()
    r = fit(d, model="logit", formula=FORMULA, ame=True, **DESIGN)
    assert r.ame is not None
    assert list(r.ame.terms) == ["x", "female", "area[b]", "area[c]"]
    t = r.tidy()
    assert list(t["effect"].unique()) == ["coefficient", "ame"]


def test_warm_start_converges_in_few_steps() -> None:
    d = _data(n=2000)
    X = np.column_stack([np.ones(len(d)), d["x"], d["female"]]).astype(float)
    y, w = d["y"].to_numpy(), d["w"].to_numpy()
    full = fit_binary(X, y, w)
    w2 = w * np.random.default_rng(0).uniform(0.8, 1.2, len(w))
    cold = fit_binary(X, y, w2)
    warm = fit_binary(X, y, w2, start=full.params, check=False)
    assert warm.n_iter <= 3 and warm.n_iter < cold.n_iter
    np.testing.assert_allclose(warm.params, cold.params, rtol=1e-9)


def test_scores_sum_to_zero_at_the_estimate() -> None:
    d = _data()
    X = np.column_stack([np.ones(len(d)), d["x"]]).astype(float)
    for kf in (
        fit_binary(X, d["y"].to_numpy(), d["w"].to_numpy(), link="probit"),
        fit_wls(X, d["y"].to_numpy(), d["w"].to_numpy()),
    ):
        np.testing.assert_allclose(kf.scores.sum(axis=0), 0.0, atol=1e-9)


# ---- invariances -------------------------------------------------------------------

BASE = _data(n=300, seed=7)
BASE_FIT = {m: fit(BASE, model=m, formula=FORMULA, **DESIGN) for m in ("logit", "probit", "lpm")}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=st.sampled_from(["logit", "probit", "lpm"]),
    factor=st.floats(min_value=1e-3, max_value=1e4),
)
def test_rescaling_weights_changes_nothing(model: str, factor: float) -> None:
    r = fit(BASE.assign(w=BASE["w"] * factor), model=model, formula=FORMULA, **DESIGN)
    ref = BASE_FIT[model]
    np.testing.assert_allclose(r.params.to_numpy(), ref.params.to_numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(r.std_errors.to_numpy(), ref.std_errors.to_numpy(), rtol=1e-8)
    assert r.df_resid == ref.df_resid


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=st.sampled_from(["logit", "probit", "lpm"]), seed=st.integers(0, 2**32 - 1))
def test_permuting_rows_changes_nothing(model: str, seed: int) -> None:
    perm = np.random.default_rng(seed).permutation(len(BASE))
    r = fit(BASE.iloc[perm].reset_index(drop=True), model=model, formula=FORMULA, **DESIGN)
    ref = BASE_FIT[model]
    np.testing.assert_allclose(r.params.to_numpy(), ref.params.to_numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(r.std_errors.to_numpy(), ref.std_errors.to_numpy(), rtol=1e-8)


@pytest.mark.parametrize("model", ["lpm", "logit", "probit"])
def test_made_bootstrap_matches_brute_force_refits(model: str) -> None:
    """PSU-level one-step + chord refits give the roots that full IRLS refits give."""
    from surveytk.models.covariance import replicate_variance
    from surveytk.survey.design import SurveyDesign

    d = _data(n=600, seed=5)
    res = fit(d, model=model, formula="y ~ x + female", replicates=30, seed=9, **DESIGN)
    des = SurveyDesign.from_frame(d, **DESIGN).make_bootstrap(30, seed=9)
    X = np.column_stack([np.ones(len(d)), d["x"], d["female"]]).astype(float)
    y = d["y"].to_numpy()
    thetas = np.array([
        (fit_wls(X, y, des.replicate_weights(r)) if model == "lpm"
         else fit_binary(X, y, des.replicate_weights(r), link=model, check=False)).params
        for r in range(30)
    ])  # fmt: skip
    v = replicate_variance(thetas, res.params.to_numpy(), des.scale, np.ones(30))
    # made bootstrap refits stop at binary.MADE_BOOTSTRAP_TOL (1e-8): SEs agree to ~1e-7
    np.testing.assert_allclose(res.std_errors.to_numpy(), np.sqrt(np.diag(v)), rtol=1e-6)
