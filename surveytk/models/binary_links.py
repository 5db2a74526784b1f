"""The logistic and normal distribution functions of the binary links, on numpy arrays.

The logistic ones are written on numpy so that a logit fit does not import
:mod:`scipy.special` (0.1-0.2 s of every command); the probit's normal distribution
function and its inverse come from scipy, imported when a probit model needs them.
"""

from __future__ import annotations

import numpy as np


def expit(eta: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-eta))`` without overflow (as ``scipy.special.expit``)."""
    e = np.exp(-np.abs(eta))
    return np.asarray(np.where(eta >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def logit(mu: np.ndarray) -> np.ndarray:
    """``log(mu / (1 - mu))``."""
    return np.asarray(np.log(mu) - np.log1p(-mu))


def normal_cdf(eta: np.ndarray) -> np.ndarray:
    """Φ(eta)."""
    from scipy import special  # a slow import: probit only

    return np.asarray(special.ndtr(eta))


def normal_quantile(mu: np.ndarray) -> np.ndarray:
    """Φ⁻¹(mu)."""
    from scipy import special  # a slow import: probit only

    return np.asarray(special.ndtri(mu))


def bernoulli_terms(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``w [y log μ + (1 − y) log(1 − μ)]``, a term 0 where its factor y or 1 − y is 0
    (``scipy.special.xlogy``/``xlog1py``), so that μ of exactly 0 or 1 gives no NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.where(y == 0, 0.0, y * np.log(mu))
        second = np.where(y == 1, 0.0, (1.0 - y) * np.log1p(-mu))
    return np.asarray(w * first + w * second)
