"""`surveytk table` and `surveytk plot` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from surveytk.cli.main import cli
from surveytk.report.examples import EXAMPLE_SCHEMA, example_binary, example_ordinal


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    soep = tmp_path / "soep.json"
    example_binary(label=None).save(soep)
    unhcr = tmp_path / "unhcr.json"
    example_ordinal().save(unhcr)
    schema = tmp_path / "schema.yaml"
    schema.write_text(yaml.safe_dump(EXAMPLE_SCHEMA), encoding="utf-8")
    notjson = tmp_path / "notes.json"
    notjson.write_text('{"hello": 1}', encoding="utf-8")
    return {"soep": soep, "unhcr": unhcr, "schema": schema, "notjson": notjson}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("name", ["table", "plot"])
def test_help(name: str) -> None:
    code, out = run(name, "--help")
    assert code == 0
    assert "RESULTS" in out
    assert "--out" in out


def test_main_help_lists_table_and_plot() -> None:
    code, out = run("--help")
    assert code == 0
    assert "table" in out and "plot" in out


def test_table_markdown_with_options(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "t.md"
    code, text = run(
        "table",
        str(files["soep"]),
        str(files["unhcr"]),
        "--out",
        str(out),
        "--stars",
        "--stat",
        "ci",
        "--schema",
        str(files["schema"]),
        "--title",
        "Table 3",
        "--notes",
        "Source: synthetic.",
        "--digits",
        "2",
    )
    assert code == 0, text
    md = out.read_text(encoding="utf-8")
    assert md.startswith("**Table 3**")
    assert "| soep | UNHCR R6 |" in md  # file stem when the result has no label
    assert "| Origin area" in md and "| \u2003Front line |" in md
    assert "\\* p \\< 0.1" in md
    assert "Source: synthetic." in md


def test_table_custom_star_levels_and_raw_names(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    code, text = run(
        "table",
        str(files["soep"]),
        "-o",
        str(out),
        "--stars",
        "0.05,0.001",
        "--raw-names",
        "--label",
        "Germany",
    )
    assert code == 0, text
    csv_text = out.read_text(encoding="utf-8")
    assert "origin_area[frontline]" in csv_text
    assert csv_text.startswith("column,model_label,")
    assert ",Germany," in csv_text
    md = tmp_path / "t.md"
    code, text = run("table", str(files["soep"]), "-o", str(md), "--stars", "0.05,0.001",
                     "--raw-names")
    assert code == 0, text
    assert "\\* p \\< 0.05, \\*\\* p \\< 0.001." in md.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["latex", "html", "docx", "xlsx"])
def test_table_format_option_overrides_suffix(
    files: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "table.out"
    code, text = run("table", str(files["unhcr"]), "-o", str(out), "--format", fmt, "--exp")
    assert code == 0, text
    assert out.stat().st_size > 0


def test_plot_png(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "f.png"
    code, text = run(
        "plot",
        str(files["soep"]),
        str(files["unhcr"]),
        "--kind",
        "coef",
        "--terms",
        "age,employed",
        "-o",
        str(out),
        "--title",
        "Coefficients",
    )
    assert code == 0, text
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_predicted_svg(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "f.svg"
    code, text = run(
        "plot", str(files["soep"]), "--kind", "predicted", "--x", "age", "-o", str(out)
    )
    assert code == 0, text
    assert "<svg" in out.read_text(encoding="utf-8")


def _fails_cleanly(args: list[str], out: Path, needle: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert not out.exists()
    message = str(result.exception) if result.exception else result.output
    assert needle in message
    assert "\n" not in message.strip()


def test_missing_results_file(tmp_path: Path) -> None:
    out = tmp_path / "t.md"
    _fails_cleanly(["table", str(tmp_path / "absent.json"), "-o", str(out)], out, "absent.json")


def test_not_a_results_json(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "t.docx"
    _fails_cleanly(["table", str(files["notjson"]), "-o", str(out)], out, "results")
    plot_out = tmp_path / "f.png"
    _fails_cleanly(["plot", str(files["notjson"]), "-o", str(plot_out)], plot_out, "results")


def test_refuses_to_overwrite_input(files: dict[str, Path]) -> None:
    before = files["soep"].read_bytes()
    result = CliRunner().invoke(cli, ["table", str(files["soep"]), "-o", str(files["soep"])])
    assert result.exit_code != 0
    assert files["soep"].read_bytes() == before


def test_bad_star_levels_and_label_count(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "t.md"
    _fails_cleanly(
        ["table", str(files["soep"]), "-o", str(out), "--stars", "0.5,2"], out, "--stars"
    )
    _fails_cleanly(
        ["table", str(files["soep"]), "-o", str(out), "--label", "a", "--label", "b"],
        out,
        "--label",
    )


def test_exp_with_ame_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "t.md"
    _fails_cleanly(["table", str(files["soep"]), "-o", str(out), "--exp", "--ame"], out, "--exp")


def test_one_line_error_through_main(files: dict[str, Path], tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "t.md"
    proc = subprocess.run(
        [sys.executable, "-m", "surveytk.cli.main", "table", str(files["notjson"]), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("surveytk: error:")
    assert not out.exists()
