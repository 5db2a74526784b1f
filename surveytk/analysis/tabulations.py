"""Tabulations of an analysis spec: design-based shares with disclosure control."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from surveytk.analysis.sample import design_column
from surveytk.analysis.spec import TabulationSpec

if TYPE_CHECKING:
    from surveytk.tabulate import Tabulation


def tabulation_of(table: pd.DataFrame, tab: TabulationSpec, *, threshold: int,
                  subpop: str | None = None) -> Tabulation:
    """Tabulate ``tab.by`` on ``table`` with its design (weights, strata, PSUs it has);
    ``subpop`` (the spec's sample rules) is the domain, the full design is kept."""
    from surveytk.tabulate import tabulate

    return tabulate(
        table,
        list(tab.by),
        weights=design_column(table, "weight"),
        strata=design_column(table, "stratum"),
        psu=design_column(table, "psu"),
        threshold=threshold,
        reference=tab.reference,
        subpop=subpop,
    )


def write_tabulation(table: pd.DataFrame, tab: TabulationSpec, path: Path, fmt: str, *,
                     threshold: int, subpop: str | None = None) -> Path:
    """Tabulate ``tab.by`` on ``table`` with its design and write it as ``fmt``.

    ``subpop`` (the spec's sample rules) is the domain; the full design is kept.
    """
    from surveytk.io.atomic import write_bytes_atomic
    from surveytk.report.labels import Labeller
    from surveytk.tabulate import render_tabulation

    result = tabulation_of(table, tab, threshold=threshold, subpop=subpop)
    data = render_tabulation(result, "latex" if fmt == "tex" else fmt,
                             labeller=Labeller.from_schema())
    write_bytes_atomic(path, data)
    return path
