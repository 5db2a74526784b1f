"""A loaded codebook: the crosswalk, the schema it targets and where it came from.

:func:`surveytk.codebook.loader.load_codebook` makes one; the checks of
:mod:`surveytk.codebook.validate` and the harmonisation engine read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surveytk.codebook.model import Crosswalk, Schema
from surveytk.codebook.yaml_document import YamlDocument
from surveytk.errors import CodebookError
from surveytk.paths import check_safe_name, inside_folder


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
        """``lookups/<table>`` of the first folder on the search path that has it.

        Raises
        ------
        CodebookError
            ``table`` is no safe file name (a path, ``..``) or is a link out of its folder.
        """
        check_safe_name(table, what=f"{self.path.name}: lookup table", error=CodebookError)
        for d in self.lookup_dirs:
            if (d / table).is_file():
                return inside_folder(d, table, what=f"{self.path.name}: lookup table",
                                     error=CodebookError)
        return None
