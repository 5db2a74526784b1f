"""Readable labels for terms, outcome levels and thresholds, from the common schema.

Term names come from the formula module in two spellings for categorical
levels — ``area[b]`` / ``area[T.b]`` and ``C(area)[T.b]`` /
``C(area, Treatment('a'))[T.b]`` — plus numeric and boolean variables by name
and ``Intercept``. Interactions join their parts with ``:``. Each part is split
into a variable and a level, and each is labelled separately from
``codebooks/schema.yaml`` (``variables: name → {label, levels: [{value, label}]}``).
Anything not found keeps its raw name, so a table is always produced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surveytk.errors import OutputError

INTERCEPT_NAMES = frozenset({"Intercept", "(Intercept)", "const", "_cons"})
INTERCEPT_LABEL = "Intercept"
INTERACTION_SEPARATOR = " × "

_CATEGORICAL_C = re.compile(
    r"^C\(\s*(?P<var>[A-Za-z_][\w.]*)\s*(?:,.*)?\)\[(?:T\.)?(?P<level>.*)\]$"
)
_CATEGORICAL_PLAIN = re.compile(r"^(?P<var>[A-Za-z_][\w.]*)\[(?:T\.)?(?P<level>.*)\]$")
_FUNCTION_OF_VAR = re.compile(r"^(?P<func>[A-Za-z_][\w.]*)\(\s*(?P<var>[A-Za-z_]\w*)\s*\)$")
_TRUE_LEVELS = frozenset({"true", "1", "yes"})
_FORMULA_REF = re.compile(
    r"C\(\s*(?P<var>[A-Za-z_][\w.]*)\s*,\s*"
    r"(?:ref\s*=\s*|Treatment\(\s*(?:reference\s*=\s*)?)"
    r"(?P<q>['\"])(?P<ref>[^'\"]*)(?P=q)"
)


@dataclass(frozen=True)
class VariableLabels:
    """The label of one schema variable and of its levels (value → label)."""

    label: str | None = None
    levels: Mapping[str, str] = field(default_factory=dict)
    type: str | None = None


def split_interaction(term: str) -> list[str]:
    """Split ``a:b[T.x]`` at top-level colons (not inside brackets or parentheses)."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(term):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        elif ch == ":" and depth == 0:
            parts.append(term[start:i])
            start = i + 1
    parts.append(term[start:])
    return [p.strip() for p in parts]


def formula_references(formula: str) -> dict[str, str]:
    """Reference levels named in a formula: ``C(gender, ref="female")`` → ``{"gender": "female"}``.

    Also ``C(x, Treatment('a'))`` and ``C(x, Treatment(reference='a'))``.
    """
    return {m.group("var"): m.group("ref") for m in _FORMULA_REF.finditer(formula)}


def parse_term_part(part: str) -> tuple[str, str | None]:
    """``C(area)[T.b]`` → ``("area", "b")``; ``age`` → ``("age", None)``."""
    for pattern in (_CATEGORICAL_C, _CATEGORICAL_PLAIN):
        m = pattern.match(part)
        if m:
            return m.group("var"), m.group("level")
    return part, None


