"""Count and positive-valued outcomes with design-based variance.

Models ``poisson``, ``quasipoisson``, ``negbin`` (NB2) and ``gamma``; links
``log`` (default), ``identity``, ``sqrt``, ``inverse`` (``--link``); an offset
column (``--offset COL``, added to the linear predictor) or an exposure
column (``--exposure COL``, log taken, as Stata's ``exposure()``).

The orchestration is the binary family's (:func:`~surveytk.models.binary.prepare_binary`:
design over all rows, model frame on the estimation rows), the kernel is
:func:`~surveytk.models.glm_families.fit_glm`, the covariance the design's
(linearised sandwich or replicate refits), and ``df_resid`` = design df + 1 − k
as R ``summary.svyglm``.

Negative binomial: θ is the weighted maximum-likelihood estimate (R
``MASS::glm.nb`` with the sampling weights as prior weights); the coefficients'
design-based covariance is the sandwich at that θ — R ``svyglm(family =
negative.binomial(θ̂))`` — and replicate refits keep θ̂ fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveytk.disclosure import count_text
from surveytk.errors import ModelError
from surveytk.models.binary import BinaryProblem, prepare_binary
from surveytk.models.categorical import design_covariance
from surveytk.models.effects import model_effects
from surveytk.models.glm_families import DEFAULT_LINK, GLM_MODELS, fit_glm, predict_mean
from surveytk.models.kernel import KernelFit
from surveytk.models.options import FitOptions
from surveytk.models.results import EffectBlock, FitResult

FAMILY_TEXT = {
    "poisson": "Poisson (quasi-likelihood; design-based SEs need no dispersion)",
    "quasipoisson": "quasi-Poisson (same estimates and design-based SEs as poisson)",
    "negbin": "negative binomial (NB2, Var = mu + mu^2/theta)",
    "gamma": "gamma (Var proportional to mu^2)",
}


@dataclass(frozen=True)
class GLMPredictor:
    """E(y | x) = g⁻¹(x'β + o) with the row offsets ``o``, for margins and predictions."""

    link: str
    offset: np.ndarray

    def __call__(self, params: np.ndarray, X: np.ndarray) -> np.ndarray:
        mu, _ = predict_mean(self.link, X @ params + self.offset)
        return mu[:, None]

    def avg_jacobian(self, params: np.ndarray, X: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Σᵢ aᵢ ∂μᵢ/∂β = (a · dμ/dη)ᵀ X."""
        _, dmu = predict_mean(self.link, X @ params + self.offset)
        return ((a * dmu) @ X)[None, :]


def _offset(problem: BinaryProblem, data: pd.DataFrame, options: FitOptions) -> np.ndarray:
    col = options.offset or options.exposure
    n = problem.frame.n_obs
    if col is None:
        return np.zeros(n)
    est_rows = problem.design.domain
    raw = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=np.float64)[est_rows]
    if raw.shape[0] != n:  # the estimation rows are the frame rows, in order
        raise ModelError(f"offset {col!r}: rows do not line up with the model frame")
    if not np.isfinite(raw).all():
        raise ModelError(
            f"{col!r}: {count_text(int((~np.isfinite(raw)).sum()))} used row(s) are not numbers; "
            "an offset must be numeric",
            variable=col,
        )
    if options.exposure is None:
        return raw
    if np.any(raw <= 0):
        raise ModelError(
            f"--exposure {col}: {count_text(int(np.sum(raw <= 0)))}"
            f" used row(s) are zero or negative; "
            "an exposure must be positive (its log is the offset)",
            variable=col,
        )
    return np.log(raw)


def fit(data: pd.DataFrame, options: FitOptions) -> FitResult:
    """Fit a Poisson, quasi-Poisson, negative-binomial or gamma GLM on a survey design.

    Returns
    -------
    FitResult
        Coefficients on the link scale (``exp`` = rate or mean ratios with the
        log link) with the design-based covariance; ``extra`` holds ``link``,
        ``offset`` and, for ``negbin``, ``theta`` and ``alpha`` = 1/θ.

    Notes
    -----
    Estimating equations Σ wᵢ xᵢ (yᵢ − μᵢ) μ'ᵢ / V(μᵢ) = 0, linearised
    variance H⁻¹ M H⁻¹ with H = −X'WX (W = w μ'²/V(μ)) and M from PSU totals of
    the scores (Binder 1983; R ``svyglm``, Lumley 2010 ch. 5).
    """
    if options.model not in GLM_MODELS:
        raise ModelError(
            f"GLM: expecting one of {{{', '.join(GLM_MODELS)}}}; got {options.model!r}"
        )
    col = options.offset or options.exposure
    problem = prepare_binary(
        data, options, outcome_kind="continuous", also_required=(col,) if col else ()
    )
    frame, design = problem.frame, problem.design
    w = design.domain_weights()
    off = _offset(problem, data, options)
    link = options.link or DEFAULT_LINK[options.model]
    names = list(frame.terms)
    first = fit_glm(
        frame.X,
        frame.y,
        w,
        model=options.model,
        link=link,
        offset=off,
        maxiter=options.maxiter,
        tol=options.tol,
        names=names,
    )
    kf, theta = first.kernel, first.theta

    def run(weights: np.ndarray, start: np.ndarray | None) -> KernelFit:
        return fit_glm(
            frame.X,
            frame.y,
            weights,
            model=options.model,
            link=link,
            offset=off,
            start=start,
            theta=theta,
            maxiter=options.maxiter,
            tol=options.tol,
            check=False,
        ).kernel

    cov, notes = design_covariance(kf, design, run)
    k = len(names)
    df_design = problem.design_subpop.df if design.is_replicate else design.df
    df_resid = float(df_design + 1 - k)
    coef = EffectBlock(
        tuple(names), ("coefficient",) * k, ("",) * k, np.asarray(kf.params, dtype=np.float64), cov
    )
    notes = [_family_note(options, link, theta), *notes]
    if df_resid < 1:
        notes.append(
            f"design df {df_design:g} + 1 − {k} coefficients < 1; p-values use the normal "
            "reference — too few PSUs for this many coefficients"
        )
    effects = model_effects(
        options,
        frame,
        GLMPredictor(link, off),
        coef,
        w,
        kf=kf,
        design=design,
        df=df_resid if df_resid >= 1 else None,
    )
    extra: dict[str, object] = {
        "link": link,
        "offset": _offset_text(options),
        "prediction_scale": "mean",
        **effects.extra(),
    }
    if theta is not None:
        extra.update(theta=theta, alpha=1.0 / theta)
    return FitResult(
        model=options.model,
        formula=options.formula,
        outcome=frame.formula.outcome,
        coef=coef,
        design=design.summary(n_obs=frame.n_obs, df=df_design),
        df_resid=df_resid if df_resid >= 1 else None,
        converged=kf.converged,
        n_iter=kf.n_iter,
        ame=effects.ame,
        dropped=problem.dropped,
        notes=(*notes, *effects.notes),
        label=options.label,
        extra=extra,
    )


def _offset_text(options: FitOptions) -> str | None:
    if options.exposure:
        return f"log({options.exposure})"
    return options.offset


def _family_note(options: FitOptions, link: str, theta: float | None) -> str:
    text = f"{FAMILY_TEXT[options.model]}, {link} link"
    off = _offset_text(options)
    if off:
        text += f", offset {off}"
    if theta is not None:
        text += (
            f"; theta = {theta:.6g} (weighted ML, as MASS glm.nb), held fixed in the "
            "design-based variance (R svyglm with negative.binomial(theta))"
        )
    return text
