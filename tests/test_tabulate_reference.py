"""Shares and SEs of `tabulate` against R survey's svymean / svyby.

The reference numbers come from tests/reference/tabulate_reference.R (R survey,
run on apistrat/apiclus1 from tests/data/survey and on
tests/reference/data/design_binary.csv).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.tabulate import MISSING_LEVEL, Tabulation, tabulate

# R prints 15 significant digits; shares are ratios of sums (exact to ~1e-15) and
# the SEs go through one more square root and a sandwich: the tolerances the
# brief fixes for estimates (1e-6) and SEs (1e-5), relative.
RTOL_ESTIMATE = 1e-6
RTOL_SE = 1e-5


@pytest.fixture(scope="module")
def reference(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(
        reference_dir / "tabulate_reference.csv",
        keep_default_na=False,
        na_values=["NA"],
        dtype={"by1": str, "level": str},
    )


@pytest.fixture(scope="module")
def apistrat(testfiles: Path) -> pd.DataFrame:
    d = pd.read_csv(testfiles / "survey" / "apistrat.csv")
    # the same missing values the R script makes
    d["awards_na"] = d["awards"].where(d["snum"] % 7 != 0)
    return d


@pytest.fixture(scope="module")
def apiclus1(testfiles: Path) -> pd.DataFrame:
    return pd.read_csv(testfiles / "survey" / "apiclus1.csv")


@pytest.fixture(scope="module")
def binary(reference_dir: Path) -> pd.DataFrame:
    cols = ["stratum", "psu", "fpc", "w", "area", "ynom"]
    return pd.read_csv(reference_dir / "data" / "design_binary.csv", usecols=cols)


STRAT = {"weights": "pw", "strata": "stype", "fpc": "fpc"}
CLUS = {"weights": "pw", "psu": "dnum", "fpc": "fpc"}
BIN = {"weights": "w", "strata": "stratum", "psu": "psu", "fpc": "fpc"}

CASES = {
    "apistrat_awards": ("apistrat", ["awards"], STRAT, False),
    "apistrat_awards_missing": ("apistrat", ["awards_na"], STRAT, False),
    "apistrat_awards_dropna": ("apistrat", ["awards_na"], STRAT, True),
    "apistrat_stype_awards": ("apistrat", ["stype", "awards"], STRAT, False),
    "apiclus1_stype": ("apiclus1", ["stype"], CLUS, False),
    "apiclus1_stype_schwide": ("apiclus1", ["stype", "sch.wide"], CLUS, False),
    "binary_area": ("binary", ["area"], BIN, False),
    "binary_area_ynom": ("binary", ["area", "ynom"], BIN, False),
}


def _run(fixture: str, request: pytest.FixtureRequest) -> Tabulation:
    data_name, by, design, dropna = CASES[fixture]
    data = request.getfixturevalue(data_name)
    # threshold 1: the reference cells include small ones (apiclus1 H/No has n = 3);
    # here the numbers are under test, not disclosure control
    return tabulate(data, by, threshold=1, dropna=dropna, **design)


def _merged(tab: Tabulation, ref: pd.DataFrame) -> pd.DataFrame:
    ours = tab.cells.assign(domain=tab.cells["domain"].astype(str))
    theirs = ref.rename(columns={"by1": "domain"}).assign(domain=lambda d: d["domain"].fillna(""))
    merged = theirs.merge(ours, on=["domain", "level"], how="outer", suffixes=("_r", ""))
    assert len(merged) == len(ours) == len(theirs), "level sets differ from R's"
    return merged


@pytest.mark.parametrize("fixture", list(CASES))
def test_shares_and_ses_match_r(
    fixture: str, reference: pd.DataFrame, request: pytest.FixtureRequest
) -> None:
    ref = reference[reference["fixture"] == fixture]
    assert len(ref) > 0
    tab = _run(fixture, request)
    m = _merged(tab, ref)
    assert not m["suppressed"].any()
    np.testing.assert_allclose(m["share"], m["estimate"], rtol=RTOL_ESTIMATE, atol=1e-12)
    np.testing.assert_allclose(m["std_error"], m["std_error_r"], rtol=RTOL_SE)
    np.testing.assert_allclose(m["df"], m["df_r"], rtol=0)
    np.testing.assert_allclose(m["conf_low"], m["conf_low_r"], rtol=RTOL_SE, atol=1e-9)
    np.testing.assert_allclose(m["conf_high"], m["conf_high_r"], rtol=RTOL_SE, atol=1e-9)
    np.testing.assert_array_equal(m["n"], m["n_r"])


def test_missing_is_its_own_level_like_r(reference: pd.DataFrame, apistrat: pd.DataFrame) -> None:
    tab = tabulate(apistrat, ["awards_na"], threshold=1, **STRAT)
    assert list(tab.cells["level"]) == ["No", "Yes", MISSING_LEVEL]
    assert tab.cells["share"].sum() == pytest.approx(1.0)


def test_dropna_reports_the_rows_left_out(apistrat: pd.DataFrame) -> None:
    tab = tabulate(apistrat, ["awards_na"], threshold=1, dropna=True, **STRAT)
    n_missing = int(apistrat["awards_na"].isna().sum())
    assert n_missing > 0
    assert MISSING_LEVEL not in set(tab.cells["level"])
    assert any(f"{n_missing} respondents with missing awards_na" in n for n in tab.notes)
    assert tab.n_total == len(apistrat) - n_missing
