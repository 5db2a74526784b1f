"""The CLI shell: help, version, lazy imports, one-line errors."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from surveytk.cli.main import cli


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
