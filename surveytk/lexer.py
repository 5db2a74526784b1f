"""Tokens and "close matches" hints shared by the formula and condition parsers.

:mod:`surveytk.models.formula` (model formulas) and :mod:`surveytk.expr`
(``--subpop`` / sample-rule conditions) each define their own token pattern and
error type; scanning the text and suggesting column names happen here once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    """One token: the name of the pattern group that matched, its text and offset."""

    kind: str  # a group name of the pattern ("name", "number", "op", ...) or "end"
    text: str
    pos: int


def tokenise(
    text: str,
    pattern: re.Pattern[str],
    *,
    bad_char: Callable[[str, int], Exception],
    check: Callable[[re.Match[str]], None] | None = None,
) -> list[Token]:
    """Split ``text`` into tokens of ``pattern``'s named groups, ending with ``"end"``.

    Parameters
    ----------
    text
        The text to scan.
    pattern
        A regular expression of named alternatives; matches of the group ``ws``
        are skipped.
    bad_char
        Builds the error raised where no alternative matches, from the text and
        the 0-based position.
    check
        Called with every match (white space included); raises to refuse one.

    Returns
    -------
    list of Token
        The tokens in order, then ``Token("end", "", len(text))``.
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = pattern.match(text, pos)
        if m is None:
            raise bad_char(text, pos)
        if check is not None:
            check(m)
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def close_matches_hint(name: str, columns: Iterable[object]) -> str:
    """``"; close matches: a, b"`` for up to three columns like ``name``, else ``""``."""
    close = difflib.get_close_matches(name, [str(c) for c in columns], n=3, cutoff=0.6)
    return f"; close matches: {', '.join(close)}" if close else ""
