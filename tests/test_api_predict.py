"""FitResult.predict() and .margins() against R (issue #20): predict.svyglm and svypredmeans.

Reference: tests/reference/python_api_reference.R on R survey's apistrat.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveytk
from surveytk.errors import ModelError

HERE = Path(__file__).parent
API = HERE / "data" / "survey" / "apistrat.csv"
REF = HERE / "reference" / "python_api_reference.csv"
DESIGN = {"weights": "pw", "strata": "stype", "fpc": "fpc"}


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REF, keep_default_na=False, na_values=["NA"])


@pytest.fixture(scope="module")
def survey() -> surveytk.Survey:
    df = pd.read_csv(API)
    df["band"] = np.digitize(df["api00"], [600, 750])  # 0 < 1 < 2, for ologit
    return surveytk.Survey(df, define={"wide": '`sch.wide` == "Yes"'}, **DESIGN)


@pytest.fixture(scope="module")
def res(survey: surveytk.Survey) -> surveytk.FitResult:
    return survey.fit(model="logit", formula="wide ~ ell + meals + stype")


def _rows(ref: pd.DataFrame, quantity: str) -> pd.DataFrame:
    return ref[ref["quantity"] == quantity].reset_index(drop=True)


def test_predict_newdata_equals_r(res: surveytk.FitResult, ref: pd.DataFrame) -> None:
    new = pd.DataFrame({"ell": [0, 30, 60], "meals": [20, 50, 80], "stype": ["E", "H", "M"]})
    got = res.predict(new)
    r = _rows(ref, "predict")
    keys = [f"ell={e},meals={m},stype={s}" for e, m, s in new.itertuples(index=False)]
    r = r.set_index("key").loc[keys]
    np.testing.assert_allclose(got["estimate"], r["estimate"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(got["std_error"], r["std_error"], atol=1e-6, rtol=0)
    assert list(got["row"]) == [0, 1, 2]
    assert (got["conf_low"] < got["estimate"]).all() and (got["estimate"] < got["conf_high"]).all()


@pytest.mark.parametrize(
    ("vce", "quantity"),
    [("svypredmeans", "svypredmeans"), ("conditional", "predmeans_conditional")],
)
def test_predictive_margins_by_stype_equal_svypredmeans(
    res: surveytk.FitResult, ref: pd.DataFrame, vce: str, quantity: str
) -> None:
    got = res.margins(at={"stype": None}, vce=vce).set_index("stype")
    r = _rows(ref, quantity).set_index("key")
    assert list(got.index) == ["E", "H", "M"]
    np.testing.assert_allclose(got["estimate"], r.loc[got.index, "estimate"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(got["std_error"], r.loc[got.index, "std_error"], atol=1e-6, rtol=0)


def test_margins_at_equal_mean_of_counterfactual_predictions(res: surveytk.FitResult) -> None:
    rows = res.predict(at={"stype": "H"})
    w = pd.read_csv(API)["pw"].to_numpy()
    pm = res.margins(at={"stype": "H"})
    want = np.average(rows["estimate"], weights=w)
    assert pm["estimate"].iloc[0] == pytest.approx(want, abs=1e-12)


def test_contrasts_of_margins_are_differences_with_joint_covariance(
    res: surveytk.FitResult,
) -> None:
    pm = res.margins(at={"stype": None}, vce="unconditional")
    c = res.margins(at={"stype": None}, vce="unconditional", contrast="reference")
    assert list(c["contrast"]) == ["stype=H − stype=E", "stype=M − stype=E"]
    est = pm.set_index("stype")["estimate"]
    assert c["estimate"].iloc[0] == pytest.approx(est["H"] - est["E"], abs=1e-12)
    pairs = res.margins(at={"stype": None}, contrast="pairwise")
    assert len(pairs) == 3
    # a difference's SE is not the SEs added: the covariance enters
    se = pm.set_index("stype")["std_error"]
    assert c["std_error"].iloc[0] != pytest.approx(np.hypot(se["H"], se["E"]), rel=1e-3)


def test_ames_from_the_result_equal_the_fit_time_ames(survey: surveytk.Survey) -> None:
    fitted = survey.fit(model="logit", formula="wide ~ ell + meals + stype", ame=True)
    later = fitted.margins()
    assert fitted.ame is not None
    np.testing.assert_allclose(later["estimate"], fitted.ame.estimates, rtol=1e-12)
    np.testing.assert_allclose(later["std_error"], fitted.ame.std_errors, rtol=1e-10)
    unc = survey.fit(model="logit", formula="wide ~ ell + meals + stype", ame=True,
                     ame_vce="unconditional")  # fmt: skip
    assert unc.ame is not None
    np.testing.assert_allclose(
        fitted.margins(vce="unconditional")["std_error"], unc.ame.std_errors, rtol=1e-10
    )


def test_margins_by_group_average_within_the_group(res: surveytk.FitResult) -> None:
    by = res.margins(at={"ell": 10}, by="stype").set_index("stype")
    rows = res.predict(at={"ell": 10})
    d = pd.read_csv(API)
    for level in ("E", "H", "M"):
        keep = (d["stype"] == level).to_numpy()
        want = np.average(rows["estimate"][keep], weights=d["pw"][keep])
        assert by.loc[level, "estimate"] == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize(
    ("model", "formula"),
    [
        ("probit", "wide ~ ell + meals"),
        ("lpm", "wide ~ ell + meals"),
        ("poisson", "api00 ~ ell + meals"),
        ("gamma", "api00 ~ ell + meals"),
        ("ologit", "band ~ ell + meals"),
        ("mlogit", "stype ~ ell + meals"),
    ],
)
def test_every_family_predicts_and_gives_margins(
    survey: surveytk.Survey, model: str, formula: str
) -> None:
    res = survey.fit(model=model, formula=formula)
    new = pd.DataFrame({"ell": [5, 40], "meals": [10, 70]})
    pred = res.predict(new)
    assert np.isfinite(pred["estimate"]).all() and (pred["std_error"] > 0).all()
    ame = res.margins("ell")
    assert np.isfinite(ame["std_error"]).all()
    pm = res.margins(at={"meals": [10, 70]})
    assert np.isfinite(pm["estimate"]).all()
    if model in ("ologit", "mlogit"):  # one row per outcome level, probabilities summing to 1
        assert pred.groupby("row")["estimate"].sum().to_numpy() == pytest.approx([1.0, 1.0])


def test_exponentiate_gives_odds_ratios_and_refuses_other_scales(
    res: surveytk.FitResult, survey: surveytk.Survey
) -> None:
    plain = res.tidy(conf_level=0.9)
    odds = res.tidy(conf_level=0.9, exponentiate=True)
    np.testing.assert_allclose(odds["estimate"], np.exp(plain["estimate"]))
    np.testing.assert_allclose(odds["conf_low"], np.exp(plain["conf_low"]))
    np.testing.assert_allclose(odds["std_error"], np.exp(plain["estimate"]) * plain["std_error"])
    np.testing.assert_allclose(odds["p_value"], plain["p_value"])
    lpm = survey.fit(model="lpm", formula="wide ~ ell")
    with pytest.raises(ModelError, match="not on a log scale"):
        lpm.tidy(exponentiate=True)


def test_loaded_result_explains_why_it_cannot_predict(
    res: surveytk.FitResult, tmp_path: Path
) -> None:
    path = tmp_path / "fit.json"
    res.save(path)
    back = surveytk.load_result(path)
    assert back.tidy().equals(res.tidy())
    with pytest.raises(ModelError, match=r"predict\(\) needs the data"):
        back.predict()


def test_bad_arguments_name_the_python_argument(res: surveytk.FitResult) -> None:
    with pytest.raises(ModelError, match=r"at: 'stpye' is not a variable .*did you mean 'stype'"):
        res.margins(at={"stpye": None})
    with pytest.raises(ModelError, match="vce: expecting one of"):
        res.margins(vce="robust")
    with pytest.raises(ModelError, match="not both"):
        res.margins("ell", at={"stype": None})
    with pytest.raises(ModelError, match="'Q' is not a level of 'stype'"):
        res.predict(at={"stype": "Q"})


def test_repr_is_short_and_html_is_rich(res: surveytk.FitResult) -> None:
    text = repr(res)
    assert text.startswith("<FitResult logit") and "\n" not in text and len(text) < 200
    html = res._repr_html_()
    assert "<table" in html and "fpc" in html and "stype" in html
    summary = res.summary()
    assert "fpc: fpc" in summary and "rows left out" not in summary


@pytest.mark.parametrize("model", ["panel-fe", "panel-re"])
def test_panel_models_predict_and_their_ame_is_the_slope(model: str) -> None:
    rng = np.random.default_rng(20)
    n_id, n_t = 60, 4
    ids = np.repeat(np.arange(n_id), n_t)
    x = rng.normal(size=ids.size)
    y = 1.0 + 0.5 * x + rng.normal(size=n_id)[ids] + rng.normal(scale=0.5, size=ids.size)
    d = pd.DataFrame({"id": ids, "t": np.tile(np.arange(n_t), n_id), "x": x, "y": y})
    res = surveytk.fit(d, model=model, formula="y ~ x", entity="id", time="t")
    ame = res.margins("x")
    slope = res.params["x"]
    assert ame["estimate"].iloc[0] == pytest.approx(slope, rel=1e-6)
    assert ame["std_error"].iloc[0] == pytest.approx(res.std_errors["x"], rel=1e-5)
    fitted = res.predict()
    assert len(fitted) == len(d) and np.isfinite(fitted["estimate"]).all()
    if model == "panel-fe":
        with pytest.raises(ModelError, match="fixed effect"):
            res.predict(d.head(2))
    else:
        new = res.predict(pd.DataFrame({"x": [0.0, 1.0]}))
        assert new["estimate"].diff().iloc[1] == pytest.approx(slope, rel=1e-9)


def test_rows_and_groups_line_up_with_the_data_under_a_subpop(survey: surveytk.Survey) -> None:
    sub = survey.fit(model="logit", formula="wide ~ ell + meals", subpop="ell > 10")
    d = pd.read_csv(API)
    used = np.flatnonzero((d["ell"] > 10).to_numpy())
    fitted = sub.predict()
    assert list(fitted["row"]) == list(used)
    by = sub.margins(at={"meals": 50}, by="stype").set_index("stype")
    rows = sub.predict(at={"meals": 50})
    for level in ("E", "H", "M"):
        keep = (d["stype"].iloc[used] == level).to_numpy()
        want = np.average(rows["estimate"][keep], weights=d["pw"].iloc[used][keep])
        assert by.loc[level, "estimate"] == pytest.approx(want, abs=1e-12)


def test_glm_predictions_for_new_rows_use_their_exposure(survey: surveytk.Survey) -> None:
    res = survey.fit(model="poisson", formula="`api.stu` ~ ell", exposure="enroll")
    new = pd.DataFrame({"ell": [10.0, 10.0], "enroll": [300.0, 600.0]})
    pred = res.predict(new)
    assert pred["estimate"].iloc[1] == pytest.approx(2 * pred["estimate"].iloc[0], rel=1e-12)
    b = res.params
    assert pred["estimate"].iloc[0] == pytest.approx(
        300.0 * np.exp(b["(Intercept)"] + 10.0 * b["ell"]), rel=1e-12
    )
    with pytest.raises(ModelError, match="no column 'enroll', the model's exposure="):
        res.predict(new[["ell"]])
