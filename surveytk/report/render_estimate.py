"""An :class:`~surveytk.estimate.EstimateTable` as a table: ``surveytk estimate --out``.

:func:`estimate_grid` lays the estimates out as the report package's
format-neutral :class:`~surveytk.report.text_table.TextTable`;
:func:`render_estimates` writes it, the tidy CSV or the JSON of every number.
"""

from __future__ import annotations

import json

import numpy as np

from surveytk.disclosure import SUPPRESSED_MARKER
from surveytk.estimate import EstimateTable
from surveytk.report.style import UNICODE_MINUS, format_number
from surveytk.report.tables import text_renderer
from surveytk.report.text_table import Cell, Section, TextTable

#: Names of the statistics in the table's first column.
STATISTIC_NAMES = {
    "mean": "Mean",
    "total": "Total",
    "ratio": "Ratio",
    "quantile": "Quantile",
    "prop": "Proportion",
    "chisq_rao_scott": "Rao-Scott F",
    "ttest": "t-test (difference)",
    "ranktest_wilcoxon": "Rank test, Wilcoxon",
    "ranktest_vanderwaerden": "Rank test, van der Waerden",
    "ranktest_median": "Rank test, median",
}


def estimate_grid(
    table: EstimateTable, *, digits: int = 3, minus: str = UNICODE_MINUS
) -> TextTable:
    """The estimates as a :class:`~surveytk.report.text_table.TextTable` for the renderers."""

    def num(x: float, d: int = digits) -> Cell:
        if not np.isfinite(x):
            return Cell("")
        return Cell(format_number(float(x), d, minus=minus), float(x), "0." + "0" * d)

    show_deff = table.request.deff
    show_domain = table.request.by is not None
    show_p = bool(table.rows["p_value"].notna().any())
    pct = f"{100 * table.request.level:g}% CI"
    head = ["Statistic", "Variable", "Level"]
    head += ["Domain"] if show_domain else []
    head += ["Estimate", "SE", pct] + (["deff"] if show_deff else []) + (["p"] if show_p else [])
    body = []
    for _, r in table.rows.iterrows():
        name = STATISTIC_NAMES.get(str(r["statistic"]), str(r["statistic"]))
        cells = [Cell(name), Cell(str(r["variable"])), Cell(str(r["level"]))]
        if show_domain:
            cells.append(Cell(str(r["domain"])))
        if bool(r["suppressed"]):
            cells += [Cell(SUPPRESSED_MARKER)] * (3 + show_deff + show_p)
        else:
            lo, hi = float(r["conf_low"]), float(r["conf_high"])
            ci = (
                Cell(
                    f"[{format_number(lo, digits, minus=minus)}, "
                    f"{format_number(hi, digits, minus=minus)}]"
                )
                if np.isfinite(lo) and np.isfinite(hi)
                else Cell("")
            )
            cells += [num(r["estimate"]), num(r["std_error"]), ci]
            cells += [num(r["deff"])] if show_deff else []
            cells += [num(r["p_value"], 4)] if show_p else []
        body.append(tuple(cells))
    notes = [
        f"Design-based standard errors; {pct}s use t with the design degrees of freedom of "
        f"each domain; proportions: {table.request.ci} intervals (as R svyciprop); quantiles: "
        "R survey's 'math' rule with Woodruff intervals.",
        table.design.describe(),
        *table.notes,
    ]
    return TextTable(
        title="Estimates",
        header=(tuple((h, 1) for h in head),),
        sections=(Section("estimates", None, tuple(body)),),
        notes=tuple(notes),
        n_columns=len(head),
    )


def render_estimates(table: EstimateTable, fmt: str, *, digits: int = 3) -> bytes:
    """``table`` as ``csv`` (the tidy contract, every digit), ``json`` (everything) or a
    laid-out table (md, latex, html, docx, xlsx)."""
    if fmt == "csv":
        return table.tidy().to_csv(index=False, float_format="%.17g").encode("utf-8")
    if fmt == "json":
        return (json.dumps(table.to_dict(), indent=2, allow_nan=False) + "\n").encode("utf-8")
    renderer = text_renderer(fmt)
    rendered = renderer(estimate_grid(table, digits=digits))
    return rendered.encode("utf-8") if isinstance(rendered, str) else rendered
