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

(``tests/reference/tabulate_reference.R``). :func:`tabulation_grid` turns a
tabulation into the report package's format-neutral
:class:`~surveytk.report.table_model.TextTable`, so every table format of
``surveytk table`` (md, LaTeX, HTML, DOCX, XLSX, CSV) is available.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from surveytk.analysis_frame import AnalysisFrame, load_analysis_frame
from surveytk.disclosure import (
    DEFAULT_THRESHOLD,
    SUPPRESSED_MARKER,
    Suppression,
    check_threshold,
    count_text,
    mask_values,
    suppress_counts,
    suppress_table,
    suppression_note,
)
from surveytk.errors import DesignError, FormulaError, OutputError
from surveytk.io.delivered_frame import LabelledFrame
from surveytk.models.covariance import LinearizedCovariance
from surveytk.models.kernel import KernelFit
from surveytk.report.labels import Labeller
from surveytk.report.table_model import Cell, Section, TextTable
from surveytk.survey.calibration import text_codes
from surveytk.survey.design import SurveyDesign
from surveytk.survey.hypothesis import rao_scott_test
from surveytk.survey.options import DEFAULT_LONELY_PSU, names_of
from surveytk.survey.summary import DesignSummary

#: Level shown for missing values of a by-variable (unless ``dropna``).
MISSING_LEVEL = "(missing)"
Reference = Literal["origin"]
REFERENCES: tuple[str, ...] = ("origin",)
#: The variable the ``origin`` reference table is about, and its lookup file.
ORIGIN_VARIABLE = "origin_area"
ORIGIN_LOOKUP = "origin_areas.csv"

#: Output format → (renderer module, function) of the report package.
RENDERERS: dict[str, tuple[str, str]] = {
    "md": ("surveytk.report.render_md", "render_markdown"),
    "latex": ("surveytk.report.render_latex", "render_latex"),
    "html": ("surveytk.report.render_html", "render_html"),
    "docx": ("surveytk.report.render_docx", "render_docx"),
    "xlsx": ("surveytk.report.render_xlsx", "render_xlsx"),
}
TIDY_FORMATS: tuple[str, ...] = ("csv", "parquet")

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
# numbers: pure functions
# ---------------------------------------------------------------------------


