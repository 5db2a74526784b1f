"""Shared plumbing of the ordinal and multinomial families.

Design → model frame on the domain → kernel → design-based covariance →
:class:`~surveytk.models.results.FitResult`. The numbers happen in the kernels
(:mod:`surveytk.models.ordinal_kernel`, :mod:`surveytk.models.multinomial_kernel`)
and in :mod:`surveytk.models.covariance`; this module only orchestrates.
:func:`design_covariance` also serves the binary family.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveytk.errors import ModelError
from surveytk.models.covariance import LinearizedCovariance, ReplicateCovariance
from surveytk.models.formula import ModelFrame, build_model_frame
from surveytk.models.kernel import KernelFit
from surveytk.models.options import FitOptions
from surveytk.models.results import EffectBlock, FitResult
from surveytk.survey.design import SurveyDesign

#: refit(domain weights, start) -> KernelFit
KernelRun = Callable[[np.ndarray, np.ndarray | None], KernelFit]


@dataclass(frozen=True)
class Prepared:
    """A model frame on the domain rows, with the design narrowed to them."""

    frame: ModelFrame
    design: SurveyDesign
    weights: np.ndarray
    dropped: Mapping[str, int]


def prepare(data: pd.DataFrame, options: FitOptions, outcome_kind: str) -> Prepared:
    """Build the design (all rows) and the model frame (domain rows, complete cases).

    Rows outside the subpopulation or with zero weight stay in the design for
    the variance (R ``survey`` domain estimation) and are counted in
    ``dropped`` with the reasons ``zero_weight`` and ``outside_subpop``;
    incomplete rows are counted per variable as the model frame reports them.
    """
    design = SurveyDesign.from_options(data, options)
    in_domain = design.domain
    sub = data.loc[in_domain]
    if len(sub) == 0:
        raise ModelError(
            "no row has a positive weight inside the subpopulation; check --subpop and --weights"
        )
    frame = build_model_frame(options.formula, sub, outcome_kind=outcome_kind)  # type: ignore[arg-type]
    full_mask = np.zeros(len(data), dtype=bool)
    full_mask[np.flatnonzero(in_domain)[frame.row_mask]] = True
    dropped: dict[str, int] = {}
    if design.n_zero_weight:
        dropped["zero_weight"] = int(design.n_zero_weight)
    outside = int((~in_domain).sum()) - int(design.n_zero_weight)
    if outside > 0:
        dropped["outside_subpop"] = outside
    dropped.update({k: int(v) for k, v in frame.dropped.items() if k != "total"})
    dropped["total"] = int(len(data) - full_mask.sum())
    design = design.subset(full_mask)
    return Prepared(frame, design, design.domain_weights(), dropped)


def check_outcome_levels(
    data: pd.DataFrame,
    frame: ModelFrame,
    weights: np.ndarray,
    family: str,
    *,
    allow_unused: bool = False,
) -> list[str]:
    """Every outcome level must occur (with positive weight) in the estimation sample.

    With ``allow_unused`` (nominal outcomes), declared categories that do not
    occur in the estimation sample are left out of the model and named in the
    returned notes, as Stata's ``mlogit`` models the observed outcomes; for
    ordered outcomes an empty level changes what the thresholds mean, so it is
    an error.

    Returns
    -------
    list of str
        Notes on categories left out.

    Raises
    ------
    ModelError
        Fewer than two levels, or (unless ``allow_unused``) a declared level
        (category of the outcome column) without observations — named, so it
        can be merged or dropped.
    """
    outcome = frame.formula.outcome
    col = data[outcome]
    notes: list[str] = []
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(frame.y_levels)
        empty = [str(c) for c in col.cat.categories if str(c) not in present]
        if empty and allow_unused:
            notes.append(
                f"outcome level(s) {', '.join(map(repr, empty))} of {outcome!r} do not occur in "
                "the estimation sample and are not modelled"
            )
        elif empty:
            raise ModelError(
                f"{family}: outcome level(s) {', '.join(map(repr, empty))} of {outcome!r} have no "
                "observations in the estimation sample; merge them with a neighbouring level or "
                "remove the unused categories",
                variable=outcome,
                value=empty[0],
            )
    counts = np.bincount(frame.y, weights=weights, minlength=len(frame.y_levels))
    zero = [frame.y_levels[j] for j in np.flatnonzero(counts <= 0)]
    if zero:
        raise ModelError(
            f"{family}: outcome level {zero[0]!r} of {outcome!r} has no weight in the estimation "
            "sample; merge it with another level",
            variable=outcome,
            value=zero[0],
        )
    if len(frame.y_levels) < 2:
        raise ModelError(
            f"{family}: outcome {outcome!r} has fewer than two levels in the estimation sample",
            variable=outcome,
        )
    return notes


def design_covariance(
    kf: KernelFit, design: SurveyDesign, run: KernelRun
) -> tuple[np.ndarray, list[str]]:
    """Linearised or replicate covariance, whichever the design calls for.

    Replicate refits are warm-started from the full-sample estimate.
    """
    if not design.is_replicate:
        return LinearizedCovariance().cov(kf, design), []
    full = kf.params

    def refit(w: np.ndarray) -> np.ndarray:
        rep = run(w, full)
        if not rep.converged:
            raise ModelError("replicate fit did not converge")
        return rep.params

    est = ReplicateCovariance()
    cov = est.cov(refit, full, design)
    return cov, list(est.notes)


def check_converged(
    kf: KernelFit, family: str, names: list[str], coefficient: np.ndarray, maxiter: int
) -> None:
    """Turn non-convergence into one clear line, naming the suspect term (separation).

    Under (quasi-)complete separation Newton steps stay of order one while the
    likelihood creeps to its supremum, so the fit stops at ``maxiter`` with a
    diverging coefficient; ``coefficient`` marks the entries that are slopes
    (not thresholds or intercepts).
    """
    if kf.converged:
        return
    slopes = np.where(coefficient, np.abs(kf.params), 0.0)
    j = int(np.argmax(slopes))
    if slopes[j] > 10.0:
        raise ModelError(
            f"{family}: estimate of {names[j]} diverges ({kf.params[j]:+.3g}): the term "
            "separates the outcome (a level is perfectly predicted by it); merge that "
            "category or outcome level, or remove the term",
            value=names[j],
            reason="separation",
        )
    raise ModelError(
        f"{family}: did not converge in {maxiter} Newton iterations; rescale numeric terms "
        "or merge sparse levels (Python API: surveytk.fit(..., maxiter=N) raises the limit)",
        reason="convergence",
    )


def mcfadden_r2(kf: KernelFit) -> float | None:
    """McFadden's pseudo-R², 1 − ℓ(β̂)/ℓ(thresholds/intercepts only)."""
    if kf.loglik is None or not kf.loglik_null:
        return None
    return float(1.0 - kf.loglik / kf.loglik_null)


