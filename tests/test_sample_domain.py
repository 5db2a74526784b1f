"""Sample rules of an analysis spec are domains (the full design kept), and named design
columns must exist (surveytk.analysis.runner / sample).

Reference: tests/reference/declared_missing_reference.R, part B: R survey's
svyglm(api00 ~ ell + meals, design = subset(design, rule)) on R's api data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.analysis.runner import fit_model, rescale_pooled_weights, with_sample_rules
from surveytk.analysis.sample import apply_rules, domain_condition, sample_domain
from surveytk.analysis.spec import DesignSpec, ModelSpec
from surveytk.errors import SpecError

HERE = Path(__file__).parent
REF = pd.read_csv(HERE / "reference" / "declared_missing_reference.csv")
APICLUS1 = pd.read_csv(HERE / "data" / "survey" / "apiclus1.csv")
APISTRAT = pd.read_csv(HERE / "data" / "survey" / "apistrat.csv")


def _model(design: DesignSpec, formula: str = "api00 ~ ell + meals") -> ModelSpec:
    return ModelSpec(name="m", model="lpm", data="api", formula=formula, design=design)


@pytest.mark.parametrize(
    ("fixture", "data", "design", "rules"),
    [
        ("domain_clus1", APICLUS1, DesignSpec(weights="pw", strata=None, psu="dnum", fpc="fpc"),
         ["enroll >= 400", 'stype != "H"']),
        ("domain_strat", APISTRAT, DesignSpec(weights="pw", strata="stype", psu=None, fpc="fpc"),
         ["api99 > 600"]),
    ],
)
def test_sample_rules_are_domains_as_r_subset(
    fixture: str, data: pd.DataFrame, design: DesignSpec, rules: list[str]
) -> None:
    m = with_sample_rules(_model(design), rules)
    res = fit_model(m, data, seed=1)
    ref = REF[REF["fixture"] == fixture].set_index("term")
    np.testing.assert_allclose(res.params.to_numpy(), ref["estimate"].to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.std_errors.to_numpy(), ref["std_error"].to_numpy(),
                               rtol=1e-6)
    assert res.df_resid == ref["df"].iloc[0]
    # removing the rows first (what the runner used to do) gives other standard errors
    kept, account = apply_rules(data, rules)
    removed = fit_model(_model(design), kept, seed=1)
    assert not np.allclose(removed.std_errors.to_numpy(), ref["std_error"].to_numpy(),
                           rtol=1e-3)
    assert account.rows_out == res.design.n_obs


def test_rules_and_subpop_combine() -> None:
    m = _model(DesignSpec(weights="pw", strata=None, psu="dnum"))
    m = m.model_copy(update={"subpop": "meals < 80"})
    combined = with_sample_rules(m, ["enroll >= 400"])
    assert combined.subpop == "(enroll >= 400) & (meals < 80)"
    assert domain_condition() is None
    mask, account = sample_domain(APICLUS1, ["enroll >= 400"])
    assert account.excluded == {"enroll >= 400": int((APICLUS1["enroll"] < 400).sum())}
    assert mask.sum() == account.rows_out


def test_named_design_column_must_exist() -> None:
    m = _model(DesignSpec(weights="pw", strata=None, psu="cluster"))
    with pytest.raises(SpecError) as err:
        fit_model(m, APICLUS1, seed=1, where="data 'api'")
    msg = str(err.value)
    assert "psu column 'cluster' is not in data 'api'" in msg and "`psu: null`" in msg
    assert "\n" not in msg
    empty = APICLUS1.assign(cluster=np.nan)
    with pytest.raises(SpecError, match="'cluster' has no value in"):
        fit_model(m, empty, seed=1)


def test_default_design_names_left_out_with_a_note() -> None:
    # the spec did not write weights/strata/psu: defaults that the table lacks
    res = fit_model(_model(DesignSpec()), APICLUS1, seed=1)
    assert any("no weights column 'weight'" in n for n in res.notes)
    assert any("no psu column 'psu'" in n for n in res.notes)
    # explicit null: left out, no note
    res = fit_model(_model(DesignSpec(weights=None, strata=None, psu=None)), APICLUS1, seed=1)
    assert not any(n.startswith("design:") for n in res.notes)


def test_pooled_weights_rescaled_over_the_domain() -> None:
    rng = np.random.default_rng(3)
    n = 300
    table = pd.DataFrame({
        "source": rng.choice(["a", "b"], n),
        "weight_unscaled": rng.uniform(0.5, 3, n),
        "age": rng.integers(10, 80, n),
    })
    domain, _ = sample_domain(table, ["age >= 18"])
    out = rescale_pooled_weights(table, "sample", domain=domain)
    for s in ("a", "b"):
        rows = (out["source"] == s).to_numpy()
        assert out.loc[rows & domain, "weight"].sum() == pytest.approx((rows & domain).sum())
        ratio = out.loc[rows, "weight"] / out.loc[rows, "weight_unscaled"]
        assert ratio.std() == pytest.approx(0.0, abs=1e-12)  # one factor per source
    # the same factor as scaling the kept rows alone (the estimates keep their meaning)
    kept = rescale_pooled_weights(table.loc[domain].reset_index(drop=True), "sample")
    np.testing.assert_allclose(out.loc[domain, "weight"].to_numpy(), kept["weight"].to_numpy())


def test_spec_define_block_is_checked(tmp_path: Path) -> None:
    from surveytk.analysis.spec import load_spec
    from surveytk.paths import BUILTIN_ANALYSES_DIR as ANALYSES_DIR

    text = (ANALYSES_DIR / "return_intentions.yaml").read_text(encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("pool_weights: sample",
                                 'define: {old: "open(age)"}\npool_weights: sample'),
                    encoding="utf-8")
    with pytest.raises(SpecError, match=r"define: .*`open\(\.\.\.\)` is not allowed"):
        load_spec(path)
    path.write_text(text.replace("pool_weights: sample",
                                 'define: {old: "age >= 60"}\npool_weights: sample'),
                    encoding="utf-8")
    assert load_spec(path).define == {"old": "age >= 60"}
