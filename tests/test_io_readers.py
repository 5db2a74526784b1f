"""read_file on the third-party test files: metadata facts the files are known to carry."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pandas as pd
import pytest

import surveytk
from surveytk.errors import ReadError
from surveytk.io.inspect import inspect_frame
from surveytk.io.readers import read_file

STATA_RELEASES = (104, 105, 108, 110, 111, 113, 114, 115, 117)

ALL_READABLE = (
    "spss/employee_data.sav",
    "spss/german.sav",
    "spss/sample_fl3.zsav",
    "spss/sample_missing.sav",
    "spss/simple_alltypes.sav",
    "spss/spssio_test.sav",
    "spss/test_width.sav",
    *(f"stata/stata4_{r}.dta" for r in STATA_RELEASES),
    "stata/stata5_117.dta",
    "stata/stata12_be_118.dta",
    "soep_practice/practice_dataset_eng.dta",
    "survey/apiclus1.csv",
    "survey/apistrat.csv",
    "soep_practice/variables.csv",
    "soep_practice/variable_categories.csv",
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ALL_READABLE)
def test_every_test_file_reads_and_inspects(testfiles: Path, name: str) -> None:
    path = testfiles / name
    lf = read_file(path)
    assert lf.file.sha256 == sha256(path)
    assert (lf.file.n_rows, lf.file.n_cols) == lf.data.shape
    assert set(lf.variables) == set(lf.data.columns)
    for meta in lf.variables.values():
        assert meta.value_labels is not None and meta.extended_missing is not None
    report = inspect_frame(lf)
    assert [v.name for v in report.variables] == lf.columns


def test_package_level_read_file_is_the_reader() -> None:
    assert surveytk.read_file is read_file


# --------------------------------------------------------------------------- SPSS


def test_sample_missing_declares_codes_and_ranges_and_keeps_codes(testfiles: Path) -> None:
    lf = read_file(testfiles / "spss/sample_missing.sav")
    mynum = lf.meta("mynum")
    assert mynum.missing_values == (-1,)
    assert mynum.missing_ranges == ((2000.0, 3000.0),)
    assert lf.meta("myord").missing_values == (-1, -2, -3)
    mylabl = lf.meta("mylabl")
    assert mylabl.value_labels == {-1: "undetermined", 1: "Male", 2: "Female"}
    assert mylabl.measure == "scale" and lf.meta("myord").measure == "ordinal"
    # user-missing codes stay codes, not NaN
    assert (lf.data["mynum"] == 2500).sum() == 1
    assert (lf.data["myord"] == -3).sum() == 1
    assert lf.file.notes[0] == "some test text as notes"
    report = {v.name: v for v in inspect_frame(lf).variables}
    assert report["mynum"].n_missing_declared == 2  # -1 and 2500 (in 2000-3000)
    assert report["mylabl"].n_missing_system == 1


def test_employee_data_windows1252_user_missing_string_labels_date(testfiles: Path) -> None:
    lf = read_file(testfiles / "spss/employee_data.sav")
    assert lf.file.encoding.lower() == "windows-1252"
    assert lf.file.n_rows == 474
    assert lf.meta("MINORITY").missing_values == (9,)
    assert lf.meta("EDUC").missing_values == (0,)
    assert lf.meta("GENDER").value_labels == {"f": "Female", "m": "Male"}
    assert lf.meta("GENDER").storage == "string"
    assert lf.meta("JOBCAT").value_labels[3] == "Manager"
    assert lf.meta("BDATE").storage == "date"
    assert lf.meta("BDATE").format == "ADATE10"
    assert pd.api.types.is_datetime64_any_dtype(lf.data["BDATE"])
    assert lf.meta("SALARY").label == "Current Salary"
    assert lf.file.format_version is not None and lf.file.format_version.startswith("$FL2")


def test_spssio_test_missing_range_string_missing_file_label(testfiles: Path) -> None:
    lf = read_file(testfiles / "spss/spssio_test.sav")
    assert lf.meta("Age").missing_ranges == ((0.0, 18.0),)
    lo, hi = lf.meta("Income1").missing_ranges[0]
    assert math.isinf(lo) and lo < 0 and hi == -1.0
    assert lf.meta("Income3").missing_values == (999, 888, 777)
    assert lf.meta("aShortStringVar").missing_values == ("x", "y")
    assert lf.meta("aShortStringVar").value_labels == {"x": "someValue label"}
    assert lf.meta("Age").label == "How old are you?"
    assert lf.file.file_label == "This is a file label"
    assert lf.file.encoding.upper() == "UTF-8"


def test_german_umlauts(testfiles: Path) -> None:
    lf = read_file(testfiles / "spss/german.sav")
    assert {"überhaupt", "völlig", "spaß"} <= set(lf.columns)
    assert all(v.value_labels == {} for v in lf.variables.values())


def test_zsav_and_wide_strings(testfiles: Path) -> None:
    lf = read_file(testfiles / "spss/sample_fl3.zsav")
    assert lf.file.format == "zsav"
    assert lf.file.format_version.startswith("$FL3")
    assert lf.meta("dtime").storage == "datetime"
    assert lf.meta("mytime").storage == "time"
    wide = read_file(testfiles / "spss/test_width.sav")
    assert wide.meta("StartDate").format == "A1024"
    assert wide.meta("Finished").value_labels != {}


def test_simple_alltypes_discrete_and_range_missing(testfiles: Path) -> None:
    lf = read_file(testfiles / "spss/simple_alltypes.sav")
    assert lf.meta("x").missing_values == (7, 8, 99)
    assert lf.meta("x").value_labels == {1: "red", 2: "green", 3: "blue"}
    z = lf.meta("z")
    assert z.missing_values == (999,) and z.missing_ranges == ((-999.0, 0.0),)
    assert z.is_declared_missing(-5.5) and not z.is_declared_missing(5)


def test_columns_argument_and_unknown_column(testfiles: Path) -> None:
    lf = read_file(testfiles / "spss/employee_data.sav", columns=["ID", "GENDER"])
    assert lf.columns == ["ID", "GENDER"] and lf.file.n_cols == 2
    with pytest.raises(ReadError, match="no_such_var"):
        read_file(testfiles / "spss/employee_data.sav", columns=["ID", "no_such_var"])


# --------------------------------------------------------------------------- Stata


@pytest.mark.parametrize("release", STATA_RELEASES)
def test_stata_release_read_from_header(testfiles: Path, release: int) -> None:
    lf = read_file(testfiles / f"stata/stata4_{release}.dta")
    assert lf.file.format == "dta"
    assert lf.file.format_version == str(release)
    labelled = [v for v in lf.variables.values() if v.value_labels]
    assert len(labelled) >= 4
    incomplete = lf.variables[lf.columns[2]]
    assert incomplete.value_labels == {1: "one", 2: "two", 3: "three", 10: "ten"}
    # 1..10 present; 4..9 have no label
    assert inspect_frame(lf).variables[2].n_unlabelled == 6
    assert inspect_frame(lf).variables[0].n_unlabelled == 0


def test_stata_extended_missing_distinguishable(testfiles: Path) -> None:
    path = testfiles / "stata/stata5_117.dta"
    lf = read_file(path)
    # pandas is an independent reader: its StataMissingValue objects mark .a/.z
    ref = pd.read_stata(path, convert_missing=True, convert_dates=False)
    for name in ("byte_", "int_", "long_", "float_", "double_"):
        meta = lf.meta(name)
        assert set(meta.extended_missing) == {".a", ".z"}
        assert meta.storage == "numeric"
        ours = lf.data[name]
        for i, value in enumerate(ref[name]):
            text = str(value)
            if text in (".a", ".z"):
                assert ours.iloc[i] == text
            elif text == ".":
                assert pd.isna(ours.iloc[i])
            else:
                assert float(ours.iloc[i]) == pytest.approx(float(value))
    report = {v.name: v for v in inspect_frame(lf).variables}
    assert report["byte_"].n_missing_declared == 2
    assert report["byte_"].n_missing_system == int(ref["byte_"].astype(str).eq(".").sum())


def test_big_endian_equals_independent_reader(testfiles: Path) -> None:
    path = testfiles / "stata/stata12_be_118.dta"
    lf = read_file(path)
    assert "byte order MSF" in lf.file.notes
    ref = pd.read_stata(path)
    assert list(lf.data["x"]) == list(ref["x"])
    assert list(lf.data["y"]) == list(ref["y"])
    assert list(lf.data["z"]) == list(ref["z"])


def test_big_endian_equals_little_endian_copy(testfiles: Path, tmp_path: Path) -> None:
    import pyreadstat

    be = read_file(testfiles / "stata/stata12_be_118.dta")
    le_path = tmp_path / "le.dta"
    pyreadstat.write_dta(be.data, le_path, version=14)
    le = read_file(le_path)
    assert "byte order MSF" not in le.file.notes
    pd.testing.assert_frame_equal(be.data, le.data, check_dtype=False)


def test_little_endian_old_release_values_match_pandas(testfiles: Path) -> None:
    path = testfiles / "stata/stata4_114.dta"
    lf = read_file(path)
    ref = pd.read_stata(path, convert_categoricals=False)
    for name in lf.columns:
        assert lf.data[name].astype(float).fillna(-999).tolist() == (
            ref[name].astype(float).fillna(-999).tolist()
        )


def test_encoding_error_names_encoding_and_explicit_encoding_reads(testfiles: Path) -> None:
    path = testfiles / "stata/stata1_encoding_118.dta"
    with pytest.raises(ReadError) as info:
        read_file(path)
    msg = str(info.value)
    assert "--encoding" in msg and "encoding=" in msg and "\n" not in msg
    assert info.value.reason == "encoding"
    lf = read_file(path, encoding="latin1")
    assert lf.file.encoding == "latin1"
    assert lf.data.iloc[:, 0].str.contains("Düsseldorf").any()
    assert lf.meta(lf.columns[0]).label == "Prussian County Name -- 1840 County Definition"


def test_stata_102_is_unsupported_with_version_and_range(testfiles: Path) -> None:
    with pytest.raises(ReadError) as info:
        read_file(testfiles / "stata/stata-compat-102.dta")
    msg = str(info.value)
    assert "102" in msg and "104–119" in msg and "\n" not in msg
    assert info.value.value == 102 and info.value.reason == "unsupported_version"


def test_soep_practice_labels_and_missing_codes(testfiles: Path) -> None:
    lf = read_file(testfiles / "soep_practice/practice_dataset_eng.dta")
    assert lf.file.n_rows == 23522
    assert lf.file.format_version == "118" and lf.file.encoding == "utf-8"
    sex = lf.meta("sex")
    assert sex.label == "Sex"
    assert sex.value_labels[-1] == "[-1] no answer"
    assert sex.value_labels[0] == "[0] male"
    assert lf.meta("id").value_labels == {}
    report = {v.name: v for v in inspect_frame(lf).variables}
    assert report["sex"].n_unlabelled == 0 and report["id"].n_unlabelled is None
    # SOEP missing codes are ordinary labelled numbers in Stata, not declared missing
    assert sex.missing_values == () and sex.extended_missing == {}


# --------------------------------------------------------------------------- CSV


def test_api_csv(testfiles: Path) -> None:
    lf = read_file(testfiles / "survey/apiclus1.csv")
    assert lf.file.format == "csv" and lf.file.encoding == "utf-8"
    assert lf.file.n_rows == 183
    assert {"dnum", "pw", "fpc", "ell", "meals"} <= set(lf.columns)
    assert lf.meta("pw").storage == "numeric" and lf.meta("stype").storage == "string"
    assert "delimiter ','" in lf.file.notes
