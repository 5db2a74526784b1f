"""Text that outputs can hold safely: XML characters (XLSX, DOCX), spreadsheet formulas.

XML 1.0 forbids the C0 control characters except tab, newline and carriage
return (and U+FFFE/U+FFFF and lone surrogates); openpyxl refuses them with
``IllegalCharacterError`` and python-docx writes a file Word cannot open.
Labels come from delivered files, so they may hold anything: each forbidden
character is replaced by U+FFFD (the replacement character), visibly, never
dropped silently.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or CR as a
formula (CSV opened in Excel, or a text cell edited in XLSX): :func:`neutralise`
prefixes an apostrophe to such text (a label ``=HYPERLINK(...)``), unless it is a
number as a table shows it (``-0.12``, ``-0.12**``, ``+1.5e-03``, ``-1,234``), which no
spreadsheet runs and which must stay readable as it is.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

#: characters XML 1.0 cannot hold
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
REPLACEMENT = "\ufffd"
#: first characters that make a spreadsheet run a cell as a formula
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?%?\**")


def neutralise(text: str) -> str:
    """Prefix an apostrophe to non-numeric text that a spreadsheet would run as a formula."""
    if text.startswith(FORMULA_TRIGGERS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


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
