"""Coefficients that rest on fewer respondents than the disclosure threshold.

A dummy of a category held by one or two respondents in the estimation sample
describes those people: its coefficient (with the intercept and the outcome's
distribution) can reveal their answers. Such terms are flagged in the result's
notes (shown by ``fit``, under tables) and listed in ``extra["small_categories"]``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from surveytk.disclosure import DEFAULT_THRESHOLD
from surveytk.errors import SurveytkError
from surveytk.language.expr import parse_condition
from surveytk.models.formula import build_model_frame
from surveytk.models.formula_grammar import parse_formula
from surveytk.models.options import FitOptions
from surveytk.models.results import FitResult
from surveytk.survey.options import names_of


def small_category_terms(data: pd.DataFrame, options: FitOptions,
                         threshold: int = DEFAULT_THRESHOLD) -> dict[str, int]:
    """Model-matrix columns of categories (``var[level]``, also in interactions) with
    fewer than ``threshold`` respondents among the rows the fit uses: complete on the
    formula and design columns, positive weight, in the domain."""
    parsed = parse_formula(options.formula)
    keep = np.ones(len(data), dtype=bool)
    if options.weights:
        w = pd.to_numeric(data[options.weights], errors="coerce").to_numpy(dtype=float)
        keep &= np.nan_to_num(w, nan=0.0) > 0
    if options.subpop:
        keep &= parse_condition(options.subpop).evaluate(data)
    design_cols = [c for c in (options.weights, *names_of(options.strata),
                               *names_of(options.psu)) if c]
    kept = data.loc[keep]
    # concat, not assign: inserting into a wide table warns (PerformanceWarning)
    sub = pd.concat([kept, pd.DataFrame({"__small_cells_y": 0.0}, index=kept.index)], axis=1)
    frame = build_model_frame(
        dataclasses.replace(parsed, outcome="__small_cells_y", outcome_expr=None), sub,
        outcome_kind="continuous", also_required=[parsed.outcome, *design_cols])
    out: dict[str, int] = {}
    for j, term in enumerate(frame.terms):
        if "[" not in term:
            continue
        n = int(np.count_nonzero(frame.X[:, j]))
        if 0 < n < threshold:
            out[term] = n
    return out


def flag_small_categories(result: FitResult, data: pd.DataFrame, options: FitOptions,
                          threshold: int = DEFAULT_THRESHOLD) -> FitResult:
    """``result`` with a note naming terms held by fewer than ``threshold`` respondents."""
    if not any("[" in t for t in result.coef.terms):
        return result
    try:
        small = small_category_terms(data, options, threshold)
    except SurveytkError:  # the fit succeeded on this data; a failure here is no reason to stop
        return result
    if not small:
        return result
    names = ", ".join(small)
    note = (f"{names}: held by fewer than {threshold} respondents in the estimation sample; "
            "such coefficients describe individuals — do not publish them (merge the "
            "category with another or leave it out)")
    extra = {**result.extra, "small_categories": list(small)}
    return dataclasses.replace(result, notes=(*result.notes, note), extra=extra)
