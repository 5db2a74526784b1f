"""The Python entry point: ``surveytk.models.fit(data, model=..., formula=..., ...)``.

Builds a :class:`~surveytk.models.options.FitOptions` from keyword arguments
(the same names as the ``surveytk fit`` flags, with ``_`` for ``-``) and
dispatches to the model family through
:func:`surveytk.models.registry.family_fit`.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard, cast

import pandas as pd

from surveytk.analysis_frame import AnalysisFrame, DataLike, load_analysis_frame
from surveytk.disclosure import DEFAULT_THRESHOLD
from surveytk.errors import ModelError, SurveytkError
from surveytk.language.expr import Definition, definition_inputs, parse_condition, parse_definitions
from surveytk.models.by import ResultSet, fit_by
from surveytk.models.formula import parse_formula, with_derived_columns
from surveytk.models.options import AME_VCES, LINKS, AmeVce, FitOptions, Link
from surveytk.models.registry import MODEL_NAMES, ModelName, family_fit
from surveytk.models.small_cells import flag_small_categories
from surveytk.survey.design import design_columns
from surveytk.survey.options import (
    CALIBRATION_METHODS,
    DEFAULT_LONELY_PSU,
    LONELY_PSU_RULES,
    REP_TYPES,
    DesignOptions,
    LonelyPSU,
    RepType,
)

if TYPE_CHECKING:
    from surveytk.models.results import FitResult

__all__ = ["DataLike", "as_frame", "fit", "fit_frame", "needed_columns", "used_columns"]


#: ``fit`` arguments that describe the design: a :class:`surveytk.Survey` sets them once
DESIGN_ARGUMENTS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(DesignOptions) if f.name not in ("subpop", "fpc_weights")
)


class BoundSurvey(Protocol):
    """Data bound to their design once (:class:`surveytk.Survey`): fits on it restate
    no design (:func:`fit_survey`)."""

    @property
    def frame(self) -> AnalysisFrame: ...

    @property
    def options(self) -> DesignOptions: ...


def is_bound(data: object) -> TypeGuard[BoundSurvey]:
    """Whether ``data`` is data bound to a design (a :class:`surveytk.Survey`)."""
    return isinstance(getattr(data, "frame", None), AnalysisFrame) and isinstance(
        getattr(data, "options", None), DesignOptions
    )


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
        return flag_small_categories(annotate_result(fit_with_tests(d, o), frame, columns), d, o)

    if options.by is not None:
        return fit_by(data, options, one)
    return one(data, options)


def annotate_result(
    result: FitResult,
    frame: AnalysisFrame,
    columns: Sequence[str],
    threshold: int = DEFAULT_THRESHOLD,
) -> FitResult:
    """``result`` with the declared-missing counts and labels of ``columns``.

    Notes get one sentence per variable (shown on the console and under
    tables); ``extra["declared_missing"]`` holds the counts (withheld under the
    disclosure threshold) and ``extra["variable_labels"]`` the file's variable
    labels of the columns used, which tables show as row labels.
    """
    notes = frame.notes(threshold, columns)
    report = frame.report(threshold, columns)
    labels = {c: frame.variable_labels[c] for c in columns if c in frame.variable_labels}
    if not (notes or report or labels or frame.kept_user_missing):
        return result
    extra = dict(result.extra)
    extra["declared_missing"] = report
    if frame.kept_user_missing:
        extra["kept_user_missing"] = {k: list(v) for k, v in frame.kept_user_missing.items()
                                      if k in columns}
    if labels:
        extra["variable_labels"] = labels
    return dataclasses.replace(result, notes=(*result.notes, *notes), extra=extra)


def fit(
    data: DataLike | BoundSurvey,
    *,
    model: ModelName,
    formula: str,
    weights: str | None = None,
    strata: str | Sequence[str] | None = None,
    psu: str | Sequence[str] | None = None,
    fpc: str | Sequence[str] | None = None,
    subpop: str | None = None,
    lonely_psu: LonelyPSU = DEFAULT_LONELY_PSU,
    adjust_domain_lonely: bool = False,
    repweights: str | None = None,
    reptype: RepType | None = None,
    rho: float | None = None,
    mse: bool = False,
    scale: float | None = None,
    rscales: Sequence[float] | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    calibrate: str | None = None,
    calibration: str = "linear",
    calibration_bounds: tuple[float, float] | None = None,
    trim: tuple[float, float] | None = None,
    nonresponse: str | None = None,
    respondent: str | None = None,
    ame: bool = False,
    ame_vce: AmeVce = "conditional",
    discrete: str | Sequence[str] = (),
    predict: str | Sequence[str] = (),
    wald: str | Sequence[str] = (),
    contrast: str | Sequence[str] = (),
    base: str | None = None,
    entity: str | None = None,
    time: str | None = None,
    link: Link | None = None,
    offset: str | None = None,
    exposure: str | None = None,
    by: str | None = None,
    label: str | None = None,
    maxiter: int = 100,
    tol: float = 1e-10,
    define: Sequence[str] | Mapping[str, str] | None = None,
    keep_user_missing: bool = False,
    value_labels: bool = True,
    sheet: str | None = None,
    **unknown: Any,
) -> FitResult | ResultSet:
    """Fit a regression model with design-based standard errors.

    Parameters
    ----------
    data
        A :class:`~surveytk.Survey` (data and design bound once: give no design
        arguments then), a pandas DataFrame, a
        :class:`~surveytk.io.delivered_frame.LabelledFrame`, or the path of a file
        :func:`surveytk.read_file` reads (declared missing values set missing).
    model
        ``logit``, ``probit``, ``lpm`` (binary outcome); ``ologit``,
        ``oprobit`` (ordered); ``mlogit`` (nominal); ``poisson``,
        ``quasipoisson``, ``negbin``, ``gamma`` (GLMs); ``panel-fe``,
        ``panel-re`` (linear panel models).
    formula
        ``"outcome ~ x1 + x2 + C(area) + x1:x2 + I(age**2)"``; names that are
        not identifiers in backticks or ``Q("...")``: ``"`sch.wide` ~ ell"``.
    weights, strata, psu, fpc
        Design columns; ``strata``, ``psu`` and ``fpc`` take one column per
        stage (a list, first stage first). Without ``psu`` every row is its own PSU.
    subpop
        A condition defining the domain (``'`yr.rnd` == "No"'``); rows outside
        stay in the design for the variance (R ``subset(design, ...)``).
    lonely_psu
        Rule for strata with a single PSU: ``fail``, ``adjust``,
        ``certainty``, ``remove``, ``average``.
    adjust_domain_lonely
        Apply the lonely-PSU rule to strata with one PSU inside the domain.
    repweights, reptype, rho, mse, scale, rscales
        Shipped replicate weights: a regular expression selecting their
        columns, their type (``bootstrap``, ``subbootstrap``, ``jk1``,
        ``jkn``, ``brr``, ``fay``), Fay's rho, centring at the full estimate,
        R ``svrepdesign``'s ``scale`` and ``rscales``.
    replicates, seed
        Replicate weights made from the design (number of bootstrap
        replicates; ``reptype`` ``jk1``/``jkn``/``brr``/``fay`` need none).
    calibrate, calibration, calibration_bounds, trim
        Calibrate the weights to the totals of a CSV
        (``variable,level,total``) by ``linear``, ``rake`` or
        ``poststratify``; bounds on the g-weights; trim to ``(lower, upper)``.
    nonresponse, respondent
        Nonresponse adjustment within the classes of a column, ``respondent``
        marking the responding rows.
    ame
        Compute average marginal effects at fit time (also later:
        :meth:`FitResult.margins`).
    ame_vce
        AME variance: ``conditional`` (delta method) or ``unconditional``
        (Stata ``vce(unconditional)``).
    discrete
        Numeric 0/1 variables whose AMEs are changes 0 → 1.
    predict
        Prediction specs kept in the result for plots, e.g. ``"age=18:75:5, gender"``
        (for tables in Python: :meth:`FitResult.predict` / :meth:`FitResult.margins`).
    wald
        Joint Wald tests, each a list of terms (``"stype[H] + stype[M]"``, R ``regTermTest``).
    contrast
        Linear combinations of coefficients (``"stype[H] - stype[M]"``, R ``svycontrast``).
    base
        Base outcome level of ``mlogit``.
    entity, time
        Panel identifiers (``panel-fe``, ``panel-re``).
    link, offset, exposure
        GLM link (``log``, ``identity``, ``sqrt``, ``inverse``), an offset
        column, or an exposure column (its log is the offset).
    by
        Fit once per level of a column (domains of the full design).
    label
        Column heading of this model in tables.
    maxiter, tol
        Iteration limit and convergence tolerance.
    define
        Derived variables, ``{"wide": '`sch.wide` == "Yes"'}`` or
        ``["young=age < 30"]``; formula, design and ``subpop`` may use them.
    keep_user_missing
        Keep SPSS declared user-missing codes as values.
    value_labels
        Name levels of labelled numeric columns by their value labels.
    sheet
        Worksheet of an Excel file, by name or 1-based number (a workbook with
        several sheets needs one).
    **unknown
        Refused: a misspelt argument is an error with the closest names.

    Returns
    -------
    FitResult
        Or, with ``by``, a :class:`~surveytk.models.by.ResultSet` with one
        result per level.

    Raises
    ------
    SurveytkError
        A :class:`~surveytk.errors.FormulaError`, ``DesignError`` or
        ``ModelError`` naming the argument, the variable and what to do.

    Examples
    --------
    >>> import pandas as pd, surveytk
    >>> df = pd.read_csv("apistrat.csv")  # R survey's data(api)
    >>> res = surveytk.fit(df, model="logit", formula="wide ~ ell + meals",
    ...                    define={"wide": '`sch.wide` == "Yes"'},
    ...                    weights="pw", strata="stype", fpc="fpc")
    >>> res.params.round(4)
    (Intercept)    1.5604
    ell           -0.0068
    meals          0.0035
    Name: estimate, dtype: float64
    """
    given = {k: v for k, v in locals().items() if k not in ("data", "unknown")}
    try:
        return run_fit(data, **given, **unknown)
    except SurveytkError as exc:
        python_wording(exc)
        raise


def run_fit(data: DataLike | BoundSurvey, **arguments: Any) -> FitResult | ResultSet:
    """:func:`fit` with the messages of errors as the command line words them
    (``--lonely-psu``); the CLI calls this."""
    check_fit_arguments({k: v for k, v in arguments.items() if k not in _DATA_ARGUMENTS})
    given = {**_FIT_DEFAULTS, **arguments}
    _check_model(given["model"])
    if is_bound(data):
        extra = {
            k: v for k, v in given.items()
            if k not in ("model", "formula") and v != _FIT_DEFAULTS[k]
        }  # fmt: skip
        return fit_survey(data, given["model"], given["formula"], **extra)
    return _fit_data(cast("DataLike", data), given)  # any other type: load_analysis_frame says


def fit_survey(
    survey: BoundSurvey, model: str, formula: str, **options: Any
) -> FitResult | ResultSet:
    """Fit on data bound to their design (:meth:`surveytk.Survey.fit`): ``options`` are
    :func:`fit`'s arguments but the design; ``subpop`` narrows the survey's domain."""
    bound = sorted(set(options) & set(DESIGN_ARGUMENTS))
    data_args = sorted(set(options) & {"define", "keep_user_missing", "value_labels", "sheet"})
    if bound or data_args:
        raise ModelError(
            f"fit: {', '.join(a + '=' for a in [*bound, *data_args])} belong(s) to the "
            "Survey; make another Survey (or .subset() / .calibrate() this one)"
        )
    check_fit_arguments(options)
    subpop = options.pop("subpop", None)
    design = dataclasses.asdict(survey.options)
    if subpop:
        design["subpop"] = (
            subpop if not design["subpop"] else (f"({design['subpop']}) and ({subpop})")
        )
    return fit_frame(survey.frame, FitOptions(model=model, formula=formula, **design, **options))


_DATA_ARGUMENTS = ("define", "keep_user_missing", "value_labels", "sheet", "model", "formula")


def _check_model(model: str) -> None:
    if model not in MODEL_NAMES:
        close = difflib.get_close_matches(str(model), MODEL_NAMES, n=2, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ModelError(
            f"model: expecting one of {{{', '.join(MODEL_NAMES)}}}; got {model!r}{hint}",
            variable="model",
            value=model,
        )


#: defaults of :func:`fit`'s keyword arguments (filled below the function)
_FIT_DEFAULTS: dict[str, Any] = {}


def _fit_data(data: DataLike, given: dict[str, Any]) -> FitResult | ResultSet:
    if data is None:
        raise ModelError("fit() needs data: a Survey, a DataFrame, a LabelledFrame or a file path")
    args = dict(given)
    define = args.pop("define")
    keep_user_missing = args.pop("keep_user_missing")
    value_labels = args.pop("value_labels")
    sheet = args.pop("sheet")
    if args["rscales"] is not None:
        args["rscales"] = tuple(float(x) for x in args["rscales"])
    for name in ("strata", "psu", "fpc"):
        args[name] = _stages(args[name])
    opts = FitOptions(**args)
    definitions = parse_definitions(define)
    frame = load_analysis_frame(
        data,
        columns=None if isinstance(data, pd.DataFrame) else needed_columns(opts, definitions),
        keep_user_missing=keep_user_missing,
        definitions=definitions,
        labels=value_labels,
        sheet=sheet,
    )
    return fit_frame(frame, opts)


_FLAG = re.compile(r"--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?: ([A-Za-z0-9_.]+))?")
_BOOLEAN_FLAGS = frozenset(
    f.name for f in dataclasses.fields(FitOptions) if f.default is False
)
#: phrases of the command line's wording, and what a Python user reads instead
_CLI_PHRASES: tuple[tuple[str, str], ...] = (
    ("Drop them in the sample rules or fix the file", "Drop those rows or fix the file"),
)


def _choices() -> dict[str, tuple[str, ...]]:
    return {
        "model": MODEL_NAMES, "lonely_psu": LONELY_PSU_RULES, "reptype": REP_TYPES,
        "ame_vce": AME_VCES, "link": LINKS, "calibration": CALIBRATION_METHODS,
    }  # fmt: skip


def check_fit_arguments(options: Mapping[str, Any]) -> None:
    """Unknown ``fit`` arguments: one clear error with close matches."""
    known = sorted(set(FitOptions.__dataclass_fields__) - {"model", "formula", "fpc_weights"})
    for name in options:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=2, cutoff=0.6)
            hint = f"; did you mean {' or '.join(c + '=' for c in close)}?" if close else ""
            raise ModelError(f"fit() got an unknown argument {name}={hint}", variable=name)


def python_wording(exc: SurveytkError) -> None:
    """Reword ``exc`` for a Python caller: ``--lonely-psu`` → ``lonely_psu=``,
    ``--reptype jkn`` → ``reptype="jkn"``, ``--replicates N`` → ``replicates=N``,
    ``--ame`` → ``ame=True``; CLI-only advice replaced. Changes ``exc`` in place."""
    choices = _choices()

    def name(m: re.Match[str]) -> str:
        arg, value = m.group(1).replace("-", "_"), m.group(2)
        if arg in _BOOLEAN_FLAGS:
            return f"{arg}=True" + (f" {value}" if value else "")
        if value and value in choices.get(arg, ()):
            return f'{arg}="{value}"'
        if value and value.isupper():  # a placeholder: N, COL, REGEX
            return f"{arg}={value}"
        return f"{arg}=" + (f" {value}" if value else "")

    text = re.sub(r"^--([a-z0-9-]+):", lambda m: m.group(1).replace("-", "_") + ":", exc.message)
    text = _FLAG.sub(name, text)
    for cli, py in _CLI_PHRASES:
        text = text.replace(cli, py)
    exc.message = text
    exc.args = (text, *exc.args[1:])


def fit_with_tests(data: pd.DataFrame, opts: FitOptions) -> FitResult:
    """The family's fit, then the ``wald`` and ``contrast`` tests of the options.

    The result keeps what :meth:`FitResult.predict` and :meth:`FitResult.margins`
    need (:class:`surveytk.models.postfit.FitContext`; not saved to files).
    """
    from surveytk.models.postfit import capturing  # lazy: scipy (via margins)

    with capturing() as contexts:
        result = family_fit(opts.model)(data, opts)
    if len(contexts) == 1:
        result = dataclasses.replace(result, context=dataclasses.replace(contexts[0], data=data))
    if not (opts.wald or opts.contrast):
        return result
    from surveytk.models.tests import run_tests  # lazy: scipy

    tests = run_tests(result.coef, result.df_resid, opts.wald, opts.contrast)
    return dataclasses.replace(result, tests=tuple(t.to_dict() for t in tests))


_FIT_DEFAULTS.update(
    {
        name: p.default
        for name, p in inspect.signature(fit).parameters.items()
        if p.default is not inspect.Parameter.empty and p.kind is p.KEYWORD_ONLY
    }
)
