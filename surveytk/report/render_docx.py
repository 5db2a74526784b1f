"""DOCX renderer: a real Word table (python-docx) with a title above and notes below.

The table uses Word's built-in "Light Shading" table style (bold header row,
rules above and below, banding switched off) with booktabs rules added: a
heavy rule above and below the table, a light rule under the header and
between blocks, no vertical rules. The document's styles and every run name
the font the widths are measured in (:data:`~surveytk.report.docx_layout.FONT_NAME`,
Arial; LibreOffice draws it with the metric-compatible Liberation Sans). Column
widths come from the content (:mod:`surveytk.report.docx_layout`): numbers never
wrap (``w:noWrap`` and a fixed layout with widths that hold them), header words
never break, cell paragraphs are single-spaced with no space around them, the
header row repeats on each page, rows do not split across pages, a table that
fits one page is kept on one page (keep-with-next on every row but the last),
and a table too wide or too tall for a portrait A4 page gets a landscape
section or a smaller font. Core properties and ZIP member times are fixed so
that reruns are byte-identical.
"""

from __future__ import annotations

import io
from typing import Any

from surveytk.io.text_safety import xml_safe, xml_safe_deep
from surveytk.report.docx_layout import (
    FONT_NAME,
    HEAVY_RULE_PT,
    INDENT,
    LIGHT_RULE_PT,
    MARGIN,
    NOTES_BEFORE_PT,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    TITLE_AFTER_PT,
    DocxLayout,
    fit_layout,
    wraps,
)
from surveytk.report.ooxml import normalise_zip
from surveytk.report.style import FIXED_DATETIME
from surveytk.report.text_table import TextTable

_HEAVY = round(8 * HEAVY_RULE_PT)  # eighths of a point
_LIGHT = round(8 * LIGHT_RULE_PT)
TABLE_STYLE = "Light Shading"
#: ``w:tblLook`` bits: first row formatting, no row banding, no column banding.
_TBL_LOOK = 0x0020 | 0x0200 | 0x0400


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


def _cell_property(cell: Any, tag: str) -> None:
    from docx.oxml import OxmlElement

    cell._tc.get_or_add_tcPr().append(OxmlElement(tag))


def _row_property(row: Any, tag: str) -> None:
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement(tag))


def _single_spaced(paragraph: Any, *, before: float = 0.0, after: float = 0.0) -> None:
    from docx.shared import Pt

    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.0


def _add_run(paragraph: Any, text: str, size_pt: float, *, bold: bool = False,
             italic: bool = False) -> Any:
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.bold = bold
    run.italic = italic
    run.font.size = Pt(size_pt)
    run.font.name = FONT_NAME
    return run


