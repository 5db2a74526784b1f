"""Wald tests, contrasts, models by group and AMEs against R.

Fixtures: tests/reference/model_tests_reference.R.

- ``--wald``: R ``regTermTest(method = "Wald")`` (F on design df + 1 − k);
- ``--contrast``: R ``svycontrast``;
- ``--by``: svyglm on ``subset(design, VAR == level)``;
- AMEs: conditional (delta method) and unconditional (Stata ``vce(unconditional)``)
  variance computed in R from svyglm's working residuals and ``svytotal``;
  0/1 regressors as derivative and as discrete change (``--discrete``).

All within 1e-6 relative (estimates near zero: 1e-6 of max(|estimate|, SE),
as tests/test_glm_reference.py explains).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.models import fit
from surveytk.models.by import ResultSet
from surveytk.models.results import FitResult

TOL = 1e-6
HERE = Path(__file__).parent
REF = HERE / "reference"


def _api(path: Path) -> pd.DataFrame:
    d = pd.read_csv(path).rename(columns=lambda c: c.replace(".", "_"))
    d["sch_wide"] = (d["sch_wide"] == "Yes").astype(float)
    d["yr_rnd_yn"] = d["yr_rnd"]
    d["yr_rnd"] = (d["yr_rnd"] == "Yes").astype(float)
    d["elem"] = (d["stype"] == "E").astype(float)
    return d


DATA = {
    "apistrat": (HERE / "data" / "survey" / "apistrat.csv",
                 {"weights": "pw", "strata": "stype", "fpc": "fpc"}),
    "apiclus1": (HERE / "data" / "survey" / "apiclus1.csv",
                 {"weights": "pw", "psu": "dnum", "fpc": "fpc"}),
    "apiclus2": (REF / "data" / "apiclus2.csv", {"weights": "pw", "psu": "dnum"}),
}  # fmt: skip


def _data(name: str) -> tuple[pd.DataFrame, dict[str, str]]:
    path, design = DATA[name.removesuffix("_subpop")]
    return _api(path), design


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False, na_values=["NA"])


def _close_scaled(actual: float, expected: float, scale: float) -> None:
    assert abs(actual - expected) <= TOL * max(abs(expected), scale), (actual, expected)


def _fit1(*args: object, **kwargs: object) -> FitResult:
    res = fit(*args, **kwargs)
    assert isinstance(res, FitResult)
    return res


TEST_FITS = {
    ("apistrat", "logit"): ("logit", "sch_wide ~ ell + meals + mobility + stype", {}),
    ("apiclus1", "poisson"): (
        "poisson", "api_stu ~ meals + ell + mobility", {"exposure": "enroll"}),
    ("apiclus2", "linear"): ("lpm", "api00 ~ ell + meals + stype", {}),
}  # fmt: skip


@pytest.mark.parametrize(("fixture", "r_model"), sorted(TEST_FITS))
def test_wald_and_contrasts_match_r(fixture: str, r_model: str) -> None:
    ref = _read("model_tests_reference.csv")
    ref = ref[(ref["fixture"] == fixture) & (ref["model"] == r_model)]
    data, design = _data(fixture)
    model, formula, extra = TEST_FITS[(fixture, r_model)]
    wald = tuple(ref.loc[ref["effect"] == "wald", "term"])
    contrasts = tuple(ref.loc[ref["effect"] == "contrast", "term"])
    res = _fit1(data, model=model, formula=formula, wald=wald, contrast=contrasts,
                **design, **extra)  # fmt: skip
    got = pd.DataFrame(res.tests)
    assert list(got["term"]) == list(ref["term"])
    assert list(got["effect"]) == list(ref["effect"])
    np.testing.assert_allclose(got["df_den"], ref["df_den"], rtol=0)
    np.testing.assert_allclose(got["df_num"], ref["df_num"], rtol=0)
    np.testing.assert_allclose(got["statistic"], ref["statistic"], rtol=TOL)
    np.testing.assert_allclose(got["p_value"], ref["p_value"], rtol=TOL)
    c = ref["effect"] == "contrast"
    np.testing.assert_allclose(got.loc[c.to_numpy(), "std_error"], ref.loc[c, "std_error"],
                               rtol=TOL)  # fmt: skip
    for g, e, s in zip(got.loc[c.to_numpy(), "estimate"], ref.loc[c, "estimate"],
                       ref.loc[c, "std_error"], strict=True):  # fmt: skip
        _close_scaled(g, e, s)
    tidy = res.tidy()
    assert list(tidy["effect"].iloc[-len(ref) :]) == list(ref["effect"])


BY_FITS = {
    "apiclus1_by_awards": ("apiclus1", "lpm", "api00 ~ ell + meals", "awards", {}),
    "apistrat_by_yr_rnd": ("apistrat", "logit", "sch_wide ~ ell + meals", "yr_rnd_yn", {}),
    "apiclus2_by_stype": ("apiclus2", "poisson", "api_stu ~ meals", "stype",
                          {"exposure": "enroll"}),
}  # fmt: skip


@pytest.mark.parametrize("fixture", sorted(BY_FITS))
def test_models_by_group_match_r(fixture: str) -> None:
    ref = _read("by_reference.csv")
    ref = ref[ref["fixture"] == fixture]
    data_name, model, formula, by, extra = BY_FITS[fixture]
    data, design = _data(data_name)
    res = fit(data, model=model, formula=formula, by=by, **design, **extra)
    assert isinstance(res, ResultSet)
    assert list(res.levels) == list(dict.fromkeys(ref["domain"]))
    tidy = res.tidy()
    assert list(tidy["domain"]) == list(ref["domain"])
    assert list(tidy["term"]) == list(ref["term"])
    np.testing.assert_allclose(tidy["std_error"], ref["std_error"], rtol=TOL)
    np.testing.assert_allclose(tidy["p_value"], ref["p_value"], rtol=TOL)
    for g, e, s in zip(tidy["estimate"], ref["estimate"], ref["std_error"], strict=True):
        _close_scaled(g, e, s)
    for r, lev in zip(res.results, res.levels, strict=True):
        assert r.df_resid == float(ref.loc[ref["domain"] == lev, "df"].iloc[0])
        assert r.design.subpop == f"{by} == {lev!r}"


#: (fixture, model) → (formula, 0/1 variable or "", extra options)
AME_FITS = {
    ("apistrat", "logit"): ("sch_wide ~ ell + meals + mobility + yr_rnd", "yr_rnd", {}),
    ("apiclus1", "logit"): ("sch_wide ~ ell + meals + elem", "elem", {}),
    ("apiclus1", "poisson"): ("api_stu ~ meals + ell", "", {"exposure": "enroll"}),
    ("apiclus1_subpop", "logit"): (
        "sch_wide ~ ell + meals + elem", "elem", {"subpop": 'stype != "H"'}),
}  # fmt: skip


@pytest.mark.parametrize(("fixture", "model"), sorted(AME_FITS))
@pytest.mark.parametrize("vce", ["conditional", "unconditional"])
@pytest.mark.parametrize("kind", ["derivative", "discrete"])
def test_ames_match_r(fixture: str, model: str, vce: str, kind: str) -> None:
    ref = _read("ame_reference.csv")
    ref = ref[(ref["fixture"] == fixture) & (ref["model"] == model) & (ref["vce"] == vce)]
    data, design = _data(fixture)
    formula, zero_one, extra = AME_FITS[(fixture, model)]
    discrete = (zero_one,) if kind == "discrete" and zero_one else ()
    res = _fit1(data, model=model, formula=formula, ame=True, ame_vce=vce, discrete=discrete,
                **design, **extra)  # fmt: skip
    assert res.ame is not None
    got = dict(zip(res.ame.terms, zip(res.ame.estimates, res.ame.std_errors, strict=True),
                   strict=True))  # fmt: skip
    compared = 0
    for row in ref.itertuples():
        want_kind = "discrete" if row.term in discrete else "derivative"
        if row.kind != want_kind:
            continue
        est, se = got[row.term]
        _close_scaled(est, row.estimate, row.std_error)
        np.testing.assert_allclose(se, row.std_error, rtol=TOL, err_msg=row.term)
        compared += 1
    assert compared == len(res.ame.terms)
    notes = " ".join(res.notes)
    assert ("vce(unconditional)" in notes) == (vce == "unconditional")
    if zero_one:
        assert ("discrete changes from 0 to 1" in notes) == bool(discrete)


PREDICT_FITS = {
    ("apistrat", "logit"): (
        "sch_wide ~ ell + meals + mobility + yr_rnd", "ell=10:70:30, yr_rnd", {}),
    ("apiclus1", "poisson"): ("api_stu ~ meals + ell", "meals=20|50|80", {"exposure": "enroll"}),
}  # fmt: skip


@pytest.mark.parametrize(("fixture", "model"), sorted(PREDICT_FITS))
def test_predictions_match_r(fixture: str, model: str) -> None:
    ref = _read("predict_reference.csv")
    ref = ref[(ref["fixture"] == fixture) & (ref["model"] == model)]
    data, design = _data(fixture)
    formula, spec, extra = PREDICT_FITS[(fixture, model)]
    res = _fit1(data, model=model, formula=formula, predict=spec, **design, **extra)
    recs = pd.DataFrame(res.extra["predictions"])
    assert len(recs) == len(ref)
    recs["key"] = recs["x"].astype(float).astype(str) + "/" + recs["group"]
    ref = ref.assign(key=ref["x"].astype(float).astype(str) + "/" + ref["group"].astype(str))
    merged = recs.merge(ref, on="key", suffixes=("", "_r"))
    assert len(merged) == len(ref)
    assert set(merged["x_var"]) == set(ref["x_var"])
    for col in ("estimate", "std_error", "conf_low", "conf_high"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_r"], rtol=TOL, err_msg=col)


@pytest.mark.parametrize("model", ["ologit", "oprobit", "mlogit"])
@pytest.mark.parametrize("vce", ["conditional", "unconditional"])
@pytest.mark.parametrize("discrete", [(), ("female",)])
def test_categorical_ames_per_level_match_r(
    model: str, vce: str, discrete: tuple[str, ...]
) -> None:
    """Ordered logit/probit and multinomial logit AMEs per outcome level.

    Fixtures: tests/reference/ordinal_reference.R and multinomial_reference.R.
    """
    r_model = {"ologit": "ordered_logit", "oprobit": "ordered_probit",
               "mlogit": "multinomial_logit"}[model]  # fmt: skip
    ref = _read(("multinomial" if model == "mlogit" else "ordinal") + "_ame_reference.csv")
    ref = ref[ref["model"] == r_model]
    data = pd.read_csv(REF / "data" / "design_binary.csv")
    outcome = "ynom" if model == "mlogit" else "yord"
    formula = f"{outcome} ~ age + female + employed + children + distance"
    res = _fit1(data, model=model, formula=formula, weights="w", strata="stratum", psu="psu",
                ame=True, ame_vce=vce, discrete=discrete)  # fmt: skip
    assert res.ame is not None
    got = {(t, y): (e, s) for t, y, e, s in zip(res.ame.terms, res.ame.y_levels,
           res.ame.estimates, res.ame.std_errors, strict=True)}  # fmt: skip
    compared = 0
    for row in ref.itertuples():
        if row.kind != ("discrete" if row.term in discrete else "derivative"):
            continue
        est, se = got[(row.term, str(row.y_level))]
        want_se = getattr(row, f"std_error_{vce}")
        _close_scaled(est, row.estimate, want_se)
        np.testing.assert_allclose(se, want_se, rtol=TOL, err_msg=f"{row.term} {row.y_level}")
        compared += 1
    assert compared == 3 * 4  # age, female, distance at four outcome levels


@pytest.mark.parametrize("model", ["ologit", "oprobit", "mlogit"])
def test_categorical_predictions_per_level_match_r(model: str) -> None:
    """Average predicted probabilities per outcome level at chosen values."""
    r_model = {"ologit": "ordered_logit", "oprobit": "ordered_probit",
               "mlogit": "multinomial_logit"}[model]  # fmt: skip
    name = "multinomial" if model == "mlogit" else "ordinal"
    ref = _read(f"{name}_predict_reference.csv")
    ref = ref[ref["model"] == r_model]
    data = pd.read_csv(REF / "data" / "design_binary.csv")
    outcome = "ynom" if model == "mlogit" else "yord"
    formula = f"{outcome} ~ age + female + employed + children + distance"
    res = _fit1(data, model=model, formula=formula, weights="w", strata="stratum", psu="psu",
                predict="age=30|50, female")  # fmt: skip
    recs = pd.DataFrame(res.extra["predictions"])
    assert len(recs) == len(ref) == 2 * 2 * 4
    key = ["x", "group", "y_level"]
    recs["x"] = recs["x"].astype(float)
    ref = ref.assign(x=ref["x"].astype(float), group=ref["group"].astype(str),
                     y_level=ref["y_level"].astype(str))  # fmt: skip
    merged = recs.merge(ref, on=key, suffixes=("", "_r"))
    assert len(merged) == len(ref)
    for col in ("estimate", "std_error", "conf_low", "conf_high"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_r"], rtol=TOL, err_msg=col)
