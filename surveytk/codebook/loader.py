"""Load the common schema and crosswalks from YAML, reporting every problem with its line.

``yaml.safe_load`` semantics only (a :class:`yaml.SafeLoader` subclass), with
YAML 1.2 booleans: ``Yes``/``No``/``on``/``off`` stay text, so a value map keyed
by the label "No" means the text "No". Problems are collected — YAML shape,
pydantic validation, then references, levels and derivation arguments — and
raised together as one :class:`~surveytk.errors.CodebookError`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from surveytk.codebook.model import Crosswalk, Schema, VariableSpec
from surveytk.codebook.search import SearchPath, codebook_home, search_path
from surveytk.errors import CodebookError, ProblemList, SurveytkError
from surveytk.paths import BUILTIN_SCHEMA

SCHEMA_PATH = BUILTIN_SCHEMA
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
            check_aliases(node, path, error=error)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        from surveytk.codebook.suggest import describe_yaml_error

        at, plain = describe_yaml_error(exc, text)
        line = f":{at}" if at is not None else ""
        raise error(f"{path.name}{line}: not valid YAML: {plain}", file=str(path)) from None
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


def _validation_problems(doc: YamlDocument, exc: ValidationError, problems: ProblemList) -> None:
    for err in exc.errors():
        loc = tuple(err["loc"])
        shown = ".".join(str(p) for p in loc if str(p) not in _UNION_TAGS) or "(top level)"
        problems.add(f"{doc.where(loc)}: {shown}: {err['msg']}", file=str(doc.path))


_UNION_TAGS = {"str", "int", "float", "bool", "function-after[_one_target(), MapEntry]"}


@lru_cache(maxsize=8)
def _load_schema_cached(path: str, mtime: float) -> Schema:
    doc = read_yaml(Path(path))
    problems = ProblemList()
    try:
        return Schema.model_validate(doc.data)
    except ValidationError as exc:
        _validation_problems(doc, exc, problems)
    problems.raise_if_any(CodebookError, f"{path}: invalid common schema")
    raise AssertionError("unreachable")  # pragma: no cover


def load_schema(path: str | Path | None = None, *, dirs: Sequence[str | Path] = ()) -> Schema:
    """Load the common schema.

    Parameters
    ----------
    path
        A whole schema file, used as it is. Default: the built-in schema with every
        ``schema.yaml`` extension on the codebook search path merged in
        (:mod:`surveytk.codebook.search`).
    dirs
        Codebook folders searched first (as ``--codebook-dir``).

    Raises
    ------
    CodebookError
        Listing every problem with file and line.
    """
    if path is None:
        return search_path(dirs).merged_schema().schema
    p = Path(path)
    try:
        mtime = p.stat().st_mtime
    except FileNotFoundError:
        raise CodebookError(f"{p}: schema file not found", file=str(p)) from None
    return _load_schema_cached(str(p.resolve()), mtime)


@dataclass(frozen=True)
class Codebook:
    """A loaded crosswalk with where it came from and the schema it targets."""

    crosswalk: Crosswalk
    schema: Schema
    path: Path
    sha256: str
    document: YamlDocument
    #: ``lookups/`` folders of the search path, in search order
    lookup_dirs: tuple[Path, ...] = ()

    @property
    def name(self) -> str:
        return self.crosswalk.codebook

    @property
    def version(self) -> str:
        return self.crosswalk.version

    def where(self, *loc: Any) -> str:
        """``file:line`` of a key path, for messages."""
        return self.document.where(tuple(loc))

    def lookup_path(self, table: str) -> Path | None:
        """``lookups/<table>`` of the first folder on the search path that has it."""
        return next((d / table for d in self.lookup_dirs if (d / table).is_file()), None)


def is_codebook_path(name_or_path: str | Path) -> bool:
    """Whether a ``--codebook`` value is a file path rather than a name."""
    p = Path(name_or_path)
    return p.suffix in (".yaml", ".yml") or p.exists() or len(p.parts) > 1


def resolve_codebook_path(name_or_path: str | Path, *, dirs: Sequence[str | Path] = ()
                          ) -> Path:
    """A codebook NAME (searched on the codebook search path) or a path to a YAML file."""
    if is_codebook_path(name_or_path):
        return Path(name_or_path)
    return search_path(dirs).find(str(name_or_path))


def _not_asked_elsewhere(crosswalk: Crosswalk, path: Path, schema: Schema,
                         added_by: Mapping[str, Path]) -> Crosswalk:
    """Variables added by another folder's extension, which this crosswalk cannot know,
    become missing with reason ``not_asked``; the extension's own folder must give them."""
    home = codebook_home(path)
    fill = {
        name: VariableSpec(missing_reason="not_asked")
        for name, ext in added_by.items()
        if name not in crosswalk.variables and schema.variables[name].derive is None
        and ext.resolve().parent != home
    }
    if not fill:
        return crosswalk
    return crosswalk.model_copy(update={"variables": {**crosswalk.variables, **fill}})


def load_codebook(name_or_path: str | Path, *, schema: Schema | None = None,
                  dirs: Sequence[str | Path] = ()) -> Codebook:
    """Load and validate a crosswalk.

    Parameters
    ----------
    name_or_path
        ``NAME`` (found on the codebook search path) or a path to a YAML file (whose
        folder is then searched first, for its schema extension and lookups).
    schema
        The common schema; default the built-in one merged with the extensions on the
        search path.
    dirs
        Codebook folders searched first (as ``--codebook-dir``).

    Returns
    -------
    Codebook

    Raises
    ------
    CodebookError
        One error listing every problem found, each with file and line.
    """
    from surveytk.codebook.validate import validate_crosswalk

    path = resolve_codebook_path(name_or_path, dirs=dirs)
    search: SearchPath = search_path(dirs, codebook_file=path)
    doc = read_yaml(path)
    added_by: Mapping[str, Path] = {}
    if schema is None:
        merged = search.merged_schema()
        schema, added_by = merged.schema, merged.added_by
    problems = ProblemList()
    if not isinstance(doc.data, dict):
        raise CodebookError(f"{path.name}: a codebook must be a YAML mapping", file=str(path))
    try:
        crosswalk = Crosswalk.model_validate(doc.data)
    except ValidationError as exc:
        _validation_problems(doc, exc, problems)
        problems.raise_if_any(CodebookError, f"{path}: invalid codebook")
        raise AssertionError("unreachable") from None  # pragma: no cover
    crosswalk = _not_asked_elsewhere(crosswalk, path, schema, added_by)
    sha = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    book = Codebook(crosswalk=crosswalk, schema=schema, path=path, sha256=sha, document=doc,
                    lookup_dirs=search.lookup_dirs)
    problems.extend(validate_crosswalk(book))
    problems.raise_if_any(CodebookError, f"{path}: invalid codebook")
    return book
