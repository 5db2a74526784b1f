"""The codebook search path: where crosswalks, schema extensions and lookups are found.

A **codebook folder** holds crosswalks (``*.yaml``, directly or in ``sources/``),
optionally a ``schema.yaml`` *extension* of the common schema
(:mod:`surveytk.codebook.extend`) and a ``lookups/`` folder of CSV tables. Folders are
searched in this order, the first hit winning:

1. the folder of a codebook given as a file (``--codebook PATH``; its parent, or the
   parent of ``sources/``);
2. folders given explicitly (``--codebook-dir DIR``, repeatable, in the order given;
   :func:`use_codebook_dirs` in Python);
3. the folders of the environment variable ``SURVEYTK_CODEBOOK_PATH``
   (``os.pathsep``-separated);
4. the built-in codebooks (package data; never written to).

Every extension on the path is merged into the common schema, so that tables from
users' sources and built-in ones pool into one schema.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from surveytk.codebook.extend import MergedSchema, merge_extensions
from surveytk.codebook.yaml_document import read_yaml
from surveytk.errors import CodebookError
from surveytk.paths import BUILTIN_CODEBOOK_DIR, BUILTIN_SCHEMA

ENV_VAR = "SURVEYTK_CODEBOOK_PATH"
BUILTIN = "built-in"
EXPLICIT = "--codebook-dir"
FILE_FOLDER = "codebook file"
EXTENSION_FILE = "schema.yaml"


@dataclass(frozen=True)
class CodebookFolder:
    """One folder of the search path and why it is there (``origin``)."""

    path: Path
    origin: str

    @property
    def builtin(self) -> bool:
        return self.origin == BUILTIN

    def crosswalks(self) -> dict[str, Path]:
        """Crosswalk files by name (file name without ``.yaml``)."""
        found: dict[str, Path] = {}
        for folder in (self.path, self.path / "sources"):
            for p in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
                if folder == self.path and p.name == EXTENSION_FILE:
                    continue
                if p.stem in found:
                    raise CodebookError(
                        f"{self.path}: two crosswalks named {p.stem!r} ({found[p.stem]} and "
                        f"{p}); rename or remove one", file=str(p))
                found[p.stem] = p
        return found

    def extension(self) -> Path | None:
        """The folder's schema extension, if any (the built-in schema is the base)."""
        p = self.path / EXTENSION_FILE
        return None if self.builtin or not p.is_file() else p

    @property
    def lookup_dir(self) -> Path:
        return self.path / "lookups"


@dataclass(frozen=True)
class CodebookEntry:
    """A crosswalk found on the search path; ``shadowed_by`` is the one used instead."""

    name: str
    path: Path
    folder: CodebookFolder
    shadowed_by: Path | None = None


@dataclass(frozen=True)
class _Session:
    dirs: tuple[Path, ...] = ()
    use_env: bool = True


_DEFAULT_SESSION = _Session()
_SESSION: ContextVar[_Session] = ContextVar("surveytk_codebook_dirs",
                                            default=_DEFAULT_SESSION)


@contextlib.contextmanager
def use_codebook_dirs(dirs: Iterable[str | Path], *, use_env: bool = True) -> Iterator[None]:
    """Search ``dirs`` (before ``SURVEYTK_CODEBOOK_PATH`` and the built-ins) inside the block.

    ``use_env=False`` ignores the environment variable (the demo runs on built-ins only).
    """
    token = _SESSION.set(_Session(tuple(Path(d) for d in dirs), use_env))
    try:
        yield
    finally:
        _SESSION.reset(token)


def _folder(path: Path, origin: str) -> CodebookFolder:
    if not path.is_dir():
        raise CodebookError(f"{path}: codebook folder not found ({origin}); give an existing "
                            "folder", file=str(path))
    return CodebookFolder(path, origin)


def env_folders() -> list[CodebookFolder]:
    """The folders of ``SURVEYTK_CODEBOOK_PATH`` (empty entries ignored)."""
    value = os.environ.get(ENV_VAR, "")
    return [_folder(Path(part), ENV_VAR) for part in value.split(os.pathsep) if part.strip()]


