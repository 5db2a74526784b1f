"""Sample rules as domains, and design columns, for analysis tables, with row accounting.

Sample rules define the **domain** of every model and tabulation of a spec
(like ``--subpop``): the rows outside stay in the design, so the variance
reflects the whole sample design (R ``svyglm`` on ``subset(design, ...)``;
Stata ``svy, subpop()``). Every row outside the domain is counted by the first
rule that excludes it; the counts go into the run's manifest. Nothing here
evaluates code: rules are parsed by :mod:`surveytk.language.expr`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveytk.errors import SpecError
from surveytk.language.expr import parse_condition


@dataclass(frozen=True)
class SampleAccount:
    """Rows in, rows kept, and rows excluded by each rule (first rule that excludes)."""

    rows_in: int
    rows_out: int
    excluded: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"rows_in": self.rows_in, "rows_out": self.rows_out, "excluded": self.excluded}


def sample_domain(table: pd.DataFrame, rules: Sequence[str]) -> tuple[np.ndarray, SampleAccount]:
    """Rows every rule selects (the domain); exclusions counted by the first failing rule.

    A rule that evaluates to missing for a row (e.g. ``age >= 18`` where age is
    missing) does not select it, and the row is counted under that rule.
    ``rows_out`` of the account is the number of rows in the domain.
    """
    keep = np.ones(len(table), dtype=bool)
    excluded: dict[str, int] = {}
    for rule in rules:
        selected = parse_condition(rule).evaluate(table)
        newly = keep & ~selected
        excluded[rule] = int(newly.sum())
        keep &= selected
    return keep, SampleAccount(len(table), int(keep.sum()), excluded)


def apply_rules(table: pd.DataFrame, rules: Sequence[str]) -> tuple[pd.DataFrame, SampleAccount]:
    """The rows every rule selects as a table (for descriptions; analyses use domains)."""
    keep, account = sample_domain(table, rules)
    return table.loc[keep].reset_index(drop=True), account


def domain_condition(*conditions: str | None) -> str | None:
    """The conjunction of conditions (sample rules, a model's subpop), or ``None``."""
    parts = [c for c in conditions if c]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return " & ".join(f"({c})" for c in parts)


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


def design_column(
    table: pd.DataFrame, name: str | None, *, required: bool = False, role: str = "design",
    where: str = "the analysis table", context: str = "",
) -> str | None:
    """``name`` if the table has it with at least one value.

    With ``required`` (the spec names the column), an absent or entirely empty
    column is an error; otherwise (a default name the spec did not write) it
    is ``None``: that part of the design does not exist, which the caller notes.

    Raises
    ------
    SpecError
        ``required`` and the column is absent or has no value.
    """
    if name is None:
        return None
    present = name in table.columns
    if present and table[name].notna().any():
        return name
    if required:
        state = "is not in" if not present else "has no value in"
        raise SpecError(
            f"{context}{role} column {name!r} {state} {where}; name an existing column, or write "
            f"`{role}: null` to leave it out of the design",
            variable=name,
        )
    return None
