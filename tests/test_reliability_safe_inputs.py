"""Safe inputs: YAML and formulas cannot run code, spreadsheet cells cannot become
formulas, outputs are atomic and never overwrite inputs, and nothing touches the network."""

from __future__ import annotations

import csv
import io
import os
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from surveytk.errors import (
    CodebookError,
    FormulaError,
    OutputError,
    SpecError,
    SurveytkError,
)
from surveytk.io.atomic import atomic_path, write_text_atomic
from surveytk.language.expr import parse_condition
from surveytk.models.formula import build_model_frame, parse_formula
from surveytk.paths import BUILTIN_ANALYSES_DIR

MARKER = Path("/tmp/surveytk_pwned")

FORMULA_ATTACKS = (
    "y ~ __import__('os').system('touch /tmp/surveytk_pwned')",
    "y ~ I(__import__('os'))",
    "y ~ age.__class__",
    "y ~ I(age.__class__.__mro__)",
    "y ~ lambda: 1",
    "y ~ I((lambda: 1)())",
    "y ~ eval('1')",
    "y ~ exec('import os')",
    "y ~ getattr(age, 'x')",
    "y ~ I(open('/etc/passwd'))",
    "y ~ age[0]",
    "y ~ C(x, ref=__import__('os'))",
    "y ~ {age}",
    "y ~ f'{age}'",
    "y ~ age; import os",
    "y ~ Q(age.__class__)",
    "y ~ Q('age'.__class__)",
    "y ~ np.log(age)",
    "y ~ age if True else x",
)

CONDITION_ATTACKS = (
    "__import__('os').system('touch /tmp/surveytk_pwned')",
    "age.__class__ == 1",
    "(lambda: True)()",
    "age > 1 or exec('1')",
    "@age > 1",
    "age == `1` + __import__('os')",
    "`age` == `1`.__class__",
    "source == 'x'; import os",
    "age[0] == 1",
)


@pytest.mark.parametrize("text", FORMULA_ATTACKS)
def test_formula_grammar_refuses_code(text: str) -> None:
    MARKER.unlink(missing_ok=True)
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    assert "\n" not in str(info.value)
    assert not MARKER.exists()


@pytest.mark.parametrize("text", CONDITION_ATTACKS)
def test_condition_grammar_refuses_code(text: str) -> None:
    with pytest.raises(SpecError):
        parse_condition(text)
    assert not MARKER.exists()


@pytest.mark.parametrize("expr", ["age * (1 / 0)", "age * 9 ** 9 ** 9 ** 9", "age - 1e308 * 1e308"])
def test_constant_arithmetic_cannot_crash(expr: str) -> None:
    df = pd.DataFrame({"y": [0.0, 1.0, 0.0, 1.0], "age": [20.0, 30.0, 40.0, 50.0]})
    with pytest.raises(FormulaError, match="non-finite"):
        build_model_frame(parse_formula(f"y ~ I({expr})"), df)


def _spec_text() -> str:
    return (BUILTIN_ANALYSES_DIR / "return_intentions.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("payload", [
    "!!python/object/apply:os.system ['touch /tmp/surveytk_pwned']",
    "!!python/object/new:subprocess.Popen [['touch', '/tmp/surveytk_pwned']]",
    "!!python/name:os.system",
])
def test_spec_yaml_tags_never_execute(tmp_path: Path, payload: str) -> None:
    from surveytk.analysis.spec import load_spec

    MARKER.unlink(missing_ok=True)
    path = tmp_path / "evil.yaml"
    path.write_text(_spec_text().replace("seed: 20240601", f"seed: {payload}"), encoding="utf-8")
    with pytest.raises(SpecError):
        load_spec(path)
    assert not MARKER.exists()


def test_spec_formula_injection_is_refused_before_running(tmp_path: Path) -> None:
    from surveytk.analysis.spec import load_spec

    path = tmp_path / "evil.yaml"
    evil = "intends_return ~ __import__(\"os\").system(\"touch /tmp/surveytk_pwned\")"
    text = _spec_text().replace(
        "'intends_return ~ employed + C(gender, ref=\"female\") + age + has_children_u18'",
        f"'{evil}'", 1)
    assert evil in text
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match="soep_ukr"):
        load_spec(path)
    assert not MARKER.exists()


def test_codebook_derivation_names_only_registered_functions(tmp_path: Path) -> None:
    from surveytk.codebook.loader import load_codebook
    from surveytk.paths import BUILTIN_SOURCES_DIR

    text = (BUILTIN_SOURCES_DIR / "wodc_w1.yaml").read_text(encoding="utf-8")
    path = tmp_path / "wodc_w1.yaml"
    path.write_text(text.replace("function: make_id", "function: __import__"), encoding="utf-8")
    with pytest.raises(CodebookError, match="__import__"):
        load_codebook(path)


# --------------------------------------------------------------------------- spreadsheet cells


TRIGGERS = ("=HYPERLINK(\"http://evil\")", "+cmd|' /C calc'!A0", "-2+3+cmd", "@SUM(A1:A9)")


def _tabulation() -> Any:
    from surveytk.tabulate import tabulate

    rng = np.random.default_rng(7)
    df = pd.DataFrame({"h": rng.choice(["a", "b"], 600),
                       "g": rng.choice([*TRIGGERS, "plain"], 600)})
    return tabulate(df, ["h", "g"], weighted=False)


