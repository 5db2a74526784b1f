"""Values of a harmonised column in their schema type, with plausibility checks.

Invalid values never pass silently: text that is not a number, a date or a
boolean is a problem; a number outside the schema ``range`` becomes missing with
reason ``implausible`` (counted in :attr:`Context.implausible` for the audit and
the console) or, under ``--strict`` / ``out_of_range: error``, a problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from surveytk.codebook.book import Codebook
from surveytk.codebook.model import SchemaVariable, VariableSpec
from surveytk.disclosure import DEFAULT_THRESHOLD
from surveytk.errors import ProblemList
from surveytk.harmonise.column import REASON_CODE, VALID, Col, format_id_part, to_float


def shown_count(n: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A count for messages: ``"fewer than 10"`` below the disclosure threshold."""
    return f"fewer than {threshold}" if 0 < n < threshold else str(n)


@dataclass(frozen=True)
class Implausible:
    """Values of one variable set missing as ``implausible``, and why (for audit and console)."""

    variable: str
    n: int
    why: str

    def warning(self, threshold: int = DEFAULT_THRESHOLD) -> str:
        shown = shown_count(self.n, threshold)
        return (f"{self.variable}: {shown} values {self.why} set missing as implausible "
                "(counted in the audit; --strict makes this an error)")


class CoerceContext(Protocol):
    """What coercion asks of the engine's context (:class:`~surveytk.harmonise.engine.Context`)."""

    book: Codebook
    problems: ProblemList
    #: out-of-range values are problems instead of ``implausible``
    strict: bool
    #: per variable, the values set missing as ``implausible`` (filled here)
    implausible: dict[str, Implausible]


def coerce(ctx: CoerceContext, name: str, spec: VariableSpec | None, var: SchemaVariable,
           values: pd.Series, reason: np.ndarray, col: Col) -> pd.Series:
    """Values of the schema type (invalid ones become problems or ``implausible``)."""
    ok = reason == VALID
    where = ctx.book.where("variables", name) if spec is not None else (
        f"schema.yaml (variable {name})")
    src = f"{col.file}: {col.origin}" if col.file else col.origin
    if var.type in ("category", "ordered"):
        levels = list(var.level_values)
        codes, found = pd.factorize(values, use_na_sentinel=True)
        uniques = np.asarray(found, dtype=object)
        lookup = np.asarray([levels.index(u) if u in levels else -2 for u in uniques] + [-1],
                            dtype=np.int64)
        cat_codes = lookup[codes]
        bad = ok & (cat_codes == -2)
        if bad.any():
            shown = sorted({str(u) for u, c in zip(uniques, lookup, strict=False) if c == -2})
            ctx.problems.add(f"{src}: values {shown[:10]} are not levels of {name}; map them in "
                             f"{where}", variable=name)
            reason[bad] = REASON_CODE["unmapped_in_source"]
        cat_codes[(reason != VALID) | (cat_codes < 0)] = -1
        dtype = pd.CategoricalDtype(levels, ordered=var.type == "ordered")
        return pd.Series(pd.Categorical.from_codes(cat_codes, dtype=dtype))
    if var.type == "boolean":
        if isinstance(values.dtype, pd.BooleanDtype):
            truth = values.to_numpy(dtype=bool, na_value=False)
            unknown = values.isna().to_numpy()
        else:
            codes, distinct = pd.factorize(values, use_na_sentinel=True)
            parsed = [as_bool(u) for u in distinct]
            truth = np.asarray([p is True for p in parsed] + [False])[codes]
            unknown = np.asarray([p is None for p in parsed] + [True])[codes]
        bad = ok & unknown
        if bad.any():
            ctx.problems.add(f"{src}: {shown_count(int(bad.sum()))} values of {name} are not "
                             f"true/false; map them in {where}", variable=name)
            reason[bad] = REASON_CODE["unmapped_in_source"]
        mask = (reason != VALID) | unknown
        return pd.Series(pd.arrays.BooleanArray(truth & ~mask, mask))
    if var.type in ("integer", "float"):
        num = to_float(values)
        bad = ok & ~np.isfinite(num)
        if var.type == "integer":
            bad |= ok & np.isfinite(num) & (np.floor(num) != num)
        if bad.any():
            ctx.problems.add(f"{src}: {shown_count(int(bad.sum()))} values of {name} are not "
                             f"{var.type} numbers; fix the delivery or {where}", variable=name)
            reason[bad] = REASON_CODE["implausible"]
        if var.range is not None:
            check_range(ctx, name, spec, var.range, num, reason, src, where)
        num[reason != VALID] = np.nan
        return pd.Series(num)
    if var.type == "date":
        return coerce_dates(ctx, name, values, reason, src, where)
    return format_id_part(values).mask(reason != VALID)


