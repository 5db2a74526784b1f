"""Dot-and-whisker plots of coefficients and AMEs, and share bar charts, drawn with seaborn.

Each result (source) gets its own panel with its own x scale, so a survey with
wide intervals does not flatten the others; outcome levels (multinomial,
ordinal AMEs) add rows of panels. Terms share the y axis across panels, in
formula order, labelled from the codebook. Dots and shares are drawn with
seaborn's axes-level functions on a bare matplotlib :class:`Figure` (no pyplot
state), in the Okabe–Ito colour-blind-safe palette with one marker per
source, under seaborn's ``ticks`` style and ``paper`` context. seaborn and
matplotlib are imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from surveytk.errors import OutputError
from surveytk.models.results import FitResult
from surveytk.report.style import MARKERS, OKABE_ITO
from surveytk.report.term_labels import Labeller

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Point:
    """One estimate with its interval, for a forest plot."""

    series: int
    term: str
    y_level: str
    estimate: float
    low: float
    high: float


MAX_PANEL_COLUMNS = 3
_BASE_RC: dict[str, Any] = {
    "svg.hashsalt": "surveytk",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def figure_rc() -> Any:
    """matplotlib rc of every surveytk figure: seaborn ``ticks`` + ``paper``, Okabe–Ito."""
    import seaborn as sns
    from cycler import cycler

    rc: dict[str, Any] = {}
    rc.update(sns.axes_style("ticks"))
    rc.update(sns.plotting_context("paper"))
    rc.update(_BASE_RC)
    rc["axes.prop_cycle"] = cycler(color=list(OKABE_ITO))
    # a font every system has, so that figures are the same bytes everywhere
    rc["font.sans-serif"] = ["DejaVu Sans"]
    return rc


def new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def suptitle(fig: Figure, title: str, fontsize: float = 11) -> None:
    """A figure title wrapped to the figure's width (never cut at the edges)."""
    import textwrap

    # average glyph width ~0.55 em; 72 points per inch
    chars = max(20, int(fig.get_figwidth() * 72 / (0.55 * fontsize)))
    fig.suptitle(textwrap.fill(title, width=chars), fontsize=fontsize)


