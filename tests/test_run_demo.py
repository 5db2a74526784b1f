"""End to end: `surveytk demo` and `surveytk run` on synthetic data.

The pooled logit's signs must agree with the synthetic data-generating process
(docs/synthetic.md; it follows the published findings), every output must be
written, and a rerun must give byte-identical tables and figures.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from surveytk.cli.main import cli
from surveytk.models.results import FitResult
from surveytk.synth.dgp import TRUE_EFFECTS

SCALE = "0.5"  # big enough for stable signs, small enough for CI


def _digest(folder: Path, sub: str) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((folder / sub).iterdir())}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--scale", SCALE])
    assert result.exit_code == 0, result.output
    return out


def test_demo_writes_every_output(demo: Path) -> None:
    for name in ("soep_ukr", "unhcr_ris", "wodc", "fi_moi", "pooled"):
        assert (demo / "harmonised" / f"{name}.parquet").stat().st_size > 0
    tables = {p.name for p in (demo / "tables").iterdir()}
    assert {"coefficients.md", "coefficients.docx", "coefficients.tex"} <= tables
    for fig in (demo / "figures").iterdir():
        assert fig.suffix == ".png" and fig.stat().st_size > 10_000
    manifest = json.loads((demo / "manifest.json").read_text())
    assert set(manifest["inputs"]) == {"soep_ukr", "unhcr_ris", "unhcr_ris_r5", "wodc", "fi_moi"}
    acc = manifest["row_accounting"]["pooled"]
    # counts under the disclosure threshold are published as "fewer than 10"
    exact = [v for v in acc["excluded"].values() if isinstance(v, int)]
    withheld = [v for v in acc["excluded"].values() if not isinstance(v, int)]
    assert all(v == "fewer than 10" for v in withheld)
    gap = acc["rows_in"] - acc["rows_out"] - sum(exact)
    assert len(withheld) <= gap <= 9 * len(withheld)
    assert not [p for p in demo.iterdir() if p.name.startswith(".staging")]
    report = (demo / "report" / "return_intentions.html").read_text(encoding="utf-8")
    for exhibit in ("coefficients", "marginal_effects", "ordinal_multinomial"):
        assert f'id="table-{exhibit}"' in report
    for fig in (demo / "figures").iterdir():
        assert any(f'id="{kind}-{fig.stem}"' in report
                   for kind in ("figure", "trend", "tabulation")), fig.name
    n_figures = len(list((demo / "figures").iterdir()))
    assert report.count('<img src="data:image/png;base64,') == n_figures
    assert 'id="design"' in report and 'id="audit"' in report
    assert (demo / "report" / "return_intentions.docx").stat().st_size > 10_000


def test_return_by_round_exhibit(demo: Path) -> None:
    """Shares by round per source and round-to-round tests: SOEP 2022–2024, RIS R5–R6."""
    tidy = pd.read_csv(demo / "tables" / "return_by_round.csv", keep_default_na=False,
                       na_values=[""])
    shares = tidy[tidy["kind"] == "share"]
    rounds = shares.groupby("group")["to_round"].apply(list).to_dict()
    assert rounds["soep_ukr"] == ["2022", "2023", "2024"]
    assert rounds["unhcr_ris"] == ["R5", "R6"]
    assert shares["share"].between(0, 1).all()
    assert (shares["conf_low"] < shares["share"]).all()
    diffs = tidy[tidy["kind"] == "difference"].set_index(["group", "to_round"])
    assert set(diffs.index) == {("soep_ukr", "2023"), ("soep_ukr", "2024"), ("unhcr_ris", "R6")}
    by = shares.set_index(["group", "to_round"])["share"]
    for (group, to), row in diffs.iterrows():
        assert row["share"] == pytest.approx(by[(group, to)] - by[(group, row["from_round"])])
        assert 0 <= row["p_value"] <= 1
    report = (demo / "report" / "return_intentions.html").read_text(encoding="utf-8")
    assert 'id="trend-return_by_round-differences"' in report


def test_pooled_signs_follow_the_data_generating_process(demo: Path) -> None:
    res = FitResult.load(demo / "results" / "pooled.json")
    est = res.params
    truth = TRUE_EFFECTS.coefficients()
    expected = {
        "employed": truth["employed"],
        "gender[male]": truth["male"],
        "has_children_u18": truth["has_children_u18"],
        "age": truth["age"],
        "distance_1000km": truth["distance_km"],
    }
    for term, true in expected.items():
        assert true != 0
        assert (est[term] > 0) == (true > 0), f"{term}: estimate {est[term]:.3f}, truth {true}"
    # the published findings the generator follows
    assert est["employed"] < 0 and est["gender[male]"] < 0 and est["has_children_u18"] < 0
    assert est["age"] > 0 and est["distance_1000km"] < 0


def test_rerun_is_byte_identical(demo: Path, tmp_path: Path) -> None:
    data = demo / "data"
    out = tmp_path / "again"
    spec = Path(__file__).resolve().parents[1] / "analyses" / "return_intentions.yaml"
    result = CliRunner().invoke(
        cli, ["run", str(spec), "--data-dir", str(data), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for sub in ("tables", "figures", "harmonised", "report"):
        assert _digest(out, sub) == _digest(demo, sub), sub


def test_harmonised_rows_match_results_accounting(demo: Path) -> None:
    pooled = pd.read_parquet(demo / "harmonised" / "pooled.parquet")
    manifest = json.loads((demo / "manifest.json").read_text())
    assert manifest["row_accounting"]["pooled"]["rows_in"] == len(pooled)


def test_bad_spec_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "name: x\ninputs: [{source: wodc, codebook: wodc_w1, input_dir: d}]\n"
        "models: [{name: m, model: logit, data: wodc, formula: 'y ~ __import__(\"os\")'}]\n"
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "surveytk.cli.main", "run", str(spec), "--out", str(out)],
        capture_output=True, text=True,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "__import__" in proc.stderr
    assert not out.exists() or not any(out.iterdir())


def test_run_formats_on_request(demo: Path, tmp_path: Path) -> None:
    spec = Path(__file__).resolve().parents[1] / "analyses" / "return_intentions.yaml"
    out = tmp_path / "formats"
    result = CliRunner().invoke(cli, ["run", str(spec), "--data-dir", str(demo / "data"),
                                      "--out", str(out), "--formats", "xlsx,csv,html"])
    assert result.exit_code == 0, result.output
    suffixes = {p.suffix for p in (out / "tables").iterdir()}
    assert suffixes == {".xlsx", ".csv", ".html"}


def test_demo_bad_format_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "never"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out), "--formats", "md,pdf"])
    assert result.exit_code != 0
    assert "'pdf'" in str(result.exception)
    assert not out.exists()


def test_pooled_analysis_weights_sum_to_each_sources_kept_rows(demo: Path) -> None:
    from surveytk.analysis.runner import rescale_pooled_weights
    from surveytk.analysis.sample import apply_rules
    from surveytk.analysis.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parents[1] / "analyses" / "return_intentions.yaml")
    pooled = pd.read_parquet(demo / "harmonised" / "pooled.parquet")
    kept, _ = apply_rules(pooled, spec.sample.rules)
    table = rescale_pooled_weights(kept, "sample")
    for source, group in table.groupby("source", observed=True):
        positive = int((group["weight_unscaled"] > 0).sum())
        assert group["weight"].sum() == pytest.approx(positive), source


def test_spec_predictions_are_documented_prediction_records(demo: Path) -> None:
    """A spec's `predict:` writes the records of docs/reference/outputs.md (as `fit
    --predict` does), standard errors included, with intervals around the estimate."""
    from test_docs_outputs_reference import documented

    pooled = FitResult.load(demo / "results" / "pooled.json")
    records = pooled.extra["predictions"]
    assert records
    for rec in records:
        assert sorted(rec) == sorted(documented()["predictions"])
        assert rec["std_error"] > 0
        assert rec["conf_low"] < rec["estimate"] < rec["conf_high"]
