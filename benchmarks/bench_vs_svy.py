"""surveytk vs svy (samplics-org; Rust engine on Polars) on the same files, same run.

Whole processes, best of ``--repeat`` (alternating), with each process's peak
resident memory:

* ``fit`` logit, 1M rows from Parquet, strata + PSUs (target: ≤ 0.8× svy's time,
  no more memory) vs ``svy.Sample(...).glm.fit(family="binomial")``;
* ``estimate --mean y --by region`` (20 domains; target ≤ svy's time) vs
  ``sample.estimation.mean("y", by="region")``;
* raking on three margins then a mean (target ≤ svy's time) vs
  ``sample.weighting.rake(controls=...)`` then ``estimation.mean``.

svy is the optional extra ``bench`` (``pip install -e ".[bench]"``); without it
the benchmark says so and stops.

Usage: python benchmarks/bench_vs_svy.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import MARGINS, best_of, have_svy, make_estimation_file, surveytk_exe
from bench_common import write_totals as write_totals_csv
from bench_fit import COVARIATES, make_file, precompile_surveytk

SVY_FIT = """
import sys, polars as pl, svy
d = pl.read_parquet(sys.argv[1])
s = svy.Sample(d, svy.Design(stratum="stratum", psu="psu", wgt="w"))
m = s.glm.fit("y", x=%r, family="binomial")
print(m.to_polars())
"""
SVY_MEAN_BY = """
import sys, polars as pl, svy
d = pl.read_parquet(sys.argv[1])
s = svy.Sample(d, svy.Design(stratum="stratum", psu="psu", wgt="w"))
print(s.estimation.mean("y", by="region").to_polars().head(3))
"""
SVY_RAKE = """
import sys, polars as pl, svy
d = pl.read_parquet(sys.argv[1])
t = pl.read_csv(sys.argv[2])
controls = {v: {int(r["level"]): float(r["total"]) for r in t.filter(pl.col("variable") == v)
                .iter_rows(named=True)} for v in %r}
s = svy.Sample(d, svy.Design(stratum="stratum", psu="psu", wgt="w"))
s = s.weighting.rake(controls=controls, tol=1e-7)
print(s.estimation.mean("y").to_polars())
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    if not have_svy():
        return
    py = sys.executable
    precompile_surveytk()  # as an installed copy is
    with tempfile.TemporaryDirectory() as tmp:
        fit_pq, est_pq = Path(tmp) / "fit.parquet", Path(tmp) / "est.parquet"
        totals, out = Path(tmp) / "totals.csv", Path(tmp) / "res.json"
        make_file(fit_pq, a.rows)
        write_totals_csv(make_estimation_file(est_pq, a.rows), totals)
        design = ["--weights", "w", "--strata", "stratum", "--psu", "psu"]
        st = surveytk_exe()
        commands = {
            "svy fit": [py, "-c", SVY_FIT % (COVARIATES,), str(fit_pq)],
            "surveytk fit": [
                st,
                "fit",
                str(fit_pq),
                "--model",
                "logit",
                "--formula",
                "y ~ " + " + ".join(COVARIATES),
                *design,
                "--out",
                str(out),
            ],
            "svy mean_by": [py, "-c", SVY_MEAN_BY, str(est_pq)],
            "surveytk mean_by": [
                st,
                "estimate",
                str(est_pq),
                *design,
                "--mean",
                "y",
                "--by",
                "region",
            ],
            "svy rake": [py, "-c", SVY_RAKE % (list(MARGINS),), str(est_pq), str(totals)],
            "surveytk rake": [
                st,
                "estimate",
                str(est_pq),
                *design,
                "--mean",
                "y",
                "--calibrate",
                str(totals),
                "--calibration",
                "rake",
            ],
        }
        runs = best_of(commands, a.repeat)
    print(f"rows: {a.rows:,}, best of {a.repeat}, whole processes from Parquet")
    targets = {"fit": "<= 0.8, memory <= 1", "mean_by": "<= 1", "rake": "<= 1"}
    for what, target in targets.items():
        v, s = runs[f"svy {what}"], runs[f"surveytk {what}"]
        print(
            f"{what:8s} svy {v.seconds:5.2f} s {v.peak_mb:6.0f} MB, surveytk {s.seconds:5.2f} s "
            f"{s.peak_mb:6.0f} MB; surveytk / svy: time {s.seconds / v.seconds:4.2f}, "
            f"memory {s.peak_mb / v.peak_mb:4.2f}  (target {target})"
        )
    print("svy rake + mean:\n" + runs["svy rake"].stdout)
    print("surveytk rake + mean:\n" + runs["surveytk rake"].stdout)


if __name__ == "__main__":
    main()
