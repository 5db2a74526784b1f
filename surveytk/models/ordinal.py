"""Ordered logit and probit with design-based variance (models ``ologit``, ``oprobit``).

``fit(data, options) -> FitResult``: thresholds in the R ``polr``/``svyolr``
convention ``P(Y <= k | x) = F(zeta_k - x'beta)``, reported as rows with
``effect="threshold"`` named ``"<level k>|<level k+1>"`` after the slopes.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

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
from surveytk.models.options import FitOptions
from surveytk.models.ordinal_kernel import OrdinalPredictor, fit_ordinal_kernel
from surveytk.models.results import EffectBlock, FitResult

if TYPE_CHECKING:
    import pandas as pd

INTERCEPT = "(Intercept)"
LINK_OF_MODEL: dict[str, str] = {"ologit": "logit", "oprobit": "probit"}


def threshold_names(levels: tuple[str, ...]) -> list[str]:
    """``["a|b", "b|c", ...]`` for consecutive outcome levels (R ``polr`` names)."""
    return [f"{lo}|{hi}" for lo, hi in itertools.pairwise(levels)]


def fit(data: pd.DataFrame, options: FitOptions) -> FitResult:
    """Fit an ordered logit (``ologit``) or probit (``oprobit``) on a survey design.

    Parameters
    ----------
    data
        Analysis table; the outcome is an ordered category or integer codes
        (levels in order).
    options
        ``model`` is ``ologit`` or ``oprobit``; design, replicate and domain
        options as for every family. An intercept in the formula is absorbed
        by the thresholds.

    Returns
    -------
    FitResult
        Slopes (``effect="coefficient"``) then thresholds
        (``effect="threshold"``), with their design-based covariance; AMEs per
        outcome level when ``options.ame``.

    Notes
    -----
    Weighted pseudo-likelihood ``sum_i w_i log(F(zeta_{y_i} - x_i'beta) -
    F(zeta_{y_i - 1} - x_i'beta))`` (McCullagh 1980), maximised by Newton's
    method with analytic derivatives. Linearised variance ``H^-1 M H^-1`` with
    ``M`` from PSU totals of weighted scores (Binder 1983), which is what R
    ``survey::svyolr`` computes (Lumley 2010, §6.3), or the replicate variance
    of refits warm-started at the full estimate (``svyolr`` on a
    ``svrepdesign``). Inference uses t(design df − p), p the number of slopes:
    R ``svyolr``'s ``df.residual``, i.e. ``summary.svyglm``'s design df + 1 − k
    with the thresholds counted as one intercept.

    Raises
    ------
    ModelError
        Fewer than two outcome levels, an empty level, a singular Hessian,
        separation or non-convergence.
    """
    link = LINK_OF_MODEL[options.model]
    family = options.model
    prep = prepare(data, options, "ordinal")
    frame, design, w = prep.frame, prep.design, prep.weights
    check_outcome_levels(data, frame, w, family)
    keep = [j for j, t in enumerate(frame.terms) if t != INTERCEPT]
    X = np.ascontiguousarray(frame.X[:, keep])
    slope_names = [frame.terms[j] for j in keep]
    levels = frame.y_levels
    n_levels = len(levels)
    y = frame.y.astype(np.intp)
    names = slope_names + threshold_names(levels)
    p = X.shape[1]

    def run(weights: np.ndarray, start: np.ndarray | None) -> KernelFit:
        return fit_ordinal_kernel(
            X,
            y,
            weights,
            n_levels,
            link=link,
            start=start,
            maxiter=options.maxiter,
            tol=options.tol,
        )

    kf = run(w, None)
    is_slope = np.arange(len(names)) < p
    check_converged(kf, family, names, is_slope, options.maxiter)
    cov, cov_notes = design_covariance(kf, design, run)
    coef = EffectBlock(
        terms=tuple(names),
        effects=tuple(["coefficient"] * p + ["threshold"] * (n_levels - 1)),
        y_levels=tuple([""] * len(names)),
        estimates=kf.params,
        cov=cov,
    )
    notes = [
        f"{'Ordered logit' if link == 'logit' else 'Ordered probit'}: "
        "P(Y <= k) = F(zeta_k - x'b) (R polr/svyolr convention); "
        f"outcome levels in order: {', '.join(levels)}",
        *cov_notes,
    ]
    if INTERCEPT not in frame.terms:
        notes.append("the formula has no intercept; thresholds play its role anyway")
    effects = model_effects(
        options, frame, OrdinalPredictor(tuple(keep), n_levels, link), coef, w, kf=kf,
        design=design, df=residual_df(design, p + 1),
    )  # fmt: skip
    return categorical_result(
        options,
        prep,
        kf,
        coef,
        n_params=p + 1,
        ame=effects.ame,
        notes=[*notes, *effects.notes],
        extra={"link": link, **effects.extra()},
    )
