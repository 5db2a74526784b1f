"""Reference distributions of tests and intervals: Student's t with the design's degrees
of freedom, or the standard normal (``df`` None or infinite).

Written on :mod:`math` and numpy, not scipy: ``import scipy.special`` costs 0.1-0.2 s of
every command (scipy 1.17 clones numpy's namespace at import, which loads
``numpy.f2py`` and ``numpy.testing``), a fifth of a whole ``surveytk fit``. The
algorithms are the classical ones scipy and R also evaluate:

* the t tail by the regularized incomplete beta function,
  ``P(|T| > t) = I_x(df/2, 1/2)`` with ``x = df / (df + t²)``, evaluated by its
  continued fraction (modified Lentz; Press et al., *Numerical Recipes* §6.4), on the
  side of ``(a + 1)/(a + b + 2)`` where it converges;
* ``log B(a, b)`` with Stirling's remainder for arguments of 10 or more, as R's
  ``lbeta`` (so the prefactor keeps its relative accuracy at a million degrees of
  freedom);
* the normal tail by ``erfc``;
* quantiles by Newton's method on the log of the upper tail, kept inside a bisection
  bracket.

``tests/test_distributions.py`` checks them against ``scipy.stats`` to 1e-12 relative
from one to ten million degrees of freedom and out to tails of 1e-300.
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["interval_multiplier", "quantile", "two_sided_pvalues", "upper_tail"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
_TINY = 1e-300
#: a continued-fraction factor within one unit in the last place of 1 ends the fraction
_EPS = 2.220446049250313e-16
#: continued-fraction terms: convergence takes O(sqrt(max(a, b))) of them
_MAX_TERMS = 20_000
#: degrees of freedom up to which the continued fraction is used: within 5e-12 relative of
#: scipy and R there; beyond, its conditioning as x -> 1 costs digits (4e-11 at a million),
#: so larger df go to scipy.special (the asymptotic expansions of TOMS 708), imported then
MAX_FRACTION_DF = 5000.0


def _is_normal(df: float | None) -> bool:
    return df is None or df == math.inf


def _undefined(df: float | None) -> bool:
    """No t distribution: df NaN, zero or negative (as scipy and R, the answer is NaN)."""
    return df is not None and (math.isnan(df) or df <= 0)


def two_sided_pvalues(stat: np.ndarray, df: float | None) -> np.ndarray:
    """``2 P(T > |stat|)`` for T ~ t(df), or the standard normal when ``df`` is None/inf."""
    a = np.abs(np.asarray(stat, dtype=float))
    out = np.full(a.shape, np.nan)
    ok = ~np.isnan(a)
    if _undefined(df):
        return out
    if _is_normal(df):
        out[ok] = [math.erfc(v * _SQRT_HALF) for v in a[ok]]
        return out
    nu = float(df)  # type: ignore[arg-type]
    if nu > MAX_FRACTION_DF:
        from scipy import special  # a slow import: only for very large df

        out[ok] = 2.0 * special.stdtr(nu, -a[ok])
        return out
    out[ok] = _beta_inc(nu / 2.0, 0.5, *_beta_arguments(a[ok], nu))
    return out


def _beta_arguments(t: np.ndarray, nu: float) -> tuple[np.ndarray, np.ndarray]:
    """``log x`` and ``log y`` of ``x = nu / (nu + t²)``, ``y = t² / (nu + t²)`` (``t >= 0``),
    through ``log1p`` of the smaller of ``t²/nu`` and ``nu/t²``: ``a log x`` keeps its
    relative accuracy when ``x`` is near 1 and ``a = nu/2`` is a million."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        big = t > math.sqrt(nu)
        r = np.where(big, nu / t / t, t / nu * t)
        log_t2 = 2.0 * np.log(t)  # not log(r): r may be subnormal
        log_r, log_1r = np.where(big, math.log(nu) - log_t2, log_t2 - math.log(nu)), np.log1p(r)
        log_x = np.where(big, log_r - log_1r, -log_1r)
        log_y = np.where(big, -log_1r, log_r - log_1r)
    return log_x, log_y


