"""Multinomial logit with design-based variance (model ``mlogit``).

``fit(data, options) -> FitResult``: one equation per outcome level other
than the base level; rows carry that level in ``y_level``; ``exp(estimate)``
is the relative-risk ratio against the base level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from surveytk.errors import ModelError
from surveytk.models.categorical import (
    categorical_result,
    check_converged,
    check_outcome_levels,
    design_covariance,
    prepare,
    residual_df,
)
from surveytk.models.effects import model_effects
from surveytk.models.kernel import KernelFit
from surveytk.models.multinomial_kernel import MlogitPredictor, fit_mlogit_kernel
from surveytk.models.options import FitOptions
from surveytk.models.results import EffectBlock, FitResult

if TYPE_CHECKING:
    import pandas as pd

INTERCEPT = "(Intercept)"


def choose_base(levels: tuple[str, ...], y: np.ndarray, w: np.ndarray, base: str | None) -> int:
    """Index of the base level: ``base`` if given, else the largest weighted count.

    Ties go to the earlier level in level order.

    Raises
    ------
    ModelError
        ``base`` is not a level of the outcome in the estimation sample.
    """
    if base is not None:
        if base not in levels:
            raise ModelError(
                f"--base: {base!r} is not a level of the outcome in the estimation sample; "
                f"levels: {', '.join(levels)}",
                variable="base",
                value=base,
            )
        return levels.index(base)
    counts = np.bincount(y, weights=w, minlength=len(levels))
    return int(np.argmax(counts))


def fit(data: pd.DataFrame, options: FitOptions) -> FitResult:
    """Fit a multinomial logit on a survey design.

    Parameters
    ----------
    data
        Analysis table; the outcome is a category or string column (levels in
        category order, otherwise sorted).
    options
        ``model='mlogit'``; ``base`` names the base level (default: the level
        with the largest weighted count in the estimation sample).

    Returns
    -------
    FitResult
        Coefficients for every non-base level (level order), ``y_level`` set;
        ``base_level`` records the base; AMEs per outcome level when
        ``options.ame``.

    Notes
    -----
    ``log(P(Y=l|x) / P(Y=b|x)) = x'beta_l`` with weighted pseudo-likelihood
    ``sum_i w_i log pi_{i,y_i}`` (Agresti 2013, §8.1), maximised by Newton's
    method with the analytic Hessian. Point estimates equal
    ``nnet::multinom(weights=w)``; linearised variance ``H^-1 M H^-1`` with
    ``M`` from PSU totals of weighted scores (Binder 1983), or replicate
    variance of warm-started refits (``withReplicates``/``svrepdesign``).
    Inference uses t(design df + 1 − k), k counting the coefficients of every
    equation (R ``summary.svyglm``'s rule applied to the whole model).

    Raises
    ------
    ModelError
        Fewer than two levels, an empty level, unknown ``base``, singular
        Hessian, separation within a level, non-convergence.
    """
    family = options.model
    prep = prepare(data, options, "nominal")
    frame, design, w = prep.frame, prep.design, prep.weights
    level_notes = check_outcome_levels(data, frame, w, family, allow_unused=True)
    levels = frame.y_levels
    n_levels = len(levels)
    y = frame.y.astype(np.intp)
    base = choose_base(levels, y, w, options.base)
    X = frame.X
    others = [lev for j, lev in enumerate(levels) if j != base]
    terms = [t for _ in others for t in frame.terms]
    ylev = [lev for lev in others for _ in frame.terms]
    names = [f"{lev}:{t}" for lev, t in zip(ylev, terms, strict=True)]

    def run(weights: np.ndarray, start: np.ndarray | None) -> KernelFit:
        return fit_mlogit_kernel(
            X, y, weights, n_levels, base, start=start, maxiter=options.maxiter, tol=options.tol
        )

    kf = run(w, None)
    is_slope = np.array([t != INTERCEPT for t in terms])
    check_converged(kf, family, names, is_slope, options.maxiter)
    cov, cov_notes = design_covariance(kf, design, run)
    coef = EffectBlock(
        terms=tuple(terms),
        effects=tuple(["coefficient"] * len(terms)),
        y_levels=tuple(ylev),
        estimates=kf.params,
        cov=cov,
    )
    how = "as requested" if options.base is not None else "the most frequent (weighted) level"
    notes = [
        f"Multinomial logit; base level {levels[base]!r} ({how}); exp(estimate) is the "
        "relative-risk ratio against it",
        *level_notes,
        *cov_notes,
    ]
    effects = model_effects(
        options, frame, MlogitPredictor(n_levels, base), coef, w, kf=kf, design=design,
        df=residual_df(design, len(names)),
    )  # fmt: skip
    return categorical_result(
        options,
        prep,
        kf,
        coef,
        n_params=len(names),
        ame=effects.ame,
        notes=[*notes, *effects.notes],
        base_level=levels[base],
        extra=effects.extra(),
    )
