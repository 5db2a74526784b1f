"""Example results for documentation, demos and tests of the report layer: real fits.

:func:`example_data` draws a small stratified cluster sample from a known
data-generating process (seeded; every number reproducible); the ``example_*``
functions fit surveytk's own estimators to it with design-based variance. They
cover every shape a table or plot must handle: a binary logit with a
categorical term, AMEs and stored predictions; an ordered logit with
thresholds and per-level AMEs; a multinomial logit with per-level
coefficients and AMEs. Nothing here is typed in by hand.

Data-generating process (per respondent, ``scale`` multiplies every slope)::

    age ~ U{18..75}, employed ~ Bernoulli(0.45), origin_area ∈ {occupied, frontline,
    kyiv} with probabilities (0.3, 0.45, 0.25), distance_km ~ 600 + 900·U(0, 1)
    η = 0.8 + s·(−0.02·(age − 45) − 0.35·employed + 0.3·frontline − 0.1·kyiv
             − 0.0004·(distance_km − 1000)) + u_psu,  u_psu ~ N(0, 0.3²)
    intends_return ~ Bernoulli(logistic(η))
    return_intention: latent η − 0.8 + logistic error cut at (−1.1, 0.1, 2.3)
    intention_category: multinomial logit, base stay, return η_r = 0.4 − 0.012·age_c
        − 0.5·employed, move_on −1.9, undecided −0.2 − 0.3·employed

Strata are 12 regions with 100 PSUs in all; weights vary by stratum (±40 %). The
multinomial example uses the weights only (a design without strata and clusters).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from surveytk.models.api import fit
from surveytk.models.results import FitResult

ORDINAL_LEVELS = ("stay", "undecided", "return_someday", "return_soon")
NOMINAL_LEVELS = ("return", "stay", "move_on", "undecided")
BINARY_FORMULA = "intends_return ~ age + employed + C(origin_area) + distance_km"
ORDINAL_FORMULA = "return_intention ~ age + employed + C(origin_area)"
NOMINAL_FORMULA = "intention_category ~ age + employed"
PREDICT_AGES = tuple(float(a) for a in range(20, 75, 5))


@lru_cache(maxsize=8)
def _example_data(seed: int, scale: float, n_psu: int, per_psu: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_psu * per_psu
    psu = np.repeat(np.arange(1, n_psu + 1), per_psu)
    stratum = (psu - 1) % 12 + 1
    weight = (1.0 + 0.4 * np.sin(stratum)) * rng.uniform(0.8, 1.2, n)
    age = rng.integers(18, 76, n)
    employed = rng.random(n) < 0.45
    area = rng.choice(["occupied", "frontline", "kyiv"], n, p=[0.3, 0.45, 0.25])
    distance = 600 + 900 * rng.random(n)
    u = rng.normal(0, 0.3, n_psu)[psu - 1]
    age_c = (age - 45).astype(float)
    eta = 0.8 + u + scale * (
        -0.02 * age_c - 0.35 * employed + 0.3 * (area == "frontline")
        - 0.1 * (area == "kyiv") - 0.0004 * (distance - 1000)
    )
    intends = rng.random(n) < 1 / (1 + np.exp(-eta))
    latent = eta - 0.8 + rng.logistic(size=n)
    ordinal = np.digitize(latent, [-1.1, 0.1, 2.3])
    utilities = np.column_stack([
        0.4 - 0.012 * age_c - 0.5 * employed,  # return
        np.zeros(n),  # stay (base)
        np.full(n, -1.9),  # move_on
        -0.2 - 0.3 * employed,  # undecided
    ]) + rng.gumbel(size=(n, 4))
    category = np.asarray(NOMINAL_LEVELS)[utilities.argmax(axis=1)]
    return pd.DataFrame({
        "stratum": stratum,
        "psu": psu,
        "weight": weight,
        "age": age,
        "employed": employed,
        "origin_area": pd.Categorical(area, categories=["occupied", "frontline", "kyiv"]),
        "distance_km": distance,
        "intends_return": intends,
        "return_intention": pd.Categorical(
            np.asarray(ORDINAL_LEVELS)[ordinal], categories=list(ORDINAL_LEVELS), ordered=True
        ),
        "intention_category": pd.Categorical(category, categories=list(NOMINAL_LEVELS)),
    })


def example_data(
    seed: int = 1, scale: float = 1.0, *, n_psu: int = 100, per_psu: int = 28
) -> pd.DataFrame:
    """The synthetic sample (a copy; see the module docstring for the process)."""
    return _example_data(seed, scale, n_psu, per_psu).copy()


def _fit(data: pd.DataFrame, *, design: bool = True, **options: Any) -> FitResult:
    """Fit with weights, and strata and PSUs unless ``design`` is false (weights only)."""
    result = fit(data, weights="weight", strata="stratum" if design else None,
                 psu="psu" if design else None, ame=True, **options)
    assert isinstance(result, FitResult)
    return result


def example_predictions(result: FitResult, data: pd.DataFrame) -> list[dict[str, Any]]:
    """Average predicted P(intends_return) by age and employment (the documented layout)."""
    from surveytk.models.effects import binary_predictions, prediction_records  # lazy: scipy

    table = binary_predictions(
        result, data, {"age": PREDICT_AGES, "employed": (False, True)},
        data["weight"].to_numpy(dtype=float),
    )
    return prediction_records(table, "age", "employed", std_error=False, digits=6)


def example_binary(label: str | None = "SOEP", seed: int = 1, scale: float = 1.0) -> FitResult:
    """Design-based logit of ``intends_return`` with a categorical term, AMEs, predictions."""
    from dataclasses import replace

    data = example_data(seed, scale)
    result = _fit(data, model="logit", formula=BINARY_FORMULA, label=label)
    extra = {**dict(result.extra), "predictions": example_predictions(result, data)}
    return replace(result, extra=extra)


def example_ordinal(label: str | None = "UNHCR R6", seed: int = 2) -> FitResult:
    """Design-based ordered logit of ``return_intention``: thresholds, per-level AMEs."""
    return _fit(example_data(seed), model="ologit", formula=ORDINAL_FORMULA, label=label)


def example_multinomial(label: str | None = "Finland", seed: int = 3) -> FitResult:
    """Multinomial logit of ``intention_category`` (base ``stay``) with AMEs, with the
    weights as the only design information (every respondent its own PSU)."""
    return _fit(
        example_data(seed), design=False, model="mlogit", formula=NOMINAL_FORMULA, base="stay",
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
