"""Benchmark: ordered logit and multinomial logit on 200k rows, whole process.

``surveytk fit`` (weighted, stratified cluster design, linearised SEs; parquet
input) against a plain statsmodels ``OrderedModel`` / ``MNLogit`` fit of the
same data without weights, each in its own subprocess (imports included), in
the same run. Target: surveytk ≤ 1.5 × statsmodels.

Usage::

    /work/venv/bin/python benchmarks/bench_ordinal_mlogit.py [--rows 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

FORMULA_RHS = "age + female + employed + children + distance"

STATSMODELS_SCRIPT = """
import sys
import pandas as pd
import statsmodels.api as sm
from statsmodels.miscmodels.ordinal_model import OrderedModel
d = pd.read_parquet(sys.argv[1])
X = d[["age", "female", "employed", "children", "distance"]].astype(float)
if sys.argv[2] == "ologit":
    model = OrderedModel(d["yord"].to_numpy(), X, distr="logit")
    res = model.fit(method="bfgs", disp=0, maxiter=500)
else:
    res = sm.MNLogit(d["ynom_code"].to_numpy(), sm.add_constant(X)).fit(disp=0, method="newton")
print(res.params.shape)
"""


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    """Synthetic design data with ordinal and nominal outcomes (known DGP)."""
    rng = np.random.default_rng(seed)
    n_psu = max(n // 50, 4)
    psu = rng.integers(0, n_psu, n)
    stratum = psu % 20
    d = pd.DataFrame(
        {
            "stratum": stratum,
            "psu": psu,
            "w": rng.uniform(0.5, 3.0, n),
            "age": rng.integers(18, 80, n).astype(float),
            "female": rng.binomial(1, 0.58, n).astype(float),
            "employed": rng.binomial(1, 0.5, n).astype(float),
            "children": rng.binomial(1, 0.4, n).astype(float),
            "distance": rng.uniform(0.4, 3.0, n),
        }
    )
    eta = (
        0.02 * d.age + 0.3 * d.female - 0.5 * d.employed - 0.4 * d.children - 0.6 * d.distance
    ).to_numpy()
    d["yord"] = np.searchsorted([-0.2, 0.9, 2.0], eta + rng.logistic(size=n)) + 1
    util = np.column_stack(
        [np.zeros(n), 0.5 * eta, -0.5 * eta + 0.3, 0.2 * eta - 1.0]
    ) + rng.gumbel(size=(n, 4))
    code = util.argmax(1)
    d["ynom_code"] = code
    d["ynom"] = np.array(["stay", "return", "move_on", "undecided"])[code]
    return d


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    surveytk = str(Path(sys.executable).with_name("surveytk"))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "bench.parquet"
        make_data(args.rows).to_parquet(data)
        script = Path(tmp) / "sm_fit.py"
        script.write_text(STATSMODELS_SCRIPT)
        for model, outcome in [("ologit", "yord"), ("mlogit", "ynom")]:
            ours = [
                run(
                    [
                        surveytk,
                        "fit",
                        str(data),
                        "--model",
                        model,
                        "--formula",
                        f"{outcome} ~ {FORMULA_RHS}",
                        "--weights",
                        "w",
                        "--strata",
                        "stratum",
                        "--psu",
                        "psu",
                        "--out",
                        str(Path(tmp) / f"{model}.json"),
                    ]
                )
                for _ in range(args.repeat)
            ]
            theirs = [
                run([sys.executable, str(script), str(data), model]) for _ in range(args.repeat)
            ]
            a, b = min(ours), min(theirs)
            print(
                f"{model}: {args.rows} rows  surveytk fit {a:.2f} s  statsmodels {b:.2f} s  "
                f"ratio {a / b:.2f} (best of {args.repeat})"
            )


if __name__ == "__main__":
    main()
