"""``codebook new --codebook-dir DIR``: start a new source in the author's own folder.

The draft crosswalk is written to ``DIR/<name>.yaml`` and the source is registered as
a level of ``source`` in ``DIR/schema.yaml`` (the folder's schema extension,
:mod:`surveytk.codebook.extend`), created if absent. surveytk's built-in files are
never written to. An existing extension is edited as text, so that its comments and
layout stay; a layout this cannot edit safely stops with the line to add by hand.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from surveytk.codebook.draft import make_draft
from surveytk.codebook.generic import NewVariable
from surveytk.codebook.search import EXTENSION_FILE, use_codebook_dirs
from surveytk.codebook.yaml_document import read_yaml
from surveytk.errors import CodebookError, OutputError
from surveytk.io.atomic import write_text_atomic
from surveytk.paths import BUILTIN_SCHEMA, refuse_builtin_target


@dataclass(frozen=True)
class NewSource:
    """What :func:`new_source` wrote."""

    draft: Path
    extension: Path
    #: whether the source was added to the extension (false: it was there already)
    registered: bool
    #: variables added to the extension (``add_variables``)
    new_variables: tuple[str, ...] = ()


def _level(source: str, label: str) -> str:
    return f"{{value: {source}, label: {json.dumps(label, ensure_ascii=False)}}}"


def _new_extension(base_name: str, source: str, label: str) -> str:
    return "\n".join([
        "# Schema extension of this codebook folder: what it adds to surveytk's common",
        "# schema (new sources, new variables). Built-in definitions cannot be changed.",
        f"extends: {base_name}",
        'version: "0.1.0"',
        "variables:",
        "  source:",
        "    levels:",
        f"      - {_level(source, label)}",
        "",
    ])


def register_source(extension: Path, source: str, label: str) -> bool:
    """Add ``source`` as a level of ``source`` in the extension file; create it if absent.

    Returns
    -------
    bool
        False if the extension already has that level.

    Raises
    ------
    CodebookError
        When the existing file's layout has no block list ``variables: source: levels:``
        that can be extended safely (with the line to add by hand).
    """
    if not extension.exists():
        base = read_yaml(BUILTIN_SCHEMA).data["schema"]
        write_text_atomic(extension, _new_extension(str(base), source, label))
        return True
    doc = read_yaml(extension)
    data = doc.data if isinstance(doc.data, dict) else {}
    levels = ((data.get("variables") or {}).get("source") or {}).get("levels")
    if isinstance(levels, list) and any(
            isinstance(lv, dict) and lv.get("value") == source for lv in levels):
        return False
    lines = doc.text.splitlines()
    by_hand = (f"{extension}: add `- {_level(source, label)}` under variables: source: "
               "levels: by hand (the file's layout cannot be extended safely)")
    if isinstance(levels, list) and levels:
        last = doc.line_of(("variables", "source", "levels", str(len(levels) - 1)))
        first = doc.line_of(("variables", "source", "levels", "0"))
        if last is None or first is None or not lines[first - 1].lstrip().startswith("- "):
            raise CodebookError(by_hand, file=str(extension))
        indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        end = last
        while end < len(lines) and (not lines[end].strip() or
                                    len(lines[end]) - len(lines[end].lstrip()) > len(indent)):
            end += 1
        while end > last and not lines[end - 1].strip():
            end -= 1
        lines.insert(end, f"{indent}- {_level(source, label)}")
    elif "variables" not in data:
        lines += ["variables:", "  source:", "    levels:", f"      - {_level(source, label)}"]
    else:
        raise CodebookError(by_hand, file=str(extension))
    write_text_atomic(extension, "\n".join(lines) + "\n")
    return True


def add_schema_variables(extension: Path, new: Sequence[NewVariable]) -> None:
    """Append new variables' definitions to the extension's ``variables:`` mapping.

    Raises
    ------
    CodebookError
        If ``variables:`` is not the last top-level key (appending would land elsewhere),
        or a variable of that name is there already.
    """
    doc = read_yaml(extension)
    data = doc.data if isinstance(doc.data, dict) else {}
    top = sorted((line, key[0]) for key, line in doc.lines.items() if len(key) == 1)
    if not top or top[-1][1] != "variables" or not isinstance(data.get("variables"), dict):
        raise CodebookError(f"{extension}: cannot append new variables safely (`variables:` "
                            "must be the last top-level key); move it to the end",
                            file=str(extension))
    clash = [nv.name for nv in new if nv.name in data["variables"]]
    if clash:
        raise CodebookError(f"{extension}: defines {clash[0]!r} already; rename the column's "
                            "variable or remove it there", file=str(extension))
    lines = doc.text.rstrip("\n").splitlines()
    for nv in new:
        lines += nv.extension_lines()
    write_text_atomic(extension, "\n".join(lines) + "\n")


def new_source(folder: str | Path, source: str, files: Sequence[str], *, name: str | None = None,
               label: str | None = None, variables: Sequence[str] | None = None,
               out: str | Path | None = None, search: Sequence[str | Path] = (),
               add_variables: bool = False) -> NewSource:
    """Register ``source`` in ``folder``'s schema extension and write a draft crosswalk there.

    Parameters
    ----------
    folder
        The author's codebook folder (not surveytk's built-in one).
    source
        The new source's name, e.g. ``ces``.
    files
        The delivered files (first = base), as for :func:`draft_crosswalk`.
    name
        The crosswalk's name and file name (default: the stem of ``out``, else ``source``),
        e.g. ``ces_2024``.
    label
        The source's label in tables (default its name).
    variables
        Draft only these source columns.
    out
        Write the draft here instead of ``folder/<name>.yaml``.
    search
        Further codebook folders on the search path while drafting.
    add_variables
        Columns that no common variable takes become new variables of the folder's
        schema extension (:mod:`surveytk.codebook.generic`).

    Raises
    ------
    OutputError
        If the draft exists already or the folder is surveytk's own.
    """
    home = Path(folder)
    name = name or (Path(out).stem if out is not None else source)
    draft = Path(out) if out is not None else home / f"{name}.yaml"
    extension = home / EXTENSION_FILE
    refuse_builtin_target(draft, what="a draft crosswalk")
    refuse_builtin_target(extension, what="a schema extension")
    if draft.exists():
        raise OutputError(f"{draft}: exists already; give another --name or --out, or delete "
                          "it to start again", file=str(draft))
    with use_codebook_dirs([home, *[Path(d) for d in search if Path(d) != home]]):
        made = make_draft(source, list(files), variables=variables, name=name,
                          add_variables=add_variables)
    registered = register_source(extension, source, label or source)
    if made.new_variables:
        add_schema_variables(extension, made.new_variables)
    write_text_atomic(draft, made.text)
    return NewSource(draft=draft, extension=extension, registered=registered,
                     new_variables=tuple(nv.name for nv in made.new_variables))
