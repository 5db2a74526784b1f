"""mlogit fit() against R (tests/reference/multinomial_reference.R), and errors.

Tolerances (relative): estimates 1e-6 — R's are nnet::multinom estimates
Newton-polished on the analytic score; standard errors 1e-5 — R's linearised
SEs use the same sandwich from per-observation scores, its replicate SEs
refit every replicate to the same precision; p-values 1e-5.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.errors import ModelError
from surveytk.models.multinomial import choose_base, fit
from surveytk.models.options import FitOptions

RTOL_EST = 1e-6
RTOL_SE = 1e-5
FORMULA = "ynom ~ age + female + employed + children + distance"
LEVELS = ["return", "stay", "move_on", "undecided"]  # the R script's level order


def read_ref(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=["NA"])


@pytest.fixture(scope="module")
def data(reference_dir: Path) -> pd.DataFrame:
    d = pd.read_csv(reference_dir / "data" / "design_binary.csv")
    d["ynom"] = pd.Categorical(d["ynom"], categories=LEVELS)
    return d


@pytest.fixture(scope="module")
def ref(reference_dir: Path) -> pd.DataFrame:
    return read_ref(reference_dir / "multinomial_reference.csv")


@pytest.fixture(scope="module")
def replicates(reference_dir: Path) -> dict:
    return json.loads((reference_dir / "data" / "design_binary_replicates.json").read_text())


def options_for(fixture: str, reps: dict) -> FitOptions:
    if fixture == "design_binary_lin":
        return FitOptions(model="mlogit", formula=FORMULA, weights="w", strata="stratum", psu="psu")
    name, pattern, reptype = {
        "design_binary_bootstrap": ("bootstrap", "^bs[0-9]+$", "bootstrap"),
        "design_binary_jk1": ("jk1", "^jk1_[0-9]+$", "jk1"),
    }[fixture]
    spec = reps[name]
    return FitOptions(
        model="mlogit",
        formula=FORMULA,
        weights="w",
        repweights=pattern,
        reptype=reptype,  # type: ignore[arg-type]
        scale=spec["scale"],
        rscales=tuple(spec["rscales"]),
        mse=spec["mse"],
    )


@pytest.mark.parametrize(
    "fixture", ["design_binary_lin", "design_binary_bootstrap", "design_binary_jk1"]
)
def test_matches_r(data: pd.DataFrame, ref: pd.DataFrame, replicates: dict, fixture: str) -> None:
    r = ref[ref.fixture == fixture]
    res = fit(data, options_for(fixture, replicates))
    assert res.base_level == r.base_level.iloc[0] == "stay"
    tidy = res.tidy()
    assert list(zip(tidy.y_level, tidy.term, strict=True)) == list(
        zip(r.y_level, r.term, strict=True)
    )
    np.testing.assert_allclose(tidy.estimate, r.estimate, rtol=RTOL_EST)
    np.testing.assert_allclose(tidy.std_error, r.std_error, rtol=RTOL_SE)
    assert res.df_resid == r.df.iloc[0]
    np.testing.assert_allclose(tidy.p_value, r.p_value, rtol=1e-5)


def test_nnet_point_estimates_with_r_base_and_other_base(
    data: pd.DataFrame, ref: pd.DataFrame
) -> None:
    r = ref[ref.fixture == "design_binary_lin"].set_index(["y_level", "term"]).estimate
    res = fit(data, FitOptions(model="mlogit", formula=FORMULA, weights="w", base="return"))
    est = res.params
    # log(P(move_on)/P(return)) = b_move_on - b_return (both against stay)
    for term in ["(Intercept)", "age", "distance"]:
        want = r[("move_on", term)] - r[("return", term)]
        assert est[f"move_on:{term}"] == pytest.approx(want, rel=1e-6, abs=1e-9)
        assert est[f"stay:{term}"] == pytest.approx(-r[("return", term)], rel=1e-6, abs=1e-9)
    assert "base level 'return' (as requested)" in res.notes[0]


def test_default_base_is_most_frequent_weighted_level() -> None:
    y = np.array([0, 0, 1, 2, 2, 2])
    assert choose_base(("a", "b", "c"), y, np.ones(6), None) == 2
    assert choose_base(("a", "b", "c"), y, np.array([9.0, 9, 1, 1, 1, 1]), None) == 0
    with pytest.raises(ModelError, match="levels: a, b, c"):
        choose_base(("a", "b", "c"), y, np.ones(6), "zzz")


def test_ames_per_level_sum_to_zero(data: pd.DataFrame) -> None:
    res = fit(
        data,
        FitOptions(
            model="mlogit", formula="ynom ~ age + employed", weights="w", psu="psu", ame=True
        ),
    )
    assert res.ame is not None
    assert set(res.ame.y_levels) == set(LEVELS)
    sums = pd.Series(res.ame.estimates).groupby(list(res.ame.terms)).sum()
    np.testing.assert_allclose(sums.to_numpy(), 0.0, atol=1e-10)


def test_unused_category_is_left_out_and_named(data: pd.DataFrame) -> None:
    d = data[["ynom", "age", "w"]].copy()
    d = d[d.ynom != "move_on"]
    d["ynom"] = pd.Categorical(d["ynom"], categories=LEVELS)
    res = fit(d, FitOptions(model="mlogit", formula="ynom ~ age", weights="w"))
    assert "move_on" not in res.coef.y_levels
    assert any("'move_on'" in n and "not modelled" in n for n in res.notes)
    # the same model as on an outcome that never declared the category
    d2 = d.assign(ynom=d["ynom"].cat.remove_unused_categories())
    res2 = fit(d2, FitOptions(model="mlogit", formula="ynom ~ age", weights="w"))
    np.testing.assert_allclose(res.coef.estimates, res2.coef.estimates, rtol=1e-12)
    np.testing.assert_allclose(res.coef.cov, res2.coef.cov, rtol=1e-12)


def test_separation_within_a_level_names_the_term(data: pd.DataFrame) -> None:
    d = data[["ynom", "age", "w"]].copy()
    d["flag"] = (d.ynom == "move_on").astype(float)
    with pytest.raises(ModelError, match=r"move_on:flag.*separates"):
        fit(d, FitOptions(model="mlogit", formula="ynom ~ age + flag", weights="w", maxiter=60))


def test_single_level_outcome_is_refused(data: pd.DataFrame) -> None:
    d = data[["age", "w"]].assign(ynom="stay")
    with pytest.raises(ModelError, match="fewer than two levels"):
        fit(d, FitOptions(model="mlogit", formula="ynom ~ age", weights="w"))


def test_simulated_design_recovers_effects() -> None:
    """DGP in the test: estimates within 4 linearised SEs of the truth."""
    rng = np.random.default_rng(11)
    n = 4000
    d = pd.DataFrame({"x": rng.normal(size=n), "psu": rng.integers(0, 80, n)})
    d["w"] = rng.uniform(0.5, 2.0, n)
    true = {"b": (0.3, 0.8), "c": (-0.5, -0.6)}
    util = np.column_stack(
        [np.zeros(n)] + [a + b * d.x.to_numpy() for a, b in true.values()]
    ) + rng.gumbel(size=(n, 3))
    d["y"] = np.array(["a", "b", "c"])[util.argmax(1)]
    res = fit(d, FitOptions(model="mlogit", formula="y ~ x", weights="w", psu="psu", base="a"))
    want = np.array([v for pair in true.values() for v in pair])
    z = (res.params.to_numpy() - want) / res.std_errors.to_numpy()
    assert np.all(np.abs(z) < 4), z
