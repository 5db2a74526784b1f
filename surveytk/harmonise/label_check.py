"""Comparing a delivered value label with the label a crosswalk (or lookup table) expects.

Labels are compared in normal form: Unicode NFC, trimmed, case-insensitive.
SOEP labels carry a ``[code] `` prefix (``[1] Yes``, ``[-1] no answer``); it is
stripped before comparing and must itself agree with the code, since SOEP
label sets contain mistakes such as ``1: '[-1] Employed full-time'``.
"""

from __future__ import annotations

import re

from surveytk.harmonise.column import normalise_text

_PREFIX = re.compile(r"^\s*\[\s*(-?\d+(?:\.\d+)?)\s*\]\s*")


def split_code_prefix(label: str) -> tuple[float | None, str]:
    """``"[1] Yes"`` → ``(1.0, "Yes")``; labels without a prefix → ``(None, label)``."""
    m = _PREFIX.match(label)
    if not m:
        return None, label
    return float(m.group(1)), label[m.end():]


def same_code(a: object, b: object) -> bool:
    """Codes equal as numbers where both are numbers, else as normalised text."""
    try:
        return float(a) == float(b)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return normalise_text(a) == normalise_text(b)


def compare_label(code: object, delivered: str, expected: str) -> str | None:
    """A one-line description of a mismatch, or ``None`` if the labels agree.

    Parameters
    ----------
    code
        The source code the label belongs to.
    delivered
        The label in the file's metadata.
    expected
        The label written in the crosswalk (or lookup table).
    """
    prefix, text = split_code_prefix(delivered)
    if prefix is not None and not same_code(prefix, code):
        return f"label {delivered!r} carries the prefix [{prefix:g}], not [{code}]"
    if normalise_text(text) != normalise_text(expected):
        return f"label is {delivered!r}, the codebook expects {expected!r}"
    return None
