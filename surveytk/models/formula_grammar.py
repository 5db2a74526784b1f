"""The restricted model-formula grammar: tokeniser, parser and parsed formula.

A formula from an analysis spec (someone else's file) must never run code, so
it is tokenised and parsed here by a small recursive-descent parser that knows
only the pieces below; nothing is handed to ``eval``, patsy or formulaic. This
module reads no data: :func:`parse_formula` turns text into a
:class:`ParsedFormula` (outcome, terms of :class:`Factor`, intercept) or raises
a :class:`~surveytk.errors.FormulaError` naming the offending piece. Building
the outcome and model matrix from a parsed formula and a table lives in
:mod:`surveytk.models.formula`, which re-exports the public names here.

Grammar (``docs/formulas.md`` has examples)::

    formula  := NAME "~" rhs
    rhs      := product (("+" | "-") product)*
    product  := inter ("*" inter)*          # a*b = a + b + a:b
    inter    := atom (":" atom)*            # a:b = interaction
    atom     := NAME | "0" | "1" | "(" rhs ")"
              | "C(" NAME ["," ref] ")" | "I(" arith ")"
    ref      := "ref=" literal | "Treatment(reference=" literal ")" | "Treatment(" literal ")"
    arith    := + - * / ** on column names and numeric constants, with parentheses

Terms of a :class:`ParsedFormula` are ordered by degree (main effects, then
two-way interactions, ...), stable within a degree; ``I(...)`` factors are named
by their canonical text (``I(age ** 2)``).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from surveytk.errors import FormulaError
from surveytk.lexer import Token, tokenise

__all__ = ["Arith", "Factor", "ParsedFormula", "Term", "parse_formula"]

_HINT = "use column names, C(x), I(arithmetic), : and *"

# ---------------------------------------------------------------------------
# tokens
# ---------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>"[^"\\]*"|'[^'\\]*')
  | (?P<op>\*\*|[~+\-*/:(),=])
    """,
    re.VERBOSE,
)


def _bad_char(text: str, pos: int) -> FormulaError:
    return FormulaError(
        f"`{text[pos]}` is not allowed in a formula (at position {pos + 1} of {text!r}); {_HINT}",
        value=text[pos],
    )


def _tokenise(text: str) -> list[Token]:
    return tokenise(text, _TOKEN_RE, bad_char=_bad_char)


# ---------------------------------------------------------------------------
# parsed pieces
# ---------------------------------------------------------------------------

# Arithmetic nodes of I(...): ("num", value) | ("col", name) | ("neg", node)
# | ("bin", op, left, right). Plain tuples keep them hashable and frozen.
Arith = tuple[Any, ...]


@dataclass(frozen=True)
class Factor:
    """One factor of a term: a column, a ``C(column)`` or an ``I(arithmetic)``."""

    kind: Literal["var", "cat", "arith"]
    name: str  # column name, or canonical text of I(...)
    ref: str | None = None  # reference level of C(x, ref=...), as text
    expr: Arith | None = None  # arithmetic tree of I(...)

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns this factor reads."""
        if self.kind == "arith":
            assert self.expr is not None
            return tuple(dict.fromkeys(_arith_columns(self.expr)))
        return (self.name,)

    @property
    def label(self) -> str:
        if self.kind == "arith":
            return f"I({self.name})"
        if self.kind == "cat":
            return f"C({self.name})"
        return self.name


Term = tuple[Factor, ...]


@dataclass(frozen=True)
class ParsedFormula:
    """A formula checked against the grammar, before any data is seen.

    Attributes
    ----------
    text
        The formula as given.
    outcome
        The outcome column name.
    terms
        Right-hand-side terms in model-matrix order (by degree, stable), each a
        tuple of :class:`Factor`; the intercept is not a term.
    intercept
        Whether the model has an intercept.
    """

    text: str
    outcome: str
    terms: tuple[Term, ...]
    intercept: bool

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the right-hand side reads, in order of appearance."""
        seen: dict[str, None] = {}
        for term in self.terms:
            for f in term:
                seen.update(dict.fromkeys(f.columns))
        return tuple(seen)


