"""Design-based covariance estimators: small classes looked up by name.

Two estimators, each declaring the options it reads from the design:

``"linearized"`` — :class:`LinearizedCovariance`
    ``LinearizedCovariance().cov(kernel_fit, design)`` → k × k sandwich
    H⁻¹ M H⁻¹ from a :class:`~surveytk.models.kernel.KernelFit` whose
    ``scores`` have one row per *domain row* of ``design`` (frame order, i.e.
    the rows ``design.domain`` selects) or one row per design row (zeros off
    the domain).

``"replicate"`` — :class:`ReplicateCovariance`
    ``ReplicateCovariance().cov(refit, full_params, design)`` → k × k.
    ``refit(w)`` re-estimates with replicate analysis weights ``w`` given for
    the domain rows (same rows and order as the full fit's data), warm-started
    from ``full_params`` by the caller, and returns the parameter vector.
    Replicates that fail (``refit`` returns non-finite values) are dropped
    with a note in :attr:`ReplicateCovariance.notes`, as R's ``svrVar`` does.

Both are pure computations: the numbers happen in :func:`linearized_meat` and
:func:`replicate_variance` (in :mod:`surveytk.survey.variance`, the survey layer;
importable from here too) and :func:`sandwich`, which other families may call
directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from surveytk.errors import DesignError, ModelError
from surveytk.models.kernel import KernelFit
from surveytk.survey.design import SurveyDesign
from surveytk.survey.variance import linearized_meat, replicate_variance, unit_totals

Refit = Callable[[np.ndarray], np.ndarray]


def psu_totals(scores: np.ndarray, psu: np.ndarray, n_psu: int) -> np.ndarray:
    """(P, k) totals of ``scores`` rows by PSU code."""
    return unit_totals(scores, psu, n_psu)


def sandwich(hessian: np.ndarray, meat: np.ndarray) -> np.ndarray:
    """H⁻¹ M H⁻¹ (symmetrised)."""
    try:
        hinv = np.linalg.inv(hessian)
    except np.linalg.LinAlgError as exc:
        raise ModelError(
            "the Hessian is singular; the model is not identified (collinear columns?)"
        ) from exc
    v = hinv @ meat @ hinv.T
    return np.asarray((v + v.T) / 2.0)


class CovarianceEstimator(Protocol):
    """What every estimator declares."""

    name: ClassVar[str]
    options: ClassVar[tuple[str, ...]]


@dataclass
class LinearizedCovariance:
    """Taylor-series (linearised) sandwich variance of an M-estimator.

    Options read from the design: ``strata``, ``psu``, ``fpc`` (every stage),
    ``lonely_psu``, ``adjust_domain_lonely``, ``calibration``.

    Notes
    -----
    V = H⁻¹ M H⁻¹ with H the Hessian of the weighted log pseudo-likelihood and
    M from :func:`linearized_meat` (Binder 1983; Lumley 2010, ch. 5;
    R ``svy.varcoef``).
    """

    name: ClassVar[str] = "linearized"
    options: ClassVar[tuple[str, ...]] = ("strata", "psu", "fpc", "lonely_psu")

    def cov(self, kernel_fit: KernelFit, design: SurveyDesign) -> np.ndarray:
        """k × k covariance of ``kernel_fit.params``."""
        meat = linearized_meat(kernel_fit.scores, design)
        return sandwich(kernel_fit.hessian, meat)


@dataclass
class ReplicateCovariance:
    """Replicate-weight variance: re-estimate with every replicate weight column.

    Options read from the design: ``reptype``, ``scale``, ``rscales``, ``mse``.
    After :meth:`cov`, :attr:`thetas` holds the replicate estimates and
    :attr:`notes` any replicates that were dropped.
    """

    name: ClassVar[str] = "replicate"
    options: ClassVar[tuple[str, ...]] = ("reptype", "scale", "rscales", "mse")
    thetas: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    def cov(self, refit: Refit, full_params: np.ndarray, design: SurveyDesign) -> np.ndarray:
        """k × k covariance from refitting on each replicate.

        Parameters
        ----------
        refit
            ``refit(w_domain) -> params``; ``w_domain`` are replicate analysis
            weights of the domain rows (frame order). Warm-start from
            ``full_params`` inside ``refit``.
        full_params
            The full-sample estimate (centre when ``design.mse``).
        design
            A replicate design (``design.is_replicate``).
        """
        if not design.is_replicate:
            raise DesignError(
                "replicate variance needs replicate weights: --repweights or --replicates"
            )
        full = np.asarray(full_params, dtype=np.float64)
        scale, rscales = design.replicate_scales()
        thetas = np.empty((design.n_replicates, full.shape[0]))
        dom = design.domain
        for r in range(design.n_replicates):
            w = design.replicate_weights(r)[dom]
            try:
                thetas[r] = refit(w)
            except ModelError:
                thetas[r] = np.nan
        ok = np.isfinite(thetas).all(axis=1)
        if not ok.any():
            raise ModelError("every replicate fit failed; the replicate variance is undefined")
        if not ok.all():
            self.notes.append(
                f"{int((~ok).sum())} of {ok.size} replicates gave no estimate and were discarded"
            )
        self.thetas = thetas
        return replicate_variance(thetas[ok], full, scale, rscales[ok], design.mse)


COVARIANCE_ESTIMATORS: dict[str, type[Any]] = {
    "linearized": LinearizedCovariance,
    "replicate": ReplicateCovariance,
}


def get_covariance(name: str) -> Any:
    """A fresh estimator by name (``linearized`` or ``replicate``)."""
    try:
        return COVARIANCE_ESTIMATORS[name]()
    except KeyError:
        raise ModelError(
            f"covariance: expecting one of {{{', '.join(COVARIANCE_ESTIMATORS)}}}; got {name!r}"
        ) from None


def covariance_for(design: SurveyDesign) -> Any:
    """The estimator a design calls for."""
    return get_covariance("replicate" if design.is_replicate else "linearized")
