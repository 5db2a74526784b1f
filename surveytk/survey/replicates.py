"""Replicate weights made from a design's first stage: bootstrap, jackknife, BRR, Fay.

Every maker returns PSU multipliers ``factors`` (P × R; the replicate weight of
row i is ``weights[i] * factors[psu[i], r]``), the variance ``scale`` and
``rscales``, so that V = scale Σ_r rscales_r (θ_r − θ̄)(θ_r − θ̄)' as R
``svrepdesign``. Each follows R ``survey`` (``as.svrepdesign``):

========== ======================= =====================================================
kind       R                       replicates
========== ======================= =====================================================
bootstrap  ``bootweights``         n_h PSUs drawn with replacement per stratum (without
                                   replacement from the N_h-long cyclic list with an fpc);
                                   scale n̄/((n̄ − 1)(R − 1)), n̄ the harmonic mean of n_h
subbootstrap ``subbootweights``    n_h − 1 drawn, multiplier n_h/(n_h − 1) (Rao & Wu 1988;
                                   Rao, Wu & Yue 1992); scale 1/(R − 1)
jk1        ``jk1weights``          delete one PSU; scale (1 − f)(n − 1)/n
jkn        ``jknweights``          delete one PSU within its stratum; rscales (1 − f_h)(n_h − 1)/n_h
brr, fay   ``brrweights``          half-samples from a Hadamard matrix (two PSUs per
                                   stratum); weights 2 − ρ and ρ; scale 1/(R (1 − ρ)²)
========== ======================= =====================================================

Like R, only the first stage is used (later stages' fpc are dropped), BRR and Fay
ignore the fpc, and the random draws are numpy's (same seed, same replicates; not
R's random numbers).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from surveytk.errors import DesignError

Replicates = tuple[np.ndarray, float, np.ndarray]


class FirstStage(Protocol):
    """What the makers read of a design's first stage
    (:class:`surveytk.survey.design.SurveyDesign` has it all)."""

    @property
    def psu_stratum(self) -> np.ndarray: ...  # (P,) stratum code of each PSU
    @property
    def n_psu_h(self) -> np.ndarray: ...  # (H,) PSUs per stratum
    @property
    def popsize_h(self) -> np.ndarray: ...  # (H,) population PSUs per stratum (inf: no fpc)
    @property
    def fpc_fraction_h(self) -> np.ndarray: ...  # (H,) sampling fraction n_h / N_h
    @property
    def stratum_labels(self) -> np.ndarray: ...  # (H,) the stratum column's values
    @property
    def n_psu(self) -> int: ...
    @property
    def n_strata(self) -> int: ...
    @property
    def has_strata(self) -> bool: ...
    @property
    def lonely_psu(self) -> str: ...
    def _check_lonely(self) -> None: ...  # raise the lonely-PSU error of the rule ``fail``


def _members(design: FirstStage) -> list[np.ndarray]:
    """PSU codes of each stratum, in PSU-code (first-appearance) order."""
    order = np.argsort(design.psu_stratum, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(design.n_psu_h.astype(np.int64))))
    return [order[bounds[h] : bounds[h + 1]] for h in range(design.n_strata)]


def _refuse_lonely(design: FirstStage, kind: str) -> None:
    lonely = np.flatnonzero(design.n_psu_h < 2)
    if lonely.size:
        raise DesignError(
            f"{lonely.size} strata have a single PSU; {kind} replicates need at least two "
            "per stratum. Merge strata or use linearised variance with --lonely-psu adjust"
        )


def _check_count(replicates: int) -> None:
    if replicates < 2:
        raise DesignError(f"--replicates must be at least 2, got {replicates}")


def bootstrap(design: FirstStage, replicates: int, seed: int | None) -> Replicates:
    """R ``bootweights`` (Canty & Davison 1999), with R's scale.

    Notes
    -----
    In stratum h draw n_h PSUs with replacement; with a first-stage fpc, draw
    them without replacement from the PSUs repeated cyclically to length N_h
    (R ``bootstratum``). The multiplier is the number of draws. R's scale
    n̄/((n̄ − 1)(R − 1)) uses the harmonic mean n̄ of the PSUs per stratum.
    """
    _check_count(replicates)
    _refuse_lonely(design, "bootstrap")
    rng = np.random.default_rng(seed)
    factors = np.zeros((design.n_psu, replicates))
    for h, members in enumerate(_members(design)):
        nh = members.size
        popsize = design.popsize_h[h]
        for r in range(replicates):
            if np.isfinite(popsize):
                pool = np.resize(np.arange(nh), round(popsize))
                draws = rng.choice(pool, size=nh, replace=False)
            else:
                draws = rng.integers(0, nh, size=nh)
            factors[members, r] = np.bincount(draws, minlength=nh)
    nbar = float(1.0 / np.mean(1.0 / design.n_psu_h))
    return factors, nbar / ((nbar - 1.0) * (replicates - 1.0)), np.ones(replicates)


def subbootstrap(design: FirstStage, replicates: int, seed: int | None) -> Replicates:
    """R ``subbootweights``: Rao–Wu rescaling bootstrap drawing n_h − 1 PSUs per stratum."""
    _check_count(replicates)
    _refuse_lonely(design, "subbootstrap")
    rng = np.random.default_rng(seed)
    factors = np.zeros((design.n_psu, replicates))
    for members in _members(design):
        nh = members.size
        draws = rng.integers(0, nh, size=(replicates, nh - 1))
        counts = np.zeros((replicates, nh))
        np.add.at(counts, (np.repeat(np.arange(replicates), nh - 1), draws.ravel()), 1.0)
        factors[members] = counts.T * (nh / (nh - 1))
    return factors, 1.0 / (replicates - 1), np.ones(replicates)


def jk1(design: FirstStage) -> Replicates:
    """R ``jk1weights``: drop one PSU, the others × n/(n − 1); scale (1 − f)(n − 1)/n."""
    if design.n_strata > 1:
        raise DesignError(
            "JK1 replicates are for unstratified designs; use --reptype jkn with strata"
        )
    n = design.n_psu
    if n < 2:
        raise DesignError("JK1 replicates need at least two PSUs")
    f = float(design.fpc_fraction_h[0])
    factors = np.full((n, n), n / (n - 1.0))
    np.fill_diagonal(factors, 0.0)
    return factors, (1.0 - f) * (n - 1.0) / n, np.ones(n)


def jkn(design: FirstStage) -> Replicates:
    """R ``jknweights``: delete one PSU within its stratum; rscales (1 − f_h)(n_h − 1)/n_h.

    Lonely strata follow the design's lonely-PSU rule as R's ``jknweights``;
    fully sampled strata (f_h = 1) give no replicates (R ``survey.drop.replicates``).
    """
    n_psu, n_strata = design.n_psu, design.n_strata
    cols: list[np.ndarray] = []
    rscales: list[float] = []
    skipped = 0
    for h, members in enumerate(_members(design)):
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
    return np.column_stack(cols), scale, np.asarray(rscales)


def sylvester(size: int) -> np.ndarray:
    """The 0/1 Sylvester–Hadamard matrix of the smallest power-of-two order ≥ ``size``.

    Entries are 1 (for +1) and 0 (for −1); the first row and column are ones.
    Built as R ``survey``'s ``hadamard.doubler``: [[H, H], [H, 1 − H]].
    """
    h = np.ones((1, 1), dtype=np.int64)
    while h.shape[0] < size:
        h = np.block([[h, h], [h, 1 - h]])
    return h


def brr(design: FirstStage, rho: float = 0.0) -> Replicates:
    """BRR (``rho = 0``) or Fay (0 < ρ < 1) half-samples, as R ``brrweights``.

    Notes
    -----
    Needs exactly two PSUs per stratum. Strata are taken in the order of their
    labels sorted as text, PSUs within a stratum in data order (R:
    ``order(strata, match)``). With the Hadamard matrix A = 1 − S of order
    ≥ H + 1 (S from :func:`sylvester`; R turns a supplied matrix into this
    form, its first entry becoming 0), replicate r gives the first PSU of the
    s-th stratum the weight 2 − ρ when A[s, r] = 1 and ρ otherwise, the second
    PSU the other one. There are as many replicates as A has columns. R's
    default ``hadamard()`` may pick a smaller matrix; the same replicates come
    from ``as.svrepdesign(design, type = "BRR", hadamard.matrix = S)``.
    """
    if not 0.0 <= rho < 1.0:
        raise DesignError(f"Fay's rho must be in [0, 1), got {rho}")
    if not design.has_strata:
        raise DesignError("BRR and Fay replicates need a stratified design (--strata)")
    sizes = design.n_psu_h
    if np.any(sizes != 2):
        raise DesignError(
            f"BRR and Fay replicates need exactly two PSUs per stratum; "
            f"{int(np.sum(sizes != 2))} of {sizes.size} strata have another number "
            "(use --reptype jkn or bootstrap)"
        )
    labels = design.stratum_labels
    order = sorted(range(design.n_strata), key=lambda h: str(labels[h]))
    a = 1 - sylvester(design.n_strata + 1)
    n_rep = a.shape[1]
    factors = np.zeros((design.n_psu, n_rep))
    members = _members(design)
    for s, h in enumerate(order, start=1):
        first, second = members[h]
        on = a[s] == 1
        factors[first] = np.where(on, 2.0 - rho, rho)
        factors[second] = np.where(on, rho, 2.0 - rho)
    return factors, 1.0 / (n_rep * (1.0 - rho) ** 2), np.ones(n_rep)
