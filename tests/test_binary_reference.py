"""Binary models against R ``survey`` (its published examples and the fixtures in tests/reference).

Tolerances (relative unless stated):

- ``REF_TOL = 1e-6`` for the published examples (R's default glm.control) and for the
  fixtures' estimates: both solve the same equations to ~1e-12.
- ``APISTRAT_SE_TOL = 5e-5`` for the apistrat SEs and p-values in
  published example only: those are computed by R with the default
  ``glm.control(epsilon = 1e-8)``, and R's ``cov.unscaled`` uses the working
  weights of the *penultimate* IRLS iterate; at that epsilon this moves the
  SEs by up to 3e-5 (e.g. mobility 0.031935421 vs 0.031934577 at
  epsilon = 1e-12). C's fixture ``api_reference.csv`` (epsilon 1e-12) is then
  matched at 1e-6 below, which shows the gap is R's stopping rule, not ours.
- ``FIX_SE_TOL = 1e-5`` for fixture SEs and p-values (as the brief asks); the
  same penultimate-iterate effect leaves ~3e-7 in the lonely-PSU fixtures.
- Estimates are compared on the scale of their SE where that is larger:
  |Δβ| ≤ 1e-6 · max(|β|, SE). R's probit (Fisher scoring stopped on the
  deviance at 1e-12) leaves a remaining step of up to 6.5e-7 SE, which is
  2e-6 of the small apistrat ``meals`` coefficient (|β| ≈ SE / 4); our fit's
  remaining step is 3e-11 SE.
- ``P_TOL = 5e-6`` for p-values against R at small df: even at
  epsilon = 1e-12 R's SEs carry up to 3e-7 relative error from the
  penultimate-iterate weights (estimates agree to 1e-14), and a p-value
  amplifies a relative SE error by 2 t f(t) / p — about 6 at t = 3.2 on 12 df —
  so 2.4e-7 in the SE of ``ell`` shows as 1.5e-6 in its p-value.
- ``PROBIT_SE_TOL = 5e-6`` for apistrat probit in ``api_reference.csv``: R's
  Fisher scoring there stops 12 iterations short of convergence at
  epsilon = 1e-12 and its SEs use the penultimate weights (3.3e-6 off). Rerun
  with ``glm.control(epsilon = 1e-16, maxit = 500)`` R gives SEs
  0.266917977, 0.019241009929 (intercept, mobility), which ours match to 2e-8.
  Its p-values get 4 × that (amplification as below).
- ``APISTRAT_P_TOL = 2e-4``: the apistrat published-example SE gap above (2.7e-5)
  amplified the same way (factor ~4 at t = 1.9).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.models import fit

REF_TOL = 1e-6
APISTRAT_SE_TOL = 5e-5
FIX_SE_TOL = 1e-5
P_TOL = 5e-6
PROBIT_SE_TOL = 5e-6
APISTRAT_P_TOL = 2e-4

# The R survey package's own examples, computed by tests/reference/api_reference.R with R's
# default glm.control (fixtures "<data>_glmdefault" of api_reference.csv):
# - apiclus1: Lumley, "A survey analysis example", vignette of the R package survey
#   (vignettes/survey.Rnw, survey 4.5), section on regression:
#   `regmodel <- svyglm(api00~ell+meals, design=dclus1)` and
#   `logitmodel <- svyglm(I(sch.wide=="Yes")~ell+meals, design=dclus1, family=quasibinomial())`
#   with `dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)`;
# - apistrat: the Examples of the survey package's help page ?svyglm,
#   `summary(svyglm(sch.wide~ell+meals+mobility, design=dstrat, family=quasibinomial()))`.
# tests/test_reference_fixtures.py checks these rows against the printed published output.
PUBLISHED = {("apiclus1", "logit"), ("apiclus1", "linear"), ("apistrat", "logit")}


@pytest.fixture(scope="module")
def published(reference_dir: Path) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    api = _read_ref(reference_dir / "api_reference.csv")
    out = {}
    for data, model in PUBLISHED:
        rows = api[(api["fixture"] == f"{data}_glmdefault") & (api["model"] == model)]
        assert len(rows) == (4 if data == "apistrat" else 3)
        out[(data, model)] = {c: rows[c].to_numpy(dtype=float)
                              for c in ("estimate", "std_error", "statistic", "p_value")}
    return out


def _read_ref(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=["NA"])


@pytest.fixture(scope="module")
def apiclus1(testfiles: Path) -> pd.DataFrame:
    d = pd.read_csv(testfiles / "survey" / "apiclus1.csv")
    d["sch_wide"] = (d["sch.wide"] == "Yes").astype(float)
    return d


@pytest.fixture(scope="module")
def apistrat(testfiles: Path) -> pd.DataFrame:
    d = pd.read_csv(testfiles / "survey" / "apistrat.csv")
    d["sch_wide"] = (d["sch.wide"] == "Yes").astype(float)
    return d


def _close_est(actual: np.ndarray, expected: np.ndarray, se: np.ndarray, rtol: float) -> None:
    scale = np.maximum(np.abs(np.asarray(expected)), np.asarray(se))
    err = np.abs(np.asarray(actual) - np.asarray(expected)) / scale
    assert err.max() <= rtol, f"max error {err.max():.3g} of max(|estimate|, SE)"


def _close(actual: np.ndarray, expected: list[float] | np.ndarray, rtol: float) -> None:
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=0)


def test_apiclus1_logit_matches_references(apiclus1: pd.DataFrame, published: dict) -> None:
    ref = published[("apiclus1", "logit")]
    r = fit(
        apiclus1, model="logit", formula="sch_wide ~ ell + meals", weights="pw", psu="dnum",
        fpc="fpc",
    )  # fmt: skip
    t = r.tidy()
    assert list(t["term"]) == ["(Intercept)", "ell", "meals"]
    assert r.df_resid == 12
    assert r.design.n_psu == 15 and r.design.df_design == 14
    for col, tol in [("estimate", REF_TOL), ("std_error", REF_TOL), ("statistic", REF_TOL)]:
        _close(t[col].to_numpy(), ref[col], tol)
    _close(t["p_value"].to_numpy(), ref["p_value"], P_TOL)


def test_apiclus1_linear_matches_references(apiclus1: pd.DataFrame, published: dict) -> None:
    ref = published[("apiclus1", "linear")]
    r = fit(apiclus1, model="lpm", formula="api00 ~ ell + meals", weights="pw", psu="dnum",
            fpc="fpc")  # fmt: skip
    _close(r.params.to_numpy(), ref["estimate"], REF_TOL)
    _close(r.std_errors.to_numpy(), ref["std_error"], REF_TOL)


def test_apistrat_logit_matches_references(apistrat: pd.DataFrame, published: dict) -> None:
    ref = published[("apistrat", "logit")]
    r = fit(
        apistrat, model="logit", formula="sch_wide ~ ell + meals + mobility", weights="pw",
        strata="stype", fpc="fpc",
    )  # fmt: skip
    t = r.tidy()
    assert r.df_resid == 194
    _close(t["estimate"].to_numpy(), ref["estimate"], REF_TOL)
    _close(t["std_error"].to_numpy(), ref["std_error"], APISTRAT_SE_TOL)
    _close(t["statistic"].to_numpy(), ref["statistic"], APISTRAT_SE_TOL)
    _close(t["p_value"].to_numpy(), ref["p_value"], APISTRAT_P_TOL)


API_CASES = {
    ("apiclus1", "logit"): ("logit", "sch_wide ~ ell + meals"),
    ("apiclus1", "probit"): ("probit", "sch_wide ~ ell + meals"),
    ("apiclus1", "linear"): ("lpm", "api00 ~ ell + meals"),
    ("apistrat", "logit"): ("logit", "sch_wide ~ ell + meals + mobility"),
    ("apistrat", "probit"): ("probit", "sch_wide ~ ell + meals + mobility"),
}


@pytest.mark.parametrize("case", sorted(API_CASES))
def test_api_fixture_tight_control(
    case: tuple[str, str],
    apiclus1: pd.DataFrame,
    apistrat: pd.DataFrame,
    reference_dir: Path,
) -> None:
    ref = _read_ref(reference_dir / "api_reference.csv")
    ref = ref[(ref["fixture"] == case[0]) & (ref["model"] == case[1])]
    model, formula = API_CASES[case]
    if case[0] == "apiclus1":
        r = fit(apiclus1, model=model, formula=formula, weights="pw", psu="dnum", fpc="fpc")
    else:
        r = fit(apistrat, model=model, formula=formula, weights="pw", strata="stype", fpc="fpc")
    t = r.tidy()
    _close_est(t["estimate"], ref["estimate"], ref["std_error"], REF_TOL)
    se_tol = PROBIT_SE_TOL if case == ("apistrat", "probit") else REF_TOL
    _close(t["std_error"].to_numpy(), ref["std_error"].to_numpy(), se_tol)
    _close(
        t["p_value"].to_numpy(),
        ref["p_value"].to_numpy(),
        P_TOL if se_tol == REF_TOL else 4 * se_tol,
    )
    assert r.df_resid == ref["df"].iloc[0]
    vc = _read_ref(reference_dir / "api_reference_vcov.csv")
    vc = vc[(vc["fixture"] == case[0]) & (vc["model"] == case[1])]
    k = len(t)
    # covariances on the correlation scale: |ΔV_ij| / (se_i se_j)
    expected = vc["value"].to_numpy()[: k * k].reshape(k, k, order="F")
    se = np.sqrt(np.diag(expected))
    err = np.abs(r.coef.cov - expected) / np.outer(se, se)
    assert err.max() <= 2 * se_tol


# ---- C's design_binary fixtures -------------------------------------------------------

F_FULL = "y ~ age + female + employed + children + distance + C(area)"
F_SUB = "y ~ age + employed + children + distance + C(area)"
BS = {"repweights": "^bs[0-9]+$", "reptype": "bootstrap"}
JK = {"repweights": "^jk1_[0-9]+$", "reptype": "jk1"}
LIN = {"strata": "stratum", "psu": "psu"}
FIXTURES: dict[str, dict[str, object]] = {
    "design_binary_lin": LIN,
    "design_binary_lin_fpc": {**LIN, "fpc": "fpc"},
    "design_binary_bootstrap": BS,
    "design_binary_jk1": JK,
    # JKn made from the design (one replicate per PSU; the count given is not used)
    "design_binary_jkn": {**LIN, "replicates": 2, "reptype": "jkn"},
    "design_binary_jkn_fpc": {**LIN, "fpc": "fpc", "replicates": 2, "reptype": "jkn"},
    "design_binary_subpop_female": {**LIN, "subpop": "female == 1"},
    "design_binary_subpop_female_bootstrap": {**BS, "subpop": "female == 1"},
    **{f"design_binary_lonely_{r}": {**LIN, "lonely_psu": r} for r in
       ("adjust", "certainty", "remove", "average")},
}  # fmt: skip
MODEL = {"logit": "logit", "probit": "probit", "linear": "lpm"}


@pytest.fixture(scope="module")
def design_binary(reference_dir: Path) -> pd.DataFrame:
    d = pd.read_csv(reference_dir / "data" / "design_binary.csv")
    for c in ("female", "employed", "children"):  # booleans, as in the common schema
        d[c] = d[c].astype(bool)
    return d


@pytest.fixture(scope="module")
def replicate_meta(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "data" / "design_binary_replicates.csv").set_index(
        "replicate_set"
    )


def _fixture_cases(reference_dir: Path) -> list[tuple[str, str]]:
    ref = _read_ref(reference_dir / "binary_reference.csv")
    return sorted({(f, m) for f, m in zip(ref["fixture"], ref["model"], strict=True)})


REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@pytest.mark.parametrize("case", _fixture_cases(REFERENCE_DIR))
def test_design_binary_fixture(
    case: tuple[str, str],
    design_binary: pd.DataFrame,
    replicate_meta: pd.DataFrame,
    reference_dir: Path,
) -> None:
    fixture, model = case
    ref = _read_ref(reference_dir / "binary_reference.csv")
    ref = ref[(ref["fixture"] == fixture) & (ref["model"] == model)]
    kw = dict(FIXTURES[fixture])
    if "repweights" in kw:
        kind = "bootstrap" if kw["reptype"] == "bootstrap" else "jk1"
        kw["scale"] = float(replicate_meta.loc[kind, "scale"])
    data = design_binary
    if "lonely" in fixture:  # stratum 10 cut down to PSU 1001, as binary_reference.R does
        data = data[~((data["stratum"] == 10) & (data["psu"] != 1001))].reset_index(drop=True)
    formula = F_SUB if "subpop" in fixture else F_FULL
    has_ame = bool((ref["effect"] == "ame").any())
    r = fit(data, model=MODEL[model], formula=formula, weights="w", ame=has_ame, **kw)
    t = r.tidy()
    for effect in ("coefficient", "ame"):
        exp = ref[ref["effect"] == effect]
        if exp.empty:
            continue
        got = t[t["effect"] == effect]
        assert len(got) == len(exp)
        _close_est(got["estimate"], exp["estimate"], exp["std_error"], REF_TOL)
        _close(got["std_error"].to_numpy(), exp["std_error"].to_numpy(), FIX_SE_TOL)
        _close(got["p_value"].to_numpy(), exp["p_value"].to_numpy(), FIX_SE_TOL)
    assert r.df_resid == ref["df"].iloc[0]
    assert r.design.df_design == ref["df_design"].iloc[0]
    assert r.nobs == ref["n_obs"].iloc[0]
    assert r.design.sum_weights == pytest.approx(ref["sum_weights"].iloc[0], rel=1e-9)


def test_made_jk1_reproduces_r_as_svrepdesign(design_binary: pd.DataFrame) -> None:
    """The jk1 columns were made by R as.svrepdesign(type='JK1') on id=~psu (no strata)."""
    from surveytk.survey.design import SurveyDesign

    shipped = fit(design_binary, model="logit", formula=F_FULL, weights="w", **JK, scale=62 / 63)
    made_design = SurveyDesign.from_frame(design_binary, weights="w", psu="psu")
    assert made_design.make_jackknife("jk1").scale == pytest.approx(62 / 63)
    made = fit(design_binary, model="logit", formula=F_FULL, weights="w", psu="psu",
               replicates=63, reptype="jk1")  # fmt: skip
    assert made.design.variance == "replicate:jk1"
    _close(made.std_errors.to_numpy(), shipped.std_errors.to_numpy(), 1e-9)
    assert made.df_resid == shipped.df_resid
