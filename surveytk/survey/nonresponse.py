"""Nonresponse adjustment within weighting classes, and its linearised variance.

``--nonresponse CLASS --respondent R``: in each class c the respondents' weights are
multiplied by a_c = N̂_c / N̂_rc (the weighted count of all sampled rows of the class
over that of its respondents); nonrespondents get weight 0, so every class keeps its
weighted total (Kalton & Flores-Cervantes 2003; Valliant, Dever & Kreuter 2018,
ch. 13). Replicate designs repeat the adjustment within every replicate.

Variance. The adjusted total of estimating functions is T = Σ_c a_c Σ_{R_c} w_i v_i;
differentiating with respect to every sampled row's weight (a_c included) gives the
linearised rows

    z_i = x_i − w*_i m_c + w_i m_c,   m_c = Σ_{i ∈ R_c} x_i / Σ_{i ∈ S_c} w_i,

with x_i the estimating-function rows (weights w* after adjustment, zero for
nonrespondents), w the weights before. Nonrespondents therefore keep an influence
w_i m_c: the class totals they help estimate are random. These rows replace x in the
multistage variance (:mod:`surveytk.survey.variance`); ``tests/test_nonresponse.py``
checks them against numerical derivatives of the adjusted estimator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveytk.errors import DesignError


@dataclass(frozen=True)
class NonresponsePlan:
    """Classes and respondents of the sampled rows, reusable for every replicate."""

    classes: np.ndarray  # (n,) class code, −1 outside the sample (weight 0)
    respondent: np.ndarray  # (n,) bool
    names: tuple[str, str]

    def weights(self, w: np.ndarray) -> np.ndarray:
        """Adjusted copy of ``w``: respondents × a_c, nonrespondents 0.

        Raises
        ------
        DesignError
            A class whose respondents all have weight 0 in ``w`` (a replicate, say).
        """
        sampled = self.classes >= 0
        m = int(self.classes.max()) + 1
        c = self.classes[sampled]
        total = np.bincount(c, weights=w[sampled], minlength=m)
        resp = np.bincount(c, weights=(w * self.respondent)[sampled], minlength=m)
        if np.any((total > 0) & (resp <= 0)):
            raise DesignError(
                f"nonresponse adjustment: {int(np.sum((total > 0) & (resp <= 0)))} classes of "
                f"{self.names[0]!r} have no respondent with a positive weight (in a replicate, "
                "or overall); merge classes"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(resp > 0, total / resp, 0.0)
        out = np.zeros_like(w, dtype=np.float64)
        keep = sampled & self.respondent
        out[keep] = w[keep] * factor[self.classes[keep]]
        return out


@dataclass(frozen=True)
class NonresponseAdjustment:
    """An applied adjustment: what the linearised variance needs."""

    plan: NonresponsePlan
    old_weights: np.ndarray
    new_weights: np.ndarray

    @property
    def active(self) -> np.ndarray:
        """Rows of the sample (respondents and nonrespondents)."""
        return np.asarray(self.plan.classes >= 0)

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """(n, k) linearised rows z = x − w* m_c + w m_c (see the module notes)."""
        a = self.active
        c = self.plan.classes[a]
        m = int(c.max()) + 1
        xa = np.asarray(x, dtype=np.float64)[a]
        sums = np.stack(
            [np.bincount(c, weights=xa[:, j], minlength=m) for j in range(xa.shape[1])], 1
        )
        means = sums / np.bincount(c, weights=self.old_weights[a], minlength=m)[:, None]
        out = np.array(x, dtype=np.float64, copy=True)
        out[a] = xa + (self.old_weights[a] - self.new_weights[a])[:, None] * means[c]
        return out

    def describe(self) -> str:
        """One line: classes, respondents, range of the adjustment factors."""
        r = self.plan.respondent & self.active
        factor = self.new_weights[r] / self.old_weights[r]
        return (
            f"nonresponse adjustment within classes of {self.plan.names[0]} "
            f"({int(r.sum())} respondents of {int(self.active.sum())}; factors "
            f"{factor.min():.3g} to {factor.max():.3g})"
        )


def plan_nonresponse(
    data: pd.DataFrame, classes: str, respondent: str, sampled: np.ndarray
) -> NonresponsePlan:
    """Check the class and respondent columns of the sampled rows.

    Raises
    ------
    DesignError
        A column absent; a missing class or response value among the sampled rows;
        a response indicator other than 0/1 (or False/True); a class without respondents.
    """
    for name in (classes, respondent):
        if name not in data.columns:
            raise DesignError(f"nonresponse: column {name!r} is not in the data", variable=name)
    cls = data[classes]
    resp = data[respondent]
    for name, s in ((classes, cls), (respondent, resp)):
        missing = np.asarray(s.isna().to_numpy(), dtype=bool) & sampled
        if missing.any():
            raise DesignError(
                f"nonresponse: {name!r} is missing in {int(missing.sum())} sampled rows; every "
                "sampled row needs a class and a response status",
                variable=name,
            )
    values = pd.to_numeric(resp.where(sampled), errors="coerce")
    ok = values.isin([0, 1]) | ~pd.Series(sampled, index=resp.index)
    if pd.api.types.is_bool_dtype(resp.dtype):
        ok[:] = True
        values = resp.astype(float)
    if not bool(ok.all()):
        raise DesignError(
            f"nonresponse: respondent indicator {respondent!r} must be 0/1 (or False/True); "
            f"{int((~ok).sum())} sampled rows have another value",
            variable=respondent,
        )
    codes = np.asarray(pd.factorize(cls.where(sampled), sort=False)[0], dtype=np.int64)
    codes[~sampled] = -1
    is_resp = np.asarray(values.fillna(0).to_numpy(dtype=float) == 1.0) & sampled
    plan = NonresponsePlan(codes, is_resp, (classes, respondent))
    return plan
