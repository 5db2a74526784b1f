"""Sample rules and design completion for analysis tables, with row accounting.

Every row an analysis leaves out is counted by the rule that excluded it; the
counts go into the run's manifest. Nothing here evaluates code: rules are
parsed by :mod:`surveytk.expr`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveytk.expr import parse_condition


@dataclass(frozen=True)
class SampleAccount:
    """Rows in, rows kept, and rows excluded by each rule (first rule that excludes)."""

    rows_in: int
    rows_out: int
    excluded: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"rows_in": self.rows_in, "rows_out": self.rows_out, "excluded": self.excluded}


def apply_rules(table: pd.DataFrame, rules: Sequence[str]) -> tuple[pd.DataFrame, SampleAccount]:
    """Keep the rows every rule selects; count exclusions by the first failing rule.

    A rule that evaluates to missing for a row (e.g. ``age >= 18`` where age is
    missing) does not select it, and the row is counted under that rule.
    """
    keep = np.ones(len(table), dtype=bool)
    excluded: dict[str, int] = {}
    for rule in rules:
        selected = parse_condition(rule).evaluate(table)
        newly = keep & ~selected
        excluded[rule] = int(newly.sum())
        keep &= selected
    kept = table.loc[keep].reset_index(drop=True)
    return kept, SampleAccount(len(table), len(kept), excluded)


def undecided_as_missing(table: pd.DataFrame) -> pd.DataFrame:
    """``intends_return`` missing (reason ``not_applicable``) where the intention is undecided.

    The schema's default counts ``undecided`` as not intending to return; an
    analysis may instead leave undecided respondents out of binary models.
    """
    if "return_intention" not in table.columns or "intends_return" not in table.columns:
        return table
    out = table.copy()
    undecided = (out["return_intention"] == "undecided").to_numpy(dtype=bool, na_value=False)
    out.loc[undecided, "intends_return"] = pd.NA
    if "intends_return_missing" in out.columns:
        col = out["intends_return_missing"]
        needs_level = (isinstance(col.dtype, pd.CategoricalDtype)
                       and "not_applicable" not in col.cat.categories)
        if needs_level:
            out["intends_return_missing"] = col.cat.add_categories(["not_applicable"])
        out.loc[undecided, "intends_return_missing"] = "not_applicable"
    return out


def design_column(table: pd.DataFrame, name: str | None) -> str | None:
    """``name`` if the table has it with at least one value, else ``None`` (no such design)."""
    if name is None or name not in table.columns:
        return None
    return name if table[name].notna().any() else None
