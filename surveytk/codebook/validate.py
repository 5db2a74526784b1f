"""Checks of a crosswalk that need the schema and the derivation signatures.

Everything found is returned as :class:`~surveytk.errors.Problem` items with
``file:line`` so that the loader can raise them together.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from surveytk.codebook.book import Codebook
from surveytk.codebook.derivation_signatures import SIGNATURES, is_reference
from surveytk.codebook.model import Crosswalk, DeriveSpec, SchemaVariable, VariableSpec
from surveytk.codebook.suggest import did_you_mean
from surveytk.codebook.template import template_fields
from surveytk.errors import Problem

#: Variables the engine fills itself from the crosswalk's header.
AUTOMATIC = ("source",)


def _problem(book: Codebook, loc: tuple[Any, ...], message: str) -> Problem:
    return Problem(f"{book.where(*loc)}: {message}", file=str(book.path))


def value_fits(var: SchemaVariable, value: object) -> bool:
    """Whether a constant or map target is a legal value of a schema variable."""
    if var.type in ("category", "ordered"):
        return isinstance(value, str) and value in var.level_values
    if var.type == "boolean":
        return isinstance(value, bool)
    if var.type in ("integer", "float"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def validate_crosswalk(book: Codebook) -> list[Problem]:
    """Every problem of a crosswalk beyond its shape (references, levels, derivations)."""
    cw, schema = book.crosswalk, book.schema
    out: list[Problem] = []
    out += _check_files(book, cw)
    order = list(schema.variables)
    for name, spec in cw.variables.items():
        if name not in schema.variables:
            out.append(_problem(book, ("variables", name),
                                f"{name!r} is not a variable of the common schema"
                                + did_you_mean(name, schema.variables)))
            continue
        if name in AUTOMATIC:
            out.append(_problem(book, ("variables", name),
                                f"{name!r} is set from the codebook's `source`; remove it"))
            continue
        out += _check_variable(book, name, spec, schema.variables[name], order)
    for name, var in schema.variables.items():
        if name not in cw.variables and name not in AUTOMATIC and var.derive is None:
            out.append(_problem(
                book, ("variables",),
                f"common variable {name!r} is not given; map it, or write "
                f"`{name}: {{missing_reason: not_asked}}` if the source lacks it",
            ))
    if cw.source not in schema.variables["source"].level_values:
        out.append(_problem(book, ("source",),
                            f"source {cw.source!r} is not a level of `source` in schema.yaml; "
                            "add it in your codebook folder's schema.yaml extension "
                            "(docs/codebooks.md)"))
    return out


def _check_files(book: Codebook, cw: Crosswalk) -> list[Problem]:
    out: list[Problem] = []
    seen = [cw.base]
    for alias, spec in cw.files.items():
        if spec.join is None:
            if alias != cw.base:
                out.append(_problem(book, ("files", alias),
                                    f"file {alias!r} is neither the base nor joined; add `join`"))
            continue
        for right, left in spec.join.on.items():
            head, _, col = left.partition(".")
            if head not in seen or not col:
                out.append(_problem(
                    book, ("files", alias, "join", "on", right),
                    f"join key {left!r} must be <file>.<column> of the base or an earlier "
                    f"joined file ({seen})",
                ))
            elif cw.files[head].join is not None and cw.files[head].join.many:  # type: ignore[union-attr]
                out.append(_problem(book, ("files", alias, "join", "on", right),
                                    f"cannot join on the one-to-many file {head!r}"))
        if alias != cw.base:
            seen.append(alias)
    return out


def _ref_problem(book: Codebook, loc: tuple[Any, ...], ref: object, target: str,
                 order: list[str]) -> Problem | None:
    cw = book.crosswalk
    if not isinstance(ref, str):
        return _problem(book, loc, f"expected a reference (<file>.<column> or $variable), "
                                   f"got {ref!r}")
    if ref.startswith("$"):
        var = ref[1:]
        if var not in book.schema.variables:
            return _problem(book, loc, f"{ref} is not a common variable"
                            + did_you_mean(var, book.schema.variables))
        if order.index(var) >= order.index(target):
            return _problem(book, loc, f"{ref} comes after {target!r} in schema.yaml; "
                                       "only earlier variables can be used")
        return None
    head, dot, col = ref.partition(".")
    if not dot or not col or head not in cw.files:
        hint = did_you_mean(head, cw.files) if dot and col else ""
        return _problem(book, loc, f"{ref!r} is not <file>.<column> with a file of "
                                   f"{sorted(cw.files)}{hint}")
    join = cw.files[head].join
    if join is not None and join.many:
        return _problem(book, loc, f"{ref!r} is in the one-to-many file {head!r}; use "
                                   "roster_value or count_roster")
    return None


def _check_derive(book: Codebook, loc: tuple[Any, ...], derive: DeriveSpec, target: str,
                  order: list[str]) -> list[Problem]:
    out: list[Problem] = []
    d = SIGNATURES.get(derive.function)
    if d is None:
        return [_problem(book, (*loc, "function"),
                         f"unknown derivation {derive.function!r}"
                         + (did_you_mean(derive.function, SIGNATURES)
                            or f"; one of {sorted(SIGNATURES)}"))]
    for arg in derive.args:
        if arg not in d.allowed:
            out.append(_problem(book, (*loc, "args", arg),
                                f"{derive.function} takes no argument {arg!r} "
                                f"(expecting one of {list(d.allowed)})"
                                + did_you_mean(arg, d.allowed)))
    for arg in d.required:
        if arg not in derive.args:
            out.append(_problem(book, (*loc, "args"),
                                f"{derive.function} needs argument {arg!r}"))
    for arg, value in derive.args.items():
        aloc = (*loc, "args", arg)
        if arg in d.inputs:
            p = _ref_problem(book, aloc, value, target, order)
            out += [p] if p else []
        elif arg in d.input_lists or arg in d.mixed_lists:
            if not isinstance(value, list):
                out.append(_problem(book, aloc, f"{arg} must be a list"))
                continue
            for item in value:
                aliases = list(book.crosswalk.files)
                if arg in d.input_lists or is_reference(item, aliases=aliases):
                    p = _ref_problem(book, aloc, item, target, order)
                    out += [p] if p else []
        elif arg == "roster":
            spec = book.crosswalk.files.get(str(value))
            if spec is None or spec.join is None or not spec.join.many:
                out.append(_problem(book, aloc, f"{value!r} is not a one-to-many (roster) file"))
        elif arg == "label_format":
            try:
                template_fields(str(value))
            except ValueError as exc:
                out.append(_problem(book, aloc, str(exc)))
        elif arg == "table" and book.lookup_path(str(value)) is None:
            tables = sorted({p.name for d in book.lookup_dirs for p in Path(d).glob("*.csv")})
            out.append(_problem(book, aloc, f"lookup table {value!r} not found in "
                                f"{[str(d) for d in book.lookup_dirs]}"
                                + (did_you_mean(value, tables) or f"; one of {tables}")))
    if derive.function == "lookup":
        out += _check_lookup_columns(book, loc, derive)
    if derive.function == "combine" and isinstance(derive.args.get("rules"), list):
        n = len(derive.args.get("inputs", []))
        for i, rule in enumerate(derive.args["rules"]):
            rloc = (*loc, "args", "rules", i)
            if not isinstance(rule, dict) or len(rule.get("when", [])) != n or (
                ("to" in rule) == ("missing" in rule)
            ):
                out.append(_problem(book, rloc, f"a rule needs `when` with {n} codes and one of "
                                                "`to` or `missing`"))
    return out


def _check_variable(book: Codebook, name: str, spec: VariableSpec, var: SchemaVariable,
                    order: list[str]) -> list[Problem]:
    out: list[Problem] = []
    loc: tuple[Any, ...] = ("variables", name)
    if spec.from_ is not None:
        p = _ref_problem(book, (*loc, "from"), spec.from_, name, order)
        out += [p] if p else []
    if spec.constant is not None and not value_fits(var, spec.constant):
        out.append(_problem(book, (*loc, "constant"),
                            f"{spec.constant!r} is not a valid {var.type} value of {name}"
                            + _level_hint(var, spec.constant)))
    if spec.derive is not None:
        out += _check_derive(book, (*loc, "derive"), spec.derive, name, order)
    for code, entry in (spec.map or {}).items():
        if isinstance(code, bool):
            out.append(_problem(book, (*loc, "map", code),
                                f"map key {code!r} was read as a boolean; quote it"))
        if entry.to is not None and not value_fits(var, entry.to):
            out.append(_problem(book, (*loc, "map", code, "to"),
                                f"{entry.to!r} is not a valid {var.type} value of {name}"
                                + _level_hint(var, entry.to)))
    if not var.nullable and spec.missing_reason is not None:
        out.append(_problem(book, (*loc, "missing_reason"),
                            f"{name} may not be missing (nullable: false in schema.yaml)"))
    return out


def _level_hint(var: SchemaVariable, value: object) -> str:
    """The levels to choose from and the closest one; for numbers and booleans, the form."""
    if var.levels:
        return f" (levels {list(var.level_values)}){did_you_mean(value, var.level_values)}"
    if var.type == "boolean":
        return "; write true or false (unquoted)"
    if var.type in ("integer", "float"):
        return "; write a number without quotes"
    return ""


def _check_lookup_columns(book: Codebook, loc: tuple[Any, ...],
                          derive: DeriveSpec) -> list[Problem]:
    """The lookup table's header has the key, value and label columns the crosswalk names."""
    path = book.lookup_path(str(derive.args.get("table", "")))
    if path is None:
        return []
    with path.open(encoding="utf-8") as fh:
        header = [c.lstrip("\ufeff") for c in next(csv.reader(fh), [])]
    out: list[Problem] = []
    for arg in ("key", "value", "label_column"):
        column = derive.args.get(arg)
        if column is not None and str(column) not in header:
            out.append(_problem(book, (*loc, "args", arg),
                                f"lookup table {path.name} has no column {column!r} "
                                f"(columns {header}){did_you_mean(column, header)}"))
    return out
