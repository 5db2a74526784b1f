"""A format-neutral table built from one or more results, and its text grid.

:func:`build_table` turns :class:`~surveytk.models.results.FitResult` objects
into a :class:`TableModel` holding numbers (one column per model, or per
outcome level of a multinomial/ordinal block, grouped under a spanner per
model), rows in formula order, a thresholds block, a fit-statistics block and
the notes. :func:`text_grid` formats it once into strings; the Markdown,
LaTeX, HTML, DOCX and CSV renderers only lay that grid out, and the XLSX
renderer also uses each cell's number and number format.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from surveytk.errors import OutputError
from surveytk.models.results import FitResult
from surveytk.report.labels import INTERCEPT_NAMES, Labeller
from surveytk.report.style import (
    UNICODE_MINUS,
    StatKind,
    format_count,
    format_df,
    format_number,
    stars_for,
    stars_note,
    stat_note,
)

#: Models whose coefficients exponentiate to odds ratios / relative-risk ratios.
EXP_MODELS = frozenset({"logit", "ologit", "mlogit"})

MODEL_NAMES_LONG = {
    "logit": "Logit",
    "probit": "Probit",
    "lpm": "Linear probability",
    "ologit": "Ordered logit",
    "oprobit": "Ordered probit",
    "mlogit": "Multinomial logit",
    "panel-fe": "Panel, fixed effects",
    "panel-re": "Panel, random effects",
}


def exp_note(models: Sequence[str], has_thresholds: bool) -> str:
    """The note for ``--exp``, naming odds ratios and/or relative-risk ratios."""
    kinds = []
    if any(m != "mlogit" for m in models):
        kinds.append("odds ratios")
    if "mlogit" in models:
        kinds.append("relative-risk ratios")
    text = (
        f"Exponentiated coefficients ({' and '.join(kinds)}) with delta-method standard "
        "errors exp(b)·se; confidence intervals are exponentiated bounds; t statistics and "
        "p-values test b = 0."
    )
    return text + (" Thresholds are not exponentiated." if has_thresholds else "")


AME_NOTE = (
    "Average marginal effects on the probability of each outcome: discrete change for "
    "categorical and boolean terms, derivative for numeric terms; delta-method standard errors."
)


@dataclass(frozen=True)
class TableOptions:
    """What ``surveytk table`` was asked for (see the CLI for each flag)."""

    stat: StatKind = "se"
    stars: tuple[float, ...] = ()
    exp: bool = False
    ame: bool = False
    digits: int = 3
    level: float = 0.95
    title: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One estimate with everything that can be shown beneath it."""

    estimate: float
    std_error: float
    statistic: float
    p_value: float
    conf_low: float
    conf_high: float


@dataclass(frozen=True)
class Column:
    """One column of numbers: a model, or one outcome level of a model."""

    model: int
    model_label: str
    level: str
    level_label: str


@dataclass(frozen=True)
class EstimateRow:
    term: str
    label: str
    entries: tuple[Entry | None, ...]


@dataclass(frozen=True)
class FitRow:
    label: str
    kind: str  # "count", "float", "df", "text"
    values: tuple[float | str | None, ...]


@dataclass(frozen=True)
class TableModel:
    """Numbers and labels of a results table, independent of the output format."""

    title: str
    columns: tuple[Column, ...]
    estimates: tuple[EstimateRow, ...]
    thresholds: tuple[EstimateRow, ...]
    fit: tuple[FitRow, ...]
    notes: tuple[str, ...]
    options: TableOptions

    @property
    def spanners(self) -> tuple[tuple[str, int], ...]:
        """(model label, number of columns) per model, in column order."""
        out: list[tuple[str, int]] = []
        for col in self.columns:
            if out and col.model == len(out) - 1:
                out[-1] = (out[-1][0], out[-1][1] + 1)
            else:
                out.append((col.model_label, 1))
        return tuple(out)

    @property
    def has_levels(self) -> bool:
        return any(n > 1 for _, n in self.spanners) or any(c.level for c in self.columns)


# ---- numbers ----------------------------------------------------------------------------


def block_entries(result: FitResult, *, ame: bool, exp: bool, level: float) -> list[dict]:
    """Tidy rows of the chosen block (with exponentiation applied) as plain dicts."""
    tidy = result.tidy(level, ame=ame)
    wanted = tidy["effect"] == "ame" if ame else tidy["effect"].isin(("coefficient", "threshold"))
    rows = tidy[wanted].to_dict(orient="records")
    if exp:
        rows = [exponentiate(r) if r["effect"] == "coefficient" else r for r in rows]
    return rows


