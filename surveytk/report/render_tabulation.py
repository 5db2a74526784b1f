"""A :class:`~surveytk.tabulate.Tabulation` as a table: every format of ``surveytk table``.

:func:`tabulation_grid` lays the shares out as the report package's
format-neutral :class:`~surveytk.report.text_table.TextTable` (md, LaTeX, HTML,
DOCX, XLSX); :func:`tidy_tabulation` gives the numbers for CSV and Parquet;
:func:`render_tabulation` does either for one format.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from surveytk.analysis_frame import AnalysisFrame
from surveytk.disclosure import SUPPRESSED_MARKER, suppression_note
from surveytk.report.render_tidy import frame_csv, frame_parquet
from surveytk.report.style import UNICODE_MINUS, format_count, format_number
from surveytk.report.tables import text_renderer
from surveytk.report.term_labels import Labeller
from surveytk.report.text_table import Cell, Section, TextTable
from surveytk.tabulate import MISSING_LEVEL, Tabulation


def file_labeller(
    frame: AnalysisFrame, *, enabled: bool = True, schema: str | Path | None = None
) -> Labeller:
    """Labels of the common schema, with the file's own variable and value labels first."""
    base = Labeller.from_schema(schema, enabled=enabled)
    return base.with_file_labels(frame.variable_labels, frame.value_labels)


def _pct(x: float, digits: int, minus: str) -> Cell:
    if not np.isfinite(x):
        return Cell("")
    fmt = "0" + ("." + "0" * digits if digits else "")
    return Cell(format_number(100.0 * x, digits, minus=minus), round(100.0 * x, 10), fmt)


def _level_label(labeller: Labeller, variable: str, value: str) -> str:
    if value == MISSING_LEVEL:
        return MISSING_LEVEL
    if value in ("True", "False") and labeller.enabled:
        text = labeller.level(variable, value)
        return text if text != value else ("Yes" if value == "True" else "No")
    return labeller.level(variable, value)


def _cell_row(
    label: str, row: pd.Series, tab: Tabulation, digits: int, minus: str
) -> tuple[Cell, ...]:
    if bool(row["suppressed"]):
        cells = [Cell(label)] + [Cell(SUPPRESSED_MARKER)] * 4
        if tab.reference:
            prewar = float(row["prewar_pct"])
            cells += [_plain(prewar, 1, minus), Cell(SUPPRESSED_MARKER)]
        return tuple(cells)
    n = float(row["n"])
    lo, hi = float(row["conf_low"]), float(row["conf_high"])
    ci = (
        Cell(
            f"[{format_number(100 * lo, digits, minus=minus)}, "
            f"{format_number(100 * hi, digits, minus=minus)}]"
        )
        if np.isfinite(lo)
        else Cell("")
    )
    cells = [
        Cell(label),
        Cell(format_count(n, minus=minus), n, "#,##0"),
        _pct(float(row["share"]), digits, minus),
        _pct(float(row["std_error"]), digits, minus),
        ci,
    ]
    if tab.reference:
        cells += [_plain(float(row["prewar_pct"]), 1, minus), _plain(float(row["ratio"]), 2, minus)]
    return tuple(cells)


def _plain(x: float, digits: int, minus: str) -> Cell:
    if not np.isfinite(x):
        return Cell("")
    fmt = "0" + ("." + "0" * digits if digits else "")
    return Cell(format_number(x, digits, minus=minus), x, fmt)


def _total_row(
    n: float, suppressed: bool, tab: Tabulation, digits: int, minus: str
) -> tuple[Cell, ...]:
    width = 6 if tab.reference else 4
    if suppressed:
        return (Cell("Total"), Cell(SUPPRESSED_MARKER), *([Cell("")] * (width - 1)))
    hundred = Cell(
        format_number(100.0, digits, minus=minus), 100.0, "0." + "0" * digits if digits else "0"
    )
    rest = [Cell("")] * (width - 2)
    return (Cell("Total"), Cell(format_count(n, minus=minus), n, "#,##0"), hundred, *rest)


