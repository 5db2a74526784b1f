"""`surveytk inspect`: text, JSON, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from surveytk.cli.inspect import command
from surveytk.cli.main import cli, main
from surveytk.errors import ReadError


def test_help_lists_options() -> None:
    result = CliRunner().invoke(cli, ["inspect", "--help"])
    assert result.exit_code == 0
    assert "--encoding" in result.output and "--json" in result.output


def test_inspect_text(testfiles: Path) -> None:
    result = CliRunner().invoke(command, [str(testfiles / "spss/employee_data.sav")])
    assert result.exit_code == 0, result.output
    assert "Employment Category" in result.output
    assert "3 = Manager" in result.output
    assert "rows: 474" in result.output


def test_inspect_json(testfiles: Path) -> None:
    result = CliRunner().invoke(command, [str(testfiles / "stata/stata4_110.dta"), "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["format_version"] == "110"
    assert doc["variables"][2]["n_unlabelled"] == 6


def test_inspect_with_encoding(testfiles: Path) -> None:
    path = str(testfiles / "stata/stata1_encoding_118.dta")
    result = CliRunner().invoke(command, [path, "--encoding", "latin1", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["encoding"] == "latin1"


def test_bad_file_raises_read_error_in_library_mode(testfiles: Path) -> None:
    result = CliRunner().invoke(command, [str(testfiles / "stata/stata-compat-102.dta")])
    assert isinstance(result.exception, ReadError)


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the real entry point in-process: error handling and exit code as in a shell."""
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("stata/stata-compat-102.dta", "104–119"),
        ("stata/stata1_encoding_118.dta", "--encoding"),
    ],
)
def test_exit_code_two_one_line_no_traceback(
    testfiles: Path, capsys: pytest.CaptureFixture[str], name: str, needle: str
) -> None:
    code, out, err = run_main(capsys, "inspect", str(testfiles / name))
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]
    assert out == ""


def test_truncated_file_exit_two_and_debug_shows_traceback(
    testfiles: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (testfiles / "spss/employee_data.sav").read_bytes()
    path = tmp_path / "cut.sav"
    path.write_bytes(data[: len(data) // 2])
    code, _, err = run_main(capsys, "inspect", str(path))
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run_main(capsys, "--debug", "inspect", str(path))
    assert code == 2 and "Traceback" in err


def test_subprocess_exit_code(testfiles: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "surveytk.cli.main",
            "inspect",
            str(testfiles / "stata/stata-compat-102.dta"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("surveytk: error: ") and "102" in out.stderr
