"""Descriptive estimators with design-based variance: means, totals, ratios, proportions.

Every estimator is a pure function of arrays over all ``n`` rows of a
:class:`~surveytk.survey.design.SurveyDesign` and returns a :class:`DesignEstimate`:
point estimates, their covariance, the design degrees of freedom and the
design effects. Rows outside ``design.domain`` (``--subpop``, a level of
``--by``, a missing value of the variable) contribute nothing to the estimate,
while every PSU and stratum of the design stays in the variance (domain
estimation, R ``svyby`` / ``subset.survey.design``).

Variance
    Linearised designs: the variance of the total of the influence values
    z_i (one column per estimate), PSU totals centred within strata with the
    fpc and n_h/(n_h − 1) (:func:`influence_covariance`, the same meat as the
    model families, R ``svyrecvar``). Replicate designs: the estimator is
    recomputed with every replicate's weights and the spread of the
    replicate estimates is the variance (R ``svrVar``), so nonlinear
    statistics (ratios, quantiles) are re-estimated, not linearised.

The numbers are R ``survey``'s (4.1): ``svymean``, ``svytotal``,
``svyratio`` and their ``deff = TRUE``, ``svyciprop`` (``mean``, ``logit``,
``beta``); see ``docs/estimation.md`` and ``tests/reference/estimate_reference.R``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Literal, get_args

import numpy as np

from surveytk.errors import ModelError
from surveytk.survey.design import SurveyDesign
from surveytk.survey.distributions import interval_multiplier
from surveytk.survey.variance import (
    UnitSums,
    linearized_meat,
    multistage_meat_of_sums,
    replicate_variance,
)

PropCI = Literal["wald", "logit", "beta"]
PROP_CI_METHODS: tuple[str, ...] = get_args(PropCI)

#: a statistic recomputed from analysis weights of the domain rows (replicate variance)
Recompute = Callable[[np.ndarray], np.ndarray]


class EmptyDomainError(ModelError):
    """A domain has no respondent with a value (or a test variable has one level there)."""


#: the message of a domain whose rows all lack the variable
NO_VALUE = "no respondent in the domain has a value; nothing to estimate"


@dataclass(frozen=True)
class DesignEstimate:
    """k estimates over one domain with their design-based covariance.

    Attributes
    ----------
    estimate
        (k,) point estimates.
    cov
        (k, k) covariance (linearised or replicate).
    df
        Design degrees of freedom of the domain (R ``degf``).
    deff
        (k,) design effects (R ``deff = TRUE``), NaN where undefined.
    n
        Rows in the domain that the estimate used.
    sum_weights
        Σ w over those rows.
    """

    estimate: np.ndarray
    cov: np.ndarray
    df: float
    deff: np.ndarray
    n: int
    sum_weights: float

    @property
    def std_error(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))


# ---------------------------------------------------------------------------
# variance
# ---------------------------------------------------------------------------


def influence_covariance(influence: np.ndarray, design: SurveyDesign) -> np.ndarray:
    """Linearised covariance of estimates from their influence values.

    Parameters
    ----------
    influence
        (n_domain, k) influence values z_i of the domain rows (frame order),
        weights included, so that θ̂ − θ ≈ Σ_i z_i.

    Notes
    -----
    V = Σ_h (1 − f_h) n_h/(n_h − 1) Σ_i (z_hi − z̄_h)(z_hi − z̄_h)' over PSU
    totals z_hi (Binder 1983; R ``svyrecvar``), with the design's lonely-PSU rule.
    """
    return np.asarray(linearized_meat(np.atleast_2d(influence.T).T, design))


def replicate_covariance(
    recompute: Recompute, full: np.ndarray, design: SurveyDesign
) -> np.ndarray:
    """Replicate covariance: ``recompute`` with each replicate's domain weights.

    Replicates whose estimate is not finite (an empty denominator in one
    replicate) are discarded, as R ``svrVar`` does; if all are, the variance
    is NaN.
    """
    dom = design.domain
    scale, rscales = design.replicate_scales()
    thetas = np.vstack(
        [
            np.atleast_1d(recompute(design.replicate_weights(r)[dom]))
            for r in range(design.n_replicates)
        ]
    )
    ok = np.isfinite(thetas).all(axis=1)
    if not ok.any():
        k = full.shape[0]
        return np.full((k, k), np.nan)
    return replicate_variance(thetas[ok], full, scale, rscales[ok], design.mse)


def design_covariance(
    influence: np.ndarray, recompute: Recompute, full: np.ndarray, design: SurveyDesign
) -> np.ndarray:
    """Replicate covariance for replicate designs, linearised otherwise."""
    if design.is_replicate:
        return replicate_covariance(recompute, full, design)
    return influence_covariance(influence, design)


# ---------------------------------------------------------------------------
# domains of a --by variable
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainPart:
    """One level of a ``--by`` variable: the design of its domain and the frame rows it keeps.

    ``rows`` is ``None`` when the design keeps every row of the frame (the domain is
    then a mask of the full design); otherwise the design was compacted to those
    rows (frame order) and every array aligned with it must be taken at ``rows``.
    """

    rows: np.ndarray | None
    design: SurveyDesign


def _compact(design: SurveyDesign, rows: np.ndarray) -> SurveyDesign:
    """The design over ``rows`` (rows of its domain) alone, every PSU and stratum kept.

    Domain estimates of a linearised or replicate design read only the rows of
    their domain, while the variance keeps the full design's PSUs and strata
    through the per-unit and per-stratum tables (``n_h``, ``unit_stratum``,
    ``popsize_h``, replicate factors per PSU), which stay as they are. So the
    compact design gives the same numbers as ``design.subset(mask)``, summed in
    the same order, at a cost proportional to the domain, not to the frame.
    """
    # Units are nested in strata, so a row's stratum is its unit's: looked up in the
    # (small) unit table rather than gathered from another array over every row.
    stages = []
    for s in design.all_stages:
        units = s.units[rows]
        stages.append(dataclasses.replace(s, strata=s.unit_stratum[units], units=units))
    rep = design.repweights
    if rep is not None and not design.rep_per_psu:
        rep = rep[rows]
    return dataclasses.replace(
        design,
        weights=design.weights[rows],
        strata=stages[0].strata,
        psu=stages[0].units,
        domain=np.ones(rows.size, dtype=bool),
        stages=tuple(stages) if design.stages else (),
        repweights=rep,
    )


def split_domains(
    design: SurveyDesign, codes: np.ndarray, labels: list[str], name: str
) -> list[DomainPart | None]:
    """The domain of each level of a ``--by`` variable (R ``svyby``), ``None`` if it is empty.

    Parameters
    ----------
    codes
        (n,) level codes 0..k−1 over all design rows, −1 where missing.
    labels
        The k levels' names (the domain label reads ``name == label``).

    Notes
    -----
    Rows are sorted by level once (a stable sort keeps frame order within a level),
    and each domain's design is compacted to its rows (:func:`_compact`). A
    calibrated or nonresponse-adjusted design keeps every row: its variance
    projects the estimating functions of all rows on the adjustment, so each
    domain is a mask of the full design instead.
    """
    k = len(labels)
    key = _level_keys(design, codes, k)
    if design.calibration is not None or design.nonresponse is not None:
        present = np.bincount(key, minlength=k + 1)[:k] > 0
        return [
            DomainPart(None, design.subset(codes == j, label=f"{name} == {lv}"))
            if present[j]
            else None
            for j, lv in enumerate(labels)
        ]
    order, bounds = _sort_by_level(key, k)
    parts: list[DomainPart | None] = []
    for j, lv in enumerate(labels):
        rows = order[bounds[j] : bounds[j + 1]]
        if rows.size == 0:
            parts.append(None)
            continue
        label = design.subpop_and(f"{name} == {lv}")
        parts.append(DomainPart(rows, dataclasses.replace(_compact(design, rows), subpop=label)))
    return parts


def _level_keys(design: SurveyDesign, codes: np.ndarray, k: int) -> np.ndarray:
    """(n,) the level code of each row in the design's domain, ``k`` for every other row."""
    return np.where(design.domain & (codes >= 0), codes, k)


