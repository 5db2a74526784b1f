"""Average predictions by a chosen variable (and group) for ``plot --kind predicted``.

The records are :func:`surveytk.models.effects.prediction_records` (``x_var, x,
group_var, group, y_level, estimate, std_error, conf_low, conf_high``), the same as
``fit --predict`` writes (docs/reference/outputs.md). The predictions are the predictive margins of
:func:`surveytk.models.margins.predict_at` over the model's estimation sample
(:func:`surveytk.models.effects.binary_predictions`), with delta-method bands
from the design covariance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from surveytk.analysis.spec import ModelSpec
from surveytk.errors import SpecError
from surveytk.language.expr import parse_condition
from surveytk.models.effects import binary_predictions, prediction_records
from surveytk.models.registry import BINARY_MODELS
from surveytk.models.results import FitResult


def _domain_weights(m: ModelSpec, data: pd.DataFrame) -> np.ndarray:
    """The model's weights on every row of ``data``, zero outside its ``subpop``."""
    w = (np.ones(len(data)) if m.design.weights is None or m.design.weights not in data.columns
         else data[m.design.weights].to_numpy(dtype=float, na_value=0.0))
    if m.subpop:
        w = w * parse_condition(m.subpop).evaluate(data)
    return w


def spec_predictions(result: FitResult, m: ModelSpec, data: pd.DataFrame
                     ) -> list[dict[str, Any]]:
    """Predicted P(outcome) at ``predict.values`` of ``predict.x``, by ``predict.by`` levels,
    as prediction records (with their delta-method standard errors)."""
    p = m.predict
    if result.model not in BINARY_MODELS or p is None:  # the spec's checks make both true
        raise SpecError(f"model {m.name!r}: predictions are available for binary models "
                        f"({', '.join(BINARY_MODELS)})")
    at: dict[str, Sequence[Any]] = {p.x: p.values}
    if p.by is not None:
        at[p.by] = p.levels
    table = binary_predictions(result, data, at, _domain_weights(m, data))
    return prediction_records(table, p.x, p.by or "")
