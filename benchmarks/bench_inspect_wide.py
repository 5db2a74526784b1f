"""``surveytk inspect`` of a very wide Stata file vs the bare pyreadstat metadata read.

Writes a .dta with ``--cols`` numeric columns (default 33,000, a third of them
value-labelled, all with variable labels) and ``--rows`` rows, then times as
whole processes, alternating, best of ``--repeat``:

* ``pyreadstat.read_dta(path, metadataonly=True)`` (the floor: ReadStat parses
  the header of every variable);
* ``surveytk inspect FILE`` (metadata, missing and unlabelled counts, summaries).

Prints the ratio surveytk / pyreadstat (target ≤ 2). On a terminal ``inspect``
shows a progress bar while it reads (files over 50 MB).

Usage: python benchmarks/bench_inspect_wide.py [--cols 33000] [--rows 300] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import best_of, surveytk_exe

META = "import sys, pyreadstat\n_, m = pyreadstat.read_dta(sys.argv[1], metadataonly=True)\n"


def make_wide(path: Path, cols: int, rows: int) -> None:
    rng = np.random.default_rng(1)
    values = rng.integers(0, 5, (rows, cols)).astype(float)
    values[rng.uniform(size=values.shape) < 0.05] = np.nan
    df = pd.DataFrame(values, columns=[f"v{i}" for i in range(cols)])
    pyreadstat.write_dta(
        df,
        str(path),
        column_labels={f"v{i}": f"Question {i}" for i in range(cols)},
        variable_value_labels={f"v{i}": {1.0: "one", 2.0: "two"} for i in range(0, cols, 3)},
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cols", type=int, default=33_000)
    ap.add_argument("--rows", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.dta"
        make_wide(path, a.cols, a.rows)
        runs = best_of(
            {
                "pyreadstat": [sys.executable, "-c", META, str(path)],
                "surveytk": [surveytk_exe(), "inspect", str(path)],
            },
            a.repeat,
        )
    meta, st = runs["pyreadstat"], runs["surveytk"]
    print(f"columns: {a.cols:,}, rows: {a.rows:,}, best of {a.repeat}")
    print(f"pyreadstat metadata read: {meta.seconds:6.2f} s")
    print(f"surveytk inspect:         {st.seconds:6.2f} s")
    print(f"ratio surveytk / pyreadstat: {st.seconds / meta.seconds:5.2f}  (target <= 2)")


if __name__ == "__main__":
    main()
