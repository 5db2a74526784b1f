"""Finding the real cause when pyreadstat fails on a file that is not damaged.

Two failures look like something else from pyreadstat's side:

- a Stata strL holding *binary* content (a file or image stored with ``fileread()``)
  fails as a Unicode error, for which the encoding is not to blame;
- a date whose value lies outside the years 1–9999 (a sentinel such as 1e12 seconds,
  or a number given a date format by mistake) fails as an ``OverflowError``.

The functions here run only after such a failure, so they may read the file again.
They return variable names, never values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal

import pyreadstat

from surveytk.io.fileinfo import read_head, stata_byteorder, stata_release

#: GSO type byte of a binary strL (130 is text)
GSO_BINARY: Final = 129
#: formats that make pyreadstat convert a number into a date, time or datetime
_TEMPORAL_FORMAT: Final = re.compile(
    r"DATE|TIME|YM|MD|DY|QYR|MOYR|WKYR|JDATE|WKDAY|MONTH|YEAR|MMYY|MONYY|YYQ|QTR|8601|^%t",
    re.IGNORECASE,
)
#: bytes of the <strls> section read at a time
_CHUNK: Final = 4 * 1024 * 1024


def binary_strl_variables(path: Path) -> list[str]:
    """Names of the variables of a Stata 117+ file that hold binary strL content."""
    head = read_head(path, 1024)
    release = stata_release(head)
    if release is None or release < 117:
        return []
    little = stata_byteorder(head) != "MSF"
    order: Literal["little", "big"] = "little" if little else "big"
    map_at = head.find(b"<map>")
    if map_at < 0:
        return []
    offsets = [
        int.from_bytes(head[map_at + 5 + 8 * i : map_at + 13 + 8 * i], order) for i in range(14)
    ]
    start, stop = offsets[10], offsets[11]  # <strls> … <value_labels>
    o_size = 4 if release == 117 else 8
    found: set[int] = set()
    with path.open("rb") as fh:
        fh.seek(start)
        if fh.read(7) != b"<strls>":
            fh.seek(start)
        pos = fh.tell()
        while pos < stop:
            tag = fh.read(3)
            if tag != b"GSO":
                break
            fixed = fh.read(4 + o_size + 1 + 4)
            if len(fixed) < 4 + o_size + 5:
                break
            v = int.from_bytes(fixed[:4], order)
            kind = fixed[4 + o_size]
            length = int.from_bytes(fixed[5 + o_size :], order)
            if kind == GSO_BINARY:
                found.add(v)
            fh.seek(length, 1)
            pos = fh.tell()
    if not found:
        return []
    _, meta = pyreadstat.read_dta(str(path), metadataonly=True)
    names = list(meta.column_names)
    return [names[v - 1] for v in sorted(found) if 0 < v <= len(names)]


def out_of_range_dates(
    reader: Callable[..., tuple[Any, Any]], path: Path, kwargs: dict[str, Any]
) -> list[tuple[str, str]]:
    """(variable, format) of the date/time variables whose values cannot be converted."""
    _, meta = reader(str(path), metadataonly=True, **kwargs)
    formats: dict[str, str] = dict(meta.original_variable_types or {})
    bad: list[tuple[str, str]] = []
    for name in meta.column_names:
        fmt = formats.get(name) or ""
        if not _TEMPORAL_FORMAT.search(fmt):
            continue
        try:
            reader(str(path), usecols=[name], **kwargs)
        except OverflowError:
            bad.append((name, fmt))
    return bad
