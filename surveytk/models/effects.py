"""What a family computes after its fit: AMEs (``--ame``) and predictions (``--predict``).

Every family hands over its predictor, coefficients, model frame and weights;
:func:`model_effects` applies the options the same way for all of them:

- ``--ame`` with ``--discrete VAR`` (numeric 0/1 variables by discrete change
  0 → 1 rather than the derivative) and ``--ame-vce conditional|unconditional``;
  the choices are named in the result's notes;
- ``--predict "age=18:75:5, gender"``: average predictions at every
  combination of the values (other variables as observed), with intervals,
  stored as the prediction records ``surveytk plot --kind predicted`` reads
  (:func:`prediction_records`, the one builder of that layout; also for the
  analysis spec's ``predict:`` through :func:`binary_predictions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from surveytk.errors import ModelError
from surveytk.models.binary_links import binary_predictor
from surveytk.models.column_coding import level_text
from surveytk.models.formula import ModelFrame, build_model_frame
from surveytk.models.kernel import KernelFit
from surveytk.models.margins import (
    Predict,
    average_marginal_effects,
    predict_at,
    unconditional_of,
    zero_one_variables,
)
from surveytk.models.options import FitOptions
from surveytk.models.postfit import FitContext, record
from surveytk.models.results import EffectBlock, FitResult

#: at most this many values in one ``--predict`` variable (a typo like 0:1e6 stops here)
MAX_PREDICT_VALUES = 500


@dataclass(frozen=True)
class Effects:
    """AMEs, prediction records and notes for the result."""

    ame: EffectBlock | None = None
    predictions: list[dict[str, Any]] | None = None
    notes: list[str] = field(default_factory=list)

    def extra(self) -> dict[str, Any]:
        """Entries for ``FitResult.extra``."""
        return {"predictions": self.predictions} if self.predictions else {}


def check_effect_options(options: FitOptions) -> None:
    """``--discrete`` and ``--ame-vce unconditional`` only mean something with ``--ame``."""
    if not options.ame and (options.discrete or options.ame_vce != "conditional"):
        given = "--discrete" if options.discrete else "--ame-vce"
        raise ModelError(f"{given} applies to average marginal effects; add --ame")


def model_effects(
    options: FitOptions,
    frame: ModelFrame,
    predict: Predict,
    coef: EffectBlock,
    weights: np.ndarray,
    *,
    kf: KernelFit | None,
    design: Any,
    df: float | None,
) -> Effects:
    """AMEs and predictions the options ask for (none: an empty :class:`Effects`).

    ``kf`` (scores and Hessian) and ``design`` serve ``--ame-vce unconditional``;
    ``df`` is the t reference of the prediction intervals.
    """
    record(FitContext(options, frame, predict, coef, weights, kf, design, df))
    check_effect_options(options)
    ame = None
    notes: list[str] = []
    if options.ame:
        unc = None
        if options.ame_vce == "unconditional":
            unc = unconditional_of(kf, design, frame.n_obs)
            if unc is None:
                raise ModelError(
                    f"{options.model}: --ame-vce unconditional is not available for this "
                    "model; use the conditional AME variance"
                )
        ame = average_marginal_effects(
            predict,
            coef.estimates,
            coef.cov,
            frame,
            weights,
            discrete=options.discrete,
            unconditional=unc,
        )
        notes.extend(ame_notes(frame, options))
    records = None
    if options.predict:
        records = []
        for spec in options.predict:
            records.extend(predict_spec(spec, frame, predict, coef, weights, df))
    return Effects(ame, records, notes)


def ame_notes(frame: ModelFrame, options: FitOptions) -> list[str]:
    """How the AMEs were computed: 0/1 variables' choice and the variance."""
    notes = []
    zero_one = zero_one_variables(frame)
    by_change = [v for v in zero_one if v in options.discrete]
    by_slope = [v for v in zero_one if v not in options.discrete]
    if by_slope:
        notes.append(
            "AMEs of numeric 0/1 variable(s) " + ", ".join(by_slope) + " are derivatives "
            "dy/dx (Stata dydx of a continuous variable); --discrete VAR gives the change 0 → 1"
        )
    if by_change:
        notes.append(
            "AMEs of " + ", ".join(by_change) + " are discrete changes from 0 to 1 (--discrete)"
        )
    if options.ame_vce == "unconditional":
        notes.append(
            "AME variance unconditional (Stata margins, vce(unconditional)): covariates "
            "treated as sampled, linearised over the design"
        )
    else:
        notes.append("AME variance by the delta method, conditional on the covariates")
    return notes


# ---- --predict ---------------------------------------------------------------------------