def codebook_home(path: Path) -> Path:
    """The codebook folder of a crosswalk: DIR of ``DIR/x.yaml`` or ``DIR/sources/x.yaml``."""
    parent = path.resolve().parent
    return parent.parent if parent.name == "sources" else parent


def search_path(dirs: Sequence[str | Path] = (), *,
                codebook_file: str | Path | None = None) -> SearchPath:
    """The active search path: the folder of ``codebook_file``, ``dirs``, the folders set
    with :func:`use_codebook_dirs`, ``SURVEYTK_CODEBOOK_PATH``, then the built-ins."""
    session = _SESSION.get()
    folders: list[CodebookFolder] = []
    if codebook_file is not None:
        folders.append(CodebookFolder(codebook_home(Path(codebook_file)), FILE_FOLDER))
    folders += [_folder(Path(d), EXPLICIT) for d in (*dirs, *session.dirs)]
    if session.use_env:
        folders += env_folders()
    folders.append(CodebookFolder(BUILTIN_CODEBOOK_DIR, BUILTIN))
    seen: set[Path] = set()
    unique: list[CodebookFolder] = []
    builtin = BUILTIN_CODEBOOK_DIR.resolve()
    for f in folders:
        key = f.path.resolve()
        if key in seen or (key == builtin and not f.builtin):
            continue
        seen.add(key)
        unique.append(f)
    return SearchPath(tuple(unique))


@dataclass(frozen=True)
class SearchPath:
    """Codebook folders in search order (the built-in folder last)."""

    folders: tuple[CodebookFolder, ...]

    def entries(self) -> list[CodebookEntry]:
        """Every crosswalk on the path in search order, later ones with the same name
        marked as shadowed."""
        first: dict[str, Path] = {}
        out: list[CodebookEntry] = []
        for folder in self.folders:
            for name, path in folder.crosswalks().items():
                out.append(CodebookEntry(name, path, folder, first.get(name)))
                first.setdefault(name, path)
        return out

    def names(self) -> list[str]:
        return sorted({e.name for e in self.entries()})

    def find(self, name: str) -> Path:
        """The file of crosswalk ``name`` (the first folder that has it)."""
        for folder in self.folders:
            hit = folder.crosswalks().get(name)
            if hit is not None:
                return hit
        raise CodebookError(
            f"no codebook named {name!r}; expected one of {self.names()} or a path to a YAML "
            f"file (searched {', '.join(str(f.path) for f in self.folders)}; add a folder with "
            f"--codebook-dir DIR or {ENV_VAR})")

    def folder_of(self, path: Path) -> CodebookFolder | None:
        home = codebook_home(path)
        return next((f for f in self.folders if f.path.resolve() == home), None)

    @property
    def lookup_dirs(self) -> tuple[Path, ...]:
        return tuple(f.lookup_dir for f in self.folders if f.lookup_dir.is_dir())

    def lookup(self, table: str) -> Path | None:
        """The first ``lookups/<table>`` on the path."""
        return next((d / table for d in self.lookup_dirs if (d / table).is_file()), None)

    @property
    def extensions(self) -> tuple[Path, ...]:
        return tuple(p for f in self.folders if (p := f.extension()) is not None)

    def merged_schema(self) -> MergedSchema:
        """The built-in schema with every extension on the path merged in."""
        files = (BUILTIN_SCHEMA, *self.extensions)
        stamps = tuple((str(p.resolve()), _mtime(p)) for p in files)
        return _merged(stamps, self.lookup_dirs)


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except FileNotFoundError:
        raise CodebookError(f"{p}: schema file not found", file=str(p)) from None


@lru_cache(maxsize=16)
def _merged(stamps: tuple[tuple[str, float], ...], lookup_dirs: tuple[Path, ...]
            ) -> MergedSchema:
    base, *exts = (read_yaml(Path(p)) for p, _ in stamps)
    return merge_extensions(base, exts, lookup_dirs)
