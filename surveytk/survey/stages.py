"""Sampling stages of a multistage design: units, strata and fpc per stage.

``--psu dnum --psu snum --fpc fpc1 --fpc fpc2`` (R ``svydesign(id = ~dnum + snum,
fpc = ~fpc1 + fpc2)``, Stata ``svyset dnum, fpc(fpc1) || snum, fpc(fpc2)``) gives
two :class:`Stage` objects, first to last. Codes follow R ``svydesign.default``:

* units of stage *s* are nested in the units of stage *s − 1* (R interacts the
  ids of stages 1..s), so a unit code is unique over the whole design;
* strata of stage *s ≥ 2* are the stage's stratum column (or the last one given)
  within each unit of stage *s − 1* (R ``interaction(strata[, min(i, NS)], ids[, i - 1])``);
* the fpc of a stage is constant within its strata: values ≤ 1 are sampling
  fractions n/N, values > 1 population counts N (the same kind at every stage);
  a stage without an fpc column is sampled with replacement (N = ∞).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveytk.disclosure import count_text
from surveytk.errors import DesignError


@dataclass(frozen=True)
class Stage:
    """One sampling stage over the ``n`` rows of a design.

    Attributes
    ----------
    strata
        (n,) stratum code of each row at this stage, 0..H−1, unique over the design.
    units
        (n,) sampling-unit code of each row at this stage, 0..U−1, unique over the design.
    unit_stratum
        (U,) stratum of each unit.
    n_h
        (H,) units sampled in each stratum (R ``fpc$sampsize``).
    popsize_h
        (H,) units in the population of each stratum (``inf``: with replacement).
    parent
        (H,) the unit of the previous stage that contains each stratum (0 at stage 1).
    labels
        (H,) the stratum column's value of each stratum (first stage; ``None`` later).
    """

    strata: np.ndarray
    units: np.ndarray
    unit_stratum: np.ndarray
    n_h: np.ndarray
    popsize_h: np.ndarray
    parent: np.ndarray
    labels: np.ndarray | None = None

    @property
    def n_strata(self) -> int:
        return int(self.n_h.shape[0])

    @property
    def n_units(self) -> int:
        return int(self.unit_stratum.shape[0])

    @property
    def fraction_h(self) -> np.ndarray:
        """(H,) sampling fraction n_h / N_h (0 with replacement)."""
        return self.n_h / self.popsize_h


def _column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in data.columns:
        raise DesignError(
            f"{role} column {name!r} is not in the data; columns include "
            + ", ".join(map(str, list(data.columns)[:8])),
            variable=name,
        )
    return data[name]


def _factor(s: pd.Series, name: str, role: str) -> np.ndarray:
    missing = np.asarray(s.isna().to_numpy(), dtype=bool)
    if missing.any():
        raise DesignError(
            f"{role} column {name!r} has {count_text(int(missing.sum()))}"
            f" missing values; every row "
            f"needs a {role} (fix the file or leave those rows out before fitting)",
            variable=name,
        )
    return np.asarray(pd.factorize(s, sort=False)[0], dtype=np.int64)


def interaction_codes(*codes: np.ndarray) -> np.ndarray:
    """Codes of the combinations of several integer code vectors (first-appearance order).

    The vectors are packed into one int64 key (mixed radix, each shifted to
    start at 0) and factorised, which numbers the combinations in order of
    first appearance as ``groupby(sort=False).ngroup()`` does, without a frame.
    """
    key = np.asarray(codes[0], dtype=np.int64)
    if key.size and key.min() < 0:
        key = key - key.min()
    for c in codes[1:]:
        c = np.asarray(c, dtype=np.int64)
        if c.size and c.min() < 0:
            c = c - c.min()
        radix = int(c.max()) + 1 if c.size else 1
        top = int(key.max()) + 1 if key.size else 1
        if top > np.iinfo(np.int64).max // max(radix, 1):  # too many combinations to pack
            frame = pd.DataFrame({str(i): v for i, v in enumerate(codes)})
            return np.asarray(
                frame.groupby(list(frame.columns), sort=False).ngroup(), dtype=np.int64
            )
        key = key * radix + c
    return np.asarray(pd.factorize(key, sort=False)[0], dtype=np.int64)


def _fpc_values(data: pd.DataFrame, names: tuple[str, ...]) -> tuple[list[np.ndarray], bool]:
    """The fpc columns, and whether they are population sizes (else sampling fractions).

    As R ``as.fpc``: population sizes if any value of any stage exceeds 1 (then
    every value must be ≥ 1; ``inf`` is a stage sampled with replacement),
    sampling fractions if all are ≤ 1.
    """
    values = []
    for name in names:
        s = _column(data, name, "fpc")
        if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            raise DesignError(f"fpc column {name!r} must be numeric, not {s.dtype}", variable=name)
        v = np.asarray(s.to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)
        if np.isnan(v).any() or (v <= 0).any():
            raise DesignError(
                f"fpc column {name!r} must be positive and present in every row", variable=name
            )
        values.append(v)
    popsize = any(bool(np.any(v > 1.0)) for v in values)
    if popsize and any(bool(np.any(v < 1.0)) for v in values):
        raise DesignError(
            f"fpc {', '.join(names)} mix sampling fractions (< 1) and population sizes (> 1); "
            "give every stage the same kind",
            variable=names[0],
        )
    return values, popsize


def _popsize(
    v: np.ndarray, strata: np.ndarray, n_h: np.ndarray, name: str, stage: int, counts: bool
) -> np.ndarray:
    h = n_h.shape[0]
    lo = np.full(h, np.inf)
    hi = np.full(h, -np.inf)
    np.minimum.at(lo, strata, v)
    np.maximum.at(hi, strata, v)
    with np.errstate(invalid="ignore"):
        varies = (hi - lo > 1e-9 * np.abs(hi)) & np.isfinite(hi) | (np.isinf(hi) != np.isinf(lo))
    where = "" if stage == 1 else f" at stage {stage}"
    if varies.any():
        raise DesignError(
            f"fpc {name!r} varies within {int(varies.sum())} strata{where}; it must be "
            "constant within each stratum",
            variable=name,
        )
    popsize = lo if counts else n_h / lo
    if np.any(popsize < n_h - 1e-9):
        raise DesignError(
            f"fpc {name!r}: population size smaller than the number of sampled units in "
            f"{int(np.sum(popsize < n_h - 1e-9))} strata{where}",
            variable=name,
        )
    return popsize


def build_stages(
    data: pd.DataFrame,
    *,
    strata: Sequence[str] = (),
    psu: Sequence[str] = (),
    fpc: Sequence[str] = (),
    nest: bool = False,
) -> tuple[Stage, ...]:
    """The stages of a design, first to last (one stage of rows without ``psu``).

    Raises
    ------
    DesignError
        A column missing or with missing values; more fpc or strata columns than
        stages; PSUs not nested in first-stage strata (unless ``nest``); an fpc
        varying within a stratum or below the sample size.
    """
    n = len(data)
    strata, psu, fpc = tuple(strata), tuple(psu), tuple(fpc)
    n_stages = max(len(psu), 1)
    if len(fpc) > n_stages:
        raise DesignError(
            f"{len(fpc)} --fpc columns for {n_stages} stage(s): give one --psu per stage "
            "(first to last), then at most one --fpc per stage",
            variable=fpc[-1],
        )
    if len(strata) > n_stages:
        raise DesignError(
            f"{len(strata)} --strata columns for {n_stages} stage(s): give at most one "
            "--strata per stage, first to last",
            variable=strata[-1],
        )
    ids = [_factor(_column(data, c, "PSU"), c, "PSU") for c in psu] or [
        np.arange(n, dtype=np.int64)
    ]
    s_raw = [_factor(_column(data, c, "stratum"), c, "stratum") for c in strata]
    fpcs, counts = _fpc_values(data, fpc)
    stages: list[Stage] = []
    parent_units = np.zeros(n, dtype=np.int64)
    for i in range(n_stages):
        raw_s = s_raw[min(i, len(s_raw) - 1)] if s_raw else np.zeros(n, dtype=np.int64)
        if i == 0:
            # factorised codes are numbered in order of first appearance already
            # (interaction_codes of one vector would number them again, the same way)
            s_codes = raw_s
            unit_raw = ids[0]
            if nest:
                units = interaction_codes(s_codes, unit_raw)
            else:
                units = unit_raw
                _check_nested(units, s_codes, psu[0] if psu else "row", strata)
        else:
            s_codes = interaction_codes(parent_units, raw_s)
            units = interaction_codes(parent_units, s_codes, ids[i])
        n_strata = int(s_codes.max()) + 1
        n_units = int(units.max()) + 1
        unit_stratum = np.zeros(n_units, dtype=np.int64)
        unit_stratum[units] = s_codes
        n_h = np.bincount(unit_stratum, minlength=n_strata).astype(np.float64)
        parent = np.zeros(n_strata, dtype=np.int64)
        parent[s_codes] = parent_units
        popsize = (
            _popsize(fpcs[i], s_codes, n_h, fpc[i], i + 1, counts)
            if i < len(fpcs)
            else np.full(n_strata, np.inf)
        )
        labels = None
        if i == 0:
            labels = (
                np.asarray(pd.unique(_column(data, strata[0], "stratum")), dtype=object)
                if strata
                else np.zeros(1, dtype=object)
            )
        stages.append(Stage(s_codes, units, unit_stratum, n_h, popsize, parent, labels))
        parent_units = units
    return tuple(stages)


def _check_nested(
    units: np.ndarray, s_codes: np.ndarray, psu: str, strata: tuple[str, ...]
) -> None:
    if not strata:
        return
    n_ids = int(units.max()) + 1
    stratum_of = np.zeros(n_ids, dtype=np.int64)
    stratum_of[units] = s_codes  # one stratum per PSU when nested
    if np.array_equal(stratum_of[units], s_codes):
        return
    n_pairs = int(interaction_codes(units, s_codes).max()) + 1
    if n_pairs != n_ids:
        raise DesignError(
            f"PSUs are not nested in strata: {n_pairs - n_ids} PSU ids of {psu!r} occur in "
            f"more than one stratum of {strata[0]!r}; give PSU ids unique across strata "
            "(or build the design with nest=True)",
            variable=psu,
            reason="not_nested",
        )
