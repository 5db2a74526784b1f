"""Render results tables to a file: the one entry point the CLI and notebooks call.

>>> from surveytk.report.tables import write_table
>>> write_table([res_a, res_b], "table.docx", stat="ci", exp=True)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, get_args

from surveytk.errors import OutputError
from surveytk.io.atomic import write_bytes_atomic
from surveytk.io.formats import format_from_path
from surveytk.models.results import FitResult
from surveytk.report.render_docx import render_docx
from surveytk.report.render_html import render_html
from surveytk.report.render_latex import render_latex
from surveytk.report.render_md import render_markdown
from surveytk.report.render_tidy import render_tidy_csv, render_tidy_parquet
from surveytk.report.render_xlsx import render_xlsx
from surveytk.report.style import UNICODE_MINUS
from surveytk.report.table_format import text_grid
from surveytk.report.table_model import TableModel, TableOptions, build_table
from surveytk.report.term_labels import Labeller
from surveytk.report.text_table import TextTable

TableFormat = Literal["md", "latex", "html", "docx", "xlsx", "csv", "parquet"]
TABLE_FORMATS: tuple[str, ...] = get_args(TableFormat)

#: suffix of a table file → its format (:func:`surveytk.io.formats.format_from_path`)
SUFFIX_FORMATS: dict[str, str] = {
    ".md": "md",
    ".markdown": "md",
    ".tex": "latex",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".csv": "csv",
    ".parquet": "parquet",
}


def text_renderer(fmt: str) -> Callable[[TextTable], str | bytes]:
    """The renderer of a laid-out :class:`TextTable` in ``fmt`` (md, latex, html, docx, xlsx)."""
    if fmt == "md":
        return render_markdown
    if fmt == "latex":
        return render_latex
    if fmt == "html":
        return render_html
    if fmt == "docx":
        return render_docx
    if fmt == "xlsx":
        return render_xlsx
    raise OutputError(f"table format: expecting one of {{{', '.join(TABLE_FORMATS)}}}; got {fmt!r}")


def render_table(model: TableModel, fmt: str) -> bytes:
    """Render a built table in format ``fmt`` (one of :data:`TABLE_FORMATS`) as bytes.

    ``csv`` and ``parquet`` are tidy numbers (:mod:`surveytk.report.render_tidy`); the
    other formats lay out the formatted grid.
    """
    if fmt in ("csv", "parquet"):
        return render_tidy_csv(model) if fmt == "csv" else render_tidy_parquet(model)
    renderer = text_renderer(fmt)
    grid = text_grid(model, minus=UNICODE_MINUS)
    out = renderer(grid)
    return out.encode("utf-8") if isinstance(out, str) else out


def write_table(
    results: Sequence[FitResult],
    out: str | Path,
    *,
    fmt: str | None = None,
    labels: Sequence[str] | None = None,
    labeller: Labeller | None = None,
    options: TableOptions | None = None,
) -> Path:
    """Build and write a table of ``results`` to ``out`` atomically.

    Parameters
    ----------
    results
        Fitted models, side by side.
    out
        Output path; its suffix gives the format unless ``fmt`` is given.
    fmt
        ``md``, ``latex``, ``html``, ``docx``, ``xlsx`` or ``csv``.
    labels
        Column headings (default ``FitResult.label`` or ``(1)``, ``(2)``, …).
    labeller
        Labels for terms and levels (default: from ``codebooks/schema.yaml``).
    options
        :class:`~surveytk.report.table_model.TableOptions`.

    Returns
    -------
    Path
        The file written.
    """
    out = Path(out)
    fmt = format_from_path(out, SUFFIX_FORMATS, fmt)
    model = build_table(
        results, labels, options=options, labeller=labeller or Labeller.from_schema()
    )
    data = render_table(model, fmt)
    write_bytes_atomic(out, data)
    return out
