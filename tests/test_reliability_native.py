"""Bounded fuzz of the native readers: extreme 32-bit values in SPSS/Stata dictionaries.

Every 32-bit-aligned slot of a small file's header/dictionary region is a candidate; each
case sets one slot to 0, 1, 0x7fffffff, 0xffffffff or 0x80000000 and reads the file with
``read_file``. Each case must read or raise a ``SurveytkError``: no crash (the worker
process dying), no hang (a per-case timeout), no other exception. The CI run takes a
deterministic sample (:data:`SAMPLE`); ``python tests/test_reliability_native.py all``
tries every slot (the figures in docs/reliability.md).

Cases run in one worker subprocess, so a crash of the C reader is seen as the worker
dying on a named case, not as the test process dying.
"""

from __future__ import annotations

import json
import os
import random
import select
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
FILES = {
    "sav": DATA / "spss" / "sample_missing.sav",
    "sav_alltypes": DATA / "spss" / "simple_alltypes.sav",  # 3 crashes before the guards
    "sav_width": DATA / "spss" / "test_width.sav",  # 5 crashes before the guards
    "zsav": DATA / "spss" / "sample_fl3.zsav",
    "dta117": DATA / "stata" / "stata4_117.dta",
    "dta114": DATA / "stata" / "stata4_114.dta",
    "dta118": DATA / "stata" / "stata12_be_118.dta",  # big-endian, with strL entries
}
#: bytes at the start of each file treated as header and dictionary
REGION = 1024
#: ... and at its end (zsav zlib header and trailer, Stata strL entries and value labels)
TAIL = 512
VALUES = (0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000000)
#: cases per file in the CI run (deterministic sample)
SAMPLE = 24
#: seconds one case may take (the dictionary probe alone stops at 60 s)
CASE_TIMEOUT = 90.0

WORKER = r"""
import json, sys
from surveytk.errors import SurveytkError
from surveytk.io.readers import read_file
for line in sys.stdin:
    case = json.loads(line)
    try:
        read_file(case["path"])
        result = "read"
    except SurveytkError:
        result = "refused"
    except Exception as exc:
        result = "internal " + type(exc).__name__ + ": " + str(exc)[:200]
    print(json.dumps({"id": case["id"], "result": result}), flush=True)
"""


def all_cases(key: str) -> list[tuple[int, int]]:
    size = FILES[key].stat().st_size
    offsets = sorted(
        set(range(0, min(size, REGION) - 3, 4)) | set(range(max(0, size - TAIL), size - 3, 4))
    )
    return [(offset, value) for offset in offsets for value in VALUES]


def sample_cases(key: str, n: int) -> list[tuple[int, int]]:
    cases = all_cases(key)
    return sorted(random.Random(f"native-{key}").sample(cases, min(n, len(cases))))


def patched(folder: Path, key: str, offset: int, value: int) -> Path:
    data = bytearray(FILES[key].read_bytes())
    data[offset : offset + 4] = value.to_bytes(4, "little")
    out = folder / f"{key}_{offset}_{value:x}{FILES[key].suffix}"
    out.write_bytes(bytes(data))
    return out


def run_cases(paths: list[Path]) -> dict[str, str]:
    """Read each file in one worker process; a crash or hang is the outcome of its case."""
    results: dict[str, str] = {}
    pending = list(paths)
    while pending:
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        )
        assert worker.stdin is not None and worker.stdout is not None
        while pending:
            path = pending.pop(0)
            worker.stdin.write(json.dumps({"id": path.name, "path": str(path)}) + "\n")
            worker.stdin.flush()
            ready, _, _ = select.select([worker.stdout], [], [], CASE_TIMEOUT)
            line = worker.stdout.readline() if ready else ""
            if not ready:
                results[path.name] = "hang"
                break
            if not line:
                worker.wait()
                results[path.name] = f"crash (exit {worker.returncode})"
                break
            report = json.loads(line)
            results[report["id"]] = report["result"]
        worker.kill()
        worker.wait()
        worker.stdin.close()
        worker.stdout.close()
    return results


