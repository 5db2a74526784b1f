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
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from surveytk.errors import DesignError
from surveytk.models.options import LONELY_PSU_RULES, REP_TYPES, check_choice
from surveytk.models.results import DesignSummary

if TYPE_CHECKING:
    from surveytk.models.options import FitOptions

JackknifeKind = Literal["jk1", "jkn"]
#: Tolerance of R's ``degf.svyrep.design`` (``qr(..., tol = 1e-5)$rank``).
RANK_TOL = 1e-5


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in data.columns:
        raise DesignError(
            f"{role} column {name!r} is not in the data; columns include "
            + ", ".join(map(str, list(data.columns)[:8])),
            variable=name,
        )
    return data[name]


def _numeric(s: pd.Series, name: str, role: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise DesignError(f"{role} column {name!r} must be numeric, not {s.dtype}", variable=name)
    return np.asarray(s.to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)


def _codes(s: pd.Series, name: str, role: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (0..m−1, first-appearance order) and the unique labels."""
    missing = np.asarray(s.isna().to_numpy(), dtype=bool)
    if missing.any():
        raise DesignError(
            f"{role} column {name!r} has {int(missing.sum())} missing values; every row "
            f"needs a {role} (fix the file or leave those rows out before fitting)",
            variable=name,
        )
    codes, uniques = pd.factorize(s, sort=False)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


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
    lonely_psu: str = "fail"
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

    # ---- construction ---------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        data: pd.DataFrame,
        *,
        weights: str | None = None,
        strata: str | None = None,
        psu: str | None = None,
        fpc: str | None = None,
        lonely_psu: str = "fail",
        repweights: str | None = None,
        reptype: str | None = None,
        rho: float | None = None,
        mse: bool = False,
        scale: float | None = None,
        rscales: Sequence[float] | None = None,
        combined_weights: bool = True,
        nest: bool = False,
    ) -> SurveyDesign:
        """Build a design from columns of ``data``.

        Parameters
        ----------
        data
            The analysis table (all rows; domains come later with :meth:`subset`).
        weights
            Sampling-weight column; ``None`` means equal weights of 1. Missing
            or negative weights are an error; zero weights put the row outside
            every domain (counted in :attr:`n_zero_weight`).
        strata, psu
            Stratum and PSU columns. PSUs must be nested in strata unless
            ``nest=True``, which makes PSU ids unique within stratum.
        fpc
            Finite population correction, constant within stratum: values ≤ 1
            are sampling fractions, values > 1 population PSU counts (R).
        lonely_psu
            ``fail`` (default), ``adjust``, ``certainty``, ``remove``, ``average``.
        repweights
            Regular expression selecting shipped replicate-weight columns
            (``re.search`` on column names, as R ``svrepdesign(repweights=)``).
        reptype
            ``bootstrap``, ``jk1``, ``jkn``, ``brr`` or ``fay`` (needed with ``repweights``).
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
        w = _check_weights(data, weights)
        zero = w == 0
        if strata is not None:
            s_codes, _ = _codes(_column(data, strata, "stratum"), strata, "stratum")
        else:
            s_codes = np.zeros(n, dtype=np.int64)
        n_strata = int(s_codes.max()) + 1
        if psu is not None:
            raw, _ = _codes(_column(data, psu, "PSU"), psu, "PSU")
            p_codes = _nest_psu(raw, s_codes, psu, strata, nest)
        else:
            p_codes = np.arange(n, dtype=np.int64)
        n_psu = int(p_codes.max()) + 1
        psu_stratum = np.zeros(n_psu, dtype=np.int64)
        psu_stratum[p_codes] = s_codes
        n_psu_h = np.bincount(psu_stratum, minlength=n_strata).astype(np.float64)
        popsize_h = (
            _popsize(data, fpc, s_codes, n_psu_h) if fpc is not None else np.full(n_strata, np.inf)
        )
        design = cls(
            weights=w,
            strata=s_codes,
            psu=p_codes,
            psu_stratum=psu_stratum,
            n_psu_h=n_psu_h,
            popsize_h=popsize_h,
            domain=~zero,
            lonely_psu=lonely_psu,
            has_strata=strata is not None,
            has_psu=psu is not None,
            has_fpc=fpc is not None,
            names=DesignNames(weights, strata, psu, fpc, repweights),
            n_zero_weight=int(zero.sum()),
        )
        if repweights is not None:
            design = design._with_shipped_replicates(
                data, repweights, reptype, rho, mse, scale, rscales, combined_weights
            )
        elif lonely_psu == "fail":
            design._check_lonely()
        return design

    @classmethod
    def from_options(cls, data: pd.DataFrame, options: FitOptions) -> SurveyDesign:
        """Build the design a :class:`~surveytk.models.options.FitOptions` asks for.

        Applies, in order: the design columns, shipped replicate weights
        (``repweights``) or replicates made from the design (``replicates`` with
        ``reptype`` ``bootstrap`` (default), ``jk1`` or ``jkn``), and the
        ``subpop`` expression (a restricted condition, :func:`surveytk.expr.parse_condition`).
        """
        design = cls.from_frame(
            data,
            weights=options.weights,
            strata=options.strata,
            psu=options.psu,
            fpc=options.fpc,
            lonely_psu=options.lonely_psu,
            repweights=options.repweights,
            reptype=options.reptype,
            rho=options.rho,
            mse=options.mse,
            scale=options.scale,
            rscales=options.rscales,
        )
        if options.replicates is not None:
            kind = options.reptype or "bootstrap"
            if kind == "bootstrap":
                design = design.make_bootstrap(options.replicates, options.seed)
            elif kind in ("jk1", "jkn"):
                design = design.make_jackknife(kind)
            else:
                raise DesignError(
                    f"--replicates makes bootstrap, jk1 or jkn replicates, not {kind!r}; "
                    "shipped BRR/Fay weights are read with --repweights"
                )
            if options.mse:
                design = dataclasses.replace(design, mse=True)
        if options.subpop:
            from surveytk.expr import parse_condition

            mask = parse_condition(options.subpop).evaluate(data)
            design = design.subset(mask, label=options.subpop)
        return design

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
        new_label = (
            label if self.subpop is None or label is None else f"({self.subpop}) & ({label})"
        )
        return dataclasses.replace(self, domain=self.domain & m, subpop=new_label or self.subpop)

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
            return float(np.unique(self.psu[d]).size - np.unique(self.strata[d]).size)
        if self.rep_per_psu:
            present = np.unique(self.psu[self.domain])
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

    def make_bootstrap(self, replicates: int, seed: int | None = None) -> SurveyDesign:
        """Rao–Wu rescaling bootstrap replicates made from the design.

        Parameters
        ----------
        replicates
            Number of replicates R (≥ 2).
        seed
            Seed of :func:`numpy.random.default_rng`; the same seed gives the
            same replicates.

        Notes
        -----
        In each stratum with n_h PSUs, draw n_h − 1 PSUs with replacement; the
        multiplier of PSU i is m_hi n_h / (n_h − 1), with m_hi its number of
        draws (Rao & Wu 1988; Rao, Wu & Yue 1992). Variance scale 1/(R − 1),
        rscales 1: R ``subbootweights`` / ``as.svrepdesign(type="subbootstrap")``.
        Like R, the fpc is not used.
        """
        if replicates < 2:
            raise DesignError(f"--replicates must be at least 2, got {replicates}")
        lonely = np.flatnonzero(self.n_psu_h < 2)
        if lonely.size:
            raise DesignError(
                f"{lonely.size} strata have a single PSU; the bootstrap needs at least two "
                "per stratum. Merge strata or use linearised variance with --lonely-psu adjust"
            )
        rng = np.random.default_rng(seed)
        factors = np.zeros((self.n_psu, replicates), dtype=np.float64)
        order = np.argsort(self.psu_stratum, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(self.n_psu_h.astype(np.int64))))
        for h in range(self.n_strata):
            members = order[bounds[h] : bounds[h + 1]]
            nh = members.size
            draws = rng.integers(0, nh, size=(replicates, nh - 1))
            counts = np.zeros((replicates, nh))
            np.add.at(counts, (np.repeat(np.arange(replicates), nh - 1), draws.ravel()), 1.0)
            factors[members] = counts.T * (nh / (nh - 1))
        return dataclasses.replace(
            self,
            repweights=factors,
            rep_per_psu=True,
            combined_weights=False,
            reptype="bootstrap",
            scale=1.0 / (replicates - 1),
            rscales=np.ones(replicates),
            rho=None,
        )

    def make_jackknife(self, kind: JackknifeKind = "jkn") -> SurveyDesign:
        """Delete-one-PSU jackknife replicates made from the design.

        Parameters
        ----------
        kind
            ``jk1`` (unstratified designs) or ``jkn`` (stratified).

        Notes
        -----
        JK1: replicate r drops PSU r and multiplies the others by n/(n − 1);
        scale (1 − f)(n − 1)/n. JKn: within stratum h, drop one PSU and
        multiply the others of h by n_h/(n_h − 1); rscales_r = (1 − f_h)(n_h − 1)/n_h,
        scale 1. Lonely strata follow :attr:`lonely_psu` as R ``jknweights``;
        fully sampled strata (f_h = 1) contribute no replicates (R
        ``survey.drop.replicates``). R ``jk1weights``/``jknweights``.
        """
        if kind not in ("jk1", "jkn"):
            raise DesignError(f"jackknife kind: expecting one of {{jk1, jkn}}; got {kind!r}")
        if kind == "jk1":
            if self.n_strata > 1:
                raise DesignError(
                    "JK1 replicates are for unstratified designs; use --reptype jkn with strata"
                )
            n = self.n_psu
            f = float(self.fpc_fraction_h[0])
            factors = np.full((n, n), n / (n - 1.0))
            np.fill_diagonal(factors, 0.0)
            scale = (1.0 - f) * (n - 1.0) / n
            rscales = np.ones(n)
        else:
            factors, rscales, scale = _jkn_factors(self)
        return dataclasses.replace(
            self,
            repweights=factors,
            rep_per_psu=True,
            combined_weights=False,
            reptype=kind,
            scale=float(scale),
            rscales=rscales,
            rho=None,
        )

    # ---- summaries -------------------------------------------------------------------
    @property
    def variance_name(self) -> str:
        """``linearized`` or ``replicate:<type>`` (DesignSummary.variance)."""
        return "linearized" if self.reptype is None else f"replicate:{self.reptype}"

    def summary(self, *, n_obs: int | None = None, df: float | None = None) -> DesignSummary:
        """The :class:`DesignSummary` of a fit on this design's domain."""
        d = self.domain
        return DesignSummary(
            n_obs=self.n_obs if n_obs is None else n_obs,
            sum_weights=float(self.weights[d].sum()),
            n_psu=int(np.unique(self.psu[d]).size),
            n_strata=int(np.unique(self.strata[d]).size),
            df_design=self.df if df is None else df,
            variance=self.variance_name,
            weights=self.names.weights,
            strata=self.names.strata,
            psu=self.names.psu,
            fpc=self.names.fpc,
            lonely_psu=self.lonely_psu,
            n_replicates=self.n_replicates or None,
            subpop=self.subpop,
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
        if reptype is None:
            raise DesignError("--repweights needs --reptype (one of " + ", ".join(REP_TYPES) + ")")
        check_choice("--reptype", reptype, REP_TYPES)
        try:
            rx = re.compile(pattern)
        except re.error as exc:
            raise DesignError(
                f"--repweights {pattern!r} is not a valid regular expression: {exc}"
            ) from None
        cols = [c for c in map(str, data.columns) if rx.search(c)]
        if self.names.weights in cols:
            cols.remove(self.names.weights)
        if not cols:
            raise DesignError(
                f"--repweights {pattern!r} matches no column; replicate columns look like "
                "e.g. 'repw_1 … repw_80' → use '^repw_'",
                variable=pattern,
            )
        mat = np.column_stack([_numeric(data[c], c, "replicate weight") for c in cols])
        bad = ~np.isfinite(mat) | (mat < 0)
        if bad.any():
            raise DesignError(
                f"replicate weights {pattern!r}: {int(bad.any(axis=1).sum())} rows have missing "
                "or negative values; fix the file",
                variable=pattern,
            )
        nrep = mat.shape[1]
        sc, rs = _shipped_scales(reptype, nrep, rho, scale, rscales)
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


def _check_weights(data: pd.DataFrame, weights: str | None) -> np.ndarray:
    if weights is None:
        return np.ones(len(data), dtype=np.float64)
    w = _numeric(_column(data, weights, "weight"), weights, "weight")
    missing = ~np.isfinite(w)
    if missing.any():
        raise DesignError(
            f"weights must be present; {int(missing.sum())} rows have a missing weight "
            f"({weights}). Drop them in the sample rules or fix the file.",
            variable=weights,
            reason="missing_weight",
        )
    negative = w < 0
    if negative.any():
        raise DesignError(
            f"weights must be positive; {int(negative.sum())} rows have weight < 0 "
            f"({weights}). Drop them in the sample rules or fix the file.",
            variable=weights,
            reason="negative_weight",
        )
    if not (w > 0).any():
        raise DesignError(
            f"every weight in {weights!r} is zero; nothing to estimate", variable=weights
        )
    return w


def _nest_psu(
    raw: np.ndarray, s_codes: np.ndarray, psu: str, strata: str | None, nest: bool
) -> np.ndarray:
    pair = raw * (int(s_codes.max()) + 1) + s_codes
    codes, _ = pd.factorize(pair, sort=False)
    codes = np.asarray(codes, dtype=np.int64)
    if not nest and strata is not None:
        n_pairs = int(codes.max()) + 1
        n_ids = int(raw.max()) + 1
        if n_pairs != n_ids:
            raise DesignError(
                f"PSUs are not nested in strata: {n_pairs - n_ids} PSU ids of {psu!r} occur in "
                f"more than one stratum of {strata!r}; give PSU ids unique across strata "
                "(or build the design with nest=True)",
                variable=psu,
                reason="not_nested",
            )
    return codes


def _popsize(data: pd.DataFrame, fpc: str, s_codes: np.ndarray, n_psu_h: np.ndarray) -> np.ndarray:
    v = _numeric(_column(data, fpc, "fpc"), fpc, "fpc")
    if (~np.isfinite(v)).any() or (v <= 0).any():
        raise DesignError(
            f"fpc column {fpc!r} must be positive and present in every row", variable=fpc
        )
    n_strata = n_psu_h.shape[0]
    lo = np.full(n_strata, np.inf)
    hi = np.full(n_strata, -np.inf)
    np.minimum.at(lo, s_codes, v)
    np.maximum.at(hi, s_codes, v)
    if np.any(hi - lo > 1e-9 * np.abs(hi)):
        raise DesignError(
            f"fpc {fpc!r} varies within {int(np.sum(hi - lo > 1e-9 * np.abs(hi)))} strata; it "
            "must be constant within each stratum",
            variable=fpc,
        )
    fraction = bool(np.all(v <= 1.0))
    if fraction:  # R: fpc ≤ 1 is the sampling fraction n_h / N_h
        return n_psu_h / lo
    if np.any(v <= 1.0):
        raise DesignError(
            f"fpc {fpc!r} mixes sampling fractions (≤ 1) and population sizes (> 1); use one",
            variable=fpc,
        )
    if np.any(lo < n_psu_h - 1e-9):
        raise DesignError(
            f"fpc {fpc!r}: population size smaller than the number of sampled PSUs in "
            f"{int(np.sum(lo < n_psu_h - 1e-9))} strata",
            variable=fpc,
        )
    return lo


def _shipped_scales(
    reptype: str,
    nrep: int,
    rho: float | None,
    scale: float | None,
    rscales: Sequence[float] | None,
) -> tuple[float, np.ndarray]:
    """R ``svrepdesign`` defaults for scale and rscales."""
    rs = np.ones(nrep) if rscales is None else np.asarray(rscales, dtype=np.float64)
    if rs.size == 1:
        rs = np.full(nrep, float(rs[0]))
    if rs.size != nrep:
        raise DesignError(f"rscales has {rs.size} values; the design has {nrep} replicates")
    if reptype == "brr":
        return 1.0 / nrep, rs
    if reptype == "fay":
        if rho is None or not 0 <= rho < 1:
            raise DesignError("--reptype fay needs --rho in [0, 1), e.g. 0.5")
        return 1.0 / (nrep * (1.0 - rho) ** 2), rs
    if reptype == "bootstrap":
        return (1.0 / (nrep - 1) if scale is None else float(scale)), rs
    if reptype == "jk1":
        return ((nrep - 1.0) / nrep if scale is None else float(scale)), rs
    if reptype == "jkn" and rscales is None:
        raise DesignError(
            "--reptype jkn with shipped weights needs rscales ((n_h − 1)/n_h per replicate); "
            "give them in the analysis spec"
        )
    return (1.0 if scale is None else float(scale)), rs


def _jkn_factors(design: SurveyDesign) -> tuple[np.ndarray, np.ndarray, float]:
    """PSU multipliers, rscales and scale of JKn replicates (R ``jknweights``)."""
    n_psu, n_strata = design.n_psu, design.n_strata
    cols: list[np.ndarray] = []
    rscales: list[float] = []
    skipped = 0
    for h in range(n_strata):
        members = np.flatnonzero(design.psu_stratum == h)
        nh = members.size
        f = float(design.fpc_fraction_h[h])
        if f >= 1.0 - 1e-12:
            continue
        if nh == 1:
            rule = design.lonely_psu
            if rule == "fail":
                design._check_lonely()
            if rule == "adjust":
                col = np.full(n_psu, n_strata / (n_strata - 1.0))
                col[members] = 0.0
                cols.append(col)
                rscales.append((n_strata - 1.0) / n_strata)
            else:
                skipped += 1
            continue
        for m in members:
            col = np.ones(n_psu)
            col[members] = nh / (nh - 1.0)
            col[m] = 0.0
            cols.append(col)
            rscales.append((1.0 - f) * (nh - 1.0) / nh)
    if not cols:
        raise DesignError("all strata were sampled completely; there is no sampling variance")
    scale = 1.0
    if skipped and design.lonely_psu == "average":
        scale = n_psu / len(cols)
    return np.column_stack(cols), np.asarray(rscales), scale
