"""The binary links: their distribution functions on numpy arrays and the predictor
P(y = 1 | x) = F(x'β) that margins and predictions use.

The logistic ones are written on numpy so that a logit fit does not import
:mod:`scipy.special` (0.1-0.2 s of every command); the probit's normal distribution
function and its inverse come from scipy, imported when a probit model needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from surveytk.errors import ModelError
from surveytk.models.registry import BINARY_MODELS

BinaryLink = Literal["logit", "probit", "lpm"]


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


@dataclass(frozen=True)
class BinaryPredictor:
    """P(y = 1 | x) = F(x'β) for a binary link, with analytic derivatives.

    Parameters
    ----------
    link
        ``logit`` (F = logistic), ``probit`` (F = Φ) or ``lpm`` (F = identity).
    """

    link: BinaryLink

    def __post_init__(self) -> None:
        if self.link not in BINARY_MODELS:
            raise ModelError(
                f"link: expecting one of {{{', '.join(BINARY_MODELS)}}}; got {self.link!r}"
            )

    def cdf(self, eta: np.ndarray) -> np.ndarray:
        """F(η)."""
        if self.link == "logit":
            return np.asarray(expit(eta))
        if self.link == "probit":
            return np.asarray(normal_cdf(eta))
        return eta

    def pdf(self, eta: np.ndarray) -> np.ndarray:
        """dF/dη."""
        if self.link == "logit":
            p = expit(eta)
            return np.asarray(p * (1.0 - p))
        if self.link == "probit":
            return np.asarray(np.exp(-0.5 * eta * eta) / np.sqrt(2.0 * np.pi))
        return np.ones_like(eta)

    def __call__(self, params: np.ndarray, X: np.ndarray) -> np.ndarray:
        return self.cdf(X @ params)[:, None]

    def avg_jacobian(self, params: np.ndarray, X: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Σᵢ aᵢ ∂Pᵢ/∂β = (a·f(Xβ))ᵀ X, as a 1 × k matrix."""
        return ((a * self.pdf(X @ params)) @ X)[None, :]


def binary_predictor(model: str) -> BinaryPredictor:
    """The predictor of a binary family: ``logit``, ``probit`` or ``lpm``."""
    return BinaryPredictor(model)  # type: ignore[arg-type]
