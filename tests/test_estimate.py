"""`surveytk estimate`: closed forms, a known data-generating process, the CLI and its errors.

R agreement of every statistic is in test_estimate_reference.py; here the
estimators are checked against formulas that hold exactly, against a simulated
population whose parameters are known, and the command as a user meets it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from surveytk.cli.main import cli
from surveytk.estimate import TIDY_COLUMNS, EstimateRequest, estimate
from surveytk.survey.design import SurveyDesign
from surveytk.survey.estimators import (
    logit_replicate_std_error,
    proportion_interval,
    survey_mean,
    survey_total,
)
from surveytk.survey.hypothesis import rao_scott_test, two_group_ttest
from surveytk.survey.quantiles import quantile_math, survey_quantiles

APISTRAT = Path(__file__).parent / "data" / "survey" / "apistrat.csv"
REF = Path(__file__).parent / "reference"
STRAT = ["--weights", "pw", "--strata", "stype", "--fpc", "fpc"]


def _ref_row(dataset: str, by: str, statistic: str, variable: str, domain: str = "") -> pd.Series:
    ref = pd.read_csv(
        REF / "estimate_reference.csv", keep_default_na=False, na_values=["NA"], dtype=str
    )
    hit = ref[
        (ref["dataset"] == dataset)
        & (ref["by"] == by)
        & (ref["statistic"] == statistic)
        & (ref["variable"] == variable)
        & (ref["domain"] == domain)
    ]
    assert len(hit) == 1
    return hit.iloc[0]


# ---------------------------------------------------------------------------
# closed forms
# ---------------------------------------------------------------------------


def test_srs_mean_se_is_s_over_root_n() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(5.0, 2.0, size=200)
    design = SurveyDesign.from_frame(pd.DataFrame({"y": y}))
    est = survey_mean(y, design)
    assert est.estimate[0] == pytest.approx(y.mean(), rel=1e-12)
    assert est.std_error[0] == pytest.approx(y.std(ddof=1) / np.sqrt(y.size), rel=1e-12)
    assert est.df == y.size - 1


def test_rescaling_weights_keeps_means_and_scales_totals() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {"y": rng.normal(size=120), "w": rng.uniform(1, 5, 120), "s": np.repeat([0, 1, 2], 40)}
    )
    d1 = SurveyDesign.from_frame(frame, weights="w", strata="s")
    d2 = SurveyDesign.from_frame(frame.assign(w=frame["w"] * 7.0), weights="w", strata="s")
    m1, m2 = survey_mean(frame["y"].to_numpy(), d1), survey_mean(frame["y"].to_numpy(), d2)
    assert m2.estimate == pytest.approx(m1.estimate, rel=1e-12)
    assert m2.std_error == pytest.approx(m1.std_error, rel=1e-12)
    t1, t2 = survey_total(frame["y"].to_numpy(), d1), survey_total(frame["y"].to_numpy(), d2)
    assert t2.estimate == pytest.approx(7.0 * t1.estimate, rel=1e-12)
    assert t2.std_error == pytest.approx(7.0 * t1.std_error, rel=1e-12)
    q1 = survey_quantiles(frame["y"].to_numpy(), d1, [0.3])[0]
    q2 = survey_quantiles(frame["y"].to_numpy(), d2, [0.3])[0]
    assert (q1.estimate, q1.conf_low, q1.conf_high) == (q2.estimate, q2.conf_low, q2.conf_high)


def test_quantile_math_rule() -> None:
    x = np.arange(1.0, 11.0)
    w = np.ones(10)
    assert quantile_math(x, w, 0.5) == 5.0  # C_5 / W = 0.5 exactly: the lower value
    assert quantile_math(x, w, 0.51) == 6.0
    assert quantile_math(x, w, 1.0) == 10.0
    assert quantile_math(x[::-1], w, 0.25) == 3.0  # order of rows does not matter
    assert quantile_math(x, np.r_[np.zeros(5), np.ones(5)], 0.5) == 8.0  # zero weights out


def test_proportion_intervals_stay_in_unit_interval() -> None:
    for method in ("logit", "beta"):
        lo, hi = proportion_interval(0.02, 0.015, 30.0, 200, method)
        assert 0.0 < lo < 0.02 < hi < 1.0
    lo, hi = proportion_interval(0.02, 0.015, 30.0, 200, "wald")
    assert lo < 0.0  # the Wald interval is the one that can leave [0, 1]


def test_rao_scott_on_independent_srs_is_pearson_scaled() -> None:
    # equal weights, no clusters: the design effects are n/(n−1)·(1 − ...) ~ 1, so F
    # is close to X²/((r−1)(c−1)) and the test does not reject independent variables
    rng = np.random.default_rng(3)
    n = 2000
    a = rng.integers(0, 3, n)
    b = rng.integers(0, 2, n)
    design = SurveyDesign.from_frame(pd.DataFrame({"a": a}))
    res = rao_scott_test(a, b, design)
    table = pd.crosstab(a, b).to_numpy() / n
    exp = np.outer(table.sum(1), table.sum(0))
    pearson = n * ((table - exp) ** 2 / exp).sum()
    assert res.statistic == pytest.approx(pearson / 2, rel=0.01)
    assert res.ndf == pytest.approx(2.0, rel=0.01)


# ---------------------------------------------------------------------------
# a known data-generating process
# ---------------------------------------------------------------------------


def _population(rng: np.random.Generator) -> pd.DataFrame:
    """40 strata-by-cluster blocks: 4 strata × 50 clusters × 30 people."""
    h = np.repeat(np.arange(4), 50 * 30)
    c = np.repeat(np.arange(200), 30)
    u = rng.normal(0, 3, 200)[c]
    y = 20 + 4 * h + u + rng.normal(0, 6, h.size)
    g = rng.integers(0, 2, h.size)
    return pd.DataFrame({"h": h, "c": c, "y": y + 2.0 * g, "g": g})


def test_intervals_cover_known_population_values() -> None:
    rng = np.random.default_rng(20261202)
    pop = _population(rng)
    truth_mean = pop["y"].mean()
    truth_median = float(np.quantile(pop["y"], 0.5))
    truth_diff = pop.loc[pop.g == 1, "y"].mean() - pop.loc[pop.g == 0, "y"].mean()
    hits = {"mean": 0, "median": 0, "diff": 0}
    reps = 150
    for _ in range(reps):
        picks = np.concatenate(
            [rng.choice(np.arange(50 * k, 50 * (k + 1)), 6, replace=False) for k in range(4)]
        )
        s = pop[pop["c"].isin(picks)].copy()
        s["w"] = 50 / 6
        s["fpc"] = 50
        d = SurveyDesign.from_frame(s, weights="w", strata="h", psu="c", fpc="fpc")
        m = survey_mean(s["y"].to_numpy(), d)
        lo, hi = m.estimate[0] - 2.074 * m.std_error[0], m.estimate[0] + 2.074 * m.std_error[0]
        hits["mean"] += lo <= truth_mean <= hi
        q = survey_quantiles(s["y"].to_numpy(), d, [0.5])[0]
        hits["median"] += q.conf_low <= truth_median <= q.conf_high
        t = two_group_ttest(s["y"].to_numpy(), s["g"].to_numpy(), d)
        hits["diff"] += t.conf_low <= truth_diff <= t.conf_high
    # 95% intervals from 24 PSUs: coverage near 0.95; 150 replications put the
    # binomial sd at 0.018, so [0.88, 0.995] fails a broken variance, not bad luck
    for name, k in hits.items():
        assert 0.88 <= k / reps <= 0.995, f"{name}: coverage {k / reps:.2f}"


# ---------------------------------------------------------------------------
# the command
# ---------------------------------------------------------------------------


def _run(*args: str | Path) -> Result:
    """``surveytk estimate APISTRAT <args>`` with apistrat's design, unless args name a file."""
    head = [] if args and isinstance(args[0], Path) else [APISTRAT, *STRAT]
    return CliRunner().invoke(cli, ["estimate", *map(str, head), *map(str, args)])


