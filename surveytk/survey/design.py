"""The survey design: weights, strata, PSUs, fpc, replicate weights, domains.

A :class:`SurveyDesign` describes *all* rows of an analysis table, including
rows that a particular estimate does not use. Estimating on a domain
(subpopulation, rows with missing model variables, rows with zero weight)
never removes rows from the design; it narrows :attr:`SurveyDesign.domain`,
so the variance still sees every PSU and stratum (R ``survey``: a domain
estimate is the full-design estimate with zero weight outside the domain).

Interface used by the model families (stable; F's ordinal/multinomial modules
and D2's margins rely on it)::

    design = SurveyDesign.from_frame(df, weights="w", strata="s", psu="p", fpc="f")
    design = SurveyDesign.from_options(df, options)         # FitOptions, incl. subpop
    design = design.subset(mask)                            # domain (bool over all rows)
    w = design.domain_weights()                             # analysis weights, domain rows
    design.df                                               # design degrees of freedom
    design.is_replicate, design.n_replicates
    design.replicate_weights(r)                             # (n,) replicate r, 0 off-domain
    design.make_bootstrap(replicates=100, seed=1)           # Rao–Wu rescaling bootstrap
    design.make_jackknife("jk1" | "jkn")
    design.summary(variance=...)                            # DesignSummary for FitResult

Arrays are over all ``n`` rows of the frame the design was built from;
``design.domain`` (bool, n) marks the rows an estimate uses. Kernels are run
on the domain rows only (``X[design.domain]``) and their score matrices have
one row per domain row, in frame order.

Conventions follow R ``survey`` (Lumley 2004, 2010): ``fpc`` ≤ 1 is a sampling
fraction, > 1 a population count of PSUs per stratum; replicate scales are
those of ``svrepdesign``/``as.svrepdesign``; see ``docs/estimation.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from surveytk.errors import DesignError
from surveytk.language.expr import parse_condition
from surveytk.survey import replicates as make
from surveytk.survey.calibration import (
    Calibration,
    Totals,
    calibrate_weights,
    plan_calibration,
    read_totals,
    trim_weights,
)
from surveytk.survey.nonresponse import NonresponseAdjustment, plan_nonresponse
from surveytk.survey.options import (
    DEFAULT_LONELY_PSU,
    LONELY_PSU_RULES,
    REP_TYPES,
    DesignOptions,
    check_choice,
)
from surveytk.survey.options import names_of as column_names
from surveytk.survey.shipped import read_shipped
from surveytk.survey.stages import Stage, build_stages
from surveytk.survey.summary import DesignSummary
from surveytk.survey.weights import check_weights, weights_from_fpc

if TYPE_CHECKING:
    from pathlib import Path

JackknifeKind = Literal["jk1", "jkn"]
#: made kinds whose number of replicates the design fixes (no --replicates needed)
_FIXED_KINDS = ("jk1", "jkn", "brr", "fay")
#: Tolerance of R's ``degf.svyrep.design`` (``qr(..., tol = 1e-5)$rank``).
RANK_TOL = 1e-5


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _n_distinct(codes: np.ndarray, mask: np.ndarray) -> int:
    """How many distinct codes (0..K−1) occur among the rows of ``mask`` (no sort)."""
    return int(np.count_nonzero(np.bincount(codes[mask]))) if mask.any() else 0


def _joined(names: tuple[str, ...]) -> str | None:
    """Column names of a design role as one label (``dnum+snum``, as an R formula)."""
    return "+".join(names) if names else None


def design_columns(options: object) -> list[str]:
    """Columns the design of ``options`` reads besides the weights: every stage's strata,
    PSUs and fpc, the nonresponse classes and respondent flag, and the calibration
    variables of ``--calibrate``."""
    o = DesignOptions.of(options)
    cols = [*o.strata, *o.psu, *o.fpc, *(c for c in (o.nonresponse, o.respondent) if c)]
    if o.calibrate is not None:
        cols.extend(read_totals(o.calibrate).variables)
    return cols


def matrix_rank(a: np.ndarray, tol: float = RANK_TOL) -> int:
    """Rank of ``a`` with columns scaled to unit norm (R ``qr(a, tol)$rank``).

    Notes
    -----
    R's LINPACK ``dqrdc2`` treats a column as dependent when its norm after
    orthogonalisation falls below ``tol`` times its original norm; with unit
    columns that is a singular value below ``tol``. The Gram matrix keeps the
    cost at O(n R²) with BLAS and a small R × R eigenproblem.
    """
    if a.size == 0:
        return 0
    norms = np.sqrt(np.einsum("ij,ij->j", a, a))
    keep = norms > 0
    if not keep.any():
        return 0
    an = a[:, keep] / norms[keep]
    gram = an.T @ an
    eig = np.linalg.eigvalsh(gram)
    return int(np.sum(np.sqrt(np.clip(eig, 0.0, None)) > tol))


# ---------------------------------------------------------------------------
# the design
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DesignNames:
    """Column names the design was built from (for summaries and messages)."""

    weights: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    repweights: str | None = None


@dataclass(frozen=True, eq=False)
class SurveyDesign:
    """A complex survey design over ``n`` rows.

    Attributes
    ----------
    weights
        (n,) sampling weights, ≥ 0 (rows with weight 0 are outside every domain).
    strata
        (n,) stratum codes 0..H−1 (all 0 without strata).
    psu
        (n,) PSU codes 0..P−1, unique over the whole design (a PSU is a
        (stratum, id) pair); each row is its own PSU without a PSU column.
    psu_stratum
        (P,) stratum code of each PSU.
    n_psu_h
        (H,) PSUs per stratum in the full design (R ``fpc$sampsize``).
    popsize_h
        (H,) population PSUs per stratum (``inf`` without fpc; R ``fpc$popsize``).
    domain
        (n,) rows used by estimates: positive weight and inside the subpopulation.
    lonely_psu
        Rule for strata with one PSU: ``fail``, ``adjust``, ``certainty``,
        ``remove``, ``average`` (R ``options(survey.lonely.psu)``).
    stages
        Every sampling stage, first to last (:class:`~surveytk.survey.stages.Stage`);
        ``strata``, ``psu``, ``n_psu_h`` and ``popsize_h`` are the first stage's.
    later_stage_variance
        Add the variance of the later stages (R: when an fpc is given).
    adjust_domain_lonely
        A stratum with one PSU in the domain is treated as lonely
        (R ``options(survey.adjust.domain.lonely = TRUE)``).
    calibration
        The calibration the weights went through (its residuals replace the
        estimating functions in the linearised variance), or ``None``.
    nonresponse
        The nonresponse adjustment within classes, or ``None`` (its linearised
        rows replace the estimating functions after the calibration's).
    repweights
        Replicate weights, or ``None`` for a linearised design. Shipped weights
        are (n, R) row weights; weights made from the design are (P, R) PSU
        multipliers (``rep_per_psu``), expanded on demand.
    reptype, scale, rscales, mse, rho, combined_weights
        As R ``svrepdesign``: V = scale Σ_r rscales_r (θ_r − θ̄)(θ_r − θ̄)'.
        ``combined_weights`` means the replicate columns already include the
        sampling weights; otherwise they are multipliers of ``weights``.
    """

    weights: np.ndarray
    strata: np.ndarray
    psu: np.ndarray
    psu_stratum: np.ndarray
    n_psu_h: np.ndarray
    popsize_h: np.ndarray
    domain: np.ndarray
    lonely_psu: str = DEFAULT_LONELY_PSU
    has_strata: bool = False
    has_psu: bool = False
    has_fpc: bool = False
    repweights: np.ndarray | None = None
    rep_per_psu: bool = False
    reptype: str | None = None
    scale: float = 1.0
    rscales: np.ndarray | None = None
    mse: bool = False
    rho: float | None = None
    combined_weights: bool = True
    names: DesignNames = DesignNames()
    n_zero_weight: int = 0
    subpop: str | None = None
    stages: tuple[Stage, ...] = ()
    later_stage_variance: bool = False
    adjust_domain_lonely: bool = False
    calibration: Calibration | None = None
    nonresponse: NonresponseAdjustment | None = None

    # ---- construction ---------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        data: pd.DataFrame,
        *,
        weights: str | None = None,
        strata: str | Sequence[str] | None = None,
        psu: str | Sequence[str] | None = None,
        fpc: str | Sequence[str] | None = None,
        lonely_psu: str = DEFAULT_LONELY_PSU,
        adjust_domain_lonely: bool = False,
        repweights: str | None = None,
        reptype: str | None = None,
        rho: float | None = None,
        mse: bool = False,
        scale: float | None = None,
        rscales: Sequence[float] | None = None,
        combined_weights: bool = True,
        nest: bool = False,
        fpc_weights: bool = True,
    ) -> SurveyDesign:
        """Build a design from columns of ``data``.

        Parameters
        ----------
        data
            The analysis table (all rows; domains come later with :meth:`subset`).
        weights
            Sampling-weight column; ``None`` means equal weights of 1, or with
            ``fpc`` the inverse sampling fractions of the stages (R ``svydesign``). Missing
            or negative weights are an error; zero weights put the row outside
            every domain (counted in :attr:`n_zero_weight`).
        strata, psu
            Stratum and PSU columns, one per stage, first to last (a string is
            one stage). First-stage PSUs must be nested in strata unless
            ``nest=True``, which makes PSU ids unique within stratum; later
            stages are nested in the earlier ones (:mod:`surveytk.survey.stages`).
        fpc
            Finite population correction per stage, constant within stratum:
            values ≤ 1 are sampling fractions, values > 1 population counts (R).
        lonely_psu
            ``fail`` (default), ``adjust``, ``certainty``, ``remove``, ``average``.
        adjust_domain_lonely
            Apply the lonely-PSU rule to strata with one PSU in the domain too.
        repweights
            Regular expression selecting shipped replicate-weight columns
            (``re.search`` on column names, as R ``svrepdesign(repweights=)``).
        reptype
            ``bootstrap``, ``subbootstrap``, ``jk1``, ``jkn``, ``brr`` or ``fay``
            (needed with ``repweights``).
        rho
            Fay's ρ for ``reptype='fay'``.
        mse
            Centre replicates at the full-sample estimate instead of their mean.
        scale, rscales
            Override R ``svrepdesign``'s defaults (``jkn`` needs ``rscales``).
        combined_weights
            Replicate columns include the sampling weights (R default ``TRUE``).
        nest
            Make PSU ids unique within stratum instead of requiring nesting.
        fpc_weights
            Without ``weights``, weight by the fpc's inverse sampling fractions
            (``False``: weights of 1).

        Raises
        ------
        DesignError
            Bad weights, PSUs not nested in strata, fpc varying within a
            stratum or smaller than the sample, lonely PSUs under ``fail``,
            a replicate regex matching no column, bad replicate options.
        """
        check_choice("--lonely-psu", lonely_psu, LONELY_PSU_RULES)
        n = len(data)
        if n == 0:
            raise DesignError("the data have no rows; nothing to estimate")
        strata_cols, psu_cols, fpc_cols = column_names(strata), column_names(psu), column_names(fpc)
        stages = build_stages(data, strata=strata_cols, psu=psu_cols, fpc=fpc_cols, nest=nest)
        from_fpc = weights is None and fpc_cols and fpc_weights
        w = weights_from_fpc(stages) if from_fpc else check_weights(data, weights)
        zero = w == 0
        first = stages[0]
        design = cls(
            weights=w,
            strata=first.strata,
            psu=first.units,
            psu_stratum=first.unit_stratum,
            n_psu_h=first.n_h,
            popsize_h=first.popsize_h,
            domain=~zero,
            lonely_psu=lonely_psu,
            has_strata=bool(strata_cols),
            has_psu=bool(psu_cols),
            has_fpc=bool(fpc_cols),
            names=DesignNames(
                weights, _joined(strata_cols), _joined(psu_cols), _joined(fpc_cols), repweights
            ),
            n_zero_weight=int(zero.sum()),
            stages=stages,
            later_stage_variance=bool(fpc_cols) and len(stages) > 1,
            adjust_domain_lonely=adjust_domain_lonely,
        )
        if repweights is not None:
            design = design._with_shipped_replicates(
                data, repweights, reptype, rho, mse, scale, rscales, combined_weights
            )
        elif lonely_psu == "fail":
            design._check_lonely()
        return design

    @classmethod
    def from_options(cls, data: pd.DataFrame, options: object) -> SurveyDesign:
        """Build the design that ``options`` describe: the one path every command takes.

        ``options`` is a :class:`~surveytk.survey.options.DesignOptions`, or any
        object or mapping with some of its names (a
        :class:`~surveytk.models.options.FitOptions`, say). Applies, in order:

        1. the stages (``strata``, ``psu``, ``fpc``, one column per stage) and weights;
        2. shipped replicate weights (``repweights``), or replicates made from the
           design (``replicates`` / ``reptype``: bootstrap, subbootstrap, jk1,
           jkn, brr, fay), with ``scale``/``rscales``/``mse`` when given;
        3. calibration to the totals in ``calibrate`` (``calibration``,
           ``calibration_bounds``), every replicate recalibrated, then ``trim``;
        4. the ``subpop`` domain (a restricted condition,
           :func:`surveytk.language.expr.parse_condition`).
        """
        o = DesignOptions.of(options)
        design = cls.from_frame(
            data,
            weights=o.weights,
            strata=o.strata,
            psu=o.psu,
            fpc=o.fpc,
            lonely_psu=o.lonely_psu,
            adjust_domain_lonely=o.adjust_domain_lonely,
            repweights=o.repweights,
            reptype=o.reptype,
            rho=o.rho,
            mse=o.mse,
            scale=o.scale,
            rscales=o.rscales,
            fpc_weights=o.fpc_weights,
        )
        random_kind = o.reptype in ("bootstrap", "subbootstrap")
        if random_kind and o.repweights is None and o.replicates is None:
            raise DesignError(
                f"--reptype {o.reptype} needs --replicates N (made from the design) or "
                "--repweights REGEX (shipped with the data)"
            )
        if o.replicates is not None or (o.repweights is None and o.reptype in _FIXED_KINDS):
            if o.repweights is not None:
                raise DesignError(
                    "give either --repweights (shipped) or --replicates (made), not both"
                )
            design = design.make_replicates(o.reptype or "bootstrap", o.replicates, o.seed, o.rho)
            design = design._with_scales(o.scale, o.rscales, o.mse)
        if o.nonresponse is not None or o.respondent is not None:
            if o.nonresponse is None or o.respondent is None:
                raise DesignError(
                    "nonresponse adjustment needs both --nonresponse CLASS and --respondent COL"
                )
            design = design.adjust_nonresponse(data, o.nonresponse, o.respondent)
        if o.calibrate is not None:
            design = design.calibrate(
                data, o.calibrate, o.calibration, bounds=o.calibration_bounds
            )
        if o.trim is not None:
            design = design.trim(*o.trim)
        if o.subpop:
            mask = parse_condition(o.subpop).evaluate(data)
            design = design.subset(mask, label=o.subpop)
        return design

    def adjust_nonresponse(self, data: pd.DataFrame, classes: str, respondent: str) -> SurveyDesign:
        """Weights adjusted for nonresponse within classes (every replicate too).

        Respondents' weights × (weighted sample count / weighted respondent count) of
        their class; nonrespondents get weight 0 and leave every domain but keep their
        place in the variance (:mod:`surveytk.survey.nonresponse`).
        """
        if self.nonresponse is not None or self.calibration is not None:
            raise DesignError("adjust for nonresponse once, before calibrating")
        plan = plan_nonresponse(data, classes, respondent, self.weights > 0)
        new = plan.weights(self.weights)
        info = NonresponseAdjustment(plan, self.weights.copy(), new)
        design = dataclasses.replace(
            self, weights=new, nonresponse=info, domain=self.domain & (new > 0)
        )
        if self.repweights is None:
            return design
        full = np.column_stack([self._full_replicate(r) for r in range(self.n_replicates)])
        adjusted = np.column_stack([plan.weights(full[:, r]) for r in range(full.shape[1])])
        return dataclasses.replace(
            design, repweights=adjusted, rep_per_psu=False, combined_weights=True
        )

    def calibrate(
        self,
        data: pd.DataFrame,
        totals: str | Path | Totals,
        method: str = "linear",
        *,
        bounds: Sequence[float] | None = None,
    ) -> SurveyDesign:
        """The design with weights calibrated to population totals (every replicate too).

        Parameters
        ----------
        data
            The frame the design was built from.
        totals
            TOTALS.csv (``variable,level,total``) or :class:`~surveytk.survey.calibration.Totals`.
        method
            ``poststratify``, ``rake`` or ``linear`` (:mod:`surveytk.survey.calibration`).
        bounds
            (L, U) bounds on the g-weights (linear only).
        """
        if self.calibration is not None:
            raise DesignError("the weights are calibrated already; calibrate once")
        tot = totals if isinstance(totals, Totals) else read_totals(totals)
        b = None if bounds is None else (float(bounds[0]), float(bounds[1]))
        plan = plan_calibration(data, tot, method, self.weights > 0, b)
        new, info = calibrate_weights(plan, self.weights)
        design = dataclasses.replace(self, weights=new, calibration=info)
        if self.repweights is None:
            return design
        full = np.column_stack([self._full_replicate(r) for r in range(self.n_replicates)])
        recal = np.column_stack([plan.weights(full[:, r]) for r in range(full.shape[1])])
        return dataclasses.replace(
            design, repweights=recal, rep_per_psu=False, combined_weights=True
        )

    def trim(self, lower: float, upper: float) -> SurveyDesign:
        """Weights trimmed to [lower, upper] as R ``trimWeights`` (replicates too).

        The trimmed amount is shared evenly by the rows inside the bounds (rows
        with weight 0 take no part). The linearised variance is not changed (as R).
        """
        if not lower < upper:
            raise DesignError(
                f"--trim {lower:g} {upper:g}: the lower bound must be below the upper"
            )
        active = self.weights > 0
        new = self.weights.copy()
        new[active], count = trim_weights(self.weights[active], lower, upper)
        cal = self.calibration
        if cal is not None:
            cal = dataclasses.replace(cal, trimmed=count)
        design = dataclasses.replace(self, weights=new, calibration=cal)
        if self.repweights is None or count == 0:
            return design
        cols = []
        for r in range(self.n_replicates):
            col = self._full_replicate(r)
            on = col > 0
            col[on] = trim_weights(col[on], lower, upper)[0]
            cols.append(col)
        return dataclasses.replace(
            design, repweights=np.column_stack(cols), rep_per_psu=False, combined_weights=True
        )

    def _full_replicate(self, r: int) -> np.ndarray:
        """(n,) analysis weights of replicate ``r`` over all rows (no domain)."""
        assert self.repweights is not None
        if self.rep_per_psu:
            return np.asarray(self.weights * self.repweights[self.psu, r], dtype=np.float64)
        if self.combined_weights:
            return np.array(self.repweights[:, r], dtype=np.float64)
        return np.asarray(self.weights * self.repweights[:, r], dtype=np.float64)

    def _with_scales(
        self, scale: float | None, rscales: Sequence[float] | None, mse: bool
    ) -> SurveyDesign:
        """Made replicates with the user's ``scale``/``rscales``/``mse`` in place of R's."""
        rs = self.rscales
        if rscales is not None:
            rs = np.asarray(rscales, dtype=np.float64)
            if rs.size == 1:
                rs = np.full(self.n_replicates, float(rs[0]))
            if rs.size != self.n_replicates:
                raise DesignError(
                    f"--rscales has {rs.size} values; the design has {self.n_replicates} replicates"
                )
        return dataclasses.replace(
            self, scale=self.scale if scale is None else float(scale), rscales=rs, mse=mse
        )

    def __repr__(self) -> str:
        """The whole design in one line, never its arrays."""
        parts = [
            f"{self.n} rows ({self.n_obs} in the domain)" if self.n_obs != self.n
            else f"{self.n} rows",
            "linearised variance" if self.repweights is None
            else f"{self.reptype} replicate variance ({self.n_replicates} replicates)",
        ]  # fmt: skip
        strata, psus, fpcs = (
            (name or "").split("+") if name else []
            for name in (self.names.strata, self.names.psu, self.names.fpc)
        )
        for i, stage in enumerate(self.all_stages):
            bits = []
            if i < len(strata):
                bits.append(f"strata {strata[i]} ({int(stage.n_h.shape[0])})")
            units = int(np.unique(stage.units).size)
            bits.append(f"PSUs {psus[i]} ({units})" if i < len(psus) else f"{units} PSUs")
            if i < len(fpcs):
                bits.append(f"fpc {fpcs[i]}")
            prefix = f"stage {i + 1}: " if len(self.all_stages) > 1 else ""
            parts.append(prefix + ", ".join(bits))
        parts.append(f"weights {self.names.weights or '(equal or from the fpc)'}")
        if self.lonely_psu != "fail":
            parts.append(f"lonely PSUs: {self.lonely_psu}")
        if self.adjustments_text:
            parts.append(self.adjustments_text)
        if self.subpop:
            parts.append(f"domain {self.subpop}")
        return "<SurveyDesign: " + "; ".join(parts) + ">"

    # ---- sizes and facts --------------------------------------------------------
    @property
    def n(self) -> int:
        """Rows in the design (all rows of the frame)."""
        return int(self.weights.shape[0])

    @property
    def n_obs(self) -> int:
        """Rows in the domain."""
        return int(self.domain.sum())

    @property
    def n_strata(self) -> int:
        return int(self.n_psu_h.shape[0])

    @property
    def n_psu(self) -> int:
        return int(self.psu_stratum.shape[0])

    @property
    def all_stages(self) -> tuple[Stage, ...]:
        """The stages, first to last (one built from the first-stage fields if none)."""
        if self.stages:
            return self.stages
        return (
            Stage(
                strata=self.strata,
                units=self.psu,
                unit_stratum=self.psu_stratum,
                n_h=self.n_psu_h,
                popsize_h=self.popsize_h,
                parent=np.zeros(self.n_strata, dtype=np.int64),
            ),
        )

    @property
    def adjustments_text(self) -> str | None:
        """The nonresponse adjustment and calibration of the weights, in words (or ``None``)."""
        parts = [a.describe() for a in (self.nonresponse, self.calibration) if a is not None]
        return "; ".join(parts) or None

    @property
    def stratum_labels(self) -> np.ndarray:
        """(H,) the first-stage stratum column's value of each stratum code."""
        labels = self.stages[0].labels if self.stages else None
        return labels if labels is not None else np.arange(self.n_strata).astype(object)

    @property
    def fpc_fraction_h(self) -> np.ndarray:
        """(H,) sampling fraction n_h / N_h of PSUs (0 without fpc)."""
        return self.n_psu_h / self.popsize_h

    @property
    def is_replicate(self) -> bool:
        return self.repweights is not None

    @property
    def n_replicates(self) -> int:
        return 0 if self.repweights is None else int(self.repweights.shape[1])

    def domain_weights(self) -> np.ndarray:
        """Sampling weights of the domain rows (frame order)."""
        return self.weights[self.domain]

    # ---- domains ------------------------------------------------------------------
    def subset(self, mask: np.ndarray | pd.Series, *, label: str | None = None) -> SurveyDesign:
        """The design restricted to a domain, keeping every PSU and stratum for variance.

        Parameters
        ----------
        mask
            Boolean over all ``n`` rows; ``True`` keeps the row in the domain.
            Missing values (``pd.NA``) count as outside.
        label
            Text describing the domain (e.g. the ``--subpop`` expression).

        Notes
        -----
        Domain estimation as R ``survey`` does it: rows outside the domain get
        zero weight in the score totals, so PSUs without domain members count
        with z_hi = 0 and n_h is the full design's (Lumley 2010, §2.3).
        """
        m = np.asarray(pd.Series(mask).fillna(False).to_numpy(dtype=bool), dtype=bool)
        if m.shape != (self.n,):
            raise DesignError(f"a domain mask needs {self.n} values, got {m.shape[0]}")
        return dataclasses.replace(self, domain=self.domain & m, subpop=self.subpop_and(label))

    def subpop_and(self, label: str | None) -> str | None:
        """The text of this design's domain narrowed further by ``label``."""
        if label is None or self.subpop is None:
            return label or self.subpop
        return f"({self.subpop}) & ({label})"

    # ---- degrees of freedom -------------------------------------------------------
    @property
    def df(self) -> float:
        """Design degrees of freedom for the domain.

        Linearised: PSUs minus strata among rows of the domain (R
        ``degf.survey.design2``). Replicate: rank of the domain rows' replicate
        analysis weights minus 1 (R ``degf.svyrep.design``, ``tol = 1e-5``).
        """
        if self.repweights is None:
            d = self.domain
            return float(_n_distinct(self.psu, d) - _n_distinct(self.strata, d))
        if self.rep_per_psu:  # the PSUs with domain rows, in code order (no sort)
            present = np.flatnonzero(np.bincount(self.psu[self.domain]))
            return float(matrix_rank(self.repweights[present]) - 1)
        a = self.repweights[self.domain]
        if not self.combined_weights:
            a = a * self.weights[self.domain, None]
        return float(matrix_rank(a) - 1)

    # ---- replicate weights ----------------------------------------------------------
    def replicate_weights(self, r: int) -> np.ndarray:
        """(n,) analysis weights of replicate ``r``, zero outside the domain."""
        if self.repweights is None:
            raise DesignError("this design has no replicate weights")
        if self.rep_per_psu:
            col = self.weights * self.repweights[self.psu, r]
        elif self.combined_weights:
            col = np.asarray(self.repweights[:, r], dtype=np.float64)
        else:
            col = self.weights * self.repweights[:, r]
        return np.where(self.domain, col, 0.0)

    def replicate_scales(self) -> tuple[float, np.ndarray]:
        """``(scale, rscales)`` of the replicate variance."""
        if self.rscales is None:
            return self.scale, np.ones(self.n_replicates)
        return self.scale, self.rscales

    def make_replicates(
        self,
        kind: str = "bootstrap",
        replicates: int | None = None,
        seed: int | None = None,
        rho: float | None = None,
    ) -> SurveyDesign:
        """Replicate weights made from the design's first stage (R ``as.svrepdesign``).

        Parameters
        ----------
        kind
            ``bootstrap`` (R ``bootweights``), ``subbootstrap`` (Rao–Wu,
            R ``subbootweights``), ``jk1``, ``jkn``, ``brr`` or ``fay``
            (:mod:`surveytk.survey.replicates`).
        replicates
            Number of bootstrap replicates (the others have a fixed number).
        seed
            Seed of :func:`numpy.random.default_rng` for the bootstraps.
        rho
            Fay's ρ (``fay``; ``brr`` is ρ = 0).
        """
        if kind in ("bootstrap", "subbootstrap"):
            if replicates is None:
                raise DesignError(f"{kind} replicates need a number: --replicates N")
            maker = make.bootstrap if kind == "bootstrap" else make.subbootstrap
            factors, scale, rscales = maker(self, replicates, seed)
        elif kind in ("jk1", "jkn"):
            factors, scale, rscales = make.jk1(self) if kind == "jk1" else make.jkn(self)
        elif kind in ("brr", "fay"):
            if kind == "fay" and rho is None:
                raise DesignError("--reptype fay needs --rho in (0, 1), e.g. 0.5")
            factors, scale, rscales = make.brr(self, 0.0 if kind == "brr" else float(rho or 0.0))
        else:
            raise DesignError(
                f"replicates made from the design: expecting one of {{{', '.join(REP_TYPES)}}}; "
                f"got {kind!r}"
            )
        return dataclasses.replace(
            self,
            repweights=factors,
            rep_per_psu=True,
            combined_weights=False,
            reptype=kind,
            scale=float(scale),
            rscales=rscales,
            rho=rho if kind == "fay" else None,
        )

    def make_bootstrap(self, replicates: int, seed: int | None = None) -> SurveyDesign:
        """Bootstrap replicates as R ``bootweights`` (:meth:`make_replicates`)."""
        return self.make_replicates("bootstrap", replicates, seed)

    def make_jackknife(self, kind: JackknifeKind = "jkn") -> SurveyDesign:
        """Delete-one-PSU jackknife replicates, R ``jk1weights``/``jknweights``."""
        if kind not in ("jk1", "jkn"):
            raise DesignError(f"jackknife kind: expecting one of {{jk1, jkn}}; got {kind!r}")
        return self.make_replicates(kind)

    # ---- summaries -------------------------------------------------------------------
    @property
    def variance_name(self) -> str:
        """``linearized`` or ``replicate:<type>`` (DesignSummary.variance)."""
        return "linearized" if self.reptype is None else f"replicate:{self.reptype}"

    def summary(self, *, n_obs: int | None = None, df: float | None = None) -> DesignSummary:
        """The :class:`DesignSummary` of a fit on this design's domain."""
        d = self.domain
        n_psu, n_strata = _n_distinct(self.psu, d), _n_distinct(self.strata, d)
        if df is None:  # a linearised design's df counts the same PSUs and strata
            df = float(n_psu - n_strata) if self.repweights is None else self.df
        return DesignSummary(
            n_obs=self.n_obs if n_obs is None else n_obs,
            sum_weights=float(self.weights[d].sum()),
            n_psu=n_psu,
            n_strata=n_strata,
            df_design=df,
            variance=self.variance_name,
            weights=self.names.weights,
            strata=self.names.strata,
            psu=self.names.psu,
            fpc=self.names.fpc,
            lonely_psu=self.lonely_psu,
            n_replicates=self.n_replicates or None,
            subpop=self.subpop,
            calibration=self.adjustments_text,
        )

    # ---- internals ---------------------------------------------------------------------
    def _check_lonely(self) -> None:
        has_rows = np.zeros(self.n_strata, dtype=bool)
        has_rows[self.strata[self.weights > 0]] = True
        lonely = (self.n_psu_h == 1) & has_rows & (self.fpc_fraction_h < 1.0)
        if lonely.any():
            raise DesignError(
                f"{int(lonely.sum())} strata have a single PSU (lonely PSU) in "
                f"{self.names.strata or 'the design'}; choose a rule, e.g. --lonely-psu adjust "
                "(or certainty, remove, average)",
                variable=self.names.strata,
                reason="lonely_psu",
            )

    def _with_shipped_replicates(
        self,
        data: pd.DataFrame,
        pattern: str,
        reptype: str | None,
        rho: float | None,
        mse: bool,
        scale: float | None,
        rscales: Sequence[float] | None,
        combined: bool,
    ) -> SurveyDesign:
        mat, sc, rs = read_shipped(data, pattern, reptype, rho, scale, rscales, self.names.weights)
        return dataclasses.replace(
            self,
            repweights=np.ascontiguousarray(mat),
            rep_per_psu=False,
            combined_weights=combined,
            reptype=reptype,
            scale=sc,
            rscales=rs,
            mse=mse,
            rho=rho,
        )