def failures(results: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in results.items() if v not in ("read", "refused")}


def test_workers_detect_a_crash(tmp_path: Path) -> None:
    """The harness itself: a worker that dies is reported as a crash, not skipped."""
    doomed = tmp_path / "doomed.sav"
    doomed.write_bytes(b"x")
    worker_src = WORKER
    try:
        globals()["WORKER"] = "import os, sys; sys.stdin.readline(); os.abort()"
        assert failures(run_cases([doomed])) == {"doomed.sav": "crash (exit -6)"}
    finally:
        globals()["WORKER"] = worker_src


@pytest.mark.parametrize("key", sorted(FILES))
def test_dictionary_patches_read_or_refuse(key: str, tmp_path: Path) -> None:
    paths = [patched(tmp_path, key, off, val) for off, val in sample_cases(key, SAMPLE)]
    results = run_cases(paths)
    assert len(results) == len(paths)
    assert failures(results) == {}


if __name__ == "__main__":  # full run: every slot of every file
    import tempfile
    import time

    keys = sys.argv[2:] or sorted(FILES)
    with tempfile.TemporaryDirectory() as folder:
        for key in keys:
            start = time.time()
            paths = [patched(Path(folder), key, off, val) for off, val in all_cases(key)]
            results = run_cases(paths)
            counts: dict[str, int] = {}
            for v in results.values():
                counts[v.split(" ")[0]] = counts.get(v.split(" ")[0], 0) + 1
            print(key, len(paths), "cases", counts, f"{time.time() - start:.0f} s", flush=True)
            for name, v in failures(results).items():
                print("  FAIL", name, v, flush=True)


# --------------------------------------------------------------------------- the guards


def _patch(tmp_path: Path, key: str, offset: int, value: int) -> Path:
    return patched(tmp_path, key, offset, value)


@pytest.mark.parametrize(
    ("offset", "value", "field"),
    [
        (64, 0x7FFFFFFF, "layout code"),
        (68, 0x7FFFFFFF, "variable slots"),
        (72, 7, "compression code"),
        (76, 0x7FFFFFFF, "weight variable slot"),
        (80, 0x80000000, "case count"),
        (80, 0x7FFFFFFF, "cases of"),
    ],
)
def test_implausible_spss_header_fields_are_refused_by_name(
    tmp_path: Path, offset: int, value: int, field: str
) -> None:
    from surveytk.errors import ReadError
    from surveytk.io.readers import read_file

    bad = _patch(tmp_path, "sav", offset, value)
    with pytest.raises(ReadError, match=field) as info:
        read_file(bad)
    assert str(bad) in str(info.value) and "\n" not in str(info.value)


def test_the_dictionary_patch_that_crashed_pyreadstat_is_one_error(tmp_path: Path) -> None:
    """simple_alltypes.sav with a value-label record's variable index of 0x7fffffff: SIGSEGV."""
    from surveytk.errors import ReadError
    from surveytk.io.native_guard import probe_dictionary

    bad = patched(tmp_path, "sav_alltypes", 1016, 0x7FFFFFFF)
    assert run_cases([bad]) == {bad.name: "refused"}
    with pytest.raises(ReadError, match=r"the reader crashed on it \(SIGSEGV"):
        probe_dictionary(bad, "sav")


def test_a_strl_entry_longer_than_the_file_is_refused(tmp_path: Path) -> None:
    from surveytk.errors import ReadError
    from surveytk.io.readers import read_file

    data = bytearray(FILES["dta118"].read_bytes())
    first = data.find(b"GSO")
    length_at = first + 3 + 4 + 8 + 1  # GSO, v (4), o (8 in release 118), t (1)
    data[length_at : length_at + 4] = (0x7FFFFFF0).to_bytes(4, "big")
    bad = tmp_path / "strl.dta"
    bad.write_bytes(bytes(data))
    with pytest.raises(ReadError, match="strL entry declares 2,147,483,632 bytes"):
        read_file(bad)


