"""Shares by domain with their joint covariance and successive differences, against R
(svyby(..., covmat = TRUE) + svycontrast; tests/reference/domain_contrasts_reference.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.survey.design import SurveyDesign
from surveytk.survey.domain_contrasts import domain_differences, domain_means

HERE = Path(__file__).resolve().parent
REF = pd.read_csv(HERE / "reference" / "domain_contrasts_reference.csv")
LEVELS = ["E", "H", "M"]  # R's factor order


def _design(name: str) -> tuple[pd.DataFrame, SurveyDesign]:
    data = pd.read_csv(HERE / "data" / "survey" / f"{name}.csv")
    if name == "apistrat":
        return data, SurveyDesign.from_frame(data, weights="pw", strata="stype", fpc="fpc")
    return data, SurveyDesign.from_frame(data, weights="pw", psu="dnum", fpc="fpc")


@pytest.mark.parametrize("name", ["apistrat", "apiclus1"])
def test_shares_and_differences_match_r(name: str) -> None:
    data, design = _design(name)
    y = (data["sch.wide"] == "Yes").to_numpy(dtype=float)
    codes = data["stype"].map({lv: i for i, lv in enumerate(LEVELS)}).to_numpy()
    means = domain_means(y, codes, 3, design)
    ref = REF[REF["fixture"] == name].set_index("term")
    for i, lv in enumerate(LEVELS):
        assert means.estimate[i] == pytest.approx(ref.loc[lv, "estimate"], rel=1e-10)
        assert means.std_error[i] == pytest.approx(ref.loc[lv, "std_error"], rel=1e-8)
    diffs = domain_differences(means, [(0, 2), (2, 1)])  # M − E, H − M
    assert diffs.df == ref["df"].iloc[0]
    for j, term in enumerate(["M-E", "H-M"]):
        assert diffs.estimate[j] == pytest.approx(ref.loc[term, "estimate"], rel=1e-10)
        assert diffs.std_error[j] == pytest.approx(ref.loc[term, "std_error"], rel=1e-8)
        assert diffs.p_value[j] == pytest.approx(ref.loc[term, "p_value"], rel=1e-6)


def test_covariance_of_overlapping_domains_enters_the_difference() -> None:
    # one cluster sample where each PSU contributes to both domains: the difference's
    # variance is not the sum of the two variances
    rng = np.random.default_rng(7)
    psu = np.repeat(np.arange(40), 10)
    effect = rng.normal(0, 0.3, 40)[psu]
    domain = np.tile([0, 1], 200)
    y = (rng.random(400) < 0.4 + effect).astype(float)
    design = SurveyDesign.from_frame(pd.DataFrame({"psu": psu}), psu="psu")
    means = domain_means(y, domain, 2, design)
    (diff,) = domain_differences(means, [(0, 1)]).std_error
    independent = np.sqrt(means.cov[0, 0] + means.cov[1, 1])
    assert means.cov[0, 1] > 0
    assert diff < independent
