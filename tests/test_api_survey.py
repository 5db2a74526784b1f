"""Survey binds data and design once; quoted names; compact reprs; Python-worded errors (#20)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveytk
from surveytk.errors import DesignError, FormulaError, ModelError

API = Path(__file__).parent / "data" / "survey" / "apistrat.csv"
DESIGN = {"weights": "pw", "strata": "stype", "fpc": "fpc"}


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return pd.read_csv(API)


@pytest.fixture(scope="module")
def svy(df: pd.DataFrame) -> surveytk.Survey:
    return surveytk.Survey(df, define={"wide": '`sch.wide` == "Yes"'}, **DESIGN)


def test_one_survey_serves_two_models_and_a_descriptive_estimate(
    svy: surveytk.Survey, df: pd.DataFrame
) -> None:
    a = svy.fit(model="logit", formula="wide ~ ell + meals")
    b = svy.fit(model="lpm", formula="api00 ~ ell + meals")
    mean = svy.describe(mean="api00").tidy()
    # the same numbers as restating the design every call
    a2 = surveytk.fit(df, model="logit", formula="wide ~ ell + meals",
                      define={"wide": '`sch.wide` == "Yes"'}, **DESIGN)  # fmt: skip
    b2 = surveytk.fit(svy, model="lpm", formula="api00 ~ ell + meals")
    mean2 = surveytk.describe(df, mean="api00", **DESIGN).tidy()
    np.testing.assert_allclose(a.std_errors, a2.std_errors, rtol=1e-12)
    np.testing.assert_allclose(b.std_errors, b2.std_errors, rtol=1e-12)
    pd.testing.assert_frame_equal(mean, mean2)
    assert a.design.fpc == "fpc" and b.design.strata == "stype"


def test_quoted_names_in_formula_and_subpop_end_to_end(df: pd.DataFrame) -> None:
    d = df.assign(wide=(df["sch.wide"] == "Yes").astype(float), yr_rnd=df["yr.rnd"])
    plain = surveytk.fit(d, model="lpm", formula="wide ~ ell", subpop='yr_rnd == "No"', **DESIGN)
    backtick = surveytk.fit(d, model="lpm", formula="wide ~ ell", subpop='`yr.rnd` == "No"',
                            **DESIGN)  # fmt: skip
    q = surveytk.fit(d, model="lpm", formula='wide ~ Q("ell")', subpop='Q("yr.rnd") == "No"',
                     **DESIGN)  # fmt: skip
    np.testing.assert_allclose(backtick.params, plain.params, rtol=1e-12)
    np.testing.assert_allclose(q.params.to_numpy(), plain.params.to_numpy(), rtol=1e-12)
    assert backtick.design.n_obs == int((df["yr.rnd"] == "No").sum())
    assert backtick.design.subpop == '`yr.rnd` == "No"'
    # a non-identifier column as a regressor, quoted
    d2 = d.assign(**{"meals.pct": d["meals"]})
    r = surveytk.fit(d2, model="lpm", formula="wide ~ `meals.pct`", **DESIGN)
    r2 = surveytk.fit(d2, model="lpm", formula="wide ~ meals", **DESIGN)
    np.testing.assert_allclose(r.params.to_numpy(), r2.params.to_numpy(), rtol=1e-12)
    with pytest.raises(FormulaError):
        surveytk.fit(d2, model="lpm", formula="wide ~ meals.pct", **DESIGN)


def test_subset_narrows_the_domain_and_keeps_the_design(svy: surveytk.Survey) -> None:
    sub = svy.subset('`yr.rnd` == "No"')
    assert sub.design.n == svy.design.n and sub.design.n_obs < svy.design.n_obs
    twice = sub.subset("ell < 30")
    assert twice.design.n_obs < sub.design.n_obs
    fit = sub.fit(model="logit", formula="wide ~ ell")
    assert fit.design.subpop is not None and "yr.rnd" in fit.design.subpop
    assert "domain" in repr(sub)


def test_reprs_state_the_design_and_never_dump_arrays(svy: surveytk.Survey) -> None:
    for text in (repr(svy), repr(svy.design)):
        assert "\n" not in text and "array" not in text and len(text) < 400
        assert "stype" in text and "fpc" in text and "pw" in text
    rep = surveytk.Survey(API, weights="pw", strata="stype", fpc="fpc", reptype="jkn")  # fmt: skip
    assert "jkn replicate variance" in repr(rep) and "jkn" in repr(rep.design)


def test_calibrated_survey_states_its_calibration(tmp_path: Path, df: pd.DataFrame) -> None:
    totals = tmp_path / "totals.csv"
    totals.write_text("variable,level,total\nstype,E,4421\nstype,H,755\nstype,M,1018\n")
    svy = surveytk.Survey(df, **DESIGN).calibrate(totals, "poststratify")
    assert "calibrat" in repr(svy).lower() or "post" in repr(svy).lower()
    mean = svy.describe(mean="api00").tidy()
    assert np.isfinite(mean["estimate"]).all()
    with pytest.raises(DesignError, match="calibrate once"):
        svy.calibrate(totals)


def test_errors_name_python_arguments(svy: surveytk.Survey, df: pd.DataFrame) -> None:
    with pytest.raises(ModelError, match=r"^model: expecting one of .*did you mean 'logit'"):
        surveytk.fit(df, model="logti", formula="api00 ~ ell", **DESIGN)
    with pytest.raises(ModelError, match="unknown argument strata_=; did you mean strata="):
        surveytk.fit(df, model="lpm", formula="api00 ~ ell", strata_="stype")
    with pytest.raises(surveytk.SurveytkError, match=r"^lonely_psu: expecting one of"):
        surveytk.fit(df, model="lpm", formula="api00 ~ ell", lonely_psu="drop", **DESIGN)
    with pytest.raises(ModelError, match="weights= belong"):
        svy.fit(model="lpm", formula="api00 ~ ell", weights="pw")
    with pytest.raises(surveytk.SurveytkError) as info:
        surveytk.fit(df, model="lpm", formula="api00 ~ ell", discrete="ell", **DESIGN)
    assert "--" not in str(info.value) and "ame=True" in str(info.value)
    with pytest.raises(DesignError, match=r"^lonely_psu: expecting"):
        surveytk.Survey(df, lonely_psu="drop", **DESIGN)
