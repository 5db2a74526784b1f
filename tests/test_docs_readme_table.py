"""The README's coefficient table is the full-size demo's, line for line (slow: runs
``surveytk demo`` at scale 1). Every line of the README table must be a line of
``tables/coefficients.md``, in the same order; the README leaves out the intercept,
source effects and fit statistics, which is said below the table."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from docs_blocks import ROOT, surveytk_env


def readme_table() -> list[str]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|  | SOEP (DEU)"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return table


@pytest.mark.slow
def test_readme_table_is_the_demo_table(tmp_path: Path) -> None:
    proc = subprocess.run(["surveytk", "demo", "--no-progress", "--out", "demo"], cwd=tmp_path,
                          env=surveytk_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    demo = (tmp_path / "demo" / "tables" / "coefficients.md").read_text(encoding="utf-8")
    demo_lines = demo.splitlines()
    positions = []
    for line in readme_table():
        assert line in demo_lines, f"README line not in the demo table: {line}"
        positions.append(demo_lines.index(line) if line.strip("|: -") else -1)
    found = [p for p in positions if p >= 0]
    assert found == sorted(found), "README rows are in another order than the demo's"
