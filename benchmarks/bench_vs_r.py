"""R ``svyglm`` vs ``surveytk fit`` on the same 300k rows (linearised logit, strata + PSU).

Both timed as whole processes from start to exit in the same run, both reading
the same CSV (R with ``data.table::fread`` when installed, else ``read.csv``),
alternating; prints the best times and the minimum and median of the ratios
R / surveytk measured pair by pair (target ≥ 10). surveytk's modules are
byte-compiled first, as an installed copy is. Skips with a message when
``Rscript`` or R's ``survey`` is absent.

Usage: python benchmarks/bench_vs_r.py [--rows 300000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fit import COVARIATES, make_file, precompile_surveytk, ratio_line, surveytk_cmd

R_SCRIPT = """
suppressPackageStartupMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- if (requireNamespace("data.table", quietly = TRUE)) {
  as.data.frame(data.table::fread(args[1]))
} else read.csv(args[1])
des <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = d)
m <- svyglm(y ~ %s, design = des, family = quasibinomial())
print(coef(summary(m)))
"""


def best_of(cmd: list[str], repeat: int) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = subprocess.run(cmd, check=True, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        out = res.stdout
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("Rscript not found: skipped")
        return
    check = subprocess.run([rscript, "-e", "library(survey)"], capture_output=True)
    if check.returncode != 0:
        print("R package survey not installed: skipped")
        return
    precompile_surveytk()
    with tempfile.TemporaryDirectory() as tmp:
        pq, csv = Path(tmp) / "bench.parquet", Path(tmp) / "bench.csv"
        script, out = Path(tmp) / "bench.R", Path(tmp) / "res.json"
        make_file(pq, a.rows)
        pd.read_parquet(pq).to_csv(csv, index=False)
        script.write_text(R_SCRIPT % " + ".join(COVARIATES))
        t_r, t_s, r_out, s_out = [], [], "", ""
        for _ in range(a.repeat):  # alternating: both see the same load
            t, r_out = best_of([rscript, str(script), str(csv)], 1)
            t_r.append(t)
            t, s_out = best_of(surveytk_cmd(csv, out), 1)
            t_s.append(t)
    print(f"rows: {a.rows:,}, {a.repeat} alternating runs")
    print(f"R svyglm (survey):         best {min(t_r):7.2f} s")
    print(f"surveytk fit:              best {min(t_s):7.2f} s")
    ratios = [r / s for r, s in zip(t_r, t_s, strict=True)]
    print(ratio_line("ratio R / surveytk:", ratios, ">= 10"))
    print("R:\n" + r_out + "surveytk:\n" + s_out)


if __name__ == "__main__":
    main()
