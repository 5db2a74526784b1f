"""The parsed tree of an expression, and its canonical text (no data, no numpy)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any


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
        return tuple(f"[{lo}, {hi})" for lo, hi in itertools.pairwise(b))


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


def literal_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return _number_text(v)


def to_text(node: Node) -> str:
    """Canonical text of ``node`` (one space around binary operators)."""
    if isinstance(node, Lit):
        return literal_text(node.value)
    if isinstance(node, Col):
        return _name_text(node.name)
    if isinstance(node, Neg):
        return f"-{_wrap(node.operand)}"
    if isinstance(node, Arith | Compare):
        return f"{_wrap(node.left)} {node.op} {_wrap(node.right)}"
    if isinstance(node, Member):
        values = ", ".join(literal_text(v) for v in node.values)
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



def level_key(v: Any) -> str:
    """The text of a level: integral numbers without ``.0``, booleans as True/False."""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
