"""The ``--codebook-dir`` option shared by every command that reads codebooks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

HELP = ("Folder of your own codebooks (crosswalks, a schema.yaml extension, lookups/); "
        "repeatable. Searched first, then SURVEYTK_CODEBOOK_PATH, then the built-in ones.")


def codebook_dir_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--codebook-dir DIR`` (repeatable) and search those folders while ``func`` runs."""

    @functools.wraps(func)
    def wrapper(*args: Any, codebook_dirs: tuple[str, ...] = (), **kwargs: Any) -> Any:
        from surveytk.codebook.search import use_codebook_dirs

        with use_codebook_dirs(codebook_dirs):
            return func(*args, **kwargs)

    return click.option("--codebook-dir", "codebook_dirs", multiple=True, metavar="DIR",
                        type=click.Path(exists=True, file_okay=False, path_type=str),
                        help=HELP)(wrapper)
