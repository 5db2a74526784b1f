"""Domains (subpopulations) from a restricted boolean expression.

``--subpop`` and analysis specs give a domain as text such as
``female == 1`` or ``source == "wodc" & age >= 30``. The text is parsed with
:mod:`ast` and walked by a small interpreter that knows only column names,
constants, comparisons, ``in [...]`` lists and the boolean operators; nothing
is ever passed to ``eval``, so a spec written by someone else cannot run code.
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np
import pandas as pd

from surveytk.errors import DesignError

_COMPARE = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}

_SUBPOP_HINT = (
    'allowed: column names, numbers, "text", True/False, comparisons (== != < <= > >=), '
    "in [..], &, |, ~, and, or, not, parentheses"
)


def subpop_mask(data: pd.DataFrame, expr: str) -> np.ndarray:
    """Evaluate a restricted subpopulation expression to a boolean row mask.

    Parameters
    ----------
    data
        The analysis table.
    expr
        E.g. ``female == 1`` or ``source == "wodc" & age >= 30`` or
        ``host_country in ["POL", "DEU"]``. Parsed with :mod:`ast`; only
        names, constants, comparisons, ``&``/``|``/``~``, ``and``/``or``/``not``
        and lists of constants are allowed. Nothing is evaluated as Python.

    Returns
    -------
    numpy.ndarray
        Boolean mask; rows where a compared value is missing are ``False``.

    Raises
    ------
    DesignError
        Syntax outside the grammar or an unknown column.
    """
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise DesignError(
            f"--subpop {expr!r} is not a valid expression ({exc.msg}); {_SUBPOP_HINT}"
        ) from None
    out = _eval_bool(tree.body, data, expr)
    return np.asarray(out, dtype=bool)


def _fail(expr: str, node: ast.AST) -> DesignError:
    what = type(node).__name__
    return DesignError(f"--subpop {expr!r}: {what} is not allowed; {_SUBPOP_HINT}", value=what)


def _eval_bool(node: ast.AST, data: pd.DataFrame, expr: str) -> np.ndarray:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
        left = _eval_bool(node.left, data, expr)
        right = _eval_bool(node.right, data, expr)
        return left & right if isinstance(node.op, ast.BitAnd) else left | right
    if isinstance(node, ast.BoolOp):
        parts = [_eval_bool(v, data, expr) for v in node.values]
        acc = parts[0]
        for p in parts[1:]:
            acc = acc & p if isinstance(node.op, ast.And) else acc | p
        return acc
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert | ast.Not):
        return ~_eval_bool(node.operand, data, expr)
    if isinstance(node, ast.Compare):
        return _eval_compare(node, data, expr)
    if isinstance(node, ast.Name):
        s = _subpop_column(node.id, data, expr)
        if not pd.api.types.is_bool_dtype(s.dtype):
            raise DesignError(
                f"--subpop {expr!r}: column {node.id!r} is not boolean; compare it, "
                f"e.g. {node.id} == 1",
                variable=node.id,
            )
        return np.asarray(s.fillna(False).to_numpy(dtype=bool), dtype=bool)
    raise _fail(expr, node)


def _subpop_column(name: str, data: pd.DataFrame, expr: str) -> pd.Series:
    if name not in data.columns:
        raise DesignError(f"--subpop {expr!r}: no column {name!r} in the data", variable=name)
    return data[name]


def _operand(node: ast.AST, data: pd.DataFrame, expr: str) -> Any:
    if isinstance(node, ast.Name):
        if node.id in ("True", "False"):
            return node.id == "True"
        return _subpop_column(node.id, data, expr)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
    ):
        return -node.operand.value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [_operand(e, data, expr) for e in node.elts]
    raise _fail(expr, node)


def _compare(left: Any, op: str, right: Any) -> np.ndarray:
    if op in ("in", "not in"):
        if not isinstance(left, pd.Series) or not isinstance(right, list):
            raise DesignError("--subpop: `in` needs a column on the left and a [list] on the right")
        hit = left.isin(right).to_numpy(dtype=bool)
        return hit if op == "in" else ~hit & left.notna().to_numpy(dtype=bool)
    res = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }[op](left, right)
    if isinstance(res, pd.Series):
        return np.asarray(res.fillna(False).to_numpy(dtype=bool), dtype=bool)
    return np.asarray(res, dtype=bool)


def _eval_compare(node: ast.Compare, data: pd.DataFrame, expr: str) -> np.ndarray:
    left = _operand(node.left, data, expr)
    acc = np.ones(len(data), dtype=bool)
    for op_node, comp in zip(node.ops, node.comparators, strict=True):
        op = _COMPARE.get(type(op_node))
        if op is None:
            raise _fail(expr, op_node)
        right = _operand(comp, data, expr)
        if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
            raise DesignError(f"--subpop {expr!r}: a comparison must involve a column")
        try:
            acc &= _compare(left, op, right)
        except TypeError as exc:
            raise DesignError(
                f"--subpop {expr!r}: cannot compare these types ({exc}); quote text values"
            ) from None
        left = right
    return acc
