"""``surveytk estimate``: descriptive estimates and tests over an analysis table.

:func:`estimate` runs an :class:`EstimateRequest` (means, totals, ratios,
quantiles, proportions, Rao-Scott tests, two-group t- and rank tests, each
optionally by the levels of a domain variable) on a frame and a
:class:`~surveytk.survey.design.SurveyDesign`, and returns an :class:`EstimateTable`:
tidy rows with exactly the columns of :data:`TIDY_COLUMNS`, after disclosure
control. The numbers come from :mod:`surveytk.survey` (R ``svymean``,
``svytotal``, ``svyratio``, ``svyquantile``, ``svyciprop``, ``svyby``,
``svychisq``, ``svyttest``, ``svyranktest``); this module only chooses the
columns, codes the categories, loops over domains and lays out the table.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from surveytk.analysis_frame import VALUE_LABELS_ATTR
from surveytk.disclosure import (
    DEFAULT_THRESHOLD,
    check_threshold,
    count_text,
    suppress_counts,
    suppression_note,
)
from surveytk.errors import FormulaError, ModelError, OutputError
from surveytk.survey.design import SurveyDesign
from surveytk.survey.estimators import (
    PROP_CI_METHODS,
    DesignEstimate,
    DomainEstimates,
    EmptyDomainError,
    domains_present,
    indicators,
    logit_replicate_std_error,
    proportion_interval,
    split_domains,
    survey_mean,
    survey_means_by,
    survey_ratio,
    survey_shares_by,
    survey_total,
    wald_interval,
)
from surveytk.survey.hypothesis import (
    RANK_SCORES,
    TestResult,
    rao_scott_test,
    two_group_ranktest,
    two_group_ttest,
)
from surveytk.survey.quantiles import survey_quantiles
from surveytk.survey.shares import ordered_level_codes
from surveytk.survey.summary import DesignSummary

#: the tidy CSV's columns, in order (a contract: docs/estimation.md)
TIDY_COLUMNS = (
    "statistic",
    "variable",
    "level",
    "domain",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "deff",
    "p_value",
)
#: further columns kept in the JSON output
EXTRA_COLUMNS = ("n", "df", "test_statistic", "ndf", "suppressed")


@dataclass(frozen=True)
class EstimateRequest:
    """What to estimate; every list may hold several entries (repeatable options)."""

    mean: tuple[str, ...] = ()
    total: tuple[str, ...] = ()
    ratio: tuple[tuple[str, str], ...] = ()
    quantile: tuple[str, ...] = ()
    probs: tuple[float, ...] = (0.5,)
    prop: tuple[str, ...] = ()
    chisq: tuple[tuple[str, str], ...] = ()
    ttest: tuple[tuple[str, str], ...] = ()
    ranktest: tuple[tuple[str, str], ...] = ()
    rank_score: str = "wilcoxon"
    by: str | None = None
    ci: str = "logit"
    deff: bool = False
    level: float = 0.95
    threshold: int = DEFAULT_THRESHOLD

    def is_empty(self) -> bool:
        return not (
            self.mean
            or self.total
            or self.ratio
            or self.quantile
            or self.prop
            or self.chisq
            or self.ttest
            or self.ranktest
        )

    def variables(self) -> list[str]:
        """Every column the request reads, in order of first mention."""
        names: list[str] = [*self.mean, *self.total, *self.quantile, *self.prop]
        for pairs in (self.ratio, self.chisq, self.ttest, self.ranktest):
            for a, b in pairs:
                names += [a, b]
        if self.by:
            names.append(self.by)
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class EstimateTable:
    """Tidy estimates (:data:`TIDY_COLUMNS` + :data:`EXTRA_COLUMNS`) and what they rest on."""

    rows: pd.DataFrame
    design: DesignSummary
    request: EstimateRequest
    notes: tuple[str, ...] = field(default=())

    def tidy(self) -> pd.DataFrame:
        """The CSV contract: exactly :data:`TIDY_COLUMNS`."""
        return self.rows.loc[:, list(TIDY_COLUMNS)].copy()

    def shown(self) -> pd.DataFrame:
        """The tidy table without the columns this request leaves empty."""
        shown = self.tidy()
        if not self.request.deff:
            shown = shown.drop(columns="deff")
        if self.request.by is None:
            shown = shown.drop(columns="domain")
        if shown["p_value"].isna().all():
            shown = shown.drop(columns="p_value")
        return shown

    def to_text(self) -> str:
        """The design, the estimates and the notes, as the console shows them."""
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            body = self.shown().to_string(
                index=False, na_rep="", float_format=lambda x: f"{x:.6g}"
            )
        return "\n".join([self.design.describe(), body, *(f"note: {n}" for n in self.notes)])

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        notes = "".join(f"<p><small>{html.escape(n)}</small></p>" for n in self.notes)
        table = self.shown().to_html(index=False, na_rep="", float_format=lambda x: f"{x:.6g}")
        return f"<p>{html.escape(self.design.describe())}</p>{table}{notes}"

    def to_dict(self) -> dict[str, Any]:
        """Everything, for the JSON output."""
        numeric = self.rows.select_dtypes("number")
        finite = self.rows.notna()
        finite[numeric.columns] = np.isfinite(numeric.to_numpy(dtype=float))
        rows = self.rows.astype(object).where(finite, None)
        return {
            "kind": "estimate",
            "design": dataclasses.asdict(self.design),
            "confidence_level": self.request.level,
            "proportion_interval": self.request.ci,
            "threshold": self.request.threshold,
            "rows": rows.to_dict(orient="records"),
            "notes": list(self.notes),
        }


# ---------------------------------------------------------------------------
# checking the request against the frame
# ---------------------------------------------------------------------------


def _check_columns(frame: pd.DataFrame, request: EstimateRequest) -> None:
    for name in request.variables():
        if name not in frame.columns:
            raise FormulaError(
                f"no variable {name!r} in the data; columns include "
                + ", ".join(map(str, list(frame.columns)[:10])),
                variable=name,
            )
    if request.ci not in PROP_CI_METHODS:
        raise ModelError(
            f"--ci: expecting one of {{{', '.join(PROP_CI_METHODS)}}}; got {request.ci!r}"
        )
    if request.rank_score not in RANK_SCORES:
        raise ModelError(
            f"--rank-score: expecting one of {{{', '.join(RANK_SCORES)}}}; got "
            f"{request.rank_score!r}"
        )
    if not 0 < request.level < 1:
        raise ModelError(f"--level must lie strictly between 0 and 1; got {request.level:g}")


def numeric_values(frame: pd.DataFrame, name: str, option: str) -> np.ndarray:
    """The column as float64 (booleans as 0/1, missing as NaN), or one clear error."""
    s = frame[name]
    if pd.api.types.is_bool_dtype(s.dtype) or (
        s.dtype == object and s.dropna().map(lambda v: isinstance(v, bool | np.bool_)).all()
    ):
        return np.asarray(s.astype("float64").to_numpy(), dtype=np.float64)
    if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        raise ModelError(
            f"{option} {name}: {name!r} is not numeric ({s.dtype}); use --prop {name} for the "
            "shares of its levels, or recode it",
            variable=name,
        )
    return np.asarray(s.to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)


def category_codes(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, list[str]]:
    """Level codes (−1 = missing) and the levels in their natural order.

    Levels of a labelled numeric column are named by the file's value labels (the
    frame's ``attrs``, set by the analysis loader unless codes were asked for); codes
    without a label keep their code.
    """
    codes, levels = ordered_level_codes(frame[name])
    labels = frame.attrs.get(VALUE_LABELS_ATTR, {}).get(name, {})
    named = [str(labels.get(lv, lv)) for lv in levels]
    if len(set(named)) < len(named):  # two codes share a label: keep the codes
        named = levels
    return codes, named


# ---------------------------------------------------------------------------
# rows
# ---------------------------------------------------------------------------


def _row(statistic: str, variable: str, level: str, domain: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "statistic": statistic,
        "variable": variable,
        "level": level,
        "domain": domain,
    }
    for col in (*TIDY_COLUMNS[4:], *EXTRA_COLUMNS):
        row[col] = values.get(col, np.nan)
    row["suppressed"] = bool(values.get("suppressed", False))
    return row


def _estimate_rows(
    statistic: str,
    variable: str,
    levels: Sequence[str],
    domain: str,
    est: DesignEstimate,
    request: EstimateRequest,
) -> list[dict[str, Any]]:
    lo, hi = wald_interval(est.estimate, est.std_error, est.df, request.level)
    return [
        _row(
            statistic,
            variable,
            lv,
            domain,
            estimate=est.estimate[j],
            std_error=est.std_error[j],
            conf_low=lo[j],
            conf_high=hi[j],
            deff=est.deff[j] if request.deff else np.nan,
            n=est.n,
            df=est.df,
        )
        for j, lv in enumerate(levels)
    ]


def _prop_rows(
    name: str,
    codes: np.ndarray,
    levels: list[str],
    domain: str,
    design: SurveyDesign,
    request: EstimateRequest,
) -> list[dict[str, Any]]:
    ind = indicators(codes, len(levels))
    est = survey_mean(ind, design, deff=request.deff)
    used = design.subset(codes >= 0)
    counts = np.bincount(codes[used.domain], minlength=len(levels)).astype(np.float64)
    logit_se = None
    if request.ci == "logit" and design.is_replicate:
        logit_se = [logit_replicate_std_error(ind[:, j], design) for j in range(len(levels))]
    return _share_rows(name, levels, domain, est, counts, request, logit_se)


def _share_rows(
    name: str,
    levels: list[str],
    domain: str,
    est: DesignEstimate,
    counts: np.ndarray,
    request: EstimateRequest,
    logit_se: list[float] | None = None,
) -> list[dict[str, Any]]:
    """The rows of the shares ``est`` of ``levels`` resting on ``counts`` respondents."""
    rows = []
    for j, lv in enumerate(levels):
        p, se = float(est.estimate[j]), float(est.std_error[j])
        lo, hi = proportion_interval(
            p,
            se,
            est.df,
            est.n,
            request.ci,
            request.level,
            logit_std_error=None if logit_se is None else logit_se[j],
        )
        rows.append(
            _row(
                "prop",
                name,
                lv,
                domain,
                estimate=p,
                std_error=se,
                conf_low=lo,
                conf_high=hi,
                deff=est.deff[j] if request.deff else np.nan,
                n=counts[j],
                df=est.df,
            )
        )
    hidden = suppress_counts(counts, request.threshold).cells[0]
    for row, hide in zip(rows, hidden, strict=True):
        if hide:
            _suppress(row)
    return rows


def _test_row(statistic: str, variable: str, domain: str, res: TestResult) -> dict[str, Any]:
    f_test = res.ndf is not None
    return _row(
        statistic,
        variable,
        "",
        domain,
        estimate=res.statistic if f_test else res.estimate,
        std_error=np.nan if f_test else res.std_error,
        conf_low=res.conf_low,
        conf_high=res.conf_high,
        p_value=res.p_value,
        n=res.n,
        df=res.df,
        ndf=res.ndf if f_test else np.nan,
        test_statistic=res.statistic,
    )


def _suppress(row: dict[str, Any]) -> None:
    for col in (*TIDY_COLUMNS[4:], "n", "test_statistic"):
        row[col] = np.nan
    row["suppressed"] = True


@dataclass(frozen=True)
class _Job:
    """One statistic of the request: its option, tidy name, variable(s)."""

    option: str
    statistic: str
    names: tuple[str, ...]

    @property
    def variable(self) -> str:
        sep = "/" if self.option == "--ratio" else ","
        return sep.join(self.names)


def _jobs(request: EstimateRequest) -> list[_Job]:
    jobs = [_Job("--mean", "mean", (n,)) for n in request.mean]
    jobs += [_Job("--total", "total", (n,)) for n in request.total]
    jobs += [_Job("--ratio", "ratio", pair) for pair in request.ratio]
    jobs += [_Job("--quantile", "quantile", (n,)) for n in request.quantile]
    jobs += [_Job("--prop", "prop", (n,)) for n in request.prop]
    jobs += [_Job("--chisq", "chisq_rao_scott", pair) for pair in request.chisq]
    jobs += [_Job("--ttest", "ttest", pair) for pair in request.ttest]
    rank = f"ranktest_{request.rank_score}"
    jobs += [_Job("--ranktest", rank, pair) for pair in request.ranktest]
    return jobs


def _compute(
    job: _Job,
    frame: pd.DataFrame,
    design: SurveyDesign,
    request: EstimateRequest,
    domain: str,
    coded: dict[str, tuple[np.ndarray, list[str]]],
) -> list[dict[str, Any]]:
    """The rows of one statistic in one domain."""
    names, option = job.names, job.option
    if job.statistic in ("mean", "total", "ratio"):
        values = [numeric_values(frame, n, option) for n in names]
        if job.statistic == "mean":
            est = survey_mean(values[0], design, deff=request.deff)
        elif job.statistic == "total":
            est = survey_total(values[0], design, deff=request.deff)
        else:
            est = survey_ratio(values[0], values[1], design)
        return _estimate_rows(job.statistic, job.variable, [""], domain, est, request)
    if job.statistic == "quantile":
        x = numeric_values(frame, names[0], option)
        return _quantile_rows(names[0], x, domain, design, request)
    if job.statistic == "prop":
        codes, levels = coded[names[0]]
        return _prop_rows(names[0], codes, levels, domain, design, request)
    if job.statistic == "chisq_rao_scott":
        a, b = names
        res = rao_scott_test(coded[a][0], coded[b][0], design, names=(a, b))
    elif job.statistic == "ttest":
        y, g = names
        res = two_group_ttest(
            numeric_values(frame, y, option), coded[g][0], design, request.level, group_name=g
        )
    else:
        y, g = names
        res = two_group_ranktest(
            numeric_values(frame, y, option),
            coded[g][0],
            design,
            request.rank_score,
            group_name=g,
        )
    return [_test_row(job.statistic, job.variable, domain, res)]


def _quantile_rows(
    name: str, x: np.ndarray, domain: str, design: SurveyDesign, request: EstimateRequest
) -> list[dict[str, Any]]:
    return [
        _row(
            "quantile",
            name,
            f"{q.prob:g}",
            domain,
            estimate=q.estimate,
            std_error=q.std_error,
            conf_low=q.conf_low,
            conf_high=q.conf_high,
            n=q.n,
            df=q.df,
        )
        for q in survey_quantiles(x, design, list(request.probs), request.level)
    ]


#: the rows of a statistic in domain ``j`` (named ``level``), estimated without its design
SortedRows = Callable[[int, str], list[dict[str, Any]]]


def _domain_rows(
    frame: pd.DataFrame,
    design: SurveyDesign,
    request: EstimateRequest,
    domain: str,
    coded: dict[str, tuple[np.ndarray, list[str]]],
    notes: list[str],
    sorted_jobs: tuple[dict[_Job, SortedRows], int] = ({}, -1),
) -> list[dict[str, Any]]:
    """Rows of one domain; in a ``--by`` domain, a statistic without data is an empty row.

    ``sorted_jobs`` holds the statistics estimated from the domains' sorted rows
    (:func:`_sorted_jobs`) and the index of this domain among them.
    """
    rows: list[dict[str, Any]] = []
    done, index = sorted_jobs
    for job in _jobs(request):
        try:
            if job in done:
                rows += done[job](index, domain)
            else:
                rows += _compute(job, frame, design, request, domain, coded)
        except EmptyDomainError as exc:
            what = f"{job.option} {job.variable}: {exc.message.split(';')[0]}"
            if not domain:
                raise EmptyDomainError(
                    f"{what}; nothing to estimate", variable=exc.variable or job.names[0]
                ) from None
            rows.append(_row(job.statistic, job.variable, "", domain))
            notes.append(f"{what} ({request.by} = {domain}); its row is empty.")
    for row in rows:
        if row["statistic"] != "prop" and not row["suppressed"] and row["n"] < request.threshold:
            _suppress(row)
    return rows


def estimate(frame: pd.DataFrame, design: SurveyDesign, request: EstimateRequest) -> EstimateTable:
    """Run ``request`` on ``frame`` with ``design`` (built from the same frame).

    Parameters
    ----------
    frame
        The analysis table; its rows are the design's rows.
    design
        The design, possibly narrowed to a subpopulation (``--subpop``).
    request
        What to estimate.

    Returns
    -------
    EstimateTable

    Raises
    ------
    FormulaError
        A variable is not in the data.
    ModelError
        A variable has the wrong type, a domain has no respondent with a value,
        a two-group test's group has not two levels.

    Notes
    -----
    With ``by``, each level of the variable is a domain of the full design
    (R ``svyby``): estimates use its rows only, the variance all PSUs and
    strata; rows with a missing ``by`` value are in no domain. Intervals use
    t with the design degrees of freedom of the domain (R
    ``confint(..., df = degf(design))``, as ``svyciprop`` and ``svyquantile``).
    Estimates resting on fewer than ``threshold`` respondents are suppressed,
    and so are proportions of levels with fewer respondents (with
    complementary suppression).
    """
    if request.is_empty():
        raise OutputError(
            "nothing to estimate: give --mean, --total, --ratio, --quantile, --prop, "
            "--chisq, --ttest or --ranktest"
        )
    check_threshold(request.threshold)
    _check_columns(frame, request)
    if len(frame) != design.n:
        raise ModelError(f"the design has {design.n} rows and the data {len(frame)}")
    categorical = [*request.prop]
    for a, b in request.chisq:
        categorical += [a, b]
    categorical += [g for _, g in (*request.ttest, *request.ranktest)]
    coded = {name: category_codes(frame, name) for name in dict.fromkeys(categorical)}
    notes: list[str] = []
    if design.subpop:
        notes.append(f"Subpopulation: {design.subpop} (the full design kept for the variance).")
    if request.by is None:
        rows = _domain_rows(frame, design, request, "", coded, notes)
    else:
        codes, levels = category_codes(frame, request.by)
        missing = int(np.sum((codes < 0) & design.domain))
        if missing:
            notes.append(
                f"{count_text(missing, request.threshold)} respondents with missing "
                f"{request.by} are in no domain."
            )
        used = _domain_frame(frame, request)
        rows = _by_rows(used, design, request, codes, levels, coded, notes)
    notes += _missing_notes(frame, design, request)
    table = pd.DataFrame(rows, columns=[*TIDY_COLUMNS, *EXTRA_COLUMNS])
    if request.deff and _deff_undefined(table):
        notes.append(
            "deff is infinite or missing where the weights sum to the sample size or less: "
            "the SRS variance without replacement from a population of Σw ≤ n is zero or "
            "undefined (R's convention; deff needs weights that sum to the population size)."
        )
    if table["suppressed"].any():
        notes.append(suppression_note(request.threshold))
    return EstimateTable(table, design.summary(), request, tuple(notes))


def _by_rows(
    used: pd.DataFrame,
    design: SurveyDesign,
    request: EstimateRequest,
    codes: np.ndarray,
    levels: list[str],
    coded: dict[str, tuple[np.ndarray, list[str]]],
    notes: list[str],
) -> list[dict[str, Any]]:
    """The rows of every domain of ``--by``: means and shares from the rows sorted by
    domain where the design allows it (:func:`_sorted_jobs`), the rest on
    each domain's compacted design (:func:`split_domains`)."""
    done = _sorted_jobs(used, design, request, codes, len(levels), coded)
    rows: list[dict[str, Any]] = []
    if all(job in done for job in _jobs(request)):
        present = domains_present(design, codes, len(levels))
        for j, lv in enumerate(levels):
            if present[j]:
                rows += _domain_rows(used, design, request, lv, coded, notes, (done, j))
        return rows
    parts = split_domains(design, codes, levels, request.by or "")
    for j, (lv, part) in enumerate(zip(levels, parts, strict=True)):
        if part is None:
            continue
        if part.rows is None:
            rows += _domain_rows(used, part.design, request, lv, coded, notes, (done, j))
            continue
        taken = {k: (c[part.rows], names) for k, (c, names) in coded.items()}
        part_frame = used.take(part.rows)
        rows += _domain_rows(part_frame, part.design, request, lv, taken, notes, (done, j))
    return rows


