"""Help in messages: "did you mean" suggestions and YAML syntax errors in plain words."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import yaml


def did_you_mean(name: object, candidates: Iterable[object]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""`` when none is close.

    A candidate that differs only in case wins; otherwise :func:`difflib.get_close_matches`
    (ratio 0.6 or more) picks up to two.
    """
    text = str(name)
    pool = [str(c) for c in candidates]
    same_case = [c for c in pool if c.lower() == text.lower() and c != text]
    close = same_case[:1] or difflib.get_close_matches(text, pool, n=2, cutoff=0.6)
    close = [c for c in close if c != text]
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


def describe_yaml_error(exc: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    """The line (1-based) to edit and a plain explanation of a PyYAML syntax error.

    PyYAML reports where it noticed the problem, which is often a line after the
    mistake (a missing colon, an unclosed quote or bracket). This points at the
    line to edit instead and says what to do.
    """
    problem = str(getattr(exc, "problem", None) or str(exc).splitlines()[0])
    context = str(getattr(exc, "context", None) or "")
    pmark = getattr(exc, "problem_mark", None)
    cmark = getattr(exc, "context_mark", None)
    pline = pmark.line + 1 if pmark is not None else None
    cline = cmark.line + 1 if cmark is not None else None
    lines = text.splitlines()

    def content(n: int | None) -> str:
        return lines[n - 1] if n is not None and 0 < n <= len(lines) else ""

    if "'\\t'" in problem:
        return pline, "a tab character; indent with spaces only"
    if "cannot start any token" in problem:
        return pline, ("a value starts with a character YAML reserves (@, `, %); "
                       "put the value in quotes")
    if "undefined alias" in problem:
        return pline, "a value starts with '*'; put it in quotes"
    if "while scanning a quoted scalar" in context:
        return cline, "a quoted text that opens on this line is never closed; add the closing quote"
    if "flow mapping" in context or "flow sequence" in context:
        bracket = "{ … }" if "mapping" in context else "[ … ]"
        return cline, (f"the {bracket} that opens on this line is not closed, or a value "
                       "inside it holds ':' or ','; close it or quote the value")
    if "mapping values are not allowed" in problem:
        here = content(pline)
        col = pmark.column if pmark is not None else 0
        if ":" in here[:col]:
            return pline, ("a value holds ': ' (colon and space); put the whole value in quotes")
        prev = _previous_content_line(lines, pline)
        if prev is not None:
            return prev, "this key has no ':' after it; write `key:`"
        return pline, "a key has no ':' after it"
    if "expected <block end>" in problem or "expected ':'" in problem or "simple key" in context:
        where = f" (the block starts on line {cline})" if cline and cline != pline else ""
        return pline, ("the indentation does not match the lines above" + where +
                       "; indent keys of one mapping by the same number of spaces, and do not "
                       "mix `- ` list items with `key:` entries")
    return pline or cline, f"{problem} (YAML syntax)"


def _previous_content_line(lines: list[str], line: int | None) -> int | None:
    """The last non-blank, non-comment line before ``line`` (1-based)."""
    if line is None:
        return None
    for n in range(line - 1, 0, -1):
        stripped = lines[n - 1].strip()
        if stripped and not stripped.startswith("#"):
            return n
    return None
