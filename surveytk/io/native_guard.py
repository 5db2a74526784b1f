"""Guards around the C reader (ReadStat, through pyreadstat) for SPSS and Stata files.

A damaged dictionary can make the C reader crash the process (a patched variable count
of 0x7fffffff was a segmentation fault) or ask for gigabytes. Three guards run before
the data are read in this process:

1. :func:`check_spss_header` refuses a .sav/.zsav header whose fixed fields cannot be
   true for a file of its size (Stata's are checked by ``read_stat.check_stata_size``);
2. :func:`probe_dictionary` reads the dictionary (metadata only) in a child process
   whose address space is capped at the memory ceiling and whose run time is bounded,
   so a crash, a memory blow-up or a hang becomes one :class:`ReadError` line;
3. :func:`check_memory` refuses, before any allocation, a file whose declared rows ×
   columns × 8 bytes exceed the ceiling (``--max-memory``, :func:`max_memory`).
"""

from __future__ import annotations

import json
import mmap
import os
import re
import select
import signal
import struct
import time
import warnings
from pathlib import Path
from typing import Final, NoReturn

from surveytk.errors import ReadError

#: environment variable holding the memory ceiling (bytes, or with K/M/G/T suffix)
MAX_MEMORY_ENV: Final = "SURVEYTK_MAX_MEMORY"
#: the default ceiling is the smaller of this and DEFAULT_RAM_SHARE of physical memory
DEFAULT_MAX_MEMORY: Final = 8 * 1024**3
DEFAULT_RAM_SHARE: Final = 0.75
#: the dictionary reader's child process never gets less address space than this
#: (Python with pandas and pyreadstat maps about 150 MB)
PROBE_MIN_MEMORY: Final = 512 * 1024**2
#: seconds the dictionary may take to read (a 13 MB file's takes well under one)
PROBE_TIMEOUT: Final = 60.0
#: SPSS: every 8-byte slot of a case has a variable record of at least 32 bytes
_SPSS_VARIABLE_RECORD: Final = 32
#: zlib cannot compress better than about 1032:1
_ZLIB_MAX_RATIO: Final = 1032

#: file contents, whole or memory-mapped
Buffer = bytes | mmap.mmap

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)


# --------------------------------------------------------------------------- ceiling


def parse_memory(text: str) -> int:
    """Bytes from ``"8G"``, ``"500M"``, ``"2GiB"`` or a plain number of bytes."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a memory size: {text!r} (use e.g. 4G or 500M)")
    number = float(match.group(1))
    unit = (match.group(2) or "b")[0].lower()
    scale = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}[unit]
    value = int(number * scale)
    if value <= 0:
        raise ValueError(f"memory size must be positive: {text!r}")
    return value


def physical_memory() -> int | None:
    """Bytes of physical memory, if the system says."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def default_max_memory() -> int:
    """min(8 GiB, 75 % of physical memory): room for the data, pandas' copies and the OS."""
    ram = physical_memory()
    if ram is None:
        return DEFAULT_MAX_MEMORY
    return min(DEFAULT_MAX_MEMORY, int(ram * DEFAULT_RAM_SHARE))


def max_memory() -> int:
    """The memory ceiling: ``SURVEYTK_MAX_MEMORY`` (set by ``--max-memory``) or the default."""
    text = os.environ.get(MAX_MEMORY_ENV)
    if not text:
        return default_max_memory()
    try:
        return parse_memory(text)
    except ValueError as exc:
        raise ReadError(f"{MAX_MEMORY_ENV}: {exc}", reason="usage") from exc


