"""``surveytk run``: raw files → harmonised and pooled data → models → tables and figures.

Orchestration only: every number is computed by the library modules it calls.
Outputs are first written into a private staging folder inside ``out_dir`` and
moved into place when everything has succeeded, so an interrupted or failed
run leaves no partial output under the final names, and concurrent runs on
the same folder never see each other's half-written files.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveytk import __version__
from surveytk.analysis.predictions import spec_predictions
from surveytk.analysis.report_assembly import plot_scale, table_options, write_run_report
from surveytk.analysis.sample import (
    SampleAccount,
    design_column,
    domain_condition,
    sample_domain,
    undecided_as_missing,
)
from surveytk.analysis.spec import AnalysisSpec, InputSpec, ModelSpec, load_spec
from surveytk.analysis.tabulations import write_tabulation, write_tabulation_figure
from surveytk.analysis.trends import write_trend
from surveytk.codebook.loader import load_schema
from surveytk.codebook.search import codebook_home
from surveytk.disclosure import DEFAULT_THRESHOLD, withhold_counts
from surveytk.errors import SpecError
from surveytk.harmonise.output import write_data
from surveytk.harmonise.pool import pool_tables, scale_weights
from surveytk.harmonise.run import harmonise_to_file
from surveytk.io.atomic import check_not_input
from surveytk.io.fileinfo import sha256_file
from surveytk.language.expr import apply_definitions, parse_definitions
from surveytk.models.formula import with_derived_columns
from surveytk.models.options import FitOptions
from surveytk.models.registry import family_fit
from surveytk.models.results import FitResult
from surveytk.models.small_cells import flag_small_categories
from surveytk.report.plots import write_plot
from surveytk.report.tables import write_table

Step = Callable[[str], None]

TABLE_SUFFIX = {"md": ".md", "latex": ".tex", "tex": ".tex", "html": ".html", "docx": ".docx",
                "xlsx": ".xlsx", "csv": ".csv", "parquet": ".parquet"}
PACKAGES = ("numpy", "pandas", "scipy", "pyreadstat", "pyarrow", "linearmodels", "seaborn",
            "matplotlib", "python-docx", "openpyxl", "pydantic", "PyYAML")


@dataclass
class RunSummary:
    """What a run wrote and how long each stage took."""

    out_dir: Path
    harmonised: dict[str, Path] = field(default_factory=dict)
    results: dict[str, FitResult] = field(default_factory=dict)
    tables: list[Path] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    tabulations: list[Path] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    manifest: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)


def _noop(_: str) -> None:
    return None


@contextlib.contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - t0, 3)


def _resolve(template: str, data_dir: Path | None, spec_path: Path) -> Path:
    if "{data_dir}" in template:
        if data_dir is None:
            raise SpecError(f"{spec_path}: inputs use {{data_dir}}; give --data-dir DIR")
        return Path(template.replace("{data_dir}", str(data_dir)))
    path = Path(template)
    return path if path.is_absolute() else spec_path.parent / path


def _package_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"python": platform.python_version(), "surveytk": __version__}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


class _Run:
    """One run of a spec: the state shared by its stages."""

    def __init__(self, spec: AnalysisSpec, spec_path: Path, data_dir: Path | None,
                 out_dir: Path, stage: Path, step: Step) -> None:
        self.spec = spec
        self.spec_path = spec_path
        self.data_dir = data_dir
        self.out_dir = out_dir
        self.stage = stage
        self.step = step
        self.summary = RunSummary(out_dir=out_dir)
        self.tables: dict[str, pd.DataFrame] = {}
        self.harmonised_tables: dict[str, pd.DataFrame] = {}  # before the sample rules
        self.trends: dict[str, Any] = {}
        self.accounts: dict[str, SampleAccount] = {}
        self.provenance: dict[str, Any] = {}
        self.table_formats: tuple[str, ...] = ()
        #: folders of codebooks given by path: their schema extensions apply to the pool
        self.codebook_homes: list[Path] = []

    # ---- stages ---------------------------------------------------------------
    def harmonise_inputs(self) -> None:
        for inp in self.spec.inputs:
            target = self.stage / "harmonised" / f"{inp.source}.parquet"
            if inp.harmonised is not None:
                src = _resolve(inp.harmonised, self.data_dir, self.spec_path)
                self.step(f"copying harmonised {inp.source} from {src}")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
                self.provenance[inp.source] = {"harmonised": str(src), "sha256": sha256_file(src)}
            else:
                self._harmonise_one(inp, target, harmonise_to_file)
            self.summary.harmonised[inp.source] = target

    def _harmonise_one(self, inp: InputSpec, target: Path, harmonise_to_file: Any) -> None:
        assert inp.codebook is not None and inp.input_dir is not None
        input_dir = _resolve(inp.input_dir, self.data_dir, self.spec_path)
        self.step(f"harmonising {inp.source} with codebook {inp.codebook}")
        summary, result = harmonise_to_file(self._codebook(inp.codebook), input_dir, target)
        self.provenance[inp.source] = {
            "codebook": summary.codebook,
            "codebook_version": summary.codebook_version,
            "rows": summary.rows,
            "inputs": result.provenance.get("inputs", result.provenance),
        }

    def _codebook(self, value: str) -> str | Path:
        """A codebook name as it is (the search path finds it); a relative file path is
        relative to the spec's folder, like ``input_dir``."""
        path = Path(value)
        if path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
            path = path if path.is_absolute() else self.spec_path.parent / path
            self.codebook_homes.append(codebook_home(path))
            return path
        return value

    def pool(self) -> None:
        self.step(f"pooling {len(self.summary.harmonised)} sources "
                  f"(weights: {self.spec.pool_weights})")
        paths = list(self.summary.harmonised.values())
        schema = load_schema(dirs=self.codebook_homes)
        result = pool_tables(paths, weights=self.spec.pool_weights, schema=schema)
        target = self.stage / "harmonised" / "pooled.parquet"
        write_data(result.table, target, provenance=result.provenance, schema=schema)
        self.summary.harmonised["pooled"] = target
        for source, path in self.summary.harmonised.items():
            table = result.table if source == "pooled" else pd.read_parquet(path)
            self.harmonised_tables[source] = table
            self.tables[source] = self._analysis_table(source, table)

    def _analysis_table(self, name: str, table: pd.DataFrame) -> pd.DataFrame:
        """All rows (sample rules define the domain, the design stays whole)."""
        table = apply_definitions(table, parse_definitions(self.spec.define))
        domain, account = sample_domain(table, self.spec.sample.rules)
        self.accounts[name] = account
        if self.spec.sample.undecided == "missing":
            table = undecided_as_missing(table)
        if name == "pooled":
            table = rescale_pooled_weights(table, self.spec.pool_weights, domain=domain)
        return table

    def fit_models(self) -> None:
        results_dir = self.stage / "results"
        for m in self.spec.models:
            self.step(f"fitting {m.name} ({m.model}) on {m.data}")
            data = self.tables[m.data]
            m = with_sample_rules(m, self.spec.sample.rules)
            result = fit_model(m, data, seed=self.spec.seed, where=f"data {m.data!r}",
                               threshold=self.spec.disclosure_threshold)
            if m.predict:
                result = add_predictions(result, m, data)
            result.save(results_dir / f"{m.name}.json")
            result.save(results_dir / f"{m.name}.csv")
            self.summary.results[m.name] = result

    def write_tables(self) -> None:
        for t in self.spec.tables:
            results = [self.summary.results[name] for name in t.models]
            options = table_options(t, self.spec_path)
            formats = self.table_formats or t.formats
            for fmt in dict.fromkeys("latex" if f == "tex" else f for f in formats):
                self.step(f"table {t.name} ({fmt})")
                path = self.stage / "tables" / f"{t.name}{TABLE_SUFFIX[fmt]}"
                write_table(results, path, fmt=fmt, options=options)
                self.summary.tables.append(path)

    def write_figures(self) -> None:
        for p in self.spec.plots:
            self.step(f"figure {p.name} ({p.kind})")
            results = [self.summary.results[name] for name in p.models]
            path = self.stage / "figures" / f"{p.name}.{p.format}"
            write_plot(results, path, kind=p.kind, title=p.title, terms=p.terms,
                       scale=plot_scale(p, self.spec_path))
            self.summary.figures.append(path)

    def write_tabulations(self) -> None:
        if not self.spec.tabulations:
            return
        for tab in self.spec.tabulations:
            for fmt in tab.formats:
                self.step(f"tabulation {tab.name} ({fmt})")
                path = self.stage / "tabulations" / f"{tab.name}{TABLE_SUFFIX[fmt]}"
                write_tabulation(self.tables[tab.data], tab, path, fmt,
                                 threshold=self.spec.disclosure_threshold,
                                 subpop=domain_condition(*self.spec.sample.rules))
                self.summary.tabulations.append(path)
            if tab.figure is not None:
                figure = self.stage / "figures" / f"{tab.name}.{tab.figure}"
                write_tabulation_figure(self.tables[tab.data], tab, figure,
                                        threshold=self.spec.disclosure_threshold,
                                        subpop=domain_condition(*self.spec.sample.rules))
                self.summary.figures.append(figure)

    def write_trends(self) -> None:
        """Shares by survey round per source, round-to-round tests (surveytk.analysis.trends)."""
        for t in self.spec.trends:
            self.step(f"trend {t.name} ({t.outcome} by {t.over} and {t.by})")
            table = apply_definitions(self.harmonised_tables[t.data],
                                      parse_definitions(self.spec.define))
            if self.spec.sample.undecided == "missing":
                table = undecided_as_missing(table)
            if self.table_formats:
                t = t.model_copy(update={"formats": list(self.table_formats)})
            trend, files, figure = write_trend(table, t, self.stage,
                                               threshold=self.spec.disclosure_threshold)
            self.trends[t.name] = trend
            self.summary.tables.extend(files)
            self.summary.figures.append(figure)

    def write_manifest(self) -> None:
        thr = self.spec.disclosure_threshold  # the manifest is published with the tables
        manifest = {
            "surveytk_version": __version__,
            "spec": {"path": str(self.spec_path), "name": self.spec.name,
                     "version": self.spec.version, "sha256": sha256_file(self.spec_path)},
            "seed": self.spec.seed,
            "inputs": self.provenance,
            "row_accounting": {k: {**v.to_dict(), "excluded": withhold_counts(v.excluded, thr)}
                               for k, v in self.accounts.items()},
            "models": {name: {"model": r.model, "formula": r.formula, "n_obs": r.design.n_obs,
                              "dropped": withhold_counts(r.dropped, thr),
                              "variance": r.design.variance,
                              "converged": r.converged}
                       for name, r in self.summary.results.items()},
            "outputs": sorted(str(p.relative_to(self.stage)) for p in self._staged_files()),
            "packages": _package_versions(),
            "timings_seconds": self.summary.timings,
        }
        path = self.stage / "manifest.json"
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        self.summary.manifest = path

    def _staged_files(self) -> list[Path]:
        return sorted(p for p in self.stage.rglob("*") if p.is_file())

    def publish(self) -> None:
        """Move every staged file to its final name (each move atomic), manifest last."""
        staged = self._staged_files()
        staged.sort(key=lambda p: p.name == "manifest.json")
        for src in staged:
            dst = self.out_dir / src.relative_to(self.stage)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)

        def final(p: Path) -> Path:
            return self.out_dir / p.relative_to(self.stage)

        s = self.summary
        s.harmonised = {k: final(v) for k, v in s.harmonised.items()}
        s.tables = [final(p) for p in s.tables]
        s.figures = [final(p) for p in s.figures]
        s.tabulations = [final(p) for p in s.tabulations]
        s.reports = [final(p) for p in s.reports]
        s.manifest = final(s.manifest) if s.manifest else None