def _draw_panel(
    ax: Axes, points: Sequence[Point], term_order: Sequence[str], series: int, exp: bool
) -> None:
    import pandas as pd
    import seaborn as sns

    ypos = {t: len(term_order) - 1 - k for k, t in enumerate(term_order)}
    frame = pd.DataFrame(
        {
            "estimate": [p.estimate for p in points],
            "y": [ypos[p.term] for p in points],
            "low": [p.low for p in points],
            "high": [p.high for p in points],
        }
    )
    colour = OKABE_ITO[series % len(OKABE_ITO)]
    ax.hlines(frame["y"], frame["low"], frame["high"], color=colour, linewidth=1.4)
    sns.scatterplot(
        data=frame,
        x="estimate",
        y="y",
        ax=ax,
        color=colour,
        marker=MARKERS[series % len(MARKERS)],
        s=32,
        edgecolor="white",
        linewidth=0.5,
        legend=False,
        zorder=3,
    )
    ax.axvline(1.0 if exp else 0.0, color="#666666", linestyle="--", linewidth=0.8, zorder=0)
    if exp:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    ax.set_ylim(-0.6, len(term_order) - 0.4)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def forest_figure(
    results: Sequence[FitResult],
    heads: Sequence[str],
    points: Sequence[Point],
    *,
    kind: Literal["coef", "ame"],
    exp: bool,
    title: str | None,
    labeller: Labeller,
    level: float,
    term_labels: dict[str, str] | None = None,
) -> Figure:
    """One panel per result (columns) and outcome level (rows), each with its own x scale."""
    lab = labeller
    term_order = list(dict.fromkeys(p.term for p in points))
    levels = list(dict.fromkeys(p.y_level for p in points))
    series = sorted({p.series for p in points})
    panels = [(lv, s) for lv in levels for s in series
              if any(p.y_level == lv and p.series == s for p in points)]
    if len(series) > 1:
        n_cols = len(series)
        n_rows = len(levels)
        slot = {(lv, s): (levels.index(lv), series.index(s)) for lv, s in panels}
    else:
        n_cols = min(len(panels), MAX_PANEL_COLUMNS)
        n_rows = -(-len(panels) // n_cols)
        slot = {key: divmod(i, n_cols) for i, key in enumerate(panels)}
    width = min(2.6 * n_cols + 2.4, 15.0) if len(panels) > 1 else 6.5
    panel_height = 0.3 * len(term_order) + 0.9
    fig = new_figure(width, max(panel_height * n_rows + 1.0, 2.6))
    grid = fig.subplots(n_rows, n_cols, sharey=True, sharex=False, squeeze=False)
    used = set(slot.values())
    for r in range(n_rows):
        for c in range(n_cols):
            if (r, c) not in used:
                grid[r][c].set_axis_off()
    for (lv, s), (r, c) in slot.items():
        ax = grid[r][c]
        _draw_panel(ax, [p for p in points if p.y_level == lv and p.series == s], term_order,
                    s, exp)
        parts = [heads[s]] if len(series) > 1 or len(results) > 1 else []
        if lv:
            parts.append(lab.level(results[s].outcome, lv))
        elif len(panels) > 1 and len(series) == 1:
            parts.append(lab.variable(results[s].outcome))
        if parts:
            ax.set_title(" — ".join(parts), fontsize=9)
    names = term_labels or {}
    for row in grid:
        row[0].set_yticks(
            [len(term_order) - 1 - k for k in range(len(term_order))],
            [names.get(t, lab.term(t)) for t in term_order],
        )
    xlabel = {"ame": "Average marginal effect", "coef": "Odds ratio" if exp else "Coefficient"}
    for c in range(n_cols):
        bottom = max((r for (r, cc) in used if cc == c), default=None)
        if bottom is not None:
            grid[bottom][c].set_xlabel(f"{xlabel[kind]} ({level:.0%} CI)", fontsize=9)
    if title:
        suptitle(fig, title)
    return fig


def share_figure(
    cells: pd.DataFrame,
    *,
    x: str,
    hue: str | None,
    title: str,
    xlabel: str,
    ylabel: str = "Share (%)",
    level: float = 0.95,
    dodge: bool = True,
    tick_labels: Sequence[str] | None = None,
) -> Figure:
    """Bars of shares (proportions 0–1, shown in %) with their intervals.

    ``cells`` has the columns ``x`` (categories, in order), optionally ``hue``
    (one colour per level, in order), and ``share``, ``conf_low``, ``conf_high``;
    rows with a missing share (suppressed) are left out. ``dodge=False`` puts each
    ``x`` category's single bar in the middle (``hue`` then only colours the bars);
    ``tick_labels`` replace the ``x`` values under the bars (in ``x`` order).
    """
    import seaborn as sns

    data = cells.dropna(subset=["share"]).copy()
    if data.empty:
        raise OutputError("nothing to plot: every share is missing or suppressed")
    for col in ("share", "conf_low", "conf_high"):
        data[col] = 100.0 * data[col].astype(float)
    order = list(dict.fromkeys(data[x].astype(str)))
    hue_order = list(dict.fromkeys(data[hue].astype(str))) if hue else None
    data[x] = data[x].astype(str)
    if hue:
        data[hue] = data[hue].astype(str)
    n_bars = len(order) * (len(hue_order) if hue_order and dodge else 1)
    fig = new_figure(min(max(4.5, 0.45 * n_bars + 2.0), 12.0), 3.8)
    ax = fig.subplots()
    palette = list(OKABE_ITO[: len(hue_order)]) if hue_order else None
    sns.barplot(
        data=data, x=x, y="share", hue=hue, order=order, hue_order=hue_order, ax=ax,
        errorbar=None, palette=palette, color=None if hue else OKABE_ITO[0],
        saturation=1.0, legend=bool(hue), dodge=dodge,
    )
    if tick_labels is not None:
        ax.set_xticks(range(len(order)), list(tick_labels))
    # one bar container per hue level (or one without hue), each bar at its category
    groups: list[str | None] = list(hue_order) if hue_order else [None]
    for container, group in zip(ax.containers, groups, strict=False):
        for bar in container:
            centre = bar.get_x() + bar.get_width() / 2
            cat = order[round(centre)]
            match = data[(data[x] == cat) & ((data[hue] == group) if hue else True)]
            if match.empty:
                continue
            row = match.iloc[0]
            ax.errorbar(centre, row["share"],
                        yerr=[[row["share"] - row["conf_low"]], [row["conf_high"] - row["share"]]],
                        fmt="none", ecolor="#222222", elinewidth=1.0, capsize=2.5)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(f"{ylabel}, {level:.0%} CI", fontsize=9)
    ax.set_ylim(0, min(100.0, float(data["conf_high"].max()) * 1.12 + 1))
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    legend = ax.get_legend()
    if legend is not None:
        handles, names = ax.get_legend_handles_labels()
        legend.remove()
        fig.legend(handles, names, loc="outside lower center", frameon=False,
                   ncol=min(len(names), 2), fontsize=8)
    suptitle(fig, title)
    return fig
