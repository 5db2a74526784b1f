"""HTML renderer: a standalone page with one ``<table>`` and minimal CSS.

Every text goes through :func:`html.escape`; nothing from labels or notes can
inject markup.
"""

from __future__ import annotations

from html import escape

from surveytk.report.text_table import Cell, TextTable

CSS = """\
body { font-family: "Helvetica Neue", Arial, sans-serif; margin: 2em; color: #111; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 0.5em; }
thead { border-top: 2px solid #111; border-bottom: 1px solid #111; }
th, td { padding: 0.15em 0.8em; }
thead th { text-align: center; }
tbody th { text-align: left; font-weight: normal; }
tbody td { text-align: center; }
tbody + tbody { border-top: 1px solid #111; }
tbody:last-of-type { border-bottom: 2px solid #111; }
th.section { font-style: italic; }
tbody th.level { padding-left: 1.8em; }
td { white-space: nowrap; }
tfoot td { font-size: 0.85em; text-align: left; padding-top: 0.4em; max-width: 40em; }
"""


def _header(grid: TextTable) -> list[str]:
    lines = ["<thead>"]
    for row in grid.header:
        cells = []
        for text, span in row:
            attr = f' colspan="{span}"' if span > 1 else ""
            cells.append(f'<th scope="col"{attr}>{escape(text)}</th>')
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</thead>")
    return lines


def _td(cell: Cell) -> str:
    attr = f' colspan="{cell.span}"' if cell.span > 1 else ""
    return f"<td{attr}>{escape(cell.text)}</td>"


def table_fragment(grid: TextTable) -> list[str]:
    """The ``<table>`` element of ``grid`` (caption, header, body blocks, notes) as lines."""
    n = grid.n_columns
    lines = ["<table>", f"<caption>{escape(grid.title)}</caption>", *_header(grid)]
    for section in grid.sections:
        if not section.rows:
            continue
        lines.append(f'<tbody class="{escape(section.name)}">')
        if section.title:
            lines.append(
                f'<tr><th class="section" colspan="{n}" scope="rowgroup">'
                f"{escape(section.title)}</th></tr>"
            )
        for row in section.rows:
            label, *cells = row
            cls = ' class="level"' if label.indent else ""
            lines.append(
                f'<tr><th scope="row"{cls}>{escape(label.text)}</th>'
                + "".join(_td(c) for c in cells)
                + "</tr>"
            )
        lines.append("</tbody>")
    lines.append("<tfoot>")
    lines.extend(f'<tr><td colspan="{n}">{escape(note)}</td></tr>' for note in grid.notes)
    lines += ["</tfoot>", "</table>"]
    return lines


def page(title: str, body: list[str], css: str = CSS) -> str:
    """A standalone HTML5 page (UTF-8, inline CSS, nothing loaded from elsewhere)."""
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        "<style>",
        css.rstrip("\n"),
        "</style>",
        "</head>",
        "<body>",
        *body,
        "</body>",
        "</html>",
    ]
    return "\n".join(lines) + "\n"


def render_html(grid: TextTable) -> str:
    """The table as a standalone HTML5 page."""
    return page(grid.title, table_fragment(grid))
