"""The Markdown of ``codebook docs``: ``index.md`` and one page per common variable.

Every text from the schema, the crosswalks or the data is escaped
(:func:`md_escape`), so a label can never become markup or raw HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from surveytk.codebook.docs_site import (
    NUMERIC_HEADER,
    Site,
    VariablePage,
    derive_text,
    numeric_row,
    numeric_text,
    origin_text,
    suppression_text,
)


def md_escape(text: object, *, line_start: bool = False) -> str:
    """Text for a Markdown page: one line, Markdown punctuation backslash-escaped and
    ``<``, ``>``, ``&`` as entities, so that no label becomes markup or raw HTML.
    ``line_start``: the text starts a line, so a leading ``#``, ``-``, ``1.`` is escaped too."""
    s = " ".join(str(text).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = "".join("\\" + ch if ch in "\\`*_[]|~" else ch for ch in s)
    if line_start:
        lead = re.match(r"[#=+-]|\d+[.)]", s)
        if lead:
            s = s[: lead.end() - 1] + "\\" + s[lead.end() - 1:]
    return s


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(md_escape(h) for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    return lines


def markdown_page(page: VariablePage, site: Site) -> str:
    """The Markdown page of one common variable (all text escaped)."""
    var = page.var
    lines = [f"# {md_escape(page.name)} — {md_escape(var.label)}", ""]
    if var.description:
        lines += [md_escape(var.description, line_start=True), ""]
    kind = var.type + (f", range {var.range[0]:g} to {var.range[1]:g}" if var.range else "")
    lines.append(f"Type: {md_escape(kind)}")
    if var.derive is not None:
        lines += ["", "Derived in the schema: "
                  + md_escape(derive_text(var.derive.function, dict(var.derive.args)))]
    if var.levels:
        lines += ["", "## Harmonised categories", ""]
        lines += _md_table(["value", "label"], [(lv.value, lv.label) for lv in var.levels])
    for e in page.entries:
        lines += ["", f"## {md_escape(site.source_label(e.source))}: "
                      f"{md_escape(e.codebook)} (v{md_escape(e.version)})", "",
                  f"From: {md_escape(origin_text(e))}"]
        if e.question:
            lines += ["", "> " + md_escape(e.question)]
        if e.note:
            lines += ["", "Note: " + md_escape(e.note)]
        if e.rows:
            lines += ["", *_md_table(["code", "source label", "common value"], e.rows)]
    if page.freq is not None:
        lines += ["", "## Frequencies by source", "", md_escape(suppression_text(site)), ""]
        lines += _md_table(["value", *page.freq.columns],
                           [(str(i), *row) for i, row in
                            zip(page.freq.index, page.freq.to_numpy().tolist(), strict=True)])
    if page.numeric:
        lines += ["", "## Summary by source", "", md_escape(numeric_text(site)), ""]
        lines += _md_table(NUMERIC_HEADER, [numeric_row(s) for s in page.numeric])
    return "\n".join(lines) + "\n"


def markdown_index(site: Site) -> str:
    """The Markdown index: every variable with its label and type, and the sources."""
    lines = ["# Common schema", "",
             f"Schema {md_escape(site.schema.schema_name)} version "
             f"{md_escape(site.schema.version)}.", "", "## Sources", ""]
    lines += _md_table(["codebook", "source", "version"],
                       [(b.name, site.source_label(b.crosswalk.source), b.version)
                        for b in site.books])
    lines += ["", "## Variables", ""]
    for page in site.pages:
        lines.append(f"* [{md_escape(page.name)}]({page.name}.md) — {md_escape(page.var.label)}"
                     f" ({page.var.type})")
    return "\n".join(lines) + "\n"
