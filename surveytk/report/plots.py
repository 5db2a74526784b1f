"""Figures: coefficient and AME forest plots, and predicted probabilities by a variable.

matplotlib is imported inside the functions (``surveytk --help`` stays light)
and figures are built on a bare :class:`matplotlib.figure.Figure`, so no
global pyplot state or interactive backend is involved. Colours are the
Okabe–Ito palette with a distinct marker per model, so that figures stay
readable in greyscale and for colour-blind readers.

Predictions layout
------------------
``surveytk plot --kind predicted`` reads ``FitResult.extra["predictions"]``: a
list of records, one per point, each a mapping with

``x_var``
    name of the variable on the x axis (e.g. ``"age"``);
``x``
    its value (number for a numeric variable, level code as text otherwise);
``group_var`` / ``group``
    the variable whose levels get one line each and the level (text; ``""``
    and ``""`` for a single line);
``y_level``
    outcome level whose probability is predicted (``""`` for a binary
    outcome: P(outcome is true));
``estimate``, ``conf_low``, ``conf_high``
    predicted probability and its pointwise confidence band.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from surveytk.errors import OutputError
from surveytk.io.atomic import atomic_path
from surveytk.models.results import FitResult
from surveytk.report.forest import Point, figure_rc, forest_figure, new_figure, suptitle
from surveytk.report.style import MARKERS, OKABE_ITO
from surveytk.report.table_model import EXP_MODELS, block_entries
from surveytk.report.term_labels import (
    INTERCEPT_NAMES,
    Labeller,
    parse_term_part,
    split_interaction,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PlotKind = Literal["coef", "ame", "predicted"]
PLOT_KINDS: tuple[str, ...] = get_args(PlotKind)
FIGURE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
PREDICTION_KEYS: tuple[str, ...] = (
    "x_var",
    "x",
    "group_var",
    "group",
    "y_level",
    "estimate",
    "conf_low",
    "conf_high",
)
_BOOL_LABELS = {"true": "Yes", "false": "No"}


# ---- selecting what to draw ------------------------------------------------------------


def term_matches(term: str, wanted: Sequence[str]) -> bool:
    """``True`` if ``term`` is in ``wanted`` by full name or by a variable it involves."""
    if term in wanted:
        return True
    variables = {parse_term_part(p)[0] for p in split_interaction(term)}
    return bool(variables & set(wanted))


def forest_points(
    results: Sequence[FitResult],
    labels: Sequence[str],
    *,
    ame: bool,
    exp: bool = False,
    terms: Sequence[str] = (),
    level: float = 0.95,
    scale: Sequence[tuple[str, float, str]] = (),
) -> list[Point]:
    """Estimates and intervals to draw, thresholds and (unless asked for) intercepts left out."""
    points: list[Point] = []
    for i, (result, label) in enumerate(zip(results, labels, strict=True)):
        if ame and result.ame is None:
            raise OutputError(
                f"{label}: results have no average marginal effects; refit with --ame"
            )
        if exp and result.model not in EXP_MODELS:
            raise OutputError(
                f"{label}: --exp gives odds ratios only for {', '.join(sorted(EXP_MODELS))}; "
                f"this is a {result.model} model"
            )
        for row in block_entries(result, ame=ame, exp=exp, level=level, scale=scale):
            if row["effect"] == "threshold":
                continue
            term = str(row["term"])
            if terms and not term_matches(term, terms):
                continue
            if not terms and term in INTERCEPT_NAMES:
                continue
            points.append(
                Point(
                    i,
                    term,
                    str(row["y_level"]),
                    float(row["estimate"]),
                    float(row["conf_low"]),
                    float(row["conf_high"]),
                )
            )
    if not points:
        raise OutputError(
            "nothing to plot: no estimates match"
            + (f" --terms {','.join(terms)}" if terms else " (only intercepts/thresholds)")
        )
    return points


# ---- drawing -------------------------------------------------------------------------------


def forest_plot(
    results: Sequence[FitResult],
    labels: Sequence[str] | None = None,
    *,
    kind: Literal["coef", "ame"] = "coef",
    exp: bool = False,
    terms: Sequence[str] = (),
    title: str | None = None,
    labeller: Labeller | None = None,
    level: float = 0.95,
    scale: Sequence[tuple[str, float, str]] = (),
) -> Figure:
    """Dot-and-whisker plot of coefficients or AMEs, one panel per result.

    Each result (source) and outcome level gets its own panel with its own x
    scale; terms share the y axis. The reference line is at 0, or at 1 with
    ``exp`` (odds ratios, drawn on a log axis). ``scale`` shows the effect of
    a numeric variable per that many units (``("age", 10, "years")``).
    """
    lab = labeller or Labeller(enabled=False)
    heads = (
        list(labels)
        if labels is not None
        else [r.label or f"({i + 1})" for i, r in enumerate(results)]
    )
    if not results:
        raise OutputError("no results given; pass one or more results JSON files")
    points = forest_points(
        results, heads, ame=kind == "ame", exp=exp, terms=terms, level=level, scale=scale
    )
    per = {var: (factor, unit) for var, factor, unit in scale}
    names = {}
    for p in points:
        if p.term in per:
            factor, unit = per[p.term]
            names[p.term] = f"{lab.term(p.term)} (per {factor:g}{' ' + unit if unit else ''})"
    return forest_figure(
        results, heads, points, kind=kind, exp=exp, title=title, labeller=lab, level=level,
        term_labels=names,
    )


# ---- predicted probabilities ------------------------------------------------------------


def check_prediction_records(result: FitResult, label: str) -> list[dict[str, Any]]:
    """Validated ``extra["predictions"]`` of ``result`` (see the module docstring)."""
    records = result.extra.get("predictions") if isinstance(result.extra, Mapping) else None
    if not records or not isinstance(records, list):
        raise OutputError(
            f"{label}: results hold no predictions (extra['predictions']); "
            "fit with predictions to plot --kind predicted"
        )
    for rec in records:
        if not isinstance(rec, Mapping) or any(k not in rec for k in PREDICTION_KEYS):
            raise OutputError(
                f"{label}: a prediction record lacks one of {', '.join(PREDICTION_KEYS)}"
            )
    return [dict(r) for r in records]


def _is_numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _group_label(lab: Labeller, var: str, group: str) -> str:
    if not group:
        return ""
    text = lab.level(var, group)
    if text == group and lab.enabled and group.lower() in _BOOL_LABELS:
        return _BOOL_LABELS[group.lower()]
    return text


def _predicted_panel(
    ax: Axes, records: Sequence[dict[str, Any]], groups: Sequence[str], lab: Labeller
) -> None:
    import seaborn as sns

    xs_all = [r["x"] for r in records]
    numeric = _is_numeric(xs_all)
    categories = list(dict.fromkeys(str(x) for x in xs_all))
    step = 0.6 / max(len(groups), 1)
    for g_index, group in enumerate(groups):
        rows = [r for r in records if str(r["group"]) == group]
        colour = OKABE_ITO[g_index % len(OKABE_ITO)]
        marker = MARKERS[g_index % len(MARKERS)]
        group_var = str(rows[0]["group_var"]) if rows else ""
        name = _group_label(lab, group_var, group)
        if numeric:
            rows = sorted(rows, key=lambda r: float(r["x"]))
            x = [float(r["x"]) for r in rows]
            ax.fill_between(
                x,
                [float(r["conf_low"]) for r in rows],
                [float(r["conf_high"]) for r in rows],
                color=colour,
                alpha=0.18,
                linewidth=0,
            )
            sns.lineplot(
                x=x,
                y=[float(r["estimate"]) for r in rows],
                ax=ax,
                color=colour,
                marker=marker,
                markersize=3.5,
                linewidth=1.5,
                markeredgewidth=0,
                errorbar=None,  # the band is the model's interval, drawn above
                sort=False,
                label=name,
            )
        else:
            offset = (g_index - (len(groups) - 1) / 2) * step
            for r in rows:
                est = float(r["estimate"])
                ax.errorbar(
                    categories.index(str(r["x"])) + offset,
                    est,
                    yerr=[[est - float(r["conf_low"])], [float(r["conf_high"]) - est]],
                    fmt=marker,
                    color=colour,
                    capsize=2,
                    markersize=5,
                    label=name if r is rows[0] else None,
                )
    if not numeric:
        x_var = str(records[0]["x_var"])
        ax.set_xticks(range(len(categories)), [lab.level(x_var, c) for c in categories])
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def predicted_plot(
    results: Sequence[FitResult],
    labels: Sequence[str] | None = None,
    *,
    x_var: str | None = None,
    title: str | None = None,
    labeller: Labeller | None = None,
) -> Figure:
    """Predicted probability by ``x_var``, one line (with band) per group.

    One panel per result (rows) and outcome level (columns).
    """
    lab = labeller or Labeller(enabled=False)
    if not results:
        raise OutputError("no results given; pass one or more results JSON files")
    heads = (
        list(labels)
        if labels is not None
        else [r.label or f"({i + 1})" for i, r in enumerate(results)]
    )
    per_result = [check_prediction_records(r, h) for r, h in zip(results, heads, strict=True)]
    chosen = x_var or str(per_result[0][0]["x_var"])
    per_result = [[rec for rec in recs if rec["x_var"] == chosen] for recs in per_result]
    for recs, head in zip(per_result, heads, strict=True):
        if not recs:
            raise OutputError(f"{head}: no predictions by {chosen!r}; choose another --x")
    levels = list(dict.fromkeys(str(r["y_level"]) for recs in per_result for r in recs))
    n_rows, n_cols = len(results), len(levels)
    fig = new_figure(min(3.6 * n_cols + 1.2, 14.0), 2.9 * n_rows + 0.9)
    axes = fig.subplots(n_rows, n_cols, sharex=True, sharey=True, squeeze=False)
    for i, (result, recs, head) in enumerate(zip(results, per_result, heads, strict=True)):
        groups = list(dict.fromkeys(str(r["group"]) for r in recs))
        for j, lv in enumerate(levels):
            ax = axes[i][j]
            _predicted_panel(ax, [r for r in recs if str(r["y_level"]) == lv], groups, lab)
            parts = [head] if n_rows > 1 else []
            if lv:
                parts.append(lab.level(result.outcome, lv))
            if parts:
                ax.set_title(" — ".join(parts), fontsize=9)
        if any(groups):
            group_var = str(recs[0]["group_var"])
            axes[i][-1].legend(
                title=lab.variable(group_var), frameon=False, fontsize=8, title_fontsize=8
            )
    outcome = lab.variable(results[0].outcome)
    what = "Predicted probability" if _probability_scale(results) else "Predicted mean"
    fig.supylabel(
        f"{what}: {outcome}" if len(levels) == 1 and not levels[0] else what,
        fontsize=9,
    )
    fig.supxlabel(lab.variable(chosen), fontsize=9)
    if title:
        suptitle(fig, title)
    return fig


def _probability_scale(results: Sequence[FitResult]) -> bool:
    """Binary and categorical models predict probabilities; GLMs and linear models means."""
    means = ("lpm", "panel-fe", "panel-re")
    return not any(
        r.model in means
        or (isinstance(r.extra, Mapping) and r.extra.get("prediction_scale")) == "mean"
        for r in results
    )


# ---- saving -----------------------------------------------------------------------------


def figure_format(path: str | Path) -> str:
    """``png``, ``svg`` or ``pdf`` from the output suffix."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        raise OutputError(
            f"{path}: figures are written as {', '.join(FIGURE_FORMATS)}; got {suffix or 'none'!r}",
            file=str(path),
        )
    return suffix


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 200) -> Path:
    """Write ``fig`` atomically with metadata that make reruns byte-identical."""
    import matplotlib

    fmt = figure_format(path)
    # Each backend accepts its own keys; None removes an entry (dates, versions).
    metadata: dict[str, Any] = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
    }[fmt]
    with matplotlib.rc_context(figure_rc()), atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
    return Path(path)