class _Parser:
    """Recursive-descent parser for the grammar in the module docstring."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenise(text)
        self.i = 0

    # -- helpers --------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def accept(self, text: str) -> bool:
        if self.tok.kind == "op" and self.tok.text == text:
            self.i += 1
            return True
        return False

    def expect(self, text: str, where: str) -> None:
        if not self.accept(text):
            found = self.tok.text or "end of formula"
            raise FormulaError(
                f"expected `{text}` {where} in formula {self.text!r}, found `{found}`"
            )

    def fail_token(self, t: Token) -> FormulaError:
        if t.kind == "string":
            return FormulaError(
                f"string {t.text} is not allowed in a formula except as the reference level "
                f'in C(x, ref="level"); {_HINT}',
                value=t.text,
            )
        if t.kind == "end":
            return FormulaError(f"formula {self.text!r} ends too early; {_HINT}")
        return FormulaError(f"`{t.text}` is not allowed here in a formula; {_HINT}", value=t.text)

    def name(self) -> str:
        t = self.tok
        if t.kind != "name":
            raise self.fail_token(t)
        _check_name(t.text)
        self.i += 1
        nxt = self.tok
        if nxt.kind == "op" and nxt.text == "(":
            raise FormulaError(
                f"`{t.text}(...)` is not allowed in a formula; {_HINT}", value=t.text
            )
        return t.text

    # -- formula --------------------------------------------------------------
    def formula(self) -> ParsedFormula:
        if sum(1 for t in self.tokens if t.kind == "op" and t.text == "~") != 1:
            raise FormulaError(
                f"formula {self.text!r} must have the form `outcome ~ terms` (one `~`)"
            )
        outcome = self.name()
        self.expect("~", "after the outcome")
        items = self.rhs()
        if self.tok.kind != "end":
            raise self.fail_token(self.tok)
        return _assemble(self.text, outcome, items)

    def rhs(self) -> list[tuple[str, list[Term] | str]]:
        """Signed items: ("+", terms) / ("-", terms) / ("+", "1") / ("-", "0")..."""
        items: list[tuple[str, list[Term] | str]] = []
        sign = "+"
        if self.accept("-"):
            sign = "-"
        items.append((sign, self.product()))
        while True:
            if self.accept("+"):
                items.append(("+", self.product()))
            elif self.accept("-"):
                items.append(("-", self.product()))
            else:
                return items

    def product(self) -> list[Term] | str:
        left = self.inter()
        while self.accept("*"):
            right = self.inter()
            if isinstance(left, str) or isinstance(right, str):
                raise FormulaError(f"`0`/`1` cannot be multiplied in formula {self.text!r}")
            inter = [_merge(a, b) for a in left for b in right]
            left = _unique([*left, *right, *inter])
        return left

    def inter(self) -> list[Term] | str:
        left = self.atom()
        while self.accept(":"):
            right = self.atom()
            if isinstance(left, str) or isinstance(right, str):
                raise FormulaError(f"`0`/`1` cannot be in an interaction in {self.text!r}")
            left = _unique([_merge(a, b) for a in left for b in right])
        return left

    def atom(self) -> list[Term] | str:
        t = self.tok
        if t.kind == "number":
            self.i += 1
            if t.text in ("0", "1"):
                return t.text
            raise FormulaError(
                f"number {t.text} is not allowed outside I(...) in formula {self.text!r}; "
                "only 0 and 1 (intercept)",
                value=t.text,
            )
        if t.kind == "op" and t.text == "(":
            self.i += 1
            items = self.rhs()
            self.expect(")", "to close `(`")
            terms: list[Term] = []
            for sign, part in items:
                if sign == "-" or isinstance(part, str):
                    raise FormulaError(
                        f"inside parentheses only `+` of terms is allowed in {self.text!r}"
                    )
                terms.extend(part)
            return _unique(terms)
        if t.kind == "name" and t.text in ("C", "I") and self._next_is("("):
            self.i += 2
            f = self.categorical() if t.text == "C" else self.arith_factor()
            return [(f,)]
        return [(Factor("var", self.name()),)]

    def _next_is(self, text: str) -> bool:
        nxt = self.tokens[self.i + 1]
        return nxt.kind == "op" and nxt.text == text

    # -- C(...) ---------------------------------------------------------------
    def categorical(self) -> Factor:
        col = self.name()
        ref: str | None = None
        if self.accept(","):
            t = self.tok
            if t.kind == "name" and t.text == "ref" and self._next_is("="):
                self.i += 2
                ref = self.literal()
            elif t.kind == "name" and t.text == "Treatment" and self._next_is("("):
                self.i += 2
                if self.tok.kind == "name" and self.tok.text == "reference":
                    self.advance()
                    self.expect("=", "after `reference`")
                ref = self.literal()
                self.expect(")", "to close `Treatment(`")
            else:
                raise FormulaError(
                    f'C() takes a column and optionally ref="level" or '
                    f'Treatment(reference="level"); found `{t.text}` in {self.text!r}'
                )
        self.expect(")", "to close `C(`")
        return Factor("cat", col, ref=ref)

    def literal(self) -> str:
        t = self.advance()
        if t.kind == "string":
            return t.text[1:-1]
        if t.kind == "number":
            return t.text
        if t.kind == "op" and t.text == "-" and self.tok.kind == "number":
            return "-" + self.advance().text
        raise FormulaError(
            f'a reference level must be a quoted string or a number, e.g. C(x, ref="b"); '
            f"found `{t.text}` in {self.text!r}"
        )

    # -- I(...) ---------------------------------------------------------------
    def arith_factor(self) -> Factor:
        expr = self.arith_sum()
        self.expect(")", "to close `I(`")
        if not _arith_columns(expr):
            raise FormulaError(f"I(...) must use at least one column in {self.text!r}")
        return Factor("arith", _arith_text(expr), expr=expr)

    def arith_sum(self) -> Arith:
        left = self.arith_prod()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.advance().text
            left = ("bin", op, left, self.arith_prod())
        return left

    def arith_prod(self) -> Arith:
        left = self.arith_unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.advance().text
            left = ("bin", op, left, self.arith_unary())
        return left

    def arith_unary(self) -> Arith:
        if self.accept("-"):
            return ("neg", self.arith_unary())
        if self.accept("+"):
            return self.arith_unary()
        return self.arith_power()

    def arith_power(self) -> Arith:
        base = self.arith_atom()
        if self.accept("**"):
            return ("bin", "**", base, self.arith_unary())
        return base

    def arith_atom(self) -> Arith:
        t = self.tok
        if t.kind == "number":
            self.i += 1
            return ("num", float(t.text))
        if self.accept("("):
            inner = self.arith_sum()
            self.expect(")", "to close `(` in I(...)")
            return inner
        return ("col", self.name())


def _check_name(name: str) -> None:
    if name.startswith("__") or keyword.iskeyword(name):
        raise FormulaError(f"`{name}` is not allowed in a formula; {_HINT}", value=name)


def _merge(a: Term, b: Term) -> Term:
    out = list(a)
    for f in b:
        if f not in out:
            out.append(f)
    return tuple(out)


def _unique(terms: Iterable[Term]) -> list[Term]:
    out: list[Term] = []
    keys: list[frozenset[Factor]] = []
    for t in terms:
        k = frozenset(t)
        if k not in keys:
            keys.append(k)
            out.append(t)
    return out


def _assemble(text: str, outcome: str, items: list[tuple[str, list[Term] | str]]) -> ParsedFormula:
    intercept = True
    terms: list[Term] = []
    for sign, part in items:
        if isinstance(part, str):
            intercept = (sign == "+") == (part == "1")
            continue
        if sign == "+":
            terms = _unique([*terms, *part])
        else:
            drop = {frozenset(t) for t in part}
            terms = [t for t in terms if frozenset(t) not in drop]
    ordered = sorted(terms, key=len)  # stable: by degree, formula order within
    return ParsedFormula(text=text, outcome=outcome, terms=tuple(ordered), intercept=intercept)


def _arith_columns(node: Arith) -> list[str]:
    kind = node[0]
    if kind == "col":
        return [node[1]]
    if kind == "num":
        return []
    if kind == "neg":
        return _arith_columns(node[1])
    return _arith_columns(node[2]) + _arith_columns(node[3])


def _arith_text(node: Arith) -> str:
    kind = node[0]
    if kind == "col":
        return str(node[1])
    if kind == "num":
        v = float(node[1])
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if kind == "neg":
        return f"-{_arith_text(node[1])}"
    op, left, right = node[1], _arith_text(node[2]), _arith_text(node[3])
    if node[2][0] == "bin":
        left = f"({left})"
    if node[3][0] == "bin":
        right = f"({right})"
    return f"{left} {op} {right}"


def parse_formula(text: str) -> ParsedFormula:
    """Parse ``text`` against the restricted grammar; no data is read.

    Raises
    ------
    FormulaError
        Naming the offending piece, for anything outside the grammar.
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("a formula must be a non-empty string like `y ~ a + b`")
    return _Parser(text).formula()
