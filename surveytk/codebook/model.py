"""The codebook model: the common schema and one crosswalk per delivery.

Pydantic v2 models of what ``codebooks/schema.yaml`` and
``codebooks/sources/<source>_<wave>.yaml`` say. They describe; the engine in
:mod:`surveytk.harmonise` applies. No Python expressions appear in YAML:
derivations are named functions of a registry with plain arguments.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from surveytk.errors import SurveytkError
from surveytk.paths import check_safe_name

#: Why a harmonised value is missing (DESIGN.md); codes 1..6 in the engine, 0 = valid.
MISSING_REASONS: tuple[str, ...] = (
    "dont_know",
    "refused",
    "not_applicable",
    "not_asked",
    "implausible",
    "unmapped_in_source",
)
MissingReason = Literal[
    "dont_know", "refused", "not_applicable", "not_asked", "implausible", "unmapped_in_source"
]
VariableType = Literal["string", "category", "ordered", "boolean", "integer", "float", "date"]
FileFormatName = Literal[
    "sav", "zsav", "por", "dta", "sas7bdat", "xpt", "csv", "tsv", "xls", "xlsx", "parquet"
]
#: A source code as written in YAML: a number for coded files, text for label exports.
SourceCode = int | float | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Level(_Strict):
    """One level of a categorical common variable."""

    value: str
    label: str


class DeriveSpec(_Strict):
    """A named derivation of the registry with its arguments.

    Arguments that name inputs are either ``<file>.<variable>`` (a column of a
    delivered file) or ``$<common variable>`` (a variable harmonised before).
    """

    function: str
    args: dict[str, Any] = Field(default_factory=dict)


class SchemaVariable(_Strict):
    """One variable of the common schema."""

    type: VariableType
    label: str
    description: str = ""
    levels: tuple[Level, ...] = ()
    range: tuple[float, float] | None = None
    nullable: bool = True
    dtype: str | None = None
    pattern: str | None = None
    derive: DeriveSpec | None = None

    @property
    def level_values(self) -> tuple[str, ...]:
        return tuple(lv.value for lv in self.levels)


class Schema(_Strict):
    """The common schema (``codebooks/schema.yaml``)."""

    schema_name: str = Field(alias="schema")
    version: str
    missing_reasons: tuple[Level, ...]
    missing_columns: tuple[str, ...]
    variables: dict[str, SchemaVariable]

    @model_validator(mode="after")
    def _consistent(self) -> Schema:
        reasons = tuple(r.value for r in self.missing_reasons)
        if reasons != MISSING_REASONS:
            raise ValueError(f"missing_reasons must be, in order, {list(MISSING_REASONS)}")
        unknown = [v for v in self.missing_columns if v not in self.variables]
        if unknown:
            raise ValueError(f"missing_columns names unknown variables {unknown}")
        for name, var in self.variables.items():
            if var.type in ("category", "ordered") and not var.levels:
                raise ValueError(f"variable {name!r} of type {var.type} needs levels")
        return self


class JoinSpec(_Strict):
    """How a file joins the base table.

    ``on`` maps this file's key columns to references on the left
    (``<file>.<variable>`` of the base or an earlier-joined file).
    """

    on: dict[str, str]
    many: bool = False
    unmatched: Literal["error"] | MissingReason = "error"
    unused_reason: str = "no matching respondent"


class FileSpec(_Strict):
    """One delivered file of the source."""

    path: str
    format: FileFormatName | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    keys: tuple[str, ...] = ()
    unit: str | None = None
    join: JoinSpec | None = None

    @field_validator("path")
    @classmethod
    def _safe_path(cls, value: str) -> str:
        """A path relative to the delivery folder: safe names, no absolute path, no '..'."""
        try:
            return check_safe_name(value, what="file path", subfolders=True)
        except SurveytkError as exc:
            raise ValueError(str(exc)) from None


class MapEntry(_Strict):
    """Where one source code goes: a common value (``to``) or a missing reason."""

    to: str | bool | int | float | None = None
    missing: MissingReason | None = None
    label: str | None = None
    label_as_delivered: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> MapEntry:
        if (self.to is None) == (self.missing is None):
            raise ValueError("give exactly one of `to` (a common value) or `missing` (a reason)")
        return self


class VariableSpec(_Strict):
    """How one common variable is made from the source.

    Exactly one of ``from`` (a source column), ``constant``, ``derive`` or
    ``missing_reason`` (the source lacks it) says where values come from;
    ``map`` then sends each source code to a common value or a missing reason.

    ``out_of_range`` says what becomes of a value outside the schema variable's
    ``range`` (a negative duration, an arrival after the interview): ``implausible``
    (the default) sets it missing with that reason, counts it in the audit and warns;
    ``error`` stops the run. ``surveytk harmonise --strict`` treats every such value
    as an error.
    """

    from_: str | None = Field(default=None, alias="from")
    constant: str | bool | int | float | None = None
    derive: DeriveSpec | None = None
    missing_reason: MissingReason | None = None
    map: dict[SourceCode, MapEntry] | None = None
    missing: dict[SourceCode, MissingReason] = Field(default_factory=dict)
    use_source_missing: bool = True
    system_missing: MissingReason | None = None
    out_of_range: Literal["error", "implausible"] = "implausible"
    check_labels: bool = True
    question: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> VariableSpec:
        given = [
            k
            for k in ("from_", "constant", "derive", "missing_reason")
            if getattr(self, k) is not None
        ]
        if len(given) != 1:
            names = ["from" if k == "from_" else k for k in given] or ["none"]
            raise ValueError(
                "give exactly one of `from`, `constant`, `derive`, `missing_reason` "
                f"(got {', '.join(names)})"
            )
        return self


class Crosswalk(_Strict):
    """A crosswalk: one delivered file set of one source mapped to the common schema."""

    codebook: str
    source: str
    version: str
    title: str | None = None
    description: str | None = None
    unit: str
    base: str
    system_missing: MissingReason = "not_asked"
    missing_codes: dict[SourceCode, MissingReason] = Field(default_factory=dict)
    files: dict[str, FileSpec]
    variables: dict[str, VariableSpec]
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _base_exists(self) -> Crosswalk:
        if self.base not in self.files:
            raise ValueError(f"base {self.base!r} is not one of files {sorted(self.files)}")
        if self.files[self.base].join is not None:
            raise ValueError(f"base file {self.base!r} must not have a join")
        return self
