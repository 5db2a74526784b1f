"""The report documents of a run: the spec's tables and figures, design, sample and audit.

:func:`write_run_report` is the one call the runner makes after the tables,
figures and tabulations: it rebuilds each table and tabulation grid (cheap, no
refit), reads the figures as PNG (drawing a PNG copy of figures written as SVG
or PDF), describes the design and sample of every model and the harmonisation
audit of every source, and writes ``report/<spec name>.html`` (offline, one
file) and ``report/<spec name>.docx`` into the run's staging folder.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from surveytk.analysis.sample import SampleAccount, domain_condition
from surveytk.analysis.spec import AnalysisSpec, PlotSpec, TableSpec
from surveytk.analysis.tabulations import tabulation_figure, tabulation_of
from surveytk.analysis.trends import trend_figure, trend_grids
from surveytk.disclosure import count_text
from surveytk.errors import SpecError
from surveytk.models.formula import parse_formula
from surveytk.models.results import FitResult
from surveytk.report.document import (
    Exhibit,
    ReportContent,
    render_report_docx,
    render_report_html,
    simple_grid,
)
from surveytk.report.forest import figure_rc
from surveytk.report.plots import save_figure, write_plot
from surveytk.report.render_tabulation import tabulation_grid
from surveytk.report.table_format import text_grid
from surveytk.report.table_model import (
    MODEL_NAMES_LONG,
    TableOptions,
    build_table,
    design_note,
    parse_scale,
)
from surveytk.report.term_labels import Labeller
from surveytk.report.text_table import TextTable
from surveytk.survey.summary_names import N_LABEL, SUM_WEIGHTS_LABEL

if TYPE_CHECKING:
    import pandas as pd


class RunOutputs(Protocol):
    """What the report reads of a finished run: the fitted results and harmonised files."""

    @property
    def results(self) -> Mapping[str, FitResult]: ...

    @property
    def harmonised(self) -> Mapping[str, Path]: ...


class RunState(Protocol):
    """What the report reads of a run (the runner's run has it): the spec, the staging
    folder, the analysis tables, trends and sample accounts, and the outputs so far."""

    @property
    def spec(self) -> AnalysisSpec: ...

    @property
    def spec_path(self) -> Path: ...

    @property
    def stage(self) -> Path: ...

    @property
    def summary(self) -> RunOutputs: ...

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]: ...

    @property
    def trends(self) -> Mapping[str, Any]: ...

    @property
    def accounts(self) -> Mapping[str, SampleAccount]: ...


def table_options(t: TableSpec, spec_path: Path) -> TableOptions:
    """The :class:`TableOptions` of a spec table (shared by the table files and the report)."""
    try:
        scale = parse_scale(t.scale)
    except ValueError as exc:
        raise SpecError(f"{spec_path}: table {t.name}: scale: {exc}") from exc
    return TableOptions(stat=t.stat, exp=t.exp, ame=t.ame, title=t.title,
                        notes=(t.notes,) if t.notes else (), scale=scale)


def plot_scale(p: PlotSpec, spec_path: Path) -> tuple[tuple[str, float, str], ...]:
    try:
        return parse_scale(p.scale)
    except ValueError as exc:
        raise SpecError(f"{spec_path}: plot {p.name}: scale: {exc}") from exc


def _figure_png(run: RunState, p: PlotSpec) -> bytes:
    staged = run.stage / "figures" / f"{p.name}.{p.format}"
    if p.format == "png" and staged.is_file():
        return staged.read_bytes()

    results = [run.summary.results[name] for name in p.models]
    with tempfile.TemporaryDirectory(dir=run.stage) as tmp:
        path = Path(tmp) / f"{p.name}.png"
        write_plot(results, path, kind=p.kind, title=p.title, terms=p.terms,
                   scale=plot_scale(p, run.spec_path))
        return path.read_bytes()


def _exhibits(run: RunState) -> list[Exhibit]:
    labeller = Labeller.from_schema()
    out: list[Exhibit] = []
    for t in run.spec.tables:
        results = [run.summary.results[name] for name in t.models]
        model = build_table(results, options=table_options(t, run.spec_path), labeller=labeller)
        out.append(Exhibit(f"table-{t.name}", model.title, grid=text_grid(model)))
    for p in run.spec.plots:
        title = p.title or p.name.replace("_", " ")
        out.append(Exhibit(f"figure-{p.name}", title, png=_figure_png(run, p)))
    for tab in run.spec.tabulations:
        result = tabulation_of(run.tables[tab.data], tab, threshold=run.spec.disclosure_threshold,
                               subpop=domain_condition(*run.spec.sample.rules))
        grid = tabulation_grid(result, labeller=labeller)
        png = None
        if tab.figure is not None:
            with tempfile.TemporaryDirectory(dir=run.stage) as tmp:
                png = save_figure(tabulation_figure(result, labeller),
                                  Path(tmp) / "t.png").read_bytes()
        out.append(Exhibit(f"tabulation-{tab.name}", grid.title, grid=grid, png=png))
    out.extend(_trend_exhibits(run, labeller))
    return out


def _trend_exhibits(run: RunState, labeller: Any) -> list[Exhibit]:
    out = []
    for t in run.spec.trends:
        trend = run.trends[t.name]
        shares, differences = trend_grids(trend, labeller)
        staged = run.stage / "figures" / f"{t.name}.{t.figure}"
        if t.figure == "png":
            png = staged.read_bytes()
        else:
            import matplotlib


            with matplotlib.rc_context(figure_rc()):
                fig = trend_figure(trend, labeller)
            with tempfile.TemporaryDirectory(dir=run.stage) as tmp:
                path = save_figure(fig, Path(tmp) / f"{t.name}.png")
                png = path.read_bytes()
        out += [
            Exhibit(f"trend-{t.name}", shares.title, png=png),
            Exhibit(f"trend-{t.name}-shares", shares.title, grid=shares),
            Exhibit(f"trend-{t.name}-differences", differences.title, grid=differences),
        ]
    return out


def design_grid(results: Mapping[str, FitResult],
                accounts: Mapping[str, SampleAccount]) -> TextTable:
    """One row per model: data, N, sum of weights, design, domain; sample rules in the notes."""
    rows = []
    for name, r in results.items():
        d = r.design
        rows.append([
            r.label or name,
            MODEL_NAMES_LONG.get(r.model, r.model),
            f"{d.n_obs:,}",
            f"{d.sum_weights:,.1f}",
            design_note(d),
            d.subpop or "whole analysis sample",
        ])
    notes = []
    for data, account in accounts.items():
        excluded = "; ".join(f"{rule}: {count_text(n)} left out"
                             for rule, n in account.excluded.items())
        notes.append(f"Analysis sample {data}: {account.rows_in:,} rows in, "
                     f"{account.rows_out:,} kept" + (f" ({excluded})." if excluded else "."))
    return simple_grid(
        "Models: design and sample",
        ["Model", "Family", N_LABEL, SUM_WEIGHTS_LABEL, "Design", "Domain"],
        rows,
        notes,
    )


def _formula_columns(run: RunState) -> list[str]:
    cols: dict[str, None] = {}
    for m in run.spec.models:
        parsed = parse_formula(m.formula)
        cols.update(dict.fromkeys([parsed.outcome, *parsed.columns]))
    return list(cols)


def audit_grid(run: RunState) -> TextTable | None:
    """Per source: codebook, respondents, and the share of valid values of each model variable."""
    labeller = Labeller.from_schema()
    audits: dict[str, dict[str, Any]] = {}
    for source, path in run.summary.harmonised.items():
        audit = path.with_name(path.name + ".audit.json")
        if source != "pooled" and audit.is_file():
            audits[source] = json.loads(audit.read_text(encoding="utf-8"))
    if not audits:
        return None
    variables = [v for v in _formula_columns(run)
                 if any(v in a.get("variables", {}) for a in audits.values())]
    header = ["Source", "Codebook", "Respondents", *(labeller.variable(v) for v in variables)]
    rows = []
    for source, a in audits.items():
        n = int(a.get("respondents", 0))
        book = f"{a.get('codebook')} {a.get('codebook_version')}"
        cells = [labeller.level("source", source), book, f"{n:,}"]
        for v in variables:
            info = a.get("variables", {}).get(v)
            cells.append("" if info is None or not n else f"{100 * info['valid'] / n:.1f}%")
        rows.append(cells)
    return simple_grid(
        "Harmonisation audit: valid values of the model variables (% of respondents)",
        header, rows,
        ["Shares of respondents with a valid (non-missing) harmonised value, before the "
         "sample rules; the reasons for missing values are in harmonised/<source>.parquet"
         ".audit.json."],
    )


def report_content(run: RunState) -> ReportContent:
    spec = run.spec
    return ReportContent(
        title=f"{spec.name.replace('_', ' ').capitalize()}: tables and figures",
        description=(spec.description or "").strip()
        + f" Analysis spec {run.spec_path.name}, version {spec.version}, seed {spec.seed}.",
        exhibits=tuple(_exhibits(run)),
        design=design_grid(run.summary.results, run.accounts),
        audit=audit_grid(run),
        notes=("Made by surveytk; every number is design-based (see the notes under each "
               "table). The files behind each exhibit are in tables/, figures/ and "
               "tabulations/.",),
    )


def write_run_report(run: RunState) -> list[Path]:
    """Write ``report/<name>.html`` and ``report/<name>.docx`` into the staging folder."""
    content = report_content(run)
    folder = run.stage / "report"
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / f"{run.spec.name}.html"
    html.write_text(render_report_html(content), encoding="utf-8")
    docx = folder / f"{run.spec.name}.docx"
    docx.write_bytes(render_report_docx(content))
    return [html, docx]
