"""Average predictions by a chosen variable (and group) for ``plot --kind predicted``.

The records follow the layout documented in :mod:`surveytk.report.plots`
(``x_var, x, group_var, group, y_level, estimate, conf_low, conf_high``). The
predictions are the predictive margins of :func:`surveytk.models.margins.predict_at`
over the model's estimation sample, with delta-method bands from the design
covariance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from surveytk.analysis.spec import ModelSpec
from surveytk.errors import SpecError
from surveytk.models.results import FitResult

BINARY = ("logit", "probit", "lpm")


def _values(spec: dict[str, Any], model: str) -> tuple[str, list[Any], str | None, list[Any]]:
    x = spec.get("x")
    values = spec.get("values")
    if not isinstance(x, str) or not isinstance(values, list) or not values:
        raise SpecError(f"model {model!r}: predict needs `x: VAR` and `values: [...]`")
    by = spec.get("by")
    levels = spec.get("levels", [])
    if by is not None and (not isinstance(by, str) or not isinstance(levels, list) or not levels):
        raise SpecError(f"model {model!r}: predict `by: VAR` needs `levels: [...]`")
    return x, values, by, levels


def _estimation_weights(result: FitResult, m: ModelSpec, data: pd.DataFrame,
                        row_mask: np.ndarray) -> np.ndarray:
    from surveytk.expr import parse_condition

    n = int(row_mask.sum())
    w = (np.ones(n) if m.design.weights is None or m.design.weights not in data.columns
         else data[m.design.weights].to_numpy(dtype=float, na_value=0.0)[row_mask])
    if m.subpop:
        w = w * parse_condition(m.subpop).evaluate(data)[row_mask]
    return w


def prediction_records(result: FitResult, m: ModelSpec, data: pd.DataFrame
                       ) -> list[dict[str, Any]]:
    """Predicted P(outcome) at ``predict.values`` of ``predict.x``, by ``predict.by`` levels."""
    from surveytk.models.formula import build_model_frame
    from surveytk.models.margins import binary_predictor, predict_at

    if result.model not in BINARY or m.predict is None:
        raise SpecError(f"model {m.name!r}: predictions are available for binary models "
                        f"({', '.join(BINARY)})")
    x, values, by, levels = _values(dict(m.predict), m.name)
    frame = build_model_frame(m.formula, data, outcome_kind="binary")
    weights = _estimation_weights(result, m, data, frame.row_mask)
    at: dict[str, Sequence[Any]] = {x: values}
    if by is not None:
        at[by] = levels
    table = predict_at(binary_predictor(result.model), result.coef.estimates, result.coef.cov,
                       frame, at, weights, df=result.df_resid)
    records = []
    for row in table.to_dict(orient="records"):
        records.append({
            "x_var": x, "x": row[x],
            "group_var": by or "", "group": str(row[by]) if by else "",
            "y_level": str(row.get("y_level", "")),
            "estimate": float(row["estimate"]),
            "conf_low": float(row["conf_low"]), "conf_high": float(row["conf_high"]),
        })
    return records
