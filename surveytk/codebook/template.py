"""Label templates of codebooks (``label_format: "{name_en} ({name_uk})"``).

Only plain ``{field}`` placeholders: no attribute access or indexing
(``{x.__class__}``), no format spec (``{x:>2000000000}``), no conversion
(``{x!r}``). Templates are checked when the codebook loads and filled by
substitution, never by :meth:`str.format`, so a template cannot run code or
allocate without bound.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,63})\}")
MAX_TEMPLATE = 1000


def template_fields(template: str) -> list[str]:
    """The field names of ``template``; ``ValueError`` for anything but plain ``{field}``."""
    if len(template) > MAX_TEMPLATE:
        raise ValueError(f"a label template has at most {MAX_TEMPLATE} characters")
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"label template {template[:60]!r}: {exc}") from None
    fields: list[str] = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not _FIELD.fullmatch(name) or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (
                f":{spec[:20]}" if spec else "") + "}"
            raise ValueError(f"label template placeholder {shown!r} is not allowed; use plain "
                             "{column} placeholders (letters, digits, _)")
        fields.append(name)
    return fields


def fill_template(template: str, row: Mapping[str, object]) -> str:
    """``template`` with each ``{field}`` replaced by ``row[field]`` (``{{``/``}}`` literal)."""
    template_fields(template)
    parts = re.split(r"(\{\{|\}\}|\{[A-Za-z_][A-Za-z0-9_]{0,63}\})", template)
    out = []
    for part in parts:
        if part == "{{":
            out.append("{")
        elif part == "}}":
            out.append("}")
        elif _PLACEHOLDER.fullmatch(part):
            out.append(str(row[part[1:-1]]))
        else:
            out.append(part)
    return "".join(out)
