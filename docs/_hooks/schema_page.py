"""MkDocs hook: the common schema reference is generated from the built-in schema.

``docs/reference/schema.md`` holds the marker ``<!-- schema-reference -->``; at build time
it is replaced by one section per variable of ``codebooks/schema.yaml`` (type, label,
definition, levels, range, missing reasons), read with surveytk's own loader, so the
page cannot drift from the schema. (Excluded from the site by ``exclude_docs``.)
"""

from __future__ import annotations

from typing import Any

MARKER = "<!-- schema-reference -->"


def _cell(text: object) -> str:
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\n", " ")


def schema_markdown() -> str:
    from surveytk.codebook.loader import load_schema

    schema = load_schema()
    with_missing = set(schema.missing_columns)
    out = [f"Schema `{schema.schema_name}` version {schema.version}.", ""]
    out += ["| variable | type | label | missing reasons column |", "|---|---|---|---|"]
    for name, v in schema.variables.items():
        column = f"`{name}_missing`" if name in with_missing else ""
        out.append(f"| [`{name}`](#{name.replace('_', '-')}) | {v.type} | {_cell(v.label)} "
                   f"| {column} |")
    out.append("")
    for name, v in schema.variables.items():
        out += [f"### `{name}` {{#{name.replace('_', '-')}}}", ""]
        out.append(f"{_cell(v.label)} — {v.type}"
                   + ("" if v.nullable else ", never missing")
                   + (f", range {v.range[0]} to {v.range[1]}" if v.range else "") + ".")
        out += ["", _cell(v.description or ""), ""]
        if v.levels:
            out += ["| value | label |", "|---|---|"]
            out += [f"| `{lev.value}` | {_cell(lev.label)} |" for lev in v.levels]
            out.append("")
        if v.derive is not None:
            out += [f"Derived for every source unless a crosswalk gives it: "
                    f"`{_cell(v.derive.function)}`.", ""]
    out += ["## Missing reasons", "", "| value | label |", "|---|---|"]
    out += [f"| `{r.value}` | {_cell(r.label)} |" for r in schema.missing_reasons]
    return "\n".join(out) + "\n"


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, schema_markdown())
