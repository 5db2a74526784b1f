"""The results contract shared by every model family, the tables and the plots.

A fit returns a :class:`FitResult`: immutable, self-describing, and saved as
JSON holding everything a table or plot needs later (DESIGN.md, "Output
contract"). The tidy CSV has exactly :data:`TIDY_COLUMNS`.

Estimates are stored as parallel arrays in formula order (intercept first):
``terms[i]``, ``effects[i]`` (``coefficient`` or ``threshold``) and
``y_levels[i]`` (outcome level for multinomial rows, ``""`` otherwise) describe
``params[i]``; ``cov`` is the full design-based covariance of ``params``.
Average marginal effects, when computed, are kept as a separate block with
their own delta-method covariance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from surveytk.disclosure import counts_text
from surveytk.errors import ModelError, OutputError
from surveytk.io.atomic import write_text_atomic
from surveytk.models.result_check import check_result_document
from surveytk.survey.distributions import interval_multiplier, two_sided_pvalues
from surveytk.survey.summary import DesignSummary
from surveytk.survey.summary_names import sample_line

TIDY_COLUMNS: tuple[str, ...] = (
    "model",
    "effect",
    "term",
    "y_level",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
)

Effect = Literal["coefficient", "threshold", "ame"]
RESULT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class EffectBlock:
    """A block of named estimates with a covariance (coefficients or AMEs)."""

    terms: tuple[str, ...]
    effects: tuple[str, ...]
    y_levels: tuple[str, ...]
    estimates: np.ndarray
    cov: np.ndarray

    def __post_init__(self) -> None:
        k = len(self.terms)
        if not (len(self.effects) == len(self.y_levels) == k == len(self.estimates)):
            raise ValueError("terms, effects, y_levels and estimates must have equal length")
        if self.cov.shape != (k, k):
            raise ValueError(f"cov must be {k}x{k}, got {self.cov.shape}")

    @property
    def std_errors(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))

    def to_dict(self) -> dict[str, Any]:
        return {
            "terms": list(self.terms),
            "effects": list(self.effects),
            "y_levels": list(self.y_levels),
            "estimates": [float(x) for x in self.estimates],
            "cov": [[float(x) for x in row] for row in self.cov],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EffectBlock:
        return cls(
            terms=tuple(d["terms"]),
            effects=tuple(d["effects"]),
            y_levels=tuple(d["y_levels"]),
            estimates=np.asarray(d["estimates"], dtype=float),
            cov=np.asarray(d["cov"], dtype=float).reshape(len(d["terms"]), len(d["terms"])),
        )


@dataclass(frozen=True)
class FitResult:
    """An estimated model with design-based variance.

    Attributes
    ----------
    model
        Family name (``logit``, ``probit``, ``lpm``, ``ologit``, ``oprobit``,
        ``mlogit``, ``panel-fe``, ``panel-re``).
    formula, outcome
        As given; ``outcome`` is the response column.
    coef
        Coefficients (and thresholds) with their covariance.
    df_resid
        Degrees of freedom of the t reference (R ``summary.svyglm``:
        design df + 1 − k); ``None`` means the normal reference.
    ame
        Average marginal effects with delta-method covariance, if computed.
    tests
        Wald tests and contrasts (``--wald``, ``--contrast``): mappings with
        ``effect`` (``wald``/``contrast``), ``term`` (the expression),
        ``estimate``, ``std_error``, ``statistic`` (F for a Wald test with
        design df, χ² without), ``p_value``, ``conf_low``, ``conf_high``,
        ``df_num``, ``df_den``; tidy rows after the coefficients and AMEs.
    """

    model: str
    formula: str
    outcome: str
    coef: EffectBlock
    design: DesignSummary
    df_resid: float | None
    loglik: float | None = None
    pseudo_r2: float | None = None
    converged: bool = True
    n_iter: int = 0
    y_levels: tuple[str, ...] = ()
    base_level: str | None = None
    ame: EffectBlock | None = None
    dropped: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    label: str | None = None  # column heading in tables (source or model name)
    extra: Mapping[str, Any] = field(default_factory=dict)
    tests: tuple[Mapping[str, Any], ...] = ()
    schema_version: int = RESULT_SCHEMA_VERSION
    #: what predict() and margins() need (model frame, predictor, design); not saved
    context: Any = field(default=None, repr=False, compare=False)

    # ---- statistician's names -------------------------------------------------
    @property
    def params(self) -> pd.Series:
        return pd.Series(self.coef.estimates, index=self._index(self.coef), name="estimate")

    @property
    def std_errors(self) -> pd.Series:
        return pd.Series(self.coef.std_errors, index=self._index(self.coef), name="std_error")

    @property
    def tvalues(self) -> pd.Series:
        return self.params / self.std_errors

    @property
    def pvalues(self) -> pd.Series:
        p = two_sided_pvalues(self.tvalues.to_numpy(), self.df_resid)
        return pd.Series(p, index=self.params.index, name="p_value")

    @property
    def cov(self) -> pd.DataFrame:
        idx = self._index(self.coef)
        return pd.DataFrame(self.coef.cov, index=idx, columns=idx)

    @property
    def nobs(self) -> int:
        return self.design.n_obs

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals of the coefficients (t with ``df_resid``, or normal).

        Parameters
        ----------
        level
            Confidence level, e.g. 0.95.

        Returns
        -------
        pandas.DataFrame
            ``conf_low`` and ``conf_high``, indexed as :attr:`params`.
        """
        q = interval_multiplier(level, self.df_resid)
        est, se = self.params, self.std_errors
        return pd.DataFrame({"conf_low": est - q * se, "conf_high": est + q * se})

    @staticmethod
    def _index(block: EffectBlock) -> pd.Index:
        if any(block.y_levels):
            return pd.Index(
                [f"{y}:{t}" if y else t for t, y in zip(block.terms, block.y_levels, strict=True)]
            )
        return pd.Index(list(block.terms))

    # ---- tidy output ----------------------------------------------------------
    def _tidy_block(self, block: EffectBlock, level: float) -> pd.DataFrame:
        se = block.std_errors
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = block.estimates / se
        q = interval_multiplier(level, self.df_resid)
        return pd.DataFrame(
            {
                "model": self.model,
                "effect": list(block.effects),
                "term": list(block.terms),
                "y_level": list(block.y_levels),
                "estimate": block.estimates,
                "std_error": se,
                "statistic": stat,
                "p_value": two_sided_pvalues(stat, self.df_resid),
                "conf_low": block.estimates - q * se,
                "conf_high": block.estimates + q * se,
            },
            columns=list(TIDY_COLUMNS),
        )

    def tidy(
        self,
        conf_level: float = 0.95,
        *,
        exponentiate: bool = False,
        ame: bool = True,
        tests: bool = True,
    ) -> pd.DataFrame:
        """The tidy table: coefficients, thresholds, AMEs, then Wald tests and contrasts.

        Parameters
        ----------
        conf_level
            Confidence level of ``conf_low``/``conf_high`` (t reference with
            ``df_resid`` degrees of freedom, or normal without).
        exponentiate
            Report exp(b) for the coefficients: odds ratios (``logit``,
            ``ologit``), relative-risk ratios (``mlogit``) or rate ratios
            (log-link GLMs); the standard error is exp(b)·se(b) (delta
            method), the interval exp of the coefficient's interval, the
            statistic and p-value those of b. AMEs, thresholds and tests stay
            as they are.
        ame, tests
            Include the AME rows and the test rows (when computed).

        Returns
        -------
        pandas.DataFrame
            Columns ``model, effect, term, y_level, estimate, std_error,
            statistic, p_value, conf_low, conf_high``.

        Examples
        --------
        >>> import pandas as pd, surveytk
        >>> df = pd.read_csv("apistrat.csv")  # R survey's data(api)
        >>> res = surveytk.fit(df, model="logit", formula="wide ~ ell + meals",
        ...                    define={"wide": '`sch.wide` == "Yes"'},
        ...                    weights="pw", strata="stype", fpc="fpc")
        >>> res.tidy(exponentiate=True)[["term", "estimate"]].round(4)
                  term  estimate
        0  (Intercept)    4.7608
        1          ell    0.9932
        2        meals    1.0035
        """
        blocks = [self._tidy_block(self.coef, conf_level)]
        if exponentiate:
            blocks = [_exponentiated(blocks[0], self._ratio_name())]
        if ame and self.ame is not None:
            blocks.append(self._tidy_block(self.ame, conf_level))
        if tests and self.tests:
            blocks.append(self._tidy_tests(conf_level))
        return pd.concat(blocks, ignore_index=True)

    def _ratio_name(self) -> str:
        """What exp(b) is for this model, or a clear error where it means nothing."""
        link = str(self.extra.get("link", ""))
        if self.model in ("logit", "ologit"):
            return "odds ratio"
        if self.model == "mlogit":
            return "relative-risk ratio"
        if self.model in ("poisson", "quasipoisson", "negbin") and link in ("", "log"):
            return "rate ratio"
        if self.model == "gamma" and link == "log":
            return "ratio of means"
        raise ModelError(
            f"exponentiate=True: exp(b) is an odds, risk or rate ratio for logit, ologit, "
            f"mlogit and log-link models; the {self.model} model's coefficients "
            f"{'(link ' + link + ') ' if link else ''}are not on a log scale"
        )

    def _tidy_tests(self, level: float) -> pd.DataFrame:
        rows = []
        for t in self.tests:
            low, high = t["conf_low"], t["conf_high"]
            if t["effect"] == "contrast" and level != 0.95:
                q = interval_multiplier(level, self.df_resid)
                low, high = t["estimate"] - q * t["std_error"], t["estimate"] + q * t["std_error"]
            rows.append(
                {"model": self.model, "effect": t["effect"], "term": t["term"], "y_level": "",
                 "estimate": t["estimate"], "std_error": t["std_error"],
                 "statistic": t["statistic"], "p_value": t["p_value"],
                 "conf_low": low, "conf_high": high}
            )  # fmt: skip
        return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))

    def summary(self, conf_level: float = 0.95) -> str:
        """A plain-text summary in the style of R's ``summary.svyglm``.

        The model and formula, the whole design (variance, stages, weights,
        fpc, calibration, domain), the sample, the tidy table and the notes.
        """
        t = self.tidy(conf_level)
        lines = [f"{self.model} model: {self.formula}", self.design.describe()]
        if self.design.fpc:
            lines.append(f"fpc: {self.design.fpc}")
        if self.design.subpop:
            lines.append(f"domain: {self.design.subpop}")
        lines.append(
            sample_line(
                self.design.n_obs, self.design.sum_weights, self.design.df_design, self.df_resid
            )
        )
        left_out = {k: v for k, v in self.dropped.items() if v}
        if left_out:
            lines.append("rows left out: " + counts_text(left_out))
        lines.append(t.drop(columns="model").to_string(index=False, float_format="%.6g"))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        k = len(self.coef.terms)
        extra = f", {len(self.ame.terms)} AMEs" if self.ame is not None else ""
        return (
            f"<FitResult {self.model}: {self.formula!r}; n={self.design.n_obs}, "
            f"{k} coefficients{extra}, {self.design.variance} variance>"
        )

    def _repr_html_(self) -> str:
        from html import escape

        t = self.tidy().drop(columns="model")
        if not any(t["y_level"]):
            t = t.drop(columns="y_level")
        design = escape(self.design.describe())
        facts = [f"n = {self.design.n_obs}", f"sum of weights = {self.design.sum_weights:.6g}"]
        if self.df_resid is not None:
            facts.append(f"df = {self.df_resid:g}")
        if self.design.fpc:
            facts.append(f"fpc {escape(self.design.fpc)}")
        if self.design.subpop:
            facts.append(f"domain <code>{escape(self.design.subpop)}</code>")
        notes = "".join(f"<li>{escape(n)}</li>" for n in self.notes)
        return (
            f"<div><p><b>{escape(self.model)}</b>: <code>{escape(self.formula)}</code><br>"
            f"{design}<br>{'; '.join(facts)}</p>"
            + t.to_html(index=False, float_format=lambda x: f"{x:.4g}", border=0)
            + (f"<ul>{notes}</ul>" if notes else "")
            + "</div>"
        )

    # ---- continuing from the fit ---------------------------------------------------
    def predict(
        self,
        newdata: pd.DataFrame | None = None,
        *,
        at: Mapping[str, Any] | None = None,
        conf_level: float = 0.95,
    ) -> pd.DataFrame:
        """Predicted means or probabilities of each row, with delta-method intervals.

        As R ``predict(svyglm, newdata, type = "response", se.fit = TRUE)``:
        the prediction of each row given its covariates, with the standard
        error from the design-based covariance of the coefficients.

        Parameters
        ----------
        newdata
            Rows to predict (every column the formula uses); ``None`` predicts
            the rows the model was fitted on.
        at
            Variable → value or list of values: every row is predicted once
            per combination, with those variables set (``None`` as a value
            means every level of a categorical variable).
        conf_level
            Confidence level of the interval (t with the model's ``df_resid``).

        Returns
        -------
        pandas.DataFrame
            ``row`` (index of ``newdata``, or position in the fitted data), the
            ``at`` variables, ``y_level`` (ordinal and multinomial models: one
            row per outcome level), ``estimate``, ``std_error``, ``conf_low``,
            ``conf_high``.

        Raises
        ------
        ModelError
            A result read from a file (it has no data), an unknown variable or
            level, a fixed-effects panel model with ``newdata``.

        Examples
        --------
        >>> import pandas as pd, surveytk
        >>> df = pd.read_csv("apistrat.csv")  # R survey's data(api)
        >>> res = surveytk.fit(df, model="logit", formula="wide ~ ell + meals",
        ...                    define={"wide": '`sch.wide` == "Yes"'},
        ...                    weights="pw", strata="stype", fpc="fpc")
        >>> new = pd.DataFrame({"ell": [0, 30], "meals": [20, 80]})
        >>> res.predict(new)[["row", "estimate", "std_error"]].round(4)
           row  estimate  std_error
        0    0    0.8363     0.0354
        1    1    0.8372     0.0382
        """
        return self._continuation("predict").predictions(newdata, at=at, conf_level=conf_level)

    def margins(
        self,
        variables: str | Sequence[str] | None = None,
        *,
        at: Mapping[str, Any] | None = None,
        by: str | None = None,
        vce: str = "conditional",
        discrete: str | Sequence[str] = (),
        contrast: str | None = None,
        conf_level: float = 0.95,
    ) -> pd.DataFrame:
        """Average marginal effects, or predictive margins and their contrasts.

        Without ``at``: average marginal effects of ``variables`` (Stata
        ``margins, dydx()``; derivatives for numeric variables, changes from
        the reference level for categorical ones). With ``at``: predictive
        margins, the weighted average prediction over the fitted rows with
        the ``at`` variables set to each combination of values (Stata
        ``margins, at()``, R ``svypredmeans``).

        Parameters
        ----------
        variables
            Variables whose AMEs to compute (default: every variable of the
            formula). Not with ``at``.
        at
            Variable → value(s) for predictive margins (``None`` as a value:
            every level of a categorical variable).
        by
            A column of the data: the margins within each of its levels
            (Stata ``margins, over()``), the full design kept for the variance.
        vce
            ``conditional`` (delta method, covariates fixed; the default),
            ``unconditional`` (Stata ``vce(unconditional)``: covariates
            sampled too) or, for predictive margins, ``svypredmeans`` (R
            ``svypredmeans``: the conditional variance plus that of the mean
            of the predictions). The last two need a linearised design.
        discrete
            Numeric 0/1 variables whose AMEs are the change 0 → 1 rather than
            the derivative.
        contrast
            With ``at``: ``reference`` (each margin minus the first) or
            ``pairwise`` (every pair), with their covariance.
        conf_level
            Confidence level of the intervals.

        Returns
        -------
        pandas.DataFrame
            The ``by`` level, then ``term`` (AMEs), the ``at`` values or
            ``contrast``; ``y_level`` for ordinal and multinomial models;
            ``estimate``, ``std_error``, ``statistic``, ``p_value``,
            ``conf_low``, ``conf_high``.

        Examples
        --------
        >>> import pandas as pd, surveytk
        >>> df = pd.read_csv("apistrat.csv")  # R survey's data(api)
        >>> res = surveytk.fit(df, model="logit", formula="wide ~ ell + meals + stype",
        ...                    define={"wide": '`sch.wide` == "Yes"'},
        ...                    weights="pw", strata="stype", fpc="fpc")
        >>> res.margins(at={"stype": None})[["stype", "estimate"]].round(4)
          stype  estimate
        0     E    0.9138
        1     H    0.4758
        2     M    0.6886
        >>> res.margins("ell")[["term", "estimate"]].round(5)
          term  estimate
        0  ell  -0.00138
        """
        return self._continuation("margins").margins(
            variables, at=at, by=by, vce=vce, discrete=discrete, contrast=contrast,
            conf_level=conf_level,
        )  # fmt: skip

    def _continuation(self, method: str) -> Any:
        """What the fit kept to go on from (a :class:`surveytk.models.postfit.FitContext`:
        its ``predictions`` and ``margins``), or a clear error saying why there is none."""
        if self.context is None:
            raise ModelError(
                f"{method}() needs the data the model was fitted on; this result has only its "
                "numbers (read from a file, or built by hand). Fit it again with surveytk.fit()"
            )
        return self.context

    # ---- persistence ------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "model": self.model,
            "formula": self.formula,
            "outcome": self.outcome,
            "label": self.label,
            "coef": self.coef.to_dict(),
            "ame": self.ame.to_dict() if self.ame is not None else None,
            "design": asdict(self.design),
            "df_resid": self.df_resid,
            "loglik": self.loglik,
            "pseudo_r2": self.pseudo_r2,
            "converged": self.converged,
            "n_iter": self.n_iter,
            "y_levels": list(self.y_levels),
            "base_level": self.base_level,
            "dropped": dict(self.dropped),
            "notes": list(self.notes),
            "extra": _jsonable(dict(self.extra)),
            "tests": [_jsonable(dict(t)) for t in self.tests],
            "tidy": _jsonable(self.tidy().to_dict(orient="records")),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FitResult:
        if d.get("schema_version") != RESULT_SCHEMA_VERSION:
            raise OutputError(
                f"results file has schema version {d.get('schema_version')!r}; "
                f"this surveytk reads version {RESULT_SCHEMA_VERSION}. Re-run the fit."
            )
        return cls(
            model=d["model"],
            formula=d["formula"],
            outcome=d["outcome"],
            label=d.get("label"),
            coef=EffectBlock.from_dict(d["coef"]),
            ame=EffectBlock.from_dict(d["ame"]) if d.get("ame") else None,
            design=DesignSummary(**d["design"]),
            df_resid=d["df_resid"],
            loglik=d.get("loglik"),
            pseudo_r2=d.get("pseudo_r2"),
            converged=d.get("converged", True),
            n_iter=d.get("n_iter", 0),
            y_levels=tuple(d.get("y_levels", ())),
            base_level=d.get("base_level"),
            dropped=dict(d.get("dropped", {})),
            notes=tuple(d.get("notes", ())),
            extra=dict(d.get("extra", {})),
            tests=tuple(dict(t) for t in d.get("tests", ())),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=True)

    @classmethod
    def from_json(cls, text: str) -> FitResult:
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> None:
        """Write ``.json`` (everything) or ``.csv`` (the tidy table), atomically."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".json":
            write_text_atomic(path, self.to_json() + "\n")
        elif suffix == ".csv":
            write_text_atomic(path, self.tidy().to_csv(index=False, float_format="%.10g"))
        else:
            raise OutputError(f"{path}: results are saved as .json or .csv, not {suffix!r}")

    @classmethod
    def load(cls, path: str | Path) -> FitResult:
        """Read a result written by :meth:`save` as ``.json`` (see :func:`load_result`)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{path}: cannot read results file ({exc.strerror})") from exc
        try:
            doc = json.loads(text)
            if isinstance(doc, dict) and doc.get("schema_version") == RESULT_SCHEMA_VERSION:
                check_result_document(doc)
            return cls.from_dict(doc)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            what = str(exc) if type(exc) is ValueError else type(exc).__name__
            raise OutputError(
                f"{path}: not a surveytk results JSON ({what}); "
                "write it with FitResult.save() or `surveytk fit --out FILE.json`"
            ) from exc


