"""A safe, restricted boolean expression language for subpopulations and sample rules.

Analysis specs select rows with conditions such as ``female == 1``,
``source == "wodc" & age >= 30``, ``area in ["kyiv", "lviv"]``, ``~employed``
or ``not neighbour``. The text is tokenised and parsed by a small
recursive-descent parser into a tree of comparisons; nothing is passed to
``eval``, ``DataFrame.query`` or ``numexpr``, so a spec file cannot run code.

Grammar::

    condition  := or
    or         := and (("|" | "or") and)*
    and        := not (("&" | "and") not)*
    not        := ("~" | "not") not | atom
    atom       := "(" or ")" | comparison | NAME          # NAME: a boolean column
    comparison := NAME OP literal | NAME ["not"] "in" "[" literal ("," literal)* "]"
                | NAME "is" ["not"] "missing"
    OP         := "==" | "!=" | "<" | "<=" | ">" | ">="
    literal    := number | "string" | 'string' | true | false   (True/False too)

Missing values follow Kleene's three-valued logic while the condition is
evaluated (``NA & False`` is False, ``NA | True`` is True, ``not NA`` is NA), and
a row whose final value is still missing is **not selected** (False). Use
``x is missing`` / ``x is not missing`` to select on missingness itself.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveytk.errors import SpecError
from surveytk.lexer import Token, close_matches_hint, tokenise

_HINT = 'use column names, ==, !=, <, <=, >, >=, in [..], is missing, &, |, ~/not and "strings"'

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>"[^"\\]*"|'[^'\\]*')
  | (?P<op>==|!=|<=|>=|[<>&|~()\[\],])
    """,
    re.VERBOSE,
)

_WORD_OPS = {"and": "&", "or": "|", "not": "~"}
_LITERAL_WORDS = {"true": True, "false": False}
_ALLOWED_WORDS = {"and", "or", "not", "in", "is", "True", "False"}


def _bad_char(text: str, pos: int) -> SpecError:
    return SpecError(
        f"`{text[pos]}` is not allowed in condition {text!r} (position {pos + 1}); {_HINT}",
        value=text[pos],
    )


def _check_word(m: re.Match[str]) -> None:
    if m.lastgroup == "name" and keyword.iskeyword(m.group()) and m.group() not in _ALLOWED_WORDS:
        raise SpecError(f"`{m.group()}` is not allowed in a condition; {_HINT}", value=m.group())


def _tokenise(text: str) -> list[Token]:
    return tokenise(text, _TOKEN_RE, bad_char=_bad_char, check=_check_word)


# ---------------------------------------------------------------------------
# the tree
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    """``column OP value``; ``op`` is one of == != < <= > >= in notin isna notna truth."""

    column: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "&" or "|"
    operands: tuple[Node, ...]


Node = Compare | Not | BoolOp


