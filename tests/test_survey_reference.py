"""Multistage designs, calibration, made replicates and domain lonely PSUs against R survey.

Numbers from ``tests/reference/design_survey_reference.R`` (survey 4.1-1); every
comparison is within 1e-6 relative.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from surveytk.errors import DesignError
from surveytk.models import fit
from surveytk.models.covariance import LinearizedCovariance, replicate_variance
from surveytk.models.kernel import KernelFit
from surveytk.survey.design import SurveyDesign

REF = Path(__file__).parent / "reference"
DATA = REF / "data"
API = Path(__file__).parent / "data" / "survey"
RTOL = 1e-6


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REF / "design_survey_reference.csv", keep_default_na=False, na_values=["NA"])


def expected(ref: pd.DataFrame, fixture: str, quantity: str) -> pd.DataFrame:
    out = ref[(ref["fixture"] == fixture) & (ref["quantity"] == quantity)]
    assert len(out), (fixture, quantity)
    return out.set_index("term")


def _apiclus1() -> pd.DataFrame:
    d = pd.read_csv(API / "apiclus1.csv")
    d["sch_wide"] = (d["sch.wide"] == "Yes").astype(float)
    return d


def _mean_kernel(y: np.ndarray, w: np.ndarray) -> KernelFit:
    total = float(w.sum())
    mean = (w @ y) / total
    return KernelFit(
        mean, w[:, None] * (y - mean), -total * np.eye(y.shape[1]), None, None, True, 0
    )


def mean_se(
    design: SurveyDesign, data: pd.DataFrame, cols: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """svymean: ratio means of ``cols`` over the domain, linearised or replicate SEs."""
    y = data[cols].to_numpy(dtype=float)
    dom = design.domain
    est = _mean_kernel(y[dom], design.weights[dom]).params
    if design.is_replicate:
        thetas = np.array(
            [_mean_kernel(y[dom], design.replicate_weights(r)[dom]).params
             for r in range(design.n_replicates)]
        )  # fmt: skip
        scale, rscales = design.replicate_scales()
        cov = replicate_variance(thetas, est, scale, rscales, design.mse)
    else:
        cov = LinearizedCovariance().cov(_mean_kernel(y[dom], design.weights[dom]), design)
    return est, np.sqrt(np.diag(cov))


def total_se(
    design: SurveyDesign, data: pd.DataFrame, cols: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """svytotal: Σ w y with the influence rows w y."""
    y = data[cols].to_numpy(dtype=float)
    dom = design.domain
    w = design.weights[dom]
    kf = KernelFit(w @ y[dom], w[:, None] * y[dom], -np.eye(len(cols)), None, None, True, 0)
    return kf.params, np.sqrt(np.diag(LinearizedCovariance().cov(kf, design)))


def check(got: tuple[np.ndarray, np.ndarray], exp: pd.DataFrame, terms: list[str]) -> None:
    np.testing.assert_allclose(got[0], exp.loc[terms, "estimate"].to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(got[1], exp.loc[terms, "std_error"].to_numpy(), rtol=RTOL)


def check_fit(res: Any, exp: pd.DataFrame) -> None:
    terms = list(exp.index)
    np.testing.assert_allclose(res.params.loc[terms].to_numpy(), exp["estimate"], rtol=RTOL)
    np.testing.assert_allclose(res.std_errors.loc[terms].to_numpy(), exp["std_error"], rtol=RTOL)


# ---------------------------------------------------------------------------
# multistage
# ---------------------------------------------------------------------------

TWO_STAGE = {"psu": ("dnum", "snum"), "fpc": ("fpc1", "fpc2")}


def test_two_stage_apiclus2_means_totals_domain(ref: pd.DataFrame) -> None:
    d = pd.read_csv(DATA / "design_apiclus2.csv")
    des = SurveyDesign.from_frame(d, **TWO_STAGE)
    check(mean_se(des, d, ["api00", "api99"]), expected(ref, "apiclus2_2stage", "mean"),
          ["api00", "api99"])  # fmt: skip
    check(total_se(des, d, ["api00", "api99"]), expected(ref, "apiclus2_2stage", "total"),
          ["api00", "api99"])  # fmt: skip
    dom = des.subset((d["stype"] == "E").to_numpy())
    check(mean_se(dom, d, ["api00"]), expected(ref, "apiclus2_2stage", "domain_mean"), ["api00"])


@pytest.mark.parametrize(("model", "quantity"), [("logit", "glm"), ("lpm", "lpm")])
def test_two_stage_apiclus2_svyglm(ref: pd.DataFrame, model: str, quantity: str) -> None:
    d = pd.read_csv(DATA / "design_apiclus2.csv")
    res = fit(d, model=model, formula="sch_wide ~ ell + meals", **TWO_STAGE)
    check_fit(res, expected(ref, "apiclus2_2stage", quantity))
    assert res.design.psu == "dnum+snum"
    assert res.df_resid is not None


def test_stage_without_fpc_and_ultimate_cluster(ref: pd.DataFrame) -> None:
    d = pd.read_csv(DATA / "design_apiclus2.csv")
    d["inf2"] = np.inf
    # an infinite population at stage 2 = sampled with replacement (as R)
    with_inf = SurveyDesign.from_frame(
        d, weights="pw", psu=["dnum", "snum"], fpc=["fpc1", "inf2"], lonely_psu="adjust"
    )
    one_fpc = SurveyDesign.from_frame(
        d, weights="pw", psu=["dnum", "snum"], fpc=["fpc1"], lonely_psu="adjust"
    )
    exp = expected(ref, "apiclus2_fpc1_adjust", "mean")
    check(mean_se(one_fpc, d, ["api00", "api99"]), exp, ["api00", "api99"])
    check(mean_se(with_inf, d, ["api00", "api99"]), exp, ["api00", "api99"])
    # without any fpc the later stages do not count: the ultimate-cluster variance
    nofpc = SurveyDesign.from_frame(d, weights="pw", psu=["dnum", "snum"])
    check(mean_se(nofpc, d, ["api00", "api99"]), expected(ref, "apiclus2_nofpc", "mean"),
          ["api00", "api99"])  # fmt: skip


def _synthetic() -> pd.DataFrame:
    return pd.read_csv(DATA / "design_multistage.csv")


THREE_STAGE = {
    "weights": "w",
    "strata": "stratum",
    "psu": ("psu", "ssu", "hh"),
    "fpc": ("N1", "N2", "N3"),
    "lonely_psu": "adjust",
}


def test_three_stage_synthetic(ref: pd.DataFrame) -> None:
    d = _synthetic()
    des = SurveyDesign.from_frame(d, **THREE_STAGE)  # type: ignore[arg-type]
    check(mean_se(des, d, ["y", "x"]), expected(ref, "synthetic_3stage", "mean"), ["y", "x"])
    check(total_se(des, d, ["y"]), expected(ref, "synthetic_3stage", "total"), ["y"])
    dom = des.subset((d["dom"] == 1).to_numpy())
    check(mean_se(dom, d, ["y"]), expected(ref, "synthetic_3stage", "domain_mean"), ["y"])
    res = fit(d, model="logit", formula="b ~ x", **THREE_STAGE)
    check_fit(res, expected(ref, "synthetic_3stage", "glm"))
    # R gives NaN: inside some stage-2 units every stratum has one household sampled,
    # so "average" has nothing to average over; surveytk says so
    assert expected(ref, "synthetic_3stage_average", "mean")["std_error"].isna().all()
    avg = SurveyDesign.from_frame(d, **{**THREE_STAGE, "lonely_psu": "average"})  # type: ignore[arg-type]
    with pytest.raises(DesignError, match="nothing to average"):
        mean_se(avg, d, ["y", "x"])


def test_second_stage_strata(ref: pd.DataFrame) -> None:
    d = _synthetic()
    des = SurveyDesign.from_frame(
        d, weights="w", strata=["stratum", "ssu_stratum"], psu=["psu", "ssu"], fpc=["N1", "N2"],
        lonely_psu="adjust",
    )  # fmt: skip
    check(mean_se(des, d, ["y", "x"]), expected(ref, "synthetic_2stage_strata", "mean"),
          ["y", "x"])  # fmt: skip


def test_lonely_unit_at_a_later_stage_fails_by_default() -> None:
    d = _synthetic()
    des = SurveyDesign.from_frame(d, **{**THREE_STAGE, "lonely_psu": "fail"})  # type: ignore[arg-type]
    with pytest.raises(DesignError, match="at stage 3"):
        mean_se(des, d, ["y"])


# ---------------------------------------------------------------------------
# calibration
# ---------------------------------------------------------------------------

CALIBRATIONS = [
    ("apiclus1_poststratify", "poststratify", "totals_stype.csv", None),
    ("apiclus1_rake", "rake", "totals_rake.csv", None),
    ("apiclus1_linear", "linear", "totals_linear.csv", None),
    ("apiclus1_linear_bounds", "linear", "totals_linear.csv", (0.5, 2.0)),
]


@pytest.mark.parametrize(("fixture", "method", "totals", "bounds"), CALIBRATIONS)
def test_calibrated_estimates_match_r(
    ref: pd.DataFrame, fixture: str, method: str, totals: str, bounds: tuple[float, float] | None
) -> None:
    d = _apiclus1()
    opts = {
        "weights": "pw",
        "psu": "dnum",
        "fpc": "fpc",
        "calibrate": str(DATA / totals),
        "calibration": method,
        "calibration_bounds": bounds,
    }
    des = SurveyDesign.from_options(d, opts)
    np.testing.assert_allclose(
        des.weights[:5], expected(ref, fixture, "weights")["estimate"], rtol=RTOL
    )
    check(mean_se(des, d, ["api00", "enroll"]), expected(ref, fixture, "mean"), ["api00", "enroll"])
    check(total_se(des, d, ["api00"]), expected(ref, fixture, "total"), ["api00"])
    dom = des.subset((d["sch.wide"] == "Yes").to_numpy())
    check(mean_se(dom, d, ["api00"]), expected(ref, fixture, "domain_mean"), ["api00"])
    res = fit(d, model="logit", formula="sch_wide ~ ell + meals", **opts)
    check_fit(res, expected(ref, fixture, "glm"))
    assert des.calibration is not None
    assert method[:4] in des.calibration.describe() or "calibrated" in des.calibration.describe()


def test_replicate_designs_recalibrate_every_replicate(ref: pd.DataFrame) -> None:
    d = _apiclus1()
    base = {"weights": "pw", "psu": "dnum", "fpc": "fpc", "reptype": "jk1"}
    ps = SurveyDesign.from_options(
        d, {**base, "calibrate": str(DATA / "totals_stype.csv"), "calibration": "poststratify"}
    )
    check(mean_se(ps, d, ["api00", "enroll"]), expected(ref, "apiclus1_jk1_poststratify", "mean"),
          ["api00", "enroll"])  # fmt: skip
    lin = {**base, "calibrate": str(DATA / "totals_linear.csv"), "calibration": "linear"}
    des = SurveyDesign.from_options(d, lin)
    check(mean_se(des, d, ["api00", "enroll"]), expected(ref, "apiclus1_jk1_linear", "mean"),
          ["api00", "enroll"])  # fmt: skip
    res = fit(d, model="logit", formula="sch_wide ~ ell + meals", **lin)
    check_fit(res, expected(ref, "apiclus1_jk1_linear", "glm"))


def test_trimming_after_calibration(ref: pd.DataFrame) -> None:
    d = _apiclus1()
    des = SurveyDesign.from_options(
        d,
        {"weights": "pw", "psu": "dnum", "fpc": "fpc", "calibrate": str(DATA / "totals_linear.csv"),
         "calibration": "linear", "trim": (25, 40)},
    )  # fmt: skip
    check(mean_se(des, d, ["api00", "enroll"]), expected(ref, "apiclus1_linear_trim", "mean"),
          ["api00", "enroll"])  # fmt: skip
    assert des.calibration is not None and des.calibration.trimmed > 0


# ---------------------------------------------------------------------------
# lonely PSUs in a domain
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["adjust", "average", "certainty"])
@pytest.mark.parametrize("adjust_domain", [False, True])
def test_domain_lonely_psu(ref: pd.DataFrame, rule: str, adjust_domain: bool) -> None:
    d = pd.read_csv(DATA / "apistrat_domain.csv")
    des = SurveyDesign.from_frame(
        d, weights="pw", strata="stype", fpc="fpc", lonely_psu=rule,
        adjust_domain_lonely=adjust_domain,
    )  # fmt: skip
    dom = des.subset((d["dom"] == 1).to_numpy())
    fixture = f"apistrat_domain_{rule}" + ("_adjustdomain" if adjust_domain else "")
    check(mean_se(dom, d, ["api00"]), expected(ref, fixture, "mean"), ["api00"])


# ---------------------------------------------------------------------------
# replicate weights made from the design
# ---------------------------------------------------------------------------


def _pairs() -> pd.DataFrame:
    return pd.read_csv(DATA / "design_pairs.csv")


@pytest.mark.parametrize(("kind", "rho"), [("brr", None), ("fay", 0.3)])
def test_made_brr_and_fay_equal_r(ref: pd.DataFrame, kind: str, rho: float | None) -> None:
    d = _pairs()
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu").make_replicates(
        kind, rho=rho
    )
    reps = pd.read_csv(REF / "design_survey_brr.csv")
    mult = reps[reps["kind"] == kind].drop(columns=["kind", "row"]).to_numpy()
    assert des.repweights is not None
    np.testing.assert_allclose(des.repweights[des.psu], mult, rtol=0, atol=1e-12)
    assert des.scale == pytest.approx(expected(ref, f"pairs_{kind}", "scale")["estimate"].iloc[0])
    check(mean_se(des, d, ["y"]), expected(ref, f"pairs_{kind}", "mean"), ["y"])


def test_made_brr_glm(ref: pd.DataFrame) -> None:
    res = fit(_pairs(), model="logit", formula="b ~ x", weights="w", strata="stratum", psu="psu",
              reptype="brr")  # fmt: skip
    check_fit(res, expected(ref, "pairs_brr", "glm"))


def test_made_jkn_mean(ref: pd.DataFrame) -> None:
    d = pd.read_csv(API / "apistrat.csv")
    des = SurveyDesign.from_frame(d, weights="pw", strata="stype", psu="dnum", nest=True)
    check(mean_se(des.make_replicates("jkn"), d, ["api00"]), expected(ref, "apistrat_jkn", "mean"),
          ["api00"])  # fmt: skip


def test_brr_needs_two_psus_per_stratum() -> None:
    d = pd.read_csv(API / "apistrat.csv")
    des = SurveyDesign.from_frame(d, weights="pw", strata="stype")
    with pytest.raises(DesignError, match="exactly two PSUs"):
        des.make_replicates("brr")


# ---------------------------------------------------------------------------
# panel models
# ---------------------------------------------------------------------------

PANEL = {"weights": "w", "strata": "stratum", "psu": "psu", "entity": "id", "time": "wave"}


def test_panel_replicate_variance_refits_every_replicate(ref: pd.DataFrame) -> None:
    d = pd.read_csv(DATA / "design_panel.csv")
    res = fit(d, model="panel-fe", formula="y ~ x", reptype="jkn", **PANEL)
    check_fit(res, expected(ref, "panel_fe_jkn", "glm"))
    assert res.design.variance == "replicate:jkn"


def test_panel_refuses_strata_without_replicates() -> None:
    from surveytk.errors import ModelError

    d = pd.read_csv(DATA / "design_panel.csv")
    with pytest.raises(ModelError, match="cannot use strata="):
        fit(d, model="panel-fe", formula="y ~ x", **PANEL)
    # without strata the clustered variance is the plm one, clustered by the PSU
    res = fit(d, model="panel-fe", formula="y ~ x", weights="w", psu="psu", entity="id",
              time="wave")  # fmt: skip
    assert res.design.cluster == "psu"


# ---------------------------------------------------------------------------
# bootstrap made as R's bootweights
# ---------------------------------------------------------------------------


def test_bootstrap_is_r_bootweights() -> None:
    d = pd.read_csv(API / "apistrat.csv")
    des = SurveyDesign.from_frame(d, weights="pw", strata="stype", fpc="fpc")
    boot = des.make_replicates("bootstrap", 400, seed=2)
    assert boot.repweights is not None
    # n_h draws per stratum (without replacement from the N_h-long list: fpc), no rescaling
    for h in range(boot.n_strata):
        counts = boot.repweights[boot.psu_stratum == h]
        np.testing.assert_array_equal(counts.sum(axis=0), des.n_psu_h[h])
        assert np.array_equal(counts, np.round(counts))
    nbar = 1.0 / np.mean(1.0 / des.n_psu_h)  # harmonic mean of PSUs per stratum, as R
    assert boot.scale == pytest.approx(nbar / ((nbar - 1.0) * 399))
    # the bootstrap SE estimates the linearised one (4000 replicates: MC error ~1.1 %)
    big = des.make_replicates("bootstrap", 4000, seed=1)
    lin = mean_se(des, d, ["api00"])[1][0]
    assert mean_se(big, d, ["api00"])[1][0] == pytest.approx(lin, rel=0.03)
