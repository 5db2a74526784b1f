"""``surveytk estimate`` vs R ``survey`` on 1M rows: means and proportions by 20 domains, raking.

Whole processes in the same run (best of ``--repeat``, alternating):

* ``estimate --mean y --by region`` vs R ``svyby(~y, ~region, des, svymean)``;
* ``estimate --prop z --by region`` vs R ``svyby(~factor(z), ~region, des, svymean)``;
* ``estimate --mean y --calibrate totals.csv --calibration rake`` (three margins:
  sex, age group, region) vs R ``rake()`` + ``svymean`` (calibrated SE).

R reads the CSV with ``data.table::fread`` when installed, surveytk the same rows
from Parquet. Prints each ratio R / surveytk (target ≥ 10) and, for reference,
R's time inside ``svyby``/``rake`` alone. Skips with a message without R.

The ratio printed is that of the best wall times; the machine is shared, so the
ratio of each repeat (R and surveytk run one after the other) is printed too,
with its minimum and median, and the ratio of the best CPU times (user + system),
which other jobs on the cores move less.

Usage: python benchmarks/bench_estimate_vs_r.py [--rows 1000000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (
    MARGINS,
    R_READ,
    make_estimation_file,
    rscript,
    run_with_cpu,
    surveytk_exe,
    write_totals,
)

R_DESIGN = "des <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = d)\n"
R_MEAN_BY = R_DESIGN + (
    "t <- system.time(r <- svyby(~y, ~region, des, svymean))\n"
    'cat("inner", t[["elapsed"]], "\\n"); print(head(r, 3))\n'
)
R_PROP_BY = R_DESIGN + (
    "des <- update(des, zf = factor(z))\n"
    "t <- system.time(r <- svyby(~zf, ~region, des, svymean))\n"
    'cat("inner", t[["elapsed"]], "\\n"); print(r[1:2, 1:4])\n'
)
R_RAKE = R_DESIGN + (
    "tot <- read.csv(args[2])\n"
    "margins <- lapply(c(%s), function(v) {\n"
    "  s <- tot[tot$variable == v, ]\n"
    "  setNames(data.frame(factor(s$level), s$total), c(v, 'Freq'))\n"
    "})\n"
    "for (v in c(%s)) d[[v]] <- factor(d[[v]])\n"
    "des <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = d)\n"
    "t <- system.time({\n"
    "  rk <- rake(des, lapply(c(%s), function(v) as.formula(paste0('~', v))), margins,\n"
    "             control = list(maxit = 100, epsilon = 1e-7))\n"
    "  r <- svymean(~y, rk)\n"
    "})\n"
    'cat("inner", t[["elapsed"]], "\\n"); print(r)\n'
)


def _inner(out: str) -> float:
    for line in out.splitlines():
        if line.startswith("inner"):
            return float(line.split()[1])
    return float("nan")


def timed(
    commands: dict[str, list[str]], repeat: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, str]]:
    """Every run's wall and CPU time (the commands alternating, ``repeat`` rounds), last stdout."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    out: dict[str, str] = {}
    for _ in range(repeat):
        for name, cmd in commands.items():
            seconds, used, _, out[name] = run_with_cpu(cmd)
            times[name].append(seconds)
            cpu[name].append(used)
    return times, cpu, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    r_exe = rscript()
    if r_exe is None:
        return
    quoted = ", ".join(f"'{v}'" for v in MARGINS)
    with tempfile.TemporaryDirectory() as tmp:
        pq, csv, totals = Path(tmp) / "e.parquet", Path(tmp) / "e.csv", Path(tmp) / "totals.csv"
        d = make_estimation_file(pq, a.rows)
        d.to_csv(csv, index=False)
        write_totals(d, totals)
        scripts = {}
        for name, body in (
            ("mean_by", R_MEAN_BY),
            ("prop_by", R_PROP_BY),
            ("rake", R_RAKE % (quoted, quoted, quoted)),
        ):
            scripts[name] = Path(tmp) / f"{name}.R"
            scripts[name].write_text(R_READ + body)
        design = ["--weights", "w", "--strata", "stratum", "--psu", "psu"]
        st = [surveytk_exe(), "estimate", str(pq), *design]
        commands = {
            "R mean_by": [r_exe, str(scripts["mean_by"]), str(csv)],
            "surveytk mean_by": [*st, "--mean", "y", "--by", "region"],
            "R prop_by": [r_exe, str(scripts["prop_by"]), str(csv)],
            "surveytk prop_by": [*st, "--prop", "z", "--by", "region"],
            "R rake": [r_exe, str(scripts["rake"]), str(csv), str(totals)],
            "surveytk rake": [
                *st,
                "--mean",
                "y",
                "--calibrate",
                str(totals),
                "--calibration",
                "rake",
            ],
        }
        times, cpu, out = timed(commands, a.repeat)
    print(f"rows: {a.rows:,}, best of {a.repeat}, whole processes (R from CSV, surveytk Parquet)")
    for what in ("mean_by", "prop_by", "rake"):
        r, s = times[f"R {what}"], times[f"surveytk {what}"]
        each = [x / y for x, y in zip(r, s, strict=True)]
        print(
            f"{what:8s} R {min(r):6.2f} s (inside survey {_inner(out[f'R {what}']):5.2f} s), "
            f"surveytk {min(s):5.2f} s, ratio R / surveytk {min(r) / min(s):5.2f}"
            "  (target >= 10)"
        )
        print(
            f"         per repeat: {', '.join(f'{x:.2f}' for x in each)}; "
            f"min {min(each):.2f}, median {statistics.median(each):.2f}; "
            f"CPU R {min(cpu[f'R {what}']):.2f} s, surveytk {min(cpu[f'surveytk {what}']):.2f} s, "
            f"ratio {min(cpu[f'R {what}']) / min(cpu[f'surveytk {what}']):.2f}"
        )
    print("R rake + svymean:\n" + out["R rake"])
    print("surveytk rake + mean:\n" + out["surveytk rake"])


if __name__ == "__main__":
    main()