def upper_tail(t: float, df: float | None) -> float:
    """``P(T > t)`` for T ~ t(df), or the standard normal when ``df`` is None/inf."""
    if math.isnan(t):
        return math.nan
    half = 0.5 * float(two_sided_pvalues(np.array([t]), df)[0])
    return half if t >= 0 else 1.0 - half


@functools.lru_cache(maxsize=1024)
def quantile(p: float, df: float | None) -> float:
    """The ``p`` quantile of t(df), or of the standard normal when ``df`` is None/inf.

    Kept per ``(p, df)``: a few Newton steps on the continued fraction cost about a
    millisecond each, and a table asks for the same multiplier once per row.
    """
    if math.isnan(p) or not 0.0 <= p <= 1.0 or _undefined(df):
        return math.nan
    if p == 0.5:
        return 0.0
    q = p if p < 0.5 else 1.0 - p  # exact for p in [0.5, 1] (Sterbenz)
    if q == 0.0:
        return -math.inf if p < 0.5 else math.inf
    if not _is_normal(df) and df > MAX_FRACTION_DF:  # type: ignore[operator]
        from scipy import special  # a slow import: only for very large df

        return float(special.stdtrit(float(df), p))  # type: ignore[arg-type]
    t = _upper_quantile(q, df)
    return -t if p < 0.5 else t


def interval_multiplier(level: float, df: float | None) -> float:
    """Half-width multiplier of a two-sided ``level`` confidence interval."""
    return quantile(0.5 + level / 2.0, df)


# ---------------------------------------------------------------------------
# quantiles: Newton on log Q(t) = log q inside a bisection bracket
# ---------------------------------------------------------------------------


def _log_tail_and_density(t: float, df: float | None) -> tuple[float, float]:
    """``(log P(T > t), log f(t))`` for ``t >= 0``."""
    if _is_normal(df):
        tail = 0.5 * math.erfc(t * _SQRT_HALF)
        log_dens = -0.5 * t * t - _LOG_SQRT_2PI
    else:
        nu = float(df)  # type: ignore[arg-type]
        tail = 0.5 * float(two_sided_pvalues(np.array([t]), nu)[0])
        # f(t) = (1 + t²/nu)^(-(nu+1)/2) / (sqrt(nu) B(nu/2, 1/2))
        log_1p = (2.0 * math.log(t) - math.log(nu) + math.log1p(nu / t / t)
                  if t > math.sqrt(nu) else math.log1p(t / nu * t))  # fmt: skip
        log_dens = -_log_beta(nu / 2.0, 0.5) - 0.5 * math.log(nu) - (nu + 1.0) / 2.0 * log_1p
    return (math.log(tail) if tail > 0 else -math.inf), log_dens


def _upper_quantile(q: float, df: float | None) -> float:
    """The t > 0 with ``P(T > t) = q``, for ``0 < q < 1/2``."""
    target = math.log(q)
    lo, hi = 0.0, math.inf
    t = _start(q, df)
    for _ in range(400):
        log_tail, log_dens = _log_tail_and_density(t, df)
        h = log_tail - target
        if h == 0.0:
            return t
        if h > 0:
            lo = t
        else:
            hi = t
        # Newton: d log Q / dt = -f / Q
        new = t + h * math.exp(min(log_tail - log_dens, 700.0))
        if not lo < new < hi:  # outside the bracket: bisect, or double when unbounded
            new = 0.5 * (lo + hi) if math.isfinite(hi) else 2.0 * max(t, 1.0)
            if math.isinf(new):
                return math.inf  # beyond the largest float
        if abs(new - t) <= 4.0 * _EPS * abs(new):
            return new
        t = new
    return t


def _start(q: float, df: float | None) -> float:
    """A start for Newton: Abramowitz & Stegun 26.2.23 for the normal, then the
    Cornish-Fisher expansion of t (A&S 26.7.5) when ``df >= 3``."""
    u = math.sqrt(-2.0 * math.log(q))
    z = u - (2.515517 + 0.802853 * u + 0.010328 * u * u) / (
        1.0 + 1.432788 * u + 0.189269 * u * u + 0.001308 * u**3
    )
    if _is_normal(df) or df < 3:  # type: ignore[operator]
        return max(z, 1e-3)
    nu = float(df)  # type: ignore[arg-type]
    g1 = (z**3 + z) / 4.0
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96.0
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384.0
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160.0
    return max(z + g1 / nu + g2 / nu**2 + g3 / nu**3 + g4 / nu**4, 1e-3)