def test_a_zsav_block_size_beyond_the_file_is_refused(tmp_path: Path) -> None:
    from surveytk.errors import ReadError
    from surveytk.io.readers import read_file

    data = bytearray(FILES["zsav"].read_bytes())
    # the trailer's last entry ends with the block's compressed size (32 bits)
    data[-4:] = (0x7FFFFFFF).to_bytes(4, "little")
    bad = tmp_path / "block.zsav"
    bad.write_bytes(bytes(data))
    with pytest.raises(ReadError, match="zlib block"):
        read_file(bad)


def test_a_crash_of_the_reader_is_one_read_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    from surveytk.errors import ReadError
    from surveytk.io import native_guard

    def segfault(*_: object) -> dict[str, object]:
        os.kill(os.getpid(), signal.SIGSEGV)
        return {}

    monkeypatch.setattr(native_guard, "_read_dictionary", segfault)
    with pytest.raises(ReadError, match=r"the reader crashed on it \(SIGSEGV"):
        native_guard.probe_dictionary(FILES["sav"], "sav")


def test_memory_ceiling_binds_the_dictionary_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    from surveytk.errors import ReadError
    from surveytk.io import native_guard

    def greedy(*_: object) -> dict[str, object]:
        hog = bytearray(2 * native_guard.PROBE_MIN_MEMORY)
        return {"rows": len(hog), "columns": 1}

    monkeypatch.setattr(native_guard, "_read_dictionary", greedy)
    with pytest.raises(ReadError, match=r"needed more than 512\.0 MB"):
        native_guard.probe_dictionary(FILES["sav"], "sav", ceiling=1)


def test_a_hanging_reader_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from surveytk.errors import ReadError
    from surveytk.io import native_guard

    def hang(*_: object) -> dict[str, object]:
        time.sleep(60)
        return {}

    monkeypatch.setattr(native_guard, "_read_dictionary", hang)
    monkeypatch.setattr(native_guard, "PROBE_TIMEOUT", 0.5)
    with pytest.raises(ReadError, match="did not finish within"):
        native_guard.probe_dictionary(FILES["sav"], "sav")


def test_the_probe_reports_the_declared_size() -> None:
    from surveytk.io import native_guard

    assert native_guard.probe_dictionary(DATA / "spss" / "employee_data.sav", "sav") == (474, 10)


def _surveytk(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SURVEYTK_MAX_MEMORY"}
    return subprocess.run(
        [sys.executable, "-m", "surveytk", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("path", [DATA / "spss" / "employee_data.sav", FILES["dta117"]])
def test_max_memory_refuses_before_reading(path: Path) -> None:
    small = _surveytk("--max-memory", "100", "inspect", str(path))
    assert small.returncode == 2, small.stderr
    assert "memory ceiling" in small.stderr and "--max-memory" in small.stderr
    assert len(small.stderr.strip().splitlines()) == 1 and small.stdout == ""
    fine = _surveytk("--max-memory", "1G", "inspect", str(path))
    assert fine.returncode == 0, fine.stderr


def test_max_memory_must_be_a_size() -> None:
    result = _surveytk("--max-memory", "lots", "inspect", str(FILES["sav"]))
    assert result.returncode == 2 and "--max-memory" in result.stderr


def test_memory_sizes_and_default() -> None:
    from surveytk.io.native_guard import DEFAULT_MAX_MEMORY, default_max_memory, parse_memory

    assert parse_memory("4G") == 4 * 1024**3
    assert parse_memory("500M") == 500 * 1024**2
    assert parse_memory("2GiB") == 2 * 1024**3
    assert parse_memory("1024") == 1024
    assert 0 < default_max_memory() <= DEFAULT_MAX_MEMORY
