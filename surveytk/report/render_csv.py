"""CSV renderer: the formatted grid as plain comma-separated text (ASCII minus).

Header rows first (a model's label in the first column of its span), then
the body, a section title as a row of its own, and after an empty row one
note per row. Text cells that a spreadsheet would run as a formula get a leading
apostrophe (:func:`surveytk.io.text_safety.neutralise`).
"""

from __future__ import annotations

import csv
import io

from surveytk.io.text_safety import neutralise
from surveytk.report.text_table import TextTable, expand_spans


def render_csv(grid: TextTable) -> str:
    """The table as CSV text with ``\\n`` line endings."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in grid.header:
        cells: list[str] = []
        for text, span in row:
            cells.extend([neutralise(text)] + [""] * (span - 1))
        writer.writerow(cells)
    for section in grid.sections:
        if section.title and section.rows:
            writer.writerow([neutralise(section.title)] + [""] * (grid.n_columns - 1))
        for r in section.rows:
            writer.writerow([neutralise(c.text) for c in expand_spans(r)])
    writer.writerow([])
    for note in grid.notes:
        writer.writerow([neutralise(note)])
    return buf.getvalue()
