"""The restricted model-formula grammar: parser and parsed formula.

A formula from an analysis spec (someone else's file) must never run code, so
it is tokenised (:mod:`surveytk.language.lexer`, the one tokeniser of surveytk's
expression language) and parsed here by a small recursive-descent parser;
nothing is handed to ``eval``, patsy or formulaic. The insides of ``I(...)``,
the functions and ``C(...)`` are parsed by
:class:`surveytk.language.parser.ExpressionParser`, the same parser as
conditions and ``--define``, so one language serves them all. Like that
parser, this module imports neither numpy nor pandas and reads no data:
:func:`parse_formula` turns text into a :class:`ParsedFormula` (outcome, terms
of :class:`Factor`, intercept) or raises a :class:`~surveytk.errors.FormulaError`
naming the offending piece and its position. Building the outcome and model
matrix from a parsed formula and a table lives in
:mod:`surveytk.models.formula`, which re-exports the public names.

Grammar (``docs/formulas.md`` has examples)::

    formula  := outcome "~" rhs
    outcome  := NAME | `quoted` | Q("name") | I(expr) | log/exp/sqrt/abs(expr)
    rhs      := product (("+" | "-") product)*
    product  := inter ("*" inter)*          # a*b = a + b + a:b
    inter    := atom (":" atom)*            # a:b = interaction
    atom     := NAME | `quoted` | Q("name") | "0" | "1" | "(" rhs ")"
              | C(NAME [, ref=literal] [, levels=[...]]) | I(expr)
              | log(expr) | exp(expr) | sqrt(expr) | abs(expr) | cut(expr, [breaks])
    expr     := the expression language of :mod:`surveytk.language.expr`

Terms of a :class:`ParsedFormula` are ordered by degree (main effects, then
two-way interactions, ...), stable within a degree; ``I(...)`` and function
factors are named by their canonical text (``I(age ** 2)``, ``log(income)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from surveytk.errors import FormulaError
from surveytk.language.lexer import Token, check_expression_size, forbidden_word
from surveytk.language.parser import HINT as EXPRESSION_HINT
from surveytk.language.parser import NUMERIC_FUNCTIONS, ExpressionParser, tokens_of
from surveytk.language.tree import Cat, Col, Cut, Func, Node, columns_of, to_text

__all__ = ["Factor", "ParsedFormula", "Term", "parse_formula"]

#: most right-hand-side terms a formula may expand to (`a*b*c*...` grows as 2^k)
MAX_TERMS = 2_000

_HINT = (
    "use column names, C(x), I(arithmetic), : and *, log/exp/sqrt/abs(x), cut(x, [..]); "
    "inside I(...): " + EXPRESSION_HINT.removeprefix("allowed: ")
)

# ---------------------------------------------------------------------------
# parsed pieces
# ---------------------------------------------------------------------------

FactorKind = Literal["var", "cat", "arith", "derived"]


@dataclass(frozen=True)
class Factor:
    """One factor of a term.

    ``var``: a column; ``cat``: ``C(column, ...)``; ``arith``: a numeric
    expression (``I(...)``, ``log(x)``, ...), evaluated from its columns;
    ``derived``: a categorical expression (``cut(x, [...])``), a variable of
    the model frame named by its canonical text.
    """

    kind: FactorKind
    name: str  # column name, or canonical text of the expression
    ref: str | None = None  # reference level of C(x, ref=...), as text
    expr: Node | None = None  # expression tree of arith and derived factors
    levels: tuple[str, ...] | None = None  # level order of C(x, levels=[...])

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns this factor reads."""
        if self.expr is not None:
            return tuple(dict.fromkeys(columns_of(self.expr)))
        return (self.name,)

    @property
    def variable_names(self) -> tuple[str, ...]:
        """The model-frame variables this factor depends on."""
        return (self.name,) if self.kind == "derived" else self.columns

    @property
    def label(self) -> str:
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
        The outcome column name, or the canonical text of an outcome expression
        (``I(2 - vote)``), which :func:`surveytk.models.formula.with_derived_columns`
        adds to a table under that name.
    terms
        Right-hand-side terms in model-matrix order (by degree, stable), each a
        tuple of :class:`Factor`; the intercept is not a term.
    intercept
        Whether the model has an intercept.
    outcome_expr
        The tree of an outcome expression; ``None`` for a plain column.
    """

    text: str
    outcome: str
    terms: tuple[Term, ...]
    intercept: bool
    outcome_expr: Node | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the right-hand side reads, in order of appearance."""
        seen: dict[str, None] = {}
        for term in self.terms:
            for f in term:
                seen.update(dict.fromkeys(f.columns))
        return tuple(seen)

    @property
    def outcome_columns(self) -> tuple[str, ...]:
        """The data columns the outcome reads."""
        if self.outcome_expr is None:
            return (self.outcome,)
        return tuple(dict.fromkeys(columns_of(self.outcome_expr)))

    @property
    def derived(self) -> dict[str, Node]:
        """Expressions to add as columns: outcome expression and categorical factors."""
        out: dict[str, Node] = {}
        if self.outcome_expr is not None:
            out[self.outcome] = self.outcome_expr
        for term in self.terms:
            for f in term:
                if f.kind == "derived" and f.expr is not None:
                    out[f.name] = f.expr
        return out


