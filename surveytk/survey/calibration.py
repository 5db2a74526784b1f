"""Calibration of survey weights to known population totals, and its variance.

``--calibrate TOTALS.csv --calibration poststratify|rake|linear`` adjusts the
sampling weights so that weighted sample totals equal population totals, then
(optionally) trims them; replicate designs recalibrate every replicate.

TOTALS.csv has the columns ``variable,level,total``: one row per level of a
categorical variable, ``level`` empty for a numeric variable's total, and
optionally the row ``(Intercept),,N`` for the population size (implied by any
categorical variable's totals).

================ ============================================ ===============================
method           weights                                      R
================ ============================================ ===============================
``poststratify`` w_i N_c / N̂_c in the cells c of one variable ``postStratify``
``rake``         iterative proportional fitting to the        ``rake`` (run to convergence)
                 margins of several categorical variables
``linear``       GREG: w_i (1 + x_i' λ), optionally with the  ``calibrate(calfun = "linear",
                 g-weights bounded to [L, U] (``grake``)      bounds =)``
================ ============================================ ===============================

Linearised variance (R ``svyrecvar``): the estimating-function rows x_i are
replaced by their residuals from the calibration before the multistage variance
— post-stratification x_i − w_i m_c with m_c the old-weighted cell mean of
x_i/w_i; raking ten sweeps of that projection over the margins (R's
iterated ``postStrata``); linear calibration the weighted least-squares
residuals g_i √w_i · resid(x_i / (g_i √w_i) ~ √w_i z_i) (Deville & Särndal 1992;
Lumley 2010, ch. 7). Rows with zero weight take no part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from surveytk.disclosure import count_text
from surveytk.errors import DesignError
from surveytk.survey.options import CALIBRATION_METHODS, check_choice
from surveytk.survey.stages import interaction_codes

INTERCEPT = "(Intercept)"
#: R ``grake``: relative misfit |T − T̂|/(1 + |T|) below which calibration has converged
EPSILON = 1e-7
MAXIT = 50
#: raking stops when no cell of the cross-table of the margins moves by more than this
#: fraction of the sum of the weights (R ``rake(control = list(epsilon = ...))``)
RAKE_EPSILON = 1e-12
RAKE_MAXIT = 200
#: sweeps of the raking projection in the variance (fixed in R ``svyrecvar``)
RAKE_VARIANCE_SWEEPS = 10


# ---------------------------------------------------------------------------
# population totals
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """Population totals read from TOTALS.csv (in file order)."""

    categorical: dict[str, dict[str, float]] = field(default_factory=dict)
    numeric: dict[str, float] = field(default_factory=dict)
    intercept: float | None = None
    source: str = "totals"

    @property
    def variables(self) -> tuple[str, ...]:
        return (*self.categorical, *self.numeric)


def value_text(value: object) -> str:
    """A value as totals files and tables name it: ``1.0`` → ``"1"``, booleans
    ``"True"``/``"False"``."""
    if isinstance(value, bool | np.bool_):
        return "True" if value else "False"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def text_codes(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes 0..m−1 of the level texts of ``series`` (−1 where missing), and the texts.

    The text of a value as totals files and tables name it (``1.0`` → ``"1"``);
    values are factorised first, so the text is made once per distinct value
    rather than once per row. An object column (values of mixed types, which
    factorising would merge, e.g. ``True`` and ``1``) is turned into text row by row.
    """
    if series.dtype == object:
        missing = np.asarray(series.isna().to_numpy(), dtype=bool)
        values = series.to_numpy(dtype=object)
        keys = np.array(
            [None if m else value_text(v) for v, m in zip(values, missing, strict=True)],
            dtype=object,
        )
        key_codes, key_uniques = pd.factorize(keys, use_na_sentinel=True)
        return np.asarray(key_codes, dtype=np.int64), [str(u) for u in key_uniques]
    raw, uniques = pd.factorize(series, use_na_sentinel=True)
    codes = np.asarray(raw, dtype=np.int64)
    texts = [value_text(u) for u in uniques]
    merged, levels = pd.factorize(np.array(texts, dtype=object))  # 1 and 1.0 alike
    out = np.full(len(series), -1, dtype=np.int64)
    found = codes >= 0
    out[found] = np.asarray(merged, dtype=np.int64)[codes[found]]
    return out, [str(t) for t in levels]


