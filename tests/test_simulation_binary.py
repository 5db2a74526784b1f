"""Simulation: 95% intervals from the linearised design variance cover the truth ~95% of the time.

Known DGP (a marginal logit with covariates clustered in PSUs, unequal weights
by stratum), 200 replications of a 10-stratum × 6-PSU × 12-person design.
Coverage of each coefficient must lie in [0.90, 0.99]; with 200 replications
the binomial SE at 0.95 is 0.015, so this fails only for a real bias in the
SEs (too small by ~20% or too large by ~30%). ``scripts/simulate_coverage.py``
runs longer versions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from surveytk.models import fit

TRUE = np.array([-0.5, 0.8, -0.6])


def _sample(rng: np.random.Generator) -> pd.DataFrame:
    strata, psus, persons = 10, 6, 12
    stratum = np.repeat(np.arange(strata), psus * persons)
    psu = np.repeat(np.arange(strata * psus), persons)
    x = rng.normal(size=strata * psus)[psu] + rng.normal(size=psu.size)
    female = rng.integers(0, 2, psu.size).astype(float)
    p = special.expit(TRUE[0] + TRUE[1] * x + TRUE[2] * female)
    y = (rng.uniform(size=psu.size) < p).astype(float)
    w = (1.0 + stratum) * rng.uniform(0.8, 1.2, psu.size)
    return pd.DataFrame({"y": y, "x": x, "female": female, "stratum": stratum, "psu": psu, "w": w})


def test_linearised_logit_intervals_cover_at_nominal_rate() -> None:
    rng = np.random.default_rng(20240611)
    reps = 200
    hits = np.zeros(3)
    for _ in range(reps):
        res = fit(_sample(rng), model="logit", formula="y ~ x + female", weights="w",
                  strata="stratum", psu="psu")  # fmt: skip
        ci = res.conf_int(0.95).to_numpy()
        hits += (ci[:, 0] <= TRUE) & (ci[:, 1] >= TRUE)
    coverage = hits / reps
    assert np.all((coverage >= 0.90) & (coverage <= 0.99)), coverage
