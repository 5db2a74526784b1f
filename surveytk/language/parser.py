"""Recursive-descent parser of the expression language (grammar: :mod:`surveytk.language.expr`)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from surveytk.errors import SpecError, SurveytkError
from surveytk.language.lexer import Token, check_expression_size, forbidden_word, tokenise
from surveytk.language.tree import (
    Arith,
    BoolOp,
    Cat,
    Col,
    Compare,
    Cut,
    Func,
    IsMissing,
    Lit,
    Member,
    Neg,
    Node,
    Not,
    level_key,
)

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
NUMERIC_FUNCTIONS = ("log", "exp", "sqrt", "abs")
FUNCTIONS = ("I", "Q", "C", "cut", *NUMERIC_FUNCTIONS)
_COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
_WORD_OPS = {"and": "&", "or": "|", "not": "~"}
_LITERAL_WORDS = {"true": True, "false": False}


ErrorFactory = Callable[..., SurveytkError]


def _bad_char_factory(error: ErrorFactory, what: str, hint: str) -> Callable[[str, int], Exception]:
    def bad_char(text: str, pos: int) -> Exception:
        return error(
            f"`{text[pos]}` is not allowed in {what} {text!r} (position {pos + 1}); {hint}",
            value=text[pos],
        )

    return bad_char


def tokens_of(text: str, *, error: ErrorFactory, what: str, hint: str) -> list[Token]:
    """Tokens of ``text``; a character outside the language raises ``error``, and so
    does text too long or too deeply nested
    (:func:`surveytk.language.lexer.check_expression_size`)."""
    check_expression_size(text, what=f"{what} {text[:40]!r}...", error=error)
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
            v = inner.value if isinstance(inner, Lit) else None
            if isinstance(v, int | float) and not isinstance(v, bool):
                return Lit(-v)
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
            a < b for a, b in itertools.pairwise(numbers)
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
                levels = tuple(level_key(v) for v in self.literal_list())
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
            return "-" + level_key(_number(self.tokens[self.i - 1].text))
        if t.kind in ("string", "number"):
            self.i += 1
            return t.value if t.kind == "string" else level_key(_number(t.text))
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




