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

from surveytk.analysis.sample import design_column
from surveytk.codebook.yaml_document import read_yaml
from surveytk.errors import SpecError, SurveytkError
from surveytk.language.expr import parse_condition, parse_definitions
from surveytk.models.formula import parse_formula
from surveytk.models.registry import BINARY_MODELS, ModelName
from surveytk.survey.options import DEFAULT_LONELY_PSU, CalibrationMethod, LonelyPSU, RepType

TableFormat = Literal["md", "latex", "tex", "html", "docx", "xlsx", "csv", "parquet"]
PlotKind = Literal["coef", "ame", "predicted"]
PlotFormat = Literal["png", "svg", "pdf"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputSpec(_Strict):
    """One source: a codebook and the folder of its raw files, or a harmonised file."""

    source: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
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
        if self.harmonised is not None and not self.harmonised.lower().endswith(".parquet"):
            raise ValueError(
                f"input {self.source!r}: harmonised must be a .parquet file written by "
                f"`surveytk harmonise` (got {self.harmonised!r}); harmonise the raw files "
                "to Parquet, or give codebook + input_dir"
            )
        return self


class StageSpec(_Strict):
    """One sampling stage of a multistage design (``design: stages:``), first to last."""

    psu: str
    strata: str | None = None
    fpc: str | None = None


class DesignSpec(_Strict):
    """The survey design of a model.

    Single-stage designs use ``weights``/``strata``/``psu``/``fpc`` (columns the
    table lacks, or has only empty, are left out, so the defaults fit any
    harmonised table). A multistage design lists its ``stages`` instead, first to
    last; their columns must exist. ``calibrate`` is a TOTALS.csv path relative to
    the spec file.
    """

    weights: str | None = "weight"
    strata: str | None = "stratum"
    psu: str | None = "psu"
    fpc: str | None = None
    stages: list[StageSpec] | None = None
    lonely_psu: LonelyPSU = DEFAULT_LONELY_PSU
    adjust_domain_lonely: bool = False
    replicates: int | None = None
    reptype: RepType | None = None
    rho: float | None = None
    calibrate: str | None = None
    calibration: CalibrationMethod = "linear"
    calibration_bounds: tuple[float, float] | None = None
    trim: tuple[float, float] | None = None
    nonresponse: str | None = None
    respondent: str | None = None

    @model_validator(mode="after")
    def _stages_or_columns(self) -> DesignSpec:
        if self.stages is not None:
            given = sorted({"strata", "psu", "fpc"} & self.model_fields_set)
            if given:
                raise ValueError(
                    f"give the design either as stages or with {', '.join(given)}, not both"
                )
            if not self.stages:
                raise ValueError("stages: list at least one stage")
            with_strata = [s.strata is not None for s in self.stages]
            if any(with_strata[i] and not with_strata[0] for i in range(len(self.stages))):
                raise ValueError("stages: later stages have strata only if the first has")
        return self

    def options(self, table: Any) -> dict[str, Any]:
        """The design options on ``table`` (:class:`surveytk.survey.options.DesignOptions`)."""
        out: dict[str, Any] = {
            "weights": design_column(table, self.weights),
            "lonely_psu": self.lonely_psu,
            "adjust_domain_lonely": self.adjust_domain_lonely,
            "replicates": self.replicates,
            "reptype": self.reptype,
            "rho": self.rho,
            "calibrate": self.calibrate,
            "calibration": self.calibration,
            "calibration_bounds": self.calibration_bounds,
            "trim": self.trim,
            "nonresponse": self.nonresponse,
            "respondent": self.respondent,
        }
        if self.stages is None:
            out.update(
                strata=design_column(table, self.strata),
                psu=design_column(table, self.psu),
                fpc=design_column(table, self.fpc),
            )
        else:
            out.update(
                strata=tuple(s.strata for s in self.stages if s.strata is not None),
                psu=tuple(s.psu for s in self.stages),
                fpc=tuple(s.fpc for s in self.stages if s.fpc is not None),
            )
            if len(out["fpc"]) not in (0, len(self.stages)):
                fpcs = [s.fpc is not None for s in self.stages]
                if fpcs != sorted(fpcs, reverse=True):
                    raise SpecError("design stages: an fpc for a later stage needs one for every "
                                    "earlier stage")
        return out


class PredictSpec(_Strict):
    """Average predictions of a binary model at chosen values of ``x`` (and by ``by``)."""

    x: str
    values: list[Any] = Field(min_length=1)
    by: str | None = None
    levels: list[Any] = []

    @model_validator(mode="after")
    def _levels_with_by(self) -> PredictSpec:
        if (self.by is None) != (not self.levels):
            raise ValueError("`by: VAR` and `levels: [...]` go together")
        return self


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
    predict: PredictSpec | None = None

    @model_validator(mode="after")
    def _predict_binary(self) -> ModelSpec:
        if self.predict is not None and self.model not in BINARY_MODELS:
            raise ValueError(
                f"predict: predictions are available for binary models "
                f"({', '.join(BINARY_MODELS)}), not {self.model}"
            )
        return self


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
    design: DesignSpec = DesignSpec()
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
    return _with_calibration_paths(spec, path)


def _with_calibration_paths(spec: AnalysisSpec, path: Path) -> AnalysisSpec:
    """``design: calibrate:`` paths made relative to the spec file."""

    def resolved(design: DesignSpec) -> DesignSpec:
        cal = design.calibrate
        if cal is None or Path(cal).is_absolute():
            return design
        return design.model_copy(update={"calibrate": str(path.parent / cal)})

    models = [m.model_copy(update={"design": resolved(m.design)}) for m in spec.models]
    tabs = [t.model_copy(update={"design": resolved(t.design)}) for t in spec.tabulations]
    return spec.model_copy(update={"models": models, "tabulations": tabs})


def _check_definitions(define: Mapping[str, str]) -> list[str]:
    """Problems of the spec's ``define:`` block (derived variables), if any."""
    try:
        parse_definitions(dict(define))
    except SurveytkError as exc:
        return [f"define: {exc.message}"]
    return []


def check_expressions(spec: AnalysisSpec, path: Path) -> None:
    """Parse every formula and sample rule with the restricted grammars (no evaluation)."""
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
