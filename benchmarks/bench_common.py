"""Shared pieces of the whole-process benchmarks: timing with peak memory, data, R, svy.

Every benchmark times whole processes (start-up imports and the file read
count) in the same run, alternating the programs compared, and prints ratios
of the best of ``--repeat`` runs: the machine is shared, so absolute times
move from run to run but ratios measured together hold.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: the three raking margins of the estimation data and their number of levels
MARGINS = {"sex": 2, "agegrp": 5, "region": 20}


@dataclass
class Run:
    """Best wall time (s) and largest peak resident memory (MB) over the repeats."""

    seconds: float
    peak_mb: float
    stdout: str


def run_measured(cmd: Sequence[str]) -> tuple[float, float, str]:
    """Wall time, peak RSS (MB, the child's own, through ``os.wait4``) and stdout."""
    seconds, _, peak, out = run_with_cpu(cmd)
    return seconds, peak, out


def run_with_cpu(cmd: Sequence[str]) -> tuple[float, float, float, str]:
    """Wall time, CPU time (user + system, s), peak RSS (MB) and stdout of the child.

    CPU time moves less than wall time when other jobs share the cores.
    """
    with tempfile.TemporaryFile("w+") as errf:  # a file: a full stderr pipe cannot block
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=errf, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errf.seek(0)
            raise SystemExit(f"{cmd[0]} failed ({proc.returncode}):\n{errf.read()[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, out


def best_of(commands: dict[str, Sequence[str]], repeat: int) -> dict[str, Run]:
    """Run each command ``repeat`` times, alternating; best time and largest peak memory."""
    best: dict[str, Run] = {}
    for _ in range(repeat):
        for name, cmd in commands.items():
            seconds, peak, out = run_measured(cmd)
            prev = best.get(name)
            if prev is None:
                best[name] = Run(seconds, peak, out)
            else:
                prev.seconds = min(prev.seconds, seconds)
                prev.peak_mb = max(prev.peak_mb, peak)
                prev.stdout = out
    return best


def surveytk_exe() -> str:
    return str(Path(sys.executable).with_name("surveytk"))


def rscript() -> str | None:
    """``Rscript`` with the survey package, or None (the reason printed)."""
    exe = shutil.which("Rscript")
    if exe is None:
        print("Rscript not found: the R comparison is skipped")
        return None
    check = subprocess.run([exe, "-e", "library(survey)"], capture_output=True)
    if check.returncode != 0:
        print("R package survey not installed: the R comparison is skipped")
        return None
    return exe


def have_svy() -> bool:
    """Whether svy (the optional extra ``bench``) is installed, the reason printed if not."""
    if importlib.util.find_spec("svy") is None or importlib.util.find_spec("polars") is None:
        print("svy is not installed (pip install -e '.[bench]'): the svy comparison is skipped")
        return False
    return True


R_READ = """
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- if (requireNamespace("data.table", quietly = TRUE)) {
  as.data.frame(data.table::fread(args[1]))
} else read.csv(args[1])
"""


def make_estimation_file(path: Path, rows: int, seed: int = 2) -> pd.DataFrame:
    """Strata, PSUs, weights, 20 regions, sex and age group margins, y and a 4-level z."""
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 50, rows)
    d = pd.DataFrame(
        {
            "stratum": stratum,
            "psu": stratum * 1000 + rng.integers(0, 40, rows),
            "w": rng.uniform(0.5, 3.0, rows),
            "region": rng.integers(1, MARGINS["region"] + 1, rows),
            "sex": rng.integers(1, MARGINS["sex"] + 1, rows),
            "agegrp": rng.integers(1, MARGINS["agegrp"] + 1, rows),
            "z": rng.integers(1, 5, rows),
        }
    )
    d["y"] = rng.normal(50.0 + d["region"] + 2.0 * d["sex"], 10.0)
    d.to_parquet(path, index=False)
    return d


def write_totals(d: pd.DataFrame, path: Path, population: float = 2_000_000.0) -> None:
    """Population totals of the three margins (variable,level,total), off the sample's shares."""
    rng = np.random.default_rng(5)
    rows = []
    for var in MARGINS:
        s = d.groupby(var)["w"].sum()
        s = s * (1.0 + 0.15 * rng.uniform(-1.0, 1.0, len(s)))
        s = s / s.sum() * population
        rows += [(var, int(level), float(t)) for level, t in s.items()]
    pd.DataFrame(rows, columns=["variable", "level", "total"]).to_csv(path, index=False)