def residual_df(design: SurveyDesign, k: int) -> float | None:
    """t reference df as R ``summary.svyglm``: design df + 1 − k (at least 1)."""
    df = design.df
    if not np.isfinite(df):
        return None
    return float(max(df + 1.0 - k, 1.0))


def categorical_result(
    options: FitOptions,
    prep: Prepared,
    kf: KernelFit,
    coef: EffectBlock,
    *,
    n_params: int,
    ame: EffectBlock | None,
    notes: Sequence[str],
    base_level: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> FitResult:
    """Assemble the :class:`FitResult` of an ordinal or multinomial fit.

    ``n_params`` is the k of :func:`residual_df` (t reference df = design df + 1 − k).
    """
    return FitResult(
        model=options.model,
        formula=options.formula,
        outcome=prep.frame.formula.outcome,
        coef=coef,
        design=prep.design.summary(),
        df_resid=residual_df(prep.design, n_params),
        loglik=kf.loglik,
        pseudo_r2=mcfadden_r2(kf),
        converged=kf.converged,
        n_iter=kf.n_iter,
        y_levels=prep.frame.y_levels,
        base_level=base_level,
        ame=ame,
        dropped=dict(prep.dropped),
        notes=tuple(notes),
        label=options.label,
        extra=dict(extra or {}),
    )