def check_range(ctx: CoerceContext, name: str, spec: VariableSpec | None,
                bounds: tuple[float, float], num: np.ndarray, reason: np.ndarray, src: str,
                where: str) -> None:
    """Values outside the schema range: ``implausible`` (counted, warned) or problems."""
    lo, hi = bounds
    out = (reason == VALID) & ((num < lo) | (num > hi))
    if not out.any():
        return
    n_out = int(out.sum())
    if ctx.strict:
        ctx.problems.add(
            f"{src}: {shown_count(n_out)} values of {name} are outside [{lo:g}, {hi:g}]; fix "
            "the delivery, or run without --strict to set them missing as implausible",
            variable=name,
        )
    elif spec is not None and spec.out_of_range == "error":
        ctx.problems.add(
            f"{src}: {shown_count(n_out)} values of {name} are outside [{lo:g}, {hi:g}]; fix "
            f"the delivery or set out_of_range: implausible in {where}",
            variable=name,
        )
    else:
        reason[out] = REASON_CODE["implausible"]
        ctx.implausible[name] = Implausible(name, n_out, f"outside [{lo:g}, {hi:g}]")


def coerce_dates(ctx: CoerceContext, name: str, values: pd.Series, reason: np.ndarray, src: str,
                 where: str) -> pd.Series:
    """Dates of a directly mapped column; values that are not dates are problems.

    Date columns pass as they are; text is parsed (the format pandas infers from the
    first value, so a column of mixed formats shows up as unparseable values);
    numbers are refused, since a bare number has no calendar meaning.
    """
    ok = reason == VALID
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        dates = pd.Series(values).reset_index(drop=True)
    elif pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        if (ok & values.notna().to_numpy()).any():
            ctx.problems.add(
                f"{src}: {name} holds numbers, not dates; derive it with date_parse or "
                f"from year and month columns in {where}",
                variable=name,
            )
        reason[ok & values.notna().to_numpy()] = REASON_CODE["implausible"]
        dates = pd.Series(pd.NaT, index=range(len(values)), dtype="datetime64[s]")
    else:
        text = values.astype(object).where(ok & values.notna().to_numpy(), None)
        dates = pd.Series(pd.to_datetime(text, errors="coerce")).reset_index(drop=True)
        bad = ok & values.notna().to_numpy() & dates.isna().to_numpy()
        if bad.any():
            ctx.problems.add(
                f"{src}: {shown_count(int(bad.sum()))} values of {name} are not dates (or not "
                "in the "
                f"format of the first one); fix the delivery, or parse them with date_parse "
                f"and a format in {where}",
                variable=name,
            )
            reason[bad] = REASON_CODE["implausible"]
    dates = dates.dt.normalize().astype("datetime64[s]")
    return dates.mask(reason != VALID).reset_index(drop=True)


_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


def as_bool(value: object) -> bool | None:
    """``True``/``False`` from a boolean, 0/1, or the texts 0/1/true/false; ``None`` otherwise."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().casefold()
        return True if v in _TRUE else False if v in _FALSE else None
    return None
