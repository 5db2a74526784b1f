"""Column widths, font, font size and page orientation of a Word table, from its content.

Word and LibreOffice lay a table out with the widths they are given; python-docx's
default of equal one-inch columns wraps numbers and pushes wide tables over the
margin. Here the document names its font, Arial (every Word has it; LibreOffice
substitutes Liberation Sans, drawn to Arial's metrics), and widths are measured with
that font's real advance widths (tabulated below for Latin-1 and the symbols tables
use; any other character counts as a full em). Each column gets the width of its
longest number (numbers never wrap), the label column the width of its longest
label up to a cap and down to its longest word if the page needs it (labels may
wrap, words never break), and the header the width of its longest word.

The height of the title, the table and its notes is estimated too (single-spaced
lines of 1.15 em, the wrapped lines counted), so that the table fits one page: the
first of portrait at 10, 9 and 8 pt, landscape at 10, 9 and 8 pt, and landscape with
confidence intervals broken after the comma (``[−0.12,`` over ``0.35]``: each number
stays whole) at 9, 8 and 7 pt that fits the page's width and height. A table too tall
for every one of them takes the fewest pages (its header row repeats on each).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from surveytk.report.text_table import Cell, TextTable

#: The font named in the document; measured with the metrics below.
FONT_NAME = "Arial"
#: A4 with 2 cm margins, in inches.
PAGE_WIDTH = 8.27
PAGE_HEIGHT = 11.69
MARGIN = 0.79
PORTRAIT_TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LANDSCAPE_TEXT_WIDTH = PAGE_HEIGHT - 2 * MARGIN
PORTRAIT_TEXT_HEIGHT = PAGE_HEIGHT - 2 * MARGIN
LANDSCAPE_TEXT_HEIGHT = PAGE_WIDTH - 2 * MARGIN
FONT_SIZES = (10.0, 9.0, 8.0)
SPLIT_FONT_SIZES = (9.0, 8.0, 7.0)
#: Left + right cell margins of the table style (0.075 in each), plus slack.
CELL_PADDING = 0.2
#: Measured widths are scaled up by this much: rounding in the layout engines.
WIDTH_SLACK = 1.03
LABEL_CAP = 2.9  # inches: longer labels wrap
TEXT_CAP = 2.5  # inches: longer words in other columns wrap
#: To fit the page, a wrapping column narrows to this (or its longest word), no further:
#: a narrower one wraps into a tower of short lines, and the next layout serves better.
SQUEEZE_FLOOR = 1.5
INDENT = 0.2  # inches per indent level of a label
#: Single line spacing of Arial: (ascent + descent + line gap) / em, rounded up.
LINE_EM = 1.15
#: Space after the title paragraph and before the notes, in points.
TITLE_AFTER_PT = 4.0
NOTES_BEFORE_PT = 3.0
#: Height kept free at the foot of the page: the empty paragraph Word needs after a
#: table, a section break's paragraph, and a margin for the layout engines' rounding.
FOOT_RESERVE = 0.6
#: Rules of the table, in points: heavy above and below, light under the header and
#: between blocks.
HEAVY_RULE_PT = 1.5
LIGHT_RULE_PT = 0.5
_UPM = 2048
_UNKNOWN = 2048  # a character not tabulated counts as a full em

# Advance widths (units of 1/2048 em) of Liberation Sans, metric-compatible with Arial,
# for U+0020..U+00FF, and of the other characters tables print.
_LATIN1_REGULAR = (
    569, 569, 727, 1139, 1139, 1821, 1366, 391, 682, 682, 797, 1196, 569, 682, 569, 569, 1139,
    1139, 1139, 1139, 1139, 1139, 1139, 1139, 1139, 1139, 569, 569, 1196, 1196, 1196, 1139,
    2079, 1366, 1366, 1479, 1479, 1366, 1251, 1593, 1479, 569, 1024, 1366, 1139, 1706, 1479,
    1593, 1366, 1593, 1479, 1366, 1251, 1479, 1366, 1933, 1366, 1366, 1251, 569, 569, 569, 961,
    1139, 682, 1139, 1139, 1024, 1139, 1139, 569, 1139, 1139, 455, 455, 1024, 455, 1706, 1139,
    1139, 1139, 1139, 682, 1024, 569, 1139, 1024, 1479, 1024, 1024, 1024, 684, 532, 684, 1196,
    2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048,
    2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048,
    2048, 2048, 2048, 569, 682, 1139, 1139, 1139, 1139, 532, 1139, 682, 1509, 758, 1139, 1196,
    682, 1509, 1131, 819, 1124, 682, 682, 682, 1180, 1100, 682, 682, 682, 748, 1139, 1708, 1708,
    1708, 1251, 1366, 1366, 1366, 1366, 1366, 1366, 2048, 1479, 1366, 1366, 1366, 1366, 569,
    569, 569, 569, 1479, 1479, 1593, 1593, 1593, 1593, 1593, 1196, 1593, 1479, 1479, 1479, 1479,
    1366, 1366, 1251, 1139, 1139, 1139, 1139, 1139, 1139, 1821, 1024, 1139, 1139, 1139, 1139,
    569, 569, 569, 569, 1139, 1139, 1139, 1139, 1139, 1139, 1139, 1124, 1251, 1139, 1139, 1139,
    1139, 1024, 1139, 1024,
)
_EXTRA_REGULAR = {
    0x2212: 1196, 0x2013: 1139, 0x2014: 2048, 0x2018: 455, 0x2019: 455, 0x201C: 682,
    0x201D: 682, 0x2026: 2048, 0x2002: 1024, 0x2003: 2048, 0x2009: 410, 0x2022: 717,
    0x2264: 1124, 0x2265: 1124, 0x2260: 1124, 0x2248: 1124, 0x221E: 1460, 0x2030: 2048,
    0x20AC: 1139, 0x03B1: 1184, 0x03B2: 1178, 0x03C7: 1075, 0x03BC: 1180, 0x03C3: 1264,
    0x0142: 455, 0x0141: 1139, 0x0160: 1366, 0x0161: 1024, 0x017D: 1251, 0x017E: 1024,
    0x0131: 569, 0x015E: 1366, 0x015F: 1024, 0x011E: 1593, 0x011F: 1139,
}

_LATIN1_BOLD = (
    569, 682, 971, 1139, 1139, 1821, 1479, 487, 682, 682, 797, 1196, 569, 682, 569, 569, 1139,
    1139, 1139, 1139, 1139, 1139, 1139, 1139, 1139, 1139, 682, 682, 1196, 1196, 1196, 1251,
    1997, 1479, 1479, 1479, 1479, 1366, 1251, 1593, 1479, 569, 1139, 1479, 1251, 1706, 1479,
    1593, 1366, 1593, 1479, 1366, 1251, 1479, 1366, 1933, 1366, 1366, 1251, 682, 569, 682, 1196,
    1139, 682, 1139, 1251, 1139, 1251, 1139, 682, 1251, 1251, 569, 569, 1139, 569, 1821, 1251,
    1251, 1251, 1251, 797, 1139, 682, 1251, 1139, 1593, 1139, 1139, 1024, 797, 573, 797, 1196,
    2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048,
    2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048, 2048,
    2048, 2048, 2048, 569, 682, 1139, 1139, 1139, 1139, 573, 1139, 682, 1509, 758, 1139, 1196,
    682, 1509, 1131, 819, 1124, 682, 682, 682, 1180, 1139, 682, 682, 682, 748, 1139, 1708, 1708,
    1708, 1251, 1479, 1479, 1479, 1479, 1479, 1479, 2048, 1479, 1366, 1366, 1366, 1366, 569,
    569, 569, 569, 1479, 1479, 1593, 1593, 1593, 1593, 1593, 1196, 1593, 1479, 1479, 1479, 1479,
    1366, 1366, 1251, 1139, 1139, 1139, 1139, 1139, 1139, 1821, 1139, 1139, 1139, 1139, 1139,
    569, 569, 569, 569, 1251, 1251, 1251, 1251, 1251, 1251, 1251, 1124, 1251, 1251, 1251, 1251,
    1251, 1139, 1251, 1139,
)
_EXTRA_BOLD = {
    0x2212: 1196, 0x2013: 1139, 0x2014: 2048, 0x2018: 569, 0x2019: 569, 0x201C: 1024,
    0x201D: 1024, 0x2026: 2048, 0x2002: 1024, 0x2003: 2048, 0x2009: 410, 0x2022: 717,
    0x2264: 1124, 0x2265: 1124, 0x2260: 1124, 0x2248: 1124, 0x221E: 1460, 0x2030: 2048,
    0x20AC: 1139, 0x03B1: 1259, 0x03B2: 1250, 0x03C7: 1179, 0x03BC: 1253, 0x03C3: 1401,
    0x0142: 569, 0x0141: 1251, 0x0160: 1366, 0x0161: 1139, 0x017D: 1251, 0x017E: 1024,
    0x0131: 569, 0x015E: 1366, 0x015F: 1139, 0x011E: 1593, 0x011F: 1251,
}

_WIDTHS = {
    False: (_LATIN1_REGULAR, _EXTRA_REGULAR),
    True: (_LATIN1_BOLD, _EXTRA_BOLD),
}


def text_width(text: str, size_pt: float, bold: bool = False) -> float:
    """Printed width of ``text`` in inches at ``size_pt`` points in :data:`FONT_NAME`."""
    latin1, extra = _WIDTHS[bold]
    units = 0
    for ch in text:
        code = ord(ch)
        if 32 <= code <= 255:
            units += latin1[code - 32]
        else:
            units += extra.get(code, _UNKNOWN)
    return units / _UPM * size_pt / 72.0 * WIDTH_SLACK


def line_height(size_pt: float) -> float:
    """Height in inches of one single-spaced line at ``size_pt``."""
    return LINE_EM * size_pt / 72.0


def longest_word(text: str, size_pt: float, bold: bool = False) -> float:
    return max((text_width(w, size_pt, bold) for w in text.split()), default=0.0)


def line_count(text: str, width: float, size_pt: float, bold: bool = False) -> int:
    """Lines ``text`` takes when wrapped at spaces into ``width`` inches (a word wider
    than the line takes as many lines as it needs; a line break starts a new line)."""
    if "\n" in text:
        return sum(line_count(part, width, size_pt, bold) for part in text.split("\n"))
    space = text_width(" ", size_pt, bold)
    width += 1e-9  # a text measured whole fits the width measured from it
    lines, used = 1, 0.0
    for word in text.split():
        w = text_width(word, size_pt, bold)
        if used and used + space + w > width:
            lines, used = lines + 1, 0.0
        if not used and w > width > 0:
            extra = math.ceil(w / width) - 1
            lines += extra
            used = w - extra * width
        else:
            used = used + space + w if used else w
    return lines


@dataclass(frozen=True)
class DocxLayout:
    """Widths (inches) of each column, the font size, whether the page is landscape,
    whether intervals break after the comma, and the estimated height (inches) of the
    title, table and notes."""

    widths: tuple[float, ...]
    font_pt: float
    landscape: bool
    split_intervals: bool = False
    height: float = 0.0

    @property
    def total(self) -> float:
        return sum(self.widths)

    @property
    def text_width(self) -> float:
        return LANDSCAPE_TEXT_WIDTH if self.landscape else PORTRAIT_TEXT_WIDTH

    @property
    def text_height(self) -> float:
        return LANDSCAPE_TEXT_HEIGHT if self.landscape else PORTRAIT_TEXT_HEIGHT

    @property
    def pages(self) -> int:
        """Pages the title, table and notes take by the estimate."""
        return max(1, math.ceil(self.height / (self.text_height - FOOT_RESERVE)))


def is_interval(text: str) -> bool:
    """``[low, high]``: a cell that may break after its comma."""
    return text.startswith("[") and text.endswith("]") and ", " in text


_WORD = re.compile(r"[^\W\d_]{2,}")


def is_text(text: str) -> bool:
    """Words (``Multinomial logit``, a design description) that may wrap at their spaces,
    as against a number, an interval or a range (``2022 – 2023``), which never wraps."""
    return " " in text.strip() and not is_interval(text) and _WORD.search(text) is not None


def wraps(text: str, col: int, split_intervals: bool) -> bool:
    """Whether the cell in column ``col`` may take more than one line."""
    return col == 0 or is_text(text) or (split_intervals and is_interval(text))


def cell_width(text: str, size_pt: float, split_intervals: bool) -> float:
    """Width the cell needs on one line (an interval broken after its comma: its wider half)."""
    if split_intervals and is_interval(text):
        low, high = text.split(", ", 1)
        return max(text_width(low + ",", size_pt), text_width(high, size_pt))
    return text_width(text, size_pt)


def _column_bounds(
    grid: TextTable, size_pt: float, split_intervals: bool
) -> tuple[list[float], list[float]]:
    """Each column's least width (its widest number, longest word, longest header word;
    a wrapping column's at least :data:`SQUEEZE_FLOOR` or its natural width) and natural
    width (its widest cell on one line, a wrapping column's capped), both without the
    cell padding."""
    n = grid.n_columns
    least, natural = [0.0] * n, [0.0] * n
    for section in grid.sections:
        for row in section.rows:
            col = 0
            for cell in row:
                if cell.span == 1:
                    indent = INDENT * cell.indent if col == 0 else 0.0
                    full = cell_width(cell.text, size_pt, split_intervals) + indent
                    if wraps(cell.text, col, split_intervals) and not (
                        split_intervals and is_interval(cell.text)
                    ):
                        least[col] = max(least[col], longest_word(cell.text, size_pt) + indent)
                        natural[col] = max(natural[col],
                                           min(full, LABEL_CAP if col == 0 else TEXT_CAP))
                    else:
                        least[col] = max(least[col], full)
                        natural[col] = max(natural[col], full)
                col += cell.span
    for header_row in grid.header:
        col = 0
        for text, span in header_row:
            need = longest_word(text, size_pt, bold=True)
            have = sum(least[col:col + span]) + CELL_PADDING * (span - 1)
            if need > have:
                for j in range(col, col + span):
                    least[j] += (need - have) / span
            col += span
    natural = [max(lo, nat) for lo, nat in zip(least, natural, strict=True)]
    floor = [max(lo, min(nat, SQUEEZE_FLOOR)) for lo, nat in zip(least, natural, strict=True)]
    return floor, natural


def column_widths(
    grid: TextTable,
    size_pt: float,
    split_intervals: bool = False,
    limit: float | None = None,
) -> list[float]:
    """Widths (with the cell padding) that keep every number on one line and every word
    whole at ``size_pt``. Columns that wrap (labels, words) take their natural width;
    with ``limit`` the widest of them narrow alike, each down to its longest word at
    most, until the table fits ``limit`` inches if it can."""
    least, natural = _column_bounds(grid, size_pt, split_intervals)
    pad = CELL_PADDING * grid.n_columns

    def widths_at(cap: float) -> list[float]:
        return [max(lo, min(nat, cap)) for lo, nat in zip(least, natural, strict=True)]

    widths = natural
    if limit is not None and sum(natural) + pad > limit:
        low, high = 0.0, max(natural)
        for _ in range(40):
            mid = (low + high) / 2
            if sum(widths_at(mid)) + pad <= limit:
                low = mid
            else:
                high = mid
        widths = widths_at(low)
    return [w + CELL_PADDING for w in widths]


def _row_lines(row: Sequence[Cell], widths: Sequence[float], size_pt: float,
               split_intervals: bool) -> int:
    lines, col = 1, 0
    for cell in row:
        inner = sum(widths[col:col + cell.span]) - CELL_PADDING
        if col == 0:
            inner -= INDENT * cell.indent
        if split_intervals and is_interval(cell.text):
            lines = max(lines, 2 if cell_width(cell.text, size_pt, False) > inner else 1)
        elif wraps(cell.text, col, split_intervals) or cell.span > 1:
            lines = max(lines, line_count(cell.text, inner, size_pt))
        col += cell.span
    return lines


def table_height(grid: TextTable, widths: Sequence[float], size_pt: float,
                 split_intervals: bool = False, page_w: float = PORTRAIT_TEXT_WIDTH) -> float:
    """Estimated height (inches) of the title, the table and the notes, on a page
    ``page_w`` inches wide between its margins."""
    text_w = sum(widths)
    line = line_height(size_pt)
    height = line_count(grid.title, page_w, size_pt + 1, bold=True) * line_height(size_pt + 1)
    height += TITLE_AFTER_PT / 72.0
    for header_row in grid.header:
        lines, col = 1, 0
        for text, span in header_row:
            inner = sum(widths[col:col + span]) - CELL_PADDING
            lines = max(lines, line_count(text, inner, size_pt, bold=True))
            col += span
        height += lines * line
    blocks = sum(1 for section in grid.sections if section.rows)
    height += (2 * HEAVY_RULE_PT + blocks * LIGHT_RULE_PT) / 72.0
    for section in grid.sections:
        if section.title and section.rows:
            height += line_count(section.title, text_w - CELL_PADDING, size_pt) * line
        for row in section.rows:
            height += _row_lines(row, widths, size_pt, split_intervals) * line
    if grid.notes:
        height += NOTES_BEFORE_PT / 72.0
        notes = ["Notes: " + grid.notes[0], *grid.notes[1:]]
        height += sum(line_count(n, page_w, size_pt - 1) for n in notes) * line_height(size_pt - 1)
    return height


def _candidates(font_sizes: Sequence[float]) -> list[tuple[bool, float, bool]]:
    """(landscape, size, split intervals) in order of preference."""
    return ([(False, s, False) for s in font_sizes]
            + [(True, s, False) for s in font_sizes]
            + [(True, s, True) for s in SPLIT_FONT_SIZES])


def fit_layout(grid: TextTable, *, font_sizes: Sequence[float] = FONT_SIZES) -> DocxLayout:
    """The first layout (portrait before landscape, larger font first, intervals on one
    line first) whose table fits the page's width and whose title, table and notes fit
    one page; else, among those that fit the width, the one that takes the fewest pages;
    else the last (smallest) one."""
    fitting: list[DocxLayout] = []
    layout = None
    for landscape, size, split in _candidates(font_sizes):
        limit = LANDSCAPE_TEXT_WIDTH if landscape else PORTRAIT_TEXT_WIDTH
        widths = column_widths(grid, size, split, limit=limit)
        layout = DocxLayout(tuple(widths), size, landscape, split,
                            table_height(grid, widths, size, split, limit))
        if layout.total <= limit:
            if layout.pages == 1:
                return layout
            fitting.append(layout)
    if fitting:
        return min(fitting, key=lambda lay: lay.pages)
    assert layout is not None
    return layout
