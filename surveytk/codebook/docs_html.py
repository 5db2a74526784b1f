"""The HTML of ``codebook docs``: a styled static site that works offline.

One ``index.html`` (sources, and every variable with how each source gives it)
and one page per variable. The style sheet is inline (no CDN, no script, no
web font); every text from the schema, the crosswalks or the data is escaped
with :func:`html.escape`, so a label can never become markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from surveytk.codebook.docs_site import (
    NUMERIC_HEADER,
    Site,
    SourceEntry,
    VariablePage,
    derive_text,
    numeric_row,
    numeric_text,
    origin_text,
    suppression_text,
)

CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #0b6e99;
        --soft: #f0f4f8; --warn: #8d2b0b; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #fff; }
header { background: var(--accent); color: #fff; padding: 0.8rem 1.5rem; }
header a { color: #fff; text-decoration: none; font-weight: 600; }
header .meta { opacity: 0.85; font-size: 0.85rem; }
main { max-width: 68rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: 0.6rem 0 0.2rem; }
h1 code { font-size: 1.4rem; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 0.5rem; border-bottom: 1px solid var(--line);
     padding-bottom: 0.2rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       background: var(--soft); padding: 0.05rem 0.3rem; border-radius: 3px; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; width: auto; }
th, td { border: 1px solid var(--line); padding: 0.3rem 0.6rem; text-align: left;
         vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.lead { color: var(--muted); margin: 0 0 0.8rem; }
.tag { display: inline-block; font-size: 0.78rem; padding: 0 0.45rem; border-radius: 9px;
       background: var(--soft); color: var(--muted); border: 1px solid var(--line); }
.tag.given { color: #0f5132; background: #e6f4ea; border-color: #b7dfc3; }
.tag.missing { color: var(--warn); background: #fbeee6; border-color: #f1cdb8; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem 0.9rem;
        margin: 0.8rem 0; }
.card h3 { margin: 0 0 0.3rem; font-size: 1rem; }
blockquote { margin: 0.4rem 0; padding: 0.2rem 0.8rem; border-left: 3px solid var(--accent);
             color: var(--ink); background: var(--soft); }
nav.pager { display: flex; justify-content: space-between; margin-top: 2rem;
            font-size: 0.9rem; }
a { color: var(--accent); }
.note { color: var(--muted); font-size: 0.88rem; }
@media print { header { background: none; color: var(--ink); } header a { color: var(--ink); } }
"""


def _doc(title: str, site: Site, body: Sequence[str]) -> str:
    head = (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
            f"<header><a href=\"index.html\">Common schema {escape(site.schema.schema_name)}"
            f"</a> <span class=\"meta\">version {escape(site.schema.version)} · "
            f"{len(site.books)} codebooks</span></header>\n<main>\n")
    return head + "\n".join(body) + "\n</main></body></html>\n"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]],
           numeric: Sequence[int] = ()) -> str:
    out = ["<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header)
           + "</tr></thead><tbody>"]
    for row in rows:
        cells = [f"<td class=\"num\">{escape(c)}</td>" if i in numeric else f"<td>{escape(c)}</td>"
                 for i, c in enumerate(row)]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _status(entry: SourceEntry) -> str:
    kind, text = entry.origin
    if kind == "missing":
        return f"<span class=\"tag missing\">{escape(text)}</span>"
    shown = {"column": text, "derive": text.split("(")[0], "constant": f"= {text}",
             "schema": f"schema: {text}"}[kind]
    return f"<span class=\"tag given\">{escape(shown)}</span>"


