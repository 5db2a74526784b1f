"""Linear panel models with entity effects (models ``panel-fe``, ``panel-re``).

``fit(data, options) -> FitResult`` via :mod:`linearmodels`: ``PanelOLS`` with
entity effects (within estimator) or ``RandomEffects`` (Swamy–Arora GLS), with
weights and standard errors clustered by entity, or by PSU when the design
names one. The small-sample factor is chosen so that the standard errors equal
R ``plm`` + ``vcovHC(type = "HC1", cluster = "group")``; see ``docs/models.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveytk.disclosure import count_text
from surveytk.errors import ModelError
from surveytk.models.covariance import ReplicateCovariance
from surveytk.models.effects import model_effects
from surveytk.models.formula import INTERCEPT, ModelFrame, build_model_frame
from surveytk.models.options import FitOptions
from surveytk.models.results import EffectBlock, FitResult
from surveytk.survey.design import SurveyDesign
from surveytk.survey.summary import DesignSummary


def _check_options(options: FitOptions) -> tuple[str, str]:
    if not options.entity or not options.time:
        raise ModelError(
            f"{options.model}: panel models need --entity and --time (the person id and the "
            "wave column)",
            variable="entity" if not options.entity else "time",
        )
    if options.ame_vce == "unconditional":
        raise ModelError(
            f"{options.model}: --ame-vce unconditional is not available for panel models "
            "(their variance is cluster-robust, not linearised over a design)"
        )
    return options.entity, options.time


def _check_linearised_design(design: SurveyDesign, options: FitOptions) -> None:
    """The clustered variance knows weights and one cluster column, nothing else.

    Strata, an fpc, later stages and calibration change a design-based variance;
    the plm-style cluster sandwich cannot show them, so they need replicate
    weights (made from the design with ``--reptype jkn`` etc., or shipped), whose
    refits carry them.
    """
    if design.is_replicate:
        return
    used = [
        name
        for name, present in (
            ("--strata", design.has_strata),
            ("--fpc", design.has_fpc),
            ("a second --psu (multistage)", len(design.all_stages) > 1),
            ("--calibrate", design.calibration is not None),
            ("--nonresponse", design.nonresponse is not None),
        )
        if present
    ]
    if used:
        raise ModelError(
            f"{options.model}: the clustered standard errors of panel models cannot use "
            f"{', '.join(used)}; add replicate weights that carry the design (e.g. "
            "--reptype jkn, or --replicates N) or leave those options out"
        )


def _codes(s: pd.Series) -> np.ndarray:
    return np.asarray(pd.factorize(s, sort=True)[0], dtype=np.int64)


def _panel_index(sub: pd.DataFrame, entity: str, time: str) -> pd.MultiIndex:
    ent = pd.Index(_codes(sub[entity]), name=entity)
    tim = pd.Index(_codes(sub[time]), name=time)
    index = pd.MultiIndex.from_arrays([ent, tim])
    if index.has_duplicates:
        raise ModelError(
            f"panel: {count_text(int(index.duplicated().sum()))}"
            f" rows repeat an ({entity}, {time}) pair; "
            "a panel needs one row per entity and period — deduplicate or pick another --time",
            variable=time,
        )
    return index


def cluster_adjustment(n_obs: int, k: int) -> float:
    """The factor ``n / (n - k)`` that turns the plain cluster sandwich into plm's HC1.

    Notes
    -----
    R ``plm::vcovHC(type = "HC1", cluster = "group")`` scales the cluster
    sandwich ``(X'X)^-1 (sum_g X_g'u_g u_g'X_g) (X'X)^-1`` (on demeaned data for
    the within model) by ``n / (n - k)`` with ``k`` the number of estimated
    coefficients — the entity effects are not counted — and applies no
    ``G / (G - 1)``. linearmodels' ``debiased=True`` is exactly this factor once
    the effects, nested in the entity clusters, are not counted in the degrees
    of freedom (its automatic rule). ``group_debias=True`` would add
    ``G / (G - 1) · (n - 1) / n``, giving Stata's and plm's ``"sss"`` instead.
    """
    return n_obs / (n_obs - k)


def _fit_linearmodels(
    model: str,
    y: pd.Series,
    X: pd.DataFrame,
    weights: pd.Series,
    clusters: pd.Series | None,
) -> Any:
    from linearmodels import PanelOLS, RandomEffects

    cov: dict[str, Any] = {"cov_type": "clustered", "debiased": True}
    if clusters is None:
        cov["cluster_entity"] = True
    else:
        cov["clusters"] = clusters.to_frame()
    if model == "panel-fe":
        within = PanelOLS(y, X, entity_effects=True, weights=weights, drop_absorbed=False)
        return within.fit(**cov)
    random = RandomEffects(y, X, weights=weights)
    return random.fit(small_sample=True, **cov)


def fit(data: pd.DataFrame, options: FitOptions) -> FitResult:
    """Fit a fixed-effects (``panel-fe``) or random-effects (``panel-re``) panel model.

    Parameters
    ----------
    data
        Long analysis table, one row per entity (``options.entity``) and
        period (``options.time``).
    options
        Formula with a numeric outcome; ``weights`` (probability weights,
        used as regression weights), ``psu`` (cluster variable; default: the
        entity), ``subpop``.

    Returns
    -------
    FitResult
        Slopes (the within model has no intercept) with cluster-robust
        covariance; ``df_resid`` = number of clusters − 1.

    Notes
    -----
    Within estimator: OLS of entity-demeaned ``y`` on entity-demeaned ``X``;
    random effects: quasi-demeaning with ``theta_i = 1 - sqrt(s2_e / (T_i s2_u
    + s2_e))`` and Swamy–Arora variance components with the small-sample
    denominators of R ``plm`` (``random.method = "swar"``; linearmodels
    ``small_sample=True``). Covariance: cluster sandwich times ``n/(n − k)``
    (:func:`cluster_adjustment`), or with replicate weights the replicate
    variance of the model refitted on every replicate (rows with zero replicate
    weight left out, as a refit on that replicate's sample). Wooldridge (2010),
    *Econometric Analysis of Cross Section and Panel Data*, ch. 10; Croissant & Millo
    (2008), JSS 27(2).

    Raises
    ------
    ModelError
        Missing ``entity``/``time``, duplicated (entity, time) pairs, fewer than
        two clusters, a term constant within every entity (fixed effects);
        strata, fpc, later stages or calibration without replicate weights.
    """
    entity, time = _check_options(options)
    design = SurveyDesign.from_options(data, options)
    _check_linearised_design(design, options)
    in_domain = design.domain
    sub_all = data.loc[in_domain]
    frame: ModelFrame = build_model_frame(
        options.formula, sub_all, outcome_kind="continuous", also_required=(entity, time)
    )
    sub = sub_all.loc[frame.row_mask]
    index = _panel_index(sub, entity, time)
    keep = [
        j for j, t in enumerate(frame.terms) if not (options.model == "panel-fe" and t == INTERCEPT)
    ]
    names = [frame.terms[j] for j in keep]
    X = pd.DataFrame(frame.X[:, keep], index=index, columns=names)
    y = pd.Series(frame.y, index=index, name=frame.formula.outcome)
    w = pd.Series(design.weights[in_domain][frame.row_mask], index=index, name="weight")
    clusters = None
    psu = design.names.psu
    if psu is not None:
        clusters = pd.Series(design.psu[in_domain][frame.row_mask], index=index, name=psu)
    n_clusters = int(
        index.get_level_values(0).nunique() if clusters is None else clusters.nunique()
    )
    if n_clusters < 2:
        raise ModelError(f"{options.model}: clustered standard errors need at least two clusters")
    if options.model == "panel-fe":
        _check_within_variation(X, entity)
    res = _fit_linearmodels(options.model, y, X, w, clusters)
    params = np.asarray(res.params.loc[names], dtype=float)
    cov = np.asarray(res.cov.loc[names, names], dtype=float)
    replicate_notes: list[str] = []
    if design.is_replicate:
        cov, replicate_notes = _replicate_cov(
            options.model, y, X, names, params, design, np.asarray(frame.row_mask, dtype=bool)
        )
    dropped = {k: int(v) for k, v in frame.dropped.items() if k != "total"}
    if design.n_zero_weight:
        dropped["zero_weight"] = int(design.n_zero_weight)
    dropped["total"] = int(len(data) - len(sub))
    cluster_name = psu or entity
    df_resid = float(n_clusters - 1) if not design.is_replicate else design.df
    summary = DesignSummary(
        n_obs=len(sub),
        sum_weights=float(w.sum()),
        n_psu=n_clusters,
        df_design=df_resid,
        variance="cluster-robust" if not design.is_replicate else design.variance_name,
        weights=options.weights,
        psu=psu,
        subpop=options.subpop,
        cluster=cluster_name if not design.is_replicate else None,
        n_replicates=design.n_replicates or None,
        calibration=design.adjustments_text,
    )
    effects = _effects(options, frame, keep, params, cov, index, w, df_resid)
    kind = "within (entity fixed effects)" if options.model == "panel-fe" else "random effects"
    variance_note = (
        f"Standard errors clustered by {cluster_name}, scaled by n/(n-k) as R plm "
        'vcovHC(type="HC1", cluster="group")'
        if not design.is_replicate
        else f"Replicate-weight standard errors: the model refitted with each of the "
        f"{design.n_replicates} replicate weights ({design.reptype})"
    )
    notes = (
        f"Linear panel model, {kind}; {index.get_level_values(0).nunique()} entities "
        f"({entity}), periods from {time}",
        variance_note,
        *replicate_notes,
        *effects.notes,
    )
    return FitResult(
        model=options.model,
        formula=options.formula,
        outcome=frame.formula.outcome,
        coef=EffectBlock(
            terms=tuple(names),
            effects=("coefficient",) * len(names),
            y_levels=("",) * len(names),
            estimates=params,
            cov=cov,
        ),
        design=summary,
        df_resid=df_resid,
        pseudo_r2=None,
        loglik=None,
        dropped=dropped,
        notes=notes,
        label=options.label,
        ame=effects.ame,
        extra={"r2_within": _float(getattr(res, "rsquared_within", None)), **effects.extra()},
    )


@dataclass(frozen=True)
class LinearPredictor:
    """E(y | x) = x'β over the model-matrix ``columns`` (linear panel models).

    With ``centre`` (the within model) the prediction is ȳ_e + (x − x̄_e)'β per
    row: the entity's fitted effect α̂_e = ȳ_e − x̄_e'β̂ moves with β, so the
    gradient is Σ aᵢ (xᵢ − x̄_e(i)). ``ybar`` and ``xbar`` are the weighted
    entity means of each row's entity (``centre`` only).
    """

    columns: tuple[int, ...]
    ybar: np.ndarray | None = None
    xbar: np.ndarray | None = None

    def _design(self, X: np.ndarray) -> np.ndarray:
        Xc = X[:, list(self.columns)]
        return Xc if self.xbar is None else Xc - self.xbar

    def __call__(self, params: np.ndarray, X: np.ndarray) -> np.ndarray:
        pred = self._design(X) @ params
        if self.ybar is not None:
            pred = pred + self.ybar
        return pred[:, None]

    def avg_jacobian(self, params: np.ndarray, X: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Σᵢ aᵢ ∂ŷᵢ/∂β."""
        return (a @ self._design(X))[None, :]


def within_predictor(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, entity: np.ndarray, columns: Sequence[int]
) -> LinearPredictor:
    """A :class:`LinearPredictor` with weighted entity means (fixed-effects model)."""
    codes = np.unique(entity, return_inverse=True)[1]
    Xc = X[:, list(columns)]
    sw = np.bincount(codes, weights=w)
    ybar = np.bincount(codes, weights=w * y) / sw
    xbar = np.column_stack(
        [np.bincount(codes, weights=w * Xc[:, j]) / sw for j in range(Xc.shape[1])]
    )
    return LinearPredictor(tuple(columns), ybar[codes], xbar[codes])


def _effects(
    options: FitOptions,
    frame: ModelFrame,
    keep: list[int],
    params: np.ndarray,
    cov: np.ndarray,
    index: pd.MultiIndex,
    w: pd.Series,
    df: float,
) -> Any:
    """AMEs and predictions (:mod:`surveytk.models.effects`) of the linear panel model."""
    names = [frame.terms[j] for j in keep]
    coef = EffectBlock(tuple(names), ("coefficient",) * len(names), ("",) * len(names), params, cov)
    weights = w.to_numpy(dtype=np.float64)
    if options.model == "panel-fe":
        entity = np.asarray(index.get_level_values(0))
        predictor = within_predictor(frame.X, frame.y, weights, entity, keep)
    else:
        predictor = LinearPredictor(tuple(keep))
    return model_effects(
        options, frame, predictor, coef, weights, kf=None, design=None, df=df
    )


def _replicate_cov(
    model: str,
    y: pd.Series,
    X: pd.DataFrame,
    names: list[str],
    params: np.ndarray,
    design: SurveyDesign,
    row_mask: np.ndarray,
) -> tuple[np.ndarray, list[str]]:
    """Replicate variance: refit on every replicate's weights (R ``withReplicates``).

    ``row_mask`` selects the model's rows among the domain rows (complete cases).
    """
    def refit(w_domain: np.ndarray) -> np.ndarray:
        w_rows = np.asarray(w_domain)[row_mask]
        keep = w_rows > 0
        if keep.sum() <= len(names):
            raise ModelError("replicate has too few rows with positive weight")
        res = _fit_linearmodels(
            model,
            y[keep],
            X[keep],
            pd.Series(w_rows[keep], index=y.index[keep], name="weight"),
            None,
        )
        return np.asarray(res.params.loc[names], dtype=float)

    est = ReplicateCovariance()
    cov = est.cov(refit, params, design)
    return cov, list(est.notes)


def _float(x: Any) -> float | None:
    return None if x is None else float(x)


def _check_within_variation(X: pd.DataFrame, entity: str) -> None:
    """A term constant within every entity is absorbed by the fixed effects."""
    codes = X.index.get_level_values(0)
    grouped = X.groupby(codes)
    spread = (grouped.max() - grouped.min()).max()
    absorbed = [str(c) for c, v in spread.items() if not v > 0]
    if absorbed:
        raise ModelError(
            f"panel-fe: term(s) {', '.join(absorbed)} do not vary within any {entity}; the "
            "entity fixed effects absorb them — drop them or use panel-re",
            variable=absorbed[0],
        )
