"""Write tests/data/spss/declared_missing.sav: a small SPSS file with declared user-missing.

Known data-generating process: y = 2 + 0.5 x + 1.0 [group = 2] - 0.8 [group = 3] + e,
with declared user-missing codes: y 99 (discrete) and 90-98 (range), x -9 and -8
(discrete), group 9 "No answer"; weights in 1..3, strata and PSUs. Run from the
repository root: ``python tests/reference/make_declared_missing.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

OUT = Path(__file__).resolve().parents[1] / "data" / "spss" / "declared_missing.sav"


def main() -> None:
    rng = np.random.default_rng(20260213)
    n = 400
    stratum = np.repeat([1.0, 2.0, 3.0, 4.0], n // 4)
    psu = stratum * 100 + rng.integers(1, 6, n)
    x = rng.normal(5, 2, n).round(2)
    group = rng.choice([1.0, 2.0, 3.0], n, p=[0.5, 0.3, 0.2])
    y = (2 + 0.5 * x + np.where(group == 2, 1.0, 0.0) - np.where(group == 3, 0.8, 0.0)
         + rng.normal(0, 1, n)).round(3)
    w = rng.uniform(1, 3, n).round(3)
    y[rng.random(n) < 0.05] = 99.0
    in_range = rng.random(n) < 0.05
    y[in_range] = rng.integers(90, 99, n)[in_range]
    x[rng.random(n) < 0.04] = -9.0
    x[rng.random(n) < 0.03] = -8.0
    group[rng.random(n) < 0.06] = 9.0
    df = pd.DataFrame({"y": y, "x": x, "group": group, "w": w, "stratum": stratum, "psu": psu})
    pyreadstat.write_sav(
        df,
        str(OUT),
        column_labels=["Outcome score", "Exposure", "Group of respondent", "Weight",
                       "Stratum", "Cluster"],
        variable_value_labels={"group": {1.0: "North", 2.0: "Centre", 3.0: "South",
                                         9.0: "No answer"},
                               "y": {99.0: "Refused"}},
        missing_ranges={"y": [99.0, {"lo": 90.0, "hi": 98.0}], "x": [-9.0, -8.0],
                        "group": [9.0]},
    )


if __name__ == "__main__":
    main()