def _sort_by_level(key: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by ``key`` (0..k, frame order within a level) and the (k+2,) bounds."""
    small = np.int16 if k < np.iinfo(np.int16).max else np.int64
    order = np.argsort(key.astype(small), kind="stable")  # a radix sort for int16
    bounds = np.concatenate([[0], np.cumsum(np.bincount(key, minlength=k + 1))])
    return order, bounds


def domains_present(design: SurveyDesign, codes: np.ndarray, k: int) -> np.ndarray:
    """(k,) levels with rows in the design's domain (those :func:`split_domains` keeps)."""
    return np.bincount(_level_keys(design, codes, k), minlength=k + 1)[:k] > 0


# ---------------------------------------------------------------------------
# means and shares in every domain of a --by variable (linearised designs)
# ---------------------------------------------------------------------------


def _buffer(scratch: dict[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    """The float buffer ``name`` of ``scratch``, made once: the arrays of one domain after
    another reuse the same memory rather than fresh pages."""
    if name not in scratch:
        scratch[name] = np.empty(shape)
    return scratch[name]


def _taken(
    scratch: dict[str, np.ndarray], name: str, source: np.ndarray, rows: np.ndarray, size: int
) -> np.ndarray:
    """``source[rows]`` in the buffer ``name`` of ``scratch``, made once for ``size`` rows."""
    if name not in scratch:
        scratch[name] = np.empty(size, dtype=source.dtype)
    return np.take(source, rows, out=scratch[name][: rows.size], mode="clip")  # "raise" copies


@dataclass(frozen=True)
class DomainEstimates:
    """Means of k quantities in each domain of a ``--by`` variable, rows sorted once.

    ``rows[j]`` holds the rows of domain ``j`` that have a value (frame order; ``None``
    if there are none) and ``values(rows, scratch)`` their (m, k) values (possibly in a
    buffer of ``scratch``). :meth:`get` is the :class:`DesignEstimate` of one domain:
    exactly the numbers of :func:`survey_mean` (with design effects if ``deff``) on the
    design narrowed to the domain, the same sums in the same order, from the domain's
    rows alone and without building its design.
    """

    design: SurveyDesign
    rows: list[np.ndarray | None]
    values: Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray]
    deff: bool = False
    scratch: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def largest(self) -> int:
        """Rows of the largest domain (the size of the buffers)."""
        return max((r.size for r in self.rows if r is not None), default=0)

    def get(self, j: int) -> DesignEstimate:
        """Domain ``j``; raises as :func:`survey_mean` would (no value, a lonely PSU under
        ``fail``)."""
        rows = self.rows[j]
        if rows is None:
            raise EmptyDomainError(NO_VALUE)
        d, scratch, size = self.design, self.scratch, self.largest
        w, y = _taken(scratch, "w", d.weights, rows, size), self.values(rows, scratch)
        wsum = float(w.sum())
        est = w @ y / wsum
        stages = d.all_stages
        used = stages if d.later_stage_variance else stages[:1]
        units = [_taken(scratch, f"units{i}", s.units, rows, size) for i, s in enumerate(used)]
        totals: list[list[np.ndarray]] = [[] for _ in used]
        x = _buffer(scratch, "x", (size,))[: rows.size]
        for c in range(y.shape[1]):  # survey_mean's influence values w (y − ȳ) / Σw
            np.subtract(y[:, c], est[c], out=x)
            np.multiply(w, x, out=x)
            np.divide(x, wsum, out=x)
            for u, s, out in zip(units, used, totals, strict=True):
                out.append(np.bincount(u, weights=x, minlength=s.n_units))
        sums: list[UnitSums] = []
        for u, s, out in zip(units, used, totals, strict=True):
            present = np.zeros(s.n_units, dtype=bool)
            present[u] = True
            sums.append((np.column_stack(out), present))
        cov = multistage_meat_of_sums(
            sums.__getitem__,
            stages,
            lonely_psu=d.lonely_psu,
            adjust_domain_lonely=d.adjust_domain_lonely,
            later_stages=d.later_stage_variance,
        )
        present = sums[0][1]  # the domain's PSUs minus its strata (R degf)
        n_strata = np.count_nonzero(np.bincount(stages[0].unit_stratum[present]))
        df = float(np.count_nonzero(present) - n_strata)
        effects = mean_deff(np.diag(cov), y, w) if self.deff else _no_deff(est)
        return DesignEstimate(est, cov, df, effects, int(rows.size), wsum)


def _domain_rows(
    design: SurveyDesign, by: np.ndarray, n_domains: int, present: np.ndarray
) -> list[np.ndarray | None] | None:
    """The rows of each domain ``by == j`` in the design's domain with ``present`` values
    (frame order), from one sort; ``None`` for a replicate or adjusted design, whose
    domains :func:`split_domains` estimates."""
    if design.is_replicate or design.calibration is not None or design.nonresponse is not None:
        return None
    key = np.where(design.domain & (by >= 0) & present, by, n_domains)
    order, bounds = _sort_by_level(key, n_domains)
    return [order[lo:hi] if hi > lo else None for lo, hi in pairwise(bounds[:-1])]


def survey_means_by(
    values: np.ndarray,
    design: SurveyDesign,
    by: np.ndarray,
    n_domains: int,
    *,
    deff: bool = False,
) -> DomainEstimates | None:
    """:func:`survey_mean` of ``values`` in each domain ``by == j`` of a linearised design.

    Parameters
    ----------
    values
        (n,) over all design rows; missing values leave the domains.
    by
        (n,) domain codes 0..D−1, negative where in no domain.
    deff
        Compute the design effects.

    Returns
    -------
    DomainEstimates, or ``None`` for a replicate, calibrated or nonresponse-adjusted
    design: estimate on each domain's design then (:func:`split_domains`).
    """
    y = np.asarray(values, dtype=np.float64)
    rows = _domain_rows(design, by, n_domains, np.isfinite(y))
    if rows is None:
        return None

    def y_rows(r: np.ndarray, scratch: dict[str, np.ndarray]) -> np.ndarray:
        return _taken(scratch, "y", y, r, found.largest)[:, None]

    found = DomainEstimates(design, rows, y_rows, deff)
    return found


def survey_shares_by(
    codes: np.ndarray,
    n_levels: int,
    design: SurveyDesign,
    by: np.ndarray,
    n_domains: int,
    *,
    deff: bool = False,
) -> tuple[DomainEstimates, Callable[[int], np.ndarray]] | None:
    """The shares of levels ``0..n_levels−1`` of ``codes`` in each domain ``by == j`` of a
    linearised design: :func:`survey_mean` of their :func:`indicators`.

    Returns
    -------
    DomainEstimates and the counts of rows of each level in domain ``j``, or ``None``
    as :func:`survey_means_by`.
    """
    k = n_levels
    rows = _domain_rows(design, by, n_domains, codes >= 0)
    if rows is None:
        return None
    levels = np.arange(k)
    taken: list[np.ndarray | None] = [None]  # the rows whose codes the buffer holds

    def codes_of(r: np.ndarray, scratch: dict[str, np.ndarray]) -> np.ndarray:
        if taken[0] is not r:
            _taken(scratch, "codes", codes, r, found.largest)
            taken[0] = r
        return scratch["codes"][: r.size]

    def indicator_rows(r: np.ndarray, scratch: dict[str, np.ndarray]) -> np.ndarray:
        """:func:`indicators` of the rows (all with a level), in a reused buffer."""
        out = _buffer(scratch, "indicators", (found.largest, k))[: r.size]
        return np.equal(codes_of(r, scratch)[:, None], levels, out=out, casting="unsafe")

    def counts(j: int) -> np.ndarray:
        r = rows[j]
        if r is None:
            return np.zeros(k)
        return np.bincount(codes_of(r, found.scratch), minlength=k).astype(np.float64)

    found = DomainEstimates(design, rows, indicator_rows, deff)
    return found, counts


# ---------------------------------------------------------------------------
# design effects
# ---------------------------------------------------------------------------


def srs_variance(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted population variance estimate s² = n/(n−1) Σ w (y − ȳ)² / Σ w (R ``svyvar``)."""
    n = values.shape[0]
    wsum = float(weights.sum())
    mean = weights @ values / wsum
    dev = values - mean
    if n < 2:
        return np.full(values.shape[1], np.nan)
    return np.asarray((weights @ (dev * dev)) / wsum * n / (n - 1.0))


def mean_deff(variance: np.ndarray, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """deff of a mean: V / (s² (N̂ − n)/(N̂ n)) (R ``svymean(deff = TRUE)``).

    Notes
    -----
    The SRS variance is that of a simple random sample of n without
    replacement from a population of N̂ = Σ w, s² the weighted variance with
    the n/(n−1) factor. NaN when N̂ < n (weights not scaled to the
    population; R returns NA with a warning).
    """
    n = values.shape[0]
    big_n = float(weights.sum())
    if big_n < n:
        return np.full(values.shape[1], np.nan)
    vsrs = srs_variance(values, weights) * (big_n - n) / (big_n * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(variance / vsrs)


def total_deff(variance: np.ndarray, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """deff of a total: V / (s² N̂² (N̂ − n)/(N̂ n)) (R ``svytotal(deff = TRUE)``)."""
    n = values.shape[0]
    big_n = float(weights.sum())
    vsrs = srs_variance(values, weights) * big_n**2 * (big_n - n) / (big_n * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(variance / vsrs)


# ---------------------------------------------------------------------------
# estimators
# ---------------------------------------------------------------------------


def _domain(values: np.ndarray, design: SurveyDesign) -> tuple[SurveyDesign, np.ndarray]:
    """The design narrowed to rows where every column is present, and those rows' values."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    rows = np.flatnonzero(design.domain)
    vd = v[rows]  # only the domain's rows are looked at (a --by domain is a small part)
    ok = np.asarray(np.isfinite(vd).all(axis=1), dtype=bool)
    if ok.all():
        sub = design
    else:
        present = np.zeros(design.n, dtype=bool)
        present[rows[ok]] = True
        sub, vd = design.subset(present), vd[ok]
    if sub.n_obs == 0:
        raise EmptyDomainError(NO_VALUE)
    return sub, vd


def survey_mean(values: np.ndarray, design: SurveyDesign, *, deff: bool = True) -> DesignEstimate:
    """Weighted mean(s) Σ w y / Σ w in the domain (R ``svymean``).

    Parameters
    ----------
    values
        (n,) or (n, k) over all design rows; rows with a missing value leave
        the domain (R ``na.rm = TRUE``).
    deff
        Compute the design effects (one more pass over the rows); ``False`` leaves
        them NaN.

    Notes
    -----
    Influence z_i = w_i (y_i − ȳ) / Σ w (Woodruff 1971; Lumley 2010, §2.2).
    """
    sub, y = _domain(values, design)
    w = sub.domain_weights()
    wsum = float(w.sum())
    est = w @ y / wsum
    infl = w[:, None] * (y - est) / wsum
    cov = design_covariance(infl, lambda wr: wr @ y / wr.sum(), est, sub)
    effects = mean_deff(np.diag(cov), y, w) if deff else _no_deff(est)
    return DesignEstimate(est, cov, sub.df, effects, y.shape[0], wsum)


def _no_deff(est: np.ndarray) -> np.ndarray:
    return np.full(est.shape[0], np.nan)


def survey_total(values: np.ndarray, design: SurveyDesign, *, deff: bool = True) -> DesignEstimate:
    """Weighted total(s) Σ w y in the domain (R ``svytotal``); influence z_i = w_i y_i;
    ``deff=False`` leaves the design effects NaN."""
    sub, y = _domain(values, design)
    w = sub.domain_weights()
    est = w @ y
    infl = w[:, None] * y
    cov = design_covariance(infl, lambda wr: wr @ y, est, sub)
    effects = total_deff(np.diag(cov), y, w) if deff else _no_deff(est)
    return DesignEstimate(est, cov, sub.df, effects, y.shape[0], float(w.sum()))


def survey_ratio(
    numerator: np.ndarray, denominator: np.ndarray, design: SurveyDesign
) -> DesignEstimate:
    """Ratio of totals R̂ = Σ w y / Σ w x in the domain (R ``svyratio``).

    Notes
    -----
    Influence z_i = w_i (y_i − R̂ x_i) / Σ w x. The design effect is that of
    the total of r_i = (y_i − R̂ x_i)/Σ w x (R's ``deff(svytotal(r))``); on
    replicate designs it divides the replicate variance by the same SRS
    variance (R's own ``svyratio`` fails there with ``deff = TRUE``).
    """
    both = np.column_stack([numerator, denominator]).astype(np.float64)
    sub, yx = _domain(both, design)
    y, x = yx[:, 0], yx[:, 1]
    w = sub.domain_weights()
    xsum = float(w @ x)
    if xsum == 0:
        raise ModelError("the denominator's total is zero in the domain; the ratio is undefined")
    ratio = float(w @ y) / xsum
    r = (y - ratio * x) / xsum
    est = np.array([ratio])
    cov = design_covariance((w * r)[:, None], lambda wr: np.array([(wr @ y) / (wr @ x)]), est, sub)
    deff = total_deff(np.diag(cov), r[:, None], w)
    return DesignEstimate(est, cov, sub.df, deff, y.shape[0], float(w.sum()))


def indicators(codes: np.ndarray, n_levels: int) -> np.ndarray:
    """(n, k) 0/1 indicators of level codes; NaN rows where the code is negative (missing)."""
    c = np.asarray(codes, dtype=np.int64)
    out = np.zeros((c.shape[0], n_levels))
    ok = c >= 0
    out[np.flatnonzero(ok), c[ok]] = 1.0
    out[~ok] = np.nan
    return out


# ---------------------------------------------------------------------------
# intervals
# ---------------------------------------------------------------------------


def t_quantile(df: float, level: float = 0.95) -> float:
    """t_{(1+level)/2, df}; the normal quantile for infinite df, NaN for df ≤ 0.

    Kept per (df, level) by :func:`~surveytk.survey.distributions.quantile`: the
    intervals of a table (every level of every domain) share a few degrees of freedom.
    """
    return interval_multiplier(level, df)


def wald_interval(
    estimate: np.ndarray, std_error: np.ndarray, df: float, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """estimate ± t_{df} · se (R ``confint(..., df = degf(design))``)."""
    q = t_quantile(df, level)
    return estimate - q * std_error, estimate + q * std_error


def proportion_interval(
    p: float,
    std_error: float,
    df: float,
    n_rows: int,
    method: str,
    level: float = 0.95,
    logit_std_error: float | None = None,
) -> tuple[float, float]:
    """Interval of a proportion as R ``svyciprop``.

    Parameters
    ----------
    p, std_error
        The estimated proportion and its standard error.
    df
        Design degrees of freedom.
    n_rows
        Rows in the domain (R ``nrow(design)``; used by ``beta``).
    method
        ``wald``: p ± t·se. ``logit``: expit(logit p ± t · se_logit) with
        se_logit = se / (p(1 − p)) (the intercept-only quasi-binomial
        ``svyglm`` of R; ``logit_std_error`` overrides it, for replicate
        designs where R refits on each replicate). ``beta``: Korn & Graubard
        (1998) with the effective sample size n* = p(1 − p)/se² ·
        (t_{n−1}/t_{df})² and Clopper-Pearson limits
        Beta_{α/2}(n* p, n*(1 − p) + 1), Beta_{1−α/2}(n* p + 1, n*(1 − p)).
    """
    if method not in PROP_CI_METHODS:
        raise ModelError(f"--ci: expecting one of {{{', '.join(PROP_CI_METHODS)}}}; got {method!r}")
    alpha = 1.0 - level
    p, std_error = np.float64(p), np.float64(std_error)  # 0/0 → NaN, not an exception
    if method == "wald":
        lo, hi = wald_interval(np.array([p]), np.array([std_error]), df, level)
        return float(lo[0]), float(hi[0])
    if method == "logit":
        with np.errstate(divide="ignore", invalid="ignore"):
            se_l = std_error / (p * (1.0 - p)) if logit_std_error is None else logit_std_error
            eta = np.log(p / (1.0 - p))
        q = t_quantile(df, level)
        return float(_expit(eta - q * se_l)), float(_expit(eta + q * se_l))
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p * (1.0 - p) / std_error**2
    from scipy import stats  # only here (beta intervals): a slow import

    ratio = stats.t.ppf(alpha / 2.0, n_rows - 1) / stats.t.ppf(alpha / 2.0, df)
    n_eff = n_eff * ratio**2
    lo = stats.beta.ppf(alpha / 2.0, n_eff * p, n_eff * (1.0 - p) + 1.0)
    hi = stats.beta.ppf(1.0 - alpha / 2.0, n_eff * p + 1.0, n_eff * (1.0 - p))
    return float(lo), float(hi)


def logit_replicate_std_error(indicator: np.ndarray, design: SurveyDesign) -> float:
    """SE of logit(p̂) from replicates (R ``svyciprop(method="logit")`` on replicate designs).

    R fits ``svyglm(y ~ 1, family = quasibinomial)`` and refits it on every
    replicate; the intercept of replicate r is logit(p̂_r).
    """
    sub, y = _domain(indicator, design)
    yes, no = y[:, 0], 1.0 - y[:, 0]

    def logit(wr: np.ndarray) -> np.ndarray:
        # log Σ w y − log Σ w (1 − y): ±inf exactly when every row is 1 (or 0), where
        # Σ w y / Σ w rounds to 0.9999999999999999 and gave a finite logit of noise
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.array([np.log(wr @ yes) - np.log(wr @ no)])

    full = logit(sub.domain_weights())
    cov = replicate_covariance(logit, full, sub)
    return float(np.sqrt(cov[0, 0]))


def _expit(x: float) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(1.0 / (1.0 + np.exp(-x)))