def rescale_pooled_weights(table: pd.DataFrame, how: str,
                           domain: np.ndarray | None = None) -> pd.DataFrame:
    """Scale the delivered weights per source so that the *analysis domain* has the sums.

    Pooling scales each source's weights over all its rows; after sample rules
    (e.g. one SOEP wave of three) the weights are scaled again from
    ``weight_unscaled``, so that ``sample`` means each source's rows *in the
    domain* sum to their number (``equal``: each source's domain rows sum to
    the same total). The factor of a source is computed on its domain rows and
    applied to all of its rows: every row keeps its place in the design (domain
    estimation), the domain's estimates mean what they meant when the rules
    removed rows, and rows outside the domain, which contribute nothing to the
    estimates, are scaled alike. A source without domain rows is scaled over all
    of its rows.
    """
    if "weight_unscaled" not in table.columns or len(table) == 0:
        return table
    w = table["weight_unscaled"].to_numpy(dtype="float64")
    source = table["source"].astype(str).to_numpy()
    inside = np.ones(len(table), dtype=bool) if domain is None else np.asarray(domain, bool)
    scaled_all = scale_weights(w, source, how)
    out_w = scaled_all.copy()
    if inside.any():
        scaled_dom = scale_weights(w[inside], source[inside], how)
        for s in pd.unique(source[inside]):
            rows = source == s
            dom_rows = source[inside] == s
            factor = scaled_dom[dom_rows].sum() / w[inside][dom_rows].sum()
            out_w[rows] = w[rows] * factor
    out = table.copy()
    out["weight"] = out_w
    return out