def read_totals(path: str | Path) -> Totals:
    """Read TOTALS.csv (``variable,level,total``).

    Raises
    ------
    DesignError
        Unreadable file, missing columns, a total that is not a finite number,
        a (variable, level) given twice, a variable with both levels and a numeric total.
    """
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DesignError(
            f"{path}: cannot read the calibration totals ({type(exc).__name__})", file=str(path)
        ) from None
    need = {"variable", "level", "total"}
    if not need <= set(table.columns):
        raise DesignError(
            f"{path}: calibration totals need the columns variable,level,total; found "
            + ",".join(map(str, table.columns)),
            file=str(path),
        )
    categorical: dict[str, dict[str, float]] = {}
    numeric: dict[str, float] = {}
    intercept = None
    for line, (var, level, total) in enumerate(
        zip(table["variable"], table["level"], table["total"], strict=True), start=2
    ):
        var, level = var.strip(), level.strip()
        try:
            value = float(total)
        except ValueError:
            value = float("nan")
        if not var or not np.isfinite(value):
            raise DesignError(
                f"{path}, line {line}: a total needs a variable and a finite number "
                f"(got variable {var!r}, total {total!r})",
                file=str(path),
            )
        if var == INTERCEPT:
            intercept = value
        elif level:
            if var in numeric:
                raise DesignError(
                    f"{path}: {var!r} has a numeric total and level totals; give one kind",
                    file=str(path),
                    variable=var,
                )
            levels = categorical.setdefault(var, {})
            if level in levels:
                raise DesignError(
                    f"{path}, line {line}: level {level!r} of {var!r} is given twice",
                    file=str(path),
                    variable=var,
                )
            levels[level] = value
        else:
            if var in categorical or var in numeric:
                raise DesignError(
                    f"{path}, line {line}: {var!r} is given twice (a numeric total has an "
                    "empty level, once)",
                    file=str(path),
                    variable=var,
                )
            numeric[var] = value
    if not categorical and not numeric:
        raise DesignError(f"{path}: no calibration totals", file=str(path))
    return Totals(categorical, numeric, intercept, str(path))