def _formula_like(text: str) -> bool:
    if not text.startswith(("=", "+", "-", "@", "\t", "\r")):
        return False
    try:
        float(text.rstrip("*"))
    except ValueError:
        return True
    return False  # a negative number is a number


def test_csv_cells_from_labels_are_neutralised() -> None:
    from surveytk.report.render_tabulation import render_tabulation

    text = render_tabulation(_tabulation(), "csv").decode("utf-8")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert any("HYPERLINK" in c for c in cells)
    bad = [c for c in cells if _formula_like(c)]
    assert not bad, f"cells a spreadsheet would run as formulas: {bad}"


def test_xlsx_cells_from_labels_are_neutralised() -> None:
    import openpyxl

    from surveytk.report.render_tabulation import render_tabulation

    wb = openpyxl.load_workbook(io.BytesIO(render_tabulation(_tabulation(), "xlsx")))
    cells = [c for row in wb.active.iter_rows() for c in row if c.value is not None]
    assert any("HYPERLINK" in str(c.value) for c in cells)
    for c in cells:
        assert c.data_type != "f", f"formula cell {c.coordinate}"
        if isinstance(c.value, str):
            assert not _formula_like(c.value), c.value


@pytest.mark.parametrize(("text", "expected"), [
    ("-0.123", "-0.123"), ("-0.123***", "-0.123***"), ("+1.5e-03", "+1.5e-03"),
    ("-1,234", "-1,234"), ("=1+1", "'=1+1"), ("-x", "'-x"), ("@A1", "'@A1"),
    ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("+1 distance", "'+1 distance"),
    ("plain", "plain"), ("", ""),
])
def test_neutralise_keeps_numbers(text: str, expected: str) -> None:
    from surveytk.io.text_safety import neutralise

    assert neutralise(text) == expected


# --------------------------------------------------------------------------- atomic output


def test_interrupted_write_leaves_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "table.md"
    write_text_atomic(target, "old complete content\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half of the new", encoding="utf-8")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "old complete content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.md"]


def test_harmonise_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    from surveytk.harmonise.run import harmonise_to_file

    data = tmp_path / "fi_moi"
    data.mkdir()
    source = data / "fi_moi_2025.sav"
    source.write_bytes(b"$FL2 not really")
    before = source.read_bytes()
    for out, audit in ((source, None), (tmp_path / "x.parquet", source)):
        with pytest.raises(OutputError, match="refusing to overwrite an input"):
            harmonise_to_file("fi_moi_2025", data, out, audit=audit)
    assert source.read_bytes() == before


def test_failed_run_leaves_no_outputs(tmp_path: Path) -> None:
    from surveytk.analysis.runner import run_analysis

    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: t\ninputs:\n  - {source: fi_moi, codebook: fi_moi_2025, input_dir: '"
        + str(tmp_path / "missing") + "'}\nmodels:\n  - {name: m, model: logit, data: fi_moi,"
        " formula: 'intends_return ~ age'}\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(SurveytkError):
        run_analysis(spec, out_dir=out)
    assert [p for p in out.rglob("*")] == []


# --------------------------------------------------------------------------- network


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args)[:80])
        raise NetworkUsed("network access attempted")

    class RefusedSocket(socket.socket):  # a class, so that modules may still subclass it
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            refuse(*args, **kwargs)

    monkeypatch.setattr(socket, "socket", RefusedSocket)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_guard_really_blocks(no_network: list[str]) -> None:
    import urllib.request

    with pytest.raises(Exception, match="network"):
        urllib.request.urlopen("http://example.org", timeout=1)
    assert no_network


def test_demo_runs_without_network(tmp_path: Path, no_network: list[str]) -> None:
    from surveytk.cli.main import cli

    os.environ.setdefault("MPLBACKEND", "Agg")
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo"), "--scale", "0.1",
                                      "--no-progress"])
    assert not no_network, f"network access: {no_network}"
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert (tmp_path / "demo" / "manifest.json").is_file()


def test_full_run_without_network(tmp_path: Path, no_network: list[str]) -> None:
    # every stage (synth, harmonise, pool, fit, tables in md/csv/xlsx/docx, a figure)
    # under the guard, independent of the demo's own models
    from surveytk.analysis.runner import run_analysis
    from surveytk.synth import write_synthetic_sources

    os.environ.setdefault("MPLBACKEND", "Agg")
    write_synthetic_sources(tmp_path / "data", seed=4, scale=0.2, sources=["wodc", "fi_moi"])
    spec = tmp_path / "spec.yaml"
    spec.write_text("""\
name: offline
inputs:
  - {source: wodc, codebook: wodc_w1, input_dir: "{data_dir}/wodc"}
  - {source: fi_moi, codebook: fi_moi_2025, input_dir: "{data_dir}/fi_moi"}
models:
  - {name: pooled, model: logit, data: pooled, ame: true,
     formula: 'intends_return ~ employed + age + C(source, ref="wodc")'}
tables:
  - {name: coefficients, models: [pooled], formats: [md, csv, xlsx, docx]}
plots:
  - {name: ame, kind: ame, models: [pooled]}
""", encoding="utf-8")
    summary = run_analysis(spec, data_dir=tmp_path / "data", out_dir=tmp_path / "out")
    assert not no_network, f"network access: {no_network}"
    assert len(summary.tables) == 4 and summary.figures
