"""LaTeX renderer: a ``table`` float with a booktabs ``tabular`` (needs ``\\usepackage{booktabs}``).

Every text is escaped; a few non-ASCII symbols the tables use (minus sign,
multiplication sign, superscript two, middle dot) become math so that the
fragment compiles with pdflatex as well as with XeLaTeX/LuaLaTeX.
"""

from __future__ import annotations

from surveytk.report.text_table import Cell, TextTable

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "\u2212": "$-$",
    "×": r"$\times$",
    "²": r"\textsuperscript{2}",
    "·": r"$\cdot$",
    "∞": r"$\infty$",
}
_LATEX_TABLE = str.maketrans(_LATEX_SPECIAL)


def escape_latex(text: str) -> str:
    """Escape LaTeX special characters; a leading ``[`` is braced (``\\\\[`` trap)."""
    out = text.translate(_LATEX_TABLE)
    if out.startswith("["):
        out = "{[}" + out[1:]
    return out


def _body_cell(cell: Cell) -> str:
    text = r"\quad " * cell.indent + escape_latex(cell.text)
    return rf"\multicolumn{{{cell.span}}}{{c}}{{{text}}}" if cell.span > 1 else text


def _row(cells: list[str]) -> str:
    return " & ".join(cells) + r" \\"


def _header_lines(grid: TextTable) -> list[str]:
    lines: list[str] = []
    for r, row in enumerate(grid.header):
        cells: list[str] = []
        rules: list[str] = []
        col = 1
        for text, span in row:
            if span > 1:
                cells.append(rf"\multicolumn{{{span}}}{{c}}{{{escape_latex(text)}}}")
                rules.append(rf"\cmidrule(lr){{{col}-{col + span - 1}}}")
            else:
                cells.append(escape_latex(text))
            col += span
        lines.append(_row(cells))
        if rules and r < len(grid.header) - 1:
            lines.append(" ".join(rules))
    return lines


def render_latex(grid: TextTable) -> str:
    """The table as a LaTeX ``table`` float (booktabs rules, notes below)."""
    n = grid.n_columns
    lines = [
        "% surveytk table; requires \\usepackage{booktabs}",
        r"\begin{table}[htbp]",
        r"\centering",
        rf"\caption{{{escape_latex(grid.title)}}}",
        r"\begin{tabular}{l" + "c" * (n - 1) + "}",
        r"\toprule",
        *_header_lines(grid),
    ]
    for section in grid.sections:
        if not section.rows:
            continue
        lines.append(r"\midrule")
        if section.title:
            lines.append(
                _row([rf"\multicolumn{{{n}}}{{l}}{{\textit{{{escape_latex(section.title)}}}}}"])
            )
        lines.extend(_row([_body_cell(c) for c in row]) for row in section.rows)
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        r"\par\smallskip",
        r"\begin{minipage}{\linewidth}\footnotesize",
        r"\textit{Notes:} " + " ".join(escape_latex(t) for t in grid.notes),
        r"\end{minipage}",
        r"\end{table}",
    ]
    return "\n".join(lines) + "\n"