# ---------------------------------------------------------------------------
# the calibration applied to a design
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossCells:
    """The cross-classification of the raking margins over the rows with a positive weight.

    Raking multiplies the weights of every row in a margin's cell by the same factor,
    so all rows of a cross cell (a combination of levels of every margin) share their
    product, and the variance's projection (:meth:`Calibration.residuals`) subtracts
    the same amount from each row of a cross cell: both run on the cross-table's
    sums, with one pass over the rows before and one after.

    Attributes
    ----------
    codes
        (n_active,) cross cell of each active row, 0..m−1.
    levels
        Per margin, (m,) the margin's level in each cross cell.
    """

    codes: np.ndarray
    levels: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, margins: Sequence[np.ndarray]) -> CrossCells:
        """The cross cells of the margins' codes (active rows, every code ≥ 0)."""
        sizes = [int(c.max()) + 1 if c.size else 1 for c in margins]
        m = int(np.prod(sizes, dtype=np.float64))
        if m <= 4 * max(margins[0].size, 1024):  # the full cross-table: codes in mixed radix
            codes = np.zeros(margins[0].size, dtype=np.int64)
            for cells, size in zip(margins, sizes, strict=True):
                codes = codes * size + cells
            cell = np.arange(m, dtype=np.int64)
            levels = []
            for k, size in enumerate(sizes):
                stride = int(np.prod(sizes[k + 1 :], dtype=np.int64))
                levels.append(cell // stride % size)
            return cls(codes, tuple(levels))
        codes = interaction_codes(*margins)  # only the combinations that occur
        m = int(codes.max()) + 1 if codes.size else 0
        levels = []
        for cells in margins:
            level = np.zeros(m, dtype=np.int64)
            level[codes] = cells  # every row of a cross cell has the same level
            levels.append(level)
        return cls(codes, tuple(levels))

    @property
    def size(self) -> int:
        return int(self.levels[0].shape[0]) if self.levels else 0

    def sums(self, x: np.ndarray) -> np.ndarray:
        """(m, k) column sums of the rows of ``x`` (n_active, k) within each cross cell."""
        return _cell_sums(self.codes, x, self.size)


def _cell_sums(codes: np.ndarray, x: np.ndarray, m: int) -> np.ndarray:
    """(m, k) column sums of the rows of ``x`` within each of the m cells of ``codes``."""
    return np.stack(
        [np.bincount(codes, weights=x[:, j], minlength=m) for j in range(x.shape[1])], 1
    )


@dataclass(frozen=True)
class Calibration:
    """A calibration of the weights, and what its variance needs.

    Attributes
    ----------
    method
        ``poststratify``, ``rake`` or ``linear``.
    variables
        The calibration variables.
    g
        (n,) g-weights: calibrated over base weight (1 where the weight is 0).
    active
        (n,) rows with a positive base weight (the only ones calibrated).
    cells
        Category codes per margin (poststratify: one; rake: one per variable).
    old_weights, new_weights
        (n,) weights before and after (``postStratify``'s ``oldweights``/``weights``).
    basis
        Linear: (n_active, p) calibration matrix z of the active rows.
    cross
        Rake: the cross cells of the margins over the active rows.
    trimmed
        Rows whose weight was trimmed afterwards.
    """

    method: str
    variables: tuple[str, ...]
    g: np.ndarray
    active: np.ndarray
    cells: tuple[np.ndarray, ...] = ()
    old_weights: np.ndarray | None = None
    new_weights: np.ndarray | None = None
    basis: np.ndarray | None = None
    trimmed: int = 0
    bounds: tuple[float, float] | None = None
    cross: CrossCells | None = None

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """(n, k) estimating-function rows with the calibration projected out."""
        out = np.array(x, dtype=np.float64, copy=True)
        a = self.active
        assert self.new_weights is not None and self.old_weights is not None
        w = self.new_weights[a]
        xa = out[a]
        if self.method == "poststratify":
            xa = _poststratify_residuals(xa, self.cells[0][a], w, self.old_weights[a])
        elif self.method == "rake":
            cross = self.cross or CrossCells.of([cells[a] for cells in self.cells])
            xa = _rake_residuals(xa, w, cross)
        else:
            assert self.basis is not None
            gw = self.g[a] * np.sqrt(self.old_weights[a])
            q, _ = np.linalg.qr(self.basis * np.sqrt(self.old_weights[a])[:, None])
            y = xa / gw[:, None]
            xa = (y - q @ (q.T @ y)) * gw[:, None]
        out[a] = xa
        return out

    def describe(self) -> str:
        """One line: method, variables, range of the g-weights."""
        g = self.g[self.active]
        kind = {
            "poststratify": "post-stratified",
            "rake": "raked",
            "linear": "linearly calibrated",
        }[self.method]
        text = (
            f"weights {kind} to totals of {', '.join(self.variables)} "
            f"(g-weights {g.min():.3g} to {g.max():.3g}, mean {g.mean():.3g})"
        )
        if self.bounds is not None:
            text += f", bounds [{self.bounds[0]:g}, {self.bounds[1]:g}]"
        if self.trimmed:
            text += f"; {self.trimmed} weights trimmed"
        return text

    def diagnostics(self) -> dict[str, float]:
        """Summary of the g-weights (min, max, mean, sd) over rows with positive weight."""
        g = self.g[self.active]
        return {
            "g_min": float(g.min()),
            "g_max": float(g.max()),
            "g_mean": float(g.mean()),
            "g_sd": float(g.std(ddof=1)) if g.size > 1 else 0.0,
        }


def _rake_residuals(x: np.ndarray, w: np.ndarray, cross: CrossCells) -> np.ndarray:
    """R ``svyrecvar``'s raking projection: ten sweeps over the margins of x ← x − w · m(x/w).

    m is the plain mean within the margin's cell (R ``ave``). Each step subtracts
    from u = x/w an amount that is constant within a cross cell, so the sweeps run
    on the cross-table: d holds the amount subtracted so far in each cross cell,
    the cell sums of the current u are S − N d (S the sums of u, N the rows), and
    the result is x − w · d.
    """
    u = x / w[:, None]
    rows = np.bincount(cross.codes, minlength=cross.size).astype(np.float64)
    s = cross.sums(u)
    counts = [np.bincount(level, weights=rows) for level in cross.levels]
    d = np.zeros_like(s)
    for _ in range(RAKE_VARIANCE_SWEEPS):
        for level, n_level in zip(cross.levels, counts, strict=True):
            sums = _cell_sums(level, s - rows[:, None] * d, n_level.size)
            d = d + (sums / n_level[:, None])[level]
    return np.asarray(x - w[:, None] * d[cross.codes])


def _poststratify_residuals(
    x: np.ndarray, cells: np.ndarray, psw: np.ndarray, oldw: np.ndarray
) -> np.ndarray:
    """R ``svyrecvar``: x − psw · (Σ_c x oldw/psw) / Σ_c oldw."""
    m = int(cells.max()) + 1
    ratio = x * (oldw / psw)[:, None]
    sums = np.stack(
        [np.bincount(cells, weights=ratio[:, j], minlength=m) for j in range(x.shape[1])], 1
    )
    means = sums / np.bincount(cells, weights=oldw, minlength=m)[:, None]
    return np.asarray(x - means[cells] * psw[:, None])


# ---------------------------------------------------------------------------
# building blocks: cells, the calibration matrix
# ---------------------------------------------------------------------------


def _values(data: pd.DataFrame, var: str, active: np.ndarray, source: str) -> pd.Series:
    if var not in data.columns:
        raise DesignError(
            f"{source}: calibration variable {var!r} is not in the data", variable=var
        )
    s = data[var]
    missing = np.asarray(s.isna().to_numpy(), dtype=bool) & active
    if missing.any():
        raise DesignError(
            f"calibration variable {var!r} is missing in {count_text(int(missing.sum()))}"
            f" rows with a "
            "positive weight; every calibrated row needs a value (fix the data or leave "
            "those rows out)",
            variable=var,
        )
    return s


def category_codes(
    data: pd.DataFrame, var: str, totals: dict[str, float], active: np.ndarray, source: str
) -> tuple[np.ndarray, list[str]]:
    """Codes 0..m−1 of the active rows' levels in ``totals`` (−1 elsewhere), and the levels.

    Levels with a total of 0 and no sample rows are dropped (R ``postStratify``).

    Raises
    ------
    DesignError
        A sample level without a total (unknown level), or a level with a positive
        total but no sample row with a positive weight (empty cell).
    """
    s = _values(data, var, active, source)
    tcodes, texts = text_codes(s)
    present = np.zeros(len(texts), dtype=bool)
    present[tcodes[active & (tcodes >= 0)]] = True
    seen = {texts[i] for i in np.flatnonzero(present)}
    unknown = sorted(seen - set(totals))
    if unknown:
        raise DesignError(
            f"{source}: {var!r} has level(s) {', '.join(map(repr, unknown[:5]))} in the data "
            "but no population total; add them to the totals file",
            variable=var,
        )
    levels = [lv for lv, t in totals.items() if lv in seen or t != 0]
    empty = [lv for lv in levels if lv not in seen]
    if empty:
        raise DesignError(
            f"{source}: level(s) {', '.join(map(repr, empty[:5]))} of {var!r} have a population "
            "total but no respondent with a positive weight (empty cell); merge the level "
            "with another, or drop it from the totals",
            variable=var,
        )
    index = {lv: i for i, lv in enumerate(levels)}
    to_level = np.array([index.get(t, -1) for t in texts], dtype=np.int64)
    codes = np.full(len(s), -1, dtype=np.int64)
    use = active & (tcodes >= 0)
    codes[use] = to_level[tcodes[use]]
    return codes, levels


def _numeric(data: pd.DataFrame, var: str, active: np.ndarray, source: str) -> np.ndarray:
    s = _values(data, var, active, source)
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise DesignError(
            f"{source}: {var!r} has a numeric total (empty level) but is not numeric in the "
            "data; give its totals per level",
            variable=var,
        )
    return np.asarray(s.to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)


def _population_size(totals: Totals) -> float | None:
    sizes = {var: sum(levels.values()) for var, levels in totals.categorical.items()}
    if totals.intercept is not None:
        sizes[INTERCEPT] = totals.intercept
    if not sizes:
        return None
    values = list(sizes.values())
    if max(values) - min(values) > 1e-9 * max(abs(v) for v in values):
        shown = ", ".join(f"{k} {v:g}" for k, v in sizes.items())
        raise DesignError(
            f"{totals.source}: the totals disagree on the population size ({shown}); "
            "every categorical variable's levels must add up to the same total"
        )
    return values[0]


def calibration_matrix(
    data: pd.DataFrame, totals: Totals, active: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """(n_active, p) matrix z and (p,) population totals of a linear calibration.

    The first categorical variable enters with all its levels (they span the
    intercept), later ones without their first level (treatment contrasts, as R
    ``model.matrix``), numeric variables as they are; with no categorical
    variable, an ``(Intercept)`` total adds a column of ones.
    """
    n_active = int(active.sum())
    columns: list[np.ndarray] = []
    targets: list[float] = []
    cells: list[np.ndarray] = []
    size = _population_size(totals)
    for i, (var, levels) in enumerate(totals.categorical.items()):
        codes, kept = category_codes(data, var, levels, active, totals.source)
        cells.append(codes)
        a_codes = codes[active]
        for j, level in enumerate(kept):
            if i > 0 and j == 0:
                continue
            columns.append((a_codes == j).astype(np.float64))
            targets.append(levels[level])
    if not totals.categorical and size is not None:
        columns.insert(0, np.ones(n_active))
        targets.insert(0, size)
    for var, total in totals.numeric.items():
        columns.append(_numeric(data, var, active, totals.source)[active])
        targets.append(total)
    return np.column_stack(columns), np.asarray(targets), tuple(cells)


# ---------------------------------------------------------------------------
# the three methods on one weight vector
# ---------------------------------------------------------------------------


def _poststratify_factors(w: np.ndarray, cells: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """N_c / Σ_{j∈c} w_j of each cell c."""
    sample = np.bincount(cells, weights=w, minlength=targets.size)
    if np.any(sample <= 0):
        raise DesignError(
            "post-stratification: a cell has no weight in a replicate; use another "
            "replicate type or merge cells"
        )
    return np.asarray(targets / sample)


def poststratify_weights(w: np.ndarray, cells: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """w_i N_c / Σ_{j∈c} w_j for the active rows (``cells`` ≥ 0)."""
    return np.asarray(w * _poststratify_factors(w, cells, targets)[cells])


def rake_weights(
    w: np.ndarray, margins: Sequence[np.ndarray] | CrossCells, targets: Sequence[np.ndarray]
) -> np.ndarray:
    """Iterative proportional fitting of ``w`` to the margins (R ``rake``, run to convergence).

    Parameters
    ----------
    w
        (n_active,) weights of the active rows.
    margins
        Each margin's cell codes over the same rows, or their :class:`CrossCells`.
    targets
        Each margin's population totals, one per cell.

    Notes
    -----
    Each sweep post-stratifies to every margin in turn (w_i N_c / N̂_c); all rows of
    a cross cell get the same factors, so the sweeps run on the cross-table's sums
    of the weights and the rows are multiplied once by their cell's product at the
    end. Converged when no cross cell's sum moves by more than
    :data:`RAKE_EPSILON` × Σ w in a sweep.

    Raises
    ------
    DesignError
        No convergence in :data:`RAKE_MAXIT` sweeps, or a cell without weight.
    """
    cross = margins if isinstance(margins, CrossCells) else CrossCells.of(margins)
    epsilon = RAKE_EPSILON * float(w.sum())
    base = np.bincount(cross.codes, weights=w, minlength=cross.size)
    factor = np.ones_like(base)
    old = base
    for _ in range(RAKE_MAXIT):
        for level, target in zip(cross.levels, targets, strict=True):
            factor = factor * _poststratify_factors(base * factor, level, target)[level]
        new = base * factor
        if np.max(np.abs(new - old)) < epsilon:
            return np.asarray(w * factor[cross.codes])
        old = new
    raise DesignError(
        f"raking did not converge in {RAKE_MAXIT} sweeps; the margins may be inconsistent "
        "(check that every variable's totals add up to the same population) or a cell "
        "combination is empty in the sample"
    )


def linear_g(
    z: np.ndarray,
    w: np.ndarray,
    targets: np.ndarray,
    bounds: tuple[float, float] | None = None,
) -> np.ndarray:
    """g-weights of linear calibration, optionally bounded (R ``regcalibrate`` / ``grake``).

    Notes
    -----
    Unbounded: g = 1 + z (Σ w z z')⁻¹ (T − Σ w z). Bounded to [L, U]: Newton
    steps on λ with g = 1 + clip(z'λ + 1, L, U) − 1 until the relative misfit
    |T − Σ w g z|/(1 + |T|) < 1e-7 (R ``grake`` with ``cal.linear``, including
    its rescaling of the weights when every total is over 20 times its sample
    estimate).

    Raises
    ------
    DesignError
        Collinear calibration variables, or no convergence within the bounds.
    """
    sample = w @ z
    if bounds is None:
        t = (z * w[:, None]).T @ z
        try:
            lam = np.linalg.solve(t, targets - sample)
        except np.linalg.LinAlgError:
            raise DesignError(
                "linear calibration: the calibration variables are collinear in the sample; "
                "drop a redundant total"
            ) from None
        return np.asarray(1.0 + z @ lam)
    lower, upper = bounds
    scale = 1.0
    ratios = targets / np.where(sample == 0, np.nan, sample)
    if np.nanmin(ratios) > 20:
        scale = float(np.nanmean(ratios))
        w = w * scale
        sample = sample * scale
    eta = np.zeros(z.shape[1])

    def g_of(e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = z @ e
        return np.clip(u + 1.0, lower, upper), ((u < upper - 1) & (u > lower - 1)).astype(float)

    g, deriv = g_of(eta)
    for _ in range(MAXIT):
        t = (z * (w * deriv)[:, None]).T @ z
        misfit = targets - sample - z.T @ (w * (g - 1.0))
        eta = eta + np.linalg.pinv(t, rcond=256 * np.finfo(float).eps) @ misfit
        g, deriv = g_of(eta)
        misfit = targets - sample - z.T @ (w * (g - 1.0))
        if np.all(np.abs(misfit) / (1.0 + np.abs(targets)) < EPSILON):
            return np.asarray(g * scale)
    raise DesignError(
        f"linear calibration with bounds [{lower:g}, {upper:g}] did not converge in {MAXIT} "
        "iterations; widen the bounds"
    )


def trim_weights(w: np.ndarray, lower: float, upper: float) -> tuple[np.ndarray, int]:
    """R ``trimWeights``: clip to [lower, upper], share the trimmings evenly among the rest."""
    outside = (w < lower) | (w > upper)
    if not outside.any():
        return w, 0
    if outside.all():
        raise DesignError(f"--trim {lower:g} {upper:g}: every weight is outside the bounds")
    new = np.clip(w, lower, upper)
    new[~outside] += (w - new).sum() / float((~outside).sum())
    return new, int(outside.sum())


# ---------------------------------------------------------------------------
# the step as a whole
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationPlan:
    """What to calibrate to, resolved against the data: reusable for every replicate."""

    method: str
    totals: Totals
    active: np.ndarray
    cells: tuple[np.ndarray, ...]
    targets: tuple[np.ndarray, ...]
    basis: np.ndarray | None = None
    basis_targets: np.ndarray | None = None
    bounds: tuple[float, float] | None = None
    cross: CrossCells | None = None

    def weights(self, w: np.ndarray) -> np.ndarray:
        """Calibrated copy of ``w`` (n,); rows outside :attr:`active` keep their weight."""
        out = np.array(w, dtype=np.float64, copy=True)
        a = self.active
        if self.method == "poststratify":
            out[a] = poststratify_weights(w[a], self.cells[0][a], self.targets[0])
        elif self.method == "rake":
            cross = self.cross or CrossCells.of([c[a] for c in self.cells])
            out[a] = rake_weights(w[a], cross, self.targets)
        else:
            assert self.basis is not None and self.basis_targets is not None
            out[a] = w[a] * linear_g(self.basis, w[a], self.basis_targets, self.bounds)
        return out


def plan_calibration(
    data: pd.DataFrame,
    totals: Totals,
    method: str,
    active: np.ndarray,
    bounds: tuple[float, float] | None = None,
) -> CalibrationPlan:
    """Check the totals against the data and prepare the calibration.

    Raises
    ------
    DesignError
        Unknown method; poststratify with other than one categorical variable;
        rake with a numeric total; bounds with another method than linear;
        unknown levels, empty cells, missing values, disagreeing totals.
    """
    check_choice("--calibration", method, CALIBRATION_METHODS)
    if bounds is not None:
        if method != "linear":
            raise DesignError("--calibration-bounds go with --calibration linear")
        if not bounds[0] < 1.0 < bounds[1]:
            raise DesignError(
                f"--calibration-bounds {bounds[0]:g} {bounds[1]:g}: the bounds on the g-weights "
                "must enclose 1 (e.g. 0.5 2)"
            )
    if method in ("poststratify", "rake"):
        if totals.numeric:
            raise DesignError(
                f"{totals.source}: {method} uses categorical totals only; "
                f"{', '.join(totals.numeric)} has a numeric total (use --calibration linear)"
            )
        if method == "poststratify" and len(totals.categorical) != 1:
            raise DesignError(
                f"{totals.source}: poststratify takes the totals of one variable (the cells); "
                f"found {len(totals.categorical)} (use --calibration rake for several margins)"
            )
        _population_size(totals)
        margins: list[np.ndarray] = []
        targets: list[np.ndarray] = []
        for var, levels in totals.categorical.items():
            codes, kept = category_codes(data, var, levels, active, totals.source)
            margins.append(codes)
            targets.append(np.asarray([levels[lv] for lv in kept]))
        cross = CrossCells.of([c[active] for c in margins]) if method == "rake" else None
        return CalibrationPlan(method, totals, active, tuple(margins), tuple(targets), cross=cross)
    z, t, cells = calibration_matrix(data, totals, active)
    return CalibrationPlan(method, totals, active, cells, (), z, t, bounds)


def calibrate_weights(plan: CalibrationPlan, w: np.ndarray) -> tuple[np.ndarray, Calibration]:
    """Calibrated weights and the :class:`Calibration` the variance needs.

    Raises
    ------
    DesignError
        Linear calibration giving negative weights (give bounds, or rake).
    """
    new = plan.weights(w)
    a = plan.active
    if np.any(new[a] <= 0):
        raise DesignError(
            f"{plan.method} calibration gives {int(np.sum(new[a] <= 0))} weights ≤ 0; "
            "bound the g-weights (--calibration-bounds 0.2 5, say) or rake instead"
        )
    g = np.ones_like(new)
    g[a] = new[a] / w[a]
    info = Calibration(
        method=plan.method,
        variables=plan.totals.variables,
        g=g,
        active=a,
        cells=plan.cells,
        old_weights=np.asarray(w, dtype=np.float64),
        new_weights=new,
        basis=plan.basis,
        bounds=plan.bounds,
        cross=plan.cross,
    )
    return new, info
