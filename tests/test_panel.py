"""panel-fe/panel-re against R plm (tests/reference/panel_reference.R).

Sample as the R script defines it (SOEP practice data: complete cases on
id, syear, lebensz_org, alter, erwerb, anz_kind; employed = erwerb in {1, 2, 4};
children = anz_kind > 0). Tolerances (relative): estimates 1e-6, SEs 1e-5
(both closed-form least squares; only rounding separates them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.errors import ModelError
from surveytk.models.options import FitOptions
from surveytk.models.panel import cluster_adjustment, fit

RTOL_EST = 1e-6
RTOL_SE = 1e-5
FORMULA = "life_sat ~ age + employed + children"
MODEL_OF = {"panel_within": "panel-fe", "panel_random": "panel-re"}


@pytest.fixture(scope="module")
def soep(testfiles: Path) -> pd.DataFrame:
    raw = pd.read_stata(
        testfiles / "soep_practice" / "practice_dataset_eng.dta", convert_categoricals=False
    )
    cols = ["id", "syear", "lebensz_org", "alter", "erwerb", "anz_kind"]
    d = raw[cols].astype(float)
    d = d.where(d >= 0).dropna()
    return pd.DataFrame(
        {
            "id": d.id,
            "syear": d.syear,
            "life_sat": d.lebensz_org,
            "age": d.alter,
            "employed": d.erwerb.isin([1, 2, 4]).astype(float),
            "children": (d.anz_kind > 0).astype(float),
        }
    )


@pytest.fixture(scope="module")
def ref(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(
        reference_dir / "panel_reference.csv", keep_default_na=False, na_values=["NA"]
    )


@pytest.mark.parametrize("rmodel", ["panel_within", "panel_random"])
def test_matches_plm_hc1_clustered(soep: pd.DataFrame, ref: pd.DataFrame, rmodel: str) -> None:
    r = ref[(ref.model == rmodel) & (ref.variance == "cluster_HC1")]
    res = fit(soep, FitOptions(model=MODEL_OF[rmodel], formula=FORMULA, entity="id", time="syear"))  # type: ignore[arg-type]
    assert res.nobs == r.n_obs.iloc[0]
    assert res.design.n_psu == r.n_groups.iloc[0]
    tidy = res.tidy()
    assert list(tidy.term) == list(r.term)
    np.testing.assert_allclose(tidy.estimate, r.estimate, rtol=RTOL_EST)
    np.testing.assert_allclose(tidy.std_error, r.std_error, rtol=RTOL_SE)


@pytest.mark.parametrize("rmodel", ["panel_within", "panel_random"])
def test_documented_factors_relate_hc0_hc1_and_stata(
    soep: pd.DataFrame, ref: pd.DataFrame, rmodel: str
) -> None:
    """Our SEs / plm HC0 = sqrt(n/(n-k)); Stata's adds G/(G-1)·(n-1)/n on top."""
    res = fit(soep, FitOptions(model=MODEL_OF[rmodel], formula=FORMULA, entity="id", time="syear"))  # type: ignore[arg-type]
    r = ref[ref.model == rmodel]
    hc0 = r[r.variance == "cluster_HC0"].std_error.to_numpy()
    stata = r[r.variance == "cluster_stata"].std_error.to_numpy()
    n, k, g = res.nobs, len(res.params), res.design.n_psu or 0
    factor = cluster_adjustment(n, k)
    np.testing.assert_allclose(res.std_errors.to_numpy(), hc0 * np.sqrt(factor), rtol=RTOL_SE)
    np.testing.assert_allclose(
        res.std_errors.to_numpy() * np.sqrt(g / (g - 1) * (n - 1) / n), stata, rtol=RTOL_SE
    )


def test_missing_entity_or_time_is_a_clear_error(soep: pd.DataFrame) -> None:
    with pytest.raises(ModelError, match="--entity and --time"):
        fit(soep, FitOptions(model="panel-fe", formula=FORMULA, entity="id"))


def test_duplicated_entity_time_pairs_are_refused(soep: pd.DataFrame) -> None:
    d = pd.concat([soep.head(50), soep.head(5)], ignore_index=True)
    with pytest.raises(ModelError, match="repeat an"):
        fit(d, FitOptions(model="panel-fe", formula=FORMULA, entity="id", time="syear"))


def test_time_invariant_term_is_refused_for_fixed_effects(soep: pd.DataFrame) -> None:
    d = soep.assign(first=soep.groupby("id").age.transform("min"))
    with pytest.raises(ModelError, match=r"first.*absorb"):
        fit(
            d,
            FitOptions(
                model="panel-fe", formula="life_sat ~ age + first", entity="id", time="syear"
            ),
        )


def test_rescaling_weights_changes_nothing(soep: pd.DataFrame) -> None:
    rng = np.random.default_rng(3)
    ent = soep.id.unique()
    wmap = pd.Series(rng.uniform(0.5, 2.0, ent.size), index=ent)
    d = soep.assign(w=soep.id.map(wmap))
    a = fit(
        d, FitOptions(model="panel-fe", formula=FORMULA, entity="id", time="syear", weights="w")
    )
    b = fit(
        d.assign(w=d.w * 37.5),
        FitOptions(model="panel-fe", formula=FORMULA, entity="id", time="syear", weights="w"),
    )
    np.testing.assert_allclose(a.params, b.params, rtol=1e-9)
    np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-9)
