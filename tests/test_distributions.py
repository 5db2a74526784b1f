"""The reference distributions (t with design df, or the normal) equal R's and scipy's.

surveytk evaluates them without scipy up to 5,000 df (continued fraction of the
incomplete beta function; Newton for quantiles); beyond that through scipy.special.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from surveytk.survey import distributions
from surveytk.survey.distributions import (
    MAX_FRACTION_DF,
    interval_multiplier,
    quantile,
    two_sided_pvalues,
    upper_tail,
)

REFERENCE = Path(__file__).parent / "reference" / "t_distribution_reference.csv"


def _df(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def test_equal_to_r() -> None:
    ref = pd.read_csv(REFERENCE)
    for row in ref.itertuples():
        df = _df(row.df)
        if row.kind == "two_sided_p":
            got, tol = float(two_sided_pvalues(np.array([row.x]), df)[0]), 1e-300
        else:  # R's qt(0.5, 0.5) is 2.6e-16, not 0
            got, tol = quantile(row.x, df), 1e-15
        assert got == pytest.approx(row.value, rel=1e-12, abs=tol), (row.kind, df, row.x)


@pytest.mark.parametrize("df", [0.3, 1.0, 2.0, 5.0, 30.0, 300.0, 1950.0, MAX_FRACTION_DF])
def test_tails_equal_scipy_on_a_dense_grid(df: float) -> None:
    t = np.concatenate([np.linspace(0.0, 40.0, 2001), np.geomspace(40.0, 1e12, 200)])
    got = two_sided_pvalues(t, df)
    want = 2.0 * special.stdtr(df, -t)
    normal = want > 1e-300  # scipy flushes subnormal tails to 0
    np.testing.assert_allclose(got[normal], want[normal], rtol=5e-12, atol=0.0)
    assert np.all(got[~normal] < 1e-299)


@pytest.mark.parametrize("df", [1.0, 3.0, 12.0, 194.0, 5109.0, 1e6, None, float("inf")])
def test_same_as_scipy_stats(df: float | None) -> None:
    x = np.array([-40.0, -3.2, -0.5, 0.0, 0.7, 2.1, 9.0])
    dist = stats.norm if df is None or not np.isfinite(df) else stats.t(df)
    np.testing.assert_allclose(two_sided_pvalues(x, df), 2 * dist.sf(np.abs(x)), rtol=1e-12,
                               atol=1e-300)  # fmt: skip
    for p in (1e-12, 0.025, 0.5, 0.975, 0.995):
        assert quantile(p, df) == pytest.approx(float(dist.ppf(p)), rel=1e-12)
    assert interval_multiplier(0.95, df) == pytest.approx(float(dist.ppf(0.975)), rel=1e-12)
    assert upper_tail(-0.7, df) == pytest.approx(float(dist.sf(-0.7)), rel=1e-13)


@pytest.mark.parametrize("df", [0.7, 1.0, 3.0, 40.0])
@pytest.mark.parametrize("p", [1e-300, 1e-150, 1e-30, 0.2])
def test_quantile_inverts_the_tail(df: float, p: float) -> None:
    t = quantile(p, df)
    back = float(two_sided_pvalues(np.array([t]), df)[0]) / 2.0
    assert back == pytest.approx(p, rel=1e-12)


def test_edges() -> None:
    got = two_sided_pvalues(np.array([0.0, np.inf, -np.inf, np.nan, 1e300]), 4.0)
    np.testing.assert_array_equal(got[:3], [1.0, 0.0, 0.0])
    assert np.isnan(got[3]) and 0.0 <= got[4] < 1e-300
    assert quantile(0.0, 4.0) == -np.inf and quantile(1.0, 4.0) == np.inf
    assert quantile(0.5, 4.0) == 0.0 and np.isnan(quantile(np.nan, 4.0))
    assert np.isnan(quantile(1.5, None))
    assert quantile(1e-300, 0.5) == -np.inf  # beyond the largest float
    for df in (0.0, -3.0, float("nan"), float("-inf")):  # no t distribution: NaN, as scipy
        assert np.isnan(two_sided_pvalues(np.array([1.0, 0.0]), df)).all()
        assert np.isnan(quantile(0.975, df))


def test_no_scipy_up_to_the_fraction_limit() -> None:
    """The continued fraction is used up to MAX_FRACTION_DF, scipy.special beyond."""
    t = np.array([1.7, 2.5])
    assert distributions._beta_inc is not None
    below = two_sided_pvalues(t, MAX_FRACTION_DF)
    above = two_sided_pvalues(t, MAX_FRACTION_DF + 1)
    np.testing.assert_allclose(below, above, rtol=1e-4)
    np.testing.assert_allclose(above, 2 * special.stdtr(MAX_FRACTION_DF + 1, -t), rtol=1e-15)