_FUNCTION_ATOMS = ("I", "cut", *NUMERIC_FUNCTIONS)


class _Parser:
    """Recursive-descent parser for the grammar in the module docstring."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokens_of(text, error=FormulaError, what="a formula", hint=_HINT)
        self.i = 0

    # -- helpers --------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def accept(self, text: str) -> bool:
        if self.tok.kind == "op" and self.tok.text == text:
            self.i += 1
            return True
        return False

    def expect(self, text: str, where: str) -> None:
        if not self.accept(text):
            found = self.tok.text or "end of formula"
            raise FormulaError(
                f"expected `{text}` {where} in formula {self.text!r} at position "
                f"{self.tok.pos + 1}, found `{found}`"
            )

    def fail_token(self, t: Token) -> FormulaError:
        if t.kind == "string":
            return FormulaError(
                f"string {t.text} is not allowed in a formula except as a level in "
                f'C(x, ref="level") or a comparison inside I(...); {_HINT}',
                value=t.text,
            )
        if t.kind == "end":
            return FormulaError(f"formula {self.text!r} ends too early; {_HINT}")
        return FormulaError(
            f"`{t.text}` is not allowed here in a formula (position {t.pos + 1} of "
            f"{self.text!r}); {_HINT}",
            value=t.text,
        )

    def _next_is(self, text: str) -> bool:
        nxt = self.tokens[min(self.i + 1, len(self.tokens) - 1)]
        return nxt.kind == "op" and nxt.text == text

    def expression(self) -> ExpressionParser:
        return ExpressionParser(self.text, self.tokens, error=FormulaError, what="formula",
                                hint=_HINT, start=self.i)

    def call_node(self) -> Node:
        """A function call (I, log, ..., C, cut, Q) parsed by the expression parser."""
        p = self.expression()
        node = p.name_or_call()
        self.i = p.i
        return node

    def name(self) -> str:
        t = self.tok
        if t.kind == "qname":
            self.i += 1
            return t.value
        if t.kind == "name" and t.text == "Q" and self._next_is("("):
            node = self.call_node()
            assert isinstance(node, Col)
            return node.name
        if t.kind != "name":
            raise self.fail_token(t)
        if forbidden_word(t.text):
            raise FormulaError(f"`{t.text}` is not allowed in a formula; {_HINT}", value=t.text)
        if self._next_is("("):
            raise FormulaError(
                f"`{t.text}(...)` is not allowed in a formula: the functions are C, I, Q, "
                f"cut, {', '.join(NUMERIC_FUNCTIONS)}; {_HINT}",
                value=t.text,
            )
        self.i += 1
        return t.text

    # -- formula --------------------------------------------------------------
    def formula(self) -> ParsedFormula:
        if sum(1 for t in self.tokens if t.kind == "op" and t.text == "~") != 1:
            raise FormulaError(
                f"formula {self.text!r} must have the form `outcome ~ terms` (one `~`)"
            )
        outcome, outcome_expr = self.outcome()
        self.expect("~", "after the outcome")
        items = self.rhs()
        if self.tok.kind != "end":
            raise self.fail_token(self.tok)
        return _assemble(self.text, outcome, items, outcome_expr)

    def outcome(self) -> tuple[str, Node | None]:
        t = self.tok
        if t.kind == "name" and t.text in _FUNCTION_ATOMS and self._next_is("("):
            node = self.call_node()
            if isinstance(node, Cut):
                raise FormulaError(
                    f"the outcome of {self.text!r} cannot be cut(...); cut a predictor, or "
                    "--define the outcome"
                )
            if not columns_of(node):
                raise FormulaError(f"the outcome of {self.text!r} must use a column")
            return to_text(node), node
        return self.name(), None

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
        if t.kind == "name" and t.text in ("C", *_FUNCTION_ATOMS) and self._next_is("("):
            return [(self.function_factor(),)]
        return [(Factor("var", self.name()),)]

    def function_factor(self) -> Factor:
        start = self.tok
        node = self.call_node()
        if isinstance(node, Cat):
            return Factor("cat", node.column, ref=node.ref, levels=node.levels)
        if not columns_of(node):
            raise FormulaError(
                f"{start.text}(...) must use at least one column in {self.text!r} (a number "
                "or string alone is a constant)"
            )
        if isinstance(node, Cut):
            return Factor("derived", to_text(node), expr=node)
        if isinstance(node, Func) and node.name == "I" and isinstance(node.operand, Col):
            return Factor("var", node.operand.name)
        return Factor("arith", to_text(node), expr=node)


def _merge(a: Term, b: Term) -> Term:
    out = list(a)
    for f in b:
        if f not in out:
            out.append(f)
    return tuple(out)


def _unique(terms: Iterable[Term]) -> list[Term]:
    """Terms in order, each set of factors once (linear: a set of keys, no list scan)."""
    out: list[Term] = []
    keys: set[frozenset[Factor]] = set()
    for t in terms:
        k = frozenset(t)
        if k not in keys:
            keys.add(k)
            out.append(t)
    if len(out) > MAX_TERMS:
        raise FormulaError(
            f"the formula expands to more than {MAX_TERMS:,} terms; a model that large "
            "cannot be estimated from survey data — use fewer terms or interactions",
            reason="too_large",
        )
    return out


def _assemble(
    text: str,
    outcome: str,
    items: list[tuple[str, list[Term] | str]],
    outcome_expr: Node | None = None,
) -> ParsedFormula:
    intercept = True
    terms: list[Term] = []
    for sign, part in items:
        if isinstance(part, str):
            intercept = (sign == "+") == (part == "1")
            continue
        if sign == "+":
            terms.extend(part)
        else:
            drop = {frozenset(t) for t in part}
            terms = [t for t in _unique(terms) if frozenset(t) not in drop]
    terms = _unique(terms)
    ordered = sorted(terms, key=len)  # stable: by degree, formula order within
    return ParsedFormula(
        text=text,
        outcome=outcome,
        terms=tuple(ordered),
        intercept=intercept,
        outcome_expr=outcome_expr,
    )


def parse_formula(text: str) -> ParsedFormula:
    """Parse ``text`` against the restricted grammar; no data is read.

    Raises
    ------
    FormulaError
        Naming the offending piece, for anything outside the grammar.
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("a formula must be a non-empty string like `y ~ a + b`")
    check_expression_size(text, what="formula", error=FormulaError)
    return _Parser(text).formula()
