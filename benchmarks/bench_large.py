"""Benchmark: the largest inputs surveytk is expected to handle — time and peak memory.

1. A SOEP delivery of about a million person-years (``surveytk synth --source soep_ukr``
   at ``--scale``; scale 43 gives ≈ 1 million ``pl`` rows, scale 300 ≈ 7 million):
   synthesise, then ``surveytk harmonise`` it (read six files, join, map, write Parquet
   and the audit).
2. A file of 30,000 columns (CSV, SPSS ``.sav``, Stata ``.dta``; ``--wide-rows`` rows):
   ``read_file``.

Every measured step runs in a fresh subprocess; peak memory is that process's max RSS
(``resource.getrusage``), wall time is measured around it.

Usage::

    python benchmarks/bench_large.py                   # SOEP scale 43 + 30,000 columns
    python benchmarks/bench_large.py --scale 300       # the 7M-row delivery
    python benchmarks/bench_large.py --skip-soep --formats csv
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
task = sys.argv[1]
if task == "synth":
    from surveytk.synth import write_synthetic_sources
    write_synthetic_sources(sys.argv[2], seed=1, scale=float(sys.argv[3]), sources=["soep_ukr"])
    info = {}
elif task == "harmonise":
    from surveytk.harmonise.run import harmonise_to_file
    summary, _ = harmonise_to_file("soep_ukr_2023", sys.argv[2], sys.argv[3])
    info = {"rows_out": summary.rows}
elif task == "write_wide":
    import numpy as np, pandas as pd
    n_rows, n_cols, fmt, path = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.integers(1, 6, (n_rows, n_cols)).astype("float64"),
                      columns=[f"v{i}" for i in range(n_cols)])
    if fmt == "csv":
        df.to_csv(path, index=False)
    else:
        import pyreadstat
        (pyreadstat.write_sav if fmt == "sav" else pyreadstat.write_dta)(df, path)
    info = {}
else:
    from surveytk.io.readers import read_file
    lf = read_file(sys.argv[2])
    info = {"rows": lf.file.n_rows, "cols": lf.file.n_cols}
info["seconds"] = time.perf_counter() - t0
info["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(info))
"""


def child(*args: str) -> dict[str, float]:
    """Run one task in a fresh interpreter; its JSON line (seconds, peak_mb, ...)."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{out.stderr[-2000:]}")
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info["wall"] = time.perf_counter() - t0
    return info


def rows_of(path: Path) -> int:
    import pyreadstat

    _, meta = pyreadstat.read_dta(str(path), metadataonly=True)
    return int(meta.number_rows or 0)


def bench_soep(scale: float, work: Path) -> None:
    data = work / "soep_ukr"
    synth = child("synth", str(work), str(scale))
    pl_rows = rows_of(data / "pl.dta")
    size = sum(p.stat().st_size for p in data.iterdir()) / 1e6
    print(f"SOEP synth scale {scale:g}: pl {pl_rows:,} rows, ppathl "
          f"{rows_of(data / 'ppathl.dta'):,} rows, {size:,.0f} MB on disk "
          f"({synth['seconds']:.1f} s, peak {synth['peak_mb']:,.0f} MB)")
    res = child("harmonise", str(data), str(work / "soep.parquet"))
    print(f"  harmonise: {res['rows_out']:,} respondents in {res['seconds']:.1f} s "
          f"(wall {res['wall']:.1f} s incl. start-up), peak memory {res['peak_mb']:,.0f} MB")


def bench_wide(n_cols: int, n_rows: int, formats: list[str], work: Path) -> None:
    for fmt in formats:
        path = work / f"wide.{fmt}"
        child("write_wide", str(n_rows), str(n_cols), fmt, str(path))
        res = child("read", str(path))
        print(f"{n_cols:,} columns x {n_rows} rows .{fmt} ({path.stat().st_size / 1e6:.1f} MB): "
              f"read_file {res['seconds']:.1f} s, peak memory {res['peak_mb']:,.0f} MB")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=43.0, help="SOEP synth scale (43: ~1M rows)")
    ap.add_argument("--columns", type=int, default=30_000)
    ap.add_argument("--wide-rows", type=int, default=100)
    ap.add_argument("--formats", nargs="+", default=["csv", "sav", "dta"])
    ap.add_argument("--skip-soep", action="store_true")
    ap.add_argument("--skip-wide", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="surveytk-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_soep:
            bench_soep(args.scale, work)
        if not args.skip_wide:
            bench_wide(args.columns, args.wide_rows, args.formats, work)


if __name__ == "__main__":
    main()
