"""Text that XML-based outputs (XLSX, DOCX) can hold.

XML 1.0 forbids the C0 control characters except tab, newline and carriage
return (and U+FFFE/U+FFFF and lone surrogates); openpyxl refuses them with
``IllegalCharacterError`` and python-docx writes a file Word cannot open.
Labels come from delivered files, so they may hold anything: each forbidden
character is replaced by U+FFFD (the replacement character), visibly, never
dropped silently.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

#: characters XML 1.0 cannot hold
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def xml_safe(text: str) -> str:
    """``text`` with characters XML 1.0 cannot hold replaced by U+FFFD."""
    return XML_ILLEGAL.sub(REPLACEMENT, text)


def xml_safe_deep(obj: Any) -> Any:
    """A copy of ``obj`` (strings, tuples, lists, dicts, frozen dataclasses of them) with
    every string made :func:`xml_safe`; other values unchanged."""
    if isinstance(obj, str):
        return xml_safe(obj)
    if isinstance(obj, tuple):
        return tuple(xml_safe_deep(x) for x in obj)
    if isinstance(obj, list):
        return [xml_safe_deep(x) for x in obj]
    if isinstance(obj, dict):
        return {k: xml_safe_deep(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: xml_safe_deep(getattr(obj, f.name))
                   for f in dataclasses.fields(obj) if f.init}
        return dataclasses.replace(obj, **changes)
    return obj
