"""`surveytk tabulate` through click's CliRunner: Markdown to stdout, XLSX to a file, errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from surveytk.cli.main import cli
from surveytk.disclosure import SUPPRESSED_MARKER


@pytest.fixture()
def table_file(tmp_path: Path) -> Path:
    """A small harmonised-looking table: origin areas (one rare), gender, weights, strata."""
    rng = np.random.default_rng(11)
    n = 300
    area = rng.choice(["occupied", "frontline", "kyiv", "west", "centre"], size=n)
    area[:4] = "lviv"  # 4 respondents: below the threshold
    df = pd.DataFrame(
        {
            "respondent_id": [f"wodc:W1:{1000 + i}" for i in range(n)],
            "origin_area": pd.Categorical(
                area, categories=["occupied", "frontline", "kyiv", "lviv", "west", "centre"]
            ),
            "gender": rng.choice(["female", "male"], size=n),
            "weight": rng.uniform(0.5, 2.0, size=n),
            "stratum": rng.choice(["wodc:1", "wodc:2", "wodc:3"], size=n),
        }
    )
    path = tmp_path / "t.parquet"
    df.to_parquet(path)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_help_lists_the_options() -> None:
    code, out = run("tabulate", "--help")
    assert code == 0
    for option in ("--by", "--reference", "--threshold", "--format", "--unweighted", "--dropna"):
        assert option in out
    code, out = run("--help")
    assert "tabulate" in out


def test_markdown_to_stdout_with_origin_reference(table_file: Path) -> None:
    code, out = run("tabulate", str(table_file), "--reference", "origin", "--strata", "stratum")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("**Shares by Area of origin")
    rows = [ln for ln in lines if ln.startswith("| ")]
    labels = [r.split("|")[1].strip() for r in rows[1:]]
    assert labels == [
        "Occupied areas",
        "Near the front line",
        "Kyiv region",
        "Lviv oblast",
        "Western regions",
        "Other central regions",
        "Total",
    ]
    lviv = rows[1 + labels.index("Lviv oblast")]
    assert lviv.count(SUPPRESSED_MARKER) == 5  # n, share, SE, CI, ratio
    assert "6.0" in lviv  # the pre-war share is public, it stays
    assert sum(SUPPRESSED_MARKER in r for r in rows) == 2  # the rare area + its complement
    assert "wodc:W1:" not in out


def test_xlsx_output_keeps_numbers_and_markers(table_file: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "t.xlsx"
    code, text = run(
        "tabulate", str(table_file), "--by", "gender", "--by", "origin_area", "--out", str(out)
    )
    assert code == 0, text
    assert f"wrote {out}" in text
    ws = load_workbook(io.BytesIO(out.read_bytes())).active
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert SUPPRESSED_MARKER in values
    assert any(isinstance(v, float) and 0 < v < 100 for v in values)
    assert not any(isinstance(v, str) and "wodc:W1:" in v for v in values)


def test_csv_and_unweighted(table_file: Path) -> None:
    code, out = run("tabulate", str(table_file), "--by", "gender", "--unweighted", "-f", "csv")
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.startswith("variable,level,level_label,n,share,std_error,conf_low,conf_high,")
    assert {r["weighted"] for r in rows} == {"False"}
    assert {r["level"] for r in rows} == {"female", "male"}
    shares = [float(r["share"]) for r in rows]  # numbers, not formatted strings
    assert sum(shares) == pytest.approx(1.0)
    assert int(rows[0]["n"]) + int(rows[1]["n"]) == 300


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "nope"], "--by 'nope': no such variable"),
        (["--by", "gender", "--weights", "absent"], "weight column 'absent'"),
        (["--by", "gender", "--reference", "origin"], "origin_area"),
        (["--by", "gender", "--format", "docx"], "give --out"),
        ([], "give --by"),
    ],
)
def test_errors_are_one_line(
    table_file: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from surveytk.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(["tabulate", str(table_file), *args])
    assert info.value.code != 0
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_error_message_goes_to_stderr_in_one_line(
    table_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from surveytk.cli.main import main

    with pytest.raises(SystemExit):
        main(["tabulate", str(table_file), "--by", "nope"])
    err = capsys.readouterr().err
    assert err.startswith("surveytk: error: --by 'nope'")
    assert err.count("\n") == 1


def test_missing_weight_column_without_weights_option(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    pd.DataFrame({"g": ["a"] * 20 + ["b"] * 20}).to_csv(path, index=False)
    code, _ = run("tabulate", str(path), "--by", "g")
    assert code != 0
    code, out = run("tabulate", str(path), "--by", "g", "--unweighted")
    assert code == 0, out
    assert "| a | 20 | 50.0 |" in out