def write_plot(
    results: Sequence[FitResult],
    out: str | Path,
    *,
    kind: str = "coef",
    labels: Sequence[str] | None = None,
    exp: bool = False,
    terms: Sequence[str] = (),
    x_var: str | None = None,
    title: str | None = None,
    labeller: Labeller | None = None,
    dpi: int = 200,
    scale: Sequence[tuple[str, float, str]] = (),
) -> Path:
    """Draw and save a figure of ``results`` (the ``surveytk plot`` entry point).

    Parameters
    ----------
    kind
        ``coef`` or ``ame`` (forest plots) or ``predicted`` (probabilities by ``x_var``).
    exp
        Odds ratios on a log axis (``coef`` of logit-family models only).
    terms
        Terms, or variables whose terms, to show (default: all but intercepts).
    title
        Figure title (default from the content, e.g. "Average marginal effects:
        Intends to return").
    dpi
        Resolution of PNG output.
    scale
        ``(variable, factor, unit)``: effects of a numeric variable per ``factor`` units.
    """
    import matplotlib

    if kind not in PLOT_KINDS:
        raise OutputError(f"--kind: expecting one of {{{', '.join(PLOT_KINDS)}}}; got {kind!r}")
    if exp and kind != "coef":
        raise OutputError("--exp applies to --kind coef only")
    figure_format(out)
    lab = labeller or Labeller.from_schema()
    title = title or default_plot_title(results, kind, exp, lab)
    with matplotlib.rc_context(figure_rc()):
        if kind == "predicted":
            fig = predicted_plot(results, labels, x_var=x_var, title=title, labeller=lab)
        else:
            fig = forest_plot(
                results,
                labels,
                kind="ame" if kind == "ame" else "coef",
                exp=exp,
                terms=terms,
                title=title,
                labeller=lab,
                scale=scale,
            )
    return save_figure(fig, out, dpi=dpi)


def default_plot_title(
    results: Sequence[FitResult], kind: str, exp: bool, labeller: Labeller
) -> str:
    """``Average marginal effects: Intends to return`` and the like."""
    outcomes = ", ".join(dict.fromkeys(labeller.variable(r.outcome) for r in results))
    if kind == "predicted":
        return f"Predicted probability: {outcomes}"
    what = {"ame": "Average marginal effects", "coef": "Odds ratios" if exp else "Coefficients"}
    return f"{what[kind]}: {outcomes}"