def _sorted_jobs(
    used: pd.DataFrame,
    design: SurveyDesign,
    request: EstimateRequest,
    codes: np.ndarray,
    n_domains: int,
    coded: dict[str, tuple[np.ndarray, list[str]]],
) -> dict[_Job, SortedRows]:
    """The means and shares estimated from the rows of each domain, sorted once
    (:func:`survey_means_by`, :func:`survey_shares_by`), where the design allows it."""
    done: dict[_Job, SortedRows] = {}
    for job in _jobs(request):
        name = job.names[0]
        if job.statistic == "mean":
            values = used[name].to_numpy()
            means = survey_means_by(values, design, codes, n_domains, deff=request.deff)
            if means is not None:
                done[job] = _mean_rows(name, means, request)
        elif job.statistic == "prop":
            level_codes, levels = coded[name]
            shares = survey_shares_by(
                level_codes, len(levels), design, codes, n_domains, deff=request.deff
            )
            if shares is not None:
                done[job] = _shares_rows(name, levels, *shares, request)
    return done


def _mean_rows(name: str, means: DomainEstimates, request: EstimateRequest) -> SortedRows:
    return lambda j, domain: _estimate_rows("mean", name, [""], domain, means.get(j), request)


def _shares_rows(
    name: str,
    levels: list[str],
    shares: DomainEstimates,
    counts: Callable[[int], np.ndarray],
    request: EstimateRequest,
) -> SortedRows:
    return lambda j, domain: _share_rows(name, levels, domain, shares.get(j), counts(j), request)