def _exponentiated(table: pd.DataFrame, what: str) -> pd.DataFrame:
    """Coefficient rows as exp(b), se exp(b)·se(b), interval exp of b's (thresholds kept)."""
    out = table.copy()
    rows = (out["effect"] == "coefficient").to_numpy()
    b = out.loc[rows, "estimate"].to_numpy(dtype=float, copy=True)
    out.loc[rows, "estimate"] = np.exp(b)
    out.loc[rows, "std_error"] = np.exp(b) * out.loc[rows, "std_error"].to_numpy(dtype=float)
    out.loc[rows, "conf_low"] = np.exp(out.loc[rows, "conf_low"].to_numpy(dtype=float))
    out.loc[rows, "conf_high"] = np.exp(out.loc[rows, "conf_high"].to_numpy(dtype=float))
    out.attrs["exponentiated"] = what
    return out


def _jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays inside ``obj`` to plain JSON types."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    return obj


def results_to_frame(results: Sequence[FitResult]) -> pd.DataFrame:
    """Stack the tidy tables of several results, with a ``label`` column."""
    frames = []
    for i, r in enumerate(results):
        t = r.tidy()
        t.insert(0, "label", r.label or f"({i + 1})")
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def load_result(path: str | Path) -> FitResult:
    """Read a result saved with :meth:`FitResult.save` (``.json``).

    The result has every number, note and design fact of the fit; it holds no
    data, so :meth:`FitResult.predict` and :meth:`FitResult.margins` need the
    model fitted again.

    Examples
    --------
    >>> import pandas as pd, surveytk
    >>> res = surveytk.fit(pd.read_csv("apistrat.csv"), model="poisson", formula="enroll ~ ell",
    ...                    weights="pw", strata="stype", fpc="fpc")
    >>> res.save("fit.json")
    >>> surveytk.load_result("fit.json")
    <FitResult poisson: 'enroll ~ ell'; n=200, 2 coefficients, linearized variance>
    """
    return FitResult.load(path)