def html_index(site: Site) -> str:
    """``index.html``: the sources, and every variable with how each source gives it."""
    body = ["<h1>Common schema</h1>",
            f"<p class=\"lead\">{len(site.pages)} variables, {len(site.books)} codebooks. "
            "Each variable has a page with its definition, the harmonised categories, every "
            "source's question and value map, and disclosure-controlled frequencies.</p>",
            "<h2>Sources</h2>",
            _table(["codebook", "source", "version", "files"],
                   [(b.name, site.source_label(b.crosswalk.source), b.version,
                     ", ".join(f.path for f in b.crosswalk.files.values()))
                    for b in site.books]),
            "<h2>Variables</h2>",
            "<table><thead><tr><th>variable</th><th>label</th><th>type</th>"
            + "".join(f"<th>{escape(b.name)}</th>" for b in site.books)
            + "</tr></thead><tbody>"]
    for page in site.pages:
        cells = "".join(f"<td>{_status(e)}</td>" for e in page.entries)
        if not page.entries:
            cells = "".join("<td><span class=\"tag given\">codebook</span></td>"
                            for _ in site.books)
        body.append(f"<tr><td><a href=\"{escape(page.name)}.html\"><code>{escape(page.name)}"
                    f"</code></a></td><td>{escape(page.var.label)}</td>"
                    f"<td>{escape(page.var.type)}</td>{cells}</tr>")
    body.append("</tbody></table>")
    return _doc("Common schema", site, body)


def _entry_card(entry: SourceEntry, site: Site) -> str:
    parts = [f"<div class=\"card\"><h3>{escape(site.source_label(entry.source))} "
             f"<span class=\"note\">{escape(entry.codebook)} v{escape(entry.version)}</span></h3>",
             f"<p>From: {_status(entry)} <span class=\"note\">{escape(origin_text(entry))}"
             "</span></p>"]
    if entry.question:
        parts.append(f"<blockquote>{escape(entry.question)}</blockquote>")
    if entry.note:
        parts.append(f"<p class=\"note\">Note: {escape(entry.note)}</p>")
    if entry.rows:
        parts.append(_table(["code", "source label", "common value"], entry.rows))
    parts.append("</div>")
    return "\n".join(parts)


def html_page(page: VariablePage, site: Site) -> str:
    """The page of one common variable."""
    var = page.var
    kind = var.type + (f", range {var.range[0]:g} to {var.range[1]:g}" if var.range else "")
    body = [f"<h1><code>{escape(page.name)}</code> {escape(var.label)}</h1>",
            f"<p class=\"lead\">{escape(var.description)}</p>" if var.description else "",
            f"<p>Type: <span class=\"tag\">{escape(kind)}</span>"
            + (" nullable" if var.nullable else " never missing") + "</p>"]
    if var.derive is not None:
        body.append("<p>Derived in the schema: <code>"
                    f"{escape(derive_text(var.derive.function, dict(var.derive.args)))}</code></p>")
    if var.levels:
        body += ["<h2>Harmonised categories</h2>",
                 _table(["value", "label"], [(lv.value, lv.label) for lv in var.levels])]
    if page.entries:
        body.append("<h2>Sources</h2>")
        body += [_entry_card(e, site) for e in page.entries]
    if page.freq is not None:
        freq = page.freq
        rows = [(str(i), *row) for i, row in zip(freq.index, freq.to_numpy().tolist(),
                                                 strict=True)]
        body += ["<h2>Frequencies by source</h2>",
                 f"<p class=\"note\">{escape(suppression_text(site))}</p>",
                 _table(["value", *map(str, freq.columns)], rows,
                        numeric=range(1, len(freq.columns) + 1))]
    if page.numeric:
        body += ["<h2>Summary by source</h2>",
                 f"<p class=\"note\">{escape(numeric_text(site))}</p>",
                 _table(NUMERIC_HEADER, [numeric_row(s) for s in page.numeric],
                        numeric=range(1, len(NUMERIC_HEADER)))]
    names = [p.name for p in site.pages]
    i = names.index(page.name)
    prev = (f"<a href=\"{escape(names[i - 1])}.html\">← {escape(names[i - 1])}</a>"
            if i > 0 else "<span></span>")
    nxt = (f"<a href=\"{escape(names[i + 1])}.html\">{escape(names[i + 1])} →</a>"
           if i + 1 < len(names) else "<span></span>")
    body.append(f"<nav class=\"pager\">{prev}<a href=\"index.html\">all variables</a>{nxt}</nav>")
    return _doc(f"{page.name} — {var.label}", site, [b for b in body if b])
