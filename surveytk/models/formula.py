"""Outcome and model matrix from a parsed formula: :func:`build_model_frame`, :class:`ModelFrame`.

The formula grammar itself (tokeniser, recursive-descent parser,
:class:`ParsedFormula`, :func:`parse_formula` and its refusal messages) lives in
:mod:`surveytk.models.formula_grammar`; the public names from there are
re-exported here, so ``from surveytk.models.formula import parse_formula``
keeps working. This module checks a parsed formula against a table, drops
incomplete rows, encodes the variables and builds outcome and model matrix;
how each column is read (missing values, numbers, levels and their coding)
is :mod:`surveytk.models.column_coding`.

The model matrix is built directly with numpy rather than formulaic: the
encoding is simple (numeric, 0/1, treatment dummies and their products), the
result is exactly what formulaic/R produce for the same formula (the tests
compare them), and on one million rows it takes a few tens of milliseconds,
where formulaic's pandas paths take seconds. Keeping the encoding in our own
objects also gives :meth:`ModelFrame.transform`, the fast counterfactual
rebuild that average marginal effects need.

Conventions (R ``model.matrix`` / formulaic):

- Terms are ordered by degree (main effects, then two-way interactions, ...),
  stable within a degree; the intercept comes first and is named
  ``(Intercept)`` as in R.
- Columns are named readably: numeric ``age``, boolean ``female`` (0/1),
  categorical ``area[b]``, interactions joined with ``:`` (``area[b]:age``),
  arithmetic ``I(age ** 2)`` (canonical spacing).
- A categorical factor in a term is treatment-coded (reference dropped) when
  the rest of the term is already in the model (for a main effect: when there
  is an intercept); otherwise it gets one column per level (R's rule; e.g.
  ``0 + C(a)`` or ``x + C(a):z``).
- Levels: pandas category order (ordered or not), otherwise sorted values;
  levels that do not occur in the estimation sample are dropped. The
  reference is the first level unless ``C(x, ref=...)`` names another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from surveytk.analysis_frame import VALUE_LABELS_ATTR
from surveytk.disclosure import counts_text
from surveytk.errors import FormulaError
from surveytk.language.expr import Evaluator, Vec, frame_resolver, vec_to_series
from surveytk.language.lexer import close_matches_hint
from surveytk.models.column_coding import (
    LevelCoding,
    OutcomeKind,
    choose_coding,
    is_bool,
    is_categorical_like,
    level_codes,
    level_text,
    missing_mask,
    numeric_values,
    outcome_values,
)
from surveytk.models.formula_grammar import Factor, ParsedFormula, Term, parse_formula

__all__ = [
    "INTERCEPT",
    "OUTCOME_KINDS",
    "Factor",
    "ModelFrame",
    "OutcomeKind",
    "ParsedFormula",
    "Term",
    "VariableInfo",
    "VariableKind",
    "build_model_frame",
    "parse_formula",
    "with_derived_columns",
]

VariableKind = Literal["numeric", "boolean", "categorical"]
OUTCOME_KINDS: tuple[str, ...] = ("binary", "ordinal", "nominal", "continuous")
INTERCEPT = "(Intercept)"

# ---------------------------------------------------------------------------
# expressions of the formula on data
# ---------------------------------------------------------------------------

def _encoded_resolver(
    values: Mapping[str, np.ndarray], kinds: Mapping[str, VariableKind]
) -> Callable[[str], Vec]:
    """Encoded model-frame variables as expression values (booleans as 0/1 → true/false)."""

    def resolve(name: str) -> Vec:
        v = np.asarray(values[name], dtype=np.float64)
        missing = np.isnan(v)
        if kinds.get(name) == "boolean":
            return Vec("boolean", v == 1.0, missing, label=name)
        return Vec("number", v, missing, label=name)

    return resolve


def _expression_values(
    f: Factor, values: Mapping[str, np.ndarray], kinds: Mapping[str, VariableKind], n: int
) -> np.ndarray:
    assert f.expr is not None
    ev = Evaluator(_encoded_resolver(values, kinds), n, text=f.name, what="formula term",
                   error=FormulaError)
    out = ev.run(f.expr)
    x = ev.number(out, f.name)
    return np.where(out.missing, np.nan, x)


def with_derived_columns(data: pd.DataFrame, formula: str | ParsedFormula) -> pd.DataFrame:
    """``data`` with the formula's derived columns added where absent.

    The outcome expression (``I(2 - vote) ~ ...``) and categorical factors
    (``cut(age, [18, 30, 45])``) become columns named by their canonical text,
    so every model family reads them like any column.
    """
    parsed = parse_formula(formula) if isinstance(formula, str) else formula
    todo = {k: v for k, v in parsed.derived.items() if k not in data.columns}
    if not todo:
        return data
    out = data.copy()
    for name, node in todo.items():
        ev = Evaluator(
            frame_resolver(out, text=parsed.text, what="formula", error=FormulaError),
            len(out),
            text=parsed.text,
            what="formula",
            error=FormulaError,
        )
        out[name] = vec_to_series(ev.run(node), out.index, name)
    return out


def _value_labels(data: pd.DataFrame) -> Mapping[str, Mapping[str, str]]:
    labels = data.attrs.get(VALUE_LABELS_ATTR)
    return labels if isinstance(labels, Mapping) else {}


# ---------------------------------------------------------------------------
# variables and their encodings
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VariableInfo:
    """How one data column enters the model (what margins needs).

    Attributes
    ----------
    name
        The data column.
    kind
        ``numeric`` (derivative), ``boolean`` (0/1, discrete change) or
        ``categorical`` (treatment dummies, discrete change per level).
    columns
        Indices of model-matrix columns that depend on this variable
        (main effect, interactions and I(...) terms).
    levels, reference
        Categorical levels (as text, in coding order) and the reference level;
        ``()`` and ``None`` for numeric and boolean variables.
    """

    name: str
    kind: VariableKind
    columns: tuple[int, ...]
    levels: tuple[str, ...] = ()
    reference: str | None = None


@dataclass(frozen=True)
class _ColumnSpec:
    """One model-matrix column: a product of factor pieces."""

    name: str
    # each piece: ("num", factor) or ("ind", factor, level index)
    pieces: tuple[tuple[Any, ...], ...]


# ---------------------------------------------------------------------------
# ModelFrame
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelFrame:
    """Outcome, model matrix and the encoding that made them.

    Attributes
    ----------
    formula
        The parsed formula.
    outcome_kind
        ``binary``, ``ordinal``, ``nominal`` or ``continuous``.
    y
        Outcome for the rows used: float 0/1 (binary), float (continuous) or
        int64 codes 0..J−1 into ``y_levels`` (ordinal, nominal).
    y_levels
        Outcome levels as text (ordinal in order, nominal in category or sorted
        order); ``()`` for binary and continuous outcomes.
    X
        float64 C-contiguous n × k model matrix of the rows used.
    terms
        Column names of ``X``, intercept first.
    term_groups
        One :class:`VariableInfo` per data column read by the right-hand side.
    row_mask
        Boolean array over the input rows: True where the row is used.
    dropped
        Variable → rows left out because that variable is missing (a row missing
        on several variables counts once for each), plus ``"total"``.
    """

    formula: ParsedFormula
    outcome_kind: OutcomeKind
    y: np.ndarray
    y_levels: tuple[str, ...]
    X: np.ndarray
    terms: tuple[str, ...]
    term_groups: tuple[VariableInfo, ...]
    row_mask: np.ndarray
    dropped: Mapping[str, int]
    _specs: tuple[_ColumnSpec, ...] = field(repr=False, default=())
    _codings: Mapping[str, LevelCoding] = field(repr=False, default_factory=dict)
    _values: Mapping[str, np.ndarray] = field(repr=False, default_factory=dict)

    @property
    def n_obs(self) -> int:
        return int(self.X.shape[0])

    @property
    def variables(self) -> dict[str, VariableInfo]:
        """``term_groups`` keyed by column name."""
        return {v.name: v for v in self.term_groups}

    def variable_values(self, name: str) -> np.ndarray:
        """The encoded values of ``name`` on the rows used (floats, or level codes)."""
        return self._values[name]

    def encode(self, name: str, values: Any) -> np.ndarray | float:
        """Encode raw values (or a scalar) of variable ``name`` as :meth:`transform` wants.

        Categorical values are given as levels (value or its text); boolean as
        True/False/0/1; numeric as numbers.
        """
        info = self.variables.get(name)
        if info is None:
            raise FormulaError(f"{name!r} is not a variable of formula {self.formula.text!r}")
        if info.kind != "categorical":
            if np.ndim(values) == 0:
                return float(values)
            return np.asarray(values, dtype=np.float64)
        coding = self._codings[name]
        lookup = {lab: i for i, lab in enumerate(coding.labels)}
        lookup_val = {v: i for i, v in enumerate(coding.levels)}

        def one(v: Any) -> int:
            if v in lookup_val:
                return lookup_val[v]
            t = level_text(v)
            if t in lookup:
                return lookup[t]
            raise FormulaError(
                f"{t!r} is not a level of {name!r} in this model; levels: "
                + ", ".join(coding.labels),
                variable=name,
                value=t,
            )

        if np.isscalar(values) or values is None:
            return float(one(values))
        return np.array([one(v) for v in values], dtype=np.float64)

    def transform(
        self,
        new_data: pd.DataFrame | None = None,
        overrides: Mapping[str, np.ndarray | float] | None = None,
    ) -> np.ndarray:
        """Rebuild the model matrix with the same encoding, for counterfactual data.

        Parameters
        ----------
        new_data
            Rows to encode (all of them are used, nothing is dropped); ``None``
            means the estimation sample, from the encoded values kept here
            (fast: no pandas work).
        overrides
            Variable → replacement values (scalar or array of the row count),
            already encoded as :meth:`encode` returns them: numbers for numeric
            and boolean variables, level codes for categorical ones. This is how
            margins sets ``x + h`` or a level for every row.

        Returns
        -------
        numpy.ndarray
            float64 C-contiguous matrix with the columns of ``terms``.
        """
        if new_data is None:
            values: dict[str, np.ndarray] = dict(self._values)
            n = self.n_obs
        else:
            n = len(new_data)
            values = {
                v.name: self._encode_column(new_data, v)
                for v in self.term_groups
                if not overrides or v.name not in overrides
            }
        if overrides:
            for name, val in overrides.items():
                if name not in self._values:
                    raise FormulaError(
                        f"{name!r} is not a variable of formula {self.formula.text!r}"
                    )
                values[name] = np.broadcast_to(np.asarray(val, dtype=np.float64), (n,))
        kinds = {v.name: v.kind for v in self.term_groups}
        return _build_matrix(self._specs, values, n, kinds)

    def _encode_column(self, data: pd.DataFrame, info: VariableInfo) -> np.ndarray:
        if info.name not in data.columns and info.name in self.formula.derived:
            data = with_derived_columns(data, self.formula)
        if info.name not in data.columns:
            raise FormulaError(f"new data lack column {info.name!r} used by the formula")
        s = data[info.name]
        if info.kind == "categorical":
            coding = self._codings[info.name]
            codes = level_codes(s, coding.levels).astype(np.float64)
            unknown = (codes < 0) & ~missing_mask(s)
            if unknown.any():
                raise FormulaError(
                    f"new data have {int(unknown.sum())} value(s) of {info.name!r} that are not "
                    "levels of the fitted model; levels: " + ", ".join(coding.labels),
                    variable=info.name,
                )
            codes[codes < 0] = np.nan
            return codes
        return numeric_values(s, info.name)


def _factor_values(
    f: Factor, values: Mapping[str, np.ndarray], kinds: Mapping[str, VariableKind], n: int
) -> np.ndarray:
    if f.kind == "arith":
        return _expression_values(f, values, kinds, n)
    return values[f.name]


def _build_matrix(
    specs: Sequence[_ColumnSpec],
    values: Mapping[str, np.ndarray],
    n: int,
    kinds: Mapping[str, VariableKind],
) -> np.ndarray:
    # C-ordered (row-wise products, scores and predictions, dominate later), filled
    # column by column in place: no second n × k array and no transposing copy
    X = np.empty((n, len(specs)), dtype=np.float64)
    cache: dict[Factor, np.ndarray] = {}
    for j, spec in enumerate(specs):
        out = X[:, j]
        if not spec.pieces:
            out.fill(1.0)
            continue
        for i, piece in enumerate(spec.pieces):
            f = piece[1]
            if f not in cache:
                cache[f] = _factor_values(f, values, kinds, n)
            v = cache[f]
            part = v if piece[0] == "num" else np.equal(v, piece[2])
            if i == 0:
                out[:] = part
            else:
                np.multiply(out, part, out=out)
    return X


def _check_columns(parsed: ParsedFormula, data: pd.DataFrame, extra: Sequence[str]) -> None:
    outcome = (parsed.outcome,) if parsed.outcome in data.columns else parsed.outcome_columns
    for col in (*outcome, *parsed.columns, *extra):
        if col not in data.columns:
            raise FormulaError(
                f"column {col!r} of formula {parsed.text!r} is not in the data"
                + close_matches_hint(col, data.columns),
                variable=col,
            )


def _variable_kinds(parsed: ParsedFormula, data: pd.DataFrame) -> dict[str, VariableKind]:
    kinds: dict[str, VariableKind] = {}
    for term in parsed.terms:
        for f in term:
            for col in f.variable_names:
                if f.kind in ("cat", "derived"):
                    kind: VariableKind = "categorical"
                elif is_bool(data[col]):
                    kind = "boolean"
                elif f.kind == "var" and is_categorical_like(data[col]):
                    kind = "categorical"
                else:
                    kind = "numeric"
                prev = kinds.get(col)
                if prev is not None and prev != kind:
                    raise FormulaError(
                        f"column {col!r} is used both as {prev} and as {kind} in formula "
                        f"{parsed.text!r}; use one encoding",
                        variable=col,
                    )
                kinds[col] = kind
    return kinds


def _column_specs(
    parsed: ParsedFormula,
    kinds: Mapping[str, VariableKind],
    codings: Mapping[str, LevelCoding],
) -> list[_ColumnSpec]:
    specs: list[_ColumnSpec] = []
    if parsed.intercept:
        specs.append(_ColumnSpec(INTERCEPT, ()))
    present = {frozenset(t) for t in parsed.terms}
    full_used = False
    for term in parsed.terms:
        # per factor: list of (name, piece)
        options: list[list[tuple[str, tuple[Any, ...]]]] = []
        for f in term:
            if f.kind == "arith" or kinds[f.name] != "categorical":
                options.append([(f.name, ("num", f))])
                continue
            coding = codings[f.name]
            rest = frozenset(g for g in term if g != f)
            if rest:
                contrasts = rest in present
            else:
                contrasts = parsed.intercept or full_used
                full_used = True
            start = 1 if contrasts else 0
            options.append(
                [
                    (f"{f.name}[{coding.labels[i]}]", ("ind", f, i))
                    for i in range(start, len(coding.levels))
                ]
            )
        combos: list[list[tuple[str, tuple[Any, ...]]]] = [[]]
        for opts in options:  # first factor varies fastest, like R
            combos = [[*c, o] for o in opts for c in combos]
        for combo in combos:
            specs.append(
                _ColumnSpec(":".join(name for name, _ in combo), tuple(p for _, p in combo))
            )
    return specs


def build_model_frame(
    formula: str | ParsedFormula,
    data: pd.DataFrame,
    *,
    outcome_kind: OutcomeKind = "binary",
    also_required: Sequence[str] = (),
) -> ModelFrame:
    """Check ``formula`` against ``data`` and build outcome and model matrix.

    Parameters
    ----------
    formula
        Formula text in the restricted grammar, or a :class:`ParsedFormula`.
    data
        The analysis table.
    outcome_kind
        ``binary`` (values 0/1 or boolean), ``ordinal`` (ordered category or
        integers; levels in order), ``nominal`` (category or string levels) or
        ``continuous``.
    also_required
        Further columns that must be non-missing for a row to be used (weights,
        strata, PSUs); their missing rows are counted in ``dropped`` too.

    Returns
    -------
    ModelFrame

    Raises
    ------
    FormulaError
        Grammar violations, unknown columns (with close matches), outcome
        values that do not fit ``outcome_kind``, a reference level that does
        not occur, no complete rows.
    """
    if outcome_kind not in OUTCOME_KINDS:
        raise FormulaError(
            f"outcome_kind: expecting one of {{{', '.join(OUTCOME_KINDS)}}}; got {outcome_kind!r}"
        )
    parsed = parse_formula(formula) if isinstance(formula, str) else formula
    _check_columns(parsed, data, also_required)
    data = with_derived_columns(data, parsed)
    kinds = _variable_kinds(parsed, data)
    derived = [name for name in parsed.derived if name != parsed.outcome]

    used = list(dict.fromkeys([parsed.outcome, *parsed.columns, *derived, *also_required]))
    missing = {col: missing_mask(data[col]) for col in used}
    any_missing = np.zeros(len(data), dtype=bool)
    for m in missing.values():
        any_missing |= m
    mask = ~any_missing
    dropped = {col: int(m.sum()) for col, m in missing.items() if m.any()}
    dropped["total"] = int(any_missing.sum())
    if not mask.any():
        raise FormulaError(
            f"no row of the data is complete on the columns of {parsed.text!r}; "
            "rows missing per column: " + counts_text(dropped)
        )

    labels = _value_labels(data)
    y, y_levels = outcome_values(
        data[parsed.outcome], mask, outcome_kind, parsed.outcome, labels.get(parsed.outcome)
    )

    cat_factors = {f.name: f for t in parsed.terms for f in t if f.kind == "cat"}
    complete = bool(mask.all())
    codings: dict[str, LevelCoding] = {}
    values: dict[str, np.ndarray] = {}
    for col, kind in kinds.items():
        s = data[col]
        if kind == "categorical":
            codings[col] = choose_coding(
                col, s, mask, cat_factors.get(col), parsed.text, labels.get(col)
            )
            values[col] = level_codes(s[mask], codings[col].levels).astype(np.float64)
        else:
            v = numeric_values(s, col)
            values[col] = v if complete else v[mask]  # every row: no copy of the column

    specs = _column_specs(parsed, kinds, codings)
    X = _build_matrix(specs, values, int(mask.sum()), kinds)
    if not np.isfinite(X).all():
        bad = [s.name for j, s in enumerate(specs) if not np.isfinite(X[:, j]).all()]
        raise FormulaError(
            f"model-matrix column(s) {', '.join(bad)} of {parsed.text!r} have non-finite "
            "values (division by zero, log or sqrt of a negative number or zero, or "
            "overflow); change the expression or --define the variable"
        )
    groups = tuple(
        VariableInfo(
            name=col,
            kind=kind,
            columns=tuple(
                j
                for j, s in enumerate(specs)
                if any(col in p[1].variable_names for p in s.pieces)
            ),
            levels=codings[col].labels if kind == "categorical" else (),
            reference=codings[col].labels[0] if kind == "categorical" else None,
        )
        for col, kind in kinds.items()
    )
    return ModelFrame(
        formula=parsed,
        outcome_kind=outcome_kind,
        y=y,
        y_levels=y_levels,
        X=X,
        terms=tuple(s.name for s in specs),
        term_groups=groups,
        row_mask=mask,
        dropped=dropped,
        _specs=tuple(specs),
        _codings=codings,
        _values=values,
    )
