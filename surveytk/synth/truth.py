"""Assemble the common-schema truth table of a synthetic source.

The truth is what a correct harmonisation of the written files must give back, one
row per respondent and wave, in the common schema of DESIGN.md, with a
``<var>_missing`` reason column beside every variable that a file can leave missing.
Reasons: ``dont_know``, ``refused``, ``not_applicable``, ``not_asked``,
``implausible``, ``unmapped_in_source``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from surveytk.codebook.model import MISSING_REASONS
from surveytk.synth.dgp import INTENTION_LEVELS, STATUS_LEVELS
from surveytk.synth.label_sets import ORIGIN_AREAS, countries, oblasts

AGE_GROUPS = ("18–24", "25–34", "35–44", "45–54", "55–64", "65+")
CATEGORIES = ("return", "stay", "move_on", "undecided")

#: Nullable variables of the truth and their pandas dtype.
NULLABLE: dict[str, object] = {
    "interview_date": "datetime64[s]",
    "age": "Int16",
    "gender": pd.CategoricalDtype(["female", "male"]),
    "n_children_u18": "Int8",
    "has_children_u18": "boolean",
    "employed": "boolean",
    "employment_status": pd.CategoricalDtype(list(STATUS_LEVELS)),
    "origin_oblast": "string",
    "origin_area": pd.CategoricalDtype(list(ORIGIN_AREAS)),
    "spouse_child_in_ukraine": "boolean",
    "months_in_host": "Int16",
    "return_intention": pd.CategoricalDtype(list(INTENTION_LEVELS), ordered=True),
    "intention_category": pd.CategoricalDtype(list(CATEGORIES)),
}

COLUMNS = (
    "source",
    "wave",
    "respondent_id",
    "household_id",
    "interview_date",
    "host_country",
    "distance_km",
    "distance_capital_km",
    "neighbour",
    "age",
    "age_is_banded",
    "age_group",
    "gender",
    "n_children_u18",
    "has_children_u18",
    "employed",
    "employment_status",
    "origin_oblast",
    "origin_area",
    "spouse_child_in_ukraine",
    "months_in_host",
    "return_intention",
    "intends_return",
    "intention_category",
    "weight",
    "psu",
    "stratum",
)

StrArray = npt.NDArray[Any]


@dataclass
class TruthColumns:
    """Values and missing reasons gathered by a source module (``None`` value = missing)."""

    n: int
    values: dict[str, object] = field(default_factory=dict)
    reasons: dict[str, object] = field(default_factory=dict)

    def set(self, name: str, values: object, reason: object = None) -> None:
        """Set a column; ``reason`` is an array of reason strings ('' = valid) or one string."""
        self.values[name] = values
        if reason is not None:
            self.reasons[name] = reason


def age_group(age: pd.Series) -> pd.Series:
    """Common-schema age group of an ``Int16`` age."""
    bins = [17, 24, 34, 44, 54, 64, 200]
    out = pd.cut(age.astype("float64"), bins=bins, labels=list(AGE_GROUPS), ordered=True)
    return pd.Series(out, index=age.index, name="age_group")


def intends_return(intention: pd.Series) -> pd.Series:
    """``return_someday``/``return_soon`` → True, ``stay``/``undecided`` → False."""
    mapping = {"stay": False, "undecided": False, "return_someday": True, "return_soon": True}
    out = intention.astype("object").map(mapping).astype("boolean")
    return out


def oblast_iso(codes: npt.NDArray[Any]) -> StrArray:
    table = np.array([""] + [o.iso for o in oblasts()], dtype=object)
    return np.asarray(table[codes].astype(str))


def oblast_area(codes: npt.NDArray[Any]) -> StrArray:
    table = np.array([""] + [o.area for o in oblasts()], dtype=object)
    return np.asarray(table[codes].astype(str))


def _reason_array(n: int, reason: object) -> StrArray:
    if isinstance(reason, str):
        return np.full(n, reason, dtype=object).astype(str)
    return np.asarray(reason, dtype=object).astype(str)


def build_truth(source: str, cols: TruthColumns) -> pd.DataFrame:
    """The truth table with common-schema dtypes and ``<var>_missing`` reason columns.

    ``cols`` must give ``wave``, ``raw_id``, ``host_country`` and may give
    ``household_raw_id``; a variable with a reason is set to missing where the reason
    is non-empty.
    """
    n = cols.n
    v = cols.values
    wave = np.asarray(v["wave"]).astype(str)
    raw = np.asarray(v["raw_id"]).astype(np.int64).astype(str)
    df = pd.DataFrame(
        {
            "source": pd.Categorical([source] * n, categories=[source]),
            "wave": pd.array(wave, dtype="string"),
            "respondent_id": pd.array(
                np.char.add(np.char.add(f"{source}:", np.char.add(wave, ":")), raw), dtype="string"
            ),
        }
    )
    hh = v.get("household_raw_id")
    if hh is None:
        df["household_id"] = pd.array([None] * n, dtype="string")
    else:
        hh_s = np.asarray(hh).astype(np.int64).astype(str)
        df["household_id"] = pd.array(
            np.char.add(np.char.add(f"{source}:", np.char.add(wave, ":")), hh_s), dtype="string"
        )
    host = np.asarray(v["host_country"]).astype(str)
    cty = countries()
    df["host_country"] = pd.array(host, dtype="string")
    df["distance_km"] = np.array([cty[h].distw for h in host], dtype=float)
    df["distance_capital_km"] = np.array([cty[h].distcap for h in host], dtype=float)
    df["neighbour"] = np.array([cty[h].contig for h in host], dtype=bool)
    for name, dtype in NULLABLE.items():
        values = v.get(name)
        if values is None:
            series = pd.Series([None] * n, dtype="object")
        else:
            series = pd.Series(np.asarray(values), dtype="object")
        reason = _reason_array(n, cols.reasons.get(name, ""))
        if values is None and not cols.reasons.get(name):
            reason = np.full(n, "unmapped_in_source").astype(str)
        series = series.where(reason == "", None)
        df[name] = series.astype(dtype)  # type: ignore[call-overload]
        why = reason.astype(object)
        why[reason == ""] = None
        df[f"{name}_missing"] = pd.Categorical(why, categories=list(MISSING_REASONS))
    df["age_is_banded"] = bool(v.get("age_is_banded", False))
    df["age_group"] = age_group(df["age"])
    df["intends_return"] = intends_return(df["return_intention"])
    df["weight"] = np.asarray(v["weight"], dtype=float)
    for name in ("psu", "stratum"):
        raw_design = v.get(name)
        if raw_design is None:
            df[name] = pd.array([None] * n, dtype="string")
        else:
            df[name] = pd.array(
                np.char.add(f"{source}:", np.asarray(raw_design).astype(str)), dtype="string"
            )
    missing_cols = [f"{name}_missing" for name in NULLABLE]
    return df[list(COLUMNS) + missing_cols].reset_index(drop=True)


def code_map(codes: npt.NDArray[Any], mapping: Mapping[int, str]) -> StrArray:
    """Map integer codes to strings ('' where unmapped)."""
    out = np.full(codes.shape[0], "", dtype=object)
    for code, text in mapping.items():
        out[codes == code] = text
    return np.asarray(out.astype(str))
