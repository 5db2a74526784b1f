"""Atomic output: write to a temporary name beside the target, then rename.

An interrupted run never leaves a partial file under the final name, and two
processes writing the same target never interleave (each has its own temp
name; the last rename wins with a complete file).
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from surveytk.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_not_input(target: Path, inputs: Iterable[Path],
                    deliveries: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Refuse to write ``target`` if it is one of ``inputs`` or lies in a delivery folder.

    ``deliveries``: folders of delivered (raw) files, e.g. ``--input-dir`` or the folders
    of the files ``codebook new`` drafts from; nothing is ever written into them.
    Symbolic links are followed, so a link cannot route a write onto an input.
    """
    target = Path(target)
    resolved = target.resolve()
    for p in inputs:
        if Path(p).resolve() == resolved:
            raise OutputError(
                f"{target}: refusing to overwrite an input file; choose another output path",
                file=str(target),
            )
    for d in deliveries:
        folder = Path(d).resolve()
        if resolved == folder or folder in resolved.parents:
            raise OutputError(
                f"{target}: refusing to write into the delivery folder {d}; choose an output "
                "path outside it (deliveries stay as delivered)",
                file=str(target),
            )


#: a temporary ``.part`` file untouched this long belongs to a killed process
STALE_PART_SECONDS = 3600


def remove_stale_parts(target: Path, *, older_than: float = STALE_PART_SECONDS) -> list[Path]:
    """Remove ``.part`` files of ``target`` left by a killed writer (SIGKILL runs no cleanup).

    Only files untouched for ``older_than`` seconds go: a younger one may belong to a
    process still writing. They are never read either way (hidden names, ``.part``).
    """
    now = time.time()
    removed: list[Path] = []
    for p in target.parent.glob(f".{glob.escape(target.name)}.*.part"):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > older_than:
                p.unlink()
                removed.append(p)
    return removed


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates 0600; give the output the permissions a plain open() would
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: str | os.PathLike[str], text: str) -> None:
    write_bytes_atomic(target, text.encode("utf-8"))
