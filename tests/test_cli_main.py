"""The CLI shell: help, version, lazy imports, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from surveytk.cli.main import cli

API_STRAT = Path(__file__).parent / "data" / "survey" / "apistrat.csv"


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "surveytk demo" in result.output


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys; from surveytk.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('statsmodels', 'seaborn', 'matplotlib', 'linearmodels', 'scipy')"
        " if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="


@pytest.mark.parametrize(
    "args",
    [
        ["fit", "{data}", "--model", "logit", "--formula", "wide ~ ell + meals", "--weights",
         "pw", "--strata", "stype", "--fpc", "fpc", "--out", "{out}.json"],
        ["fit", "{data}", "--model", "lpm", "--formula", "wide ~ ell", "--out", "{out}.csv"],
        ["estimate", "{data}", "--mean", "api00", "--by", "stype", "--weights", "pw",
         "--strata", "stype", "--out", "{out}.csv"],
        ["estimate", "{data}", "--prop", "stype", "--weights", "pw", "--out", "{out}.csv"],
    ],
)  # fmt: skip
def test_logit_fits_and_estimates_do_not_import_scipy(tmp_path: Path, args: list[str]) -> None:
    """``import scipy.special`` costs 0.1-0.2 s of a command: the t and normal
    distributions up to 5,000 df and the logistic link are written without it."""
    data = tmp_path / "api.csv"
    d = pd.read_csv(API_STRAT)
    d["wide"] = (d["sch.wide"] == "Yes").astype(int)
    d.to_csv(data, index=False)
    argv = [a.format(data=data, out=tmp_path / "res") for a in args]
    code = (
        "import sys; from surveytk.cli.main import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print('SCIPY=' + str('scipy' in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "SCIPY=False"


def test_unknown_command_is_one_clean_error() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "surveytk.cli.main", "no-such-command"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_atomic_output_has_normal_permissions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import stat

    from surveytk.io.atomic import write_text_atomic

    target = tmp_path / "x.txt"
    write_text_atomic(target, "hello")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_internal_error_line_shows_no_exception_text(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from surveytk.cli import main as main_mod

    def boom(*args: object, **kwargs: object) -> None:
        raise ValueError("respondent 90005651 has value 42")

    monkeypatch.setattr(main_mod.cli, "main", boom)
    with pytest.raises(SystemExit) as exc:
        main_mod.main(["inspect", "x"])
    assert exc.value.code == 3
    err = capsys.readouterr().err
    assert "internal error (ValueError)" in err
    assert "90005651" not in err and "42" not in err


def test_stale_staging_folders_are_removed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import time

    from surveytk.analysis.runner import remove_stale_staging

    old = tmp_path / ".staging-old"
    young = tmp_path / ".staging-young"
    old.mkdir()
    young.mkdir()
    (old / "partial.parquet").write_bytes(b"x")
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert remove_stale_staging(tmp_path) == [old]
    assert not old.exists() and young.exists()


def test_every_lazy_public_name_resolves() -> None:
    import surveytk

    for name in surveytk.__all__:
        assert getattr(surveytk, name) is not None, name
