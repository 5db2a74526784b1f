"""Every failure to read is one ReadError line naming the file and what to do."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from surveytk.errors import ReadError
from surveytk.io.fileinfo import stata_release
from surveytk.io.readers import read_file

DAMAGEABLE = (
    "spss/employee_data.sav",
    "spss/sample_fl3.zsav",
    "spss/spssio_test.sav",
    "stata/stata4_117.dta",
    "stata/stata12_be_118.dta",
    "soep_practice/practice_dataset_eng.dta",
)


def assert_one_line(exc: ReadError, path: Path) -> None:
    msg = str(exc)
    assert "\n" not in msg
    assert str(path) in msg
    assert exc.exit_code == 2


def test_not_found(tmp_path: Path) -> None:
    path = tmp_path / "nope.sav"
    with pytest.raises(ReadError, match="file not found") as info:
        read_file(path)
    assert_one_line(info.value, path)


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "data.xyz"
    path.write_bytes(b"abc")
    with pytest.raises(ReadError, match=r"unknown file extension \.xyz") as info:
        read_file(path)
    assert_one_line(info.value, path)
    with pytest.raises(ReadError, match="unknown format"):
        read_file(path, format="ods")


def test_empty_file(tmp_path: Path) -> None:
    for name in ("e.sav", "e.dta", "e.csv", "e.parquet"):
        path = tmp_path / name
        path.write_bytes(b"")
        with pytest.raises(ReadError, match="empty") as info:
            read_file(path)
        assert_one_line(info.value, path)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "x.sav"
    folder.mkdir()
    with pytest.raises(ReadError, match="not a regular file"):
        read_file(folder)


@pytest.mark.parametrize("name", DAMAGEABLE)
@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.6, 0.95])
def test_truncated_copies(testfiles: Path, tmp_path: Path, name: str, fraction: float) -> None:
    data = (testfiles / name).read_bytes()
    path = tmp_path / Path(name).name
    path.write_bytes(data[: max(1, int(len(data) * fraction))])
    with pytest.raises(ReadError) as info:
        read_file(path)
    assert_one_line(info.value, path)
    assert info.value.reason in ("corrupt", "truncated", "unsupported_version")


@pytest.mark.parametrize("name", DAMAGEABLE)
def test_flipped_header_bytes(testfiles: Path, tmp_path: Path, name: str) -> None:
    data = bytearray((testfiles / name).read_bytes())
    for i in range(0, 48):
        data[i] ^= 0xFF
    path = tmp_path / Path(name).name
    path.write_bytes(bytes(data))
    with pytest.raises(ReadError) as info:
        read_file(path)
    assert_one_line(info.value, path)


def test_wrong_extension_for_content(testfiles: Path, tmp_path: Path) -> None:
    path = tmp_path / "really_stata.sav"
    shutil.copy(testfiles / "stata/stata4_117.dta", path)
    with pytest.raises(ReadError, match="not an SPSS system file"):
        read_file(path)
    assert read_file(path, format="dta").file.format_version == "117"


def test_unknown_encoding_name(testfiles: Path) -> None:
    with pytest.raises(ReadError, match="unknown encoding") as info:
        read_file(testfiles / "stata/stata4_117.dta", encoding="no-such-charset")
    assert "\n" not in str(info.value)


def test_bad_delimiter_option_for_binary_format(testfiles: Path) -> None:
    with pytest.raises(ReadError, match="delimiter applies only"):
        read_file(testfiles / "spss/german.sav", delimiter=";")


def test_corrupt_xlsx_and_parquet(tmp_path: Path) -> None:
    for name in ("bad.xlsx", "bad.parquet"):
        path = tmp_path / name
        path.write_bytes(b"PK\x03\x04 this is not a real archive" * 4)
        with pytest.raises(ReadError, match="corrupt") as info:
            read_file(path)
        assert_one_line(info.value, path)


@pytest.mark.parametrize(
    ("head", "release"),
    [
        (b"<stata_dta><header><release>118</release>", 118),
        (bytes([114, 2, 1, 0]), 114),
        (bytes([102, 0, 1, 0]), 102),
        (b"$FL2@(#) SPSS DATA FILE", None),
    ],
)
def test_stata_release_from_header(head: bytes, release: int | None) -> None:
    assert stata_release(head) == release
