"""Which format to write: the one asked for, else the output file's suffix.

One rule for every writer of surveytk (harmonised data, results tables,
tabulations, estimates): a format given explicitly must be one the writer
knows; otherwise the suffix of the output file names it; a file whose suffix
names no format the writer knows is refused with one line that lists the
suffixes and says to give ``--format``, so that no file is written whose content
contradicts its name (Parquet bytes in ``table.txt``, say).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from surveytk.errors import OutputError


def format_from_path(
    path: str | Path, suffixes: Mapping[str, str], given: str | None = None
) -> str:
    """The output format: ``given``, else the one ``suffixes`` maps the file's suffix to.

    Parameters
    ----------
    path
        The output file.
    suffixes
        Suffix (lower case, with the dot) → format name, e.g. ``{".tex": "latex"}``.
    given
        A format named explicitly (``--format``); must be one of the ``suffixes``' formats.

    Raises
    ------
    OutputError
        ``given`` is no known format, or no format is given and the suffix is unknown.
    """
    formats = list(dict.fromkeys(suffixes.values()))
    if given:
        if given not in formats:
            raise OutputError(
                f"output format: expecting one of {{{', '.join(formats)}}}; got {given!r}"
            )
        return given
    suffix = Path(path).suffix.lower()
    if suffix not in suffixes:
        raise OutputError(
            f"{path}: cannot tell the output format from {suffix or 'no suffix'!r}; end the "
            f"name in one of {', '.join(suffixes)} or give --format "
            f"(one of {', '.join(formats)})",
            file=str(path),
        )
    return suffixes[suffix]