def tabulation_grid(
    tab: Tabulation,
    *,
    labeller: Labeller | None = None,
    digits: int = 1,
    title: str | None = None,
    minus: str = UNICODE_MINUS,
) -> TextTable:
    """The tabulation as a :class:`~surveytk.report.text_table.TextTable` for the renderers.

    Shares, standard errors and intervals in percent; one section per level
    of the first by-variable when there are two; a ``Total`` row per section;
    suppressed cells shown as :data:`~surveytk.disclosure.SUPPRESSED_MARKER`.
    """
    lab = labeller or Labeller(enabled=False)
    inner = tab.by[-1]
    level_pct = f"{100 * tab.level:g}% CI"
    head = ["", "n", "Share (%)", "SE", level_pct]
    if tab.reference:
        head += ["Pre-war population (%)", "Ratio"]
    sections: list[Section] = []
    for _, dom in tab.domains.iterrows():
        rows = tab.cells[tab.cells["domain"] == dom["domain"]]
        body = [
            _cell_row(_level_label(lab, inner, str(r["level"])), r, tab, digits, minus)
            for _, r in rows.iterrows()
        ]
        body.append(_total_row(float(dom["n"]), bool(dom["suppressed"]), tab, digits, minus))
        sec_title = (
            f"{lab.variable(tab.by[0])}: {_level_label(lab, tab.by[0], str(dom['domain']))}"
            if len(tab.by) == 2
            else None
        )
        sections.append(Section("estimates", sec_title, tuple(body)))
    return TextTable(
        title=title or default_title(tab, lab),
        header=(tuple((h, 1) for h in head),),
        sections=tuple(sections),
        notes=table_notes(tab),
        n_columns=len(head),
    )


def default_title(tab: Tabulation, labeller: Labeller) -> str:
    """``Shares by <x>`` or ``<x2> by <x1>``, with the origin reference named."""
    inner = labeller.variable(tab.by[-1])
    text = (
        f"{inner} by {labeller.variable(tab.by[0])}" if len(tab.by) == 2 else f"Shares by {inner}"
    )
    if tab.reference == "origin":
        text += ", compared with the pre-war population"
    return text


def table_notes(tab: Tabulation) -> tuple[str, ...]:
    """The notes below a tabulation: what the numbers are, the design, suppression."""
    kind = "weighted" if tab.weighted else "unweighted"
    n_text = "suppressed" if tab.n_total is None else f"{tab.n_total:,}"
    df = tab.design.df_design
    df_text = f"{df:g}" if df is not None else "n/a"
    notes = [
        f"Shares of respondents ({kind}) in percent; n = unweighted respondents "
        f"(total {n_text}). SE in percentage points; {100 * tab.level:g}% confidence "
        f"intervals use t with the design degrees of freedom of each domain (whole table: "
        f"{df_text}).",
        tab.design.describe(),
    ]
    if tab.reference == "origin":
        notes.append(
            "Pre-war population shares: codebooks/lookups/origin_areas.csv (Clingendael 2025, "
            "Tabel 1); ratio = share / pre-war share."
        )
    notes.extend(tab.notes)
    notes.append(
        suppression_note(tab.threshold)
        if tab.n_suppressed
        else f"No cell has fewer than {tab.threshold} respondents."
    )
    return tuple(notes)


def render_tabulation(
    tab: Tabulation,
    fmt: str,
    *,
    labeller: Labeller | None = None,
    digits: int = 1,
    title: str | None = None,
) -> bytes:
    """Render ``tab`` in one of the report formats (md, latex, html, docx, xlsx, csv,
    parquet); ``csv`` and ``parquet`` hold the tidy numbers (:func:`tidy_tabulation`)."""
    if fmt in ("csv", "parquet"):
        frame = tidy_tabulation(tab, labeller or Labeller(enabled=False))
        if fmt == "csv":
            return frame_csv(frame)
        return frame_parquet(frame, title or default_title(tab, labeller or Labeller()),
                             table_notes(tab))
    renderer = text_renderer(fmt)
    out = renderer(tabulation_grid(tab, labeller=labeller, digits=digits, title=title))
    return out.encode("utf-8") if isinstance(out, str) else out


def tidy_tabulation(tab: Tabulation, labeller: Labeller) -> pd.DataFrame:
    """The cells as numbers (shares as proportions 0–1), with the by-variables and labels.

    Columns: ``variable``, ``level``, ``level_label`` (and ``domain_variable``,
    ``domain``, ``domain_label`` for two by-variables), then the numbers of
    :attr:`Tabulation.cells` and ``weighted``; a suppressed cell keeps its row with
    missing numbers.
    """
    cells = tab.to_frame()
    out = pd.DataFrame()
    if len(tab.by) == 2:
        out["domain_variable"] = [tab.by[0]] * len(cells)
        out["domain"] = cells["domain"].astype(str).to_numpy()
        out["domain_label"] = [_level_label(labeller, tab.by[0], str(d)) for d in cells["domain"]]
    variable = tab.by[-1]
    out["variable"] = [variable] * len(cells)
    out["level"] = cells["level"].astype(str).to_numpy()
    out["level_label"] = [_level_label(labeller, variable, str(v)) for v in cells["level"]]
    for c in cells.columns:
        if c not in ("domain", "level"):
            out[c] = cells[c].to_numpy()
    out["weighted"] = tab.weighted
    return out
