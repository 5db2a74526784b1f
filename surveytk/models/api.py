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
    for c in (
        options.weights,
        options.strata,
        options.psu,
        options.fpc,
        options.entity,
        options.time,
    ):
        if c:
            cols.append(c)
    if options.subpop:
        from surveytk.expr import parse_condition

        cols.extend(parse_condition(options.subpop).columns)
    return list(dict.fromkeys(cols))


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
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
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
        Design columns.
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
        strata=strata,
        psu=psu,
        fpc=fpc,
        **options,
    )
    columns = needed_columns(opts) if not isinstance(data, pd.DataFrame) else None
    labelled = _labelled(data, columns)
    frame = labelled.data if labelled is not None else as_frame(data, columns)
    result = family_fit(opts.model)(frame, opts)
    return result if labelled is None else with_file_labels(result, labelled)


def _labelled(data: DataLike, columns: Sequence[str] | None) -> LabelledFrame | None:
    if isinstance(data, LabelledFrame):
        return data
    if isinstance(data, str | os.PathLike):
        from surveytk.io.readers import read_file

        return read_file(Path(data), columns=columns)
    return None


def with_file_labels(result: FitResult, labelled: LabelledFrame) -> FitResult:
    """Store the file's variable and value labels of the formula's variables in
    ``extra["labels"]`` (``{var: {"label": text, "levels": {code: label}}}``), so that
    tables and plots of a fit on a raw SPSS/Stata file show ``Feeling about household
    income: Coping`` instead of ``C(hincfel)[T.2]``."""
    from dataclasses import replace

    from surveytk.models.formula import parse_formula

    parsed = parse_formula(result.formula)
    labels: dict[str, dict[str, object]] = {}
    for name in dict.fromkeys([parsed.outcome, *parsed.columns]):
        meta = labelled.variables.get(name)
        if meta is None or not (meta.label or meta.value_labels):
            continue
        levels = {_code_text(k): str(v) for k, v in meta.value_labels.items()}
        labels[name] = {"label": meta.label, "levels": levels}
    if not labels:
        return result
    return replace(result, extra={**dict(result.extra), "labels": labels})


def _code_text(code: object) -> str:
    """A value-label code as the formula spells levels (``2.0`` → ``"2"``)."""
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code)