class Labeller:
    """Maps raw names to labels; with ``enabled=False`` every name stays raw.

    Parameters
    ----------
    variables
        Schema variable name → :class:`VariableLabels`.
    enabled
        ``False`` for ``--raw-names``.
    """

    def __init__(
        self, variables: Mapping[str, VariableLabels] | None = None, *, enabled: bool = True
    ) -> None:
        self._vars: Mapping[str, VariableLabels] = variables or {}
        self.enabled = enabled

    @classmethod
    def from_schema(cls, path: str | Path | None = None, *, enabled: bool = True) -> Labeller:
        """Read labels from the common schema (with the schema extensions of the codebook
        search path, so that users' sources are labelled too) or from ``path``; raw names
        if ``path`` is absent."""
        if not enabled:
            return cls(enabled=False)
        if path is None:
            from surveytk.codebook.loader import load_schema  # lazy: pydantic models, ~0.2 s

            schema = load_schema().model_dump(by_alias=True, mode="json")
            return cls(parse_schema_labels(schema, "the common schema"), enabled=True)
        path = Path(path)
        if not path.is_file():
            return cls(enabled=True)
        return cls(read_schema_labels(path), enabled=True)

    def with_variables(self, variables: Mapping[str, VariableLabels]) -> Labeller:
        """A labeller where ``variables`` (e.g. carried by results) take precedence."""
        if not variables:
            return self
        return Labeller({**self._vars, **variables}, enabled=self.enabled)

    def known_levels(self, variable: str) -> tuple[str, ...]:
        """The levels (values) the labels know for ``variable``, in their order."""
        info = self._vars.get(variable)
        return tuple(info.levels) if info is not None else ()

    def categorical(self, term: str) -> tuple[str, str] | None:
        """``(variable, level)`` if ``term`` is one level of a categorical variable.

        Interactions, numeric terms and yes/no variables (one row, no reference
        group) give ``None``.
        """
        parts = split_interaction(term)
        if len(parts) != 1 or parts[0] in INTERCEPT_NAMES:
            return None
        variable, level = parse_term_part(parts[0])
        if level is None or self._is_boolean(variable, level):
            return None
        return variable, level

    def with_file_labels(
        self,
        variable_labels: Mapping[str, str],
        value_labels: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Labeller:
        """A labeller where a delivered file's own variable and value labels come first."""
        if not self.enabled:
            return self
        merged = dict(self._vars)
        for name in set(variable_labels) | set(value_labels or {}):
            old = merged.get(name, VariableLabels())
            levels = {**old.levels, **(value_labels or {}).get(name, {})}
            merged[name] = VariableLabels(
                label=variable_labels.get(name) or old.label, levels=levels, type=old.type
            )
        return Labeller(merged, enabled=True)

    # ---- single names -------------------------------------------------------------
    def variable(self, name: str) -> str:
        """The label of variable ``name`` (raw name if unknown or disabled)."""
        if not self.enabled:
            return name
        info = self._vars.get(name)
        return info.label if info is not None and info.label else name

    def level(self, variable: str, value: str) -> str:
        """The label of level ``value`` of ``variable`` (raw value if unknown)."""
        if not self.enabled:
            return value
        info = self._vars.get(variable)
        if info is None:
            return value
        if value in info.levels:
            return info.levels[value]
        lowered = {k.lower(): v for k, v in info.levels.items()}
        return lowered.get(value.lower(), value)

    def _is_boolean(self, variable: str, level: str) -> bool:
        info = self._vars.get(variable)
        kind = (info.type or "").lower() if info is not None else ""
        return level.lower() in _TRUE_LEVELS and (kind in {"boolean", "bool"} or level == "True")

    # ---- terms ----------------------------------------------------------------------
    def term_part(self, part: str) -> str:
        """Label one factor of a term: ``Variable: Level``, ``Variable`` or raw."""
        if part in INTERCEPT_NAMES:
            return INTERCEPT_LABEL if self.enabled else part
        if not self.enabled:
            return part
        variable, level = parse_term_part(part)
        if level is None:
            m = _FUNCTION_OF_VAR.match(part)
            if m and m.group("var") in self._vars:
                return f"{m.group('func')}({self.variable(m.group('var'))})"
            return self.variable(variable)
        if self._is_boolean(variable, level):
            return self.variable(variable)
        return f"{self.variable(variable)}: {self.level(variable, level)}"

    def term(self, term: str) -> str:
        """Label a whole term, interactions joined with ``×``."""
        if not self.enabled:
            return term
        return INTERACTION_SEPARATOR.join(self.term_part(p) for p in split_interaction(term))

    def threshold(self, term: str, outcome: str) -> str:
        """Label an ordinal threshold ``low|high`` with the outcome's level labels."""
        if not self.enabled or "|" not in term:
            return term
        low, high = term.split("|", 1)
        return f"{self.level(outcome, low.strip())} | {self.level(outcome, high.strip())}"


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def parse_schema_labels(doc: Any, source: str) -> dict[str, VariableLabels]:
    """Turn a loaded schema document into variable labels; tolerate missing keys."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("variables"), Mapping):
        raise OutputError(
            f"{source}: schema has no top-level 'variables:' mapping; "
            "fix the schema or use --raw-names",
            file=source,
        )
    out: dict[str, VariableLabels] = {}
    for name, spec in doc["variables"].items():
        if not isinstance(spec, Mapping):
            continue
        levels: dict[str, str] = {}
        for item in spec.get("levels") or ():
            if isinstance(item, Mapping) and "value" in item:
                value = _as_text(item["value"])
                levels[value] = str(item.get("label") or value)
        label = spec.get("label")
        out[str(name)] = VariableLabels(
            label=str(label) if label else None,
            levels=levels,
            type=str(spec["type"]) if spec.get("type") else None,
        )
    return out


def read_schema_labels(path: Path) -> dict[str, VariableLabels]:
    """Read ``path`` with ``yaml.safe_load`` and extract labels."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise OutputError(
            f"{path}: cannot read the schema for labels ({type(exc).__name__}); "
            "fix it or use --raw-names",
            file=str(path),
        ) from exc
    return parse_schema_labels(doc, str(path))
