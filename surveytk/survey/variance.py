"""Linearised (Taylor-series) variance of totals over a multistage design.

:func:`multistage_meat` is R ``survey``'s default estimator (``svyrecvar`` →
``multistage`` → ``onestage`` → ``onestrat``, survey 4.x, ``survey.ultimate.cluster
= FALSE``): for estimating-function rows x_i (zero outside the domain),

.. math:: V = \\sum_{s} \\sum_{h \\in \\text{stage } s} \\Big(\\prod_{t < s} \\frac{n_t}{N_t}\\Big)
          (1 - f_h) \\frac{n_h}{n_h - 1} \\sum_{u \\in h} (z_u - \\bar z_h)(z_u - \\bar z_h)'

with z_u the totals of x over the rows of unit u, z̄_h their mean over the n_h
sampled units of stratum h, f_h = n_h / N_h, and the product running over the
fractions of the units of earlier stages that contain h. Later stages enter only
when an fpc is given (as R: without one the first stage is sampled with
replacement and the ultimate-cluster variance is the whole variance); a stage
without fpc has N = ∞. Strata with a single sampled unit follow the lonely-PSU
rule, per stage, and — with ``adjust_domain_lonely`` — so do strata where only
one unit has rows in the domain (R ``options(survey.adjust.domain.lonely = TRUE)``).

References: Binder (1983); Lumley (2004, 2010 §2.2, appendix C); R survey's
``multistage.R``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from surveytk.errors import DesignError
from surveytk.survey.stages import Stage

if TYPE_CHECKING:
    from surveytk.survey.design import SurveyDesign

#: R ``onestrat``: a stratum whose 1 − f is below this is self-representing.
SELF_REPRESENTING = 1e-7


def unit_totals(x: np.ndarray, units: np.ndarray, n_units: int) -> np.ndarray:
    """(U, k) totals of the rows of ``x`` by unit code."""
    k = x.shape[1]
    out = np.empty((n_units, k), dtype=np.float64)
    for j in range(k):
        out[:, j] = np.bincount(units, weights=x[:, j], minlength=n_units)
    return out


#: (U, k) unit totals of a stage's estimating functions and the (U,) units with domain rows
UnitSums = tuple[np.ndarray, np.ndarray]


def domain_unit_sums(x: np.ndarray, stage: Stage, domain: np.ndarray) -> UnitSums:
    """The totals of ``x`` by unit of ``stage`` and the units that have domain rows.

    ``x`` is (n, k) over all rows, zero outside the domain, or (n_domain, k) over the
    domain rows alone.
    """
    units_in = stage.units[domain]
    # rows outside the domain add zeros: with x given for the domain rows only, the
    # unit totals sum those rows alone (the same sums, without a pass over every row)
    z = unit_totals(x, units_in if x.shape[0] != domain.shape[0] else stage.units, stage.n_units)
    present_u = np.zeros(stage.n_units, dtype=bool)
    present_u[units_in] = True
    return z, present_u


def stage_meat(
    unit_sums: UnitSums,
    stage: Stage,
    multiplier_h: np.ndarray,
    *,
    lonely_psu: str,
    adjust_domain_lonely: bool = False,
    stage_number: int = 1,
) -> np.ndarray:
    """Σ over the strata of one stage of R ``onestrat``, times each stratum's multiplier.

    Parameters
    ----------
    unit_sums
        (U, k) totals of the estimating functions of the domain rows by unit of the
        stage, and (U,) the units with domain rows (a unit is "present" if it has
        domain rows; a stratum counts only if it has one) (:func:`domain_unit_sums`).
    stage
        The stage.
    multiplier_h
        (H,) product of the sampling fractions of the earlier stages' units that
        contain each stratum (1 at the first stage).
    lonely_psu
        ``fail``, ``adjust``, ``certainty``, ``remove`` or ``average``.
    adjust_domain_lonely
        Treat a stratum with several sampled units but one in the domain as lonely.

    Notes
    -----
    ``average`` leaves the lonely strata out and multiplies the sum over the
    strata inside each unit of the previous stage by (#strata)/(#strata left)
    (R ``onestage``: ``nstrat/nokstrat`` per call).
    """
    z, present_u = unit_sums
    h_of = stage.unit_stratum
    n_h = stage.n_h
    nsub_h = np.bincount(h_of, weights=present_u.astype(np.float64), minlength=stage.n_strata)
    used_h = nsub_h > 0
    one_minus_f = np.where(np.isinf(stage.popsize_h), 1.0, 1.0 - stage.fraction_h)
    self_rep = one_minus_f < SELF_REPRESENTING
    lonely_h = used_h & (n_h == 1) & ~self_rep
    domain_lonely_h = used_h & (nsub_h == 1) & (n_h > 1) & ~self_rep & adjust_domain_lonely
    if lonely_psu == "fail" and lonely_h.any():
        where = "" if stage_number == 1 else f" at stage {stage_number}"
        raise DesignError(
            f"{int(lonely_h.sum())} strata have a single PSU (lonely PSU){where}; "
            "choose a rule, e.g. --lonely-psu adjust (or certainty, remove, average)",
            reason="lonely_psu",
        )
    sums = np.zeros((stage.n_strata, z.shape[1]))
    np.add.at(sums, h_of, z)
    centred = z - (sums / n_h[:, None])[h_of]
    if lonely_psu == "adjust":  # R 4.1: centre lonely units at zero
        uncentred = lonely_h | domain_lonely_h
        centred[uncentred[h_of]] = z[uncentred[h_of]]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_h = np.where(n_h > 1, one_minus_f * n_h / (n_h - 1.0), one_minus_f)
    scale_h = np.where(self_rep | ~used_h, 0.0, scale_h)
    dropped_h = np.zeros(stage.n_strata, dtype=bool)
    if lonely_psu == "average":
        dropped_h = lonely_h | domain_lonely_h
    elif lonely_psu in ("certainty", "remove"):
        dropped_h = lonely_h  # R: centred at their own mean, i.e. zero
    scale_h = np.where(dropped_h, 0.0, scale_h)
    factor_h = multiplier_h * scale_h
    if lonely_psu == "average" and dropped_h.any():
        factor_h = factor_h * _average_factor(stage.parent, used_h, dropped_h, stage_number)
    weighted = centred * np.sqrt(factor_h[h_of])[:, None]
    return np.asarray(weighted.T @ weighted)


def _average_factor(
    parent: np.ndarray, used_h: np.ndarray, dropped_h: np.ndarray, stage_number: int
) -> np.ndarray:
    """(H,) R's ``nstrat / nokstrat`` of the group of strata sharing a parent unit.

    Raises
    ------
    DesignError
        A group whose every stratum is lonely (R returns NaN: nothing to average).
    """
    groups = int(parent.max()) + 1
    n_used = np.bincount(parent, weights=used_h.astype(np.float64), minlength=groups)
    n_ok = np.bincount(parent, weights=(used_h & ~dropped_h).astype(np.float64), minlength=groups)
    empty = (n_used > 0) & (n_ok == 0)
    if empty.any():
        where = (
            "the design"
            if stage_number == 1
            else f"{int(empty.sum())} units of stage {stage_number - 1}"
        )
        raise DesignError(
            f"--lonely-psu average: in {where} every stratum at stage {stage_number} has a "
            "single sampled unit, so there is nothing to average over; use adjust or certainty",
            reason="lonely_psu",
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(n_ok > 0, n_used / n_ok, 0.0)
    return np.asarray(ratio[parent])


def multistage_meat(
    x: np.ndarray,
    stages: Sequence[Stage],
    domain: np.ndarray,
    *,
    lonely_psu: str,
    adjust_domain_lonely: bool = False,
    later_stages: bool = True,
) -> np.ndarray:
    """k × k variance of the totals of ``x`` (R ``svyrecvar`` without calibration).

    Parameters
    ----------
    x
        (n, k) estimating-function rows over all design rows, zero outside ``domain``,
        or (n_domain, k) rows of the domain alone.
    stages
        The design's stages, first to last.
    domain
        (n,) rows in the domain.
    lonely_psu, adjust_domain_lonely
        Rules for strata with one sampled unit (in the design, or in the domain).
    later_stages
        Add the variance of stages after the first (R: only when an fpc is given).
    """
    return multistage_meat_of_sums(
        lambda number: domain_unit_sums(x, stages[number], domain),
        stages,
        lonely_psu=lonely_psu,
        adjust_domain_lonely=adjust_domain_lonely,
        later_stages=later_stages,
    )


def multistage_meat_of_sums(
    sums: Callable[[int], UnitSums],
    stages: Sequence[Stage],
    *,
    lonely_psu: str,
    adjust_domain_lonely: bool = False,
    later_stages: bool = True,
) -> np.ndarray:
    """:func:`multistage_meat` from each stage's unit totals, ``sums(i)`` of ``stages[i]``
    (:func:`domain_unit_sums`), asked for only for the stages that enter."""
    first = stages[0]
    meat = stage_meat(
        sums(0),
        first,
        np.ones(first.n_strata),
        lonely_psu=lonely_psu,
        adjust_domain_lonely=adjust_domain_lonely,
    )
    if not later_stages:
        return meat
    # fraction n/N of each unit's stratum, multiplied down the stages
    unit_mult = first.fraction_h[first.unit_stratum]
    for number, stage in enumerate(stages[1:], start=2):
        mult_h = unit_mult[stage.parent]
        meat = meat + stage_meat(
            sums(number - 1),
            stage,
            mult_h,
            lonely_psu=lonely_psu,
            adjust_domain_lonely=adjust_domain_lonely,
            stage_number=number,
        )
        unit_mult = mult_h[stage.unit_stratum] * stage.fraction_h[stage.unit_stratum]
    return meat


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
        raise DesignError(
            f"scores have {scores.shape[0]} rows; the design has {design.n} rows and "
            f"{design.n_obs} in the domain"
        )
    x = np.asarray(scores, dtype=np.float64)
    adjusted = design.calibration is not None or design.nonresponse is not None
    if x.shape[0] != design.n and adjusted:  # the adjustments work on every row
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
