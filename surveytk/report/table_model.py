"""A format-neutral results table built from one or more fitted results.

:func:`build_table` turns :class:`~surveytk.models.results.FitResult` objects
into a :class:`TableModel` holding numbers (one column per model, or per
outcome level of a multinomial/ordinal block, grouped under a spanner per
model), rows in formula order, a thresholds block, a fit-statistics block and
the notes. :func:`surveytk.report.table_format.text_grid` formats it once into a
:class:`~surveytk.report.text_table.TextTable` that the renderers lay out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

from surveytk.errors import OutputError
from surveytk.models.results import FitResult
from surveytk.report.style import (
    StatKind,
    stars_note,
    stat_note,
)
from surveytk.report.term_labels import (
    INTERCEPT_NAMES,
    Labeller,
    formula_references,
)
from surveytk.survey.summary import DesignSummary
from surveytk.survey.summary_names import (
    DESIGN_DF_LABEL,
    N_LABEL,
    PSU_LABEL,
    RESIDUAL_DF_LABEL,
    STRATA_LABEL,
    SUM_WEIGHTS_LABEL,
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
    #: (variable, factor, unit): effects of numeric ``variable`` per ``factor`` units
    scale: tuple[tuple[str, float, str], ...] = ()
    #: more decimals in a row whose estimates or SEs would otherwise print as zero
    auto_digits: bool = True
    #: show coefficients of categories held by fewer than threshold respondents
    #: (``extra["small_categories"]``); by default they are left out with a note
    show_small_cells: bool = False


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
    """One term; ``group`` is the heading of a categorical variable's levels
    (``Gender (ref.: Female)``), under which ``label`` is the level alone."""

    term: str
    label: str
    entries: tuple[Entry | None, ...]
    group: str | None = None


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


def block_entries(
    result: FitResult,
    *,
    ame: bool,
    exp: bool,
    level: float,
    scale: Sequence[tuple[str, float, str]] = (),
) -> list[dict]:
    """Tidy rows of the chosen block (scaled, then exponentiated) as plain dicts."""
    tidy = result.tidy(level, ame=ame)
    wanted = tidy["effect"] == "ame" if ame else tidy["effect"].isin(("coefficient", "threshold"))
    rows = tidy[wanted].to_dict(orient="records")
    factors = {var: factor for var, factor, _ in scale}
    rows = [rescale(r, factors[r["term"]]) if r["term"] in factors else r for r in rows]
    if exp:
        rows = [exponentiate(r) if r["effect"] == "coefficient" else r for r in rows]
    return rows


def rescale(row: dict, factor: float) -> dict:
    """The effect of ``factor`` units instead of one: estimate, SE and bounds × factor.

    For a coefficient (or an AME, a derivative) b of a numeric variable, the
    effect of c units on the linear predictor is c·b with standard error
    |c|·se; the statistic and p-value are unchanged.
    """
    out = dict(row)
    for key in ("estimate", "std_error", "conf_low", "conf_high"):
        out[key] = float(row[key]) * factor
    if factor < 0:
        out["conf_low"], out["conf_high"] = out["conf_high"], out["conf_low"]
        out["std_error"] = -out["std_error"]
    return out


def parse_scale(items: Sequence[str]) -> tuple[tuple[str, float, str], ...]:
    """``["age=10 years"]`` → ``(("age", 10.0, "years"),)``; raises ValueError."""
    out = []
    for item in items:
        var, sep, rest = item.partition("=")
        factor_text, _, unit = rest.strip().partition(" ")
        try:
            factor = float(factor_text)
        except ValueError:
            factor = float("nan")
        if not sep or not var.strip() or not math.isfinite(factor) or factor == 0:
            raise ValueError(
                f"expecting VARIABLE=FACTOR [UNIT], e.g. 'age=10 years'; got {item!r}"
            )
        out.append((var.strip(), factor, unit.strip()))
    return tuple(out)


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
    for var, _, _ in opts.scale:
        if not any(var in r.coef.terms for r in results):
            raise OutputError(
                f"--scale {var}: no result has a numeric term {var!r}; scale a numeric "
                "variable of the formula (categorical levels cannot be rescaled)"
            )
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
    group_of: Mapping[str, str | None] | None = None,
) -> tuple[EstimateRow, ...]:
    out: list[EstimateRow] = []
    for term in terms:
        entries: list[Entry | None] = []
        for col in columns:
            rows = per_model[col.model]
            model_cols = [c for c in columns if c.model == col.model]
            entries.append(_find_entry(rows, term, col, model_cols))
        group = (group_of or {}).get(term)
        out.append(EstimateRow(term, label_of[term], tuple(entries), group))
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
        (N_LABEL, "count", [r.design.n_obs for r in results]),
        (SUM_WEIGHTS_LABEL, "weights", [r.design.sum_weights for r in results]),
        (PSU_LABEL, "count", [r.design.n_psu for r in results]),
        (STRATA_LABEL, "count", [r.design.n_strata for r in results]),
        (DESIGN_DF_LABEL, "df", [r.design.df_design for r in results]),
        (RESIDUAL_DF_LABEL, "df", [r.df_resid for r in results]),
        # the deviance (weights normalised to mean one, as R's svyglm) replaces the
        # log pseudo-likelihood on the scale of the raw weights where a fit has it
        (
            "Log pseudo-likelihood",
            "float",
            [r.loglik if _extra_number(r, "deviance") is None else None for r in results],
        ),
        ("Deviance", "float", [_extra_number(r, "deviance") for r in results]),
        ("AIC (design-based)", "float", [_extra_number(r, "aic") for r in results]),
        ("Pseudo R²", "float", [r.pseudo_r2 for r in results]),
        ("R²", "float", [_extra_number(r, "r2") for r in results]),
    ]
    return tuple(
        FitRow(label, kind, spread(values))
        for label, kind, values in specs
        if any(v is not None for v in values)
    )


def _extra_number(result: FitResult, key: str) -> float | None:
    value = result.extra.get(key) if isinstance(result.extra, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


#: DesignSummary fields the design note spells out itself (any other field with a
#: value, added by a later design, is listed by name; calibration is in describe()).
_DESIGN_SPELT_OUT = frozenset(
    {"n_obs", "sum_weights", "n_psu", "n_strata", "df_design", "variance", "weights",
     "strata", "psu", "cluster", "n_replicates", "subpop", "lonely_psu", "fpc", "calibration"}
)


def design_note(design: DesignSummary) -> str:
    """The variance estimator and design variables, the fpc and any further design field."""
    text = design.describe().rstrip(".")
    extras = []
    if design.fpc:
        extras.append(f"finite population correction {design.fpc}")
    for key, value in asdict(design).items():
        if key in _DESIGN_SPELT_OUT or value in (None, "", (), [], {}):
            continue
        extras.append(f"{key.replace('_', ' ')} {value}")
    return text + ("; " + ", ".join(extras) if extras else "") + "."


def domain_note(design: DesignSummary) -> str | None:
    """The domain (``--subpop``) a fit was restricted to, or ``None`` for the whole sample."""
    if not design.subpop:
        return None
    return (
        f"Domain: {design.subpop} (estimated as a subpopulation: every PSU and stratum "
        "of the full design kept for the variance)."
    )


def _without_small_categories(
    results: Sequence[FitResult], per_model: list[list[dict[str, object]]]
) -> tuple[list[list[dict[str, object]]], list[str]]:
    """Rows of terms each result flags in ``extra["small_categories"]`` left out."""
    kept: list[list[dict[str, object]]] = []
    suppressed: list[str] = []
    for result, rows in zip(results, per_model, strict=True):
        small = {str(t) for t in result.extra.get("small_categories", ()) or ()}
        kept.append([r for r in rows if r["term"] not in small])
        suppressed.extend(t for t in sorted(small) if t not in suppressed)
    return kept, suppressed


def _suppressed_note(terms: Sequence[str]) -> tuple[str, ...]:
    if not terms:
        return ()
    return (
        f"Not shown: {', '.join(terms)} (categories held by fewer respondents than the "
        "disclosure threshold; surveytk table --show-small-cells shows them).",
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
    if opts.scale:
        notes.append(
            "Effects of "
            + ", ".join(
                f"{labeller.variable(v)} per {f:g}{' ' + u if u else ' units'}"
                for v, f, u in opts.scale
            )
            + " (estimate, standard error and interval × the factor)."
        )
    notes.extend(_grouped(results, labels, domain_note))
    notes.extend(_grouped(results, labels, design_note))
    notes.extend(_result_notes(results, labels))
    notes.extend(opts.notes)
    return tuple(notes)


def _result_notes(results: Sequence[FitResult], labels: Sequence[str]) -> list[str]:
    """Each result's own notes, once per distinct text, prefixed with the columns it
    concerns unless it concerns all of them, ending with a full stop."""
    owners: dict[str, list[str]] = {}
    for result, label in zip(results, labels, strict=True):
        for note in result.notes:
            text = note.strip()
            text = text if text.endswith((".", "!", "?")) else text + "."
            if label not in owners.setdefault(text, []):
                owners[text].append(label)
    many = len(results) > 1
    return [
        text if not many or len(heads) == len(results) else f"{', '.join(heads)}: {text}"
        for text, heads in owners.items()
    ]


def _grouped(
    results: Sequence[FitResult],
    labels: Sequence[str],
    note: Callable[[DesignSummary], str | None],
) -> list[str]:
    """One note per distinct text, prefixed with the columns it applies to when they differ."""
    described: dict[str, list[str]] = {}
    for result, label in zip(results, labels, strict=True):
        text = note(result.design)
        if text:
            described.setdefault(text, []).append(label)
    if len(described) == 1 and len(next(iter(described.values()))) == len(results):
        return list(described)
    return [f"{', '.join(heads)}: {d}" for d, heads in described.items()]


def _term_labels(
    terms: Sequence[str],
    results: Sequence[FitResult],
    labeller: Labeller,
    scale: Sequence[tuple[str, float, str]],
) -> dict[str, tuple[str, str | None]]:
    """Term → (row label, group heading); categorical levels grouped under
    ``Variable (ref.: Level)``, numeric variables with their scaling."""
    refs: dict[str, list[str]] = {}
    for r in results:
        for var, ref in formula_references(r.formula).items():
            refs.setdefault(var, [])
            if ref not in refs[var]:
                refs[var].append(ref)
    shown: dict[str, set[str]] = {}
    for term in terms:
        cat = labeller.categorical(term)
        if cat is not None:
            shown.setdefault(cat[0], set()).add(cat[1])
    per = {var: (factor, unit) for var, factor, unit in scale}
    out: dict[str, tuple[str, str | None]] = {}
    for term in terms:
        cat = labeller.categorical(term) if labeller.enabled else None
        if cat is None:
            label = labeller.term(term)
            if term in per:
                factor, unit = per[term]
                label += f" (per {factor:g}{' ' + unit if unit else ''})"
            out[term] = (label, None)
            continue
        var, level = cat
        named = refs.get(var) or _only_missing_level(labeller.known_levels(var), shown[var])
        heading = labeller.variable(var)
        if named:
            heading += f" (ref.: {' / '.join(labeller.level(var, x) for x in named)})"
        out[term] = (labeller.level(var, level), heading)
    return out


def _only_missing_level(known: Sequence[str], shown: set[str]) -> list[str]:
    """The reference when the labels know every level and exactly one has no row."""
    lowered = {x.lower() for x in shown}
    missing = [k for k in known if k not in shown and k.lower() not in lowered]
    return missing if len(missing) == 1 else []


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
    per_model = [
        block_entries(r, ame=opts.ame, exp=opts.exp, level=opts.level, scale=opts.scale)
        for r in results
    ]
    suppressed: list[str] = []
    if not opts.show_small_cells:
        per_model, suppressed = _without_small_categories(results, per_model)
    columns: list[Column] = []
    for i, (result, rows) in enumerate(zip(results, per_model, strict=True)):
        columns.extend(_model_columns(i, result, heads[i], rows, lab))
    est_terms = _ordered_union(
        [[r["term"] for r in rows if r["effect"] != "threshold"] for rows in per_model]
    )
    thr_terms = _ordered_union(
        [[r["term"] for r in rows if r["effect"] == "threshold"] for rows in per_model]
    )
    labelled = _term_labels(est_terms, results, lab, opts.scale)
    label_of = {t: text for t, (text, _) in labelled.items()}
    group_of = {t: group for t, (_, group) in labelled.items()}
    for result, rows in zip(results, per_model, strict=True):
        for r in rows:
            if r["effect"] == "threshold":
                label_of.setdefault(r["term"], lab.threshold(r["term"], result.outcome))
    return TableModel(
        title=opts.title or default_title(results, opts, lab),
        columns=tuple(columns),
        estimates=_estimate_rows(est_terms, columns, per_model, label_of, group_of),
        thresholds=_estimate_rows(thr_terms, columns, per_model, label_of),
        fit=_fit_rows(results, columns),
        notes=_notes(results, heads, opts, lab) + _suppressed_note(suppressed),
        options=opts,
    )
