"""``codebook docs``: one Markdown and one HTML page per common variable.

Each page gives the variable's definition from the schema, every crosswalk's
question, source variable and value map, and — from harmonised tables, if
given — frequencies by source with cells under the disclosure threshold
suppressed (shown as ``<10``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from surveytk.codebook.loader import Codebook, load_codebook, load_schema
from surveytk.codebook.model import SchemaVariable
from surveytk.codebook.search import search_path
from surveytk.io.atomic import write_text_atomic
from surveytk.paths import refuse_builtin_target

DISCLOSURE_THRESHOLD = 10


def suppress(count: int, threshold: int = DISCLOSURE_THRESHOLD) -> str:
    """A frequency cell for publication: counts below ``threshold`` become ``<threshold``."""
    return f"<{threshold}" if 0 < count < threshold else str(count)


def _origin(book: Codebook, name: str) -> tuple[str, str, list[tuple[str, str, str]]]:
    spec = book.crosswalk.variables.get(name)
    if spec is None:
        return "schema derivation", "", []
    if spec.from_ is not None:
        origin = f"`{spec.from_}`"
    elif spec.derive is not None:
        origin = f"`{spec.derive.function}`"
    elif spec.missing_reason is not None:
        origin = f"not in source ({spec.missing_reason})"
    else:
        origin = f"constant `{spec.constant}`"
    rows = []
    for code, entry in (spec.map or {}).items():
        target = str(entry.to) if entry.to is not None else f"missing: {entry.missing}"
        rows.append((str(code), entry.label or "", target))
    return origin, (spec.question or "").strip(), rows


def frequencies(tables: Sequence[pd.DataFrame], name: str,
                threshold: int = DISCLOSURE_THRESHOLD) -> pd.DataFrame | None:
    """Counts of a categorical or boolean variable (and its missing reasons) by source."""
    if not tables:
        return None
    parts = []
    for t in tables:
        cols = ["source", name, *([f"{name}_missing"] if f"{name}_missing" in t else [])]
        parts.append(t[list(dict.fromkeys(cols))])
    data = pd.concat(parts, ignore_index=True)
    values = data[name].astype(object).where(data[name].notna(), None)
    if f"{name}_missing" in data:
        reasons = data[f"{name}_missing"].astype(object)
        values = values.where(values.notna(), "missing: " + reasons.astype(str))
    values = values.fillna("missing")
    if values.nunique() > 30:
        return None
    tab = pd.crosstab(values.astype(str), data["source"].astype(str))
    return suppressed_cells(tab, threshold)


def suppressed_cells(tab: pd.DataFrame, threshold: int = DISCLOSURE_THRESHOLD) -> pd.DataFrame:
    """Counts as publishable text: primary and complementary suppression of the table.

    Counts under ``threshold`` show as ``<threshold``; cells suppressed only so that
    the (public) totals per source and per value cannot reveal them show as
    :data:`surveytk.disclosure.SUPPRESSED_MARKER` (:func:`surveytk.disclosure.suppress_table`).
    """
    from surveytk.disclosure import SUPPRESSED_MARKER, suppress_table

    counts = tab.to_numpy(dtype=float)
    sup = suppress_table(counts, threshold)
    text = [[(f"<{threshold}" if sup.primary_cells[i, j] else SUPPRESSED_MARKER)
             if sup.cells[i, j] else str(int(counts[i, j]))
             for j in range(counts.shape[1])] for i in range(counts.shape[0])]
    return pd.DataFrame(text, index=tab.index, columns=tab.columns)


def _markdown(name: str, var: SchemaVariable, books: list[Codebook],
              freq: pd.DataFrame | None) -> str:
    lines = [f"# `{name}` — {var.label}", "", var.description, "", f"Type: {var.type}"]
    if var.levels:
        lines += ["", "| value | label |", "|---|---|"]
        lines += [f"| `{lv.value}` | {lv.label} |" for lv in var.levels]
    for book in books:
        origin, question, rows = _origin(book, name)
        lines += ["", f"## {book.name} (v{book.version})", "", f"From: {origin}"]
        if question:
            lines += ["", f"> {question}"]
        if rows:
            lines += ["", "| code | source label | common value |", "|---|---|---|"]
            lines += [f"| {c} | {lab} | {t} |" for c, lab, t in rows]
    if freq is not None:
        lines += ["", "## Frequencies by source", "",
                  f"Cells under {DISCLOSURE_THRESHOLD} are suppressed (<{DISCLOSURE_THRESHOLD}), "
                  "and so are cells that the totals would reveal (‧).", "",
                  "| value | " + " | ".join(freq.columns) + " |",
                  "|---|" + "---|" * len(freq.columns)]
        lines += [f"| {idx} | " + " | ".join(row) + " |" for idx, row in
                  zip(freq.index, freq.to_numpy().tolist(), strict=True)]
    return "\n".join(lines) + "\n"


def _html(markdown_text: str, title: str) -> str:
    body = []
    in_table = False
    for line in markdown_text.splitlines():
        if line.startswith("|"):
            cells = [html.escape(c.strip()) for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            if not in_table:
                body.append("<table>")
                in_table = True
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("> "):
            body.append(f"<blockquote>{html.escape(line[2:])}</blockquote>")
        elif line:
            body.append(f"<p>{html.escape(line)}</p>")
    if in_table:
        body.append("</table>")
    return (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            "</title></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def write_docs(out_dir: str | Path, *, codebooks: Sequence[str] | None = None,
               data: Sequence[str | Path] = ()) -> list[Path]:
    """Write ``<var>.md`` and ``<var>.html`` for every common variable, plus ``index.md``.

    Parameters
    ----------
    out_dir
        Target folder.
    codebooks
        Crosswalk names or paths; default every crosswalk on the codebook search path.
    data
        Harmonised Parquet files for the frequency tables (optional).
    """
    refuse_builtin_target(out_dir, what="documentation pages")
    schema = load_schema()
    if codebooks:
        books = [load_codebook(n) for n in codebooks]
    else:  # every crosswalk on the search path (not the ones shadowed)
        books = [load_codebook(e.path) for e in search_path().entries() if e.shadowed_by is None]
    tables = [pd.read_parquet(p) for p in data]
    out = Path(out_dir)
    written: list[Path] = []
    index = ["# Common schema", "", f"Schema version {schema.version}.", ""]
    for name, var in schema.variables.items():
        freq = frequencies(tables, name) if var.type in ("category", "ordered", "boolean") else None
        md = _markdown(name, var, books, freq)
        for suffix, text in ((".md", md), (".html", _html(md, name))):
            path = out / f"{name}{suffix}"
            write_text_atomic(path, text)
            written.append(path)
        index.append(f"* [`{name}`]({name}.md) — {var.label}")
    write_text_atomic(out / "index.md", "\n".join(index) + "\n")
    written.append(out / "index.md")
    return written
