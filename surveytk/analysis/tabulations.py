"""Tabulations of an analysis spec: design-based shares with disclosure control."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from surveytk.analysis.sample import design_column
from surveytk.analysis.spec import TabulationSpec


def write_tabulation(table: pd.DataFrame, tab: TabulationSpec, path: Path, fmt: str, *,
                     threshold: int, subpop: str | None = None) -> Path:
    """Tabulate ``tab.by`` on ``table`` with its design and write it as ``fmt``.

    ``subpop`` (the spec's sample rules) is the domain; the full design is kept.
    """
    from surveytk.io.atomic import write_bytes_atomic
    from surveytk.report.labels import Labeller
    from surveytk.tabulate import render_tabulation, tabulate

    result = tabulate(
        table,
        list(tab.by),
        weights=design_column(table, "weight"),
        strata=design_column(table, "stratum"),
        psu=design_column(table, "psu"),
        threshold=threshold,
        reference=tab.reference,
        subpop=subpop,
    )
    data = render_tabulation(result, "latex" if fmt == "tex" else fmt,
                             labeller=Labeller.from_schema())
    write_bytes_atomic(path, data)
    return path
