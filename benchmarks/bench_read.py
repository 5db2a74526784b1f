"""Benchmark: surveytk.io.readers.read_file vs bare pyreadstat.read_dta on a SOEP pl.dta.

Acceptance: read_file (metadata and SHA-256 included) takes at most 1.2x the bare
``pyreadstat.read_dta`` of the same ~1M-row file.

Usage::

    python benchmarks/bench_read.py                 # synthetic SOEP pl.dta, ~1M rows (scale 43)
    python benchmarks/bench_read.py --file pl.dta   # any .dta
    python benchmarks/bench_read.py --stand-in      # skip surveytk.synth, write a stand-in

Times are the median of ``--repeats`` runs of each reader, alternating, in this
process; peak memory is the max RSS of a fresh subprocess per reader.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

PEAK_SNIPPET = """
import resource, sys
path, which = sys.argv[1], sys.argv[2]
if which == "pyreadstat":
    import pyreadstat
    df, meta = pyreadstat.read_dta(path)
else:
    from surveytk.io.readers import read_file
    lf = read_file(path, progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

SOEP_LABELS = {
    "plj0085_v1": {1: "[1] Yes", 2: "[2] No", -1: "[-1] no answer", -2: "[-2] does not apply"},
    "plj0086_v1": {
        1: "[1] For one more year at most",
        2: "[2] For a few more years",
        -1: "[-1] no answer",
        -2: "[-2] does not apply",
    },
    "plb0022_v11": {
        1: "[1] Employed full-time",
        2: "[2] Employed part-time",
        3: "[3] Completing in-service training / apprenticeship / in-service retraining",
        4: "[4] In marginal or irregular employment",
        5: "[5] In partial retirement, phase with zero working hours",
        7: "[7] Voluntary social / ecological year, federal volunteer service",
        9: "[9] Not employed",
        10: "[10] Working reduced hours (short-time work)",
        11: "[11] Completing an internship",
        -1: "[-1] no answer",
    },
    "pmonin": {m: f"[{m}] month {m}" for m in range(1, 13)} | {-1: "[-1] no answer"},
}


def write_stand_in(path: Path, n_rows: int, seed: int = 1) -> Path:
    """A pl.dta with SOURCES.md's columns and SOEP-style value labels."""
    import pyreadstat

    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "pid": (90_000_000 + np.arange(n_rows)).astype("int32"),
            "syear": rng.choice([2022, 2023], n_rows).astype("int16"),
            "plj0085_v1": rng.choice([1, 2, -1], n_rows, p=[0.26, 0.47, 0.27]).astype("int8"),
            "plj0086_v1": rng.choice([1, 2, -2], n_rows).astype("int8"),
            "plb0022_v11": rng.choice([1, 2, 3, 4, 5, 7, 9, 10, 11, -1], n_rows).astype("int8"),
            "pmonin": rng.integers(1, 13, n_rows).astype("int8"),
        }
    )
    pyreadstat.write_dta(
        df,
        path,
        column_labels=[
            "Person ID",
            "Survey year",
            "Stay in Germany forever?",
            "How long stay?",
            "Employment status",
            "Interview month",
        ],
        variable_value_labels=SOEP_LABELS,
        version=14,
    )
    return path


def synthetic_pl(out_dir: Path, scale: float, seed: int) -> Path | None:
    """pl.dta from surveytk.synth, or None if the generator is unavailable or fails."""
    try:
        from surveytk.synth import write_synthetic_sources
    except ImportError:
        return None
    try:
        write_synthetic_sources(out_dir, seed=seed, scale=scale, sources=("soep_ukr",))
    except Exception as exc:  # a benchmark falls back rather than stops
        print(f"surveytk.synth failed ({type(exc).__name__}: {exc}); using a stand-in")
        return None
    found = sorted(out_dir.rglob("pl.dta"))
    return found[0] if found else None


def time_readers(path: Path, repeats: int) -> tuple[list[float], list[float]]:
    import pyreadstat

    from surveytk.io.readers import read_file

    bare: list[float] = []
    ours: list[float] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        df, _meta = pyreadstat.read_dta(str(path))
        bare.append(time.perf_counter() - t0)
        del df
        t0 = time.perf_counter()
        lf = read_file(path, progress=False)
        ours.append(time.perf_counter() - t0)
        del lf
    return bare, ours


def peak_rss_mb(path: Path, which: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PEAK_SNIPPET, str(path), which],
        capture_output=True,
        text=True,
        check=True,
    )
    kib = int(out.stdout.strip().splitlines()[-1])
    return kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, help="an existing .dta to read")
    ap.add_argument(
        "--scale", type=float, default=43.0, help="surveytk synth scale (43: ~1M pl rows)"
    )
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of the stand-in file")
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--stand-in", action="store_true", help="do not try surveytk.synth")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_read_") as tmp:
        path = args.file
        origin = "given"
        if path is None and not args.stand_in:
            path = synthetic_pl(Path(tmp) / "synth", args.scale, args.seed)
            origin = f"surveytk.synth scale {args.scale:g}"
        if path is None:
            path = write_stand_in(Path(tmp) / "pl.dta", args.rows, args.seed)
            origin = f"stand-in, {args.rows} rows"
        size_mb = path.stat().st_size / 2**20
        print(f"file: {path.name} ({origin}), {size_mb:.1f} MB")
        bare, ours = time_readers(path, args.repeats)
        b, o = statistics.median(bare), statistics.median(ours)
        from surveytk.io.readers import read_file

        lf = read_file(path, progress=False)
        print(f"rows x cols: {lf.file.n_rows} x {lf.file.n_cols}")
        print(f"pyreadstat.read_dta   median {b:.3f} s  runs {[round(x, 3) for x in bare]}")
        print(f"surveytk read_file    median {o:.3f} s  runs {[round(x, 3) for x in ours]}")
        print(f"ratio read_file / read_dta: {o / b:.3f}  (target <= 1.20)")
        print(f"peak RSS pyreadstat: {peak_rss_mb(path, 'pyreadstat'):.0f} MB")
        print(f"peak RSS read_file:  {peak_rss_mb(path, 'surveytk'):.0f} MB")
        del lf
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
