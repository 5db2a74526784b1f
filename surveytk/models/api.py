"""The Python entry point: ``surveytk.models.fit(data, model=..., formula=..., ...)``.

Builds a :class:`~surveytk.models.options.FitOptions` from keyword arguments
(the same names as the ``surveytk fit`` flags, with ``_`` for ``-``) and
dispatches to the model family through
:func:`surveytk.models.registry.family_fit`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from surveytk.errors import ModelError
from surveytk.io.labelled import LabelledFrame
from surveytk.models.options import FitOptions
from surveytk.models.registry import family_fit

if TYPE_CHECKING:
    from surveytk.models.results import FitResult

DataLike = pd.DataFrame | LabelledFrame | str | os.PathLike[str]


def needed_columns(options: FitOptions) -> list[str] | None:
    """Columns a fit reads, or ``None`` when all are needed (replicate-weight regex)."""
    if options.repweights is not None:
        return None
    from surveytk.models.formula import parse_formula

    cols: list[str] = list(parse_formula(options.formula).columns)
    cols.insert(0, parse_formula(options.formula).outcome)
    for c in (options.weights, options.entity, options.time):
        if c:
            cols.append(c)
    cols.extend(design_columns(options))
    if options.subpop:
        from surveytk.expr import parse_condition

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
    """A DataFrame from a DataFrame, a LabelledFrame or a path any reader reads."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, LabelledFrame):
        return data.data
    if isinstance(data, str | os.PathLike):
        from surveytk.io.readers import read_file

        return read_file(Path(data), columns=columns).data
    raise ModelError(
        f"data must be a pandas DataFrame, a LabelledFrame or a file path, not "
        f"{type(data).__name__}"
    )


def fit(
    data: DataLike | None = None,
    *,
    model: str,
    formula: str,
    weights: str | None = None,
    strata: str | Sequence[str] | None = None,
    psu: str | Sequence[str] | None = None,
    fpc: str | Sequence[str] | None = None,
    **options: Any,
) -> FitResult:
    """Fit a model with design-based variance.

    Parameters
    ----------
    data
        A DataFrame, a :class:`~surveytk.io.labelled.LabelledFrame`, or a path
        to a file :func:`surveytk.io.readers.read_file` reads.
    model
        ``logit``, ``probit``, ``lpm``, ``ologit``, ``oprobit``, ``mlogit``,
        ``panel-fe`` or ``panel-re``.
    formula
        A formula in the restricted grammar, e.g. ``"intends_return ~ age + C(area)"``.
    weights, strata, psu, fpc
        Design columns; ``strata``, ``psu`` and ``fpc`` take one column per stage
        (a list, first stage first) for a multistage design.
    **options
        Any other :class:`~surveytk.models.options.FitOptions` field:
        ``lonely_psu``, ``repweights``, ``reptype``, ``rho``, ``mse``,
        ``scale``, ``rscales``, ``replicates``, ``seed``, ``subpop``, ``ame``,
        ``base``, ``entity``, ``time``, ``label``, ``maxiter``, ``tol``.

    Returns
    -------
    FitResult

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
    frame = as_frame(data, needed_columns(opts) if not isinstance(data, pd.DataFrame) else None)
    return family_fit(opts.model)(frame, opts)
