"""AMEs and predictions of panel models; option parsing and CLI paths of issue 15.

Linear panel AMEs are exact linear combinations of the coefficients (checked
here in closed form; the coefficients themselves match R plm in
tests/test_panel.py). The CLI tests run ``surveytk fit`` on R's api data and
read the files back.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from surveytk.cli.main import cli
from surveytk.errors import ModelError, OutputError
from surveytk.models import fit
from surveytk.models.effects import parse_predict, prediction_records
from surveytk.models.results import FitResult
from surveytk.models.tests import contrast_weights, term_columns

HERE = Path(__file__).parent
APISTRAT = HERE / "data" / "survey" / "apistrat.csv"


def _panel(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_id, n_t = 120, 4
    ids = np.repeat(np.arange(n_id), n_t)
    alpha = rng.normal(size=n_id)[ids]
    age = rng.uniform(20, 60, size=ids.size) + np.tile(np.arange(n_t), n_id)
    y = 1 + 0.05 * age - 0.0004 * age**2 + alpha + rng.normal(size=ids.size)
    w = rng.uniform(0.5, 2.0, size=n_id)[ids]
    return pd.DataFrame({"id": ids, "t": np.tile(np.arange(n_t), n_id), "age": age, "y": y,
                         "w": w})  # fmt: skip


def _one(*args: object, **kwargs: object) -> FitResult:
    res = fit(*args, **kwargs)
    assert isinstance(res, FitResult)
    return res


@pytest.mark.parametrize("model", ["panel-fe", "panel-re"])
def test_panel_ame_of_a_quadratic_is_b1_plus_2_b2_mean_age(model: str) -> None:
    d = _panel()
    res = _one(d, model=model, formula="y ~ age + I(age ** 2)", entity="id", time="t",
               weights="w", ame=True)  # fmt: skip
    assert res.ame is not None
    b = res.params
    V = res.cov
    mean_age = np.average(d["age"], weights=d["w"])
    g = pd.Series(0.0, index=b.index)
    g["age"], g["I(age ** 2)"] = 1.0, 2.0 * mean_age
    assert res.ame.terms == ("age",)
    np.testing.assert_allclose(res.ame.estimates[0], g @ b, rtol=1e-6)
    np.testing.assert_allclose(res.ame.std_errors[0], np.sqrt(g @ V @ g), rtol=1e-6)


def test_panel_fe_prediction_at_observed_values_is_the_weighted_mean() -> None:
    d = _panel()
    d["grp"] = np.where(d["id"] % 2 == 0, "a", "b")
    res = _one(d, model="panel-fe", formula="y ~ age", entity="id", time="t", weights="w",
               predict=("age=30:50:10",))  # fmt: skip
    recs = res.extra["predictions"]
    assert [r["x"] for r in recs] == [30.0, 40.0, 50.0]
    b = float(res.params["age"])
    # within model: mean_w(y) + b (age_at - mean_w(age)); gradient age_at - mean_w(age)
    ybar = np.average(d["y"], weights=d["w"])
    abar = np.average(d["age"], weights=d["w"])
    for r in recs:
        np.testing.assert_allclose(r["estimate"], ybar + b * (r["x"] - abar), rtol=1e-9)
        np.testing.assert_allclose(r["std_error"], abs(r["x"] - abar) * res.std_errors["age"],
                                   rtol=1e-9)  # fmt: skip


def test_panel_refuses_unconditional_ame() -> None:
    with pytest.raises(ModelError, match=r'unconditional"? is not available for panel'):
        fit(_panel(), model="panel-re", formula="y ~ age", entity="id", time="t", ame=True,
            ame_vce="unconditional")  # fmt: skip


def test_parse_predict() -> None:
    assert parse_predict("age=18:75:5, gender") == [("age", ["18:75:5"]), ("gender", None)]
    assert parse_predict("x=1|2 3") == [("x", ["1", "2", "3"])]
    for bad in ("", "a, b, c", "a,", "=3", "a=", "a, a"):
        with pytest.raises(ModelError):
            parse_predict(bad)


def test_options_need_ame_and_glm_models() -> None:
    d = pd.read_csv(APISTRAT)
    with pytest.raises(ModelError, match="add ame=True"):
        fit(d, model="lpm", formula="api00 ~ ell", discrete=("ell",))
    with pytest.raises(ModelError, match="apply to the models poisson"):
        fit(d, model="lpm", formula="api00 ~ ell", offset="enroll")
    with pytest.raises(ModelError, match="takes values other than 0 and 1"):
        fit(d, model="lpm", formula="api00 ~ ell", ame=True, discrete=("ell",))
    with pytest.raises(ModelError, match="not a term of the model"):
        fit(d, model="lpm", formula="api00 ~ ell", wald=("meals",))
    with pytest.raises(ModelError, match="not a coefficient"):
        fit(d, model="lpm", formula="api00 ~ ell", contrast=("ell - meals",))
    with pytest.raises(ModelError, match="exposure must be positive"):
        fit(d.assign(z=0.0), model="poisson", formula="enroll ~ ell", exposure="z")


def test_term_and_contrast_matching() -> None:
    d = pd.read_csv(APISTRAT)
    res = _one(d, model="lpm", formula="api00 ~ ell + C(stype) + ell:meals + meals")
    terms = res.coef.terms
    assert [terms[i] for i in term_columns(res.coef, "C(stype)")] == ["stype[H]", "stype[M]"]
    assert [terms[i] for i in term_columns(res.coef, "stype")] == ["stype[H]", "stype[M]"]
    assert [terms[i] for i in term_columns(res.coef, "meals:ell")] == ["ell:meals"]
    assert [terms[i] for i in term_columns(res.coef, "ell")] == ["ell"]
    L = contrast_weights(res.coef, "-ell + 2.5*stype[H] - -meals")
    assert dict(zip(terms, L, strict=True)) == {
        "(Intercept)": 0.0, "ell": -1.0, "stype[H]": 2.5, "stype[M]": 0.0, "meals": 1.0,
        "ell:meals": 0.0}  # fmt: skip


def test_cli_fit_by_wald_predict_and_plot(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "m.json"
    data = tmp_path / "apistrat.csv"
    pd.read_csv(APISTRAT).rename(columns={"api.stu": "api_stu"}).to_csv(data, index=False)
    args = ["fit", str(data), "--model", "poisson", "--formula", "api_stu ~ meals + stype",
            "--exposure", "enroll", "--weights", "pw", "--strata", "stype", "--fpc", "fpc",
            "--wald", "stype", "--contrast", "stype[H] - stype[M]", "--predict",
            "meals=10:90:20, stype", "--ame", "--out", str(out)]  # fmt: skip
    r = runner.invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert "Wald test stype: F(2," in r.output
    res = FitResult.load(out)
    assert [t["effect"] for t in res.tests] == ["wald", "contrast"]
    assert len(res.extra["predictions"]) == 5 * 3
    png = tmp_path / "p.png"
    r = runner.invoke(cli, ["plot", str(out), "--kind", "predicted", "--out", str(png)])
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_fit_by_writes_json_csv_and_table(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["fit", str(APISTRAT), "--model", "lpm", "--formula", "api00 ~ ell + meals",
            "--weights", "pw", "--strata", "stype", "--fpc", "fpc", "--by", "awards"]  # fmt: skip
    for suffix in ("json", "csv", "md"):
        out = tmp_path / f"by.{suffix}"
        r = runner.invoke(cli, [*base, "--out", str(out)])
        assert r.exit_code == 0, r.output
        assert "== awards = No" in r.output and "== awards = Yes" in r.output
    d = json.loads((tmp_path / "by.json").read_text())
    assert d["kind"] == "by" and d["levels"] == ["No", "Yes"]
    csv = pd.read_csv(tmp_path / "by.csv")
    assert list(csv.columns[:2]) == ["by", "domain"] and set(csv["domain"]) == {"No", "Yes"}
    md = (tmp_path / "by.md").read_text()
    assert "No" in md and "Yes" in md
    r = runner.invoke(cli, [*base[:-2], "--out", str(tmp_path / "x.md")])
    assert isinstance(r.exception, OutputError) and "--out must end in" in str(r.exception)
    r = runner.invoke(cli, ["table", str(tmp_path / "by.json"), "-o", str(tmp_path / "t.md")])
    assert r.exit_code == 0, r.output


def test_negbin_without_overdispersion_and_gamma_range_are_clear_errors() -> None:
    rng = np.random.default_rng(4)
    n = 400
    d = pd.DataFrame({"x": rng.normal(size=n), "y": rng.binomial(20, 0.1, size=n),
                      "w": 1.0, "psu": np.arange(n)})  # fmt: skip
    with pytest.raises(ModelError, match="no overdispersion"):
        fit(d, model="negbin", formula="y ~ x", weights="w", psu="psu")
    with pytest.raises(ModelError, match="must be positive"):
        fit(d, model="gamma", formula="y ~ x", weights="w", psu="psu")


def test_prediction_records_layout_types_rounding_and_std_error() -> None:
    table = pd.DataFrame({
        "age": [20.0, 30.0], "wave": [2.0, 3.0], "y_level": ["", ""],
        "estimate": [0.1234567, 0.5], "std_error": [0.0101, 0.02],
        "conf_low": [0.1, 0.46], "conf_high": [0.15, 0.54],
    })  # fmt: skip
    full = prediction_records(table, "age", "wave")
    assert list(full[0]) == ["x_var", "x", "group_var", "group", "y_level", "estimate",
                             "std_error", "conf_low", "conf_high"]
    assert full[0]["x"] == 20.0 and full[0]["group"] == "2" and full[1]["group"] == "3"
    assert full[0]["estimate"] == 0.1234567 and full[0]["std_error"] == 0.0101
    short = prediction_records(table, "wave", std_error=False, digits=3)
    assert "std_error" not in short[0]
    assert short[0]["estimate"] == 0.123 and short[0]["group_var"] == short[0]["group"] == ""
    levels = pd.DataFrame({"employed": [False, True], "y_level": ["stay", "stay"],
                           "estimate": [0.4, 0.5], "std_error": [0.1, 0.1],
                           "conf_low": [0.2, 0.3], "conf_high": [0.6, 0.7]})
    assert [r["x"] for r in prediction_records(levels, "employed")] == ["False", "True"]
    assert prediction_records(levels, "employed")[0]["y_level"] == "stay"