def test_help_lists_options() -> None:
    res = CliRunner().invoke(cli, ["estimate", "--help"])
    assert res.exit_code == 0
    for opt in ("--mean", "--ratio", "--quantile", "--prop", "--by", "--chisq", "--ttest"):
        assert opt in res.output


def test_csv_is_the_tidy_contract_and_equals_r(tmp_path: Path) -> None:
    out = tmp_path / "est.csv"
    res = _run("--mean", "api00", "--ratio", "api00/api99", "--deff", "--out", out)
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert tuple(got.columns) == TIDY_COLUMNS
    for stat, var in (("mean", "api00"), ("ratio", "api00/api99")):
        row = got[(got["statistic"] == stat) & (got["variable"] == var)].iloc[0]
        ref = _ref_row("apistrat", "", stat, var)
        for col in ("estimate", "std_error", "conf_low", "conf_high", "deff"):
            assert row[col] == pytest.approx(float(ref[col]), rel=1e-6)


def test_parquet_and_csv_give_the_same_numbers(tmp_path: Path) -> None:
    pq = tmp_path / "apistrat.parquet"
    pd.read_csv(APISTRAT).to_parquet(pq)
    outs = []
    for src in (APISTRAT, pq):
        out = tmp_path / f"{src.suffix[1:]}.json"
        args = ("--quantile", "api00", "--probs", "0.25,0.75", "--prop", "sch.wide")
        res = _run(src, *STRAT, *args, "--by", "stype", "--out", out)
        assert res.exit_code == 0, res.output
        outs.append(json.loads(out.read_text())["rows"])
    assert outs[0] == outs[1]