def format_bytes(n: int) -> str:
    """``8.0 GB``-style text for messages."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.1f} TB"


# --------------------------------------------------------------------------- SPSS header


def check_spss_header(path: Path, head: bytes, size: int) -> None:
    """Refuse a .sav/.zsav header whose fixed fields are impossible for the file size.

    The 176-byte header holds (after the 64-byte magic and product name) the layout code
    (2 or 3; it also gives the byte order), the number of 8-byte slots per case, the
    compression (0 none, 1 bytecode, 2 zlib), the weight variable's slot and the number
    of cases (-1 when unknown).
    """
    if len(head) < 84:
        raise _damaged(path, "the header is shorter than 84 bytes")
    order = _spss_byte_order(head)
    if order is None:
        layout = struct.unpack("<i", head[64:68])[0]
        raise _damaged(path, f"layout code {layout} (expected 2 or 3)")
    slots, compression, weight, cases = struct.unpack(f"{order}iiii", head[68:84])
    if slots < -1 or slots * _SPSS_VARIABLE_RECORD > size:
        raise _damaged(path, f"{slots:,} variable slots declared, more than the file holds")
    if compression not in (0, 1, 2) or (compression == 2) != (head[:4] == b"$FL3"):
        raise _damaged(path, f"compression code {compression}")
    if weight < 0 or (slots > 0 and weight > slots):
        raise _damaged(path, f"weight variable slot {weight:,}")
    if cases < -1:
        raise _damaged(path, f"case count {cases:,}")
    if cases > 0 and slots > 0:
        # uncompressed: 8 bytes a value; bytecode: at least 1 byte; zlib: ~1/1032 of that
        per_value = {0: 8.0, 1: 1.0, 2: 1.0 / _ZLIB_MAX_RATIO}[compression]
        if cases * slots * per_value > size:
            raise _damaged(
                path, f"{cases:,} cases of {slots:,} slots declared, more than the file holds"
            )


def _spss_byte_order(head: bytes) -> str | None:
    for order in ("<", ">"):
        if struct.unpack(f"{order}i", head[64:68])[0] in (2, 3):
            return order
    return None


def _damaged(path: Path, field: str) -> ReadError:
    return ReadError(
        f"{path}: damaged SPSS header ({field}); fetch the file again or check that it "
        "opens in SPSS",
        file=str(path),
        reason="corrupt",
    )


# --------------------------------------------------------------------------- isolation


def probe_dictionary(
    path: Path,
    fmt: str,
    encoding: str | None = None,
    *,
    ceiling: int | None = None,
    describe_columns: bool = True,
) -> tuple[int, int] | None:
    """Read the dictionary in a memory-capped child process: (rows, columns), or ``None``.

    ReadStat parses every variable record and value-label set either way; with
    ``describe_columns=False`` pyreadstat builds no per-column metadata in Python (which
    costs about 0.2 ms a column: 6 s for 33,000 columns) and ``columns`` is 0 — for a
    caller that knows the count from the file's header.

    The child is a fork of this process (pyreadstat is already loaded, so it costs a few
    milliseconds, not a new interpreter); its address space may grow by at most the
    ceiling. ``None`` means the reader raised an ordinary error in the child (or the
    system has no ``fork``); the caller reads the file itself and reports that error as
    usual. A crash, running out of the ceiling, or taking longer than
    :data:`PROBE_TIMEOUT` raises :class:`ReadError`. ``rows`` is -1 when the file does
    not declare it.
    """
    if not hasattr(os, "fork"):
        return None
    limit = max(ceiling if ceiling is not None else max_memory(), PROBE_MIN_MEMORY)
    # loaded here, once, so that the child imports nothing (pandas alone takes 0.3 s)
    import faulthandler  # noqa: F401
    import resource  # noqa: F401

    import pandas  # noqa: F401
    import pyreadstat  # noqa: F401

    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork in a threaded process (a hashing thread may run);
        # the child only runs the C reader and os._exit, never Python threads' locks
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: never returns
        os.close(read_fd)
        _child(path, fmt, encoding, limit, write_fd, describe_columns)
    os.close(write_fd)
    try:
        raw, finished = _collect(read_fd, PROBE_TIMEOUT)
    finally:
        os.close(read_fd)
    if not finished:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise ReadError(
            f"{path}: the file's dictionary is damaged: the reader did not finish within "
            f"{PROBE_TIMEOUT:.0f} s; fetch the file again or check that it opens in the "
            "program that wrote it",
            file=str(path),
            reason="corrupt",
        )
    _, status = os.waitpid(pid, 0)
    report = _last_json(raw)
    if os.WIFSIGNALED(status) or report is None:
        raise _crashed(path, status, limit)
    if report.get("memory"):
        raise _too_big(path, f"reading its dictionary needed more than {format_bytes(limit)}")
    if "error" in report:
        return None
    return int(str(report["rows"])), int(str(report["columns"]))


def _child(
    path: Path, fmt: str, encoding: str | None, limit: int, fd: int, describe_columns: bool
) -> NoReturn:
    """Forked child: cap memory, read the dictionary, write one JSON line, exit."""
    code = 0
    try:
        import faulthandler
        import resource

        # a crash here is expected and reported by the parent as one line: no dump
        faulthandler.disable()
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 2)

        grown = _address_space() + limit
        resource.setrlimit(resource.RLIMIT_AS, (grown, grown))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        report: dict[str, object] = _read_dictionary(path, fmt, encoding, describe_columns)
    except MemoryError:
        report, code = {"error": "MemoryError", "memory": True}, 3
    except BaseException as exc:  # reported to the parent, which reads again and maps it
        text = str(exc).lower()
        report = {"error": type(exc).__name__, "memory": "memory" in text or "malloc" in text}
        code = 4
    try:
        os.write(fd, (json.dumps(report) + "\n").encode())
    finally:
        os._exit(code)


def _read_dictionary(
    path: Path, fmt: str, encoding: str | None, describe_columns: bool = True
) -> dict[str, object]:
    import pyreadstat

    # no columns selected: ReadStat still parses the whole dictionary, pyreadstat
    # describes none of the variables
    usecols: list[str] | None = None if describe_columns else []
    if fmt == "dta":
        _, meta = pyreadstat.read_dta(
            str(path), metadataonly=True, encoding=encoding, usecols=usecols
        )
    elif fmt == "por":
        _, meta = pyreadstat.read_por(str(path), metadataonly=True, usecols=usecols)
    else:
        _, meta = pyreadstat.read_sav(
            str(path), metadataonly=True, encoding=encoding, usecols=usecols
        )
    rows = int(meta.number_rows) if meta.number_rows is not None else -1
    return {"rows": rows, "columns": int(meta.number_columns or 0)}


def _address_space() -> int:
    """Bytes of address space this process maps now (0 if unknown)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, IndexError):
        return 0


