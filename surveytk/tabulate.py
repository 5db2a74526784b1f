"""Weighted shares of categories with design-based standard errors: ``surveytk tabulate``.

:func:`tabulate` estimates, for one by-variable, the share of each level in the
population (the weighted mean of the level's indicator), and for two
by-variables the shares of the second within each level of the first (domain
estimation, the full design kept for the variance), with linearised standard
errors, t intervals on the design degrees of freedom and the unweighted count
of every cell. Disclosure control (:mod:`surveytk.disclosure`) is applied to
every cell before anything leaves this module: a :class:`Tabulation` never
holds a number derived from a suppressed cell.

The numbers match R ``survey``::

    svymean(~factor(x), design)                      # one by-variable
    svyby(~factor(x2), ~x1, design, svymean)         # two by-variables
    svymean(~factor(x), design, na.rm = TRUE)        # --dropna

(``tests/reference/tabulate_reference.R``). The shares themselves come from
:mod:`surveytk.survey.shares`; :mod:`surveytk.report.render_tabulation` lays a
tabulation out in every table format of ``surveytk table`` (md, LaTeX, HTML,
DOCX, XLSX, CSV, Parquet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from surveytk.analysis_frame import AnalysisFrame, load_analysis_frame
from surveytk.codebook.origin_areas import ORIGIN_VARIABLE, read_origin_lookup
from surveytk.disclosure import (
    DEFAULT_THRESHOLD,
    Suppression,
    check_threshold,
    count_text,
    mask_values,
    suppress_counts,
    suppress_table,
)
from surveytk.errors import DesignError, FormulaError, OutputError
from surveytk.io.delivered_frame import LabelledFrame
from surveytk.language.expr import parse_condition
from surveytk.survey.design import SurveyDesign
from surveytk.survey.hypothesis import rao_scott_test
from surveytk.survey.options import DEFAULT_LONELY_PSU, names_of
from surveytk.survey.shares import DomainShares, domain_shares, level_codes, level_order
from surveytk.survey.summary import DesignSummary

#: Level shown for missing values of a by-variable (unless ``dropna``).
MISSING_LEVEL = "(missing)"
Reference = Literal["origin"]
REFERENCES: tuple[str, ...] = ("origin",)

CELL_COLUMNS = (
    "domain",
    "level",
    "n",
    "share",
    "std_error",
    "conf_low",
    "conf_high",
    "df",
    "suppressed",
)


# ---------------------------------------------------------------------------
# the tabulation
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tabulation:
    """Shares by one or two variables, after disclosure control.

    Attributes
    ----------
    by
        The by-variables: ``(x,)`` or ``(x1, x2)`` (shares of x2 within x1).
    cells
        One row per (domain, level): ``domain`` (level of x1; ``""`` for one
        by-variable), ``level``, ``n`` (unweighted), ``share``, ``std_error``,
        ``conf_low``, ``conf_high`` (proportions, 0–1), ``df``, ``suppressed``;
        with ``reference="origin"`` also ``prewar_pct`` and ``ratio``. Every
        number of a suppressed cell is missing.
    domains
        One row per domain: ``domain``, ``n``, ``suppressed`` (its total).
    n_total
        Respondents in the table (``None`` if suppressed).
    design
        Design summary of the whole table (df of the whole table).
    weighted, threshold, level, reference
        What was asked for.
    notes
        Sentences for the table notes (missing values, dropped rows, zero weights).
    """

    by: tuple[str, ...]
    cells: pd.DataFrame
    domains: pd.DataFrame
    n_total: int | None
    design: DesignSummary
    weighted: bool
    threshold: int
    level: float
    reference: str | None
    notes: tuple[str, ...]

    @property
    def n_suppressed(self) -> int:
        """Number of suppressed cells."""
        return int(self.cells["suppressed"].sum())

    def to_frame(self) -> pd.DataFrame:
        """The cells as a tidy frame (suppressed numbers missing)."""
        return self.cells.copy()


def _coerce_frame(data: pd.DataFrame | LabelledFrame | AnalysisFrame) -> AnalysisFrame:
    """Declared missing of a delivered file set missing (surveytk.analysis_frame)."""
    if isinstance(data, AnalysisFrame):
        return data
    return load_analysis_frame(data)



def _check_by(df: pd.DataFrame, by: Sequence[str], reference: str | None) -> tuple[str, ...]:
    names = tuple(by)
    if not 1 <= len(names) <= 2:
        raise FormulaError(f"--by: give one or two variables; got {len(names)}")
    if len(set(names)) != len(names):
        raise FormulaError(f"--by: the two variables must differ; got {names[0]!r} twice")
    for name in names:
        if name not in df.columns:
            raise FormulaError(
                f"--by {name!r}: no such variable; columns include "
                + ", ".join(map(str, list(df.columns)[:10])),
                variable=name,
            )
    if reference is not None:
        if reference not in REFERENCES:
            raise OutputError(
                f"--reference: expecting one of {{{', '.join(REFERENCES)}}}; got {reference!r}"
            )
        if names[-1] != ORIGIN_VARIABLE:
            raise OutputError(
                f"--reference origin compares shares of {ORIGIN_VARIABLE}; use --by "
                f"{ORIGIN_VARIABLE} (last), not {names[-1]!r}",
                variable=names[-1],
            )
    return names


def _sentence(text: str) -> str:
    """``text`` with a capital first letter (``Fewer than 10``), the rest unchanged."""
    return text[:1].upper() + text[1:]


def tabulate(
    data: pd.DataFrame | LabelledFrame | AnalysisFrame,
    by: Sequence[str],
    *,
    weights: str | None = None,
    strata: str | Sequence[str] | None = None,
    psu: str | Sequence[str] | None = None,
    fpc: str | Sequence[str] | None = None,
    lonely_psu: str = DEFAULT_LONELY_PSU,
    weighted: bool = True,
    threshold: int = DEFAULT_THRESHOLD,
    dropna: bool = False,
    level: float = 0.95,
    reference: str | None = None,
    lookup: str | Path | None = None,
    subpop: str | None = None,
    chisq: bool = False,
    design_options: Mapping[str, Any] | None = None,
) -> Tabulation:
    """Weighted shares by one or two variables with design-based standard errors.

    Parameters
    ----------
    data
        The analysis table (a harmonised file, typically); a LabelledFrame or
        :class:`~surveytk.analysis_frame.AnalysisFrame` has its declared missing
        values set missing, said in the notes.
    by
        One variable (shares of its levels) or two (shares of the second
        within each level of the first).
    weights, strata, psu, fpc
        Design columns (one per stage for a multistage design).
    lonely_psu
        Rule for strata with one PSU (default ``fail``, as R and Stata: choose
        ``adjust``, ``certainty``, ``remove`` or ``average``).
    weighted
        ``False`` ignores ``weights`` (every respondent counts once); strata
        and PSUs still shape the variance.
    threshold
        Disclosure threshold: cells with fewer respondents are suppressed,
        with complementary suppression (:mod:`surveytk.disclosure`).
    dropna
        Leave rows with a missing by-variable out (a domain: the full design
        stays in the variance); by default missing values are a level of
        their own, ``(missing)``.
    level
        Confidence level of the intervals.
    reference
        ``"origin"``: add the pre-war population share of each origin area
        and the ratio share / pre-war share; the last by-variable must be
        ``origin_area``, whose levels follow the lookup file's order.
    lookup
        Origin-area lookup file (default ``codebooks/lookups/origin_areas.csv``).
    subpop
        A condition (:mod:`surveytk.language.expr`): shares within this domain, the full
        design kept for the variance (R ``svymean`` on ``subset(design, ...)``).
    chisq
        With two by-variables, add the Rao-Scott test of independence to the
        notes (:func:`surveytk.survey.hypothesis.rao_scott_test`, R
        ``svychisq(statistic = "F")``).
    design_options
        Further design options (:class:`surveytk.survey.options.DesignOptions`:
        ``adjust_domain_lonely``, ``calibrate``, ``calibration``, ``trim`` ...);
        the design is built by :meth:`SurveyDesign.from_options`, as for ``fit``.

    Returns
    -------
    Tabulation

    Raises
    ------
    FormulaError
        Unknown by-variable, more than two.
    DesignError
        Weight, stratum or PSU column absent or invalid.

    Notes
    -----
    A share is the ratio estimator p = Σ w_i y_i / Σ w_i of a level indicator
    y; its variance is linearised (:func:`surveytk.survey.shares.domain_shares`)
    exactly as the model families do, with PSU totals centred within strata
    and the fpc (Binder 1983; Lumley 2010, ch. 2). The interval is
    p ± t_{0.975, df} · se with df the design df of the domain; it is a Wald
    interval and may leave [0, 1] for small or extreme shares (R ``svyciprop``
    offers alternatives).
    """
    threshold = check_threshold(threshold)
    frame = _coerce_frame(data)
    df = frame.data
    names = _check_by(df, by, reference)
    design = SurveyDesign.from_options(
        df,
        {
            **dict(design_options or {}),
            "weights": weights if weighted else None,
            "strata": strata,
            "psu": psu,
            "fpc": fpc,
            "lonely_psu": lonely_psu,
            "fpc_weights": weighted,
        },
    )
    if design.is_replicate:
        raise DesignError(
            "tabulate estimates linearised variances; replicate weights would be ignored "
            "(use surveytk estimate --prop for replicate-weight shares)"
        )
    design_cols = [*names_of(weights), *names_of(strata), *names_of(psu), *names_of(fpc)]
    notes: list[str] = list(frame.notes(threshold, [*names, *design_cols]))
    if subpop:
        design = design.subset(parse_condition(subpop).evaluate(df), label=subpop)
        notes.append(f"Shares within the domain {subpop} (the full design kept for the "
                     "variance).")
    if design.n_zero_weight:
        notes.append(
            f"{_sentence(count_text(design.n_zero_weight, threshold))} respondents with weight 0 "
            "are not counted."
        )
    keep = np.ones(design.n, dtype=bool)
    if dropna:
        for name in names:
            miss = np.asarray(df[name].isna().to_numpy(), dtype=bool) & design.domain
            if miss.any():
                notes.append(
                    f"{_sentence(count_text(int(miss.sum()), threshold))} respondents with "
                    f"missing {name} left out (--dropna)."
                )
            keep &= ~np.asarray(df[name].isna().to_numpy(), dtype=bool)
        design = design.subset(keep, label="--dropna")
    coded = [_code_variable(df[name], name, design, names, reference, lookup) for name in names]
    for name, (_, levels, _) in zip(names, coded, strict=True):
        if MISSING_LEVEL in levels:
            notes.append(f"{MISSING_LEVEL}: {name} is missing.")
    if chisq and len(names) != 2:
        raise OutputError("--chisq tests the association of two variables; give --by twice")
    if len(names) == 1:
        cells, domains, n_total = _one_way(coded[0], design, threshold, level)
    else:
        cells, domains, n_total = _two_way(coded[0], coded[1], design, threshold, level)
        if chisq:
            test = rao_scott_test(coded[0][0], coded[1][0], design, (names[0], names[1]))
            notes.append(test.describe())
    if reference == "origin":
        cells = _add_origin_reference(cells, lookup)
    return Tabulation(
        by=names,
        cells=cells,
        domains=domains,
        n_total=n_total,
        design=design.summary(),
        weighted=weighted,
        threshold=threshold,
        level=level,
        reference=reference,
        notes=tuple(notes),
    )


Coded = tuple[np.ndarray, list[str], str]


def _code_variable(
    series: pd.Series,
    name: str,
    design: SurveyDesign,
    names: tuple[str, ...],
    reference: str | None,
    lookup: str | Path | None,
) -> Coded:
    """Level codes over all rows, the level list (observed, + ``(missing)``), the name."""
    natural = level_order(series)
    fixed: list[str] = []
    if reference == "origin" and name == names[-1]:
        fixed = [str(a) for a in read_origin_lookup(lookup)["origin_area"]]
        natural = fixed + [lv for lv in natural if lv not in fixed]
    codes, missing = level_codes(series, natural)
    dom = design.domain
    seen = np.zeros(len(natural), dtype=bool)
    seen[codes[dom & ~missing]] = True
    levels = [lv for i, lv in enumerate(natural) if seen[i] or lv in fixed]
    remap = np.full(len(natural) + 1, -1, dtype=np.int64)
    for new, lv in enumerate(levels):
        remap[natural.index(lv)] = new
    codes = np.where(codes >= 0, remap[codes], -1)
    if (missing & dom).any():
        codes = np.where(missing, len(levels), codes)
        levels = [*levels, MISSING_LEVEL]
    return codes, levels, name


def _cells_frame(
    domain: str, levels: list[str], est: DomainShares, hidden: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "domain": [domain] * len(levels),
            "level": levels,
            "n": mask_values(est.n, hidden),
            "share": mask_values(est.share, hidden),
            "std_error": mask_values(est.std_error, hidden),
            "conf_low": mask_values(est.conf_low, hidden),
            "conf_high": mask_values(est.conf_high, hidden),
            "df": np.full(len(levels), est.df),
            "suppressed": np.asarray(hidden, dtype=bool),
        },
        columns=list(CELL_COLUMNS),
    )


def _one_way(
    coded: Coded, design: SurveyDesign, threshold: int, level: float
) -> tuple[pd.DataFrame, pd.DataFrame, int | None]:
    codes, levels, _ = coded
    est = domain_shares(codes, len(levels), design, level)
    sup = suppress_counts(est.n, threshold)
    cells = _cells_frame("", levels, est, sup.cells[0])
    n_total = int(est.n.sum())
    domains = pd.DataFrame(
        {
            "domain": [""],
            "n": [np.nan if sup.row_totals[0] else float(n_total)],
            "suppressed": [bool(sup.row_totals[0])],
        }
    )
    return cells, domains, None if sup.grand_total else n_total


def _two_way(
    outer: Coded, inner: Coded, design: SurveyDesign, threshold: int, level: float
) -> tuple[pd.DataFrame, pd.DataFrame, int | None]:
    o_codes, o_levels, _ = outer
    i_codes, i_levels, _ = inner
    estimates = [
        domain_shares(i_codes, len(i_levels), design.subset(o_codes == d, label=lv), level)
        for d, lv in enumerate(o_levels)
    ]
    counts = np.vstack([e.n for e in estimates])
    sup: Suppression = suppress_table(counts, threshold)
    cells = pd.concat(
        [
            _cells_frame(lv, i_levels, e, sup.cells[d])
            for d, (lv, e) in enumerate(zip(o_levels, estimates, strict=True))
        ],
        ignore_index=True,
    )
    totals = counts.sum(axis=1)
    domains = pd.DataFrame(
        {
            "domain": o_levels,
            "n": mask_values(totals, sup.row_totals),
            "suppressed": sup.row_totals.copy(),
        }
    )
    n_total = int(counts.sum())
    return cells, domains, None if sup.grand_total else n_total


def _add_origin_reference(cells: pd.DataFrame, lookup: str | Path | None) -> pd.DataFrame:
    """Pre-war population share and ratio share / pre-war share (computed, never copied)."""
    table = read_origin_lookup(lookup)
    prewar = dict(
        zip(
            table["origin_area"].astype(str),
            table["prewar_population_pct"].astype(float),
            strict=True,
        )
    )
    out = cells.copy()
    out["prewar_pct"] = [prewar.get(str(lv), np.nan) for lv in out["level"]]
    out["ratio"] = origin_ratio(out["share"].to_numpy(dtype=float), out["prewar_pct"].to_numpy())
    return out


def origin_ratio(share: np.ndarray, prewar_pct: np.ndarray) -> np.ndarray:
    """Over-/under-representation: 100 · share / pre-war population share in percent.

    A ratio of 1 means the area is represented as in the pre-war population;
    e.g. 31.3 % of respondents from an area with 27.4 % of the population gives
    31.3 / 27.4 = 1.14. Missing where either number is missing.
    """
    share = np.asarray(share, dtype=np.float64)
    prewar = np.asarray(prewar_pct, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = 100.0 * share / prewar
    return np.where(np.isfinite(ratio), ratio, np.nan)
