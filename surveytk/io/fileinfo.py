"""Facts about a file before it is parsed: existence, format, header version, hash.

Everything here reads raw bytes only, never respondent values, so it is safe to
quote its findings in error messages.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
from pathlib import Path
from typing import Final, get_args

from surveytk.errors import ReadError
from surveytk.io.delivered_frame import FileFormat

#: read buffer for hashing; large enough that hashlib releases the GIL per call
HASH_BUFFER: Final = 4 * 1024 * 1024

#: Stata format releases that pyreadstat (ReadStat) reads
STATA_SUPPORTED: Final = range(104, 120)

#: releases before 117, which carry the release in the first byte
_OLD_STATA_RELEASES: Final = frozenset(
    {102, 103, 104, 105, 106, 107, 108, 110, 111, 112, 113, 114, 115}
)

#: extension (lower case, without dot) → format
EXTENSIONS: Final[dict[str, FileFormat]] = {
    "sav": "sav",
    "zsav": "zsav",
    "por": "por",
    "dta": "dta",
    "sas7bdat": "sas7bdat",
    "xpt": "xpt",
    "csv": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "txt": "csv",
    "xls": "xls",
    "xlsx": "xlsx",
    "xlsm": "xlsx",
    "parquet": "parquet",
    "pq": "parquet",
}

FORMATS: Final[tuple[str, ...]] = get_args(FileFormat)


def check_readable(path: Path) -> int:
    """Raise :class:`ReadError` unless ``path`` is an existing, non-empty file; return its size."""
    if not path.exists():
        raise ReadError(
            f"{path}: file not found; check the path (relative paths start at {Path.cwd()})",
            file=str(path),
            reason="not_found",
        )
    if not path.is_file():
        raise ReadError(
            f"{path}: not a regular file; give the path of a data file",
            file=str(path),
            reason="not_a_file",
        )
    size = path.stat().st_size
    if size == 0:
        raise ReadError(
            f"{path}: the file is empty (0 bytes); the delivery or copy is incomplete, "
            "fetch the file again",
            file=str(path),
            reason="empty",
        )
    return size


def detect_format(path: Path, format: str | None = None) -> FileFormat:
    """The file format from ``format`` if given, else from the extension.

    Raises
    ------
    ReadError
        The format or extension is not one surveytk reads.
    """
    allowed = ", ".join(FORMATS)
    if format is not None:
        fmt = format.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ReadError(
                f"{path}: unknown format {format!r}; expecting one of {{{allowed}}}",
                file=str(path),
                value=format,
                reason="unknown_format",
            )
        return fmt  # type: ignore[return-value]
    ext = path.suffix.lower().lstrip(".")
    if ext not in EXTENSIONS:
        shown = f".{ext}" if ext else "(none)"
        raise ReadError(
            f"{path}: unknown file extension {shown}; expecting one of "
            f"{', '.join('.' + e for e in EXTENSIONS)}, or pass format=/--format",
            file=str(path),
            value=ext,
            reason="unknown_extension",
        )
    return EXTENSIONS[ext]


def sha256_file(path: Path, *, buffer_size: int = HASH_BUFFER) -> str:
    """SHA-256 of the file's bytes, in one streaming pass, as 64 hex digits."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        buf = bytearray(buffer_size)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            digest.update(view[:n])
    return digest.hexdigest()


class BackgroundHash:
    """Hash a file in a thread while the caller parses it.

    ``hashlib`` releases the GIL on large buffers, so on a multi-core machine the
    hash costs (almost) no wall time next to a pyreadstat parse.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._result: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="surveytk-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = sha256_file(self._path)
        except BaseException as exc:  # re-raised in result()
            self._error = exc

    def join(self) -> None:
        """Wait for the thread, ignoring its result."""
        self._thread.join()

    def result(self) -> str:
        """Wait for the hash and return it (re-raising any error of the thread)."""
        self._thread.join()
        if self._error is not None:
            raise ReadError(
                f"{self._path}: cannot read the file to hash it ({self._error}); "
                "check permissions and that the file is not being written",
                file=str(self._path),
                reason="io",
            ) from self._error
        assert self._result is not None
        return self._result


def read_head(path: Path, n: int = 256) -> bytes:
    """The first ``n`` bytes of the file."""
    with path.open("rb") as fh:
        return fh.read(n)


def read_tail(path: Path, n: int = 64) -> bytes:
    """The last ``n`` bytes of the file (fewer if the file is shorter)."""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - n))
        return fh.read()


def stata_release(head: bytes) -> int | None:
    """The Stata format release (102 … 119) from a .dta file's first bytes.

    Releases 117 and later start with ``<stata_dta><header><release>NNN</release>``;
    older ones carry the release number in the first byte, followed by the byte
    order (1 = big-endian, 2 = little-endian). ``None`` if the bytes fit neither.
    """
    marker = b"<stata_dta><header><release>"
    if head.startswith(marker):
        digits = head[len(marker) : len(marker) + 3]
        return int(digits) if digits.isdigit() else None
    if len(head) >= 2 and head[0] in _OLD_STATA_RELEASES and head[1] in (0, 1, 2):
        return int(head[0])
    return None


def stata_dimensions(head: bytes) -> tuple[int, int] | None:
    """(variables, observations) as the .dta header declares them; ``None`` if unreadable.

    Releases before 117: bytes 4–5 hold the number of variables and 6–9 the number of
    observations, in the byte order of byte 1. Releases 117–119 hold them in ``<K>`` and
    ``<N>`` tags (K: 2 bytes, 4 in 119; N: 4 bytes in 117, 8 in 118/119).
    """
    release = stata_release(head)
    order = stata_byteorder(head)
    if release is None or order is None:
        return None
    fmt = ">" if order == "MSF" else "<"
    try:
        if release < 117:
            nvar, nobs = struct.unpack(f"{fmt}HI", head[4:10])
            return int(nvar), int(nobs)
        k_size = 4 if release == 119 else 2
        n_size = 4 if release == 117 else 8
        k_at = head.find(b"<K>") + 3
        n_at = head.find(b"<N>") + 3
        if k_at < 3 or n_at < 3:
            return None
        nvar = int.from_bytes(head[k_at : k_at + k_size], "big" if fmt == ">" else "little")
        nobs = int.from_bytes(head[n_at : n_at + n_size], "big" if fmt == ">" else "little")
        return nvar, nobs
    except struct.error:
        return None


def stata_byteorder(head: bytes) -> str | None:
    """``"MSF"`` (big-endian) or ``"LSF"`` (little-endian) from a .dta header, if readable."""
    tag = b"<byteorder>"
    pos = head.find(tag)
    if pos >= 0:
        order = head[pos + len(tag) : pos + len(tag) + 3]
        return order.decode("ascii", "replace")
    if len(head) >= 2 and head[1] in (1, 2):
        return "MSF" if head[1] == 1 else "LSF"
    return None


def spss_version(head: bytes) -> str | None:
    """The SPSS system-file record type: ``$FL2`` (.sav) or ``$FL3`` (.zsav); portable → ``por``."""
    if head[:4] in (b"$FL2", b"$FL3"):
        return head[:4].decode("ascii")
    if b"SPSS PORT FILE" in head or head[:40].strip(b" \r\n").startswith(b"ASCII SPSS PORT"):
        return "portable"
    return None


def spss_product(head: bytes) -> str | None:
    """The product string of a .sav header (``@(#) SPSS DATA FILE ...``), trimmed."""
    if head[:4] not in (b"$FL2", b"$FL3"):
        return None
    text = head[4:64].decode("latin-1").strip()
    return text.removeprefix("@(#) ").strip() or None