def _columns(node: Node) -> list[str]:
    if isinstance(node, Compare):
        return [node.column]
    if isinstance(node, Not):
        return _columns(node.operand)
    return [c for o in node.operands for c in _columns(o)]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenise(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def is_op(self, *ops: str) -> str | None:
        t = self.tok
        if t.kind == "op" and t.text in ops:
            return t.text
        if t.kind == "name" and _WORD_OPS.get(t.text) in ops:
            return _WORD_OPS[t.text]
        return None

    def fail(self, what: str) -> SpecError:
        found = self.tok.text or "end of condition"
        return SpecError(f"{what} in condition {self.text!r}, found `{found}`; {_HINT}")

    def parse(self) -> Node:
        node = self.or_()
        if self.tok.kind != "end":
            raise self.fail("unexpected text")
        return node

    def or_(self) -> Node:
        parts = [self.and_()]
        while self.is_op("|"):
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else BoolOp("|", tuple(parts))

    def and_(self) -> Node:
        parts = [self.not_()]
        while self.is_op("&"):
            self.i += 1
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else BoolOp("&", tuple(parts))

    def not_(self) -> Node:
        if self.is_op("~"):
            self.i += 1
            return Not(self.not_())
        return self.atom()

    def atom(self) -> Node:
        t = self.tok
        if t.kind == "op" and t.text == "(":
            self.i += 1
            node = self.or_()
            if not (self.tok.kind == "op" and self.tok.text == ")"):
                raise self.fail("expected `)`")
            self.i += 1
            return node
        if t.kind != "name" or t.text in _WORD_OPS or t.text.lower() in _LITERAL_WORDS:
            raise self.fail("expected a column name")
        column = self.column_name()
        nxt = self.tok
        if nxt.kind == "op" and nxt.text in ("==", "!=", "<", "<=", ">", ">="):
            self.i += 1
            return Compare(column, nxt.text, self.literal())
        if nxt.kind == "name" and nxt.text in ("in", "not"):
            return self.membership(column)
        if nxt.kind == "name" and nxt.text == "is":
            self.i += 1
            negate = self.tok.kind == "name" and self.tok.text == "not"
            if negate:
                self.i += 1
            if not (self.tok.kind == "name" and self.tok.text == "missing"):
                raise self.fail("expected `missing` after `is`")
            self.i += 1
            return Compare(column, "notna" if negate else "isna")
        return Compare(column, "truth")

    def column_name(self) -> str:
        t = self.tok
        if t.text.startswith("__") or (keyword.iskeyword(t.text) and t.text not in _WORD_OPS):
            raise SpecError(f"`{t.text}` is not allowed in a condition; {_HINT}", value=t.text)
        self.i += 1
        if self.tok.kind == "op" and self.tok.text == "(":
            raise SpecError(
                f"`{t.text}(...)` is not allowed in a condition: no function calls; {_HINT}",
                value=t.text,
            )
        if self.tok.kind == "op" and self.tok.text == "[":
            raise SpecError(
                f"`{t.text}[...]` is not allowed in a condition: no subscripts; {_HINT}",
                value=t.text,
            )
        return t.text

    def membership(self, column: str) -> Node:
        op = "in"
        if self.tok.text == "not":
            self.i += 1
            op = "notin"
        if not (self.tok.kind == "name" and self.tok.text == "in"):
            raise self.fail("expected `in`")
        self.i += 1
        if not (self.tok.kind == "op" and self.tok.text == "["):
            raise self.fail("expected `[` to start a list")
        self.i += 1
        values = [self.literal()]
        while self.tok.kind == "op" and self.tok.text == ",":
            self.i += 1
            values.append(self.literal())
        if not (self.tok.kind == "op" and self.tok.text == "]"):
            raise self.fail("expected `]` to close the list")
        self.i += 1
        return Compare(column, op, tuple(values))

    def literal(self) -> Any:
        t = self.tok
        self.i += 1
        if t.kind == "string":
            return t.text[1:-1]
        if t.kind == "number":
            v = float(t.text)
            return int(v) if re.fullmatch(r"-?\d+", t.text) else v
        if t.kind == "name" and t.text.lower() in _LITERAL_WORDS:
            return _LITERAL_WORDS[t.text.lower()]
        self.i -= 1
        raise self.fail("expected a number, a quoted string, true or false")


# ---------------------------------------------------------------------------
# evaluation (Kleene logic on (value, missing) pairs)
# ---------------------------------------------------------------------------

_Pair = tuple[np.ndarray, np.ndarray]  # (value, missing)


def _is_numeric(s: pd.Series) -> bool:
    return (
        pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)
    ) and not isinstance(s.dtype, pd.CategoricalDtype)


def _check_type(s: pd.Series, column: str, value: Any, text: str) -> None:
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        numeric_value = isinstance(v, int | float) and not isinstance(v, bool)
        if _is_numeric(s) and isinstance(v, str):
            raise SpecError(
                f"condition {text!r} compares numeric column {column!r} with the string "
                f'"{v}"; write the value without quotes',
                variable=column,
                value=v,
            )
        if not _is_numeric(s) and numeric_value and isinstance(s.dtype, pd.StringDtype):
            raise SpecError(
                f"condition {text!r} compares text column {column!r} with the number {v}; "
                "quote the value",
                variable=column,
                value=v,
            )


