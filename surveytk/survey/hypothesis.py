"""Design-based tests: Rao-Scott association, two-group t-test and rank test.

- :func:`rao_scott_test` — independence in a two-way table with the Rao & Scott
  (1984) second-order correction as an F statistic (R ``svychisq(statistic = "F")``).
- :func:`two_group_ttest` — difference of a variable's mean between two
  groups (R ``svyttest(y ~ g)``).
- :func:`two_group_ranktest` — difference of mean rank scores between two
  groups, ranks from the estimated population distribution (Lumley & Scott
  2013; R ``svyranktest``, Wilcoxon, van der Waerden or median scores).

All are pure functions of arrays over the rows of a
:class:`~surveytk.survey.design.SurveyDesign`; rows outside its domain or with a
missing value take no part (R ``na.rm = TRUE``), the full design stays in
the variance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from surveytk.errors import ModelError
from surveytk.survey.design import SurveyDesign
from surveytk.survey.estimators import (
    EmptyDomainError,
    design_covariance,
    survey_mean,
    t_quantile,
)

RankScore = Literal["wilcoxon", "vanderwaerden", "median"]
RANK_SCORES: tuple[str, ...] = get_args(RankScore)


@dataclass(frozen=True)
class TestResult:
    """A test statistic with its reference distribution.

    ``estimate``/``std_error``/``conf_low``/``conf_high`` are the tested
    difference for t-type tests (NaN for the Rao-Scott F); ``statistic`` is t
    or F; ``df`` the t df or the F denominator df; ``ndf`` the F numerator df.
    """

    statistic: float
    p_value: float
    df: float
    ndf: float | None = None
    estimate: float = float("nan")
    std_error: float = float("nan")
    conf_low: float = float("nan")
    conf_high: float = float("nan")
    n: int = 0

    def describe(self) -> str:
        """One sentence for table notes (the Rao-Scott F, or a t test)."""
        if self.ndf is not None:
            return (
                f"Rao-Scott test of independence (second-order, F): F = {self.statistic:.4g} "
                f"on {self.ndf:.4g} and {self.df:.4g} df, p = {self.p_value:.4g}."
            )
        return f"t = {self.statistic:.4g} on {self.df:g} df, p = {self.p_value:.4g}."


def _complete(design: SurveyDesign, *columns: np.ndarray) -> SurveyDesign:
    ok = np.ones(design.n, dtype=bool)
    for c in columns:
        c = np.asarray(c)
        ok &= np.isfinite(c) if c.dtype.kind == "f" else c >= 0
    sub = design if ok[design.domain].all() else design.subset(ok)
    if sub.n_obs == 0:
        raise EmptyDomainError("no respondent in the domain has both values; nothing to test")
    return sub


def _observed(codes: np.ndarray, design: SurveyDesign, name: str) -> tuple[np.ndarray, int]:
    """Codes renumbered 0..k−1 over the levels present in the domain (−1 elsewhere)."""
    present = np.unique(codes[design.domain])
    remap = np.full(int(codes.max()) + 2, -1, dtype=np.int64)
    remap[present] = np.arange(present.size)
    out = np.where(codes >= 0, remap[np.where(codes >= 0, codes, -1)], -1)
    if present.size < 2:
        raise EmptyDomainError(
            f"{name} has fewer than two levels in the domain; nothing to test", variable=name
        )
    return out, int(present.size)


def rao_scott_test(
    row_codes: np.ndarray,
    col_codes: np.ndarray,
    design: SurveyDesign,
    names: tuple[str, str] = ("the row variable", "the column variable"),
) -> TestResult:
    """Rao-Scott second-order corrected F test of independence (R ``svychisq``, ``F``).

    Parameters
    ----------
    row_codes, col_codes
        (n,) level codes of the two variables (−1 = missing).
    names
        The variables' names, for messages.

    Notes
    -----
    With p the estimated cell proportions (r × c, V their design covariance),
    X² = N Σ (p_ij − p_i· p_·j)² / (p_i· p_·j) the Pearson statistic of the
    weighted table scaled to N rows, C a basis of the interaction contrasts
    (residuals of the interaction columns on the main effects) and
    D = diag(p), the generalised design effects are the eigenvalues of
    Δ = (C'D⁻¹C/N)⁻¹ (C'D⁻¹VD⁻¹C). Then F = X² / tr Δ on
    d₀ = (tr Δ)² / tr Δ² and ν·d₀ degrees of freedom, ν the design df
    (Rao & Scott 1984; Lumley 2010, §6.2). F and d₀ do not depend on N.
    Levels absent from the domain are left out.
    """
    from scipy import stats  # lazily: importing scipy.stats costs ~1 s at start-up
    sub = _complete(design, row_codes, col_codes)
    nu = design.df
    r_codes, nr = _observed(np.asarray(row_codes, dtype=np.int64), sub, names[0])
    c_codes, nc = _observed(np.asarray(col_codes, dtype=np.int64), sub, names[1])
    cell = np.where((r_codes >= 0) & (c_codes >= 0), r_codes + nr * c_codes, -1)
    mm = np.zeros((design.n, nr * nc))
    ok = cell >= 0
    mm[np.flatnonzero(ok), cell[ok]] = 1.0
    mm[~ok] = np.nan
    m = survey_mean(mm, sub, deff=False)
    p = m.estimate
    table = p.reshape(nc, nr).T  # rows × cols
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(np.nansum((table - expected) ** 2 / expected))
    c_mat = _interaction_contrasts(nr, nc)
    inv_d = np.where(p == 0, 0.0, 1.0 / np.where(p == 0, 1.0, p))
    denom = c_mat.T @ (inv_d[:, None] * c_mat)
    numr = c_mat.T @ (inv_d[:, None] * m.cov * inv_d[None, :]) @ c_mat
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    d0 = tr**2 / float(np.trace(delta @ delta))
    f = pearson / tr
    return TestResult(
        statistic=f,
        p_value=float(stats.f.sf(f, d0, d0 * nu)),
        df=d0 * nu,
        ndf=d0,
        n=m.n,
    )


def _interaction_contrasts(nr: int, nc: int) -> np.ndarray:
    """Residuals of the r×c interaction dummies on the main effects (R ``qr.resid``)."""
    rows = np.tile(np.arange(nr), nc)
    cols = np.repeat(np.arange(nc), nr)
    main = np.column_stack(
        [np.ones(nr * nc)]
        + [(rows == i).astype(float) for i in range(1, nr)]
        + [(cols == j).astype(float) for j in range(1, nc)]
    )
    inter = np.column_stack(
        [(rows == i) & (cols == j) for j in range(1, nc) for i in range(1, nr)]
    ).astype(float)
    coef, *_ = np.linalg.lstsq(main, inter, rcond=None)
    return np.asarray(inter - main @ coef)


def _two_groups(group_codes: np.ndarray, sub: SurveyDesign, name: str) -> np.ndarray:
    g, k = _observed(np.asarray(group_codes, dtype=np.int64), sub, name)
    if k != 2:
        raise ModelError(
            f"{name} has {k} levels in the domain; a two-group test needs a group variable "
            "with 2 (use --subpop to compare two of them)",
            variable=name,
        )
    return g


def _t_result(est: float, var: float, df: float, n: int, level: float = 0.95) -> TestResult:
    from scipy import stats
    se = float(np.sqrt(var))
    t = est / se
    q = t_quantile(df, level)
    return TestResult(
        statistic=t,
        p_value=float(2.0 * stats.t.sf(abs(t), df)),
        df=df,
        estimate=est,
        std_error=se,
        conf_low=est - q * se,
        conf_high=est + q * se,
        n=n,
    )


def two_group_ttest(
    values: np.ndarray,
    group_codes: np.ndarray,
    design: SurveyDesign,
    level: float = 0.95,
    group_name: str = "the group variable",
) -> TestResult:
    """Design-based t-test of mean(second group) − mean(first group) (R ``svyttest``).

    Notes
    -----
    R fits ``svyglm(y ~ g)``; the coefficient of g is the difference of the
    two domain means, with influence w_i (1{g_i=1}(y_i − ȳ₁)/W₁ −
    1{g_i=0}(y_i − ȳ₀)/W₀). The t statistic has design df − 1 degrees of
    freedom (the model's residual df, R ``m$df.resid``).
    """
    y_all = np.asarray(values, dtype=np.float64)
    sub = _complete(design, y_all, group_codes)
    g_all = _two_groups(group_codes, sub, group_name)
    dom = sub.domain
    y, g, w = y_all[dom], g_all[dom], sub.domain_weights()

    def diff(wr: np.ndarray) -> np.ndarray:
        m1 = (wr * (g == 1)) @ y / (wr * (g == 1)).sum()
        m0 = (wr * (g == 0)) @ y / (wr * (g == 0)).sum()
        return np.array([m1 - m0])

    est = diff(w)
    w1, w0 = (w * (g == 1)).sum(), (w * (g == 0)).sum()
    m1 = (w * (g == 1)) @ y / w1
    m0 = (w * (g == 0)) @ y / w0
    infl = w * ((g == 1) * (y - m1) / w1 - (g == 0) * (y - m0) / w0)
    cov = design_covariance(infl[:, None], diff, est, sub)
    return _t_result(float(est[0]), float(cov[0, 0]), sub.df - 1.0, int(dom.sum()), level)


def two_group_ranktest(
    values: np.ndarray,
    group_codes: np.ndarray,
    design: SurveyDesign,
    score: str = "wilcoxon",
    group_name: str = "the group variable",
) -> TestResult:
    """Design-based rank test of two groups (R ``svyranktest``, Lumley & Scott 2013).

    Notes
    -----
    Each respondent's rank is the estimated population mid-rank
    R̂_i = Σ_{j: y_j < y_i} w_j + w_i/2 (averaged over ties), scaled by
    N̂ = Σ w and scored: ``wilcoxon`` R̂/N̂, ``vanderwaerden`` Φ⁻¹(R̂/N̂),
    ``median`` 1{R̂ > N̂/2}. The estimate is the difference of the groups'
    weighted mean scores (a weighted least-squares slope on the group
    indicator), its variance that of the total of the regression's
    influence values; t on design df − 1.
    """
    from scipy import stats
    if score not in RANK_SCORES:
        raise ModelError(
            f"rank score: expecting one of {{{', '.join(RANK_SCORES)}}}; got {score!r}"
        )
    y_all = np.asarray(values, dtype=np.float64)
    sub = _complete(design, y_all, group_codes)
    g_all = _two_groups(group_codes, sub, group_name)
    dom = sub.domain
    y, g, w = y_all[dom], g_all[dom].astype(np.float64), sub.domain_weights()
    big_n = float(w.sum())
    order = np.argsort(y, kind="stable")
    mid = np.cumsum(w[order]) - w[order] / 2.0
    _, tie, counts = np.unique(y[order], return_inverse=True, return_counts=True)
    mid = (np.bincount(tie, weights=mid) / counts)[tie]
    rank = np.empty_like(mid)
    rank[order] = mid
    u = rank / big_n
    scores = {"wilcoxon": u, "vanderwaerden": stats.norm.ppf(u), "median": (u > 0.5) * 1.0}[score]
    x = np.column_stack([np.ones_like(g), g])
    xtwx = x.T @ (w[:, None] * x)
    beta = np.linalg.solve(xtwx, x.T @ (w * scores))
    resid = scores - x @ beta
    infn = (x * resid[:, None]) @ np.linalg.inv(xtwx)
    full = w @ infn
    cov = design_covariance(w[:, None] * infn, lambda wr: wr @ infn, full, sub)
    df = sub.df - 1.0
    t = float(beta[1] / np.sqrt(cov[1, 1]))
    return TestResult(
        statistic=t,
        p_value=float(2.0 * stats.t.sf(abs(t), df)),
        df=df,
        estimate=float(beta[1]),
        std_error=float(np.sqrt(cov[1, 1])),
        n=int(dom.sum()),
    )
