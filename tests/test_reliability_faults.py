"""Faults: runs killed part-way (SIGKILL) leave no partial output under a final name and
the rerun succeeds; two concurrent runs on one output folder do not corrupt each other.

The commands run as real subprocesses (``python -m surveytk.cli.main``) with
``--progress`` so that the test can kill them at a named stage.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from surveytk.synth import write_synthetic_sources

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

SPEC = """\
name: reliability_small
inputs:
  - {source: wodc, codebook: wodc_w1, input_dir: "{data_dir}/wodc"}
  - {source: fi_moi, codebook: fi_moi_2025, input_dir: "{data_dir}/fi_moi"}
sample:
  rules: ["age >= 18"]
models:
  - name: pooled
    model: logit
    data: pooled
    formula: 'intends_return ~ employed + age + C(source, ref="wodc")'
    ame: true
tables:
  - {name: coefficients, models: [pooled], formats: [md, csv, xlsx]}
plots:
  - {name: ame, kind: ame, models: [pooled]}
"""
CMD = [sys.executable, "-m", "surveytk.cli.main"]
TIMEOUT = 120


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("faults")
    write_synthetic_sources(root / "data", seed=4, scale=0.2, sources=["wodc", "fi_moi"])
    (root / "spec.yaml").write_text(SPEC, encoding="utf-8")
    return root


def _env() -> dict[str, str]:
    return {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}


def run_cmd(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CMD, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, env=_env())


def kill_at(args: list[str], cwd: Path, marker: str, delay: float) -> bool:
    """Start the command, SIGKILL it ``delay`` s after a progress line containing ``marker``.

    Returns whether it was killed (False: it finished first).
    """
    proc = subprocess.Popen([*CMD, *args], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=_env())
    assert proc.stderr is not None
    deadline = time.monotonic() + TIMEOUT
    try:
        for line in proc.stderr:
            if marker in line:
                time.sleep(delay)
                break
            assert time.monotonic() < deadline
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=TIMEOUT)
        return killed
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()


def published_files(out: Path) -> list[Path]:
    """Files under their final names: not in a hidden staging folder, not a temp name."""
    return [p for p in out.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)]


def assert_complete(path: Path) -> None:
    """The file is a whole file of its kind (parses to the end)."""
    suffix = path.suffix
    data = path.read_bytes()
    assert data, path
    if suffix == ".json":
        json.loads(data)
    elif suffix == ".parquet":
        pd.read_parquet(path)
    elif suffix == ".csv":
        assert data.endswith(b"\n"), path
        pd.read_csv(path)
    elif suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
    elif suffix == ".png":
        assert data.startswith(b"\x89PNG") and data.rstrip().endswith(b"IEND\xaeB`\x82"), path
    elif suffix == ".md":
        assert data.endswith(b"\n"), path


def assert_valid_run(out: Path) -> None:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for rel in manifest["outputs"]:
        assert_complete(out / rel)
    for p in published_files(out):
        assert_complete(p)


STAGES = (("harmonising fi_moi", 0.0), ("fitting", 0.05), ("figure", 0.15))


def test_killed_run_leaves_no_partial_outputs_and_rerun_succeeds(workspace: Path) -> None:
    out = workspace / "out_killed"
    args = ["run", "spec.yaml", "--data-dir", "data", "--out", str(out), "--progress"]
    killed = 0
    for i, (marker, delay) in enumerate(STAGES):
        killed += kill_at(args, workspace, marker, delay)
        if i == 0:
            # killed while harmonising a fresh folder: nothing under a final name at all
            assert published_files(out) == []
        for p in published_files(out):
            assert_complete(p)
    assert killed >= 2
    done = run_cmd(args, workspace)
    assert done.returncode == 0, done.stderr
    assert_valid_run(out)


def test_killed_harmonise_leaves_no_partial_table(workspace: Path) -> None:
    out = workspace / "harm" / "fi_moi.parquet"
    args = ["harmonise", "--codebook", "fi_moi_2025", "--input-dir", "data/fi_moi",
            "--out", str(out)]
    proc = subprocess.Popen([*CMD, *args], cwd=workspace, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=_env())
    time.sleep(1.5)  # imports done, reading/harmonising/writing under way
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=TIMEOUT)
    for p in published_files(out.parent) if out.parent.exists() else []:
        assert_complete(p)
    done = run_cmd(args, workspace)
    assert done.returncode == 0, done.stderr
    assert_complete(out)
    json.loads(out.with_name(out.name + ".audit.json").read_text(encoding="utf-8"))


def test_concurrent_runs_on_one_folder(workspace: Path) -> None:
    out = workspace / "out_concurrent"
    args = [*CMD, "run", "spec.yaml", "--data-dir", "data", "--out", str(out), "--no-progress"]
    procs = [subprocess.Popen(args, cwd=workspace, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env()) for _ in range(2)]
    results = [p.communicate(timeout=TIMEOUT) for p in procs]
    codes = [p.returncode for p in procs]
    for code, (_, err) in zip(codes, results, strict=True):
        # success, or one clean line (no traceback)
        assert code == 0 or ("Traceback" not in err and err.startswith("surveytk: error")), err
    assert 0 in codes
    assert_valid_run(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]