def parse_predict(spec: str) -> list[tuple[str, list[str] | None]]:
    """``"age=18:75:5, gender"`` → ``[("age", ["18:75:5"]), ("gender", None)]``.

    Values after ``=`` are a range ``from:to:step`` (or ``from:to``, step 1) or
    a list separated by spaces or ``|``; a variable alone means all its levels
    (categorical, boolean, 0/1).
    """
    items = [part.strip() for part in spec.split(",")]
    if not spec.strip() or any(not part for part in items):
        raise ModelError(
            f"--predict {spec!r}: expecting VAR[=VALUES] separated by commas, "
            'e.g. "age=18:75:5, gender"'
        )
    out: list[tuple[str, list[str] | None]] = []
    for part in items:
        name, eq, values = part.partition("=")
        name = name.strip()
        if not name:
            raise ModelError(f"--predict {spec!r}: {part!r} names no variable")
        vals = values.replace("|", " ").split() if eq else None
        if eq and not vals:
            raise ModelError(f"--predict {spec!r}: no values after {name}=")
        out.append((name, vals))
    if len(out) > 2 or len({n for n, _ in out}) != len(out):
        raise ModelError(
            f"--predict {spec!r}: give one or two distinct variables (x axis, then lines); "
            "repeat --predict for more"
        )
    return out


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ModelError(
            f"--predict: {text!r} is not a number (variable {name!r})", variable=name, value=text
        ) from None


def _range(text: str, name: str) -> list[float]:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ModelError(f"--predict {name}={text}: a range is FROM:TO or FROM:TO:STEP")
    lo, hi = _number(parts[0], name), _number(parts[1], name)
    step = _number(parts[2], name) if len(parts) == 3 else 1.0
    if step <= 0 or hi < lo:
        raise ModelError(f"--predict {name}={text}: need FROM <= TO and STEP > 0")
    n = int(np.floor((hi - lo) / step + 1e-9)) + 1
    if n > MAX_PREDICT_VALUES:
        raise ModelError(f"--predict {name}={text}: {n} values; at most {MAX_PREDICT_VALUES}")
    return [float(np.round(lo + i * step, 12)) for i in range(n)]


def predict_values(frame: ModelFrame, name: str, given: list[str] | None) -> list[Any]:
    """The values of one ``--predict`` variable, as :func:`predict_at` takes them."""
    info = frame.variables.get(name)
    if info is None:
        raise ModelError(
            f"--predict: {name!r} is not a variable of formula {frame.formula.text!r}; "
            "variables: " + ", ".join(frame.variables),
            variable=name,
        )
    if info.kind == "categorical":
        return list(info.levels) if given is None else list(given)
    if given is None:
        if info.kind == "boolean" or name in zero_one_variables(frame):
            return [0.0, 1.0]
        raise ModelError(
            f"--predict: give values for the numeric variable {name!r}, e.g. {name}=18:75:5 "
            f"or {name}=20|40|60",
            variable=name,
        )
    values: list[Any] = []
    for text in given:
        values.extend(_range(text, name) if ":" in text else [_number(text, name)])
    return values


def predict_spec(
    spec: str,
    frame: ModelFrame,
    predict: Predict,
    coef: EffectBlock,
    weights: np.ndarray,
    df: float | None,
) -> list[dict[str, Any]]:
    """Average predictions for one ``--predict`` spec, as :func:`prediction_records`."""
    parsed = parse_predict(spec)
    at = {name: predict_values(frame, name, vals) for name, vals in parsed}
    table = predict_at(predict, coef.estimates, coef.cov, frame, at, weights, df=df)
    return prediction_records(table, parsed[0][0], parsed[1][0] if len(parsed) > 1 else "")


def binary_predictions(
    result: FitResult, data: pd.DataFrame, at: Mapping[str, Sequence[Any]], weights: np.ndarray
) -> pd.DataFrame:
    """:func:`predict_at` of a binary fit (logit, probit, lpm) read back over its data.

    The model frame is rebuilt from ``result.formula`` on ``data``; ``weights`` are
    those of all rows of ``data`` (zero outside the domain).
    """
    frame = build_model_frame(result.formula, data, outcome_kind="binary")
    return predict_at(
        binary_predictor(result.model), result.coef.estimates, result.coef.cov, frame, at,
        weights, df=result.df_resid,
    )


def prediction_records(
    table: pd.DataFrame,
    x_var: str,
    group_var: str = "",
    *,
    std_error: bool = True,
    digits: int | None = None,
) -> list[dict[str, Any]]:
    """Rows of a :func:`predict_at` table as the prediction records of ``extra["predictions"]``.

    The layout ``surveytk plot --kind predicted`` reads (docs/reference/outputs.md):
    ``x_var``, ``x`` (a number, or the level as text), ``group_var``, ``group`` (level
    text, ``""`` without ``group_var``), ``y_level``, ``estimate``, ``std_error``
    (unless ``std_error`` is false), ``conf_low``, ``conf_high``; the numbers rounded
    to ``digits`` decimals when given.
    """

    def number(value: Any) -> float:
        return float(value) if digits is None else round(float(value), digits)

    records = []
    for row in table.to_dict(orient="records"):
        x = row[x_var]
        record = {
            "x_var": x_var,
            "x": x if isinstance(x, float | int) and not isinstance(x, bool) else str(x),
            "group_var": group_var,
            "group": level_text(row[group_var]) if group_var else "",
            "y_level": str(row.get("y_level", "")),
            "estimate": number(row["estimate"]),
        }
        if std_error:
            record["std_error"] = number(row["std_error"])
        record["conf_low"] = number(row["conf_low"])
        record["conf_high"] = number(row["conf_high"])
        records.append(record)
    return records
