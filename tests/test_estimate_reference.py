"""`surveytk estimate` against R survey (tests/reference/estimate_reference.R).

Every row R wrote — estimate, standard error, interval ends, deff, test statistic,
p-value — is recomputed through :func:`surveytk.estimate.estimate` on the same data
and design, and must agree within 1e-6 relative (the issue's acceptance bar).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.estimate import EstimateRequest, estimate
from surveytk.survey.design import SurveyDesign

# R writes 15 significant digits; everything here is closed-form sums, quantile
# look-ups and distribution functions, so 1e-6 relative is the bar, not slack.
RTOL = 1e-6
# absolute floor for quantities that are 0 in exact arithmetic (a centred mean)
ATOL = 1e-9

REF = Path(__file__).parent / "reference"
API = Path(__file__).parent / "data" / "survey"

API_SPEC = {
    "mean": ("api00", "enroll"),
    "total": ("enroll",),
    "ratio": (("api00", "api99"),),
    "quantile": ("api00",),
    "probs": (0.1, 0.25, 0.5, 0.9),
    "prop": ("sch.wide",),
    "chisq": (("sch.wide", "comp.imp"),),
    "ttest": (("api00", "sch.wide"),),
    "ranktest": (("api00", "sch.wide"),),
}
BY_SPEC = {
    "mean": ("api00",),
    "total": ("enroll",),
    "ratio": (("api00", "api99"),),
    "quantile": ("api00",),
    "probs": (0.5,),
    "prop": ("sch.wide",),
    "chisq": (("sch.wide", "comp.imp"),),
    "ttest": (("api00", "comp.imp"),),
}
SYN_SPEC = {
    "mean": ("y", "x"),
    "total": ("y",),
    "ratio": (("y", "x"),),
    "quantile": ("y",),
    "probs": (0.25, 0.5, 0.75),
    "prop": ("a", "b"),
    "chisq": (("a", "b"),),
    "ttest": (("y", "g"),),
    "ranktest": (("y", "g"),),
}
SYN_BY_SPEC = {
    "mean": ("y", "x"),
    "ratio": (("y", "x"),),
    "quantile": ("y",),
    "probs": (0.25, 0.5, 0.75),
    "prop": ("a",),
}


def _read(name: str) -> pd.DataFrame:
    if name in ("apistrat", "apiclus1"):
        return pd.read_csv(API / f"{name}.csv")
    file = {"apiclus2": "apiclus2", "apiclus1_jk1": "apiclus1_jk1", "synth": "estimate_synth"}
    return pd.read_csv(REF / "data" / f"{file[name]}.csv")


def _design(name: str, frame: pd.DataFrame) -> SurveyDesign:
    if name == "apistrat":
        return SurveyDesign.from_frame(frame, weights="pw", strata="stype", fpc="fpc")
    if name == "apiclus1":
        return SurveyDesign.from_frame(frame, weights="pw", psu="dnum", fpc="fpc")
    if name == "apiclus2":
        return SurveyDesign.from_frame(frame, weights="pw", psu="dnum")
    if name == "apiclus1_jk1":
        return SurveyDesign.from_frame(frame, weights="pw", repweights="^rw_", reptype="jk1")
    return SurveyDesign.from_frame(frame, weights="w", strata="stratum", psu="psu", fpc="fpc")


CASES = [
    ("apistrat", "", API_SPEC),
    ("apistrat", "stype", BY_SPEC),
    ("apiclus1", "", API_SPEC),
    ("apiclus1", "stype", BY_SPEC),
    ("apiclus2", "", API_SPEC),
    ("apiclus1_jk1", "", API_SPEC),
    ("apiclus1_jk1", "stype", BY_SPEC),
    ("synth", "", SYN_SPEC),
    ("synth", "b", SYN_BY_SPEC),
]


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(
        REF / "estimate_reference.csv", keep_default_na=False, na_values=["NA"], dtype=str
    )


def _ours(name: str, by: str, spec: dict, ci: str) -> pd.DataFrame:
    frame = _read(name)
    req = EstimateRequest(by=by or None, ci=ci, deff=True, threshold=1, **spec)
    return estimate(frame, _design(name, frame), req).rows


def _key(df: pd.DataFrame) -> pd.Series:
    return df["statistic"] + "|" + df["variable"] + "|" + df["level"] + "|" + df["domain"]


@pytest.mark.parametrize(
    ("name", "by", "spec"), CASES, ids=[f"{c[0]}-{c[1] or 'all'}" for c in CASES]
)
def test_matches_r(reference: pd.DataFrame, name: str, by: str, spec: dict) -> None:
    ref = reference[(reference["dataset"] == name) & (reference["by"] == by)]
    assert len(ref) > 0
    checked = 0
    for ci in ("wald", "logit", "beta"):
        r = ref[(ref["ci"] == ci) | ((ref["ci"] == "") & (ci == "logit"))]
        if ci != "logit":
            r = r[r["statistic"] == "prop"]
        ours = pd.DataFrame()
        for score in ("wilcoxon", "vanderwaerden", "median"):
            part = (
                _ours(name, by, spec, ci)
                if score == "wilcoxon"
                else _ours_rank(name, by, spec, score)
            )
            ours = pd.concat([ours, part], ignore_index=True)
        ours = ours.drop_duplicates(subset=["statistic", "variable", "level", "domain"])
        mine = ours.set_index(_key(ours))
        for key, row in zip(_key(r), r.itertuples(index=False), strict=True):
            assert key in mine.index, f"{name}: no row {key}"
            got = mine.loc[key]
            for col in ("estimate", "std_error", "conf_low", "conf_high", "deff", "p_value"):
                want = float(getattr(row, col))
                have = float(got[col])
                if np.isnan(want):
                    continue  # R gives no such number for this statistic
                assert have == pytest.approx(want, rel=RTOL, abs=ATOL), (
                    f"{name} by={by or '-'} ci={ci} {key} {col}: {have!r} vs R {want!r}"
                )
                checked += 1
    assert checked >= len(ref) * 2


def _ours_rank(name: str, by: str, spec: dict, score: str) -> pd.DataFrame:
    if "ranktest" not in spec:
        return pd.DataFrame()
    frame = _read(name)
    req = EstimateRequest(by=by or None, ranktest=spec["ranktest"], rank_score=score, threshold=1)
    return estimate(frame, _design(name, frame), req).rows
