"""SurveyDesign: construction, validation, df, domains, replicate weights made from the design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveytk.errors import DesignError, SpecError
from surveytk.models.options import FitOptions
from surveytk.survey.design import SurveyDesign, matrix_rank


def _frame(seed: int = 0, n_strata: int = 3, psu_per: int = 4, per_psu: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(n_strata):
        for p in range(psu_per):
            for _ in range(per_psu):
                rows.append((f"s{h}", f"s{h}p{p}", rng.uniform(0.5, 3.0)))
    d = pd.DataFrame(rows, columns=["stratum", "psu", "w"])
    d["x"] = rng.normal(size=len(d))
    d["female"] = rng.integers(0, 2, len(d))
    return d


def test_codes_counts_and_df() -> None:
    d = _frame()
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    assert des.n == 60 and des.n_strata == 3 and des.n_psu == 12
    np.testing.assert_array_equal(des.n_psu_h, [4, 4, 4])
    assert des.df == 12 - 3
    # PSU codes are nested: every PSU has one stratum
    assert all(np.unique(des.strata[des.psu == p]).size == 1 for p in range(des.n_psu))


def test_no_psu_means_each_row_is_a_psu() -> None:
    d = _frame()
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum")
    assert des.n_psu == len(d) and des.df == len(d) - 3


def test_missing_and_negative_weights_are_errors() -> None:
    d = _frame()
    d.loc[[1, 4], "w"] = np.nan
    with pytest.raises(DesignError, match=r"fewer than 10 rows have a missing weight \(w\)"):
        SurveyDesign.from_frame(d, weights="w")
    d = _frame()
    d.loc[3, "w"] = -1.0
    with pytest.raises(DesignError, match=r"weights must be positive; fewer than 10 rows .* \(w\)"):
        SurveyDesign.from_frame(d, weights="w")


def test_zero_weights_leave_the_domain_but_stay_in_the_design() -> None:
    d = _frame()
    d.loc[[0, 1, 2], "w"] = 0.0
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    assert des.n_zero_weight == 3
    assert des.n_obs == len(d) - 3 and des.n == len(d)
    np.testing.assert_array_equal(des.n_psu_h, [4, 4, 4])


def test_psus_not_nested_in_strata() -> None:
    d = _frame()
    d["psu"] = d["psu"].str[-2:]  # "p0".."p3" reused in every stratum
    with pytest.raises(DesignError, match="not nested in strata"):
        SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu", nest=True)
    assert des.n_psu == 12


def test_lonely_psu_fails_by_default_and_names_the_count() -> None:
    d = _frame()
    d = d[~((d["stratum"] == "s1") & (d["psu"] != "s1p0"))]
    with pytest.raises(DesignError, match=r"1 strata have a single PSU.*--lonely-psu adjust"):
        SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu", lonely_psu="adjust")
    assert des.df == 9 - 3


def test_missing_design_columns() -> None:
    d = _frame()
    d.loc[5, "stratum"] = None
    with pytest.raises(DesignError, match="stratum column 'stratum' has fewer than 10 missing"):
        SurveyDesign.from_frame(d, strata="stratum")
    with pytest.raises(DesignError, match="column 'nope' is not in the data"):
        SurveyDesign.from_frame(_frame(), psu="nope")


def test_misspelt_design_column_gets_a_close_match() -> None:
    d = _frame()
    d["pw"] = 1.0
    with pytest.raises(DesignError, match="weight column 'pww' is not in the data; close "
                       "matches: pw"):
        SurveyDesign.from_frame(d, weights="pww")


def test_fpc_fraction_and_population_agree() -> None:
    d = _frame()
    d["N"] = 40.0  # 4 sampled of 40 PSUs
    d["f"] = 0.1
    a = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu", fpc="N")
    b = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu", fpc="f")
    np.testing.assert_allclose(a.fpc_fraction_h, 0.1)
    np.testing.assert_allclose(b.fpc_fraction_h, 0.1)
    d.loc[0, "N"] = 41.0
    with pytest.raises(DesignError, match="varies within 1 strata"):
        SurveyDesign.from_frame(d, strata="stratum", psu="psu", fpc="N")
    d["N"] = 2.0
    with pytest.raises(DesignError, match="population size smaller"):
        SurveyDesign.from_frame(d, strata="stratum", psu="psu", fpc="N")


def test_repweights_regex_matching_nothing() -> None:
    d = _frame()
    with pytest.raises(DesignError, match=r"--repweights '\^rw' matches no column"):
        SurveyDesign.from_frame(d, weights="w", repweights="^rw", reptype="bootstrap")


def test_shipped_replicate_scales_follow_svrepdesign() -> None:
    d = _frame()
    for r in range(8):
        d[f"rw{r}"] = d["w"] * (1 + 0.1 * r)
    boot = SurveyDesign.from_frame(d, weights="w", repweights="^rw", reptype="bootstrap")
    assert boot.n_replicates == 8 and boot.scale == pytest.approx(1 / 7)
    jk1 = SurveyDesign.from_frame(d, weights="w", repweights="^rw", reptype="jk1")
    assert jk1.scale == pytest.approx(7 / 8)
    brr = SurveyDesign.from_frame(d, weights="w", repweights="^rw", reptype="brr")
    assert brr.scale == pytest.approx(1 / 8)
    fay = SurveyDesign.from_frame(d, weights="w", repweights="^rw", reptype="fay", rho=0.5)
    assert fay.scale == pytest.approx(1 / (8 * 0.25))
    with pytest.raises(DesignError, match="needs rscales"):
        SurveyDesign.from_frame(d, weights="w", repweights="^rw", reptype="jkn")


def test_subset_keeps_full_design_and_counts_domain() -> None:
    d = _frame()
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    sub = des.subset(d["female"].to_numpy() == 1, label="female == 1")
    assert sub.n == des.n and sub.n_psu == des.n_psu
    assert sub.n_obs == int((d["female"] == 1).sum())
    assert sub.subpop == "female == 1"
    # a domain missing a whole PSU loses it from the df (R degf.survey.design2)
    only = des.subset((d["psu"] != "s0p0").to_numpy())
    assert only.df == des.df - 1


def test_from_options_applies_subpop_with_the_safe_parser() -> None:
    d = _frame()
    opts = FitOptions(model="logit", formula="female ~ x", weights="w", subpop="female == 1")
    des = SurveyDesign.from_options(d, opts)
    assert des.n_obs == int((d["female"] == 1).sum())
    bad = FitOptions(model="logit", formula="female ~ x", subpop="__import__('os')")
    with pytest.raises(SpecError):
        SurveyDesign.from_options(d, bad)


def test_subbootstrap_is_rao_wu_and_seeded() -> None:
    d = _frame()
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    a = des.make_replicates("subbootstrap", 200, seed=3)
    b = des.make_replicates("subbootstrap", 200, seed=3)
    c = des.make_replicates("subbootstrap", 200, seed=4)
    assert a.repweights is not None and b.repweights is not None and c.repweights is not None
    np.testing.assert_array_equal(a.repweights, b.repweights)
    assert not np.array_equal(a.repweights, c.repweights)
    assert a.scale == pytest.approx(1 / 199) and a.reptype == "subbootstrap"
    # within a stratum, multipliers are counts × n_h/(n_h − 1) of n_h − 1 draws
    for h in range(3):
        m = a.repweights[a.psu_stratum == h]
        np.testing.assert_allclose(m.sum(axis=0), 4.0)  # (n_h − 1) · n_h/(n_h − 1)
        np.testing.assert_allclose(np.round(m * 3 / 4), m * 3 / 4, atol=1e-12)
    # replicate weights are PSU multipliers times the sampling weight
    w0 = a.replicate_weights(0)
    np.testing.assert_allclose(w0, d["w"].to_numpy() * a.repweights[a.psu, 0])


def test_bootstrap_df_is_rank_minus_one() -> None:
    d = _frame()
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    few = des.make_replicates("subbootstrap", 5, seed=1)
    many = des.make_replicates("subbootstrap", 50, seed=1)
    assert few.df == 4  # 5 independent columns: rank 5, minus 1
    # many columns: rank of the 12 PSU rows, less the 2 dependencies from every
    # stratum's multipliers summing to n_h = 4, is 10 → df 9 = #PSU − #strata
    assert many.df == 9


def test_jackknife_factors() -> None:
    d = _frame()
    unstrat = SurveyDesign.from_frame(d, weights="w", psu="psu")
    jk1 = unstrat.make_jackknife("jk1")
    assert jk1.n_replicates == 12 and jk1.scale == pytest.approx(11 / 12)
    assert jk1.repweights is not None
    np.testing.assert_allclose(np.diag(jk1.repweights), 0.0)
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    with pytest.raises(DesignError, match="unstratified"):
        des.make_jackknife("jk1")
    jkn = des.make_jackknife("jkn")
    assert jkn.n_replicates == 12
    assert jkn.rscales is not None
    np.testing.assert_allclose(jkn.rscales, 3 / 4)
    assert jkn.df == 9  # each stratum's columns sum to 4·1: rank 10, as R's qr rank


def test_matrix_rank_like_r_qr() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 4))
    b = np.column_stack([a, a[:, 0] + a[:, 1]])
    assert matrix_rank(a) == 4 and matrix_rank(b) == 4


def test_summary_names_the_design() -> None:
    d = _frame()
    des = SurveyDesign.from_frame(d, weights="w", strata="stratum", psu="psu")
    s = des.summary()
    assert (s.n_obs, s.n_psu, s.n_strata, s.df_design) == (60, 12, 3, 9.0)
    assert s.variance == "linearized" and s.strata == "stratum"
    assert s.sum_weights == pytest.approx(d["w"].sum())
