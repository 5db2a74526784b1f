"""Whole-process `surveytk fit` (linearised logit) vs a plain statsmodels GLM, same Parquet file.

Both sides are timed as separate processes, from start to exit, so imports and
reading the file count: ``surveytk fit FILE --model logit ... --out res.json``
against ``python -c "read_parquet; sm.GLM(y, X, Binomial()).fit()"`` (no design,
no SEs beyond the model-based ones). Prints the ratio surveytk / statsmodels
(target ≤ 0.25).

Each repeat runs both, alternating, and gives one ratio; the minimum and the
median of those ratios are printed (the machine is shared: quote both).
surveytk's own modules are byte-compiled first (:func:`precompile_surveytk`).

Usage: python benchmarks/bench_fit.py [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

COVARIATES = ["age", "female", "employed", "children", "distance"]


def make_file(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 50, rows)
    psu = stratum * 1000 + rng.integers(0, 40, rows)
    d = pd.DataFrame(
        {
            "age": rng.integers(18, 80, rows).astype(float),
            "female": rng.integers(0, 2, rows).astype(float),
            "employed": rng.integers(0, 2, rows).astype(float),
            "children": rng.integers(0, 2, rows).astype(float),
            "distance": rng.gamma(2.0, 0.5, rows),
            "stratum": stratum,
            "psu": psu,
            "w": rng.uniform(0.5, 3.0, rows),
        }
    )
    eta = -0.5 + 0.01 * d["age"] + 0.3 * d["female"] - 0.5 * d["employed"] - 0.2 * d["distance"]
    d["y"] = (rng.uniform(size=rows) < 1 / (1 + np.exp(-eta))).astype(float)
    d.to_parquet(path, index=False)


def surveytk_cmd(data: Path, out: Path) -> list[str]:
    exe = Path(sys.executable).with_name("surveytk")
    return [str(exe), "fit", str(data), "--model", "logit", "--formula",
            "y ~ " + " + ".join(COVARIATES), "--weights", "w", "--strata", "stratum",
            "--psu", "psu", "--out", str(out)]  # fmt: skip


def statsmodels_cmd(data: Path) -> list[str]:
    code = (
        "import pandas as pd, statsmodels.api as sm\n"
        f"d = pd.read_parquet({str(data)!r})\n"
        f"X = sm.add_constant(d[{COVARIATES!r}])\n"
        "r = sm.GLM(d['y'], X, family=sm.families.Binomial(), freq_weights=d['w']).fit()\n"
        "print(r.params.iloc[0])\n"
    )
    return [sys.executable, "-c", code]


def precompile_surveytk() -> None:
    """Byte-compile surveytk's modules, as ``pip install`` does for an installed copy.

    An editable install run with ``PYTHONDONTWRITEBYTECODE`` set (as on the
    benchmark machine) would otherwise compile every module from source at the
    start of every process, a cost no installed surveytk pays.
    """
    import surveytk

    compileall.compile_dir(Path(surveytk.__file__).parent, quiet=1)


def timed(cmd: list[str]) -> float:
    """Wall time of one whole process."""
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def best_of(cmd: list[str], repeat: int) -> float:
    return min(timed(cmd) for _ in range(repeat))


def ratio_line(label: str, ratios: list[float], target: str) -> str:
    """``label: min x, median y (target ...)`` of ratios measured pair by pair."""
    return (
        f"{label} min {min(ratios):5.2f}, median {statistics.median(ratios):5.2f}"
        f"  (target {target})"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    precompile_surveytk()
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "bench.parquet", Path(tmp) / "res.json"
        make_file(data, a.rows)
        sm, st = [], []
        for _ in range(a.repeat):  # alternating: both see the same load
            sm.append(timed(statsmodels_cmd(data)))
            st.append(timed(surveytk_cmd(data, out)))
    print(f"rows: {a.rows:,}, {a.repeat} alternating runs")
    print(f"statsmodels GLM (no design):          best {min(sm):6.2f} s")
    print(f"surveytk fit (logit, strata + PSU):   best {min(st):6.2f} s")
    ratios = [t / s for t, s in zip(st, sm, strict=True)]
    print(ratio_line("ratio surveytk / statsmodels:", ratios, "<= 0.25"))


if __name__ == "__main__":
    main()
