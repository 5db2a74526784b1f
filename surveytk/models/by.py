"""Models by group (``fit --by VAR``): the model in each domain of the full design.

Each level of ``VAR`` is a domain (R ``svyglm`` on ``subset(design, VAR ==
level)``, as ``svyby``; Stata ``svy, subpop()``): the design keeps every row —
all strata and PSUs enter the variance, a PSU without rows of the level
contributing zero — and the estimating equations use the rows of that level
only (with ``--subpop``, the rows inside both). The design df count the PSUs
with rows in the domain, as R ``degf`` of the subset design. The
level is marked by a helper column added to a copy of the table, so every
family handles it through its ordinary subpopulation path.

:class:`ResultSet` holds one :class:`~surveytk.models.results.FitResult`
per level; it is saved as JSON (``kind: "by"``) or as a tidy CSV with the
columns ``by`` and ``domain`` in front (``surveytk fit --by`` also writes a
formatted table with one column per level, through the report layer).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from surveytk.disclosure import count_text
from surveytk.errors import ModelError, OutputError, SurveytkError
from surveytk.io.atomic import write_text_atomic
from surveytk.language.lexer import close_matches_hint
from surveytk.models.column_coding import level_text, observed_levels
from surveytk.models.options import FitOptions
from surveytk.models.result_check import check_result_document
from surveytk.models.results import RESULT_SCHEMA_VERSION, FitResult

#: the helper column marking a level's rows (refused if the data has such a column)
DOMAIN_COLUMN = "surveytk_by_domain_"


@dataclass(frozen=True)
class ResultSet:
    """One result per level of ``by`` (in level order)."""

    by: str
    levels: tuple[str, ...]
    results: tuple[FitResult, ...]

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Every result's tidy table, stacked, with ``by`` and ``domain`` in front."""
        frames = []
        for lev, r in zip(self.levels, self.results, strict=True):
            t = r.tidy(level)
            t.insert(0, "domain", lev)
            t.insert(0, "by", self.by)
            frames.append(t)
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": RESULT_SCHEMA_VERSION,
            "kind": "by",
            "by": self.by,
            "levels": list(self.levels),
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ResultSet:
        return cls(
            by=d["by"],
            levels=tuple(d["levels"]),
            results=tuple(FitResult.from_dict(r) for r in d["results"]),
        )

    def save(self, path: str | Path) -> None:
        """``.json`` (everything) or ``.csv`` (stacked tidy table)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".json":
            text = json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=True)
            write_text_atomic(path, text + "\n")
        elif suffix == ".csv":
            write_text_atomic(path, self.tidy().to_csv(index=False, float_format="%.10g"))
        else:
            raise OutputError(
                f"{path}: results by group are saved as .json or .csv; "
                "`surveytk fit --by` and `surveytk table` write formatted tables"
            )


def by_levels(data: pd.DataFrame, column: str) -> list[Any]:
    """Levels of ``column`` in order: category order, else sorted; missing values left out."""
    if column not in data.columns:
        raise ModelError(
            f"--by: no column {column!r} in the data" + close_matches_hint(column, data.columns),
            variable=column,
        )
    s = data[column]
    return observed_levels(s, s.notna().to_numpy())


def fit_by(
    data: pd.DataFrame,
    options: FitOptions,
    fit_one: Callable[[pd.DataFrame, FitOptions], FitResult],
) -> ResultSet:
    """Fit ``options`` in each level of ``options.by`` with the full design.

    Parameters
    ----------
    data
        The analysis table (all rows).
    options
        With ``by`` set; ``subpop``, if any, is combined with each level.
    fit_one
        Fits one model (the family's ``fit`` plus tests), given data and options.

    Raises
    ------
    ModelError
        Unknown column, fewer than two levels, or a level's fit failing (the
        message names the level).
    """
    column = options.by
    assert column is not None
    if DOMAIN_COLUMN in data.columns:
        raise ModelError(f"--by: the data already have a column {DOMAIN_COLUMN!r}; rename it")
    levels = by_levels(data, column)
    if len(levels) < 2:
        raise ModelError(
            f"--by {column}: {len(levels)} level(s) with data; a model by group needs at least 2",
            variable=column,
        )
    n_missing = int(data[column].isna().sum())
    results = []
    for value in levels:
        text = level_text(value)
        marked = data.assign(**{DOMAIN_COLUMN: (data[column] == value).astype("int8")})
        inside = f"{DOMAIN_COLUMN} == 1"
        subpop = inside if not options.subpop else f"({options.subpop}) & {inside}"
        one = dataclasses.replace(options, subpop=subpop, by=None, label=f"{column} = {text}")
        try:
            res = fit_one(marked, one)
        except SurveytkError as exc:
            exc.message = f"--by {column} = {text}: {exc.message}"
            exc.args = (exc.message,)
            raise
        results.append(_relabel(res, column, text, options.subpop, n_missing))
    return ResultSet(column, tuple(level_text(v) for v in levels), tuple(results))


def _relabel(
    res: FitResult, column: str, text: str, subpop: str | None, n_missing: int
) -> FitResult:
    """Readable domain text instead of the helper column; a note on rows in no domain."""
    readable = f"{column} == {text!r}" if not subpop else f"({subpop}) & {column} == {text!r}"
    notes: tuple[str, ...] = res.notes
    if n_missing:
        notes = (*notes, f"{count_text(n_missing)}"
                         f" row(s) with {column} missing belong to no domain")
    return dataclasses.replace(
        res, design=dataclasses.replace(res.design, subpop=readable), notes=notes
    )


def load_any(path: str | Path) -> list[FitResult]:
    """The results in a file: one (``fit --out``) or one per level (``fit --by --out``)."""
    path = Path(path)
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return [FitResult.load(path)]  # FitResult.load words the error
    if isinstance(d, dict) and d.get("kind") == "by":
        try:
            if not isinstance(d.get("results"), list) or not isinstance(d.get("levels"), list):
                raise ValueError("results and levels must be lists")
            for r in d["results"]:
                check_result_document(r)
            return list(ResultSet.from_dict(d).results)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise OutputError(f"{path}: not a surveytk results-by-group JSON ({exc})") from exc
    return [FitResult.load(path)]
