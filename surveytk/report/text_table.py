"""The laid-out table every renderer draws: header rows with spans, body sections of
formatted :class:`Cell` objects, and notes.

Results tables (:func:`surveytk.report.table_format.text_grid`), tabulations, estimate
tables and report documents all produce a :class:`TextTable`; the Markdown, LaTeX, HTML,
DOCX, XLSX and CSV renderers only lay it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    """A formatted cell; ``value``/``number_format`` let spreadsheets keep numbers."""

    text: str
    value: float | None = None
    number_format: str | None = None
    span: int = 1
    indent: int = 0  # a level under its variable's heading


def expand_spans(row: Sequence[Cell]) -> list[Cell]:
    """The row with each spanning cell followed by empty cells (for md and CSV)."""
    out: list[Cell] = []
    for cell in row:
        out.append(cell)
        out.extend(Cell("") for _ in range(cell.span - 1))
    return out


@dataclass(frozen=True)
class Section:
    """Rows of a body block; ``name`` is ``estimates``, ``thresholds`` or ``fit``."""

    name: str
    title: str | None
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class TextTable:
    """The formatted table: header rows with spans, body sections, notes."""

    title: str
    header: tuple[tuple[tuple[str, int], ...], ...]
    sections: tuple[Section, ...]
    notes: tuple[str, ...]
    n_columns: int = field(default=0)
