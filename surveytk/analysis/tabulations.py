"""Tabulations of an analysis spec: design-based shares with disclosure control."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from surveytk.analysis.spec import TabulationSpec
from surveytk.errors import SpecError
from surveytk.io.atomic import write_bytes_atomic
from surveytk.report.forest import figure_rc, share_figure
from surveytk.report.plots import save_figure
from surveytk.report.render_tabulation import default_title, render_tabulation
from surveytk.report.term_labels import Labeller
from surveytk.tabulate import MISSING_LEVEL, Tabulation, tabulate

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def tabulation_of(table: pd.DataFrame, tab: TabulationSpec, *, threshold: int,
                  subpop: str | None = None) -> Tabulation:
    """Tabulate ``tab.by`` on ``table`` with the tabulation's design; ``subpop`` (the spec's
    sample rules) is the domain, the full design is kept."""
    options = tab.design.options(table)
    if options.get("replicates") or options.get("reptype"):
        raise SpecError(
            f"tabulation {tab.name!r}: tabulations use linearised variance; drop "
            "replicates/reptype from its design"
        )
    return tabulate(
        table,
        list(tab.by),
        weights=options.pop("weights"),
        strata=options.pop("strata"),
        psu=options.pop("psu"),
        fpc=options.pop("fpc"),
        lonely_psu=options.pop("lonely_psu"),
        design_options=options,
        threshold=threshold,
        reference=tab.reference,
        subpop=subpop,
    )


def write_tabulation(table: pd.DataFrame, tab: TabulationSpec, path: Path, fmt: str, *,
                     threshold: int, subpop: str | None = None) -> Path:
    """Tabulate ``tab.by`` on ``table`` with its design and write it as ``fmt``.

    ``subpop`` (the spec's sample rules) is the domain; the full design is kept.
    """
    result = tabulation_of(table, tab, threshold=threshold, subpop=subpop)
    data = render_tabulation(result, "latex" if fmt == "tex" else fmt,
                             labeller=Labeller.from_schema())
    write_bytes_atomic(path, data)
    return path


def tabulation_figure(result: Tabulation, labeller: Labeller) -> Figure:
    """Bars of the shares (%) with 95% intervals: the levels of the last by-variable on the
    x axis, one colour per level of the first (two-way); suppressed cells left out."""
    import matplotlib


    cells = result.to_frame()
    cells = cells[cells["level"].astype(str) != MISSING_LEVEL].copy()
    inner = result.by[-1]
    cells["x"] = [labeller.level(inner, str(v)) for v in cells["level"]]
    hue = None
    if len(result.by) == 2:
        cells["group"] = [labeller.level(result.by[0], str(v)) for v in cells["domain"]]
        hue = "group"
    with matplotlib.rc_context(figure_rc()):
        return share_figure(cells, x="x", hue=hue, title=default_title(result, labeller),
                            xlabel=labeller.variable(inner), level=result.level)


def write_tabulation_figure(table: pd.DataFrame, tab: TabulationSpec, path: Path, *,
                            threshold: int, subpop: str | None = None) -> Path:
    """The share figure of ``tab`` (:func:`tabulation_figure`) written to ``path``."""
    result = tabulation_of(table, tab, threshold=threshold, subpop=subpop)
    return save_figure(tabulation_figure(result, Labeller.from_schema()), path)