def share_kernel(indicators: np.ndarray, weights: np.ndarray) -> KernelFit:
    """Weighted shares as an intercept-only weighted least-squares fit per level.

    Parameters
    ----------
    indicators
        (m, k) 0/1 indicators of the k levels for the m domain rows.
    weights
        (m,) sampling weights of those rows (positive).

    Returns
    -------
    KernelFit
        ``params`` the k shares, ``scores`` w_i (y_ik − p_k), ``hessian`` −Σw · I.

    Notes
    -----
    The share p_k = Σ w_i y_ik / Σ w_i is the ratio estimator of the mean of
    y_k; it solves Σ w_i (y_ik − p_k) = 0, the score equation of a weighted
    least-squares fit of y_k on a constant. The linearised variance
    H⁻¹ M H⁻¹ with H = −Σw is the variance of the influence functions
    w_i (y_ik − p_k) / Σw, as R ``svymean`` computes it (Woodruff 1971;
    Lumley 2010, §2.2 and §3.1).
    """
    y = np.asarray(indicators, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    p = (w @ y) / total
    scores = w[:, None] * (y - p)
    k = y.shape[1]
    return KernelFit(
        params=p,
        scores=scores,
        hessian=-total * np.eye(k),
        loglik=None,
        loglik_null=None,
        converged=True,
        n_iter=0,
    )


@dataclass(frozen=True)
class DomainShares:
    """Shares of k levels in one domain (all numbers before disclosure control)."""

    share: np.ndarray
    std_error: np.ndarray
    conf_low: np.ndarray
    conf_high: np.ndarray
    n: np.ndarray
    df: float
    sum_weights: float


def t_interval(
    estimate: np.ndarray, std_error: np.ndarray, df: float, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wald interval estimate ± t_{(1+level)/2, df} · se (NaN when df ≤ 0)."""
    from scipy import stats

    if not df > 0:
        nan = np.full_like(np.asarray(estimate, dtype=np.float64), np.nan)
        return nan, nan.copy()
    q = float(stats.t.ppf(0.5 + level / 2.0, df))
    return estimate - q * std_error, estimate + q * std_error


def domain_shares(
    codes: np.ndarray, n_levels: int, design: SurveyDesign, level: float = 0.95
) -> DomainShares:
    """Shares of level codes ``0..n_levels-1`` in ``design``'s domain, linearised SEs.

    Parameters
    ----------
    codes
        (n,) level code of every design row (any value outside the domain).
    n_levels
        Number of levels k.
    design
        The design, narrowed to the domain with :meth:`SurveyDesign.subset`.
    level
        Confidence level of the intervals.

    Notes
    -----
    Domain estimation: rows outside the domain contribute zero scores while
    every PSU and stratum of the design stays in the variance (R ``svyby`` /
    ``subset.survey.design``). Intervals use t with the domain's design df
    (#PSU − #strata among domain rows, R ``degf``).
    """
    dom = design.domain
    dcodes = np.asarray(codes)[dom]
    y = np.zeros((dcodes.size, n_levels))
    y[np.arange(dcodes.size), dcodes] = 1.0
    w = design.weights[dom]
    fit = share_kernel(y, w)
    cov = LinearizedCovariance().cov(fit, design)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    df = design.df
    low, high = t_interval(fit.params, se, df, level)
    return DomainShares(
        share=fit.params,
        std_error=se,
        conf_low=low,
        conf_high=high,
        n=y.sum(axis=0),
        df=df,
        sum_weights=float(w.sum()),
    )


# ---------------------------------------------------------------------------
# levels of a by-variable
# ---------------------------------------------------------------------------


def level_order(series: pd.Series) -> list[str]:
    """The natural order of a variable's levels as text.

    Categories in their declared order, booleans ``False`` then ``True``,
    numbers ascending, text sorted.
    """
    s = series.dropna()
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [_text(c) for c in series.cat.categories]
    if pd.api.types.is_bool_dtype(series.dtype):
        return ["False", "True"]
    if pd.api.types.is_numeric_dtype(series.dtype):
        return [_text(v) for v in sorted(pd.unique(s))]
    return sorted({_text(v) for v in s})


def _text(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "True" if value else "False"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def level_codes(series: pd.Series, levels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``series`` in ``levels`` (−1 where missing) and the missing mask."""
    missing = np.asarray(series.isna().to_numpy(), dtype=bool)
    index = {lv: i for i, lv in enumerate(levels)}
    tcodes, texts = text_codes(series)  # the text of each distinct value, made once
    to_level = np.array([index[t] for t in texts], dtype=np.int64)
    codes = np.full(len(series), -1, dtype=np.int64)
    use = ~missing & (tcodes >= 0)
    codes[use] = to_level[tcodes[use]]
    return codes, missing


def read_origin_lookup(path: str | Path | None = None) -> pd.DataFrame:
    """The origin-area lookup (origin_area, label, prewar_population_pct) in file order."""
    if path is None:
        from surveytk.paths import BUILTIN_LOOKUP_DIR

        path = BUILTIN_LOOKUP_DIR / ORIGIN_LOOKUP
    try:
        table = pd.read_csv(path, dtype={"origin_area": str, "label": str})
    except (OSError, pd.errors.ParserError) as exc:
        raise OutputError(
            f"{path}: cannot read the origin-area lookup ({type(exc).__name__}); restore it "
            "from the repository",
            file=str(path),
        ) from exc
    needed = {"origin_area", "prewar_population_pct"}
    if not needed <= set(table.columns):
        raise OutputError(
            f"{path}: the origin-area lookup needs columns origin_area and prewar_population_pct",
            file=str(path),
        )
    return table


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


def file_labeller(
    frame: AnalysisFrame, *, enabled: bool = True, schema: str | Path | None = None
) -> Labeller:
    """Labels of the common schema, with the file's own variable and value labels first."""
    base = Labeller.from_schema(schema, enabled=enabled)
    return base.with_file_labels(frame.variable_labels, frame.value_labels)


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
        A condition (:mod:`surveytk.expr`): shares within this domain, the full
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
    y; its variance is linearised (:func:`share_kernel`, :func:`domain_shares`)
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
        from surveytk.expr import parse_condition

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


# ---------------------------------------------------------------------------
# the table: adapter to the report renderers
# ---------------------------------------------------------------------------


def _pct(x: float, digits: int, minus: str) -> Cell:
    from surveytk.report.style import format_number

    if not np.isfinite(x):
        return Cell("")
    fmt = "0" + ("." + "0" * digits if digits else "")
    return Cell(format_number(100.0 * x, digits, minus=minus), round(100.0 * x, 10), fmt)


def _level_label(labeller: Labeller, variable: str, value: str) -> str:
    if value == MISSING_LEVEL:
        return MISSING_LEVEL
    if value in ("True", "False") and labeller.enabled:
        text = labeller.level(variable, value)
        return text if text != value else ("Yes" if value == "True" else "No")
    return labeller.level(variable, value)


def _cell_row(
    label: str, row: pd.Series, tab: Tabulation, digits: int, minus: str
) -> tuple[Cell, ...]:
    from surveytk.report.style import format_count, format_number

    if bool(row["suppressed"]):
        cells = [Cell(label)] + [Cell(SUPPRESSED_MARKER)] * 4
        if tab.reference:
            prewar = float(row["prewar_pct"])
            cells += [_plain(prewar, 1, minus), Cell(SUPPRESSED_MARKER)]
        return tuple(cells)
    n = float(row["n"])
    lo, hi = float(row["conf_low"]), float(row["conf_high"])
    ci = (
        Cell(
            f"[{format_number(100 * lo, digits, minus=minus)}, "
            f"{format_number(100 * hi, digits, minus=minus)}]"
        )
        if np.isfinite(lo)
        else Cell("")
    )
    cells = [
        Cell(label),
        Cell(format_count(n, minus=minus), n, "#,##0"),
        _pct(float(row["share"]), digits, minus),
        _pct(float(row["std_error"]), digits, minus),
        ci,
    ]
    if tab.reference:
        cells += [_plain(float(row["prewar_pct"]), 1, minus), _plain(float(row["ratio"]), 2, minus)]
    return tuple(cells)


def _plain(x: float, digits: int, minus: str) -> Cell:
    from surveytk.report.style import format_number

    if not np.isfinite(x):
        return Cell("")
    fmt = "0" + ("." + "0" * digits if digits else "")
    return Cell(format_number(x, digits, minus=minus), x, fmt)


def _total_row(
    n: float, suppressed: bool, tab: Tabulation, digits: int, minus: str
) -> tuple[Cell, ...]:
    from surveytk.report.style import format_count, format_number

    width = 6 if tab.reference else 4
    if suppressed:
        return (Cell("Total"), Cell(SUPPRESSED_MARKER), *([Cell("")] * (width - 1)))
    hundred = Cell(
        format_number(100.0, digits, minus=minus), 100.0, "0." + "0" * digits if digits else "0"
    )
    rest = [Cell("")] * (width - 2)
    return (Cell("Total"), Cell(format_count(n, minus=minus), n, "#,##0"), hundred, *rest)


def tabulation_grid(
    tab: Tabulation,
    *,
    labeller: Labeller | None = None,
    digits: int = 1,
    title: str | None = None,
    minus: str = "\u2212",
) -> TextTable:
    """The tabulation as a :class:`~surveytk.report.table_model.TextTable` for the renderers.

    Shares, standard errors and intervals in percent; one section per level
    of the first by-variable when there are two; a ``Total`` row per section;
    suppressed cells shown as :data:`~surveytk.disclosure.SUPPRESSED_MARKER`.
    """
    lab = labeller or Labeller(enabled=False)
    inner = tab.by[-1]
    level_pct = f"{100 * tab.level:g}% CI"
    head = ["", "n", "Share (%)", "SE", level_pct]
    if tab.reference:
        head += ["Pre-war population (%)", "Ratio"]
    sections: list[Section] = []
    for _, dom in tab.domains.iterrows():
        rows = tab.cells[tab.cells["domain"] == dom["domain"]]
        body = [
            _cell_row(_level_label(lab, inner, str(r["level"])), r, tab, digits, minus)
            for _, r in rows.iterrows()
        ]
        body.append(_total_row(float(dom["n"]), bool(dom["suppressed"]), tab, digits, minus))
        sec_title = (
            f"{lab.variable(tab.by[0])}: {_level_label(lab, tab.by[0], str(dom['domain']))}"
            if len(tab.by) == 2
            else None
        )
        sections.append(Section("estimates", sec_title, tuple(body)))
    return TextTable(
        title=title or default_title(tab, lab),
        header=(tuple((h, 1) for h in head),),
        sections=tuple(sections),
        notes=table_notes(tab),
        n_columns=len(head),
    )


def default_title(tab: Tabulation, labeller: Labeller) -> str:
    """``Shares by <x>`` or ``<x2> by <x1>``, with the origin reference named."""
    inner = labeller.variable(tab.by[-1])
    text = (
        f"{inner} by {labeller.variable(tab.by[0])}" if len(tab.by) == 2 else f"Shares by {inner}"
    )
    if tab.reference == "origin":
        text += ", compared with the pre-war population"
    return text


def table_notes(tab: Tabulation) -> tuple[str, ...]:
    """The notes below a tabulation: what the numbers are, the design, suppression."""
    kind = "weighted" if tab.weighted else "unweighted"
    n_text = "suppressed" if tab.n_total is None else f"{tab.n_total:,}"
    df = tab.design.df_design
    df_text = f"{df:g}" if df is not None else "n/a"
    notes = [
        f"Shares of respondents ({kind}) in percent; n = unweighted respondents "
        f"(total {n_text}). SE in percentage points; {100 * tab.level:g}% confidence "
        f"intervals use t with the design degrees of freedom of each domain (whole table: "
        f"{df_text}).",
        tab.design.describe(),
    ]
    if tab.reference == "origin":
        notes.append(
            "Pre-war population shares: codebooks/lookups/origin_areas.csv (Clingendael 2025, "
            "Tabel 1); ratio = share / pre-war share."
        )
    notes.extend(tab.notes)
    notes.append(
        suppression_note(tab.threshold)
        if tab.n_suppressed
        else f"No cell has fewer than {tab.threshold} respondents."
    )
    return tuple(notes)


def render_tabulation(
    tab: Tabulation,
    fmt: str,
    *,
    labeller: Labeller | None = None,
    digits: int = 1,
    title: str | None = None,
) -> bytes:
    """Render ``tab`` in one of the report formats (md, latex, html, docx, xlsx, csv,
    parquet); ``csv`` and ``parquet`` hold the tidy numbers (:func:`tidy_tabulation`)."""
    import importlib

    from surveytk.report.style import ASCII_MINUS, UNICODE_MINUS

    if fmt in ("csv", "parquet"):
        from surveytk.report.render_tidy import frame_csv, frame_parquet

        frame = tidy_tabulation(tab, labeller or Labeller(enabled=False))
        if fmt == "csv":
            return frame_csv(frame)
        return frame_parquet(frame, title or default_title(tab, labeller or Labeller()),
                             table_notes(tab))
    if fmt not in RENDERERS:
        formats = (*RENDERERS, *TIDY_FORMATS)
        raise OutputError(f"table format: expecting one of {{{', '.join(formats)}}}; got {fmt!r}")
    grid = tabulation_grid(
        tab,
        labeller=labeller,
        digits=digits,
        title=title,
        minus=ASCII_MINUS if fmt == "csv" else UNICODE_MINUS,
    )
    module, function = RENDERERS[fmt]
    out = getattr(importlib.import_module(module), function)(grid)
    return out.encode("utf-8") if isinstance(out, str) else out


def tidy_tabulation(tab: Tabulation, labeller: Labeller) -> pd.DataFrame:
    """The cells as numbers (shares as proportions 0–1), with the by-variables and labels.

    Columns: ``variable``, ``level``, ``level_label`` (and ``domain_variable``,
    ``domain``, ``domain_label`` for two by-variables), then the numbers of
    :attr:`Tabulation.cells` and ``weighted``; a suppressed cell keeps its row with
    missing numbers.
    """
    cells = tab.to_frame()
    out = pd.DataFrame()
    if len(tab.by) == 2:
        out["domain_variable"] = [tab.by[0]] * len(cells)
        out["domain"] = cells["domain"].astype(str).to_numpy()
        out["domain_label"] = [_level_label(labeller, tab.by[0], str(d)) for d in cells["domain"]]
    variable = tab.by[-1]
    out["variable"] = [variable] * len(cells)
    out["level"] = cells["level"].astype(str).to_numpy()
    out["level_label"] = [_level_label(labeller, variable, str(v)) for v in cells["level"]]
    for c in cells.columns:
        if c not in ("domain", "level"):
            out[c] = cells[c].to_numpy()
    out["weighted"] = tab.weighted
    return out