def _collect(fd: int, timeout: float) -> tuple[bytes, bool]:
    """Everything written to ``fd`` until it closes; (bytes, False) on timeout."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


def _last_json(stdout: bytes) -> dict[str, object] | None:
    for line in reversed(stdout.decode("utf-8", "replace").splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _crashed(path: Path, status: int, limit: int) -> ReadError:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            how = signal.Signals(number).name
        except ValueError:
            how = f"signal {number}"
    else:
        how = f"exit status {os.WEXITSTATUS(status)}"
    return ReadError(
        f"{path}: the file's dictionary is damaged: the reader crashed on it ({how}, "
        f"memory ceiling {format_bytes(limit)}); fetch the file again or check that it "
        "opens in the program that wrote it",
        file=str(path),
        reason="corrupt",
    )


def _too_big(path: Path, what: str) -> ReadError:
    return ReadError(
        f"{path}: {what}, the memory ceiling; if the file is intact, raise it with "
        f"--max-memory (or {MAX_MEMORY_ENV}), or read fewer columns",
        file=str(path),
        reason="too_large",
    )


# --------------------------------------------------------------------------- ceiling check


def check_memory(path: Path, rows: int, columns: int, *, ceiling: int | None = None) -> None:
    """Refuse before allocation when rows × columns × 8 bytes exceed the ceiling."""
    limit = ceiling if ceiling is not None else max_memory()
    if rows <= 0 or columns <= 0:
        return
    need = rows * columns * 8
    if need > limit:
        raise _too_big(
            path,
            f"{rows:,} rows × {columns:,} columns need at least {format_bytes(need)}, more "
            f"than {format_bytes(limit)}",
        )


def guard_native(
    path: Path,
    fmt: str,
    encoding: str | None,
    columns: int | None,
    declared_columns: int | None = None,
) -> None:
    """Run the isolated dictionary read and the memory check before the real read.

    ``columns`` is the number of columns asked for (``None``: all);
    ``declared_columns`` the number the file's header declares, when the caller read it
    (the Stata header's variable count, the SPSS header's 8-byte slots per case): the
    probe then skips pyreadstat's per-column description.
    """
    limit = max_memory()
    known = declared_columns if declared_columns and declared_columns > 0 else None
    dims = probe_dictionary(path, fmt, encoding, ceiling=limit, describe_columns=known is None)
    if dims is None:
        return
    rows, ncols = dims[0], known or dims[1]
    check_memory(path, rows, min(ncols, columns) if columns else ncols, ceiling=limit)


def spss_slots(head: bytes) -> int | None:
    """8-byte value slots per case that a .sav/.zsav header declares (a string of up to
    255 bytes takes 32), or ``None`` when the header does not say."""
    order = _spss_byte_order(head) if len(head) >= 72 else None
    if order is None:
        return None
    slots = int(struct.unpack(f"{order}i", head[68:72])[0])
    return slots if slots > 0 else None


# --------------------------------------------------------------------------- zsav, strL


def check_zsav_blocks(path: Path, data: Buffer) -> None:
    """Refuse a .zsav whose zlib header or trailer declares sizes the file cannot hold.

    The zlib data header follows the dictionary's end record (type 999) and holds its
    own offset, the trailer's offset and the trailer's length; the trailer lists each
    block's uncompressed and compressed size. ReadStat allocates by these numbers.
    """
    try:
        _check_zsav_blocks(path, data)
    except struct.error as exc:
        raise _damaged(path, "zlib header or trailer cut short") from exc


def _check_zsav_blocks(path: Path, data: Buffer) -> None:
    size = len(data)
    at = _zheader_offset(data)
    if at is None:
        raise _damaged(path, "no zlib data header after the dictionary")
    ztrailer, ztrailer_len = struct.unpack("<qq", data[at + 8 : at + 24])
    if ztrailer < at + 24 or ztrailer_len < 24 or ztrailer + ztrailer_len != size:
        raise _damaged(path, f"zlib trailer at {ztrailer:,} of {ztrailer_len:,} bytes")
    _bias, _zero, block_size, n_blocks = struct.unpack("<qqii", data[ztrailer : ztrailer + 24])
    if block_size <= 0 or n_blocks < 0 or 24 + 24 * n_blocks != ztrailer_len:
        raise _damaged(path, f"zlib block size {block_size:,} or block count {n_blocks:,}")
    for i in range(n_blocks):
        entry = data[ztrailer + 24 + 24 * i : ztrailer + 48 + 24 * i]
        _uofs, cofs, usize, csize = struct.unpack("<qqii", entry)
        if not 0 < usize <= block_size or not csize > 0 or cofs + csize > ztrailer:
            raise _damaged(path, f"zlib block {i + 1} of {usize:,} / {csize:,} bytes")


def _zheader_offset(data: Buffer) -> int | None:
    """Position of the zlib data header: it follows a type-999 record and names itself."""
    end_record = struct.pack("<ii", 999, 0)
    start = data.find(end_record, 176)
    while start >= 0:
        at = start + 8
        if len(data) >= at + 24 and struct.unpack("<q", data[at : at + 8])[0] == at:
            return at
        start = data.find(end_record, start + 1)
    return None


def check_stata_strls(path: Path, release: int, data: Buffer) -> None:
    """Refuse a .dta (release 117+) whose strL entries declare more bytes than it holds.

    Each entry is ``GSO``, the variable and observation numbers, a type byte and a
    32-bit length; ReadStat allocates the length before reading.
    """
    try:
        _check_stata_strls(path, release, data)
    except struct.error as exc:
        raise _damaged_stata(path, "<map> or strL entry cut short") from exc


def _check_stata_strls(path: Path, release: int, data: Buffer) -> None:
    order = "<" if b"<byteorder>LSF" in data[:256] else ">"
    at = data.find(b"<map>", 0, 4096)
    if at < 0:
        raise _damaged_stata(path, "no <map> of sections")
    offsets = struct.unpack(f"{order}14Q", data[at + 5 : at + 5 + 14 * 8])
    start, stop = offsets[10], offsets[11]
    if not (offsets[9] <= start < stop <= len(data)) or data[start : start + 7] != b"<strls>":
        raise _damaged_stata(path, f"strL section at {start:,} in the <map>")
    end = stop - len(b"</strls>")
    if data[end:stop] != b"</strls>":
        raise _damaged_stata(path, f"strL section ending at {stop:,} in the <map>")
    o_size = 4 if release == 117 else 8
    head = 3 + 4 + o_size + 1 + 4
    pos = start + len(b"<strls>")
    while pos < end:
        if data[pos : pos + 3] != b"GSO":
            raise _damaged_stata(path, f"strL entry at byte {pos:,} does not start with GSO")
        (length,) = struct.unpack(f"{order}I", data[pos + head - 4 : pos + head])
        if pos + head + length > end:
            raise _damaged_stata(
                path, f"a strL entry declares {length:,} bytes, more than the file holds"
            )
        pos += head + length


def _damaged_stata(path: Path, field: str) -> ReadError:
    return ReadError(
        f"{path}: damaged Stata file ({field}); fetch the file again or check that it "
        "opens in Stata",
        file=str(path),
        reason="corrupt",
    )