def exponentiate(row: dict) -> dict:
    """exp(b) with delta-method SE exp(b)·se and exponentiated CI bounds.

    Notes
    -----
    For g(b) = exp(b), Var g(b) ≈ g'(b)² Var b, so se = exp(b)·se(b) (delta
    method; Stata's ``logit, or``). The bounds exp(b ± q·se) are the image of
    the interval for b, which keeps the interval inside (0, ∞). The statistic
    and p-value remain those of H0: b = 0.
    """
    b = float(row["estimate"])
    out = dict(row)
    out["estimate"] = math.exp(b)
    out["std_error"] = math.exp(b) * float(row["std_error"])
    out["conf_low"] = math.exp(float(row["conf_low"]))
    out["conf_high"] = math.exp(float(row["conf_high"]))
    return out


def _entry(row: dict) -> Entry:
    return Entry(
        *(
            float(row[k])
            for k in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")
        )
    )


def _ordered_union(seqs: Sequence[Sequence[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for seq in seqs:
        for item in seq:
            seen.setdefault(item, None)
    terms = list(seen)
    intercepts = [t for t in terms if t in INTERCEPT_NAMES]
    return intercepts + [t for t in terms if t not in INTERCEPT_NAMES]


def _levels_of(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["y_level"] for r in rows if r["effect"] != "threshold"))


# ---- checks -------------------------------------------------------------------------------


def check_request(results: Sequence[FitResult], labels: Sequence[str], opts: TableOptions) -> None:
    """Refuse combinations that would produce a wrong table."""
    if not results:
        raise OutputError("no results given; pass one or more results JSON files")
    if opts.exp and opts.ame:
        raise OutputError("--exp and --ame do not combine: AMEs are not exponentiated")
    if opts.digits < 0 or opts.digits > 10:
        raise OutputError(f"--digits must be between 0 and 10; got {opts.digits}")
    for result, label in zip(results, labels, strict=True):
        if opts.ame and result.ame is None:
            raise OutputError(
                f"{label}: results have no average marginal effects; refit with --ame"
            )
        if opts.exp and result.model not in EXP_MODELS:
            raise OutputError(
                f"{label}: --exp gives odds ratios only for {', '.join(sorted(EXP_MODELS))}; "
                f"this is a {result.model} model. Drop --exp or this result."
            )


# ---- building -----------------------------------------------------------------------------


def default_title(results: Sequence[FitResult], opts: TableOptions, labeller: Labeller) -> str:
    kind = (
        "Average marginal effects"
        if opts.ame
        else ("Exponentiated coefficients" if opts.exp else "Coefficients")
    )
    outcomes = list(dict.fromkeys(r.outcome for r in results))
    return f"{kind}: {', '.join(labeller.variable(o) for o in outcomes)}"


def _model_columns(
    i: int, result: FitResult, label: str, rows: list[dict], labeller: Labeller
) -> list[Column]:
    levels = [lv for lv in _levels_of(rows) if lv] or [""]
    return [Column(i, label, lv, labeller.level(result.outcome, lv) if lv else "") for lv in levels]


def _estimate_rows(
    terms: list[str],
    columns: list[Column],
    per_model: list[list[dict]],
    label_of: dict[str, str],
) -> tuple[EstimateRow, ...]:
    out: list[EstimateRow] = []
    for term in terms:
        entries: list[Entry | None] = []
        for col in columns:
            rows = per_model[col.model]
            model_cols = [c for c in columns if c.model == col.model]
            entries.append(_find_entry(rows, term, col, model_cols))
        out.append(EstimateRow(term, label_of[term], tuple(entries)))
    return tuple(out)


def _find_entry(rows: list[dict], term: str, col: Column, model_cols: list[Column]) -> Entry | None:
    levels = {c.level for c in model_cols}
    for r in rows:
        if r["term"] != term:
            continue
        y = r["y_level"]
        if y == col.level or (y not in levels and col is model_cols[0]):
            return _entry(r)
    return None


def _fit_rows(results: Sequence[FitResult], columns: Sequence[Column]) -> tuple[FitRow, ...]:
    def spread(values: list[float | str | None]) -> tuple[float | str | None, ...]:
        out: list[float | str | None] = []
        for col in columns:
            first = next(c for c in columns if c.model == col.model) is col
            out.append(values[col.model] if first else None)
        return tuple(out)

    specs: list[tuple[str, str, list[float | str | None]]] = [
        ("Model", "text", [MODEL_NAMES_LONG.get(r.model, r.model) for r in results]),
        ("N", "count", [r.design.n_obs for r in results]),
        ("Sum of weights", "float", [r.design.sum_weights for r in results]),
        ("PSUs", "count", [r.design.n_psu for r in results]),
        ("Strata", "count", [r.design.n_strata for r in results]),
        ("Design df", "df", [r.design.df_design for r in results]),
        ("Log pseudo-likelihood", "float", [r.loglik for r in results]),
        ("Pseudo R²", "float", [r.pseudo_r2 for r in results]),
    ]
    return tuple(
        FitRow(label, kind, spread(values))
        for label, kind, values in specs
        if any(v is not None for v in values)
    )


def _notes(
    results: Sequence[FitResult], labels: Sequence[str], opts: TableOptions, labeller: Labeller
) -> tuple[str, ...]:
    notes = [stat_note(opts.stat, opts.level)]
    if opts.stars:
        notes.append(stars_note(opts.stars))
    if opts.exp:
        has_thresholds = any("threshold" in r.coef.effects for r in results)
        notes.append(exp_note([r.model for r in results], has_thresholds))
    if opts.ame:
        notes.append(AME_NOTE)
    many = len(results) > 1
    for result, label in zip(results, labels, strict=True):
        if result.model == "mlogit" and result.base_level and not opts.ame:
            base = labeller.level(result.outcome, result.base_level)
            notes.append(f"{label + ': ' if many else ''}base outcome {base}.")
    described: dict[str, list[str]] = {}
    for result, label in zip(results, labels, strict=True):
        described.setdefault(result.design.describe(), []).append(label)
    if len(described) == 1:
        notes.extend(described)
    else:
        notes.extend(f"{', '.join(heads)}: {d}" for d, heads in described.items())
    for result, label in zip(results, labels, strict=True):
        notes.extend(f"{label + ': ' if many else ''}{n}" for n in result.notes)
    notes.extend(opts.notes)
    return tuple(notes)


def result_variable_labels(results: Sequence[FitResult]) -> dict[str, str]:
    """Variable labels of the raw files the results were fitted on (``extra``), first wins."""
    out: dict[str, str] = {}
    for r in results:
        labels = r.extra.get("variable_labels") if isinstance(r.extra, Mapping) else None
        if isinstance(labels, Mapping):
            for k, v in labels.items():
                out.setdefault(str(k), str(v))
    return out


def build_table(
    results: Sequence[FitResult],
    labels: Sequence[str] | None = None,
    *,
    options: TableOptions | None = None,
    labeller: Labeller | None = None,
) -> TableModel:
    """Lay several results side by side.

    Parameters
    ----------
    results
        Fitted models, one column group each, in the order given.
    labels
        Column headings; default ``FitResult.label`` or ``(1)``, ``(2)``, ….
    options
        Statistic beneath estimates, stars, ``exp``, ``ame``, digits, title, notes.
    labeller
        Term and level labels; default raw names.

    Returns
    -------
    TableModel
    """
    opts = options or TableOptions()
    lab = (labeller or Labeller(enabled=False)).with_file_labels(result_variable_labels(results))
    heads = (
        list(labels)
        if labels is not None
        else [r.label or f"({i + 1})" for i, r in enumerate(results)]
    )
    check_request(results, heads, opts)
    per_model = [block_entries(r, ame=opts.ame, exp=opts.exp, level=opts.level) for r in results]
    columns: list[Column] = []
    for i, (result, rows) in enumerate(zip(results, per_model, strict=True)):
        columns.extend(_model_columns(i, result, heads[i], rows, lab))
    est_terms = _ordered_union(
        [[r["term"] for r in rows if r["effect"] != "threshold"] for rows in per_model]
    )
    thr_terms = _ordered_union(
        [[r["term"] for r in rows if r["effect"] == "threshold"] for rows in per_model]
    )
    label_of = {t: lab.term(t) for t in est_terms}
    for result, rows in zip(results, per_model, strict=True):
        for r in rows:
            if r["effect"] == "threshold":
                label_of.setdefault(r["term"], lab.threshold(r["term"], result.outcome))
    return TableModel(
        title=opts.title or default_title(results, opts, lab),
        columns=tuple(columns),
        estimates=_estimate_rows(est_terms, columns, per_model, label_of),
        thresholds=_estimate_rows(thr_terms, columns, per_model, label_of),
        fit=_fit_rows(results, columns),
        notes=_notes(results, heads, opts, lab),
        options=opts,
    )


# ---- text grid -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A formatted cell; ``value``/``number_format`` let spreadsheets keep numbers."""

    text: str
    value: float | None = None
    number_format: str | None = None
    span: int = 1


def expand_spans(row: Sequence[Cell]) -> list[Cell]:
    """The row with each spanning cell followed by empty cells (for md and CSV)."""
    out: list[Cell] = []
    for cell in row:
        out.append(cell)
        out.extend(Cell("") for _ in range(cell.span - 1))
    return out


@dataclass(frozen=True)
class Section:
    """Rows of a body block; ``name`` is ``estimates``, ``thresholds`` or ``fit``."""

    name: str
    title: str | None
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class TextTable:
    """The formatted table: header rows with spans, body sections, notes."""

    title: str
    header: tuple[tuple[tuple[str, int], ...], ...]
    sections: tuple[Section, ...]
    notes: tuple[str, ...]
    n_columns: int = field(default=0)


def _excel_format(digits: int, wrap: str = "") -> str:
    body = "0" + ("." + "0" * digits if digits > 0 else "")
    if wrap == "()":
        return f'"("{body}")";"(-"{body}")"'
    return body


def _estimate_cells(entry: Entry | None, opts: TableOptions, minus: str) -> tuple[Cell, Cell]:
    if entry is None:
        return Cell(""), Cell("")
    d = opts.digits
    stars = stars_for(entry.p_value, opts.stars)
    numeric = not stars and math.isfinite(entry.estimate)
    top = Cell(
        format_number(entry.estimate, d, minus=minus) + stars,
        entry.estimate if numeric else None,
        _excel_format(d) if numeric else None,
    )
    if opts.stat == "ci":
        if not (math.isfinite(entry.conf_low) and math.isfinite(entry.conf_high)):
            return top, Cell("")
        lo = format_number(entry.conf_low, d, minus=minus)
        hi = format_number(entry.conf_high, d, minus=minus)
        return top, Cell(f"[{lo}, {hi}]")
    value = {"se": entry.std_error, "t": entry.statistic, "p": entry.p_value}[opts.stat]
    if not np.isfinite(value):
        return top, Cell("")
    return top, Cell(f"({format_number(value, d, minus=minus)})", value, _excel_format(d, "()"))


def _fit_cell(row: FitRow, value: float | str | None, digits: int, minus: str) -> Cell:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return Cell("")
    if isinstance(value, str):
        return Cell(value)
    if row.kind == "count":
        return Cell(format_count(value, minus=minus), float(value), "#,##0")
    if row.kind == "df":
        fmt = "#,##0" if float(value).is_integer() else _excel_format(digits)
        return Cell(format_df(value, digits, minus=minus), float(value), fmt)
    if row.label == "Sum of weights":
        return Cell(f"{value:,.1f}".replace("-", minus), float(value), "#,##0.0")
    return Cell(format_number(value, digits, minus=minus), float(value), _excel_format(digits))


def _header(model: TableModel) -> tuple[tuple[tuple[str, int], ...], ...]:
    if model.has_levels:
        top = (("", 1), *model.spanners)
        bottom = (("", 1), *((c.level_label, 1) for c in model.columns))
        return (top, bottom)
    return ((("", 1), *((c.model_label, 1) for c in model.columns)),)


def _estimate_section(
    name: str, title: str | None, rows: Sequence[EstimateRow], opts: TableOptions, minus: str
) -> Section:
    out: list[tuple[Cell, ...]] = []
    for row in rows:
        pairs = [_estimate_cells(e, opts, minus) for e in row.entries]
        out.append((Cell(row.label), *(p[0] for p in pairs)))
        out.append((Cell(""), *(p[1] for p in pairs)))
    return Section(name, title, tuple(out))


def text_grid(model: TableModel, *, minus: str = UNICODE_MINUS) -> TextTable:
    """Format every number of ``model`` once, with the given minus sign."""
    opts = model.options
    sections = [_estimate_section("estimates", None, model.estimates, opts, minus)]
    if model.thresholds:
        sections.append(
            _estimate_section("thresholds", "Thresholds", model.thresholds, opts, minus)
        )
    spans = [n for _, n in model.spanners]
    starts = [sum(spans[:i]) for i in range(len(spans))]
    fit_rows = tuple(
        (
            Cell(r.label),
            *(
                replace(_fit_cell(r, r.values[start], opts.digits, minus), span=n)
                for start, n in zip(starts, spans, strict=True)
            ),
        )
        for r in model.fit
    )
    sections.append(Section("fit", None, fit_rows))
    return TextTable(
        title=model.title,
        header=_header(model),
        sections=tuple(sections),
        notes=model.notes,
        n_columns=len(model.columns) + 1,
    )
