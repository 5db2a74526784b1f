"""surveytk's one restricted expression language: conditions, derived variables, I(...).

Sample rules and ``--subpop`` (conditions), ``--define NAME=EXPR`` (derived
variables) and the insides of formula terms (``I(...)``, ``log(x)``,
``cut(x, [...])``) are all written in this language and parsed here. The text
is tokenised (:mod:`surveytk.lexer`) and parsed by a small recursive-descent
parser into a tree; nothing is passed to ``eval``, ``DataFrame.query`` or
``numexpr``, so a spec file cannot run code.

Grammar (``docs/formulas.md`` has examples)::

    expr       := or
    or         := and (("|" | "or") and)*
    and        := not (("&" | "and") not)*
    not        := ("~" | "not") not | compare
    compare    := sum [ OP sum | ["not"] "in" list | "is" ["not"] "missing" ]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | power
    power      := primary ["**" unary]
    primary    := number | string | true | false | NAME | `quoted name` | Q("name")
                | "(" expr ")" | I(expr) | log(expr) | exp(expr) | sqrt(expr) | abs(expr)
                | cut(expr, [b0, b1, ...]) | C(NAME [, ref=literal] [, levels=list])
    OP         := "==" | "!=" | "<" | "<=" | ">" | ">="
    list       := "[" literal ("," literal)* "]"
    literal    := ["-"] number | "string" | 'string' | true | false   (True/False too)

Values are numbers, booleans, text or categories. Arithmetic takes numbers
and booleans (as 0/1); ``and``/``or``/``not`` take booleans; ``cut`` makes a
category with levels ``[b0, b1)``, ``[b1, b2)``, ... (values outside are
missing); ``C(x, ...)`` makes a category with the levels in the order given.

Missing values follow Kleene's three-valued logic (``NA & False`` is False,
``NA | True`` is True, ``not NA`` is NA) and propagate through arithmetic; a
condition whose final value is missing does **not** select the row. Use
``x is missing`` / ``x is not missing`` to select on missingness itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveytk.errors import SpecError, SurveytkError
from surveytk.lexer import Token, close_matches_hint, forbidden_word, tokenise

HINT = (
    "allowed: column names (`quoted name` or Q(\"name\") for odd names), numbers, "
    '"strings", + - * / **, ==, !=, <, <=, >, >=, in [..], is missing, &, |, ~/not, '
    "log, exp, sqrt, abs, I(...), cut(x, [..]), C(x, ref=.., levels=[..])"
)
CONDITION_HINT = (
    'use column names, ==, !=, <, <=, >, >=, in [..], is missing, &, |, ~/not and "strings"; '
    + HINT
)
#: functions of one numeric argument
NUMERIC_FUNCTIONS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = {
    "log": np.log,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "abs": np.abs,
}
FUNCTIONS = ("I", "Q", "C", "cut", *NUMERIC_FUNCTIONS)
_COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
_WORD_OPS = {"and": "&", "or": "|", "not": "~"}
_LITERAL_WORDS = {"true": True, "false": False}

# ---------------------------------------------------------------------------
# the tree
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Lit:
    """A number, string or boolean constant."""

    value: Any


@dataclass(frozen=True)
class Col:
    """A column of the data."""

    name: str


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Arith:
    """``left op right`` for op in ``+ - * / **``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare:
    """``left op right`` for op in ``== != < <= > >=``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Member:
    """``operand [not] in [values]``."""

    operand: Node
    values: tuple[Any, ...]
    negate: bool = False


@dataclass(frozen=True)
class IsMissing:
    """``operand is [not] missing``."""

    operand: Node
    negate: bool = False


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "&" or "|"
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Func:
    """``name(operand)`` for the numeric functions and ``I`` (as is)."""

    name: str
    operand: Node


@dataclass(frozen=True)
class Cut:
    """``cut(operand, [breaks])``: left-closed intervals ``[b_i, b_{i+1})``."""

    operand: Node
    breaks: tuple[float, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        b = [_number_text(x) for x in self.breaks]
        return tuple(f"[{lo}, {hi})" for lo, hi in zip(b[:-1], b[1:], strict=True))


@dataclass(frozen=True)
class Cat:
    """``C(column, ref=..., levels=[...])``: a category, levels in the order given."""

    column: str
    ref: str | None = None
    levels: tuple[str, ...] | None = None


Node = Lit | Col | Neg | Arith | Compare | Member | IsMissing | Not | BoolOp | Func | Cut | Cat


def columns_of(node: Node) -> list[str]:
    """The data columns ``node`` reads, in order of appearance (repeats included)."""
    if isinstance(node, Col):
        return [node.name]
    if isinstance(node, Cat):
        return [node.column]
    if isinstance(node, Lit):
        return []
    if isinstance(node, Neg | Not | Func | Cut | Member | IsMissing):
        return columns_of(node.operand)
    if isinstance(node, Arith | Compare):
        return columns_of(node.left) + columns_of(node.right)
    return [c for o in node.operands for c in columns_of(o)]


def _number_text(v: float) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def _name_text(name: str) -> str:
    return name if name.isidentifier() else f"`{name}`"


def _literal_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return _number_text(v)


def to_text(node: Node) -> str:
    """Canonical text of ``node`` (one space around binary operators)."""
    if isinstance(node, Lit):
        return _literal_text(node.value)
    if isinstance(node, Col):
        return _name_text(node.name)
    if isinstance(node, Neg):
        return f"-{_wrap(node.operand)}"
    if isinstance(node, Arith | Compare):
        return f"{_wrap(node.left)} {node.op} {_wrap(node.right)}"
    if isinstance(node, Member):
        values = ", ".join(_literal_text(v) for v in node.values)
        return f"{_wrap(node.operand)} {'not in' if node.negate else 'in'} [{values}]"
    if isinstance(node, IsMissing):
        return f"{_wrap(node.operand)} is {'not ' if node.negate else ''}missing"
    if isinstance(node, Not):
        return f"not {_wrap(node.operand)}"
    if isinstance(node, BoolOp):
        word = " & " if node.op == "&" else " | "
        return word.join(_wrap(o) for o in node.operands)
    if isinstance(node, Func):
        return f"{node.name}({to_text(node.operand)})"
    if isinstance(node, Cut):
        return f"cut({to_text(node.operand)}, [{', '.join(map(_number_text, node.breaks))}])"
    parts = [_name_text(node.column)]
    if node.ref is not None:
        parts.append(f'ref="{node.ref}"')
    if node.levels is not None:
        parts.append("levels=[" + ", ".join(f'"{v}"' for v in node.levels) + "]")
    return f"C({', '.join(parts)})"


def _wrap(node: Node) -> str:
    simple = isinstance(node, Lit | Col | Func | Cut | Cat)
    return to_text(node) if simple else f"({to_text(node)})"


# ---------------------------------------------------------------------------
# the parser
# ---------------------------------------------------------------------------

ErrorFactory = Callable[..., SurveytkError]


def _bad_char_factory(error: ErrorFactory, what: str, hint: str) -> Callable[[str, int], Exception]:
    def bad_char(text: str, pos: int) -> Exception:
        return error(
            f"`{text[pos]}` is not allowed in {what} {text!r} (position {pos + 1}); {hint}",
            value=text[pos],
        )

    return bad_char


def tokens_of(text: str, *, error: ErrorFactory, what: str, hint: str) -> list[Token]:
    """Tokens of ``text``; a character outside the language raises ``error``."""
    return tokenise(text, bad_char=_bad_char_factory(error, what, hint))


class ExpressionParser:
    """Recursive-descent parser of the grammar above over a token list.

    The formula parser (:mod:`surveytk.models.formula_grammar`) shares it:
    it hands over its tokens and position to parse the inside of ``I(...)``
    and function calls, and takes the position back.
    """

    def __init__(
        self,
        text: str,
        tokens: list[Token],
        *,
        error: ErrorFactory = SpecError,
        what: str = "expression",
        hint: str = HINT,
        start: int = 0,
    ) -> None:
        self.text = text
        self.tokens = tokens
        self.error = error
        self.what = what
        self.hint = hint
        self.i = start

    # -- helpers --------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def at_op(self, *ops: str) -> str | None:
        t = self.tok
        if t.kind == "op" and t.text in ops:
            return t.text
        if t.kind == "name" and _WORD_OPS.get(t.text) in ops:
            return _WORD_OPS[t.text]
        return None

    def at_word(self, word: str) -> bool:
        return self.tok.kind == "name" and self.tok.text == word

    def fail(self, what: str) -> SurveytkError:
        t = self.tok
        found = t.text or f"the end of the {self.what}"
        return self.error(
            f"{what} in {self.what} {self.text!r} at position {t.pos + 1}, found `{found}`; "
            f"{self.hint}",
            value=t.text or None,
        )

    def expect(self, op: str, where: str) -> None:
        if not (self.tok.kind == "op" and self.tok.text == op):
            raise self.fail(f"expected `{op}` {where}".rstrip())
        self.i += 1

    # -- grammar --------------------------------------------------------------
    def parse_all(self) -> Node:
        node = self.expr()
        if self.tok.kind != "end":
            raise self.fail("unexpected text")
        return node

    def expr(self) -> Node:
        parts = [self.and_()]
        while self.at_op("|"):
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else BoolOp("|", tuple(parts))

    def and_(self) -> Node:
        parts = [self.not_()]
        while self.at_op("&"):
            self.i += 1
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else BoolOp("&", tuple(parts))

    def not_(self) -> Node:
        if self.at_op("~"):
            self.i += 1
            return Not(self.not_())
        return self.compare()

    def compare(self) -> Node:
        left = self.sum_()
        t = self.tok
        if t.kind == "op" and t.text in _COMPARE_OPS:
            self.i += 1
            return Compare(t.text, left, self.sum_())
        if self.at_word("in") or (self.at_word("not") and self.peek().text == "in"):
            negate = self.at_word("not")
            self.i += 2 if negate else 1
            return Member(left, self.literal_list(), negate)
        if self.at_word("is"):
            self.i += 1
            negate = self.at_word("not")
            if negate:
                self.i += 1
            if not self.at_word("missing"):
                raise self.fail("expected `missing` after `is`")
            self.i += 1
            return IsMissing(left, negate)
        return left

    def sum_(self) -> Node:
        left = self.product()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.tok.text
            self.i += 1
            left = Arith(op, left, self.product())
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.tok.text
            self.i += 1
            left = Arith(op, left, self.unary())
        return left

    def unary(self) -> Node:
        if self.tok.kind == "op" and self.tok.text == "-":
            self.i += 1
            inner = self.unary()
            if isinstance(inner, Lit) and isinstance(inner.value, int | float):
                if not isinstance(inner.value, bool):
                    return Lit(-inner.value)
            return Neg(inner)
        if self.tok.kind == "op" and self.tok.text == "+":
            self.i += 1
            return self.unary()
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        if self.tok.kind == "op" and self.tok.text == "**":
            self.i += 1
            return Arith("**", base, self.unary())
        return base

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "number":
            self.i += 1
            return Lit(_number(t.text))
        if t.kind == "string":
            self.i += 1
            return Lit(t.value)
        if t.kind == "qname":
            self.i += 1
            return Col(t.value)
        if t.kind == "op" and t.text == "(":
            self.i += 1
            node = self.expr()
            self.expect(")", "to close `(`")
            return node
        if t.kind == "name" and t.text.lower() in _LITERAL_WORDS:
            self.i += 1
            return Lit(_LITERAL_WORDS[t.text.lower()])
        if t.kind != "name" or t.text in _WORD_OPS or t.text in ("in", "is"):
            raise self.fail("expected a column name, a value or `(`")
        return self.name_or_call()

    def name_or_call(self) -> Node:
        t = self.tok
        if forbidden_word(t.text):
            raise self.error(f"`{t.text}` is not allowed in {self.what}; {self.hint}",
                             value=t.text)
        nxt = self.peek()
        if nxt.kind == "op" and nxt.text == "(":
            return self.call(t.text)
        if nxt.kind == "op" and nxt.text == "[":
            raise self.error(
                f"`{t.text}[...]` is not allowed in {self.what} {self.text!r} (`[` at position "
                f"{nxt.pos + 1}): no subscripts; "
                f"{self.hint}",
                value=t.text,
            )
        self.i += 1
        return Col(t.text)

    def call(self, name: str) -> Node:
        if name not in FUNCTIONS:
            raise self.error(
                f"`{name}(...)` is not allowed in {self.what} {self.text!r}: the functions are "
                f"{', '.join(FUNCTIONS)}; {self.hint}",
                value=name,
            )
        self.i += 2  # name and "("
        if name == "Q":
            t = self.tok
            if t.kind != "string":
                raise self.fail('Q() takes a quoted column name, e.g. Q("sch.wide"),')
            self.i += 1
            self.expect(")", "to close `Q(`")
            return Col(t.value)
        if name == "C":
            return self.categorical()
        operand = self.expr()
        if name == "cut":
            self.expect(",", "after the variable of cut(x, [breaks])")
            breaks = self.literal_list()
            self.expect(")", "to close `cut(`")
            return Cut(operand, self.check_breaks(breaks))
        self.expect(")", f"to close `{name}(`")
        return Func(name, operand)

    def check_breaks(self, values: tuple[Any, ...]) -> tuple[float, ...]:
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        ok = len(numbers) == len(values) >= 2 and all(
            a < b for a, b in zip(numbers[:-1], numbers[1:], strict=True)
        )
        if not ok:
            raise self.error(
                f"cut() needs at least two increasing numbers as breaks, e.g. "
                f"cut(age, [18, 30, 45, 65]), in {self.what} {self.text!r}"
            )
        return tuple(float(v) for v in numbers)

    def categorical(self) -> Node:
        t = self.tok
        if t.kind == "qname":
            column = t.value
            self.i += 1
        elif t.kind == "name" and t.text == "Q" and self.peek().text == "(":
            col = self.call("Q")
            assert isinstance(col, Col)
            column = col.name
        elif t.kind == "name" and not forbidden_word(t.text) and self.peek().text != "(":
            column = t.text
            self.i += 1
        else:
            raise self.fail("C() takes a column name first")
        ref: str | None = None
        levels: tuple[str, ...] | None = None
        while self.tok.kind == "op" and self.tok.text == ",":
            self.i += 1
            k = self.tok
            if k.kind == "name" and k.text == "ref" and self.peek().text == "=":
                self.i += 2
                ref = self.reference()
            elif k.kind == "name" and k.text == "levels" and self.peek().text == "=":
                self.i += 2
                levels = tuple(_level_key(v) for v in self.literal_list())
            elif k.kind == "name" and k.text == "Treatment" and self.peek().text == "(":
                self.i += 2
                if self.at_word("reference"):
                    self.i += 1
                    self.expect("=", "after `reference`")
                ref = self.reference()
                self.expect(")", "to close `Treatment(`")
            else:
                raise self.error(
                    f'C() takes a column and optionally ref="level" (or '
                    f'Treatment(reference="level")) and levels=[...]; found `{k.text}` in '
                    f"{self.text!r}"
                )
        self.expect(")", "to close `C(`")
        if levels is not None and ref is not None and ref not in levels:
            raise self.error(
                f"C({column}): the reference level {ref!r} is not among levels=[...] in "
                f"{self.text!r}"
            )
        return Cat(column, ref, levels)

    def reference(self) -> str:
        t = self.tok
        if t.kind == "op" and t.text == "-" and self.peek().kind == "number":
            self.i += 2
            return "-" + _level_key(_number(self.tokens[self.i - 1].text))
        if t.kind in ("string", "number"):
            self.i += 1
            return t.value if t.kind == "string" else _level_key(_number(t.text))
        raise self.error(
            f'a reference level must be a quoted string or a number, e.g. C(x, ref="b"); '
            f"found `{t.text}` in {self.text!r}"
        )

    def literal_list(self) -> tuple[Any, ...]:
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
        return tuple(values)

    def literal(self) -> Any:
        t = self.tok
        if t.kind == "op" and t.text == "-" and self.peek().kind == "number":
            self.i += 2
            return -_number(self.tokens[self.i - 1].text)
        self.i += 1
        if t.kind == "string":
            return t.value
        if t.kind == "number":
            return _number(t.text)
        if t.kind == "name" and t.text.lower() in _LITERAL_WORDS:
            return _LITERAL_WORDS[t.text.lower()]
        self.i -= 1
        raise self.fail("expected a number, a quoted string, true or false")


def _number(text: str) -> int | float:
    v = float(text)
    if text.isdigit():
        return int(text)
    return v


def _level_key(v: Any) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ---------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Vec:
    """An evaluated value: one entry per row.

    ``kind`` is ``number`` (float64 ``values``), ``boolean`` (bool ``values``),
    ``text`` or ``category`` (object ``values``; ``levels`` in order for
    categories) or ``other`` (dates: only ``is missing`` applies). ``series``
    is the column itself where the value is a column, so comparisons with
    constants keep pandas' semantics (ordered categories compare by order).
    """

    kind: str
    values: np.ndarray
    missing: np.ndarray
    series: pd.Series | None = None
    levels: tuple[Any, ...] | None = None
    label: str = ""


def column_vec(s: pd.Series, name: str) -> Vec:
    """The :class:`Vec` of one data column."""
    missing = np.asarray(s.isna().to_numpy(), dtype=bool)
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values = np.asarray(s.astype(object).to_numpy(), dtype=object)
        return Vec("category", values, missing, s, tuple(dtype.categories), name)
    if pd.api.types.is_bool_dtype(dtype):
        values = np.asarray(s.fillna(False).to_numpy(dtype=bool), dtype=bool)
        return Vec("boolean", values, missing, s, label=name)
    if pd.api.types.is_numeric_dtype(dtype):
        v = np.asarray(s.to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)
        return Vec("number", v, missing | ~np.isfinite(v), s, label=name)
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return Vec("other", np.asarray(s.to_numpy(), dtype=object), missing, s, label=name)
    return Vec("text", np.asarray(s.astype(object).to_numpy(), dtype=object), missing, s,
               label=name)


Resolver = Callable[[str], Vec]


class Evaluator:
    """Evaluates a tree on ``n`` rows whose columns ``resolve`` returns."""

    def __init__(self, resolve: Resolver, n: int, *, text: str, what: str,
                 error: ErrorFactory = SpecError) -> None:
        self.resolve = resolve
        self.n = n
        self.text = text
        self.what = what
        self.error = error

    def run(self, node: Node) -> Vec:
        method = getattr(self, f"_{type(node).__name__.lower()}")
        result: Vec = method(node)
        return result

    # -- leaves -----------------------------------------------------------------
    def _lit(self, node: Lit) -> Vec:
        v = node.value
        none = np.zeros(self.n, dtype=bool)
        if isinstance(v, bool):
            return Vec("boolean", np.full(self.n, v), none, label=_literal_text(v))
        if isinstance(v, str):
            return Vec("text", np.full(self.n, v, dtype=object), none, label=_literal_text(v))
        return Vec("number", np.full(self.n, float(v)), none, label=_literal_text(v))

    def _col(self, node: Col) -> Vec:
        return self.resolve(node.name)

    # -- arithmetic ------------------------------------------------------------
    def number(self, v: Vec, where: str) -> np.ndarray:
        if v.kind == "number":
            return v.values
        if v.kind == "boolean":
            return np.where(v.missing, np.nan, v.values.astype(np.float64))
        dtype = v.series.dtype if v.series is not None else v.kind
        raise self.error(
            f"column {v.label!r} is not numeric ({dtype}) and cannot be used in {where} of "
            f"{self.what} {self.text!r}; compare it (e.g. {v.label} == \"...\") or use C({v.label})"
            if v.series is not None
            else f"{v.label or 'a value'} is {v.kind}, not a number, in {where} of {self.what} "
            f"{self.text!r}",
            variable=v.label or None,
        )

    def _neg(self, node: Neg) -> Vec:
        v = self.run(node.operand)
        return Vec("number", -self.number(v, "`-`"), v.missing, label=to_text(node))

    def _arith(self, node: Arith) -> Vec:
        a, b = self.run(node.left), self.run(node.right)
        x, y = self.number(a, f"`{node.op}`"), self.number(b, f"`{node.op}`")
        with np.errstate(all="ignore"):
            if node.op == "+":
                out = x + y
            elif node.op == "-":
                out = x - y
            elif node.op == "*":
                out = x * y
            elif node.op == "/":
                out = x / y
            else:
                out = np.power(x, y)
        return Vec("number", out, a.missing | b.missing, label=to_text(node))

    def _func(self, node: Func) -> Vec:
        v = self.run(node.operand)
        if node.name == "I":
            return v
        with np.errstate(all="ignore"):
            out = NUMERIC_FUNCTIONS[node.name](self.number(v, f"{node.name}()"))
        return Vec("number", out, v.missing, label=to_text(node))

    def _cut(self, node: Cut) -> Vec:
        v = self.run(node.operand)
        x = self.number(v, "cut()")
        b = np.asarray(node.breaks)
        idx = np.searchsorted(b, x, side="right") - 1
        inside = (idx >= 0) & (idx < len(b) - 1) & ~v.missing
        labels = node.labels
        values = np.array([labels[i] if ok else None for i, ok in zip(idx, inside, strict=True)],
                          dtype=object)
        return Vec("category", values, ~inside, levels=labels, label=to_text(node))

    def _cat(self, node: Cat) -> Vec:
        v = self.resolve(node.column)
        present = [_level_key(x) for x in (v.levels or pd.unique(v.values[~v.missing]))]
        if node.levels is not None:
            extra = sorted(set(present) - set(node.levels))
            seen = set(_level_key(x) for x in v.values[~v.missing])
            extra = [e for e in extra if e in seen]
            if extra:
                raise self.error(
                    f"{to_text(node)} in {self.what} {self.text!r}: value(s) "
                    f"{', '.join(map(repr, extra[:5]))} of {node.column!r} are not in levels=[...]; "
                    "list every level",
                    variable=node.column,
                )
            order = list(node.levels)
        else:
            order = present
        if node.ref is not None:
            if node.ref not in order:
                raise self.error(
                    f"reference level {node.ref!r} of C({node.column}) is not a level; levels: "
                    + ", ".join(order[:20]),
                    variable=node.column,
                )
            order = [node.ref, *[o for o in order if o != node.ref]]
        values = np.array([None if m else _level_key(x) for x, m in
                           zip(v.values, v.missing, strict=True)], dtype=object)
        return Vec("category", values, v.missing.copy(), levels=tuple(order),
                   label=to_text(node))

    # -- comparisons -------------------------------------------------------------
    def _compare(self, node: Compare) -> Vec:
        left, right, op = node.left, node.right, node.op
        if isinstance(left, Lit) and isinstance(right, Col):
            flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            return self._compare(Compare(flipped, right, left))
        a = self.run(left)
        if isinstance(right, Lit) and a.series is not None:
            return self.column_vs_constant(a, op, right.value)
        b = self.run(right)
        missing = a.missing | b.missing
        if a.kind in ("number", "boolean") and b.kind in ("number", "boolean"):
            x, y = self.number(a, f"`{op}`"), self.number(b, f"`{op}`")
            with np.errstate(invalid="ignore"):
                out = _NUMPY_COMPARE[op](x, y)
        elif a.kind in ("text", "category") and b.kind in ("text", "category") and op in (
            "==",
            "!=",
        ):
            out = np.array([x == y for x, y in zip(a.values, b.values, strict=True)], dtype=bool)
            if op == "!=":
                out = ~out
        else:
            raise self.error(
                f"{self.what} {self.text!r} compares {a.label!r} ({a.kind}) with {b.label!r} "
                f"({b.kind}) by `{op}`; compare numbers with numbers and text with text "
                "(text only by == and !=)",
                variable=a.label or None,
            )
        return Vec("boolean", np.asarray(out, dtype=bool) & ~missing, missing,
                   label=to_text(node))

    def check_constant(self, v: Vec, values: Sequence[Any]) -> None:
        s = v.series
        assert s is not None
        for x in values:
            numeric_value = isinstance(x, int | float) and not isinstance(x, bool)
            if v.kind in ("number", "boolean") and isinstance(x, str):
                raise self.error(
                    f"{self.what} {self.text!r} compares numeric column {v.label!r} with the "
                    f'string "{x}"; write the value without quotes',
                    variable=v.label,
                    value=x,
                )
            if v.kind == "text" and numeric_value and isinstance(s.dtype, pd.StringDtype):
                raise self.error(
                    f"{self.what} {self.text!r} compares text column {v.label!r} with the "
                    f"number {x}; quote the value",
                    variable=v.label,
                    value=x,
                )

    def column_vs_constant(self, v: Vec, op: str, value: Any) -> Vec:
        s = v.series
        assert s is not None
        if v.kind == "other":
            raise self.error(
                f"column {v.label!r} ({s.dtype}) in {self.what} {self.text!r} can only be tested "
                "with `is missing`",
                variable=v.label,
            )
        self.check_constant(v, [value])
        method = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[op]
        try:
            result = getattr(s, method)(value)
        except TypeError as exc:
            raise self.error(
                f"{self.what} {self.text!r} cannot compare column {v.label!r} ({s.dtype}) with "
                f"{value!r} by `{op}`",
                variable=v.label,
            ) from exc
        out = np.asarray(result.astype("boolean").fillna(False).to_numpy(dtype=bool))
        return Vec("boolean", out & ~v.missing, v.missing, label=f"{v.label} {op} {value!r}")

    def _member(self, node: Member) -> Vec:
        v = self.run(node.operand)
        if v.series is not None:
            self.check_constant(v, node.values)
            out = np.asarray(v.series.isin(list(node.values)).to_numpy(dtype=bool, na_value=False))
        elif v.kind in ("number", "boolean"):
            nums = [float(x) for x in node.values if not isinstance(x, str)]
            out = np.isin(self.number(v, "`in`"), nums)
        else:
            out = np.isin(v.values.astype(str), [_level_key(x) for x in node.values])
        if node.negate:
            out = ~out
        return Vec("boolean", out & ~v.missing, v.missing, label=to_text(node))

    def _ismissing(self, node: IsMissing) -> Vec:
        v = self.run(node.operand)
        out = ~v.missing if node.negate else v.missing.copy()
        return Vec("boolean", out, np.zeros(self.n, dtype=bool), label=to_text(node))

    # -- logic -------------------------------------------------------------------
    def truth(self, v: Vec) -> Vec:
        if v.kind == "boolean":
            return v
        if v.series is not None:
            raise self.error(
                f"column {v.label!r} in {self.what} {self.text!r} is not boolean "
                f"({v.series.dtype}); compare it, e.g. {v.label} == 1",
                variable=v.label,
            )
        raise self.error(
            f"{v.label!r} in {self.what} {self.text!r} is {v.kind}, not true/false; compare it, "
            f"e.g. ({v.label}) > 0"
        )

    def _not(self, node: Not) -> Vec:
        v = self.truth(self.run(node.operand))
        return Vec("boolean", ~v.values & ~v.missing, v.missing, label=to_text(node))

    def _boolop(self, node: BoolOp) -> Vec:
        pairs = [self.truth(self.run(o)) for o in node.operands]
        v, m = pairs[0].values, pairs[0].missing
        for p in pairs[1:]:
            v2, m2 = p.values, p.missing
            if node.op == "&":
                false = (~v & ~m) | (~v2 & ~m2)
                v, m = v & v2 & ~m & ~m2, (m | m2) & ~false
            else:
                true = (v & ~m) | (v2 & ~m2)
                v, m = true, (m | m2) & ~true
        return Vec("boolean", v, m, label=to_text(node))


_NUMPY_COMPARE: Mapping[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def frame_resolver(df: pd.DataFrame, *, text: str, what: str,
                   error: ErrorFactory = SpecError) -> Resolver:
    """Columns of ``df`` as :class:`Vec`; an absent column raises with close matches."""
    cols = [str(c) for c in df.columns]

    def resolve(name: str) -> Vec:
        if name not in df.columns:
            raise error(
                f"column {name!r} of {what} {text!r} is not in the data"
                f"{close_matches_hint(name, cols)}",
                variable=name,
            )
        return column_vec(df[name], name)

    return resolve


def vec_to_series(v: Vec, index: pd.Index, name: str) -> pd.Series:
    """A :class:`Vec` as a pandas column (nullable boolean, float, text or category)."""
    if v.kind == "number":
        values = np.where(v.missing | ~np.isfinite(v.values), np.nan, v.values)
        return pd.Series(values, index=index, name=name, dtype="float64")
    if v.kind == "boolean":
        arr = pd.array(v.values, dtype="boolean")
        arr[v.missing] = pd.NA
        return pd.Series(arr, index=index, name=name)
    if v.kind == "category":
        levels = [_level_key(x) for x in (v.levels or ())]
        vals = [None if m else _level_key(x) for x, m in zip(v.values, v.missing, strict=True)]
        return pd.Series(pd.Categorical(vals, categories=levels), index=index, name=name)
    if v.series is not None:
        return v.series.rename(name)
    vals = [None if m else x for x, m in zip(v.values, v.missing, strict=True)]
    return pd.Series(vals, index=index, name=name, dtype="string")


# ---------------------------------------------------------------------------
# public: conditions, expressions, definitions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A parsed condition: evaluate it on a table to get a boolean row mask.

    Attributes
    ----------
    text
        The condition as written.
    tree
        The parsed expression.
    """

    text: str
    tree: Node

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the condition reads, in order of appearance."""
        return tuple(dict.fromkeys(columns_of(self.tree)))

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
        ev = Evaluator(frame_resolver(df, text=self.text, what="condition"), len(df),
                       text=self.text, what="condition")
        v = ev.truth(ev.run(self.tree))
        return np.asarray(v.values & ~v.missing, dtype=bool)


def parse_condition(text: str) -> Condition:
    """Parse ``text`` into a :class:`Condition`; no data are read and no code runs.

    Raises
    ------
    SpecError
        For anything outside the grammar (unknown functions, attributes,
        subscripts, lambdas, unknown operators), naming the offending piece
        and its position.
    """
    if not isinstance(text, str) or not text.strip():
        raise SpecError("a condition must be a non-empty string like `female == 1`")
    tokens = tokens_of(text, error=SpecError, what="condition", hint=CONDITION_HINT)
    tree = ExpressionParser(text, tokens, what="condition", hint=CONDITION_HINT).parse_all()
    return Condition(text=text, tree=tree)


@dataclass(frozen=True)
class Definition:
    """``NAME = EXPR``: a derived variable."""

    name: str
    text: str
    tree: Node

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(columns_of(self.tree)))

    def evaluate(self, df: pd.DataFrame) -> pd.Series:
        """The derived column on ``df`` (numbers, booleans, text or a category)."""
        what = f"definition of {self.name!r}"
        ev = Evaluator(frame_resolver(df, text=self.text, what=what), len(df), text=self.text,
                       what=what)
        return vec_to_series(ev.run(self.tree), df.index, self.name)


def parse_definition(text: str) -> Definition:
    """Parse ``NAME=EXPR`` (as given to ``--define``); no data are read.

    Raises
    ------
    SpecError
        A missing ``=``, a name that is not an identifier, or an expression
        outside the grammar.
    """
    if not isinstance(text, str) or "=" not in text:
        raise SpecError(
            f"--define {text!r}: expecting NAME=EXPRESSION, e.g. --define \"young=age < 30\""
        )
    # the first "=" that is not part of ==, <=, >=, !=
    for i, ch in enumerate(text):
        if ch == "=" and (i == 0 or text[i - 1] not in "=<>!") and text[i + 1 : i + 2] != "=":
            name, expr = text[:i].strip(), text[i + 1 :].strip()
            break
    else:
        raise SpecError(f"--define {text!r}: expecting NAME=EXPRESSION")
    if not name.isidentifier() or forbidden_word(name) or name in _WORD_OPS:
        raise SpecError(
            f"--define {text!r}: the name {name!r} must be a plain identifier (letters, digits, _)",
            value=name,
        )
    if not expr:
        raise SpecError(f"--define {text!r}: the expression after `=` is empty")
    what = f"definition of {name!r}"
    tokens = tokens_of(expr, error=SpecError, what=what, hint=HINT)
    tree = ExpressionParser(expr, tokens, what=what).parse_all()
    return Definition(name=name, text=expr, tree=tree)


def parse_definitions(items: Sequence[str] | Mapping[str, str] | None) -> tuple[Definition, ...]:
    """Parse several definitions (``NAME=EXPR`` strings, or a mapping name → expression).

    Raises
    ------
    SpecError
        A name defined twice (a repeated option is never silently ignored).
    """
    if not items:
        return ()
    texts = [f"{k}={v}" for k, v in items.items()] if isinstance(items, Mapping) else list(items)
    defs = tuple(parse_definition(t) for t in texts)
    names = [d.name for d in defs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SpecError(f"--define: {', '.join(twice)} defined more than once; define each once",
                        variable=twice[0])
    return defs


def apply_definitions(df: pd.DataFrame, definitions: Sequence[Definition]) -> pd.DataFrame:
    """``df`` with the derived columns added in order (a later one may use an earlier one).

    Raises
    ------
    SpecError
        A definition that would replace a column of the data.
    """
    if not definitions:
        return df
    out = df.copy()
    for d in definitions:
        if d.name in out.columns:
            raise SpecError(
                f"--define {d.name}: the data already have a column {d.name!r}; choose another name",
                variable=d.name,
            )
        out[d.name] = d.evaluate(out)
    return out


def definition_inputs(definitions: Sequence[Definition], wanted: Sequence[str]) -> list[str]:
    """The data columns needed for ``wanted`` names, through the definitions."""
    by_name = {d.name: d for d in definitions}
    out: dict[str, None] = {}

    def visit(name: str, depth: int) -> None:
        if name in by_name and depth < len(by_name) + 1:
            for c in by_name[name].columns:
                visit(c, depth + 1)
        else:
            out[name] = None

    for w in wanted:
        visit(w, 0)
    return list(out)

