"""The Python entry point: ``surveytk.models.fit(data, model=..., formula=..., ...)``.

Builds a :class:`~surveytk.models.options.FitOptions` from keyword arguments
(the same names as the ``surveytk fit`` flags, with ``_`` for ``-``) and
dispatches to the model family through
:func:`surveytk.models.registry.family_fit`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from surveytk.analysis_frame import (
    AnalysisFrame,
    DataLike,
    annotate_result,
    load_analysis_frame,
)
from surveytk.errors import ModelError
from surveytk.expr import Definition, definition_inputs, parse_definitions
from surveytk.models.formula import with_derived_columns
from surveytk.models.options import FitOptions
from surveytk.models.registry import family_fit

if TYPE_CHECKING:
    from surveytk.models.by import ResultSet
    from surveytk.models.results import FitResult

__all__ = ["DataLike", "as_frame", "fit", "fit_frame", "needed_columns", "used_columns"]


def needed_columns(
    options: FitOptions, definitions: Sequence[Definition] = ()
) -> list[str] | None:
    """Data columns a fit reads (through ``--define`` definitions), or ``None`` for all.

    ``None`` when replicate weights are chosen by a regular expression.
    """
    if options.repweights is not None:
        return None
    return definition_inputs(definitions, used_columns(options))


def used_columns(options: FitOptions) -> list[str]:
    """Columns the formula, the design and the subpopulation name (defined names included)."""
    from surveytk.expr import parse_condition
    from surveytk.models.formula import parse_formula

    parsed = parse_formula(options.formula)
    cols: list[str] = [*parsed.outcome_columns, *parsed.columns]
    for c in (
        options.weights,
        options.entity,
        options.time,
        options.offset,
        options.exposure,
        options.by,
    ):
        if c:
            cols.append(c)
    cols.extend(design_columns(options))
    if options.subpop:
        cols.extend(parse_condition(options.subpop).columns)
    return list(dict.fromkeys(cols))


def _stages(value: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    return value if value is None or isinstance(value, str) else tuple(value)


def design_columns(options: object) -> list[str]:
    """Columns the design of ``options`` reads besides the weights: every stage's strata,
    PSUs and fpc, and the calibration variables of ``--calibrate``."""
    from surveytk.survey.calibration import read_totals
    from surveytk.survey.options import DesignOptions

    o = DesignOptions.of(options)
    cols = [*o.strata, *o.psu, *o.fpc, *(c for c in (o.nonresponse, o.respondent) if c)]
    if o.calibrate is not None:
        cols.extend(read_totals(o.calibrate).variables)
    return cols


def as_frame(data: DataLike, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A DataFrame from a DataFrame, a LabelledFrame or a path any reader reads.

    Declared missing values of a file become missing
    (:func:`surveytk.analysis_frame.analysis_frame`).
    """
    return load_analysis_frame(data, columns=columns).data


def fit_frame(frame: AnalysisFrame, options: FitOptions) -> FitResult | ResultSet:
    """Fit on an analysis frame; its declared-missing counts go into notes and ``extra``.

    With ``options.by``, one fit per level (:func:`surveytk.models.by.fit_by`).
    """
    data = with_derived_columns(frame.data, options.formula)
    columns = used_columns(options)

    def one(d: pd.DataFrame, o: FitOptions) -> FitResult:
        return annotate_result(fit_with_tests(d, o), frame, columns)

    if options.by is not None:
        from surveytk.models.by import fit_by

        return fit_by(data, options, one)
    return one(data, options)


