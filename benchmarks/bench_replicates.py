"""100 bootstrap replicates vs one linearised fit (logit, 200k rows, strata + PSU).

Times, in one process and in the same run, ``fit(...)`` with linearised variance
and ``fit(..., replicates=100, seed=1)`` (Rao–Wu bootstrap made from the design,
each replicate warm-started from the full-sample estimate), best of
``--repeat``, alternating; prints the minimum and median of the ratios measured
pair by pair (target ≤ 3). BLAS runs single-threaded, as in the ``surveytk``
command (:func:`surveytk.cli.main.single_threaded_blas`): with two threads on a
busy two-core machine both fits were up to four times slower and the ratio
measured the contention, not the replicates. Also times both as whole
``surveytk fit`` processes, which is what a user waits for.

Usage: python benchmarks/bench_replicates.py [--rows 200000] [--replicates 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # before numpy is imported
    os.environ.setdefault(_var, "1")

import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fit import COVARIATES, make_file, precompile_surveytk, ratio_line, timed  # noqa: E402

FORMULA = "y ~ " + " + ".join(COVARIATES)
DESIGN = {"weights": "w", "strata": "stratum", "psu": "psu"}


def seconds(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


def cli(data: Path, out: Path, extra: list[str]) -> list[str]:
    exe = Path(sys.executable).with_name("surveytk")
    return [str(exe), "fit", str(data), "--model", "logit", "--formula", FORMULA,
            "--weights", "w", "--strata", "stratum", "--psu", "psu", "--out", str(out),
            *extra]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--replicates", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    from surveytk.models import fit

    precompile_surveytk()
    reps = ["--replicates", str(a.replicates), "--seed", "1"]
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "bench.parquet", Path(tmp) / "res.json"
        make_file(data, a.rows)
        d = pd.read_parquet(data)

        def linearised() -> None:
            fit(d, model="logit", formula=FORMULA, **DESIGN)

        def bootstrap() -> None:
            fit(d, model="logit", formula=FORMULA, replicates=a.replicates, seed=1, **DESIGN)

        bootstrap()  # warm imports
        lin, rep, p_lin, p_rep = [], [], [], []
        for _ in range(a.repeat):  # alternating: both see the same load
            lin.append(seconds(linearised))
            rep.append(seconds(bootstrap))
        for _ in range(a.repeat):
            p_lin.append(timed(cli(data, out, [])))
            p_rep.append(timed(cli(data, out, reps)))
    print(f"rows: {a.rows:,}, replicates: {a.replicates}, {a.repeat} alternating runs")
    print(f"in process:    linearised best {min(lin):6.3f} s, bootstrap best {min(rep):6.3f} s")
    ratios = [r / x for r, x in zip(rep, lin, strict=True)]
    print(ratio_line("  ratio bootstrap / linearised:", ratios, "<= 3"))
    print(f"whole process: linearised best {min(p_lin):6.2f} s, bootstrap best {min(p_rep):6.2f} s")
    ratios = [r / x for r, x in zip(p_rep, p_lin, strict=True)]
    print(ratio_line("  ratio bootstrap / linearised:", ratios, "-"))


if __name__ == "__main__":
    main()
