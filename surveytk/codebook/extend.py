"""A codebook folder's ``schema.yaml`` extension, merged with the built-in common schema.

An extension adds to the common schema and never changes it:

* new **levels** of a ``category`` variable (a new ``source`` above all);
* new **variables** (nullable: crosswalks from other folders leave them missing with
  reason ``not_asked``), appended after the built-in ones, and ``missing_columns``
  for them;

Restating a built-in key with the same value is allowed (a copied definition); any
other change is a conflict, reported with the extension's file and line, as are two
extensions that define one new variable differently. The merged schema is validated
like the built-in one (:class:`~surveytk.codebook.model.Schema`), and derivations of
new variables are checked against the derivation signatures
(:mod:`surveytk.codebook.derivation_signatures`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from surveytk.codebook.derivation_signatures import SIGNATURES
from surveytk.codebook.model import Schema, SchemaVariable
from surveytk.codebook.yaml_document import YamlDocument
from surveytk.errors import CodebookError, ProblemList

EXTENSION_KEYS = ("extends", "name", "version", "description", "variables", "missing_columns")


@dataclass(frozen=True)
class MergedSchema:
    """The common schema with every extension applied, and where each addition came from."""

    schema: Schema
    #: new variable → the extension file that added it
    added_by: Mapping[str, Path]
    extensions: tuple[Path, ...]


class _Merge:
    def __init__(self, base: YamlDocument) -> None:
        self.data: dict[str, Any] = copy.deepcopy(base.data)
        self.base_name = str(self.data.get("schema"))
        self.origin: dict[str, str] = {name: "the built-in schema"
                                       for name in self.data["variables"]}
        #: (variable, level) → where the level was defined
        self.level_origin: dict[tuple[str, str], str] = {
            (name, lv["value"]): "the built-in schema"
            for name, var in self.data["variables"].items() for lv in var.get("levels") or []}
        self.added_by: dict[str, Path] = {}
        self.tags: list[str] = []
        self.problems = ProblemList()

    def add(self, doc: YamlDocument, lookup_dirs: Sequence[Path]) -> None:
        ext = doc.data
        if not isinstance(ext, dict):
            self._fail(doc, (), "a schema extension must be a YAML mapping")
            return
        if "schema" in ext or "missing_reasons" in ext:
            self._fail(doc, (), "this is a whole schema, not an extension: a codebook "
                       f"folder's schema.yaml starts with `extends: {self.base_name}` and "
                       "gives only what it adds (new sources, variables; docs/codebooks.md)")
            return
        for key in ext:
            if key not in EXTENSION_KEYS:
                self._fail(doc, (key,), f"unknown key {key!r}; an extension has "
                           f"{', '.join(EXTENSION_KEYS)}")
        if ext.get("extends") != self.base_name:
            self._fail(doc, ("extends",), f"write `extends: {self.base_name}` (the schema "
                       "this extension adds to)")
        version = ext.get("version")
        if not isinstance(version, str) or not version:
            self._fail(doc, ("version",), 'give the extension a `version:` as text, e.g. "0.1.0"')
        name = str(ext.get("name") or doc.path.parent.name)
        self.tags.append(f"{name}-{version}")
        variables = ext.get("variables") or {}
        if not isinstance(variables, dict):
            self._fail(doc, ("variables",), "`variables` must be a mapping")
            variables = {}
        new: list[str] = []
        for var, definition in variables.items():
            if not isinstance(definition, dict):
                self._fail(doc, ("variables", var), "a variable is a mapping of keys")
            elif var in self.origin:
                self._extend(doc, str(var), definition)
            elif self._new(doc, str(var), definition, lookup_dirs):
                new.append(str(var))
        self._missing_columns(doc, ext.get("missing_columns") or [], new)

    def _fail(self, doc: YamlDocument, loc: tuple[Any, ...], message: str) -> None:
        line = doc.line_of(loc)
        where = f"{doc.path}:{line}" if line else str(doc.path)
        self.problems.add(f"{where}: {message}", file=str(doc.path))

    def _extend(self, doc: YamlDocument, var: str, definition: dict[str, Any]) -> None:
        current = self.data["variables"][var]
        where = self.origin[var]
        for key, value in definition.items():
            loc = ("variables", var, key)
            if key == "levels":
                self._add_levels(doc, var, value)
            elif current.get(key) != value:
                self._fail(doc, loc, f"{var}.{key} is {value!r} here but {current.get(key)!r} "
                           f"in {where}; an extension may add levels to a category variable "
                           "and new variables, never change one (use a new variable name)")

    def _add_levels(self, doc: YamlDocument, var: str, levels: Any) -> None:
        current = self.data["variables"][var]
        loc = ("variables", var, "levels")
        if current.get("type") != "category":
            self._fail(doc, loc, f"{var} is {current.get('type')}: only category variables "
                       "take new levels (the order of an ordered variable is part of models)")
            return
        if not isinstance(levels, list):
            self._fail(doc, loc, "levels must be a list of {value, label}")
            return
        known = {lv["value"]: lv["label"] for lv in current["levels"]}
        for i, level in enumerate(levels):
            if not isinstance(level, dict) or set(level) != {"value", "label"}:
                self._fail(doc, (*loc, i), "a level is {value: ..., label: ...}")
            elif level["value"] not in known:
                current["levels"].append(dict(level))
                known[level["value"]] = level["label"]
                self.level_origin[(var, level["value"])] = str(doc.path)
            elif known[level["value"]] != level["label"]:
                self._fail(doc, (*loc, i), f"level {level['value']!r} of {var} is labelled "
                           f"{known[level['value']]!r} in "
                           f"{self.level_origin[(var, level['value'])]}; use that label or "
                           "another value")

    def _new(self, doc: YamlDocument, var: str, definition: dict[str, Any],
             lookup_dirs: Sequence[Path]) -> bool:
        loc = ("variables", var)
        stems = [v for v in self.origin if var == f"{v}_missing"]
        if stems:
            self._fail(doc, loc, f"{var!r} is the name of {stems[0]}'s missing-reason column; "
                       "choose another name")
            return False
        try:
            parsed = SchemaVariable.model_validate(definition)
        except ValidationError as exc:
            for err in exc.errors():
                shown = ".".join(str(p) for p in err["loc"]) or "(definition)"
                self._fail(doc, (*loc, *err["loc"]), f"{var}.{shown}: {err['msg']}")
            return False
        if not parsed.nullable:
            self._fail(doc, (*loc, "nullable"), f"a new variable must be nullable: crosswalks "
                       f"that do not know {var} leave it missing (not_asked)")
            return False
        if parsed.type in ("category", "ordered") and not parsed.levels:
            self._fail(doc, (*loc, "levels"), f"{var} is {parsed.type} and needs levels")
            return False
        if parsed.derive is not None and not self._derive_ok(doc, var, parsed, lookup_dirs):
            return False
        self.data["variables"][var] = copy.deepcopy(definition)
        self.origin[var] = str(doc.path)
        self.added_by[var] = doc.path
        return True

    def _derive_ok(self, doc: YamlDocument, var: str, parsed: SchemaVariable,
                   lookup_dirs: Sequence[Path]) -> bool:
        assert parsed.derive is not None
        loc = ("variables", var, "derive")
        d = SIGNATURES.get(parsed.derive.function)
        if d is None:
            self._fail(doc, (*loc, "function"), f"unknown derivation "
                       f"{parsed.derive.function!r}; one of {sorted(SIGNATURES)}")
            return False
        ok = True
        args = parsed.derive.args
        for arg in args:
            if arg not in d.allowed:
                self._fail(doc, (*loc, "args", arg), f"{d.name} takes no argument {arg!r}")
                ok = False
        for arg in d.required:
            if arg not in args:
                self._fail(doc, (*loc, "args"), f"{d.name} needs argument {arg!r}")
                ok = False
        refs = [args[a] for a in d.inputs if a in args]
        refs += [x for a in d.input_lists if isinstance(args.get(a), list) for x in args[a]]
        for ref in refs:
            if not (isinstance(ref, str) and ref.startswith("$") and ref[1:] in self.origin):
                self._fail(doc, (*loc, "args"), f"{ref!r}: a schema derivation uses only "
                           "$variables defined before it (files differ between sources)")
                ok = False
        table = args.get("table")
        if table is not None and not any((folder / str(table)).is_file() for folder in lookup_dirs):
            self._fail(doc, (*loc, "args", "table"), f"lookup table {table!r} not found in "
                       f"{[str(p) for p in lookup_dirs]}")
            ok = False
        return ok

    def _missing_columns(self, doc: YamlDocument, names: Any, new: list[str]) -> None:
        if not isinstance(names, list):
            self._fail(doc, ("missing_columns",), "missing_columns must be a list of variables")
            return
        for i, name in enumerate(names):
            if name in new:
                if name not in self.data["missing_columns"]:
                    self.data["missing_columns"].append(name)
            else:
                self._fail(doc, ("missing_columns", i), f"{name!r}: an extension may add "
                           "missing-reason columns only for the variables it adds")


def merge_extensions(base: YamlDocument, extensions: Sequence[YamlDocument],
                     lookup_dirs: Sequence[Path]) -> MergedSchema:
    """The built-in schema ``base`` with ``extensions`` applied in order.

    Raises
    ------
    CodebookError
        Every conflict and invalid definition, each with the extension's file and line.
    """
    merge = _Merge(base)
    for doc in extensions:
        merge.add(doc, lookup_dirs)
    where = ", ".join(str(d.path) for d in extensions)
    merge.problems.raise_if_any(CodebookError, f"schema extension(s) {where}")
    data = merge.data
    data["version"] = "+".join([str(data["version"]), *merge.tags])
    try:
        schema = Schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CodebookError(f"schema extension(s) {where}: the merged schema is invalid: "
                            f"{first['msg']}") from None
    return MergedSchema(schema=schema, added_by=dict(merge.added_by),
                        extensions=tuple(d.path for d in extensions))