# ---------------------------------------------------------------------------
# the regularized incomplete beta function
# ---------------------------------------------------------------------------


def _beta_inc(a: float, b: float, log_x: np.ndarray, log_y: np.ndarray) -> np.ndarray:
    """``I_x(a, b)`` elementwise, from ``log x`` and ``log y``, ``y = 1 - x``."""
    x, y = np.exp(log_x), np.exp(log_y)  # x may underflow where x^a does not
    out = np.where(log_x == -np.inf, 0.0, 1.0)
    inner = (log_x > -np.inf) & (log_y > -np.inf)
    if not inner.any():
        return out
    xi, yi, lx, ly = x[inner], y[inner], log_x[inner], log_y[inner]
    direct = xi < (a + 1.0) / (a + b + 2.0)
    res = np.empty(xi.shape)
    if direct.any():
        d = direct
        res[d] = _prefactor(a, b, lx[d], ly[d]) * _beta_fraction(a, b, xi[d], yi[d]) / a
    if (~direct).any():
        s = ~direct
        res[s] = 1.0 - _prefactor(b, a, ly[s], lx[s]) * _beta_fraction(b, a, yi[s], xi[s]) / b
    out[inner] = res
    return out


def _prefactor(a: float, b: float, log_x: np.ndarray, log_y: np.ndarray) -> np.ndarray:
    """``x^a y^b / B(a, b)``."""
    return np.asarray(np.exp(a * log_x + b * log_y - _log_beta(a, b)))


def _beta_fraction(a: float, b: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The continued fraction of ``I_x(a, b)`` (modified Lentz), elementwise in ``x``."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(x)
    # 1 - (a + b) x / (a + 1), written with y = 1 - x: no cancellation when x is near 1
    d = _nonzero((1.0 - b + qab * y) / qap)
    d = 1.0 / d
    h = d.copy()
    for m in range(1, _MAX_TERMS + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 / _nonzero(1.0 + aa * d)
        c = _nonzero(1.0 + aa / c)
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 / _nonzero(1.0 + aa * d)
        c = _nonzero(1.0 + aa / c)
        delta = d * c
        h *= delta
        if np.all(np.abs(delta - 1.0) <= _EPS):
            break
    return h


def _nonzero(v: np.ndarray) -> np.ndarray:
    return np.where(np.abs(v) < _TINY, _TINY, v)


# ---------------------------------------------------------------------------
# log B(a, b), as R's lbeta
# ---------------------------------------------------------------------------

#: Stirling remainder ln Γ(x) - [(x - 1/2) ln x - x + ln √(2π)] = Σ c_k / x^(2k-1)
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
             -3617 / 122400)  # fmt: skip


def _stirling_remainder(x: float) -> float:
    """``ln Γ(x) - (x - 1/2) ln x + x - ln √(2π)`` for ``x >= 10``."""
    inv, inv2 = 1.0 / x, 1.0 / (x * x)
    total, power = 0.0, inv
    for c in _STIRLING:
        total += c * power
        power *= inv2
    return total


def _log_beta(a: float, b: float) -> float:
    """``ln B(a, b)`` for positive ``a``, ``b``, accurate when one or both are large."""
    p, q = min(a, b), max(a, b)
    s = p + q
    if p >= 10.0:
        corr = _stirling_remainder(p) + _stirling_remainder(q) - _stirling_remainder(s)
        return (-0.5 * math.log(q) + _LOG_SQRT_2PI + corr + (p - 0.5) * math.log(p / s)
                + q * math.log1p(-p / s))  # fmt: skip
    if q >= 10.0:
        corr = _stirling_remainder(q) - _stirling_remainder(s)
        return math.lgamma(p) + corr + p - p * math.log(s) + (q - 0.5) * math.log1p(-p / s)
    return math.lgamma(p) + math.lgamma(q) - math.lgamma(s)
