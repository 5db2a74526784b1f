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

Both are pure computations: the numbers happen in :func:`linearized_meat`,
:func:`sandwich` and :func:`replicate_variance`, which other families may call
directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from surveytk.design import SurveyDesign
from surveytk.errors import DesignError, ModelError
from surveytk.models.kernel import KernelFit
from surveytk.survey.variance import multistage_meat, unit_totals

Refit = Callable[[np.ndarray], np.ndarray]


def psu_totals(scores: np.ndarray, psu: np.ndarray, n_psu: int) -> np.ndarray:
    """(P, k) totals of ``scores`` rows by PSU code."""
    return unit_totals(scores, psu, n_psu)


def linearized_meat(scores: np.ndarray, design: SurveyDesign) -> np.ndarray:
    """The meat M of the linearised sandwich from weighted score contributions.

    Parameters
    ----------
    scores
        (n_domain, k) weighted scores of the domain rows, or (n, k) over all rows.
    design
        The design; its stages, calibration and lonely-PSU rules are applied.

    Returns
    -------
    numpy.ndarray
        k × k matrix M.

    Notes
    -----
    With z_hi the PSU totals of the scores and z̄_h their mean in stratum h,

    .. math:: M = \\sum_h (1 - f_h) \\frac{n_h}{n_h - 1}
              \\sum_i (z_{hi} - \\bar z_h)(z_{hi} - \\bar z_h)'

    plus, with an fpc, the later stages' terms (:mod:`surveytk.survey.variance`,
    R ``svyrecvar``); n_h counts all PSUs of stratum h in the design (PSUs
    without domain rows have z_hi = 0) and f_h = n_h / N_h (Binder 1983;
    Lumley 2004). A calibrated design first replaces the scores by their
    calibration residuals (:meth:`~surveytk.survey.calibration.Calibration.residuals`).
    Strata with a single PSU: ``certainty`` and ``remove`` contribute 0;
    ``adjust`` uses (1 − f_h) z_h z_h' (centred at zero); ``average`` leaves them
    out and multiplies M by (#strata in the domain)/(#strata with ≥ 2 PSUs);
    ``fail`` raises.
    """
    if scores.shape[0] not in (design.n, design.n_obs):
        raise ModelError(
            f"scores have {scores.shape[0]} rows; the design has {design.n} rows and "
            f"{design.n_obs} in the domain"
        )
    x = np.asarray(scores, dtype=np.float64)
    if x.shape[0] != design.n:
        full = np.zeros((design.n, x.shape[1]))
        full[design.domain] = x
        x = full
    present = design.domain
    if design.calibration is not None:
        x = design.calibration.residuals(x)
        present = design.calibration.active  # R keeps every row of a calibrated design
    if design.nonresponse is not None:  # the earlier step last (chain rule)
        x = design.nonresponse.residuals(x)
        present = design.nonresponse.active
    return multistage_meat(
        x,
        design.all_stages,
        present,
        lonely_psu=design.lonely_psu,
        adjust_domain_lonely=design.adjust_domain_lonely,
        later_stages=design.later_stage_variance,
    )


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


def replicate_variance(
    thetas: np.ndarray,
    full: np.ndarray,
    scale: float,
    rscales: np.ndarray,
    mse: bool = False,
) -> np.ndarray:
    """Replicate variance as R ``svrVar``.

    Notes
    -----
    .. math:: V = s \\sum_r c_r (\\theta_r - \\bar\\theta)(\\theta_r - \\bar\\theta)'

    with s = ``scale``, c_r = ``rscales``, θ̄ the mean of the replicates with
    c_r > 0, or the full-sample estimate when ``mse`` (Lumley 2010, §2.4;
    Rao & Wu 1988 for the bootstrap; Wolter 2007 for jackknife/BRR/Fay).
    """
    centre = full if mse else thetas[rscales > 0].mean(axis=0)
    dev = (thetas - centre) * np.sqrt(rscales)[:, None]
    v = scale * (dev.T @ dev)
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