def with_sample_rules(m: ModelSpec, rules: Sequence[str]) -> ModelSpec:
    """``m`` with the sample rules joined to its subpop: the model's domain."""
    subpop = domain_condition(*rules, m.subpop)
    return m if subpop == m.subpop else m.model_copy(update={"subpop": subpop})


def fit_model(m: ModelSpec, data: pd.DataFrame, *, seed: int,
              where: str = "the analysis table",
              threshold: int = DEFAULT_THRESHOLD) -> FitResult:
    """Fit one model of a spec on its analysis table; ``seed`` seeds replicate
    weights made from the design.

    A design column the spec names (``design: {psu: cluster}``) must exist and
    have values, or the fit stops with one line; only ``null`` leaves a part
    of the design out. A default name the spec did not write (``weight``,
    ``stratum``, ``psu``) that the table lacks or has only empty is left out,
    and the result's notes say so.
    """
    d = m.design
    explicit = d.model_fields_set
    columns: dict[str, str | None] = {}
    notes: list[str] = []
    roles = ("weights",) if d.stages is not None else ("weights", "strata", "psu", "fpc")
    for role in roles:
        name = getattr(d, role)
        columns[role] = design_column(data, name, required=role in explicit, role=role,
                                      where=where, context=f"model {m.name!r}: design ")
        if name is not None and columns[role] is None:
            notes.append(f"design: no {role} column {name!r} with values in {where}; "
                         f"analysed without {role} (write `{role}: null` to say so)")
    options = FitOptions(
        model=m.model,
        formula=m.formula,
        **{**d.options(data), **columns},  # stages, calibration ...; checked columns
        seed=None if d.replicates is None else seed,
        subpop=m.subpop,
        ame=m.ame,
        base=m.base,
        label=m.label or m.name,
    )
    derived = with_derived_columns(data, m.formula)
    result = flag_small_categories(family_fit(m.model)(derived, options), derived, options,
                                   threshold)
    if notes:
        result = replace(result, notes=(*result.notes, *notes))
    return result if result.label else replace(result, label=m.label or m.name)


