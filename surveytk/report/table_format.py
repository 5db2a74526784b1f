"""A results table's numbers formatted once into a :class:`~surveytk.report.text_table.TextTable`.

:func:`text_grid` turns the :class:`~surveytk.report.table_model.TableModel` built by
:func:`~surveytk.report.table_model.build_table` into strings (digits per row, stars,
brackets, the minus sign), keeping each cell's number and Excel number format for XLSX.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from surveytk.report.style import UNICODE_MINUS, format_count, format_df, format_number, stars_for
from surveytk.report.table_model import Entry, EstimateRow, FitRow, TableModel, TableOptions
from surveytk.report.text_table import Cell, Section, TextTable

#: Most decimals automatic digits use for a row whose numbers would round to zero.
MAX_AUTO_DIGITS = 8


def _excel_format(digits: int, wrap: str = "") -> str:
    body = "0" + ("." + "0" * digits if digits > 0 else "")
    if wrap == "()":
        return f'"("{body}")";"(-"{body}")"'
    return body


def _shown_values(entry: Entry, opts: TableOptions) -> list[float]:
    """The estimate and the size of its uncertainty as shown (a bound near zero is fine)."""
    if opts.stat == "ci":
        return [entry.estimate, (entry.conf_high - entry.conf_low) / 2]
    if opts.stat == "se":
        return [entry.estimate, entry.std_error]
    return [entry.estimate]


def row_digits(entries: Sequence[Entry | None], opts: TableOptions) -> int:
    """Decimals for one row: ``opts.digits``, or more where a non-zero estimate, SE or
    bound would print as zero (two significant digits for the smallest such number)."""
    digits = opts.digits
    if not opts.auto_digits:
        return digits
    for entry in entries:
        if entry is None:
            continue
        for v in _shown_values(entry, opts):
            a = abs(v)
            if math.isfinite(a) and a > 0 and round(a, opts.digits) == 0:
                digits = max(digits, min(MAX_AUTO_DIGITS, math.floor(-math.log10(a)) + 2))
    return digits


def _estimate_cells(
    entry: Entry | None, opts: TableOptions, minus: str, digits: int | None = None
) -> tuple[Cell, Cell]:
    if entry is None:
        return Cell(""), Cell("")
    d = opts.digits if digits is None else digits
    stars = stars_for(entry.p_value, opts.stars)
    numeric = not stars and math.isfinite(entry.estimate)
    top = Cell(
        format_number(entry.estimate, d, minus=minus) + stars,
        entry.estimate if numeric else None,
        _excel_format(d) if numeric else None,
    )
    if opts.stat == "ci":
        if not (math.isfinite(entry.conf_low) and math.isfinite(entry.conf_high)):
            return top, Cell("")
        lo = format_number(entry.conf_low, d, minus=minus)
        hi = format_number(entry.conf_high, d, minus=minus)
        return top, Cell(f"[{lo}, {hi}]")
    value = {"se": entry.std_error, "t": entry.statistic, "p": entry.p_value}[opts.stat]
    if not np.isfinite(value):
        return top, Cell("")
    return top, Cell(f"({format_number(value, d, minus=minus)})", value, _excel_format(d, "()"))


def _fit_cell(row: FitRow, value: float | str | None, digits: int, minus: str) -> Cell:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return Cell("")
    if isinstance(value, str):
        return Cell(value)
    if row.kind == "count":
        return Cell(format_count(value, minus=minus), float(value), "#,##0")
    if row.kind == "df":
        fmt = "#,##0" if float(value).is_integer() else _excel_format(digits)
        return Cell(format_df(value, digits, minus=minus), float(value), fmt)
    if row.kind == "weights":
        return Cell(f"{value:,.1f}".replace("-", minus), float(value), "#,##0.0")
    return Cell(format_number(value, digits, minus=minus), float(value), _excel_format(digits))


def _header(model: TableModel) -> tuple[tuple[tuple[str, int], ...], ...]:
    if model.has_levels:
        top = (("", 1), *model.spanners)
        bottom = (("", 1), *((c.level_label, 1) for c in model.columns))
        return (top, bottom)
    return ((("", 1), *((c.model_label, 1) for c in model.columns)),)


def _estimate_section(
    name: str, title: str | None, rows: Sequence[EstimateRow], opts: TableOptions, minus: str
) -> Section:
    out: list[tuple[Cell, ...]] = []
    previous: str | None = None
    for row in rows:
        if row.group is not None and row.group != previous:
            out.append((Cell(row.group), *(Cell("") for _ in row.entries)))
        previous = row.group
        d = row_digits(row.entries, opts)
        pairs = [_estimate_cells(e, opts, minus, d) for e in row.entries]
        indent = 1 if row.group is not None else 0
        out.append((Cell(row.label, indent=indent), *(p[0] for p in pairs)))
        out.append((Cell(""), *(p[1] for p in pairs)))
    return Section(name, title, tuple(out))


def text_grid(model: TableModel, *, minus: str = UNICODE_MINUS) -> TextTable:
    """Format every number of ``model`` once, with the given minus sign."""
    opts = model.options
    sections = [_estimate_section("estimates", None, model.estimates, opts, minus)]
    if model.thresholds:
        sections.append(
            _estimate_section("thresholds", "Thresholds", model.thresholds, opts, minus)
        )
    spans = [n for _, n in model.spanners]
    starts = [sum(spans[:i]) for i in range(len(spans))]
    fit_rows = tuple(
        (
            Cell(r.label),
            *(
                replace(_fit_cell(r, r.values[start], opts.digits, minus), span=n)
                for start, n in zip(starts, spans, strict=True)
            ),
        )
        for r in model.fit
    )
    sections.append(Section("fit", None, fit_rows))
    return TextTable(
        title=model.title,
        header=_header(model),
        sections=tuple(sections),
        notes=model.notes,
        n_columns=len(model.columns) + 1,
    )
