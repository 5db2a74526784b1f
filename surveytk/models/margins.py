"""Average marginal effects, average predictions and odds ratios, with delta-method SEs.

Generic over model families: a family hands over a ``predict(params, X)``
callable returning an n × J matrix of probabilities (J = 1 for binary models,
one column per outcome level for ordinal and multinomial ones), its estimates,
their design-based covariance and the :class:`~surveytk.models.formula.ModelFrame`
it was fitted on. A predictor may also offer
``avg_jacobian(params, X, a) -> (J, k)``, the ``a``-weighted sum over rows of
∂P/∂params, which makes the delta-method gradients analytic; without it they
are central differences over the parameters.
:class:`~surveytk.models.binary_links.BinaryPredictor` gives both for logit, probit and
the linear probability model; the other families keep theirs with their fit
(``GLMPredictor``, ``OrdinalPredictor``, ``MlogitPredictor``, the panel models'
``LinearPredictor``).

Counterfactual design matrices are rebuilt with
:meth:`ModelFrame.transform`, so a variable that also appears inside
``I(...)`` or an interaction moves every column it enters.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from surveytk.errors import ModelError
from surveytk.models.formula import ModelFrame, VariableInfo
from surveytk.models.kernel import KernelFit
from surveytk.models.results import EffectBlock
from surveytk.survey.distributions import interval_multiplier
from surveytk.survey.variance import linearized_meat

#: relative step of the numeric-variable derivative: h = STEP_X · max(1, sd(x))
STEP_X = 1e-4


class Predict(Protocol):
    """``predict(params, X) -> (n, J)`` probabilities (J = 1 for binary models)."""

    def __call__(self, params: np.ndarray, X: np.ndarray) -> np.ndarray: ...


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _normalised_weights(weights: np.ndarray | None, frame: ModelFrame) -> np.ndarray:
    n = frame.n_obs
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape == frame.row_mask.shape and w.shape != (n,):
        w = w[frame.row_mask]
    if w.shape != (n,):
        raise ModelError(
            f"weights have {w.shape[0]} values; the model frame has {n} rows used "
            f"(of {frame.row_mask.shape[0]} input rows)"
        )
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ModelError("weights for marginal effects must be finite, >= 0 and not all zero")
    return w / w.sum()


def _avg_prediction(
    predict: Predict, params: np.ndarray, X: np.ndarray, a: np.ndarray
) -> np.ndarray:
    P = np.asarray(predict(params, X), dtype=np.float64)
    if P.ndim == 1:
        P = P[:, None]
    return a @ P


def _row_prediction(predict: Predict, params: np.ndarray, X: np.ndarray) -> np.ndarray:
    P = np.asarray(predict(params, X), dtype=np.float64)
    return P[:, None] if P.ndim == 1 else P


def _avg_jacobian(predict: Predict, params: np.ndarray, X: np.ndarray, a: np.ndarray) -> np.ndarray:
    """J × k: Σᵢ aᵢ ∂Pᵢⱼ/∂θ, analytic if the predictor offers it."""
    analytic: Callable[..., np.ndarray] | None = getattr(predict, "avg_jacobian", None)
    if analytic is not None:
        return np.asarray(analytic(params, X, a), dtype=np.float64)
    return _numeric_jacobian(
        lambda p: _avg_prediction(predict, p, X, a), params, 1e-6, _param_scales(params, X)
    )


def _param_scales(params: np.ndarray, X: np.ndarray) -> np.ndarray:
    """1 / max(1, rms of the column a coefficient multiplies), 1 for other params.

    Scaling the step by the column keeps each perturbation of the linear
    predictor of the same size, so that the truncation error of a central
    difference does not grow with the cube of a column's magnitude (age ~ 40).
    """
    scales = np.ones(params.shape[0])
    k = min(X.shape[1], params.shape[0])
    rms = np.sqrt(np.mean(X[:, :k] ** 2, axis=0))
    scales[:k] = 1.0 / np.maximum(1.0, rms)
    return scales


def _numeric_jacobian(
    fun: Callable[[np.ndarray], np.ndarray],
    params: np.ndarray,
    rel_step: float,
    scales: np.ndarray | None = None,
) -> np.ndarray:
    """Central differences of a vector function over ``params``: J × k."""
    cols = []
    for j in range(params.shape[0]):
        h = rel_step * max(1.0, abs(float(params[j])))
        if scales is not None:
            h *= float(scales[j])
        up, down = params.copy(), params.copy()
        up[j] += h
        down[j] -= h
        cols.append((fun(up) - fun(down)) / (2.0 * h))
    return np.stack(cols, axis=-1)


@dataclass(frozen=True)
class _Contrast:
    """One marginal effect: (P(hi) − P(lo)) / scale, averaged over rows."""

    term: str
    hi: Mapping[str, np.ndarray | float]
    lo: Mapping[str, np.ndarray | float]
    scale: float


def _contrasts(frame: ModelFrame, info: VariableInfo, discrete: bool) -> list[_Contrast]:
    if info.kind == "categorical":
        return [
            _Contrast(f"{info.name}[{level}]", {info.name: float(i)}, {info.name: 0.0}, 1.0)
            for i, level in enumerate(info.levels)
            if i > 0
        ]
    if info.kind == "boolean" or discrete:
        return [_Contrast(info.name, {info.name: 1.0}, {info.name: 0.0}, 1.0)]
    x = frame.variable_values(info.name)
    h = STEP_X * max(1.0, float(np.std(x)))
    return [_Contrast(info.name, {info.name: x + h}, {info.name: x - h}, 2.0 * h)]


def _check_inputs(params: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(params, dtype=np.float64).ravel()
    V = np.asarray(cov, dtype=np.float64)
    if V.shape != (p.size, p.size):
        raise ModelError(f"covariance is {V.shape}; expected {p.size}x{p.size} for the params")
    return p, V


def _y_labels(frame: ModelFrame, J: int) -> list[str]:
    if J == 1:
        return [""]
    if len(frame.y_levels) != J:
        raise ModelError(
            f"predict returned {J} columns but the outcome has {len(frame.y_levels)} levels"
        )
    return list(frame.y_levels)


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def average_marginal_effects(
    predict: Predict,
    params: np.ndarray,
    cov: np.ndarray,
    frame: ModelFrame,
    weights: np.ndarray | None = None,
    *,
    variables: Sequence[str] | None = None,
    discrete: Sequence[str] = (),
    unconditional: Unconditional | None = None,
) -> EffectBlock:
    """Weighted average marginal effects with delta-method covariance.

    Parameters
    ----------
    predict
        ``predict(params, X) -> (n, J)`` probabilities; J = 1 for binary
        models. An ``avg_jacobian(params, X, a) -> (J, k)`` attribute makes the
        gradients analytic.
    params, cov
        Estimates (k) and their design-based covariance (k × k).
    frame
        The model frame the model was fitted on.
    weights
        Sampling weights of the estimation rows (length ``frame.n_obs``) or of
        all input rows (length of ``frame.row_mask``); ``None`` = equal.
    variables
        Variables to report (default: every right-hand-side variable, in
        formula order).
    discrete
        Numeric variables to treat by discrete change 0 → 1 (0/1 dummies
        stored as numbers), as boolean variables are.
    unconditional
        Scores, Hessian and design of the fit: the covariance is then Stata's
        ``margins, vce(unconditional)`` (see :func:`unconditional_cov`)
        instead of the delta method conditional on the covariates.

    Returns
    -------
    EffectBlock
        ``effects`` all ``"ame"``; terms are variable names (numeric, boolean)
        or ``var[level]`` (categorical); ``y_levels`` the outcome level of each
        row (``""`` for binary models), ordered by outcome level, then term.

    Notes
    -----
    With normalised weights aᵢ = wᵢ/Σw over the estimation sample:

    - numeric x: AME = Σ aᵢ ∂Pᵢ/∂x, by a central difference on the data,
      [P(x + h) − P(x − h)] / 2h with h = 1e-4·max(1, sd(x)), through every
      model-matrix column x enters (I(x**2), interactions);
    - boolean x or a level ℓ of a categorical x: AME = Σ aᵢ [Pᵢ(x = 1 or ℓ) −
      Pᵢ(x = 0 or reference)], every row set to each value in turn;
    - delta method: Var(AME) = G V Gᵀ with G = ∂AME/∂θ, analytic when the
      predictor gives ``avg_jacobian`` (central differences otherwise);
    - unconditional: the design variance of the linearised AME, whose
      influence adds aᵢ (dᵢ − AME) (dᵢ the row's effect) to G's share of the
      coefficients' influence (:func:`unconditional_cov`).

    This is the "average marginal effect" of Stata's ``margins, dydx(*)`` and
    R ``margins`` (Leeper 2017), with Stata's survey weighting; see also
    Cameron & Trivedi (2005), *Microeconometrics*, ch. 14.
    """
    p, V = _check_inputs(params, cov)
    a = _normalised_weights(weights, frame)
    infos = frame.variables
    names = list(infos) if variables is None else list(variables)
    for name in [*names, *discrete]:
        if name not in infos:
            raise ModelError(
                f"{name!r} is not a variable of formula {frame.formula.text!r}; "
                "variables: " + ", ".join(infos)
            )
    check_discrete(frame, discrete)
    contrasts = [c for n in names for c in _contrasts(frame, infos[n], n in discrete)]
    if not contrasts:
        raise ModelError(f"formula {frame.formula.text!r} has no variables for marginal effects")

    scales = _param_scales(p, frame.X)
    estimates, grads, rows = [], [], []
    for c in contrasts:
        X_hi = frame.transform(overrides=c.hi)
        X_lo = frame.transform(overrides=c.lo)
        if unconditional is not None:
            rows.append(
                (_row_prediction(predict, p, X_hi) - _row_prediction(predict, p, X_lo)) / c.scale
            )
        est = (
            _avg_prediction(predict, p, X_hi, a) - _avg_prediction(predict, p, X_lo, a)
        ) / c.scale
        if hasattr(predict, "avg_jacobian"):
            g = (_avg_jacobian(predict, p, X_hi, a) - _avg_jacobian(predict, p, X_lo, a)) / c.scale
        else:
            # the difference quotient over x already costs precision: larger θ step
            step = 1e-4 if c.scale != 1.0 else 1e-6

            def fun(
                q: np.ndarray,
                X_hi: np.ndarray = X_hi,
                X_lo: np.ndarray = X_lo,
                scale: float = c.scale,
            ) -> np.ndarray:
                return (
                    _avg_prediction(predict, q, X_hi, a) - _avg_prediction(predict, q, X_lo, a)
                ) / scale

            g = _numeric_jacobian(fun, p, step, scales)
        estimates.append(est)
        grads.append(g)

    J = estimates[0].shape[0]
    y_labels = _y_labels(frame, J)
    # order: outcome level outer, term inner
    est = np.array([estimates[i][j] for j in range(J) for i in range(len(contrasts))])
    G = np.array([grads[i][j] for j in range(J) for i in range(len(contrasts))])
    terms = tuple(c.term for _ in range(J) for c in contrasts)
    ylv = tuple(y for y in y_labels for _ in contrasts)
    if unconditional is None:
        cov = G @ V @ G.T
    else:
        D = np.column_stack([rows[i][:, j] for j in range(J) for i in range(len(contrasts))])
        cov = unconditional_cov(D, est, a, G, unconditional)
    return EffectBlock(
        terms=terms,
        effects=("ame",) * len(terms),
        y_levels=ylv,
        estimates=est,
        cov=cov,
    )


MarginsVce = Literal["conditional", "unconditional", "svypredmeans"]
MARGINS_VCES: tuple[str, ...] = ("conditional", "unconditional", "svypredmeans")


@dataclass(frozen=True)
class Unconditional:
    """What ``vce(unconditional)`` needs from a linearised fit.

    ``scores`` (n × k, estimation rows in frame order) and ``hessian`` (k × k)
    as in :class:`~surveytk.models.kernel.KernelFit`; ``design`` the design
    whose domain is the estimation rows.
    """

    scores: np.ndarray
    hessian: np.ndarray
    design: Any


def unconditional_of(kf: KernelFit | None, design: Any, n_obs: int) -> Unconditional | None:
    """What ``vce(unconditional)`` needs from a fit, or None when the fit has no per-row
    scores of its ``n_obs`` estimation rows (no kernel, no design, or scores of other rows)."""
    if kf is None or design is None or kf.scores.shape[0] != n_obs:
        return None
    return Unconditional(kf.scores, kf.hessian, design)


def check_vce(vce: str) -> None:
    """``vce`` must name one of :data:`MARGINS_VCES`."""
    if vce not in MARGINS_VCES:
        raise ModelError(f"vce: expecting one of {{{', '.join(MARGINS_VCES)}}}; got {vce!r}")


def unconditional_cov(
    D: np.ndarray, est: np.ndarray, a: np.ndarray, G: np.ndarray, u: Unconditional
) -> np.ndarray:
    r"""Design covariance of AMEs treating the covariates as sampled (Stata ``vce(unconditional)``).

    Parameters
    ----------
    D
        n × m: each row's effect dᵢ (difference or derivative of its prediction).
    est
        The m AMEs Σ aᵢ dᵢ, aᵢ = wᵢ / Σ w.
    a
        Normalised weights of the estimation rows.
    G
        m × k: ∂AME/∂θ.
    u
        Scores, Hessian and design of the fit.

    Notes
    -----
    AME = Σ wᵢ dᵢ(θ̂) / Σ wᵢ is a ratio of two totals and a function of θ̂, and
    θ̂ − θ ≈ −H⁻¹ Σ sᵢ. Its linearised influence per row is

    .. math:: z_i = a_i (d_i - \widehat{AME}) - G H^{-1} s_i

    and Var(AME) is the design meat of the zᵢ (stratified PSU totals, fpc and
    the lonely-PSU rule as for the coefficients). Dropping the first term
    gives G V Gᵀ, the conditional variance. Stata, *[R] margins*, "vce(unconditional)",
    and *[SVY] svy postestimation*; Graubard & Korn (1999), *Biometrics* 55:652.
    """
    if u.design.is_replicate:
        raise ModelError(
            "--ame-vce unconditional needs a linearised design; with replicate weights "
            "use the conditional AME variance"
        )
    infl = -np.linalg.solve(u.hessian, u.scores.T).T  # n × k influence of θ̂
    z = a[:, None] * (D - est[None, :]) + infl @ G.T
    return linearized_meat(z, u.design)


def check_discrete(frame: ModelFrame, discrete: Sequence[str]) -> None:
    """Variables for discrete change must be numeric and take only the values 0 and 1."""
    infos = frame.variables
    for name in discrete:
        info = infos[name]
        if info.kind != "numeric":
            raise ModelError(
                f"--discrete {name}: {name!r} is {info.kind}; its AMEs are discrete changes "
                "already — list only numeric 0/1 variables",
                variable=name,
            )
        vals = np.unique(frame.variable_values(name))
        if not np.all(np.isin(vals, (0.0, 1.0))):
            raise ModelError(
                f"--discrete {name}: {name!r} takes values other than 0 and 1; "
                "a discrete change 0 → 1 needs a 0/1 variable",
                variable=name,
            )


def zero_one_variables(frame: ModelFrame) -> list[str]:
    """Numeric variables of the model whose values are all 0 or 1."""
    out = []
    for info in frame.term_groups:
        if info.kind == "numeric":
            vals = np.unique(frame.variable_values(info.name))
            if vals.size <= 2 and np.all(np.isin(vals, (0.0, 1.0))):
                out.append(info.name)
    return out


@dataclass(frozen=True)
class PredictiveMargins:
    """Average predictions at every combination of chosen values, with their covariance.

    ``grid`` has one row per estimate: the ``at`` values, then ``y_level``;
    ``estimates`` and ``cov`` are in the same order.
    """

    grid: pd.DataFrame
    estimates: np.ndarray
    cov: np.ndarray

    @property
    def std_errors(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))


#: how the variance of predictive margins treats the covariates
def predictive_margins(
    predict: Predict,
    params: np.ndarray,
    cov: np.ndarray,
    frame: ModelFrame,
    at: Mapping[str, Sequence[Any]],
    weights: np.ndarray | None = None,
    *,
    unconditional: Unconditional | None = None,
    vce: MarginsVce = "conditional",
) -> PredictiveMargins:
    """Average predictions at every combination of ``at`` values, with full covariance.

    Parameters
    ----------
    predict, params, cov, frame, weights
        As for :func:`average_marginal_effects`; ``weights`` that are zero
        outside a group give the margins within that group.
    at
        Variable → values (levels for categorical variables).
    unconditional
        Scores, Hessian and design of a linearised fit; needed by the
        ``unconditional`` and ``svypredmeans`` variances.
    vce
        ``conditional`` (delta method, covariates fixed: G V Gᵀ),
        ``unconditional`` (Stata ``margins, vce(unconditional)``,
        :func:`unconditional_cov`) or ``svypredmeans`` (R ``svypredmeans``:
        G V Gᵀ plus the design variance of the mean of the predictions, with
        no covariance term between the two).

    Notes
    -----
    Average prediction m(θ) = Σ aᵢ Pᵢ(x_at; θ) with aᵢ = wᵢ/Σw (Graubard &
    Korn 1999, *Biometrics* 55:652–659, predictive margins; Stata ``margins,
    at(...)``; R ``svypredmeans``).
    """
    if not at:
        raise ModelError("predictive margins need at least one variable in `at`")
    check_vce(vce)
    if vce != "conditional" and unconditional is None:
        raise ModelError(f"vce={vce!r} needs the scores of a linearised fit")
    p, V = _check_inputs(params, cov)
    a = _normalised_weights(weights, frame)
    names = list(at)
    encoded = {n: [frame.encode(n, v) for v in at[n]] for n in names}
    rows: list[dict[str, Any]] = []
    means, grads, preds = [], [], []
    for combo in itertools.product(*(range(len(at[n])) for n in names)):
        overrides = {n: encoded[n][i] for n, i in zip(names, combo, strict=True)}
        X = frame.transform(overrides=overrides)
        m = _avg_prediction(predict, p, X, a)
        means.append(m)
        grads.append(_avg_jacobian(predict, p, X, a))
        if unconditional is not None and vce != "conditional":
            preds.append(_row_prediction(predict, p, X))
        for y in _y_labels(frame, m.shape[0]):
            row: dict[str, Any] = {n: at[n][i] for n, i in zip(names, combo, strict=True)}
            row["y_level"] = y
            rows.append(row)
    est = np.concatenate(means)
    G = np.concatenate(grads, axis=0)
    if vce == "conditional" or unconditional is None:
        out_cov = G @ V @ G.T
    else:
        D = np.concatenate(preds, axis=1)
        if vce == "unconditional":
            out_cov = unconditional_cov(D, est, a, G, unconditional)
        else:
            out_cov = G @ V @ G.T + _mean_variance(D, est, a, unconditional.design)
    return PredictiveMargins(pd.DataFrame(rows), est, out_cov)


def _mean_variance(D: np.ndarray, est: np.ndarray, a: np.ndarray, design: Any) -> np.ndarray:
    """Design variance of the weighted means Σ aᵢ Dᵢ, taking D as data (R ``svymean``)."""
    if design.is_replicate:
        raise ModelError(
            "this margins variance needs a linearised design; with replicate weights "
            "use the conditional variance"
        )
    return linearized_meat(a[:, None] * (D - est[None, :]), design)


def predict_at(
    predict: Predict,
    params: np.ndarray,
    cov: np.ndarray,
    frame: ModelFrame,
    at: Mapping[str, Sequence[Any]],
    weights: np.ndarray | None = None,
    *,
    level: float = 0.95,
    df: float | None = None,
) -> pd.DataFrame:
    """Average predictions at chosen values, with delta-method standard errors.

    Parameters
    ----------
    predict, params, cov, frame, weights
        As for :func:`average_marginal_effects`.
    at
        Variable → values; every combination is a row of the result. Each row
        sets those variables to the values for every observation and averages
        the predicted probabilities over the estimation sample (other variables
        as observed). Categorical values are levels, boolean ones True/False.
    level, df
        Confidence level; t reference with ``df`` degrees of freedom (``None``:
        normal).

    Returns
    -------
    pandas.DataFrame
        One column per ``at`` variable, then ``y_level`` (``""`` for binary
        models), ``estimate``, ``std_error``, ``conf_low``, ``conf_high``.

    Notes
    -----
    The conditional variance of :func:`predictive_margins`.
    """
    pm = predictive_margins(predict, params, cov, frame, at, weights)
    q = interval_multiplier(level, df)
    table = pm.grid.copy()
    se = pm.std_errors
    table["estimate"] = pm.estimates
    table["std_error"] = se
    table["conf_low"] = pm.estimates - q * se
    table["conf_high"] = pm.estimates + q * se
    return table


def predict_rows(
    predict: Predict, params: np.ndarray, cov: np.ndarray, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Predictions of each row of ``X`` and their delta-method standard errors.

    Returns ``(estimate, std_error)``, both n × J. The gradient of every row's
    prediction is taken by central differences over the parameters, all rows
    at once (exact for linear predictors; for single-index models it agrees
    with R ``predict(..., se.fit = TRUE)``'s analytic f(η)·√(x V x') to about
    1e-10).
    """
    p, V = _check_inputs(params, cov)
    P = _row_prediction(predict, p, X)
    n, J = P.shape

    def flat(q: np.ndarray) -> np.ndarray:
        return _row_prediction(predict, q, X).ravel()

    jac = _numeric_jacobian(flat, p, 1e-6, _param_scales(p, X))  # (n·J) × k
    var = np.einsum("ik,kl,il->i", jac, V, jac).reshape(n, J)
    return P, np.sqrt(np.clip(var, 0.0, None))


def odds_ratios(block: EffectBlock) -> tuple[np.ndarray, np.ndarray]:
    """Odds ratios exp(b) and their delta-method standard errors exp(b)·se(b).

    Notes
    -----
    d exp(b)/db = exp(b), so se(exp(b)) ≈ exp(b)·se(b) (delta method; this is
    what Stata's ``logit, or`` reports). Confidence intervals are better taken
    as exp of the coefficient's interval.
    """
    est = np.exp(np.asarray(block.estimates, dtype=np.float64))
    return est, est * block.std_errors
