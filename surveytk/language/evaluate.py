"""Evaluating an expression tree on a table: numbers, booleans, text and categories,
with missing values (Kleene logic for and/or/not)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveytk.errors import SpecError, SurveytkError
from surveytk.language.lexer import close_matches_hint
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
    literal_text,
    to_text,
)

ErrorFactory = Callable[..., SurveytkError]
#: the numeric functions of the language
NUMERIC_FUNCTIONS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = {
    "log": np.log,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "abs": np.abs,
}



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
            return Vec("boolean", np.full(self.n, v), none, label=literal_text(v))
        if isinstance(v, str):
            return Vec("text", np.full(self.n, v, dtype=object), none, label=literal_text(v))
        return Vec("number", np.full(self.n, float(v)), none, label=literal_text(v))

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
        values = np.asarray(labels, dtype=object)[np.clip(idx, 0, len(labels) - 1)]
        values[~inside] = None
        return Vec("category", values, ~inside, levels=labels, label=to_text(node))

    def _cat(self, node: Cat) -> Vec:
        v = self.resolve(node.column)
        present = [level_key(x) for x in (v.levels or pd.unique(v.values[~v.missing]))]
        if node.levels is not None:
            extra = sorted(set(present) - set(node.levels))
            seen = set(level_key(x) for x in v.values[~v.missing])
            extra = [e for e in extra if e in seen]
            if extra:
                raise self.error(
                    f"{to_text(node)} in {self.what} {self.text!r}: value(s) "
                    f"{', '.join(map(repr, extra[:5]))} of {node.column!r} are not in "
                    "levels=[...]; "
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
        values = _level_texts(v.values, v.missing)
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
            out = np.isin(v.values.astype(str), [level_key(x) for x in node.values])
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


def _level_texts(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Level texts of ``values`` (``None`` where missing), one conversion per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.asarray([level_key(u) for u in uniques] + [None], dtype=object)
    out = texts[codes]
    out[np.asarray(missing, dtype=bool)] = None
    return out


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
        levels = [level_key(x) for x in (v.levels or ())]
        vals = _level_texts(v.values, v.missing)
        return pd.Series(pd.Categorical(vals, categories=levels), index=index, name=name)
    if v.series is not None:
        return v.series.rename(name)
    text = np.array(v.values, dtype=object)
    text[np.asarray(v.missing, dtype=bool)] = None
    return pd.Series(text, index=index, name=name, dtype="string")


