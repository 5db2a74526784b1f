"""The scipy.special-based reference distributions equal scipy.stats'."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from surveytk.models.distributions import interval_multiplier, quantile, two_sided_pvalues


@pytest.mark.parametrize("df", [1.0, 3.0, 12.0, 194.0, 5109.0, None, float("inf")])
def test_same_as_scipy_stats(df: float | None) -> None:
    x = np.array([-40.0, -3.2, -0.5, 0.0, 0.7, 2.1, 9.0])
    dist = stats.norm if df is None or not np.isfinite(df) else stats.t(df)
    np.testing.assert_allclose(two_sided_pvalues(x, df), 2 * dist.sf(np.abs(x)), rtol=1e-12,
                               atol=1e-300)
    for p in (0.025, 0.5, 0.975, 0.995):
        assert quantile(p, df) == pytest.approx(float(dist.ppf(p)), rel=1e-12)
    assert interval_multiplier(0.95, df) == pytest.approx(float(dist.ppf(0.975)), rel=1e-12)