def _compare(node: Compare, df: pd.DataFrame, text: str) -> _Pair:
    s = df[node.column]
    missing = np.array(s.isna().to_numpy(), dtype=bool)
    op = node.op
    if op == "isna":
        return missing, np.zeros_like(missing)
    if op == "notna":
        return ~missing, np.zeros_like(missing)
    if op == "truth":
        if not pd.api.types.is_bool_dtype(s.dtype):
            raise SpecError(
                f"column {node.column!r} in condition {text!r} is not boolean ({s.dtype}); "
                f"compare it, e.g. {node.column} == 1",
                variable=node.column,
            )
        return np.asarray(s.fillna(False).to_numpy(dtype=bool)), missing
    _check_type(s, node.column, node.value, text)
    try:
        if op in ("in", "notin"):
            result = s.isin(list(node.value))
            if op == "notin":
                result = ~result
        else:
            method = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[op]
            result = getattr(s, method)(node.value)
    except TypeError as exc:
        raise SpecError(
            f"condition {text!r} cannot compare column {node.column!r} ({s.dtype}) with "
            f"{node.value!r} by `{op}`",
            variable=node.column,
        ) from exc
    value = np.asarray(result.astype("boolean").fillna(False).to_numpy(dtype=bool))
    return value & ~missing, missing


def _evaluate(node: Node, df: pd.DataFrame, text: str) -> _Pair:
    if isinstance(node, Compare):
        return _compare(node, df, text)
    if isinstance(node, Not):
        v, m = _evaluate(node.operand, df, text)
        return ~v & ~m, m
    pairs = [_evaluate(o, df, text) for o in node.operands]
    v, m = pairs[0]
    for v2, m2 in pairs[1:]:
        if node.op == "&":
            false = (~v & ~m) | (~v2 & ~m2)
            v, m = v & v2 & ~m & ~m2, (m | m2) & ~false
        else:
            true = (v & ~m) | (v2 & ~m2)
            v, m = true, (m | m2) & ~true
    return v, m


@dataclass(frozen=True)
class Condition:
    """A parsed condition: evaluate it on a table to get a boolean row mask.

    Attributes
    ----------
    text
        The condition as written.
    tree
        The parsed expression (:class:`Compare`, :class:`Not`, :class:`BoolOp`).
    """

    text: str
    tree: Node

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the condition reads, in order of appearance."""
        return tuple(dict.fromkeys(_columns(self.tree)))

    def check_columns(self, columns: Sequence[str]) -> None:
        """Raise :class:`SpecError` naming a column that is not in ``columns``."""
        cols = [str(c) for c in columns]
        for c in self.columns:
            if c not in cols:
                raise SpecError(
                    f"column {c!r} of condition {self.text!r} is not in the data"
                    f"{close_matches_hint(c, cols)}",
                    variable=c,
                )

    def evaluate(self, df: pd.DataFrame) -> np.ndarray:
        """Boolean ndarray, one per row: True where the condition holds.

        Rows where the result is missing (because a column it needs is missing)
        are False.
        """
        self.check_columns(list(df.columns))
        value, missing = _evaluate(self.tree, df, self.text)
        return np.asarray(value & ~missing, dtype=bool)


def parse_condition(text: str) -> Condition:
    """Parse ``text`` into a :class:`Condition`; no data are read and no code runs.

    Raises
    ------
    SpecError
        For anything outside the grammar (function calls, attributes,
        subscripts, lambdas, unknown operators), naming the offending piece.
    """
    if not isinstance(text, str) or not text.strip():
        raise SpecError("a condition must be a non-empty string like `female == 1`")
    return Condition(text=text, tree=_Parser(text).parse())
