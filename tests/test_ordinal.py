"""ologit/oprobit fit() against R (tests/reference/ordinal_reference.R), and errors.

Tolerances (relative, per the project's acceptance): estimates 1e-6 — R's
values are Newton-polished MLEs (step < 1e-12), ours converge to ~1e-10;
standard errors 1e-5 — R's information matrix is a central difference of the
analytic gradient (its own check puts the error far below 1e-6), ours is
analytic; p-values 1e-5 relative, as they follow from the two.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.errors import ModelError
from surveytk.models.options import FitOptions
from surveytk.models.ordinal import fit
from surveytk.models.registry import family_fit

RTOL_EST = 1e-6
RTOL_SE = 1e-5
FORMULA = "yord ~ age + female + employed + children + distance"
MODEL_OF = {"ordered_logit": "ologit", "ordered_probit": "oprobit"}


def read_ref(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=["NA"])


@pytest.fixture(scope="module")
def data(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "data" / "design_binary.csv")


@pytest.fixture(scope="module")
def ref(reference_dir: Path) -> pd.DataFrame:
    return read_ref(reference_dir / "ordinal_reference.csv")


@pytest.fixture(scope="module")
def ref_vcov(reference_dir: Path) -> pd.DataFrame:
    return read_ref(reference_dir / "ordinal_reference_vcov.csv")


@pytest.fixture(scope="module")
def bootstrap(reference_dir: Path) -> dict:
    spec = json.loads((reference_dir / "data" / "design_binary_replicates.json").read_text())
    return spec["bootstrap"]


def options_for(fixture: str, model: str, boot: dict) -> FitOptions:
    if fixture == "design_binary_lin":
        return FitOptions(model=model, formula=FORMULA, weights="w", strata="stratum", psu="psu")  # type: ignore[arg-type]
    return FitOptions(
        model=model,  # type: ignore[arg-type]
        formula=FORMULA,
        weights="w",
        repweights="^bs[0-9]+$",
        reptype="bootstrap",
        scale=boot["scale"],
        rscales=tuple(boot["rscales"]),
        mse=boot["mse"],
    )


@pytest.mark.parametrize("rmodel", ["ordered_logit", "ordered_probit"])
@pytest.mark.parametrize("fixture", ["design_binary_lin", "design_binary_bootstrap"])
def test_matches_svyolr(
    data: pd.DataFrame,
    ref: pd.DataFrame,
    ref_vcov: pd.DataFrame,
    bootstrap: dict,
    fixture: str,
    rmodel: str,
) -> None:
    r = ref[(ref.fixture == fixture) & (ref.model == rmodel)]
    assert len(r) == 8
    res = fit(data, options_for(fixture, MODEL_OF[rmodel], bootstrap))
    tidy = res.tidy()
    assert list(tidy.term) == list(r.term)
    assert list(tidy.effect) == list(r.effect)
    np.testing.assert_allclose(tidy.estimate, r.estimate, rtol=RTOL_EST)
    np.testing.assert_allclose(tidy.std_error, r.std_error, rtol=RTOL_SE)
    assert res.df_resid == r.df.iloc[0]
    assert res.design.df_design == r.df_design.iloc[0]
    np.testing.assert_allclose(tidy.p_value, r.p_value, rtol=1e-5)
    v = ref_vcov[(ref_vcov.fixture == fixture) & (ref_vcov.model == rmodel)]
    ref_cov = v.pivot(index="row_term", columns="col_term", values="value").loc[
        list(r.term), list(r.term)
    ]
    np.testing.assert_allclose(res.coef.cov, ref_cov.to_numpy(), rtol=1e-4, atol=1e-12)


@pytest.mark.parametrize("rmodel", ["ordered_logit", "ordered_probit"])
def test_weighted_and_unweighted_polr_points(
    data: pd.DataFrame, ref: pd.DataFrame, rmodel: str
) -> None:
    model = MODEL_OF[rmodel]
    for fixture, weights in [
        ("design_binary_polr_weighted", "w"),
        ("design_binary_polr_unweighted", None),
    ]:
        r = ref[(ref.fixture == fixture) & (ref.model == rmodel)]
        res = fit(data, FitOptions(model=model, formula=FORMULA, weights=weights))  # type: ignore[arg-type]
        np.testing.assert_allclose(res.params.to_numpy(), r.estimate, rtol=RTOL_EST)


def test_registry_dispatches_and_result_round_trips(data: pd.DataFrame) -> None:
    opts = FitOptions(model="ologit", formula=FORMULA, weights="w", strata="stratum", psu="psu")
    res = family_fit("ologit")(data, opts)
    assert res.model == "ologit"
    assert res.y_levels == ("1", "2", "3", "4")
    assert res.dropped == {"total": 0}
    # McFadden: 1 − ℓ(β̂, ζ̂)/ℓ(thresholds only); the null model predicts the weighted shares
    shares = data.groupby("yord")["w"].sum()
    null = float(np.sum(shares * np.log(shares / shares.sum())))
    assert res.loglik is not None
    assert res.pseudo_r2 == pytest.approx(1 - res.loglik / null, rel=1e-10)
    back = type(res).from_json(res.to_json())
    pd.testing.assert_frame_equal(back.tidy(), res.tidy())


def test_ordered_category_outcome_names_thresholds_by_level(data: pd.DataFrame) -> None:
    d = data.copy()
    names = ["stay", "undecided", "someday", "soon"]
    d["ri"] = pd.Categorical.from_codes(d.yord - 1, categories=names, ordered=True)
    res = fit(d, FitOptions(model="ologit", formula="ri ~ age + female", weights="w"))
    assert list(res.tidy().term[-3:]) == ["stay|undecided", "undecided|someday", "someday|soon"]


def test_ames_per_level_sum_to_zero(data: pd.DataFrame) -> None:
    res = fit(
        data,
        FitOptions(
            model="oprobit", formula="yord ~ age + female", weights="w", psu="psu", ame=True
        ),
    )
    assert res.ame is not None
    ame = res.ame
    assert set(ame.y_levels) == {"1", "2", "3", "4"}
    by_term = pd.Series(ame.estimates).groupby(list(ame.terms)).sum()
    np.testing.assert_allclose(by_term.to_numpy(), 0.0, atol=1e-10)
    # higher age raises the chance of a higher level (positive slope)
    assert ame.estimates[list(zip(ame.terms, ame.y_levels, strict=True)).index(("age", "4"))] > 0


def test_missing_rows_are_counted(data: pd.DataFrame) -> None:
    d = data.copy()
    d.loc[:9, "age"] = np.nan
    d.loc[5:14, "w"] = 0.0
    res = fit(d, FitOptions(model="ologit", formula="yord ~ age + female", weights="w"))
    assert res.nobs == len(d) - 15
    assert res.dropped["total"] == 15
    assert res.dropped["zero_weight"] == 10


def test_empty_declared_level_is_named(data: pd.DataFrame) -> None:
    d = data.copy()
    d["ri"] = pd.Categorical.from_codes(
        d.yord - 1, categories=["a", "b", "c", "d", "e"], ordered=True
    )
    with pytest.raises(ModelError, match="'e'"):
        fit(d, FitOptions(model="ologit", formula="ri ~ age", weights="w"))


def test_single_level_outcome_is_refused(data: pd.DataFrame) -> None:
    d = data.assign(yord=1)
    with pytest.raises(ModelError, match="fewer than two levels"):
        fit(d, FitOptions(model="ologit", formula="yord ~ age", weights="w"))


def test_collinear_terms_give_one_line_error(data: pd.DataFrame) -> None:
    d = data[["yord", "age", "w"]].assign(age2=data.age * 2.0)
    with pytest.raises(ModelError, match="collinear") as err:
        fit(d, FitOptions(model="ologit", formula="yord ~ age + age2", weights="w"))
    assert "\n" not in str(err.value)


def test_separation_names_the_term(data: pd.DataFrame) -> None:
    d = data[["yord", "age", "w"]].copy()
    d["sep"] = (d.yord == 4).astype(float)
    with pytest.raises(ModelError, match=r"sep.*separates"):
        fit(d, FitOptions(model="ologit", formula="yord ~ age + sep", weights="w", maxiter=50))
