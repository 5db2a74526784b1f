"""surveytk's one restricted expression language: conditions, derived variables, I(...).

Sample rules and ``--subpop`` (conditions), ``--define NAME=EXPR`` (derived
variables) and the insides of formula terms (``I(...)``, ``log(x)``,
``cut(x, [...])``) are all written in this language and parsed here. The text
is tokenised (:mod:`surveytk.language.lexer`) and parsed by a small recursive-descent
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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveytk.errors import SpecError
from surveytk.language.evaluate import (
    NUMERIC_FUNCTIONS,
    Evaluator,
    Vec,
    column_vec,
    frame_resolver,
    vec_to_series,
)
from surveytk.language.lexer import close_matches_hint, forbidden_word
from surveytk.language.parser import (
    CONDITION_HINT,
    FUNCTIONS,
    HINT,
    ExpressionParser,
    tokens_of,
)
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
    columns_of,
    to_text,
)

__all__ = [
    "CONDITION_HINT",
    "FUNCTIONS",
    "HINT",
    "NUMERIC_FUNCTIONS",
    "Arith",
    "BoolOp",
    "Cat",
    "Col",
    "Compare",
    "Condition",
    "Cut",
    "Definition",
    "Evaluator",
    "ExpressionParser",
    "Func",
    "IsMissing",
    "Lit",
    "Member",
    "Neg",
    "Node",
    "Not",
    "Vec",
    "apply_definitions",
    "column_vec",
    "columns_of",
    "definition_inputs",
    "frame_resolver",
    "parse_condition",
    "parse_definition",
    "parse_definitions",
    "to_text",
    "tokens_of",
    "vec_to_series",
]

_WORD_OPS = ("and", "or", "not")




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
                f"--define {d.name}: the data already have a column {d.name!r}; "
                "choose another name",
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


