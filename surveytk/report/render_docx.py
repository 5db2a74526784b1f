"""DOCX renderer: a real Word table (python-docx) with a title above and notes below.

The table follows the booktabs look: a heavy rule above and below the table,
a light rule under the header and between blocks, no vertical rules. Core
properties and ZIP member times are fixed so that reruns are byte-identical.
"""

from __future__ import annotations

import io
from typing import Any

from surveytk.io.text_safety import xml_safe_deep
from surveytk.report.ooxml import normalise_zip
from surveytk.report.style import FIXED_DATETIME
from surveytk.report.table_model import TextTable

_HEAVY = 12  # eighths of a point
_LIGHT = 4


def _set_border(cell: Any, edge: str, size: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    element = OxmlElement(f"w:{edge}")
    element.set(qn("w:val"), "single")
    element.set(qn("w:sz"), str(size))
    element.set(qn("w:space"), "0")
    element.set(qn("w:color"), "000000")
    borders.append(element)


def _rule(row: Any, edge: str, size: int) -> None:
    for cell in row.cells:
        _set_border(cell, edge, size)


def _write_cell(
    cell: Any,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    align: str = "center",
    size_pt: float = 10.0,
) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = cell.paragraphs[0]
    paragraph.alignment = {
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "left": WD_ALIGN_PARAGRAPH.LEFT,
    }[align]
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.bold = bold
    run.italic = italic
    run.font.size = Pt(size_pt)


def _fix_core_properties(document: Any, title: str) -> None:
    props = document.core_properties
    props.author = "surveytk"
    props.last_modified_by = "surveytk"
    props.title = title
    props.created = FIXED_DATETIME
    props.modified = FIXED_DATETIME
    props.last_printed = FIXED_DATETIME
    props.revision = 1


def render_docx(grid: TextTable) -> bytes:
    """The table as a Word document (bytes)."""
    grid = xml_safe_deep(grid)  # control characters from labels (surveytk.io.text_safety)
    from docx import Document
    from docx.shared import Pt

    document = Document()
    _fix_core_properties(document, grid.title)
    heading = document.add_paragraph()
    heading_run = heading.add_run(grid.title)
    heading_run.bold = True
    heading_run.font.size = Pt(11)

    n_rows = len(grid.header) + sum(
        len(s.rows) + (1 if s.title and s.rows else 0) for s in grid.sections
    )
    table = document.add_table(rows=n_rows, cols=grid.n_columns)
    r = 0
    for row in grid.header:
        col = 0
        for text, span in row:
            cell = table.cell(r, col)
            if span > 1:
                cell = cell.merge(table.cell(r, col + span - 1))
            _write_cell(cell, text, bold=True)
            col += span
        r += 1
    _rule(table.rows[0], "top", _HEAVY)
    _rule(table.rows[r - 1], "bottom", _LIGHT)
    for s_index, section in enumerate(grid.sections):
        if not section.rows:
            continue
        if s_index > 0:
            _rule(table.rows[r], "top", _LIGHT)
        if section.title:
            cell = table.cell(r, 0).merge(table.cell(r, grid.n_columns - 1))
            _write_cell(cell, section.title, italic=True, align="left")
            r += 1
        for cells in section.rows:
            c = 0
            for item in cells:
                cell = table.cell(r, c)
                if item.span > 1:
                    cell = cell.merge(table.cell(r, c + item.span - 1))
                _write_cell(cell, item.text, align="left" if c == 0 else "center")
                c += item.span
            r += 1
    _rule(table.rows[n_rows - 1], "bottom", _HEAVY)

    for i, note in enumerate(grid.notes):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(0)
        if i == 0:
            lead = paragraph.add_run("Notes: ")
            lead.italic = True
            lead.font.size = Pt(9)
        run = paragraph.add_run(note)
        run.font.size = Pt(9)
    buf = io.BytesIO()
    document.save(buf)
    return normalise_zip(buf.getvalue())
