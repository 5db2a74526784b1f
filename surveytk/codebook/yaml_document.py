"""Reading a YAML file safely, with the line of every key: codebooks, schema extensions
and analysis specs.

``yaml.safe_load`` semantics only (a :class:`yaml.SafeLoader` subclass), with
YAML 1.2 booleans: ``Yes``/``No``/``on``/``off`` stay text, so a value map keyed
by the label "No" means the text "No". Alias bombs and documents nested too deep
are refused before anything recurses over them; duplicate keys are reported with
their lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from surveytk.codebook.suggest import describe_yaml_error
from surveytk.errors import CodebookError, ProblemList, SurveytkError

LinePath = tuple[str, ...]


class CodebookLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false), so labels like "No" stay text."""


CodebookLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CodebookLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML plus the line (1-based) of every mapping key, by key path."""

    path: Path
    text: str
    data: Any
    lines: Mapping[LinePath, int] = field(default_factory=dict)

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        """Line of the deepest key path that is a prefix of ``loc``."""
        parts = tuple(str(p) for p in loc)
        for n in range(len(parts), 0, -1):
            line = self.lines.get(parts[:n])
            if line is not None:
                return line
        return None

    def where(self, loc: tuple[Any, ...]) -> str:
        line = self.line_of(loc)
        return f"{self.path.name}:{line}" if line else self.path.name


#: YAML aliases may not expand a document beyond this many nodes ("billion laughs")
MAX_EXPANDED_NODES = 1_000_000


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_aliases(node: yaml.Node, file: Path,
                  error: type[SurveytkError] = CodebookError) -> None:
    """Refuse an alias that contains itself, or aliases that expand the document to more
    than :data:`MAX_EXPANDED_NODES` nodes; either would hang or exhaust the loader.

    Raises ``error`` (default :class:`CodebookError`) naming ``file``.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        key = id(current)
        if done:
            open_nodes.discard(key)
            sizes[key] = min(MAX_EXPANDED_NODES + 1,
                             1 + sum(sizes[id(c)] for c in _children(current)))
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise error(f"{file.name}: a YAML alias refers to itself; remove the "
                        "recursive anchor", file=str(file))
        open_nodes.add(key)
        stack.append((current, True))
        stack.extend((c, False) for c in _children(current) if id(c) not in sizes)
    if sizes[id(node)] > MAX_EXPANDED_NODES:
        raise error(f"{file.name}: YAML aliases expand the document beyond "
                    f"{MAX_EXPANDED_NODES:,} nodes; write the values out", file=str(file))


def _walk(node: yaml.Node, path: LinePath, lines: dict[LinePath, int], problems: ProblemList,
          file: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            kpath = (*path, key)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.add(
                    f"{file.name}:{line}: duplicate key {'.'.join(kpath)!r}; keep one",
                    file=str(file),
                )
            seen.add(key)
            lines.setdefault(kpath, line)
            _walk(value_node, kpath, lines, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            ipath = (*path, str(i))
            lines.setdefault(ipath, item.start_mark.line + 1)
            _walk(item, ipath, lines, problems, file)


#: deepest nesting of mappings and lists in a codebook or spec (they use under ten)
MAX_YAML_DEPTH = 50


def _check_depth(node: yaml.Node, path: Path, *, error: type[SurveytkError], what: str) -> None:
    """Refuse a document nested deeper than :data:`MAX_YAML_DEPTH` (walked without recursion,
    before anything else recurses over it)."""
    stack: list[tuple[yaml.Node, int]] = [(node, 1)]
    seen: set[int] = set()
    while stack:
        current, depth = stack.pop()
        if depth > MAX_YAML_DEPTH:
            raise error(f"{path.name}:{current.start_mark.line + 1}: nested more than "
                        f"{MAX_YAML_DEPTH} levels deep; a {what} file has a few levels of "
                        "mappings and lists", file=str(path))
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            stack.extend((v, depth + 1) for _, v in current.value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((v, depth + 1) for v in current.value)


def read_yaml(path: Path, *, error: type[SurveytkError] = CodebookError,
              what: str = "codebook") -> YamlDocument:
    """Read a YAML file safely, recording key lines; raise ``error`` if it is not YAML.

    Shared by codebooks and analysis specs (``what`` names the kind of file in
    messages): safe loading only, alias bombs refused, duplicate keys reported with
    their lines, impossible dates reported instead of crashing.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} file not found", file=str(path)) from None
    except UnicodeDecodeError:
        raise error(f"{path}: {what} is not UTF-8 text", file=str(path)) from None
    loader: CodebookLoader | None = None
    try:
        loader = CodebookLoader(text)
        node = loader.get_single_node()
        if node is not None:
            _check_depth(node, path, error=error, what=what)
            check_aliases(node, path, error=error)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        at, plain = describe_yaml_error(exc, text)
        line = f":{at}" if at is not None else ""
        raise error(f"{path.name}{line}: not valid YAML: {plain}", file=str(path)) from None
    except RecursionError:
        # the YAML composer recurses once per nesting level (``[[[[...]]]]``)
        raise error(f"{path.name}: nested more than {MAX_YAML_DEPTH} levels deep; a {what} file "
                    "has a few levels of mappings and lists", file=str(path)) from None
    except (ValueError, OverflowError) as exc:
        # the timestamp resolver accepts e.g. 2024-13-45, then datetime() refuses it
        raise error(
            f"{path.name}: not valid YAML (impossible value: {exc}); quote dates and "
            "versions as text, e.g. version: \"2024-13\"", file=str(path)
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[LinePath, int] = {}
    problems = ProblemList()
    if node is not None:
        _walk(node, (), lines, problems, path)
    problems.raise_if_any(error, f"{path}: invalid {what}")
    return YamlDocument(path=path, text=text, data=data, lines=lines)
