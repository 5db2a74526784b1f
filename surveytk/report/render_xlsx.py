"""XLSX renderer: one formatted sheet (openpyxl) — bold header, number formats, notes below.

Numbers stay numbers (with a number format of the requested digits; standard
errors and statistics shown in parentheses by the format), except estimates
carrying stars, which are text. Text cells that a spreadsheet would read as a
formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) get a leading
apostrophe. The header rows and the label column are frozen, column widths follow
the content, levels are indented under their variable. Workbook times and ZIP
member times are fixed.
"""

from __future__ import annotations

import io
from typing import Any

from surveytk.io.text_safety import neutralise, xml_safe, xml_safe_deep
from surveytk.report.ooxml import normalise_zip
from surveytk.report.style import FIXED_DATETIME
from surveytk.report.text_table import Cell, TextTable


def _put(
    ws: Any,
    row: int,
    col: int,
    cell: Cell,
    *,
    bold: bool = False,
    italic: bool = False,
    align: str | None = None,
    indent: int = 0,
) -> None:
    from openpyxl.styles import Alignment, Font

    target = ws.cell(row=row, column=col)
    if cell.value is not None and cell.number_format is not None:
        target.value = cell.value
        target.number_format = cell.number_format
    elif cell.text:
        target.value = neutralise(cell.text)
        target.data_type = "s"
    if bold or italic:
        target.font = Font(bold=bold, italic=italic)
    if align or indent:
        target.alignment = Alignment(horizontal=align, indent=indent)


def _fill_sheet(ws: Any, grid: TextTable) -> None:
    from openpyxl.styles import Border, Font, Side
    from openpyxl.utils import get_column_letter

    grid = xml_safe_deep(grid)  # control characters from labels (surveytk.io.text_safety)
    ws.cell(row=1, column=1, value=neutralise(grid.title)).font = Font(bold=True, size=12)
    r = 3
    thin = Side(style="thin")
    for header_row in grid.header:
        col = 1
        for text, span in header_row:
            _put(ws, r, col, Cell(text), bold=True, align="center" if col > 1 else None)
            if span > 1:
                ws.merge_cells(start_row=r, start_column=col, end_row=r, end_column=col + span - 1)
            col += span
        r += 1
    for c in range(1, grid.n_columns + 1):
        ws.cell(row=r - 1, column=c).border = Border(bottom=thin)
    ws.freeze_panes = ws.cell(row=r, column=2)  # header rows and the label column stay
    for section in grid.sections:
        if not section.rows:
            continue
        if section.title:
            _put(ws, r, 1, Cell(section.title), italic=True)
            r += 1
        for cells in section.rows:
            c = 1
            for item in cells:
                _put(ws, r, c, item, align="center" if c > 1 else None,
                     indent=item.indent if c == 1 else 0)
                if item.span > 1:
                    ws.merge_cells(
                        start_row=r, start_column=c, end_row=r, end_column=c + item.span - 1
                    )
                c += item.span
            r += 1
    for c in range(1, grid.n_columns + 1):
        ws.cell(row=r - 1, column=c).border = Border(bottom=thin)
    r += 1
    for note in grid.notes:
        ws.cell(row=r, column=1, value=neutralise(note)).font = Font(italic=True, size=9)
        r += 1

    label_width = max(
        (len(row[0].text) + 2 * row[0].indent for s in grid.sections for row in s.rows),
        default=10,
    )
    ws.column_dimensions["A"].width = min(max(label_width + 2, 12), 60)
    for c in range(2, grid.n_columns + 1):
        texts = [
            row[c - 1].text for s in grid.sections for row in s.rows
            if len(row) >= c and row[c - 1].span == 1
        ]
        texts += [t for h in grid.header for t, span in h if span == 1]
        ws.column_dimensions[get_column_letter(c)].width = max(
            10, min(40, max((len(t) for t in texts), default=8) + 3)
        )



def render_xlsx_sheets(grids: list[TextTable], names: list[str]) -> bytes:
    """Several tables as one workbook, one sheet each (bytes)."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    wb.properties.creator = "surveytk"
    wb.properties.title = xml_safe(grids[0].title)
    wb.properties.created = FIXED_DATETIME
    wb.properties.modified = FIXED_DATETIME
    wb.properties.lastModifiedBy = "surveytk"
    for i, (grid, name) in enumerate(zip(grids, names, strict=True)):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = name
        _fill_sheet(ws, grid)

    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return normalise_zip(buf.getvalue())


def render_xlsx(grid: TextTable) -> bytes:
    """The table as an Excel workbook (bytes)."""
    return render_xlsx_sheets([grid], ["Table"])
