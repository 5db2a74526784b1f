"""The one tokeniser of surveytk's expression language, and "close matches" hints.

Formulas (:mod:`surveytk.models.formula_grammar`), conditions and derived
variables (:mod:`surveytk.language.expr`) are written in one language; its tokens are
defined here once (:data:`TOKEN_PATTERN`), so a column name, a number or a
quoted name is read the same way everywhere.

Token kinds: ``number`` (unsigned; a minus sign is an operator), ``name``,
``qname`` (a name quoted in backticks, `` `sch.wide` ``, for columns whose
names are not identifiers), ``string`` (``"..."`` or ``'...'``, no escapes) and
``op``. Anything else is refused where it stands.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    """One token: the name of the pattern group that matched, its text and offset."""

    kind: str  # a group name of the pattern ("name", "number", "op", ...) or "end"
    text: str
    pos: int

    @property
    def value(self) -> str:
        """The text without quotes for ``string`` and ``qname`` tokens."""
        if self.kind in ("string", "qname"):
            return self.text[1:-1]
        return self.text


#: The tokens of the expression language (formulas, conditions, derived variables).
TOKEN_PATTERN = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<qname>`[^`\\\n]+`)
  | (?P<string>"[^"\\\n]*"|'[^'\\\n]*')
  | (?P<op>\*\*|==|!=|<=|>=|[<>&|~()\[\],+\-*/:=])
    """,
    re.VERBOSE,
)

#: Python keywords that are words of the language
LANGUAGE_WORDS = frozenset({"and", "or", "not", "in", "is", "True", "False"})


def forbidden_word(text: str) -> bool:
    """A name the language refuses: dunder names and Python keywords it does not use."""
    return text.startswith("__") or (keyword.iskeyword(text) and text not in LANGUAGE_WORDS)


def tokenise(
    text: str,
    pattern: re.Pattern[str] = TOKEN_PATTERN,
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
        A regular expression of named alternatives (default
        :data:`TOKEN_PATTERN`); matches of the group ``ws`` are skipped.
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


#: limits of formulas, conditions and definitions: longer or deeper text is refused
#: before parsing (the parsers recurse once per bracket level)
MAX_EXPRESSION_CHARS = 100_000
MAX_NESTING = 40


def check_expression_size(text: str, *, what: str, error: Callable[..., Exception]) -> None:
    """Refuse ``text`` longer than :data:`MAX_EXPRESSION_CHARS` or nested deeper than
    :data:`MAX_NESTING` brackets, with one clear ``error``."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise error(f"{what} is {len(text):,} characters long; at most "
                    f"{MAX_EXPRESSION_CHARS:,} are allowed", reason="too_large")
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_NESTING:
        raise error(f"{what} nests brackets {deepest} deep; at most {MAX_NESTING} levels are "
                    "allowed (remove redundant parentheses)", reason="too_large")