def test_subpop_equals_the_by_domain_of_r() -> None:
    frame = pd.read_csv(APISTRAT)
    design = SurveyDesign.from_frame(frame, weights="pw", strata="stype", fpc="fpc")
    sub = design.subset(frame["stype"].eq("M").to_numpy(), label="stype == M")
    rows = estimate(frame, sub, EstimateRequest(mean=("api00",), threshold=1)).rows
    ref = _ref_row("apistrat", "stype", "mean", "api00", "M")
    assert rows["estimate"].iloc[0] == pytest.approx(float(ref["estimate"]), rel=1e-9)
    assert rows["std_error"].iloc[0] == pytest.approx(float(ref["std_error"]), rel=1e-9)


def test_cli_subpop_and_replicate_weights(tmp_path: Path) -> None:
    jk1 = REF / "data" / "apiclus1_jk1.csv"
    out = tmp_path / "jk.csv"
    design = ("--weights", "pw", "--repweights", "^rw_", "--reptype", "jk1")
    res = _run(jk1, *design, "--mean", "api00", "--subpop", 'stype == "E"', "--out", out)
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out).iloc[0]
    ref = _ref_row("apiclus1_jk1", "stype", "mean", "api00", "E")
    assert got["std_error"] == pytest.approx(float(ref["std_error"]), rel=1e-6)


@pytest.mark.parametrize("suffix", ["md", "tex", "html", "docx", "xlsx"])
def test_formatted_outputs(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"est.{suffix}"
    res = _run("--mean", "api00", "--chisq", "sch.wide,comp.imp", "--out", out)
    assert res.exit_code == 0, res.output
    data = out.read_bytes()
    if suffix in ("docx", "xlsx"):
        assert data[:2] == b"PK"
    else:
        text = data.decode()
        assert "662.287" in text and "Rao-Scott F" in text


def test_small_domains_are_suppressed() -> None:
    frame = pd.read_csv(APISTRAT)
    design = SurveyDesign.from_frame(frame, weights="pw", strata="stype", fpc="fpc")
    rows = estimate(
        frame, design, EstimateRequest(mean=("api00",), prop=("stype",), by="awards")
    ).rows
    # apistrat has no domain below 10, so everything is shown at the default
    assert not rows["suppressed"].any()
    rows = estimate(frame, design, EstimateRequest(mean=("api00",), by="stype", threshold=60)).rows
    shown = rows[~rows["suppressed"]]
    assert list(shown["domain"]) == ["E"]  # 100 elementary schools; 50 high, 50 middle
    assert rows.loc[rows["suppressed"], "estimate"].isna().all()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--mean", "nope"], "nope"),  # the reader names the absent column
        (["--mean", "sch.wide"], "not numeric"),
        (["--ratio", "api00"], "expecting A/B"),
        (["--ttest", "api00,stype"], "stype has 3 levels"),
        (["--probs", "0.5,2", "--quantile", "api00"], "probabilities lie in [0, 1]"),
        ([], "nothing to estimate"),
        (["--mean", "api00", "--by", "stype", "--by", "awards"], "given 2 times"),
        (["--mean", "api00", "--weights", "nope"], "nope"),
    ],
)
def test_errors_are_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    out = tmp_path / "x.csv"
    res = _run(APISTRAT, *args, "--out", out)
    assert res.exit_code != 0
    from surveytk.errors import SurveytkError

    message = str(res.exception) if isinstance(res.exception, SurveytkError) else res.output
    assert words in message
    assert "Traceback" not in res.output
    assert not out.exists()


