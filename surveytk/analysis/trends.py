"""The report's descriptive exhibit: a yes/no share by survey round within each source.

For every level of ``by`` (the source) the share with ``outcome`` true is
estimated in each round (``over``) on that source's design, with the joint
design-based covariance of the rounds (:func:`surveytk.survey.domain_contrasts.
domain_means`), and each round is compared with the one before it (difference,
standard error, t test on the source's design df, interval). Rounds with fewer
respondents than the disclosure threshold are left out and said so. The
exhibit's own sample rules (the models' rules usually keep one round only)
define a domain of the harmonised table: rows outside it add nothing to the
shares while every PSU and stratum stays in the variance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from surveytk.analysis.sample import sample_domain
from surveytk.analysis.spec import TrendSpec
from surveytk.errors import SpecError
from surveytk.io.atomic import write_bytes_atomic
from surveytk.report.document import simple_grid
from surveytk.report.docx_layout import fit_layout
from surveytk.report.forest import figure_rc, share_figure
from surveytk.report.plots import save_figure
from surveytk.report.render_docx import add_table, document_bytes, new_document, set_page
from surveytk.report.render_html import page, table_fragment
from surveytk.report.render_latex import render_latex
from surveytk.report.render_md import render_markdown
from surveytk.report.render_tidy import frame_csv, frame_parquet
from surveytk.report.render_xlsx import render_xlsx_sheets
from surveytk.report.style import format_number
from surveytk.report.term_labels import Labeller
from surveytk.report.text_table import TextTable
from surveytk.survey.design import SurveyDesign
from surveytk.survey.domain_contrasts import domain_differences, domain_means
from surveytk.survey.estimators import t_quantile

if TYPE_CHECKING:
    from matplotlib.figure import Figure


SHARE_COLUMNS = ("group", "round", "n", "share", "std_error", "conf_low", "conf_high", "df")
DIFFERENCE_COLUMNS = ("group", "from_round", "to_round", "difference", "std_error",
                      "statistic", "p_value", "conf_low", "conf_high", "df")


@dataclass(frozen=True)
class Trend:
    """Shares by round and round-to-round differences (proportions, 0–1)."""

    spec: TrendSpec
    shares: pd.DataFrame
    differences: pd.DataFrame
    notes: tuple[str, ...]


def _outcome(table: pd.DataFrame, name: str) -> np.ndarray:
    if name not in table.columns:
        raise SpecError(f"trend: outcome {name!r} is not a column of the harmonised data")
    col = table[name]
    values = pd.to_numeric(col.astype("boolean") if col.dtype != float else col, errors="coerce")
    out = values.to_numpy(dtype="float64", na_value=np.nan)
    if not np.isin(out[np.isfinite(out)], (0.0, 1.0)).all():
        raise SpecError(f"trend: outcome {name!r} must be yes/no (true/false or 0/1)")
    return out


def _group_trend(
    table: pd.DataFrame, y: np.ndarray, domain: np.ndarray, group: str, spec: TrendSpec,
    threshold: int,
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[str]]:
    d = spec.design
    in_group = (table[spec.by].astype(str) == group).to_numpy()
    rounds_all = table[spec.over].astype("string").fillna("")
    valid = in_group & domain & np.isfinite(y) & (rounds_all != "").to_numpy()
    counts = rounds_all[valid].value_counts()
    kept = sorted(r for r, n in counts.items() if n >= threshold)
    small = sorted(r for r, n in counts.items() if n < threshold)
    notes = [f"{group}: round(s) {', '.join(small)} with fewer than {threshold} respondents "
             "not shown"] if small else []
    if not kept:
        return [], [], notes
    codes = np.where(valid, rounds_all.map({r: i for i, r in enumerate(kept)}).fillna(-1)
                     .to_numpy(dtype="int64"), -1)
    design = SurveyDesign.from_options(table, d.options(table)).subset(in_group)
    means = domain_means(y, codes, len(kept), design)
    q = t_quantile(means.df)
    shares = [
        {"group": group, "round": r, "n": int(means.n[i]), "share": float(means.estimate[i]),
         "std_error": float(means.std_error[i]),
         "conf_low": float(means.estimate[i] - q * means.std_error[i]),
         "conf_high": float(means.estimate[i] + q * means.std_error[i]), "df": means.df}
        for i, r in enumerate(kept)
    ]
    diffs: list[dict[str, object]] = []
    if len(kept) > 1:
        res = domain_differences(means, [(i, i + 1) for i in range(len(kept) - 1)])
        for j, (a, b) in enumerate(res.pairs):
            diffs.append({
                "group": group, "from_round": kept[a], "to_round": kept[b],
                "difference": float(res.estimate[j]), "std_error": float(res.std_error[j]),
                "statistic": float(res.statistic[j]), "p_value": float(res.p_value[j]),
                "conf_low": float(res.conf_low[j]), "conf_high": float(res.conf_high[j]),
                "df": res.df,
            })
    return shares, diffs, notes


def trend_of(table: pd.DataFrame, spec: TrendSpec, *, threshold: int) -> Trend:
    """The shares and differences of ``spec`` on the harmonised ``table``."""
    for col in (spec.over, spec.by):
        if col not in table.columns:
            raise SpecError(f"trend {spec.name!r}: {col!r} is not a column of the data")
    kept = table.reset_index(drop=True)
    domain, _ = sample_domain(kept, spec.rules)
    y = _outcome(kept, spec.outcome)
    shares: list[dict[str, object]] = []
    diffs: list[dict[str, object]] = []
    notes: list[str] = []
    groups = [str(g) for g in pd.unique(kept.loc[domain, spec.by].astype(str))]
    for group in groups:
        s, d, n = _group_trend(kept, y, domain, group, spec, threshold)
        shares += s
        diffs += d
        notes += n
    return Trend(spec, pd.DataFrame(shares, columns=list(SHARE_COLUMNS)),
                 pd.DataFrame(diffs, columns=list(DIFFERENCE_COLUMNS)), tuple(notes))


# ---- presentation ------------------------------------------------------------------------


def _pct(x: float) -> str:
    return format_number(100 * x, 1)


def _p_text(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def trend_grids(trend: Trend, labeller: Labeller) -> tuple[TextTable, TextTable]:
    """The shares table and the differences table, formatted (percent, one decimal)."""
    spec = trend.spec
    what = labeller.variable(spec.outcome)
    rounds = labeller.variable(spec.over)
    title = spec.title or f"{what}: share by {rounds.lower()} and {labeller.variable(spec.by)}"
    share_rows = [
        [labeller.level(spec.by, str(r["group"])), labeller.level(spec.over, str(r["round"])),
         f"{int(r['n']):,}", _pct(float(r["share"])),
         f"[{_pct(float(r['conf_low']))}, {_pct(float(r['conf_high']))}]"]
        for r in trend.shares.to_dict(orient="records")
    ]
    design_text = (f"Design-based shares (weights {spec.design.weights}, strata "
                   f"{spec.design.strata}, PSUs {spec.design.psu}, as far as each source has "
                   f"them; lonely PSUs: {spec.design.lonely_psu}), 95% intervals with the "
                   "source's design df.")
    rules = ("Sample: " + "; ".join(spec.rules) + ".") if spec.rules else "Sample: all rows."
    shares = simple_grid(title, [labeller.variable(spec.by), rounds, "N", "Share (%)", "95% CI"],
                         share_rows, [design_text, rules, *trend.notes])
    diff_rows = []
    for r in trend.differences.to_dict(orient="records"):
        a = labeller.level(spec.over, str(r["from_round"]))
        b = labeller.level(spec.over, str(r["to_round"]))
        diff_rows.append([
            labeller.level(spec.by, str(r["group"])), f"{a} → {b}", _pct(float(r["difference"])),
            f"[{_pct(float(r['conf_low']))}, {_pct(float(r['conf_high']))}]",
            format_number(float(r["statistic"]), 2), _p_text(float(r["p_value"])),
            f"{float(r['df']):g}",
        ])
    differences = simple_grid(
        f"{what}: change from one {rounds.lower()} to the next",
        [labeller.variable(spec.by), "Rounds", "Difference (pp)", "95% CI", "t", "p", "df"],
        diff_rows,
        ["Difference of design-based shares in percentage points; its variance includes the "
         "covariance between rounds (respondents and PSUs followed over rounds); two-sided "
         "t test on the source's design df (R svyby(covmat = TRUE) + svycontrast).",
         "Sources with a single round have no row."],
    )
    return shares, differences


def trend_figure(trend: Trend, labeller: Labeller) -> Figure:
    """Bars of the share by round, grouped and coloured by source, with 95% intervals."""
    spec = trend.spec
    cells = trend.shares.copy()
    cells["source"] = [labeller.level(spec.by, g) for g in cells["group"]]
    cells["bar"] = [f"{labeller.level(spec.over, r)}" for r in cells["round"]]
    cells["x"] = [f"{s}\n{b}" for s, b in zip(cells["source"], cells["bar"], strict=True)]
    what = labeller.variable(spec.outcome)
    return share_figure(
        cells, x="x", hue="source", dodge=False, tick_labels=list(cells["bar"]),
        title=spec.title or f"{what}: share by {labeller.variable(spec.over).lower()} and source",
        xlabel=labeller.variable(spec.over), ylabel=f"{what} (%)",
    )


def tidy_trend(trend: Trend) -> pd.DataFrame:
    """Shares and differences in one long numeric table (``kind`` share / difference)."""
    shares = trend.shares.assign(kind="share", to_round=trend.shares["round"], from_round="")
    diffs = trend.differences.rename(columns={"difference": "share"}).assign(kind="difference")
    cols = ["kind", "group", "from_round", "to_round", "n", "share", "std_error", "statistic",
            "p_value", "conf_low", "conf_high", "df"]
    return pd.concat([shares, diffs], ignore_index=True).reindex(columns=cols)


def write_trend(table: pd.DataFrame, spec: TrendSpec, stage: Path, *, threshold: int
                ) -> tuple[Trend, list[Path], Path]:
    """Write the tables (``spec.formats``) into ``stage/tables`` and the figure into
    ``stage/figures``; return the trend, the table files and the figure."""
    import matplotlib


    trend = trend_of(table, spec, threshold=threshold)
    labeller = Labeller.from_schema()
    grids = trend_grids(trend, labeller)
    written: list[Path] = []
    for fmt in dict.fromkeys("latex" if f == "tex" else f for f in spec.formats):
        path = stage / "tables" / f"{spec.name}.{'tex' if fmt == 'latex' else fmt}"
        if fmt == "csv":
            data = frame_csv(tidy_trend(trend))
        elif fmt == "parquet":
            data = frame_parquet(tidy_trend(trend), grids[0].title, grids[0].notes)
        elif fmt in ("docx", "xlsx"):
            data = _render_binary(grids, fmt)
        else:
            data = _render_pair(grids, fmt)
        write_bytes_atomic(path, data)
        written.append(path)
    figure = stage / "figures" / f"{spec.name}.{spec.figure}"
    with matplotlib.rc_context(figure_rc()):
        fig = trend_figure(trend, labeller)
    save_figure(fig, figure)
    return trend, written, figure


def _render_binary(grids: tuple[TextTable, TextTable], fmt: str) -> bytes:
    """DOCX: both tables in one document; XLSX: one sheet per table."""
    if fmt == "docx":
        layouts = [fit_layout(g) for g in grids]
        document = new_document(grids[0].title)
        set_page(document.sections[0], landscape=any(lay.landscape for lay in layouts))
        for grid, layout in zip(grids, layouts, strict=True):
            add_table(document, grid, layout)
            document.add_paragraph()
        return document_bytes(document)

    return render_xlsx_sheets(list(grids), ["Shares", "Differences"])


def _render_pair(grids: tuple[TextTable, TextTable], fmt: str) -> bytes:
    """Both tables in one file, one after the other."""
    if fmt == "html":
        return page(grids[0].title, [*table_fragment(grids[0]), "<p></p>",
                                     *table_fragment(grids[1])]).encode("utf-8")
    if fmt == "md":
        return "\n".join(render_markdown(g) for g in grids).encode("utf-8")

    return "\n".join(render_latex(g) for g in grids).encode("utf-8")
