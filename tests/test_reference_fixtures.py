"""The R reference fixtures in tests/reference/ are well-formed and self-consistent.

These tests check the committed files themselves (columns, row counts, internal
consistency, agreement with published numbers), not the Python estimators: the
estimator tests compare against these files and rely on them being right.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

TIDY = [
    "fixture",
    "model",
    "effect",
    "term",
    "y_level",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "df",
]
REFERENCE_FILES = ["api", "binary", "ordinal", "multinomial", "panel"]
BINARY_TERMS = [
    "(Intercept)",
    "age",
    "female",
    "employed",
    "children",
    "distance",
    "areab",
    "areac",
]
# Published output of R's survey package, as printed there (columns: Estimate,
# Std. Error, t value, Pr(>|t|)), compared at half a unit of the last printed digit:
# - apiclus1: Lumley, "A survey analysis example", vignette of R package survey 4.5
#   (vignettes/survey.Rnw; inst/doc/survey.pdf pp. 4-5), `summary(logitmodel)` with
#   `logitmodel <- svyglm(I(sch.wide=="Yes")~ell+meals, design=dclus1,
#   family=quasibinomial())` and `summary(regmodel)` with
#   `regmodel <- svyglm(api00~ell+meals, design=dclus1)`,
#   `dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)`;
# - apistrat: help page ?svyglm of survey 4.5, Examples,
#   `summary(svyglm(sch.wide~ell+meals+mobility, design=dstrat, family=quasibinomial()))`
#   with `dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)`.
PUBLISHED = {
    ("apiclus1_glmdefault", "logit"): [
        ("1.899557", "0.509915", "3.725", "0.00290"),
        ("0.039925", "0.012443", "3.209", "0.00751"),
        ("-0.019115", "0.008825", "-2.166", "0.05117"),
    ],
    ("apiclus1_glmdefault", "linear"): [
        ("817.1823", "18.6709", "43.768", "1.32e-14"),
        ("-0.5088", "0.3259", "-1.561", "0.144"),
        ("-3.1456", "0.3018", "-10.423", "2.29e-07"),
    ],
    ("apistrat_glmdefault", "logit"): [
        ("0.835837", "0.455626", "1.834", "0.0681"),
        ("-0.002490", "0.013252", "-0.188", "0.8512"),
        ("-0.003152", "0.009199", "-0.343", "0.7322"),
        ("0.060897", "0.031935", "1.907", "0.0580"),
    ],
}


def half_unit(printed: str) -> float:
    """Half a unit of the last digit of a printed number."""
    exponent = Decimal(printed).as_tuple().exponent
    assert isinstance(exponent, int)
    return 0.5 * 10.0**exponent


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=["NA"])


@pytest.fixture(scope="module")
def refs(reference_dir: Path) -> dict[str, pd.DataFrame]:
    return {name: read(reference_dir / f"{name}_reference.csv") for name in REFERENCE_FILES}


@pytest.fixture(scope="module")
def design(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "data" / "design_binary.csv")


@pytest.fixture(scope="module")
def replicates(reference_dir: Path) -> dict:
    return json.loads((reference_dir / "data" / "design_binary_replicates.json").read_text())


@pytest.mark.parametrize("name", REFERENCE_FILES)
def test_tidy_columns_and_values(refs: dict[str, pd.DataFrame], name: str) -> None:
    df = refs[name]
    assert list(df.columns[: len(TIDY)]) == TIDY
    assert df["estimate"].notna().all()
    assert set(df["effect"]) <= {"coefficient", "threshold", "ame"}
    has_se = df["std_error"].notna()
    # only the unweighted-design polr point estimates come without an SE
    assert set(df.loc[~has_se, "fixture"]) <= {"design_binary_polr_weighted"}
    sub = df[has_se]
    assert (sub["std_error"] > 0).all()
    np.testing.assert_allclose(sub["statistic"], sub["estimate"] / sub["std_error"], rtol=1e-12)
    with_df = sub[sub["df"].notna()]
    p = 2 * stats.t.sf(np.abs(with_df["statistic"]), with_df["df"])
    np.testing.assert_allclose(with_df["p_value"], p, rtol=1e-8, atol=1e-300)
    assert not df.duplicated(
        ["fixture", "model", "variance", "effect", "term", "y_level"]
        if "variance" in df
        else ["fixture", "model", "effect", "term", "y_level"]
    ).any()


@pytest.mark.parametrize("name", REFERENCE_FILES)
def test_vcov_diagonal_matches_std_error(
    refs: dict[str, pd.DataFrame], reference_dir: Path, name: str
) -> None:
    df = refs[name].copy()
    # in the covariance files `effect` names the block: all model parameters
    # (thresholds included) are "coefficient", AMEs are "ame"
    df["effect"] = df["effect"].replace({"threshold": "coefficient"})
    vc = read(reference_dir / f"{name}_reference_vcov.csv")
    keys = ["fixture", "model", "effect"] + (["variance"] if "variance" in vc else [])
    diag = vc[(vc["row_term"] == vc["col_term"]) & (vc["row_y_level"] == vc["col_y_level"])]
    merged = diag.merge(
        df, left_on=[*keys, "row_term", "row_y_level"], right_on=[*keys, "term", "y_level"]
    )
    assert len(merged) == len(diag) > 0
    np.testing.assert_allclose(np.sqrt(merged["value"]), merged["std_error"], rtol=1e-12)


def test_api_reference_reproduces_published_numbers(refs: dict[str, pd.DataFrame]) -> None:
    api = refs["api"]
    cols = ["estimate", "std_error", "statistic", "p_value"]
    for (fixture, model), rows in PUBLISHED.items():
        got = api[(api["fixture"] == fixture) & (api["model"] == model)][cols].to_numpy()
        assert got.shape == (len(rows), 4)
        for i, row in enumerate(rows):
            for j, printed in enumerate(row):
                assert abs(got[i, j] - float(printed)) <= half_unit(printed) * (1 + 1e-9), (
                    fixture, model, i, cols[j])
    assert set(api.loc[api["fixture"] == "apiclus1", "df"]) == {12}
    assert set(api.loc[api["fixture"] == "apistrat", "df"]) == {194}


def test_api_tight_and_default_convergence_differ_only_slightly(
    refs: dict[str, pd.DataFrame],
) -> None:
    api = refs["api"]
    for data in ("apiclus1", "apistrat"):
        tight = api[(api["fixture"] == data) & (api["model"] == "logit")]
        loose = api[(api["fixture"] == f"{data}_glmdefault") & (api["model"] == "logit")]
        np.testing.assert_allclose(tight["estimate"], loose["estimate"], rtol=1e-8)
        np.testing.assert_allclose(tight["std_error"], loose["std_error"], rtol=5e-5)


def test_design_data_layout(design: pd.DataFrame, replicates: dict) -> None:
    base = [
        "id",
        "stratum",
        "psu",
        "fpc",
        "w",
        "age",
        "female",
        "employed",
        "children",
        "distance",
        "area",
        "y",
        "yord",
        "ynom",
    ]
    bs, jk = replicates["bootstrap"]["columns"], replicates["jk1"]["columns"]
    assert list(design.columns) == base + bs + jk
    assert bs == [f"bs{i}" for i in range(1, 51)]
    assert len(design) == replicates["dgp"]["n"]
    assert design[base].notna().all().all()
    assert design["stratum"].nunique() == 10
    per_stratum = design.groupby("stratum")["psu"].nunique()
    assert per_stratum.between(4, 8).all()
    assert (design.groupby("psu")["stratum"].nunique() == 1).all()  # PSUs nested
    assert (design["w"] > 0).all()
    assert set(design["area"]) == {"a", "b", "c"}
    assert set(design["yord"]) == {1, 2, 3, 4}
    assert set(design["ynom"]) == {"return", "stay", "move_on", "undecided"}
    assert set(design["female"]) | set(design["y"]) == {0, 1}
    assert (design.groupby("stratum")["fpc"].first() >= per_stratum).all()


def test_bootstrap_scale_follows_r_formula(design: pd.DataFrame, replicates: dict) -> None:
    per_stratum = design.groupby("stratum")["psu"].nunique()
    m = 1.0 / np.mean(1.0 / per_stratum)  # harmonic mean of PSUs per stratum
    r = replicates["bootstrap"]["replicates"]
    assert replicates["bootstrap"]["scale"] == pytest.approx(m / ((m - 1) * (r - 1)), rel=1e-13)
    assert replicates["bootstrap"]["mse"] is False
    factors = design[replicates["bootstrap"]["columns"]].div(design["w"], axis=0).round(9)
    # a bootstrap factor is constant within a PSU
    assert (factors.groupby(design["psu"]).nunique() == 1).all().all()
    assert (factors >= 0).all().all()


def test_jk1_replicates_drop_one_psu_each(design: pd.DataFrame, replicates: dict) -> None:
    cols = replicates["jk1"]["columns"]
    k = design["psu"].nunique()
    assert len(cols) == k
    assert replicates["jk1"]["scale"] == pytest.approx((k - 1) / k, rel=1e-13)
    factors = design[cols].div(design["w"], axis=0).to_numpy()
    dropped = factors == 0
    psu = design["psu"].to_numpy()
    for j in range(k):
        assert len(set(psu[dropped[:, j]])) == 1
        np.testing.assert_allclose(factors[~dropped[:, j], j], k / (k - 1), rtol=1e-12)
    assert len({psu[dropped[:, j]][0] for j in range(k)}) == k


def test_binary_reference_structure(refs: dict[str, pd.DataFrame]) -> None:
    b = refs["binary"]
    for (fixture, model), g in b.groupby(["fixture", "model"]):
        coefs = g[g["effect"] == "coefficient"]["term"].tolist()
        expected = [t for t in BINARY_TERMS if not (t == "female" and "subpop" in str(fixture))]
        assert coefs == expected, (fixture, model)
        ames = g[g["effect"] == "ame"]["term"].tolist()
        assert ames in ([], expected[1:])
        assert (g["df"] == g["df_design"] + 1 - len(coefs)).all()
    lin = b[(b["fixture"] == "design_binary_lin") & (b["effect"] == "coefficient")]
    assert set(lin["n_obs"]) == {2107}
    # the linear-probability AMEs equal its coefficients, exactly as the delta method says
    lpm = b[(b["fixture"] == "design_binary_lin") & (b["model"] == "linear")]
    coef = lpm[lpm["effect"] == "coefficient"].set_index("term")
    ame = lpm[lpm["effect"] == "ame"].set_index("term")
    np.testing.assert_allclose(ame["estimate"], coef.loc[ame.index, "estimate"], rtol=1e-10)
    np.testing.assert_allclose(ame["std_error"], coef.loc[ame.index, "std_error"], rtol=1e-10)


def test_binary_weighted_point_estimates_agree_across_designs(
    refs: dict[str, pd.DataFrame],
) -> None:
    b = refs["binary"]
    logit = b[
        (b["model"] == "logit")
        & (b["effect"] == "coefficient")
        & b["fixture"].isin(
            [
                "design_binary_lin",
                "design_binary_lin_fpc",
                "design_binary_bootstrap",
                "design_binary_jk1",
            ]
        )
    ]
    spread = logit.groupby("term")["estimate"].agg(lambda s: s.max() - s.min())
    assert (spread < 1e-10).all()


def test_ordinal_reference_structure(refs: dict[str, pd.DataFrame]) -> None:
    o = refs["ordinal"]
    for (_, _), g in o.groupby(["fixture", "model"]):
        assert g["term"].tolist() == [
            "age",
            "female",
            "employed",
            "children",
            "distance",
            "1|2",
            "2|3",
            "3|4",
        ]
        assert g["effect"].tolist() == ["coefficient"] * 5 + ["threshold"] * 3
        zeta = g[g["effect"] == "threshold"]["estimate"].to_numpy()
        assert (np.diff(zeta) > 0).all()
    lin = o[o["fixture"] == "design_binary_lin"]
    # exact sandwich vs svyolr's numerical-Hessian value: close, not identical
    ratio = lin["std_error"] / lin["std_error_r"]
    assert (np.abs(ratio - 1) < 1e-3).all()


def test_multinomial_reference_structure(
    refs: dict[str, pd.DataFrame], design: pd.DataFrame
) -> None:
    mn = refs["multinomial"]
    base = design["ynom"].value_counts().idxmax()
    assert set(mn["base_level"]) == {base}
    for _, g in mn.groupby("fixture"):
        assert g["y_level"].tolist() == [
            lv for lv in ("return", "move_on", "undecided") for _ in range(6)
        ]
        assert base not in set(g["y_level"])
    est = mn.pivot_table(index=["y_level", "term"], columns="fixture", values="estimate")
    assert (est.max(axis=1) - est.min(axis=1)).max() < 1e-12


def test_panel_sample_matches_the_data(
    refs: dict[str, pd.DataFrame], testfiles: Path, reference_dir: Path
) -> None:
    raw = pd.read_stata(
        testfiles / "soep_practice" / "practice_dataset_eng.dta", convert_categoricals=False
    )
    cols = ["id", "syear", "lebensz_org", "alter", "erwerb", "anz_kind"]
    sample = raw[cols].where(raw[cols] >= 0).dropna()
    info = read(reference_dir / "panel_reference_sample.csv").set_index("item")["value"]
    assert len(raw) == info["rows_in_file"]
    assert len(sample) == info["rows_in_sample"]
    assert sample["id"].nunique() == info["persons_in_sample"]
    p = refs["panel"]
    assert set(p["n_obs"]) == {len(sample)}
    assert set(p["n_groups"]) == {sample["id"].nunique()}
    within = p[p["model"] == "panel_within"]
    assert set(within["df"]) == {len(sample) - sample["id"].nunique() - 3}
