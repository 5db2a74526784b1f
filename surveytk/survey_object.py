"""Data and their survey design, bound once: :class:`Survey` (as R ``svydesign``).

A :class:`Survey` reads the data (declared missing values set missing,
derived variables added), checks and builds the design once
(:meth:`surveytk.survey.design.SurveyDesign.from_options`, the path every command
takes), and then fits models, estimates means, totals, proportions and
quantiles, and tabulates shares on it, without restating the design::

    svy = surveytk.Survey("apistrat.csv", weights="pw", strata="stype", fpc="fpc")
    svy.fit(model="logit", formula="wide ~ ell + meals")
    svy.describe(mean=["api00"], by="stype")
    svy.subset('`yr.rnd` == "No"').tabulate(["stype"])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from surveytk.analysis_frame import AnalysisFrame, DataLike, load_analysis_frame
from surveytk.disclosure import DEFAULT_THRESHOLD
from surveytk.errors import DesignError, ModelError, SurveytkError
from surveytk.language.expr import parse_definitions
from surveytk.models.api import fit_survey, python_wording
from surveytk.models.by import ResultSet
from surveytk.models.results import FitResult
from surveytk.survey.design import SurveyDesign
from surveytk.survey.options import DEFAULT_LONELY_PSU, DesignOptions

if TYPE_CHECKING:
    import pandas as pd

    from surveytk.estimate import EstimateTable
    from surveytk.tabulate import Tabulation

__all__ = ["Survey", "describe"]

class Survey:
    """Survey data with their design: fit models and estimate without restating it.

    Parameters
    ----------
    data
        A pandas DataFrame, a :class:`~surveytk.io.delivered_frame.LabelledFrame`, or
        the path of a file :func:`surveytk.read_file` reads (SPSS, Stata,
        CSV, Excel, Parquet). Declared missing values of a file are set missing.
    weights
        Sampling-weight column. Without it: weights 1, or with ``fpc`` the
        inverse sampling fractions (R ``svydesign``).
    strata, psu, fpc
        Stratum, PSU (cluster) and finite-population-correction columns; a
        list gives one column per stage, first stage first. ``fpc`` ≤ 1 is a
        sampling fraction, > 1 a population count. Without ``psu`` every row
        is its own PSU.
    lonely_psu
        Rule for strata with a single PSU: ``fail`` (default), ``adjust``,
        ``certainty``, ``remove`` or ``average`` (R ``survey.lonely.psu``).
    adjust_domain_lonely
        Apply the rule to strata with one PSU inside a domain too.
    repweights, reptype, rho, mse, scale, rscales
        Replicate weights shipped with the data: a regular expression
        selecting their columns, their type (``bootstrap``, ``subbootstrap``,
        ``jk1``, ``jkn``, ``brr``, ``fay``), Fay's rho, centring at the full
        estimate, and R ``svrepdesign``'s ``scale``/``rscales``.
    replicates, seed
        Replicate weights made from the design: the number of bootstrap
        replicates (or ``reptype="jk1"``/``"jkn"``/``"brr"`` alone) and the seed.
    subpop
        A condition defining the domain every estimate is restricted to,
        e.g. ``'`yr.rnd` == "No"'`` (the full design kept for the variance).
    calibrate, calibration, calibration_bounds, trim
        Calibrate the weights to population totals (a CSV of
        ``variable,level,total``) by ``linear`` (GREG), ``rake`` or
        ``poststratify``, with bounds on the g-weights; trim weights to
        ``(lower, upper)``.
    nonresponse, respondent
        Nonresponse adjustment of the weights within the classes of
        ``nonresponse``, ``respondent`` marking responding rows.
    define
        Derived variables, ``{"wide": '`sch.wide` == "Yes"'}`` or
        ``["wide=`sch.wide` == \\"Yes\\""]``, usable in formulas, conditions
        and the design.
    keep_user_missing
        Keep declared user-missing codes of SPSS files as values.
    value_labels
        Name levels of labelled numeric columns by their labels.

    Raises
    ------
    DesignError
        An invalid design: a missing or negative weight, PSUs not nested in
        strata, an fpc varying within a stratum, a lonely PSU under ``fail`` …

    Examples
    --------
    >>> import pandas as pd, surveytk
    >>> df = pd.read_csv("apistrat.csv")  # R survey's data(api)
    >>> svy = surveytk.Survey(df, weights="pw", strata="stype", fpc="fpc")
    >>> svy  # doctest: +ELLIPSIS
    <Survey: 200 rows, linearised variance; strata stype (3), ... weights pw (sum 6194)>
    >>> svy.describe(mean=["api00"]).tidy()[["statistic", "variable", "estimate"]].round(2)
      statistic variable  estimate
    0      mean    api00    662.29
    """

    def __init__(
        self,
        data: DataLike,
        *,
        weights: str | None = None,
        strata: str | Sequence[str] | None = None,
        psu: str | Sequence[str] | None = None,
        fpc: str | Sequence[str] | None = None,
        lonely_psu: str = DEFAULT_LONELY_PSU,
        adjust_domain_lonely: bool = False,
        repweights: str | None = None,
        reptype: str | None = None,
        rho: float | None = None,
        mse: bool = False,
        scale: float | None = None,
        rscales: Sequence[float] | None = None,
        replicates: int | None = None,
        seed: int | None = None,
        subpop: str | None = None,
        calibrate: str | Path | None = None,
        calibration: str = "linear",
        calibration_bounds: tuple[float, float] | None = None,
        trim: tuple[float, float] | None = None,
        nonresponse: str | None = None,
        respondent: str | None = None,
        define: Sequence[str] | Mapping[str, str] | None = None,
        keep_user_missing: bool = False,
        value_labels: bool = True,
    ) -> None:
        if isinstance(data, Survey):
            raise DesignError("data: already a Survey; use it as it is, or .subset() it")
        frame = load_analysis_frame(
            data,
            keep_user_missing=keep_user_missing,
            definitions=parse_definitions(define),
            labels=value_labels,
        )
        with _python_wording():
            options = DesignOptions.of(
                {
                    "weights": weights, "strata": strata, "psu": psu, "fpc": fpc,
                    "lonely_psu": lonely_psu, "adjust_domain_lonely": adjust_domain_lonely,
                    "repweights": repweights, "reptype": reptype, "rho": rho, "mse": mse,
                    "scale": scale, "rscales": rscales, "replicates": replicates,
                    "seed": seed, "subpop": subpop,
                    "calibrate": None if calibrate is None else str(calibrate),
                    "calibration": calibration, "calibration_bounds": calibration_bounds,
                    "trim": trim, "nonresponse": nonresponse, "respondent": respondent,
                }
            )  # fmt: skip
        self._bind(frame, options)

    def _bind(self, frame: AnalysisFrame, options: DesignOptions) -> None:
        self._frame = frame
        self._options = options
        with _python_wording():
            self._design = SurveyDesign.from_options(frame.data, options)

    @classmethod
    def _of(cls, frame: AnalysisFrame, options: DesignOptions) -> Survey:
        new = cls.__new__(cls)
        new._bind(frame, options)
        return new

    # ---- what it holds ----------------------------------------------------------------
    @property
    def data(self) -> pd.DataFrame:
        """The analysis table (declared missing set missing, derived variables added)."""
        return self._frame.data

    @property
    def design(self) -> SurveyDesign:
        """The design built from the data (:class:`~surveytk.survey.design.SurveyDesign`)."""
        return self._design

    @property
    def options(self) -> DesignOptions:
        """The design as named columns and choices (a
        :class:`~surveytk.survey.options.DesignOptions`)."""
        return self._options

    @property
    def frame(self) -> AnalysisFrame:
        """The data with what loading did to them (declared-missing counts, labels)."""
        return self._frame

    def __len__(self) -> int:
        return len(self._frame.data)

    def __repr__(self) -> str:
        return f"<Survey: {len(self)} rows, {describe_design(self._design, self._options)}>"

    def _repr_html_(self) -> str:
        from html import escape

        text = escape(describe_design(self._design, self._options))
        return f"<p><b>Survey</b>: {len(self)} rows<br>{text}</p>"

    # ---- new surveys ---------------------------------------------------------------------
    def subset(self, condition: str) -> Survey:
        """The same survey restricted to a domain (R ``subset(design, ...)``).

        Rows outside the domain stay in the design, so the variance still sees
        every stratum and PSU; a second ``subset`` narrows the first.

        Parameters
        ----------
        condition
            A condition in the expression language, e.g. ``'`yr.rnd` == "No"'``
            or ``"age >= 18 and sex == 'f'"``; backticks or ``Q("...")`` quote
            names that are not identifiers.

        Examples
        --------
        >>> import pandas as pd, surveytk
        >>> df = pd.read_csv("apistrat.csv")
        >>> svy = surveytk.Survey(df, weights="pw", strata="stype", fpc="fpc")
        >>> svy.subset('`yr.rnd` == "No"').design.n_obs
        179
        """
        old = self._options.subpop
        combined = condition if not old else f"({old}) and ({condition})"
        return Survey._of(self._frame, dataclasses.replace(self._options, subpop=combined))

    def calibrate(
        self,
        totals: str | Path,
        method: str = "linear",
        *,
        bounds: tuple[float, float] | None = None,
        trim: tuple[float, float] | None = None,
    ) -> Survey:
        """The survey with weights calibrated to population totals (replicates too).

        Parameters
        ----------
        totals
            A CSV file with columns ``variable,level,total`` (a numeric
            variable has an empty level); ``level`` ``(Intercept)`` gives the
            population size.
        method
            ``linear`` (GREG, R ``calibrate``), ``rake`` or ``poststratify``.
        bounds
            ``(L, U)`` bounds on the g-weights (``linear`` only).
        trim
            ``(lower, upper)`` bounds on the calibrated weights (R ``trimWeights``).
        """
        if self._options.calibrate is not None:
            raise DesignError("calibrate: the weights are calibrated already; calibrate once")
        options = dataclasses.replace(
            self._options, calibrate=str(totals), calibration=method,
            calibration_bounds=None if bounds is None else (float(bounds[0]), float(bounds[1])),
            trim=None if trim is None else (float(trim[0]), float(trim[1])),
        )  # fmt: skip
        return Survey._of(self._frame, options)

    # ---- analyses ------------------------------------------------------------------------
    def fit(self, model: str, formula: str, **options: Any) -> FitResult | ResultSet:
        """Fit a model on this survey; the arguments of :func:`surveytk.fit` but the design.

        ``subpop`` narrows the survey's domain for this fit only.

        Examples
        --------
        >>> import pandas as pd, surveytk
        >>> svy = surveytk.Survey(pd.read_csv("apistrat.csv"), weights="pw", strata="stype",
        ...                       fpc="fpc", define={"wide": '`sch.wide` == "Yes"'})
        >>> svy.fit(model="logit", formula="wide ~ ell + meals")
        <FitResult logit: 'wide ~ ell + meals'; n=200, 3 coefficients, linearized variance>
        """
        with _python_wording():
            return fit_survey(self, model, formula, **options)

    def describe(
        self,
        *,
        mean: str | Sequence[str] = (),
        total: str | Sequence[str] = (),
        prop: str | Sequence[str] = (),
        quantile: str | Sequence[str] = (),
        probs: Sequence[float] = (0.5,),
        ratio: Sequence[tuple[str, str]] = (),
        by: str | None = None,
        ci: str = "logit",
        deff: bool = False,
        conf_level: float = 0.95,
        threshold: int = DEFAULT_THRESHOLD,
    ) -> EstimateTable:
        """Means, totals, proportions, quantiles and ratios (R ``svymean`` … ``svyby``).

        Parameters
        ----------
        mean, total
            Numeric variables (a name or a list of names).
        prop
            Categorical variables: the proportion of each level, with an
            interval (``ci``: ``logit``, as R ``svyciprop``, or the others of
            :mod:`surveytk.survey.estimators`).
        quantile, probs
            Variables and the probabilities of their quantiles.
        ratio
            ``(numerator, denominator)`` pairs (R ``svyratio``).
        by
            A variable: every estimate in each of its levels (domains of the
            full design, R ``svyby``).
        deff
            Add design effects.
        conf_level
            Confidence level of the intervals.
        threshold
            Estimates resting on fewer respondents are suppressed.

        Returns
        -------
        EstimateTable
            ``.tidy()`` is the table (``statistic, variable, level, domain,
            estimate, std_error, conf_low, conf_high, deff, p_value``).

        Examples
        --------
        >>> import pandas as pd, surveytk
        >>> df = pd.read_csv("apistrat.csv")
        >>> svy = surveytk.Survey(df, weights="pw", strata="stype", fpc="fpc")
        >>> t = svy.describe(mean="api00", by="stype").tidy()
        >>> t[["domain", "estimate", "std_error"]].round(3)
          domain  estimate  std_error
        0      E    674.43     12.382
        1      H    625.82     14.937
        2      M    636.60     16.215
        """
        from surveytk.estimate import EstimateRequest, estimate  # lazy: scipy

        def names(v: str | Sequence[str]) -> tuple[str, ...]:
            return (v,) if isinstance(v, str) else tuple(v)

        request = EstimateRequest(
            mean=names(mean), total=names(total), prop=names(prop), quantile=names(quantile),
            probs=tuple(float(p) for p in probs), ratio=tuple(tuple(r) for r in ratio),  # type: ignore[misc]
            by=by, ci=ci, deff=deff, level=conf_level, threshold=threshold,
        )  # fmt: skip
        if request.is_empty():
            raise ModelError("describe: name something to estimate, e.g. mean=['api00']")
        with _python_wording():
            table = estimate(self.data, self._design, request)
        notes = self._frame.notes(threshold, list(request.variables()))
        return dataclasses.replace(table, notes=(*notes, *table.notes))

    def tabulate(
        self,
        by: str | Sequence[str],
        *,
        weighted: bool = True,
        dropna: bool = False,
        conf_level: float = 0.95,
        chisq: bool = False,
        threshold: int = DEFAULT_THRESHOLD,
    ) -> Tabulation:
        """Weighted shares of one variable, or of a second within levels of a first.

        Parameters
        ----------
        by
            One variable, or two (shares of the second within each level of
            the first).
        weighted
            ``False`` counts every respondent once (strata and PSUs still
            shape the variance).
        dropna
            Leave rows with a missing by-variable out (by default missing is
            a level of its own).
        conf_level
            Confidence level of the intervals.
        chisq
            With two variables, add the Rao-Scott test of independence.
        threshold
            Cells with fewer respondents are suppressed.

        Examples
        --------
        >>> import pandas as pd, surveytk
        >>> df = pd.read_csv("apistrat.csv")
        >>> svy = surveytk.Survey(df, weights="pw", strata="stype", fpc="fpc")
        >>> svy.tabulate("stype").to_frame()[["level", "share"]].round(4)
          level   share
        0     E  0.7138
        1     H  0.1219
        2     M  0.1644
        """
        from surveytk.tabulate import tabulate  # lazy: scipy

        if self._design.is_replicate:
            raise DesignError(
                "tabulate estimates linearised variances; with replicate weights use "
                "describe(prop=...)"
            )
        o = self._options
        rest = {
            k: v for k, v in dataclasses.asdict(o).items()
            if k not in ("weights", "strata", "psu", "fpc", "lonely_psu", "subpop", "fpc_weights")
        }  # fmt: skip
        with _python_wording():
            return tabulate(
                self._frame, [by] if isinstance(by, str) else list(by),
                weights=o.weights, strata=o.strata or None, psu=o.psu or None,
                fpc=o.fpc or None, lonely_psu=o.lonely_psu, weighted=weighted,
                threshold=threshold, dropna=dropna, level=conf_level, subpop=o.subpop,
                chisq=chisq, design_options=rest,
            )  # fmt: skip


@contextmanager
def _python_wording() -> Iterator[None]:
    """Errors raised inside reworded for a Python caller (``lonely_psu=``, not ``--lonely-psu``)."""
    try:
        yield
    except SurveytkError as exc:
        python_wording(exc)
        raise


def describe_design(design: SurveyDesign, options: DesignOptions) -> str:
    """The whole design in one line: variance, stages, fpc, weights, adjustments, domain."""
    parts = []
    if design.is_replicate:
        parts.append(f"{design.reptype} replicate variance ({design.n_replicates} replicates)")
    else:
        parts.append("linearised variance")
    stages = max(len(options.strata), len(options.psu), len(options.fpc), 1)
    for i in range(stages):
        bits = []
        prefix = f"stage {i + 1}: " if stages > 1 else ""
        if i < len(options.strata):
            bits.append(f"strata {options.strata[i]} ({_n_strata(design, i)})")
        if i < len(options.psu):
            bits.append(f"PSUs {options.psu[i]} ({_n_units(design, i)})")
        elif i == 0:
            bits.append("each row its own PSU")
        if i < len(options.fpc):
            bits.append(f"fpc {options.fpc[i]}")
        parts.append(prefix + ", ".join(bits))
    if options.weights:
        parts.append(f"weights {options.weights} (sum {float(design.weights.sum()):.6g})")
    elif options.fpc:
        parts.append("weights from the fpc")
    else:
        parts.append("equal weights")
    if design.lonely_psu != "fail":
        parts.append(f"lonely PSUs: {design.lonely_psu}")
    if design.adjustments_text:
        parts.append(design.adjustments_text)
    if options.trim:
        parts.append(f"weights trimmed to [{options.trim[0]:g}, {options.trim[1]:g}]")
    if design.subpop:
        parts.append(f"domain {design.subpop} ({design.n_obs} rows)")
    return "; ".join(parts)


def _n_strata(design: SurveyDesign, stage: int) -> int:
    stages = design.all_stages
    return int(stages[stage].n_h.shape[0]) if stage < len(stages) else 0


def _n_units(design: SurveyDesign, stage: int) -> int:
    stages = design.all_stages
    return int(np.unique(stages[stage].units).size) if stage < len(stages) else 0


def describe(
    data: Survey | DataLike,
    *,
    mean: str | Sequence[str] = (),
    total: str | Sequence[str] = (),
    prop: str | Sequence[str] = (),
    quantile: str | Sequence[str] = (),
    probs: Sequence[float] = (0.5,),
    ratio: Sequence[tuple[str, str]] = (),
    by: str | None = None,
    ci: str = "logit",
    deff: bool = False,
    conf_level: float = 0.95,
    threshold: int = DEFAULT_THRESHOLD,
    **design: Any,
) -> EstimateTable:
    """Descriptive estimates: means, totals, proportions, quantiles, ratios, by domain.

    ``data`` is a :class:`Survey`, or data with the design given as keyword
    arguments (those of :class:`Survey`); the other arguments are those of
    :meth:`Survey.describe`.

    Examples
    --------
    >>> import pandas as pd, surveytk
    >>> df = pd.read_csv("apistrat.csv")  # R survey's data(api)
    >>> t = surveytk.describe(df, total="enroll", weights="pw", strata="stype", fpc="fpc")
    >>> t.tidy()[["statistic", "estimate", "std_error"]].round(1)
      statistic   estimate  std_error
    0     total  3687177.5   114641.7
    """
    if isinstance(data, Survey):
        if design:
            raise DesignError(
                f"describe: {', '.join(k + '=' for k in sorted(design))} belong(s) to the "
                "Survey; make another Survey"
            )
        svy = data
    else:
        svy = Survey(data, **design)
    return svy.describe(
        mean=mean, total=total, prop=prop, quantile=quantile, probs=probs, ratio=ratio, by=by,
        ci=ci, deff=deff, conf_level=conf_level, threshold=threshold,
    )  # fmt: skip
