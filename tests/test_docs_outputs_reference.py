"""docs/reference/outputs.md lists exactly the keys and columns surveytk writes.

Each table follows a marker ``<!-- output: NAME -->``; its first column names keys in
backquotes (``a ... b`` spans a run of the tidy columns). The files are produced with
the command line on R's apistrat data and a small synthetic run, and compared key for
key; the dataclasses behind them are compared too.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from docs_blocks import API_FILES, DOCS, surveytk_env

from surveytk import estimate as estimate_mod
from surveytk.models.results import TIDY_COLUMNS, EffectBlock, FitResult
from surveytk.survey.summary import DesignSummary

PAGE = DOCS / "reference" / "outputs.md"
MARKER = re.compile(r"<!--\s*output:\s*([\w-]+)\s*-->")
ESTIMATE_ALL = (*estimate_mod.TIDY_COLUMNS, *estimate_mod.EXTRA_COLUMNS)


def documented() -> dict[str, list[str]]:
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    out: dict[str, list[str]] = {}
    for i, line in enumerate(lines):
        m = MARKER.search(line)
        if not m:
            continue
        names: list[str] = []
        for row in lines[i + 3:]:
            if not row.startswith("|"):
                break
            cell = row.strip().strip("|").split("|")[0]
            keys = re.findall(r"`(\w+)`", cell)
            assert keys, f"{m.group(1)}: no `key` in {cell!r}"
            if "..." in cell:
                universe = ESTIMATE_ALL if m.group(1).startswith("estimate") else TIDY_COLUMNS
                a, b = universe.index(keys[0]), universe.index(keys[-1])
                keys = list(universe[a:b + 1])
            names.extend(keys)
        assert len(names) == len(set(names)), f"{m.group(1)}: a key listed twice"
        out[m.group(1)] = names
    return out


def _run(folder: Path, *args: str) -> None:
    proc = subprocess.run(["surveytk", *args], cwd=folder, env=surveytk_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


DESIGN = ("--weights", "pw", "--strata", "stype", "--fpc", "fpc")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("outputs")
    (d / "apistrat.csv").write_bytes(API_FILES[0].read_bytes())
    logit = ("apistrat.csv", "--model", "logit", "--formula", "hi ~ ell + meals + C(stype)",
             "--define", "hi=api00 > 700", *DESIGN, "--ame", "--wald", "C(stype)",
             "--contrast", "ell - meals", "--predict", "meals=10:90:40, stype")
    _run(d, "fit", *logit, "--out", "fit.json")
    _run(d, "fit", *logit, "--out", "fit.csv")
    by = ("apistrat.csv", "--model", "lpm", "--formula", "api00 ~ meals", *DESIGN,
          "--by", "stype")
    _run(d, "fit", *by, "--out", "by.json")
    _run(d, "fit", *by, "--out", "by.csv")
    est = ("apistrat.csv", *DESIGN, "--mean", "api00", "--prop", "sch.wide", "--by", "stype",
           "--chisq", "sch.wide,comp.imp")
    _run(d, "estimate", *est, "--out", "est.json")
    _run(d, "estimate", *est, "--out", "est.csv")
    _run(d, "synth", "--out", "raw", "--scale", "0.05", "--source", "wodc")
    (d / "spec.yaml").write_text(
        'name: t\ninputs: [{source: wodc, codebook: wodc_w1, input_dir: "{data_dir}/wodc"}]\n'
        "sample: {rules: ['age >= 18']}\n"
        "models: [{name: m, model: lpm, data: wodc, formula: 'intends_return ~ age'}]\n",
        encoding="utf-8")
    _run(d, "run", "spec.yaml", "--data-dir", "raw", "--out", "run", "--no-progress")
    return d


def _json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_results_json(outputs: Path) -> None:
    doc, res = documented(), _json(outputs / "fit.json")
    assert sorted(res) == sorted(doc["fit-json"])
    fit = FitResult.load(outputs / "fit.json")
    assert sorted(fit.to_dict()) == sorted(doc["fit-json"])
    assert sorted(res["coef"]) == sorted(doc["effect-block"])
    assert sorted(res["ame"]) == sorted(doc["effect-block"])
    assert sorted(f.name for f in dataclasses.fields(EffectBlock)) == sorted(
        doc["effect-block"])
    assert sorted(res["design"]) == sorted(doc["design"])
    assert sorted(f.name for f in dataclasses.fields(DesignSummary)) == sorted(doc["design"])
    assert {t["effect"] for t in res["tests"]} == {"wald", "contrast"}
    for t in res["tests"]:
        assert sorted(t) == sorted(doc["tests"])
    for rec in res["extra"]["predictions"]:
        assert sorted(rec) == sorted(doc["predictions"])
    assert sorted(res["tidy"][0]) == sorted(doc["fit-csv"])


def test_tidy_csv(outputs: Path) -> None:
    doc = documented()
    assert list(pd.read_csv(outputs / "fit.csv").columns) == doc["fit-csv"]
    assert list(TIDY_COLUMNS) == doc["fit-csv"]
    effects = set(pd.read_csv(outputs / "fit.csv").effect)
    assert effects == {"coefficient", "ame", "wald", "contrast"}


def test_by_outputs(outputs: Path) -> None:
    doc, res = documented(), _json(outputs / "by.json")
    assert sorted(res) == sorted(doc["by-json"])
    assert res["kind"] == "by" and len(res["results"]) == len(res["levels"]) == 3
    assert sorted(res["results"][0]) == sorted(doc["fit-json"])
    assert list(pd.read_csv(outputs / "by.csv").columns) == doc["by-csv"]


def test_estimate_outputs(outputs: Path) -> None:
    doc = documented()
    assert list(pd.read_csv(outputs / "est.csv").columns) == doc["estimate-csv"]
    assert list(estimate_mod.TIDY_COLUMNS) == doc["estimate-csv"]
    res = _json(outputs / "est.json")
    assert sorted(res) == sorted(doc["estimate-json"])
    assert sorted(res["design"]) == sorted(doc["design"])
    for row in res["rows"]:
        assert sorted(row) == sorted(doc["estimate-row"])
    assert {r["statistic"] for r in res["rows"]} == {"mean", "prop", "chisq_rao_scott"}


def test_manifest(outputs: Path) -> None:
    doc = documented()
    manifest = _json(outputs / "run" / "manifest.json")
    assert sorted(manifest) == sorted(doc["manifest"])
    assert sorted(manifest["spec"]) == ["name", "path", "sha256", "version"]
    assert sorted(manifest["models"]["m"]) == sorted(
        ["model", "formula", "n_obs", "dropped", "variance", "converged"])
    for account in manifest["row_accounting"].values():
        assert sorted(account) == ["excluded", "rows_in", "rows_out"]
    assert "results/m.json" in manifest["outputs"]


def test_every_marker_is_checked() -> None:
    checked = {"fit-json", "effect-block", "design", "tests", "predictions", "fit-csv",
               "by-json", "by-csv", "estimate-csv", "estimate-json", "estimate-row",
               "manifest"}
    assert set(documented()) == checked
