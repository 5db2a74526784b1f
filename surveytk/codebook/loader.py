"""Load the common schema and crosswalks from YAML, reporting every problem with its line.

The YAML is read safely (:mod:`surveytk.codebook.yaml_document`). Problems are
collected — YAML shape, pydantic validation, then references, levels and
derivation arguments (:mod:`surveytk.codebook.validate`) — and raised together as
one :class:`~surveytk.errors.CodebookError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from surveytk.codebook.book import Codebook
from surveytk.codebook.model import Crosswalk, Schema, VariableSpec
from surveytk.codebook.search import SearchPath, codebook_home, search_path
from surveytk.codebook.validate import validate_crosswalk
from surveytk.codebook.yaml_document import YamlDocument, read_yaml
from surveytk.errors import CodebookError, ProblemList
from surveytk.paths import BUILTIN_SCHEMA

SCHEMA_PATH = BUILTIN_SCHEMA


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