def add_predictions(result: FitResult, m: ModelSpec, data: pd.DataFrame) -> FitResult:
    """Store average predictions by ``predict.x`` (and ``predict.by``) in ``extra``."""
    records = spec_predictions(result, m, data)
    return replace(result, extra={**dict(result.extra), "predictions": records})


STALE_STAGING_SECONDS = 3600.0


def remove_stale_staging(out_dir: Path, *, older_than: float = STALE_STAGING_SECONDS) -> list[Path]:
    """Remove staging folders a killed run left behind (untouched for ``older_than`` s).

    A younger staging folder may belong to a run still in progress in another
    process, so it is left alone.
    """
    now = time.time()
    removed = []
    for p in out_dir.glob(".staging-*"):
        if p.is_dir() and now - p.stat().st_mtime > older_than:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def check_table_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """Validate table formats given on the command line (``md,docx,latex,...``)."""
    bad = [f for f in formats if f not in TABLE_SUFFIX]
    if bad:
        raise SpecError(f"table formats: expecting some of {{{', '.join(TABLE_SUFFIX)}}}; "
                        f"got {', '.join(map(repr, bad))}")
    return tuple(formats)


def _check_out_dir(spec: AnalysisSpec, spec_path: Path, data_dir: Path | None,
                   out: Path) -> None:
    """Refuse an output folder that is (inside) a delivery folder or an input file."""
    deliveries = [_resolve(i.input_dir, data_dir, spec_path) for i in spec.inputs
                  if i.input_dir is not None]
    files = [_resolve(i.harmonised, data_dir, spec_path) for i in spec.inputs
             if i.harmonised is not None]
    check_not_input(out, [*files, spec_path], deliveries)


def run_analysis(spec_path: str | Path, *, data_dir: str | Path | None = None,
                 out_dir: str | Path = "surveytk-out", step: Step | None = None,
                 table_formats: Sequence[str] = ()) -> RunSummary:
    """Run every stage of an analysis spec and publish its outputs into ``out_dir``.

    Parameters
    ----------
    spec_path
        An ``analyses/*.yaml`` file.
    data_dir
        Replaces ``{data_dir}`` in the spec's input folders.
    out_dir
        Folder for ``harmonised/``, ``results/``, ``tables/``, ``figures/``,
        ``tabulations/``, ``report/`` (one HTML and one DOCX document of everything)
        and ``manifest.json``.
    step
        Called with a short description before each stage (progress display).
    table_formats
        Formats for every table, instead of those the spec names.
    """
    spec_path = Path(spec_path)
    formats = check_table_formats(table_formats)
    spec = load_spec(spec_path)
    out = Path(out_dir)
    _check_out_dir(spec, spec_path, Path(data_dir) if data_dir else None, out)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        run = _Run(spec, spec_path, Path(data_dir) if data_dir else None, out, stage,
                   step or _noop)
        run.table_formats = formats
        timings = run.summary.timings
        with _timed(timings, "harmonise"):
            run.harmonise_inputs()
        with _timed(timings, "pool"):
            run.pool()
        with _timed(timings, "fit"):
            run.fit_models()
        with _timed(timings, "tables"):
            run.write_tables()
        with _timed(timings, "figures"):
            run.write_figures()
        with _timed(timings, "tabulations"):
            run.write_tabulations()
        with _timed(timings, "trends"):
            run.write_trends()
        with _timed(timings, "report"):
            run.summary.reports = write_run_report(run)
        run.write_manifest()
        run.publish()
        return run.summary
    finally:
        shutil.rmtree(stage, ignore_errors=True)
