"""What a format reader hands back to :func:`surveytk.io.readers.read_file`.

The format readers parse; ``read_file`` adds what every format shares (path,
hash, row and column counts) and builds the :class:`~surveytk.io.delivered_frame.FileMeta`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from surveytk.errors import ReadError
from surveytk.io.delivered_frame import VariableMeta

#: called by chunked readers with (rows read so far, total rows)
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class ParsedFile:
    """Data and metadata parsed from one file, before the file facts are added."""

    data: pd.DataFrame
    variables: Mapping[str, VariableMeta]
    format_version: str | None
    encoding: str | None
    file_label: str | None = None
    notes: tuple[str, ...] = ()


def check_columns_present(
    path: Path, wanted: Sequence[str], present: Collection[str], where: str = "the file"
) -> None:
    """:class:`ReadError` (``unknown_column``) naming the ``wanted`` columns not ``present``."""
    absent = [c for c in wanted if c not in present]
    if absent:
        close = difflib.get_close_matches(absent[0], sorted(present), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ReadError(
            f"{path}: no variable(s) {', '.join(absent[:10])} in {where}; {hint}check the "
            "names with `surveytk inspect`",
            file=str(path),
            variable=absent[0],
            reason="unknown_column",
        )