def fit(
    data: DataLike | None = None,
    *,
    model: str,
    formula: str,
    weights: str | None = None,
    strata: str | Sequence[str] | None = None,
    psu: str | Sequence[str] | None = None,
    fpc: str | Sequence[str] | None = None,
    keep_user_missing: bool = False,
    define: Sequence[str] | Mapping[str, str] | None = None,
    value_labels: bool = True,
    **options: Any,
) -> FitResult | ResultSet:
    """Fit a model with design-based variance.

    Parameters
    ----------
    data
        A DataFrame, a :class:`~surveytk.io.labelled.LabelledFrame`, or a path
        to a file :func:`surveytk.io.readers.read_file` reads.
    model
        ``logit``, ``probit``, ``lpm``, ``ologit``, ``oprobit``, ``mlogit``,
        ``panel-fe``, ``panel-re``, ``poisson``, ``quasipoisson``, ``negbin``
        or ``gamma``.
    formula
        A formula in the restricted grammar, e.g. ``"intends_return ~ age + C(area)"``.
    weights, strata, psu, fpc
        Design columns; ``strata``, ``psu`` and ``fpc`` take one column per stage
        (a list, first stage first) for a multistage design.
    keep_user_missing
        Keep SPSS declared user-missing codes as values (default: they are
        missing, and the result's notes say how many per variable).
    define
        Derived variables, ``["young=age < 30", ...]`` or ``{"young": "age < 30"}``
        (:mod:`surveytk.expr`); formula, design and ``subpop`` may use them.
    value_labels
        Name categorical levels of labelled numeric columns by their value
        labels (``False``: by codes).
    **options
        Any other :class:`~surveytk.models.options.FitOptions` field:
        ``lonely_psu``, ``repweights``, ``reptype``, ``rho``, ``mse``,
        ``scale``, ``rscales``, ``replicates``, ``seed``, ``subpop``, ``ame``,
        ``base``, ``entity``, ``time``, ``label``, ``maxiter``, ``tol``,
        ``link``, ``offset``, ``exposure`` (GLM families), ``wald`` and
        ``contrast`` (tuples of expressions), ``predict`` (tuple of specs such
        as ``"age=18:75:5, gender"``), ``ame_vce``, ``discrete``, ``by``.

    Returns
    -------
    FitResult
        Or, with ``by=COLUMN``, a :class:`~surveytk.models.by.ResultSet` with
        one result per level of the column (domains of the full design).

    Examples
    --------
    >>> res = fit(df, model="logit", formula="y ~ age + female", weights="w",
    ...           strata="stratum", psu="psu", ame=True)  # doctest: +SKIP
    >>> res.tidy()  # doctest: +SKIP
    """
    if data is None:
        raise ModelError("fit() needs data: a DataFrame, a LabelledFrame or a file path")
    known = set(FitOptions.__dataclass_fields__)
    unknown = sorted(set(options) - known)
    if unknown:
        raise ModelError(
            f"fit(): unknown option(s) {', '.join(unknown)}; expecting some of "
            + ", ".join(sorted(known - {"model", "formula"}))
        )
    if "rscales" in options and options["rscales"] is not None:
        options["rscales"] = tuple(float(x) for x in options["rscales"])
    opts = FitOptions(
        model=model,  # type: ignore[arg-type]
        formula=formula,
        weights=weights,
        strata=_stages(strata),
        psu=_stages(psu),
        fpc=_stages(fpc),
        **options,
    )
    definitions = parse_definitions(define)
    frame = load_analysis_frame(
        data,
        columns=None if isinstance(data, pd.DataFrame) else needed_columns(opts, definitions),
        keep_user_missing=keep_user_missing,
        definitions=definitions,
        labels=value_labels,
    )
    return fit_frame(frame, opts)


def fit_with_tests(data: pd.DataFrame, opts: FitOptions) -> FitResult:
    """The family's fit, then the ``wald`` and ``contrast`` tests of the options."""
    result = family_fit(opts.model)(data, opts)
    if not (opts.wald or opts.contrast):
        return result
    import dataclasses

    from surveytk.models.tests import run_tests

    tests = run_tests(result.coef, result.df_resid, opts.wald, opts.contrast)
    return dataclasses.replace(result, tests=tuple(t.to_dict() for t in tests))
