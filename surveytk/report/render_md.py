"""Markdown renderer: a pipe table with the title above and the notes below."""

from __future__ import annotations

from surveytk.report.text_table import Cell, TextTable, expand_spans

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|<>"})


def escape_md(text: str) -> str:
    """Backslash-escape Markdown syntax characters (``*`` of stars, ``|`` of cells, ...)."""
    return text.translate(_MD_SPECIAL)


def _spanned_models(grid: TextTable) -> list[str]:
    models: list[str] = []
    for text, span in grid.header[0]:
        models.extend([text] * span)
    return models


def _line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render_markdown(grid: TextTable) -> str:
    """The table as GitHub-flavoured Markdown."""
    if len(grid.header) == 1:
        head = [text for text, _ in grid.header[0]]
    else:
        models = _spanned_models(grid)
        levels = [text for text, span in grid.header[1] for _ in range(span)]
        head = [""] + [
            f"{m}: {lv}" if lv else m for m, lv in zip(models[1:], levels[1:], strict=True)
        ]
    lines = [f"**{escape_md(grid.title)}**", ""]
    lines.append(_line([escape_md(h) for h in head]))
    lines.append("|:---|" + "---:|" * (len(head) - 1))
    for section in grid.sections:
        if section.title:
            lines.append(_line([f"*{escape_md(section.title)}*"] + [""] * (len(head) - 1)))
        for row in section.rows:
            lines.append(_line([_md_cell(c) for c in _pad(expand_spans(row), len(head))]))
    lines.append("")
    lines.append("*Notes:* " + " ".join(escape_md(n) for n in grid.notes))
    return "\n".join(lines) + "\n"


def _md_cell(cell: Cell) -> str:
    """Escaped text; a level under its variable's heading indented by an em space."""
    return "\u2003" * cell.indent + escape_md(cell.text)


def _pad(row: list[Cell], n: int) -> list[Cell]:
    return list(row) + [Cell("")] * (n - len(row))
