"""Where surveytk's built-in files live: the common schema, crosswalks, lookups, analysis specs.

They are package data of :mod:`surveytk._builtin` (the repository keeps them top-level
in ``codebooks/`` and ``analyses/``; ``pyproject.toml`` maps those folders into the
package), read through :mod:`importlib.resources` so that wheels, sdists and editable
installs all find them. Users' own codebooks are found through the search path of
:mod:`surveytk.codebook.search`; built-in files are never written to
(:func:`refuse_builtin_target`).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from surveytk.errors import OutputError, SpecError, SurveytkError


def _package_folder(package: str) -> Path:
    root = files(package)
    path = Path(str(root))
    if not isinstance(root, Path) or not path.is_dir():
        # a zip import or a damaged install: surveytk needs its data as plain files
        raise SurveytkError(f"surveytk's built-in files ({package}) are not a folder on disk "
                            f"({root}); reinstall surveytk with `pip install`")
    return path


#: the installed ``surveytk`` package (the source folder in an editable install)
PACKAGE_DIR = _package_folder("surveytk")
#: built-in codebook folder: ``schema.yaml``, ``sources/*.yaml``, ``lookups/*.csv``
BUILTIN_CODEBOOK_DIR = _package_folder("surveytk._builtin.codebooks")
BUILTIN_SCHEMA = BUILTIN_CODEBOOK_DIR / "schema.yaml"
BUILTIN_SOURCES_DIR = BUILTIN_CODEBOOK_DIR / "sources"
BUILTIN_LOOKUP_DIR = BUILTIN_CODEBOOK_DIR / "lookups"
#: built-in analysis specs (``surveytk run NAME``)
BUILTIN_ANALYSES_DIR = _package_folder("surveytk._builtin.analyses")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def builtin_analyses() -> dict[str, Path]:
    """The built-in analysis specs by name."""
    return {p.stem: p for p in sorted(BUILTIN_ANALYSES_DIR.glob("*.yaml"))}


def find_analysis(name_or_path: str | Path) -> Path:
    """An analysis spec given as a path, or by the name of a built-in spec.

    A value with a ``.yaml``/``.yml`` suffix, a folder separator, or naming an existing
    file is a path; otherwise it names a built-in spec (``return_intentions``).

    Raises
    ------
    SpecError
        If it is a name no built-in spec has.
    """
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists() or len(p.parts) > 1:
        return p
    known = builtin_analyses()
    if str(name_or_path) not in known:
        raise SpecError(f"no analysis spec named {str(name_or_path)!r}; give a YAML file or "
                        f"one of the built-in specs {sorted(known)}")
    return known[str(name_or_path)]


def is_builtin(path: str | Path) -> bool:
    """Whether ``path`` lies in the built-in codebooks or analysis specs."""
    p = Path(path).resolve()
    return any(_inside(p, d.resolve()) for d in (BUILTIN_CODEBOOK_DIR, BUILTIN_ANALYSES_DIR))


def refuse_builtin_target(path: str | Path, *, what: str) -> None:
    """Stop before writing ``path`` if that would change surveytk's own files.

    Refused: anything inside the installed package, and, in a source checkout, an
    existing built-in codebook, lookup or spec (new files in the checkout's
    ``codebooks/`` are how a contributor adds a built-in source).

    Raises
    ------
    OutputError
        Naming the path and where to write instead.
    """
    p = Path(path).resolve()
    if _inside(p, PACKAGE_DIR.resolve()) or (is_builtin(p) and p.exists()):
        raise OutputError(
            f"{path}: refusing to write {what} into surveytk's built-in files; write it into "
            "a folder of your own and use it with --codebook-dir DIR (docs/codebooks.md)",
            file=str(path))