def test_error_through_main_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from surveytk.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["estimate", str(APISTRAT), "--mean", "sch.wide"])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("surveytk: error: --mean sch.wide")


def test_unknown_variable_in_a_frame_names_it() -> None:
    from surveytk.errors import FormulaError

    frame = pd.read_csv(APISTRAT)
    design = SurveyDesign.from_frame(frame, weights="pw")
    with pytest.raises(FormulaError, match="no variable 'nope' in the data"):
        estimate(frame, design, EstimateRequest(prop=("nope",)))


def test_tabulate_chisq_note_is_r_svychisq() -> None:
    from surveytk.errors import OutputError
    from surveytk.tabulate import tabulate

    frame = pd.read_csv(APISTRAT)
    design = {"weights": "pw", "strata": "stype", "fpc": "fpc", "lonely_psu": "adjust"}
    tab = tabulate(frame, ["sch.wide", "comp.imp"], chisq=True, **design)
    ref = _ref_row("apistrat", "", "chisq_rao_scott", "sch.wide,comp.imp")
    note = next(n for n in tab.notes if n.startswith("Rao-Scott"))
    assert f"F = {float(ref['estimate']):.4g} " in note
    assert f"p = {float(ref['p_value']):.4g}." in note
    assert not any("Rao-Scott" in n for n in tabulate(frame, ["stype", "awards"], **design).notes)
    with pytest.raises(OutputError, match="give --by twice"):
        tabulate(frame, ["stype"], chisq=True, **design)


def test_a_domain_without_values_gives_an_empty_row_and_a_note() -> None:
    from surveytk.errors import ModelError

    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {"src": np.repeat(["a", "b"], 40), "y": rng.normal(size=80), "g": np.tile([0, 1], 40)}
    )
    frame.loc[frame["src"] == "b", "y"] = np.nan
    design = SurveyDesign.from_frame(frame)
    req = EstimateRequest(mean=("y",), ttest=(("y", "g"),), by="src")
    table = estimate(frame, design, req)
    b = table.rows[table.rows["domain"] == "b"]
    assert list(b["statistic"]) == ["mean", "ttest"] and b["estimate"].isna().all()
    assert table.rows.loc[table.rows["domain"] == "a", "estimate"].notna().all()
    assert any("--mean y: no respondent" in n and "src = b" in n for n in table.notes)
    only_b = design.subset(frame["src"].eq("b").to_numpy())
    with pytest.raises(ModelError, match="--mean y: no respondent in the domain has a value"):
        estimate(frame, only_b, EstimateRequest(mean=("y",)))


def test_logit_interval_of_a_share_of_one_on_replicates_is_empty_not_a_crash() -> None:
    """A domain where every row has the level (p = 1): the logit interval is undefined,
    on replicate designs as on linearised ones (it raised ZeroDivisionError)."""
    frame = pd.read_csv(APISTRAT)
    design = SurveyDesign.from_frame(frame, weights="pw", strata="stype").make_jackknife("jkn")
    ones = np.ones((len(frame), 1))
    se_logit = logit_replicate_std_error(ones, design)
    assert np.isnan(se_logit)
    for logit_se in (se_logit, None):
        lo, hi = proportion_interval(1.0, 0.0, 197.0, 200, "logit", logit_std_error=logit_se)
        assert np.isnan(lo) and np.isnan(hi)
