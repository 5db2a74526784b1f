"""`surveytk fit` through click's CliRunner: help, outputs, errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from surveytk.cli.main import cli
from surveytk.models.results import TIDY_COLUMNS, FitResult


@pytest.fixture()
def data_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 300
    stratum = rng.integers(0, 3, n)
    x = rng.normal(size=n)
    d = pd.DataFrame(
        {
            "y": (rng.uniform(size=n) < 1 / (1 + np.exp(-x))).astype(float),
            "x": x,
            "female": rng.integers(0, 2, n).astype(bool),
            "stratum": stratum,
            "psu": stratum * 10 + rng.integers(0, 4, n),
            "w": rng.uniform(1, 2, n),
        }
    )
    path = tmp_path / "d.parquet"
    d.to_parquet(path)
    return path


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output


def test_help_lists_the_contract_options() -> None:
    code, out = _run("fit", "--help")
    assert code == 0
    for opt in ("--model", "--formula", "--weights", "--strata", "--psu", "--fpc", "--lonely-psu",
                "--repweights", "--reptype", "--rho", "--mse", "--replicates", "--seed",
                "--subpop", "--ame", "--base", "--entity", "--time", "--out"):  # fmt: skip
        assert opt in out


def test_fit_writes_json_and_prints_a_summary(data_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "res.json"
    code, text = _run("fit", str(data_file), "--model", "logit", "--formula", "y ~ x + female",
                      "--weights", "w", "--strata", "stratum", "--psu", "psu", "--ame",
                      "--out", str(out))  # fmt: skip
    assert code == 0, text
    assert "logit: y ~ x + female" in text and "df = " in text
    res = FitResult.load(out)
    assert res.ame is not None and list(res.params.index) == ["(Intercept)", "x", "female"]
    assert json.loads(out.read_text())["design"]["strata"] == "stratum"
    assert not list(tmp_path.glob(".*.part"))


def test_fit_writes_tidy_csv_with_replicates_and_subpop(data_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "res.csv"
    code, text = _run("fit", str(data_file), "--model", "probit", "--formula", "y ~ x",
                      "--weights", "w", "--strata", "stratum", "--psu", "psu",
                      "--replicates", "20", "--seed", "3", "--subpop", "female == True",
                      "--out", str(out))  # fmt: skip
    assert code == 0, text
    t = pd.read_csv(out)
    assert tuple(t.columns) == TIDY_COLUMNS and list(t["term"]) == ["(Intercept)", "x"]
    assert "bootstrap, 20 replicates" in text and "outside_subpop" in text


def test_errors_are_one_line_without_traceback(
    data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from surveytk.cli.main import main

    out = tmp_path / "r.json"
    args = ["fit", str(data_file), "--model", "logit", "--formula", "y ~ x", "--weights", "w",
            "--repweights", "^nothing", "--reptype", "jk1", "--out", str(out)]  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("surveytk: error: --repweights '^nothing'")
    assert "Traceback" not in err
    assert not out.exists()


def test_bad_output_suffix_and_overwriting_input(data_file: Path, tmp_path: Path) -> None:
    code, _ = _run("fit", str(data_file), "--model", "logit", "--formula", "y ~ x",
                   "--out", str(tmp_path / "r.txt"))  # fmt: skip
    assert code != 0
    code, _ = _run("fit", str(data_file), "--model", "logit", "--formula", "y ~ x",
                   "--out", str(data_file))  # fmt: skip
    assert code != 0
