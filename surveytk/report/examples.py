"""Small synthetic results for documentation, demos and tests of the report layer.

The numbers are made up (a seeded random covariance), not estimates from any
data; they exercise every shape a table or plot must handle: a binary logit
with a categorical term and AMEs, an ordered logit with thresholds and
per-level AMEs, a multinomial logit with per-level coefficients, and stored
predictions for ``surveytk plot --kind predicted``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from surveytk.models.results import DesignSummary, EffectBlock, FitResult

BINARY_TERMS = (
    "Intercept",
    "age",
    "employed[T.True]",
    "C(origin_area)[T.frontline]",
    "C(origin_area)[T.kyiv]",
    "distance_km",
)
ORDINAL_LEVELS = ("stay", "undecided", "return_someday", "return_soon")
NOMINAL_LEVELS = ("return", "stay", "move_on", "undecided")


def example_cov(se: Sequence[float] | np.ndarray, seed: int) -> np.ndarray:
    """A covariance with standard errors ``se`` and moderate correlations."""
    rng = np.random.default_rng(seed)
    k = len(se)
    a = rng.normal(size=(k, k + 3))
    c = a @ a.T
    d = np.sqrt(np.diag(c))
    corr = c / np.outer(d, d)
    s = np.asarray(se, dtype=float)
    return np.asarray(corr * np.outer(s, s))


def _block(
    terms: Sequence[str],
    effects: Sequence[str],
    y_levels: Sequence[str],
    estimates: Sequence[float] | np.ndarray,
    se: Sequence[float] | np.ndarray,
    seed: int,
) -> EffectBlock:
    return EffectBlock(
        terms=tuple(terms),
        effects=tuple(effects),
        y_levels=tuple(y_levels),
        estimates=np.asarray(estimates, dtype=float),
        cov=example_cov(se, seed),
    )


def _design(n: int, sw: float, n_psu: int, n_strata: int) -> DesignSummary:
    return DesignSummary(
        n_obs=n,
        sum_weights=sw,
        n_psu=n_psu,
        n_strata=n_strata,
        df_design=float(n_psu - n_strata),
        strata="stratum",
        psu="psu",
        weights="weight",
    )


def predictions_records() -> list[dict[str, Any]]:
    """Predicted P(intends_return) by age and employment (the documented layout)."""
    records: list[dict[str, Any]] = []
    for group, shift in (("False", 0.0), ("True", -0.35)):
        for x in range(20, 75, 5):
            eta = 0.9 - 0.025 * (x - 20) + shift
            p = float(1.0 / (1.0 + np.exp(-eta)))
            half = 0.04 + 0.0006 * abs(x - 45)
            records.append(
                {
                    "x_var": "age",
                    "x": float(x),
                    "group_var": "employed",
                    "group": group,
                    "y_level": "",
                    "estimate": round(p, 6),
                    "conf_low": round(max(p - half, 0.0), 6),
                    "conf_high": round(min(p + half, 1.0), 6),
                }
            )
    return records


def example_binary(label: str | None = "SOEP", seed: int = 1, scale: float = 1.0) -> FitResult:
    """Binary logit of ``intends_return`` with a categorical term and AMEs."""
    est = np.array([0.812, -0.0213, -0.348, 0.274, -0.115, -0.041]) * scale
    se = [0.214, 0.0051, 0.097, 0.121, 0.133, 0.019]
    ame_terms = BINARY_TERMS[1:]
    ame_est = est[1:] * 0.22
    ame_se = np.asarray(se[1:]) * 0.22
    return FitResult(
        model="logit",
        formula="intends_return ~ age + employed + C(origin_area) + distance_km",
        outcome="intends_return",
        coef=_block(BINARY_TERMS, ["coefficient"] * 6, [""] * 6, est, se, seed),
        ame=_block(ame_terms, ["ame"] * 5, [""] * 5, ame_est, ame_se, seed + 100),
        design=_design(2841, 2841.0, 100, 12),
        df_resid=88.0 + 1 - 6,
        loglik=-1834.52,
        pseudo_r2=0.0412,
        label=label,
        extra={"predictions": predictions_records()},
    )


def example_ordinal(label: str | None = "UNHCR R6", seed: int = 2) -> FitResult:
    """Ordered logit of ``return_intention`` with thresholds and per-level AMEs."""
    terms = ["age", "employed[T.True]", "C(origin_area)[T.frontline]"]
    thresholds = ["stay|undecided", "undecided|return_someday", "return_someday|return_soon"]
    est = [-0.0187, -0.291, 0.203, -1.104, 0.087, 2.315]
    se = [0.0047, 0.088, 0.105, 0.231, 0.226, 0.244]
    ame_terms = [t for t in terms for _ in ORDINAL_LEVELS]
    ame_levels = [lv for _ in terms for lv in ORDINAL_LEVELS]
    signs = [1.0, 0.3, -0.6, -0.7]
    ame_est = [-est[i] * 0.2 * s for i in range(3) for s in signs]
    ame_se = [se[i] * 0.2 * abs(s) + 1e-4 for i in range(3) for s in signs]
    return FitResult(
        model="ologit",
        formula="return_intention ~ age + employed + C(origin_area)",
        outcome="return_intention",
        coef=_block(
            terms + thresholds,
            ["coefficient"] * 3 + ["threshold"] * 3,
            [""] * 6,
            est,
            se,
            seed,
        ),
        ame=_block(ame_terms, ["ame"] * 12, ame_levels, ame_est, ame_se, seed + 100),
        design=_design(4800, 5123.4, 240, 2),
        df_resid=238.0 - 6 + 1,
        loglik=-5921.07,
        pseudo_r2=0.0187,
        y_levels=ORDINAL_LEVELS,
        label=label,
    )


def example_multinomial(label: str | None = "Finland", seed: int = 3) -> FitResult:
    """Multinomial logit of ``intention_category`` (base ``stay``) with AMEs."""
    levels = ["return", "move_on", "undecided"]
    terms = ["Intercept", "age", "employed[T.True]"]
    est = [0.41, -0.012, -0.52, -1.9, 0.004, 0.11, -0.2, -0.006, -0.31]
    se = [0.3, 0.006, 0.17, 0.5, 0.011, 0.29, 0.34, 0.007, 0.19]
    ame_terms = [t for t in terms[1:] for _ in NOMINAL_LEVELS]
    ame_levels = [lv for _ in terms[1:] for lv in NOMINAL_LEVELS]
    ame_est = [-0.0021, 0.0018, 0.0002, 0.0001, -0.091, 0.074, 0.006, 0.011]
    ame_se = [0.0011, 0.0010, 0.0004, 0.0008, 0.031, 0.029, 0.012, 0.022]
    return FitResult(
        model="mlogit",
        formula="intention_category ~ age + employed",
        outcome="intention_category",
        coef=_block(
            [t for _ in levels for t in terms],
            ["coefficient"] * 9,
            [lv for lv in levels for _ in terms],
            est,
            se,
            seed,
        ),
        ame=_block(ame_terms, ["ame"] * 8, ame_levels, ame_est, ame_se, seed + 100),
        design=DesignSummary(n_obs=1180, sum_weights=1180.0, variance="linearized"),
        df_resid=None,
        loglik=-1401.9,
        pseudo_r2=0.0233,
        y_levels=NOMINAL_LEVELS,
        base_level="stay",
        label=label,
    )


EXAMPLE_SCHEMA: dict[str, Any] = {
    "variables": {
        "age": {"type": "integer", "label": "Age (years)"},
        "employed": {"type": "boolean", "label": "Employed"},
        "distance_km": {"type": "float", "label": "Distance to Ukraine (km)"},
        "origin_area": {
            "type": "category",
            "label": "Origin area",
            "levels": [
                {"value": "occupied", "label": "Occupied"},
                {"value": "frontline", "label": "Front line"},
                {"value": "kyiv", "label": "Kyiv"},
            ],
        },
        "intends_return": {"type": "boolean", "label": "Intends to return"},
        "return_intention": {
            "type": "ordered",
            "label": "Return intention",
            "levels": [
                {"value": "stay", "label": "Stay"},
                {"value": "undecided", "label": "Undecided"},
                {"value": "return_someday", "label": "Return some day"},
                {"value": "return_soon", "label": "Return within 12 months"},
            ],
        },
        "intention_category": {
            "type": "category",
            "label": "Intention",
            "levels": [
                {"value": "return", "label": "Return"},
                {"value": "stay", "label": "Stay"},
                {"value": "move_on", "label": "Move on"},
                {"value": "undecided", "label": "Undecided"},
            ],
        },
    }
}
