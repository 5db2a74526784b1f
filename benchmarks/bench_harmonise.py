"""Benchmark: harmonising the SOEP delivery vs merely reading its files with pyreadstat.

Usage::

    python benchmarks/bench_harmonise.py [--scale 300] [--seed 1] [--dir DIR] [--repeat 2]

Measured (shared 2-core machine, scale 300 = 7.0 M respondent-years, 37.7 M rows):
read 92.9 s, harmonise 121.2 s, ratio 1.30; peak 3.36 GB extra = 2.30× the 1.46 GB table.

Writes the synthetic SOEP files (``surveytk synth`` layout) into ``DIR`` unless they
are there already, then runs, each in a fresh Python process and alternating:

* ``read``: ``pyreadstat.read_dta`` of the six files (all columns);
* ``harmonise``: ``surveytk.harmonise.harmonise("soep_ukr_2023", DIR)`` (which reads
  the files itself through ``surveytk.io.readers.read_file``).

Reports the best wall time of each, their ratio (target ≤ 1.5), the peak resident
memory of the harmonising process above its state after imports, and that peak
relative to the harmonised table's in-memory size (target ≤ 3).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES = ("pl.dta", "ppathl.dta", "hl.dta", "biol.dta", "hbrutto.dta", "design.dta")

CHILD = r"""
import json, resource, sys, time
mode, folder = sys.argv[1], sys.argv[2]
FILES = sys.argv[3].split(",")
import pandas, numpy, pyreadstat
import surveytk.harmonise.engine, surveytk.io.readers
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
out = {}
if mode == "read":
    n = 0
    for f in FILES:
        df, meta = pyreadstat.read_dta(f"{folder}/{f}")
        n += len(df)
        del df, meta
    out["rows_read"] = n
else:
    res = surveytk.harmonise.engine.harmonise("soep_ukr_2023", folder)
    out["rows"] = len(res.table)
    out["table_bytes"] = int(res.table.memory_usage(deep=True).sum())
out["seconds"] = time.perf_counter() - t
out["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out["base_kb"] = base
print(json.dumps(out))
"""


def run_child(mode: str, folder: Path) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", CHILD, mode, str(folder), ",".join(FILES)],
                          check=True,
                          capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ensure_files(folder: Path, scale: float, seed: int) -> float:
    if all((folder / "soep_ukr" / f).is_file() for f in FILES):
        return 0.0
    from surveytk.synth import write_synthetic_sources

    t = time.perf_counter()
    write_synthetic_sources(folder, seed=seed, scale=scale, sources=["soep_ukr"])
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=300.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=None,
                    help="folder for the synthetic files (default: <tmp>/surveytk-bench/scale<S>)")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    if args.dir is None:
        args.dir = Path(tempfile.gettempdir()) / "surveytk-bench" / f"scale{args.scale:g}"
    made = ensure_files(args.dir, args.scale, args.seed)
    folder = args.dir / "soep_ukr"
    reads, harms = [], []
    for _ in range(args.repeat):
        reads.append(run_child("read", folder))
        harms.append(run_child("harmonise", folder))
    read = min(reads, key=lambda r: r["seconds"])
    harm = min(harms, key=lambda r: r["seconds"])
    peak_extra = max(h["peak_kb"] - h["base_kb"] for h in harms) * 1024
    result = {
        "scale": args.scale,
        "synthesised_seconds": round(made, 1),
        "rows_read_all_files": int(read["rows_read"]),
        "respondent_rows": int(harm["rows"]),
        "read_seconds": round(read["seconds"], 2),
        "harmonise_seconds": round(harm["seconds"], 2),
        "ratio": round(harm["seconds"] / read["seconds"], 2),
        "table_mb": round(harm["table_bytes"] / 1e6, 1),
        "peak_extra_mb": round(peak_extra / 1e6, 1),
        "peak_over_table": round(peak_extra / harm["table_bytes"], 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
