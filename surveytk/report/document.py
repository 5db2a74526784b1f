"""One report document of an analysis: every table and figure, the design, the sample, the audit.

:class:`ReportContent` holds what a report shows, already built (formatted
tables as :class:`~surveytk.report.text_table.TextTable`, figures as PNG
bytes); :func:`render_report_html` lays it out as one self-contained HTML page
(CSS inline, figures embedded as data URIs: it opens offline and can be sent
as one file) and :func:`render_report_docx` as one Word document (A4, each
table on a landscape page when it needs one, figures at text width). Both
are byte-identical on reruns. The analysis runner builds the content
(:mod:`surveytk.analysis.report_assembly`).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from surveytk.report.docx_layout import PORTRAIT_TEXT_WIDTH, fit_layout
from surveytk.report.render_docx import add_table, document_bytes, new_document, set_page
from surveytk.report.render_html import page, table_fragment
from surveytk.report.text_table import Cell, Section, TextTable

REPORT_CSS = """\
body { font-family: "Helvetica Neue", Arial, sans-serif; margin: 2em auto; max-width: 70em;
       color: #111; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 1em 0; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 0.5em; }
thead { border-top: 2px solid #111; border-bottom: 1px solid #111; }
th, td { padding: 0.15em 0.8em; }
thead th { text-align: center; }
tbody th { text-align: left; font-weight: normal; }
tbody th.level { padding-left: 1.8em; }
tbody td { text-align: center; white-space: nowrap; }
tbody + tbody { border-top: 1px solid #111; }
tbody:last-of-type { border-bottom: 2px solid #111; }
th.section { font-style: italic; }
tfoot td { font-size: 0.85em; text-align: left; padding-top: 0.4em; max-width: 60em;
           white-space: normal; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-weight: bold; margin-bottom: 0.4em; }
p.note { font-size: 0.9em; color: #333; }
nav ol { columns: 2; }
"""


@dataclass(frozen=True)
class Exhibit:
    """A table (``grid``) or a figure (``png``) of the report, with its anchor name."""

    name: str
    title: str
    grid: TextTable | None = None
    png: bytes | None = None
    note: str | None = None


@dataclass(frozen=True)
class ReportContent:
    """Everything a report document shows, in order."""

    title: str
    description: str
    exhibits: tuple[Exhibit, ...]
    design: TextTable
    audit: TextTable | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def simple_grid(
    title: str, header: Sequence[str], rows: Sequence[Sequence[str]], notes: Sequence[str] = ()
) -> TextTable:
    """A plain text table (first column labels) for the design and audit sections."""
    return TextTable(
        title=title,
        header=(tuple((h, 1) for h in header),),
        sections=(Section("body", None, tuple(tuple(Cell(c) for c in r) for r in rows)),),
        notes=tuple(notes),
        n_columns=len(header),
    )


# ---- HTML ------------------------------------------------------------------------------------


def _html_exhibit(ex: Exhibit) -> list[str]:
    out = [f'<section id="{escape(ex.name)}">']
    if ex.grid is not None:
        out.extend(table_fragment(ex.grid))
    if ex.png is not None:
        data = base64.b64encode(ex.png).decode("ascii")
        out += [
            "<figure>",
            f"<figcaption>{escape(ex.title)}</figcaption>",
            f'<img src="data:image/png;base64,{data}" alt="{escape(ex.title)}">',
            "</figure>",
        ]
    if ex.note:
        out.append(f'<p class="note">{escape(ex.note)}</p>')
    out.append("</section>")
    return out


def render_report_html(content: ReportContent) -> str:
    """The report as one offline HTML page."""
    body = [f"<h1>{escape(content.title)}</h1>", f"<p>{escape(content.description)}</p>"]
    body += ["<nav><ol>"]
    body += [f'<li><a href="#{escape(e.name)}">{escape(e.title)}</a></li>'
             for e in content.exhibits]
    body += ['<li><a href="#design">Design and sample</a></li>']
    if content.audit is not None:
        body += ['<li><a href="#audit">Harmonisation audit</a></li>']
    body += ["</ol></nav>", "<h2>Tables and figures</h2>"]
    for ex in content.exhibits:
        body += _html_exhibit(ex)
    body += ['<h2 id="design">Design and sample</h2>', *table_fragment(content.design)]
    if content.audit is not None:
        body += ['<h2 id="audit">Harmonisation audit</h2>', *table_fragment(content.audit)]
    body += [f'<p class="note">{escape(n)}</p>' for n in content.notes]
    return page(content.title, body, REPORT_CSS)


# ---- DOCX ------------------------------------------------------------------------------------


def _new_section(document: Any, landscape: bool) -> None:
    from docx.enum.section import WD_SECTION

    current = document.sections[-1]
    if (current.page_width > current.page_height) == landscape:
        return
    section = document.add_section(WD_SECTION.NEW_PAGE)
    set_page(section, landscape=landscape)


def _docx_table(document: Any, grid: TextTable) -> None:
    layout = fit_layout(grid)
    _new_section(document, layout.landscape)
    add_table(document, grid, layout)
    document.add_paragraph()


def _docx_figure(document: Any, ex: Exhibit) -> None:
    from docx.shared import Inches

    assert ex.png is not None
    _new_section(document, False)
    caption = document.add_paragraph()
    caption.paragraph_format.keep_with_next = True
    caption.add_run(ex.title).bold = True
    document.add_picture(io.BytesIO(ex.png), width=Inches(PORTRAIT_TEXT_WIDTH))


def render_report_docx(content: ReportContent) -> bytes:
    """The report as one Word document (bytes)."""
    document = new_document(content.title)
    document.add_heading(content.title, level=0)
    document.add_paragraph(content.description)
    document.add_heading("Tables and figures", level=1)
    for ex in content.exhibits:
        if ex.grid is not None:
            _docx_table(document, ex.grid)
        if ex.png is not None:
            _docx_figure(document, ex)
        if ex.note:
            document.add_paragraph(ex.note)
    _new_section(document, False)
    document.add_heading("Design and sample", level=1)
    _docx_table(document, content.design)
    if content.audit is not None:
        document.add_heading("Harmonisation audit", level=1)
        _docx_table(document, content.audit)
    for note in content.notes:
        document.add_paragraph(note)
    return document_bytes(document)
