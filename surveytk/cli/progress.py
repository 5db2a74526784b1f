"""Progress display shared by the long-running commands (run, demo)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def step_printer(enabled: bool | None = None) -> Callable[[str], None]:
    """A callback that prints ``[elapsed] message`` to stderr when it is a terminal."""
    show = sys.stderr.isatty() if enabled is None else enabled
    t0 = time.perf_counter()

    def step(message: str) -> None:
        if show:
            sys.stderr.write(f"[{time.perf_counter() - t0:6.1f}s] {message}\n")
            sys.stderr.flush()

    return step


def split_list(text: str) -> tuple[str, ...]:
    """``"md, docx,latex"`` → ``("md", "docx", "latex")`` (empty text: no items)."""
    return tuple(x.strip() for x in text.split(",") if x.strip())
