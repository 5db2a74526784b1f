"""The analysis spec: inputs, sample rules, models and outputs, validated.

A spec is YAML read safely (the codebook loader: safe constructors only, alias bombs and
duplicate keys refused, lines recorded) and validated by pydantic;
formulas and sample rules go through surveytk's restricted grammars before
anything is evaluated, so a spec from someone else cannot run code.
All problems in a spec are reported together.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from surveytk.errors import SpecError
from surveytk.models.options import ModelName

TableFormat = Literal["md", "latex", "tex", "html", "docx", "xlsx", "csv", "parquet"]
PlotKind = Literal["coef", "ame", "predicted"]
PlotFormat = Literal["png", "svg", "pdf"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputSpec(_Strict):
    """One source: a codebook and the folder of its raw files, or a harmonised file."""

    source: str
    codebook: str | None = None
    input_dir: str | None = None
    harmonised: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> InputSpec:
        raw = self.codebook is not None and self.input_dir is not None
        if raw == (self.harmonised is not None):
            raise ValueError(
                f"input {self.source!r}: give either codebook + input_dir, or harmonised"
            )
        return self


class DesignSpec(_Strict):
    weights: str | None = "weight"
    strata: str | None = "stratum"
    psu: str | None = "psu"
    fpc: str | None = None
    lonely_psu: Literal["fail", "adjust", "certainty", "remove", "average"] = "adjust"
    replicates: int | None = None
    reptype: Literal["bootstrap", "jk1", "jkn"] | None = None


class ModelSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    label: str | None = None
    model: ModelName
    data: str = Field(description="a source name, or 'pooled'")
    formula: str
    subpop: str | None = None
    design: DesignSpec = DesignSpec()
    ame: bool = False
    base: str | None = None
    predict: dict[str, Any] | None = None


class TableSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    models: list[str]
    formats: list[TableFormat] = ["md", "docx", "latex"]
    title: str | None = None
    notes: str | None = None
    exp: bool = False
    ame: bool = False
    stat: Literal["se", "ci", "t", "p"] = "se"
    scale: list[str] = []  # "age=10 years": effects of a numeric variable per 10 units


class PlotSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    models: list[str]
    kind: PlotKind = "ame"
    format: PlotFormat = "png"
    title: str | None = None
    terms: list[str] = []
    scale: list[str] = []  # "age=10 years": effects of a numeric variable per 10 units


class TabulationSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    data: str
    by: list[str]
    reference: Literal["origin"] | None = None
    formats: list[TableFormat] = ["md"]
    figure: PlotFormat | None = None  # bars of the shares with 95% intervals


class TrendSpec(_Strict):
    """Share with a yes/no outcome by round (``over``) within each ``by`` group, the
    round-to-round differences with design-based t tests, a figure and a table."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    data: str = "pooled"
    outcome: str
    over: str = "wave"
    by: str = "source"
    # the exhibit's own sample rules (the models' rules usually keep one round only)
    rules: list[str] = []
    title: str | None = None
    design: DesignSpec = DesignSpec()
    formats: list[TableFormat] = ["md", "csv"]
    figure: PlotFormat = "png"


class SampleSpec(_Strict):
    rules: list[str] = []
    undecided: Literal["false", "missing"] = "false"


class AnalysisSpec(_Strict):
    name: str
    version: str = "1"
    description: str | None = None
    seed: int = 20240601
    disclosure_threshold: int = 10
    inputs: list[InputSpec]
    define: dict[str, str] = {}
    sample: SampleSpec = SampleSpec()
    pool_weights: Literal["sample", "equal", "none"] = "sample"
    models: list[ModelSpec]
    tables: list[TableSpec] = []
    plots: list[PlotSpec] = []
    tabulations: list[TabulationSpec] = []
    trends: list[TrendSpec] = []

    @model_validator(mode="after")
    def _references_resolve(self) -> AnalysisSpec:
        sources = {i.source for i in self.inputs}
        names = [m.name for m in self.models]
        problems: list[str] = []
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            problems.append(f"model names used twice: {', '.join(dup)}")
        for m in self.models:
            if m.data != "pooled" and m.data not in sources:
                problems.append(
                    f"model {m.name!r}: data {m.data!r} is neither 'pooled' nor an input source"
                )
        outputs: list[TableSpec | PlotSpec] = [*self.tables, *self.plots]
        for out in outputs:
            for ref in out.models:
                if ref not in names:
                    problems.append(f"{out.name!r} refers to unknown model {ref!r}")
        for tab in self.tabulations:
            if tab.data != "pooled" and tab.data not in sources:
                problems.append(f"tabulation {tab.name!r}: unknown data {tab.data!r}")
        for trend in self.trends:
            if trend.data != "pooled" and trend.data not in sources:
                problems.append(f"trend {trend.name!r}: unknown data {trend.data!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _format_validation(path: Path, exc: ValidationError,
                       lines: Mapping[tuple[str, ...], int]) -> str:
    out = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        where = ".".join(loc) or "(top level)"
        # the line of the deepest key that exists in the file
        line = next((lines[loc[:i]] for i in range(len(loc), 0, -1) if loc[:i] in lines), None)
        at = f"{path.name}:{line}" if line is not None else str(path)
        out.append(f"  - {at}: {where}: {err['msg']}")
    n = len(out)
    return f"{path}: invalid analysis spec ({n} problem{'s' if n != 1 else ''}):\n" + "\n".join(
        out
    )


def load_spec(path: str | Path) -> AnalysisSpec:
    """Read and validate an analysis spec; every problem is reported in one SpecError.

    Formulas and sample rules are checked against their restricted grammars by
    :func:`check_expressions` before the spec is used.
    """
    from surveytk.codebook.loader import read_yaml

    path = Path(path)
    doc = read_yaml(path, error=SpecError, what="analysis spec")
    raw = doc.data
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: an analysis spec is a YAML mapping", file=str(path))
    try:
        spec = AnalysisSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(_format_validation(path, exc, doc.lines), file=str(path)) from exc
    check_expressions(spec, path)
    return spec


def _check_definitions(define: Mapping[str, str]) -> list[str]:
    """Problems of the spec's ``define:`` block (derived variables), if any."""
    from surveytk.errors import SurveytkError
    from surveytk.expr import parse_definitions

    try:
        parse_definitions(dict(define))
    except SurveytkError as exc:
        return [f"define: {exc.message}"]
    return []


def check_expressions(spec: AnalysisSpec, path: Path) -> None:
    """Parse every formula and sample rule with the restricted grammars (no evaluation)."""
    from surveytk.errors import SurveytkError
    from surveytk.expr import parse_condition
    from surveytk.models.formula import parse_formula

    problems: list[str] = []
    for m in spec.models:
        try:
            parse_formula(m.formula)
        except SurveytkError as exc:
            problems.append(f"model {m.name!r}: {exc.message}")
        if m.subpop:
            try:
                parse_condition(m.subpop)
            except SurveytkError as exc:
                problems.append(f"model {m.name!r} subpop: {exc.message}")
    for rule in spec.sample.rules:
        try:
            parse_condition(rule)
        except SurveytkError as exc:
            problems.append(f"sample rule {rule!r}: {exc.message}")
    problems.extend(_check_definitions(spec.define))
    if problems:
        raise SpecError(
            f"{path}: invalid analysis spec ({len(problems)} problems):\n"
            + "\n".join(f"  - {p}" for p in problems),
            file=str(path),
        )