def _mark_size(paragraph: Any, size_pt: float) -> None:
    """Font and size of the paragraph mark: an empty cell's line is as high as its row's."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    r_pr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), FONT_NAME)
    r_pr.append(fonts)
    for tag in ("w:sz", "w:szCs"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), str(round(2 * size_pt)))
        r_pr.append(element)
    paragraph._p.get_or_add_pPr().append(r_pr)


def _write_cell(
    cell: Any,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    align: str = "center",
    size_pt: float = 10.0,
    indent: int = 0,
    wrap: bool = True,
    keep_with_next: bool = False,
) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches

    paragraph = cell.paragraphs[0]
    paragraph.alignment = {
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "left": WD_ALIGN_PARAGRAPH.LEFT,
    }[align]
    _single_spaced(paragraph)
    if keep_with_next:
        paragraph.paragraph_format.keep_with_next = True
    if indent:
        paragraph.paragraph_format.left_indent = Inches(INDENT * indent)
    _mark_size(paragraph, size_pt)
    if text:
        _add_run(paragraph, text, size_pt, bold=bold, italic=italic)
    if not wrap:
        _cell_property(cell, "w:noWrap")


def _fix_core_properties(document: Any, title: str) -> None:
    props = document.core_properties
    props.author = "surveytk"
    props.last_modified_by = "surveytk"
    props.title = title
    props.created = FIXED_DATETIME
    props.modified = FIXED_DATETIME
    props.last_printed = FIXED_DATETIME
    props.revision = 1


def set_page(section: Any, *, landscape: bool) -> None:
    """A4 with 2 cm margins, portrait or landscape."""
    from docx.enum.section import WD_ORIENT
    from docx.shared import Inches

    width, height = (PAGE_HEIGHT, PAGE_WIDTH) if landscape else (PAGE_WIDTH, PAGE_HEIGHT)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width = Inches(width)
    section.page_height = Inches(height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Inches(MARGIN))


def _style_table(table: Any, layout: DocxLayout) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml.ns import qn
    from docx.shared import Inches

    table.style = table.part.document.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    look = tbl_pr.find(qn("w:tblLook"))
    if look is not None:
        # LibreOffice reads the hexadecimal w:val, Word the named flags: both say the same
        for key, value in (("w:firstRow", "1"), ("w:firstColumn", "0"), ("w:lastRow", "0"),
                           ("w:lastColumn", "0"), ("w:noHBand", "1"), ("w:noVBand", "1"),
                           ("w:val", f"{_TBL_LOOK:04X}")):
            look.set(qn(key), value)
    for j, width in enumerate(layout.widths):
        table.columns[j].width = Inches(width)
        for cell in table.columns[j].cells:
            cell.width = Inches(width)


def add_table(document: Any, grid: TextTable, layout: DocxLayout | None = None) -> DocxLayout:
    """Append ``grid`` (title, table, notes) to ``document``; return the layout used."""
    grid = xml_safe_deep(grid)  # control characters from labels (surveytk.io.text_safety)
    layout = layout or fit_layout(grid)
    size = layout.font_pt
    keep = layout.pages == 1  # keep the table on one page when it fits one
    heading = document.add_paragraph()
    _single_spaced(heading, after=TITLE_AFTER_PT)
    heading.paragraph_format.keep_with_next = True
    _add_run(heading, grid.title, size + 1, bold=True)

    n_rows = len(grid.header) + sum(
        len(s.rows) + (1 if s.title and s.rows else 0) for s in grid.sections
    )
    table = document.add_table(rows=n_rows, cols=grid.n_columns)
    _style_table(table, layout)
    r = 0
    for row in grid.header:
        col = 0
        for text, span in row:
            cell = table.cell(r, col)
            if span > 1:
                cell = cell.merge(table.cell(r, col + span - 1))
            _write_cell(cell, text, bold=True, size_pt=size, keep_with_next=True)
            col += span
        _row_property(table.rows[r], "w:cantSplit")
        _row_property(table.rows[r], "w:tblHeader")
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
            _write_cell(cell, section.title, italic=True, align="left", size_pt=size,
                        keep_with_next=True)
            _row_property(table.rows[r], "w:cantSplit")
            r += 1
        for cells in section.rows:
            c = 0
            for item in cells:
                cell = table.cell(r, c)
                if item.span > 1:
                    cell = cell.merge(table.cell(r, c + item.span - 1))
                _write_cell(
                    cell,
                    item.text,
                    align="left" if c == 0 else "center",
                    size_pt=size,
                    indent=item.indent if c == 0 else 0,
                    wrap=wraps(item.text, c, layout.split_intervals),
                    keep_with_next=keep and r < n_rows - 1,
                )
                c += item.span
            _row_property(table.rows[r], "w:cantSplit")
            r += 1
    _rule(table.rows[n_rows - 1], "bottom", _HEAVY)

    for i, note in enumerate(grid.notes):
        paragraph = document.add_paragraph()
        _single_spaced(paragraph, before=NOTES_BEFORE_PT if i == 0 else 0.0)
        if i == 0:
            _add_run(paragraph, "Notes: ", size - 1, italic=True)
        _add_run(paragraph, note, size - 1)
    return layout


def use_font(document: Any) -> None:
    """Name :data:`FONT_NAME` in the document defaults and the Normal style (in place of
    the template's theme fonts), so text outside the tables matches them too."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = document.styles.element
    r_pr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    normal = document.styles["Normal"].element.get_or_add_rPr()
    for parent in (r_pr, normal):
        fonts = parent.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            parent.insert(0, fonts)
        for key in list(fonts.attrib):
            del fonts.attrib[key]
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT_NAME)


def new_document(title: str) -> Any:
    """An empty A4 document with fixed core properties."""
    from docx import Document

    document = Document()
    _fix_core_properties(document, xml_safe(title))
    use_font(document)
    set_page(document.sections[0], landscape=False)
    return document


def document_bytes(document: Any) -> bytes:
    """The saved document with fixed ZIP member times."""
    buf = io.BytesIO()
    document.save(buf)
    return normalise_zip(buf.getvalue())


def render_docx(grid: TextTable) -> bytes:
    """The table as a Word document (bytes), landscape when the table needs it."""
    layout = fit_layout(grid)
    document = new_document(grid.title)
    set_page(document.sections[0], landscape=layout.landscape)
    add_table(document, grid, layout)
    return document_bytes(document)
