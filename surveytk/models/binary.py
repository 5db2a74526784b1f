"""Binary-outcome models with design-based variance: logit, probit, linear probability.

``fit(data, options)`` orchestrates; the numbers happen elsewhere:

1. :class:`~surveytk.survey.design.SurveyDesign` from the options (weights, strata,
   PSUs, fpc, replicate weights, subpopulation) over *all* rows;
2. :func:`~surveytk.models.formula.build_model_frame` on the domain rows
   (rows with missing model variables are left out and counted by variable);
3. a kernel of :mod:`surveytk.models.irls` on the complete domain rows;
4. the covariance of :mod:`surveytk.models.covariance` (linearised sandwich, or
   replicate refits warm-started from the full-sample estimate);
5. :class:`~surveytk.models.results.FitResult` with ``df_resid`` = design df
   + 1 − k (R ``summary.svyglm``), and AMEs from :mod:`surveytk.models.margins`
   when asked.

The linear probability model is survey-weighted least squares; it accepts any
numeric outcome, so it is also R's ``svyglm(family = gaussian())``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveytk.errors import ModelError
from surveytk.models.binary_links import binary_predictor
from surveytk.models.categorical import design_covariance
from surveytk.models.covariance import replicate_variance
from surveytk.models.effects import model_effects
from surveytk.models.formula import (
    INTERCEPT,
    ModelFrame,
    OutcomeKind,
    build_model_frame,
    parse_formula,
)
from surveytk.models.irls import fit_binary, fit_wls, weighted_r2
from surveytk.models.kernel import KernelFit
from surveytk.models.options import FitOptions
from surveytk.models.registry import BINARY_MODELS
from surveytk.models.replicate_glm import refit_psu_replicates
from surveytk.models.results import EffectBlock, FitResult
from surveytk.survey.design import SurveyDesign
from surveytk.survey.fit_criteria import design_aic


@dataclass(frozen=True)
class BinaryProblem:
    """A model frame on the estimation rows with the design narrowed to them.

    Attributes
    ----------
    frame
        Outcome and model matrix of the estimation rows.
    design
        The design with ``domain`` = estimation rows (subpopulation, positive
        weight, complete on the model variables).
    design_subpop
        The design before rows with missing values were left out (R computes
        the replicate-design df on it).
    dropped
        Rows left out, by reason: ``zero_weight``, ``outside_subpop``, each
        model variable with missing values, and ``total``.
    """

    frame: ModelFrame
    design: SurveyDesign
    design_subpop: SurveyDesign
    dropped: dict[str, int]


def prepare_binary(
    data: pd.DataFrame,
    options: FitOptions,
    *,
    outcome_kind: OutcomeKind | None = None,
    also_required: tuple[str, ...] = (),
) -> BinaryProblem:
    """Design, domain and model frame for a binary model (see the module docstring).

    The GLM families reuse it with ``outcome_kind="continuous"`` and their offset
    column in ``also_required`` (rows missing it are left out and counted).
    """
    design = SurveyDesign.from_options(data, options)
    parsed = parse_formula(options.formula)
    cols = list(dict.fromkeys([parsed.outcome, *parsed.columns, *also_required]))
    missing_cols = [c for c in cols if c not in data.columns]
    if missing_cols:  # let the formula module name close matches
        build_model_frame(
            parsed, data.head(0), outcome_kind="continuous", also_required=also_required
        )
    dom = design.domain
    if not dom.any():
        raise ModelError(
            "no row has a positive weight inside the subpopulation; check --subpop and --weights"
        )
    sub = data[cols] if dom.all() else data.loc[dom, cols]
    kind: OutcomeKind = outcome_kind or ("continuous" if options.model == "lpm" else "binary")
    frame = build_model_frame(parsed, sub, outcome_kind=kind, also_required=also_required)
    if dom.all() and frame.row_mask.all():
        est = dom
    else:
        est = np.zeros(design.n, dtype=bool)
        est[np.flatnonzero(dom)[frame.row_mask]] = True
    dropped: dict[str, int] = {}
    if design.n_zero_weight:
        dropped["zero_weight"] = design.n_zero_weight
    outside = int((~dom).sum()) - design.n_zero_weight
    if outside > 0:
        dropped["outside_subpop"] = outside
    dropped.update({k: int(v) for k, v in frame.dropped.items() if k != "total"})
    dropped["total"] = int(design.n - est.sum())
    design_est = design if est is dom else design.subset(est)
    return BinaryProblem(frame, design_est, design, dropped)


def _kernel(model: str, options: FitOptions, frame: ModelFrame) -> Callable[..., KernelFit]:
    names = list(frame.terms)
    X, y = frame.X, frame.y

    def run(
        w: np.ndarray,
        start: np.ndarray | None = None,
        check: bool = True,
        full: bool = True,
    ) -> KernelFit:
        Xr, yr, wr = X, y, w
        if not full and np.count_nonzero(w) < 0.8 * w.size:
            # bootstrap replicates zero about a third of the PSUs: fit on the rest
            keep = np.flatnonzero(w)
            Xr, yr, wr = X[keep], y[keep], w[keep]
        if model == "lpm":
            return fit_wls(Xr, yr, wr, names=names, check=check)
        return fit_binary(
            Xr,
            yr,
            wr,
            link=model,  # type: ignore[arg-type]
            start=start,
            maxiter=options.maxiter,
            tol=options.tol,
            names=names,
            check=check,
            full_output=full,
        )

    return run


def _covariance(
    kf: KernelFit,
    problem: BinaryProblem,
    run: Callable[..., KernelFit],
    model: str,
    tol: float,
) -> tuple[np.ndarray, list[str]]:
    design = problem.design
    if design.is_replicate and design.rep_per_psu and design.repweights is not None:
        return _made_replicates(kf, problem, run, model, tol), []
    return design_covariance(kf, design, lambda w, start: run(w, start, check=False, full=False))


#: Bootstrap replicates made from the design are a Monte Carlo device (Monte Carlo
#: error ≈ 1/√(2R) of the SE, and no other program draws the same replicates), so
#: their refits stop at a relative tolerance of 1e-8 (error left ≈ 1e-9 of the largest
#: coefficient); jackknife replicates, which R reproduces exactly, use ``options.tol``.
MADE_BOOTSTRAP_TOL = 1e-8
#: replicate types drawn at random (the others are reproduced exactly by R)
RANDOM_REPLICATES = ("bootstrap", "subbootstrap")


def _made_replicates(
    kf: KernelFit,
    problem: BinaryProblem,
    run: Callable[..., KernelFit],
    model: str,
    tol: float,
) -> np.ndarray:
    """Replicates made from the design: batched PSU-level refits (same roots as IRLS)."""
    design, frame = problem.design, problem.frame
    assert design.repweights is not None
    w = design.domain_weights()
    thetas, ok = refit_psu_replicates(
        frame.X, frame.y, w, design.psu[design.domain], design.repweights, kf.params, model,
        tol=max(tol, MADE_BOOTSTRAP_TOL) if design.reptype in RANDOM_REPLICATES else tol,
    )  # fmt: skip
    for r in np.flatnonzero(~ok):  # rare: refit the stragglers with full IRLS
        rep = run(
            design.replicate_weights(int(r))[design.domain], kf.params, check=False, full=False
        )
        thetas[r] = rep.params if rep.converged else np.nan
    good = np.isfinite(thetas).all(axis=1)
    if not good.all():
        raise ModelError(
            f"{int((~good).sum())} of {good.size} replicate fits did not converge; "
            "the replicate variance would be wrong — check for separation in small PSUs"
        )
    scale, rscales = design.replicate_scales()
    return replicate_variance(thetas, kf.params, scale, rscales, design.mse)


def fit(data: pd.DataFrame, options: FitOptions) -> FitResult:
    """Fit a logit, probit or linear probability model with design-based variance.

    Parameters
    ----------
    data
        The analysis table (all rows; the design and the subpopulation decide
        which rows are used).
    options
        ``options.model`` one of ``logit``, ``probit``, ``lpm``.

    Returns
    -------
    FitResult
        Coefficients in formula order (intercept first) with the linearised
        or replicate covariance; ``df_resid`` = design df + 1 − k; ``dropped``
        counts left-out rows by reason and variable; ``pseudo_r2`` is
        McFadden's on the weighted log pseudo-likelihood (logit, probit).

    Raises
    ------
    DesignError, FormulaError, ModelError
        Invalid design, formula or data; separation; collinear columns;
        non-convergence; no rows left.

    Notes
    -----
    Point estimates solve the weighted (pseudo-)score equations
    Σ w_i x_i (y_i − μ_i) μ'_i / V(μ_i) = 0; the linearised variance is
    H⁻¹ M H⁻¹ with M from stratum-centred PSU totals of the scores (Binder
    1983; Lumley 2010, ch. 5), replicate variance as R ``svrVar``. The t
    reference has design df + 1 − k degrees of freedom (R ``summary.svyglm``).
    """
    if options.model not in BINARY_MODELS:
        raise ModelError(
            f"binary models: expecting one of {{{', '.join(BINARY_MODELS)}}}; got {options.model!r}"
        )
    problem = prepare_binary(data, options)
    frame, design = problem.frame, problem.design
    # every row in the domain (the usual case): the weights themselves, not a copy
    w = design.weights if design.domain.all() else design.domain_weights()
    run = _kernel(options.model, options, frame)
    kf = run(w)
    cov, notes = _covariance(kf, problem, run, options.model, options.tol)
    k = len(frame.terms)
    df_design = problem.design_subpop.df if design.is_replicate else design.df
    df_resid = float(df_design + 1 - k)
    if df_resid < 1:
        notes.append(
            f"design df {df_design:g} + 1 − {k} coefficients < 1; p-values use the normal "
            "reference — too few PSUs for this many coefficients"
        )
    coef = EffectBlock(
        terms=tuple(frame.terms),
        effects=("coefficient",) * k,
        y_levels=("",) * k,
        estimates=np.asarray(kf.params, dtype=np.float64),
        cov=cov,
    )
    effects = model_effects(
        options, frame, binary_predictor(options.model), coef, w, kf=kf,
        design=design,
        df=df_resid if df_resid >= 1 else None,
    )  # fmt: skip
    notes.extend(effects.notes)
    extra: dict[str, object] = dict(effects.extra())
    pseudo_r2: float | None = None
    if options.model == "lpm":
        extra["r2"] = weighted_r2(frame.X, frame.y, w, kf.params)
    elif kf.loglik is not None and kf.loglik_null:
        pseudo_r2 = float(1.0 - kf.loglik / kf.loglik_null)
    if options.model == "logit" and kf.loglik is not None:
        extra.update(_fit_criteria(kf, cov, frame.terms, w))
    return FitResult(
        model=options.model,
        formula=options.formula,
        outcome=frame.formula.outcome,
        coef=coef,
        design=design.summary(n_obs=frame.n_obs, df=df_design),
        df_resid=df_resid if df_resid >= 1 else None,
        loglik=kf.loglik,
        pseudo_r2=pseudo_r2,
        converged=kf.converged,
        n_iter=kf.n_iter,
        ame=effects.ame,
        dropped=problem.dropped,
        notes=tuple(notes),
        label=options.label,
        extra=extra,
    )


def _fit_criteria(
    kf: KernelFit, cov: np.ndarray, terms: Sequence[str], w: np.ndarray
) -> dict[str, float]:
    """Design-based deviance and AIC as R ``AIC.svyglm`` (logit: canonical link, so the
    observed information −H is the model-based information of ``svyglm``)."""
    assert kf.loglik is not None
    crit = design_aic(
        loglik=kf.loglik,
        information=-kf.hessian,
        cov=cov,
        n=len(w),
        sum_weights=float(w.sum()),
        intercepts=[j for j, t in enumerate(terms) if t == INTERCEPT],
    )
    return {"deviance": crit.deviance, "aic": crit.aic, "eff_p": crit.eff_p}
