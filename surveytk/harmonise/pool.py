"""Pooling harmonised source tables into one analysis table.

Tables are stacked in the order given; design ids are made unique across
inputs; weights are scaled per source. Provenance of every input travels into
the pooled file's metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from surveytk.codebook.loader import load_schema
from surveytk.codebook.model import Schema
from surveytk.disclosure import count_text
from surveytk.errors import DesignError, HarmoniseError, ReadError
from surveytk.harmonise.engine import typed_series
from surveytk.harmonise.output import read_provenance
from surveytk.io.fileinfo import sha256_file

WeightScaling = Literal["sample", "equal", "none"]
WEIGHT_SCALINGS: tuple[str, ...] = ("sample", "equal", "none")


@dataclass(frozen=True)
class PoolResult:
    """The pooled table and its provenance."""

    table: pd.DataFrame
    provenance: dict[str, Any]


def scale_weights(weight: np.ndarray, source: np.ndarray, how: str) -> np.ndarray:
    """Weights scaled within each source.

    Parameters
    ----------
    weight
        Analysis weights (zero allowed: such rows stay zero).
    source
        Source label of each row.
    how
        ``sample``: each source's weights sum to its number of rows with positive
        weight, :math:`w_i n_s / \\sum_{j \\in s} w_j`; ``equal``: every source sums to
        the same total, :math:`N_+ / S` (:math:`N_+` rows with positive weight, S
        sources), so that each source counts alike; ``none``: unchanged.

    Notes
    -----
    Rescaling weights within a source leaves that source's estimates unchanged and
    sets its share of the pooled estimate (Korn & Graubard 1999, ch. 4, on
    combining surveys).
    """
    if how not in WEIGHT_SCALINGS:
        raise DesignError(f"unknown weight scaling {how!r}; expecting one of "
                          f"{list(WEIGHT_SCALINGS)}")
    w = np.asarray(weight, dtype="float64")
    if how == "none":
        return w.copy()
    out = w.copy()
    labels = pd.unique(source)
    n_pos_total = int((w > 0).sum())
    for s in labels:
        rows = source == s
        total = w[rows].sum()
        if not np.isfinite(total) or total <= 0:
            raise DesignError(f"weights of source {s} sum to {total:g}; cannot scale them "
                              "(use --weights none or fix the weights)")
        target = (w[rows] > 0).sum() if how == "sample" else n_pos_total / len(labels)
        out[rows] = w[rows] * (target / total)
    return out


def _read(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    if not path.is_file():
        raise ReadError(f"{path}: harmonised file not found", file=str(path))
    if path.suffix.lower() != ".parquet":
        raise ReadError(f"{path}: pool reads harmonised Parquet files (from `surveytk "
                        "harmonise`); write them with --format parquet", file=str(path))
    try:
        table = pd.read_parquet(path)
    except Exception as exc:
        raise ReadError(f"{path}: cannot read Parquet ({type(exc).__name__}); is it truncated?",
                        file=str(path)) from None
    return table, read_provenance(path)


def _unique_design_ids(tables: list[pd.DataFrame], column: str) -> None:
    """Qualify a design id that occurs in several inputs with the input's wave."""
    owners: dict[str, set[int]] = {}
    for i, t in enumerate(tables):
        for v in pd.unique(t[column].dropna()):
            owners.setdefault(str(v), set()).add(i)
    shared = {v for v, who in owners.items() if len(who) > 1}
    if not shared:
        return
    for t in tables:
        hit = t[column].isin(shared).to_numpy(dtype=bool, na_value=False)
        if hit.any():
            t.loc[hit, column] = (t.loc[hit, column].astype("string") + "@"
                                  + t.loc[hit, "wave"].astype("string"))


def _check_levels(table: pd.DataFrame, schema: Schema, path: Path) -> None:
    """Stop if a category value is not a level of the schema in use (it would become
    missing): a table harmonised with a schema extension must be pooled with it."""
    for name, var in schema.variables.items():
        if var.type not in ("category", "ordered"):
            continue
        values = pd.unique(table[name].dropna().astype(str))
        unknown = sorted(set(values) - set(var.level_values))
        if unknown:
            raise HarmoniseError(
                f"{path}: {name} {unknown[:5]} not a level of the schema in use; pool with "
                "the codebook folder whose schema.yaml adds it (--codebook-dir DIR or "
                "SURVEYTK_CODEBOOK_PATH)", file=str(path), variable=name)


def pool_tables(paths: Sequence[str | Path], *, weights: str = "sample",
                schema: Schema | None = None) -> PoolResult:
    """Stack harmonised Parquet files into one analysis table.

    Parameters
    ----------
    paths
        Harmonised files (from :func:`surveytk.harmonise.harmonise` written as Parquet).
    weights
        ``sample``, ``equal`` or ``none`` (see :func:`scale_weights`). The delivered
        weight is kept in ``weight_unscaled``.
    schema
        The common schema; default the one of the codebook search path.

    Returns
    -------
    PoolResult

    Notes
    -----
    PSU and stratum ids are prefixed with the source at harmonisation; an id that
    still occurs in more than one input (two rounds of one source) is qualified
    with its wave (``@R5``). A source without strata gets its wave as one stratum
    (``<source>:<wave>``), so that sources act as strata in the pooled design, and a
    respondent without a PSU (a source sampled without clusters) is its own PSU
    (its ``respondent_id``), so the pooled table has one complete design.
    """
    if not paths:
        raise HarmoniseError("pool needs at least one harmonised file")
    schema = schema if schema is not None else load_schema()
    columns = list(schema.variables) + [f"{v}_missing" for v in schema.missing_columns]
    tables: list[pd.DataFrame] = []
    inputs: list[dict[str, Any]] = []
    for p in map(Path, paths):
        table, prov = _read(p)
        absent = [c for c in columns if c not in table.columns]
        if absent:
            raise HarmoniseError(f"{p}: not a harmonised table (no column(s) {absent[:5]}); "
                                 "harmonise it first with `surveytk harmonise`", file=str(p))
        table = table[columns].copy()
        _check_levels(table, schema, p)
        if table["stratum"].isna().all():
            table["stratum"] = (table["source"].astype("string") + ":"
                                + table["wave"].astype("string"))
        # a respondent of a source without clusters is its own PSU (one design for all)
        table["psu"] = table["psu"].astype("string").fillna(
            table["respondent_id"].astype("string"))
        tables.append(table)
        sha = sha256_file(p)
        inputs.append({"file": p.name, "sha256": sha, "rows": len(table), "provenance": prov})
    _unique_design_ids(tables, "psu")
    _unique_design_ids(tables, "stratum")
    pooled = pd.concat(tables, ignore_index=True)
    for name, var in schema.variables.items():
        pooled[name] = typed_series(var, pooled[name].astype(object))
    dup = pooled["respondent_id"].duplicated()
    if dup.any():
        raise HarmoniseError(f"{count_text(int(dup.sum()))} respondent ids occur in more than "
                             "one input; "
                             "is a file given twice?", variable="respondent_id")
    pooled["weight_unscaled"] = pooled["weight"].astype("float64")
    pooled["weight"] = scale_weights(pooled["weight"].to_numpy(dtype="float64"),
                                     pooled["source"].astype(str).to_numpy(), weights)
    provenance = {"pooled": {"weights": weights, "inputs": inputs}}
    return PoolResult(table=pooled, provenance=provenance)
