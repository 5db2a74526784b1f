"""The origin-area lookup: pre-war population shares of Ukraine's origin areas.

``codebooks/lookups/origin_areas.csv`` (Clingendael 2025, Tabel 1) lists every
``origin_area`` of the common schema with its label and its share of the pre-war
population in percent; ``surveytk tabulate --reference origin`` compares the
shares of respondents with it, and orders the areas as the file does.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from surveytk.errors import OutputError
from surveytk.paths import BUILTIN_LOOKUP_DIR

#: The variable the ``origin`` reference table is about, and its lookup file.
ORIGIN_VARIABLE = "origin_area"
ORIGIN_LOOKUP = "origin_areas.csv"


def read_origin_lookup(path: str | Path | None = None) -> pd.DataFrame:
    """The origin-area lookup (origin_area, label, prewar_population_pct) in file order."""
    if path is None:
        path = BUILTIN_LOOKUP_DIR / ORIGIN_LOOKUP
    try:
        table = pd.read_csv(path, dtype={"origin_area": str, "label": str})
    except (OSError, pd.errors.ParserError) as exc:
        raise OutputError(
            f"{path}: cannot read the origin-area lookup ({type(exc).__name__}); restore it "
            "from the repository",
            file=str(path),
        ) from exc
    needed = {"origin_area", "prewar_population_pct"}
    if not needed <= set(table.columns):
        raise OutputError(
            f"{path}: the origin-area lookup needs columns origin_area and prewar_population_pct",
            file=str(path),
        )
    return table