def _domain_frame(frame: pd.DataFrame, request: EstimateRequest) -> pd.DataFrame:
    """The columns read as numbers, as float64 (checked once, not per domain:
    :func:`numeric_values` of a domain's rows then reads the same values)."""
    numeric: dict[str, np.ndarray] = {}
    for job in _jobs(request):
        if job.statistic in ("mean", "total", "ratio", "quantile"):
            names = job.names
        elif job.option in ("--ttest", "--ranktest"):
            names = job.names[:1]
        else:
            continue  # categories are coded once, before the domains
        for name in names:
            if name not in numeric:
                numeric[name] = numeric_values(frame, name, job.option)
    used = pd.DataFrame(numeric, index=frame.index, copy=False)
    used.attrs = frame.attrs
    return used


def _deff_undefined(table: pd.DataFrame) -> bool:
    has_deff = (
        table["statistic"].isin(["mean", "total", "ratio", "prop"]) & table["estimate"].notna()
    )
    deff = table.loc[has_deff, "deff"].to_numpy(dtype=float)
    return bool((~np.isfinite(deff)).any())


def _missing_notes(
    frame: pd.DataFrame, design: SurveyDesign, request: EstimateRequest
) -> list[str]:
    out = []
    for name in request.variables():
        if name == request.by:
            continue
        n_missing = int(np.sum(frame[name].isna().to_numpy() & design.domain))
        if n_missing:
            out.append(
                f"{name}: {count_text(n_missing, request.threshold)} respondents with a "
                "missing value left out."
            )
    return out
