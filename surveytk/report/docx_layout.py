"""Column widths, font size and page orientation of a Word table, from its content.

Word lays a table out with the widths it is given; python-docx's default of equal
one-inch columns wraps numbers and pushes wide tables over the margin. Here each
column gets the width of its longest number (numbers never wrap), the label
column the width of its longest label up to a cap (labels may wrap), and the
header the width of its longest word. If the table does not fit the portrait
text width at 10 pt, the font shrinks to 9 and 8 pt, then the page turns to
landscape; a table still too wide breaks its confidence intervals after the
comma (``[−0.12,`` over ``0.35]``: each number stays whole) at 9, 8 or 7 pt.
Text width is estimated from per-character advance widths of a proportional
sans/serif font, on the generous side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from surveytk.report.table_model import TextTable, expand_spans

#: A4 with 2 cm margins, in inches.
PAGE_WIDTH = 8.27
PAGE_HEIGHT = 11.69
MARGIN = 0.79
PORTRAIT_TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LANDSCAPE_TEXT_WIDTH = PAGE_HEIGHT - 2 * MARGIN
FONT_SIZES = (10.0, 9.0, 8.0)
SPLIT_FONT_SIZES = (9.0, 8.0, 7.0)
#: Left + right cell margins Word uses by default (0.08 in each), plus slack.
CELL_PADDING = 0.2
LABEL_CAP = 2.9  # inches: longer labels wrap
_NARROW = set("il.,;:!|'()[]{} ")
_WIDE = set("MWmw@%")


def text_width(text: str, size_pt: float) -> float:
    """Estimated printed width of ``text`` in inches at ``size_pt`` points."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.3
        elif ch in _WIDE:
            em += 0.85
        elif ch.isupper():
            em += 0.68
        elif ch.isdigit() or ch in "−-+":
            em += 0.56
        else:
            em += 0.53
    return em * size_pt / 72.0


def _longest_word(text: str, size_pt: float) -> float:
    return max((text_width(w, size_pt) for w in text.split()), default=0.0)


@dataclass(frozen=True)
class DocxLayout:
    """Widths (inches) of each column, the font size and whether the page is landscape."""

    widths: tuple[float, ...]
    font_pt: float
    landscape: bool
    split_intervals: bool = False

    @property
    def total(self) -> float:
        return sum(self.widths)


def is_interval(text: str) -> bool:
    """``[low, high]``: a cell that may break after its comma."""
    return text.startswith("[") and text.endswith("]") and ", " in text


def cell_width(text: str, size_pt: float, split_intervals: bool) -> float:
    if split_intervals and is_interval(text):
        low, high = text.split(", ", 1)
        return max(text_width(low + ",", size_pt), text_width(high, size_pt))
    return text_width(text, size_pt)


def column_widths(grid: TextTable, size_pt: float, split_intervals: bool = False) -> list[float]:
    """Widths that keep every number on one line at ``size_pt``."""
    n = grid.n_columns
    widths = [0.0] * n
    for section in grid.sections:
        for row in section.rows:
            for c, cell in enumerate(expand_spans(row)):
                if c == 0:
                    indent = 0.2 * cell.indent
                    widths[0] = max(widths[0], min(text_width(cell.text, size_pt) + indent,
                                                   LABEL_CAP))
                elif cell.span == 1:
                    widths[c] = max(widths[c], cell_width(cell.text, size_pt, split_intervals))
        if section.title:
            widths[0] = max(widths[0], min(text_width(section.title, size_pt), LABEL_CAP))
    for header_row in grid.header:
        col = 0
        for text, span in header_row:
            need = _longest_word(text, size_pt)
            have = sum(widths[col:col + span])
            if need > have:
                for j in range(col, col + span):
                    widths[j] += (need - have) / span
            col += span
    return [w + CELL_PADDING for w in widths]


def fit_layout(grid: TextTable, *, font_sizes: Sequence[float] = FONT_SIZES) -> DocxLayout:
    """The largest font that fits portrait, else landscape, else landscape with intervals
    broken after the comma, else the smallest of those."""
    for landscape, limit in ((False, PORTRAIT_TEXT_WIDTH), (True, LANDSCAPE_TEXT_WIDTH)):
        for size in font_sizes:
            widths = column_widths(grid, size)
            if sum(widths) <= limit:
                return DocxLayout(tuple(widths), size, landscape)
    for size in SPLIT_FONT_SIZES:
        widths = column_widths(grid, size, split_intervals=True)
        if sum(widths) <= LANDSCAPE_TEXT_WIDTH:
            return DocxLayout(tuple(widths), size, True, split_intervals=True)
    size = SPLIT_FONT_SIZES[-1]
    return DocxLayout(tuple(column_widths(grid, size, True)), size, True, split_intervals=True)
