"""100 bootstrap replicates vs one linearised fit (logit, 200k rows, strata + PSU).

Times, in one process and in the same run, ``fit(...)`` with linearised variance
and ``fit(..., replicates=100, seed=1)`` (Rao–Wu bootstrap made from the design,
each replicate warm-started from the full-sample estimate), best of
``--repeat``. Prints the ratio (target ≤ 3). Also times both as whole
``surveytk fit`` processes, which is what a user waits for.

Usage: python benchmarks/bench_replicates.py [--rows 200000] [--replicates 100]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fit import COVARIATES, make_file

FORMULA = "y ~ " + " + ".join(COVARIATES)
DESIGN = {"weights": "w", "strata": "stratum", "psu": "psu"}


def best_of(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def cli(data: Path, out: Path, extra: list[str]) -> list[str]:
    exe = Path(sys.executable).with_name("surveytk")
    return [str(exe), "fit", str(data), "--model", "logit", "--formula", FORMULA,
            "--weights", "w", "--strata", "stratum", "--psu", "psu", "--out", str(out),
            *extra]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--replicates", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    from surveytk.models import fit

    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "bench.parquet", Path(tmp) / "res.json"
        make_file(data, a.rows)
        d = pd.read_parquet(data)
        fit(d, model="logit", formula=FORMULA, **DESIGN)  # warm imports
        t_lin = best_of(lambda: fit(d, model="logit", formula=FORMULA, **DESIGN), a.repeat)
        t_rep = best_of(
            lambda: fit(
                d, model="logit", formula=FORMULA, replicates=a.replicates, seed=1, **DESIGN
            ),
            a.repeat,
        )
        p_lin = best_of(lambda: subprocess.run(cli(data, out, []), check=True,
                                               capture_output=True), a.repeat)  # fmt: skip
        p_rep = best_of(
            lambda: subprocess.run(
                cli(data, out, ["--replicates", str(a.replicates), "--seed", "1"]),
                check=True,
                capture_output=True,
            ),
            a.repeat,
        )
    print(f"rows: {a.rows:,}, replicates: {a.replicates}, best of {a.repeat}")
    print(f"in process:    linearised {t_lin:6.2f} s, bootstrap {t_rep:6.2f} s, "
          f"ratio {t_rep / t_lin:5.1f}  (target <= 3)")  # fmt: skip
    print(f"whole process: linearised {p_lin:6.2f} s, bootstrap {p_rep:6.2f} s, "
          f"ratio {p_rep / p_lin:5.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
