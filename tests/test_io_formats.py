"""Readers on real third-party files: SAS, transport, Excel, text encodings, extended missing.

Reference readings come from R's haven (tests/reference/haven_reading.R →
haven_reading.csv) and from the files' own companion CSVs.
"""

from __future__ import annotations

import codecs
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from surveytk.cli.main import main
from surveytk.errors import OutputError, ReadError
from surveytk.io.delivered_frame import is_extended_missing
from surveytk.io.readers import read_file
from surveytk.io.writers import write_labelled

DATA = Path(__file__).parent / "data"
HAVEN = Path(__file__).parent / "reference" / "haven_reading.csv"


def haven(file: str) -> pd.DataFrame:
    ref = pd.read_csv(HAVEN, keep_default_na=False, na_values=["NA"], dtype={"value": str})
    return ref[ref["file"] == file]


def assert_matches_haven(file: str, lf_data: pd.DataFrame) -> int:
    """Every cell equals haven's reading: value, system missing, or the same tagged NA."""
    ref = haven(file)
    checked = 0
    lower = {c.lower(): c for c in lf_data.columns}
    for (variable, row), cell in ref.set_index(["variable", "row"]).iterrows():
        ours = lf_data[lower[str(variable).lower()]].iloc[int(row)]
        if isinstance(cell["na_tag"], str):
            assert is_extended_missing(ours), (variable, row, ours)
            assert ours[1:].lower() == cell["na_tag"]
        elif pd.isna(cell["value"]):
            assert ours is None or pd.isna(ours), (variable, row, ours)
        elif isinstance(ours, pd.Timestamp):
            assert str(ours).startswith(str(cell["value"])), (variable, row, ours)
        elif isinstance(ours, int | float | np.integer | np.floating):
            assert float(ours) == pytest.approx(float(cell["value"]), rel=1e-12), (variable, row)
        else:
            assert str(ours) == str(cell["value"]), (variable, row, ours)
        checked += 1
    return checked


# ----------------------------------------------------------------------------- SAS


def test_sas7bdat_and_xpt_equal_the_csv_and_haven() -> None:
    expected = pd.read_csv(DATA / "sas" / "sample.csv", encoding="utf-8-sig")
    for name in ("sample.sas7bdat", "sample.xpt"):
        lf = read_file(DATA / "sas" / name)
        data = lf.data.rename(columns=str.lower)
        assert data["mychar"].tolist() == expected["mychar"].tolist()
        assert data["mynum"].tolist() == expected["mynum"].tolist()
        dates = data["mydate"].dt.strftime("%Y-%m-%d").tolist()
        assert dates[:4] == expected["mydate"][:4].tolist()
        assert lf.meta(lf.columns[2]).storage == "date"
        assert lf.meta(lf.columns[3]).storage == "datetime"
        assert lf.meta(lf.columns[6]).storage == "time"
        assert lf.meta(lf.columns[0]).format == "$1"
        assert assert_matches_haven(f"sas/{name}", lf.data) == 35
    assert read_file(DATA / "sas" / "sample.xpt").file.format_version == "transport"


def test_sas_special_missing_values_with_catalog_labels() -> None:
    lf = read_file(DATA / "sas" / "missing_test.sas7bdat")
    assert lf.file.notes == ("value labels from the format catalog missing_test.sas7bcat",)
    codes = [lf.data[f"var{i}"].iloc[0] for i in range(1, 8)]
    assert codes == [".A", ".B", ".C", ".X", ".Y", ".Z", "._"]
    assert lf.meta("var1").extended_missing == {".A": "missing"}
    assert lf.meta("var7").extended_missing == {"._": ""}
    assert pd.isna(lf.data["var8"].iloc[0]) and lf.data["var9"].iloc[0] == 1.0
    assert assert_matches_haven("sas/missing_test.sas7bdat", lf.data) == 9
    applied = lf.with_declared_missing_as_na()
    assert {k: v.extended for k, v in applied.counts.items()} == {f"var{i}": 1 for i in range(1, 8)}
    assert applied.data["var1"].dtype == "float64" and applied.data["var1"].isna().all()


def test_sas_catalog_gives_value_labels_and_its_absence_a_note(tmp_path: Path) -> None:
    lf = read_file(DATA / "sas" / "test_data_linux.sas7bdat")
    assert lf.meta("SEXA").value_labels == {"1": "Male", "2": "Female"}
    assert lf.data["SEXA"].tolist() == ["1", "2", "1"]  # codes, not labels
    alone = tmp_path / "test_data_linux.sas7bdat"
    shutil.copy(DATA / "sas" / "test_data_linux.sas7bdat", alone)
    bare = read_file(alone)
    assert bare.meta("SEXA").value_labels == {}
    assert "user formats $A, $B are defined in a format catalog" in bare.file.notes[0]
    shutil.copy(DATA / "sas" / "test_data_linux.sas7bcat", tmp_path / "FORMATS.sas7bcat")
    assert read_file(alone).meta("SEXB").value_labels == {"1": "Male", "2": "Female"}


def test_sas_month_and_year_formats_are_dates() -> None:
    lf = read_file(DATA / "sas" / "date_test.sas7bdat")
    assert lf.meta("dtc4").format == "MMYY7" and lf.meta("dtc4").storage == "date"
    assert lf.meta("yr").format == "YEAR4" and lf.meta("yr").storage == "date"
    raw, _ = pyreadstat.read_sas7bdat(
        str(DATA / "sas" / "date_test.sas7bdat"), disable_datetime_conversion=True
    )
    for name in ("dtc4", "yr"):  # SAS dates: days since 1960-01-01
        expected = pd.Timestamp("1960-01-01") + pd.to_timedelta(raw[name], unit="D")
        assert lf.data[name].tolist() == expected.tolist()


def test_xpt_written_by_haven_keeps_labels_and_values() -> None:
    lf = read_file(DATA / "sas" / "apistrat_haven.xpt")
    api = pd.read_csv(DATA / "survey" / "apistrat.csv")
    assert lf.meta("api00").label == "API in 2000"
    assert lf.meta("pw").label == "Sampling weight"
    assert lf.data["api00"].tolist() == api["api00"].astype(float).tolist()
    assert lf.data["stype"].tolist() == api["stype"].tolist()
    assert lf.data["pw"].to_numpy() == pytest.approx(api["pw"].to_numpy(), rel=1e-15)


# ----------------------------------------------------------------------------- Stata .a–.z


@pytest.mark.parametrize("file", ["stata/stata5_117.dta", "stata/missing_test.dta"])
def test_stata_extended_missing_equals_haven(file: str) -> None:
    lf = read_file(DATA / file)
    assert assert_matches_haven(file, lf.data) > 0


def test_all_missing_columns_keep_their_extended_codes(tmp_path: Path) -> None:
    lf = read_file(DATA / "stata" / "missing_test.dta")  # one row, every value missing
    assert [lf.data[f"var{i}"].iloc[0] for i in range(1, 7)] == [".a", ".b", ".c", ".x", ".y", ".z"]
    assert lf.meta("var1").extended_missing == {".a": "missing"}
    assert lf.meta("var1").storage == "numeric"
    for suffix in (".dta", ".parquet"):
        back = read_file(write_labelled(lf, tmp_path / f"again{suffix}"))
        for name in lf.columns:
            a, b = lf.data[name].astype(object), back.data[name].astype(object)
            assert ((a == b) | (a.isna() & b.isna())).all(), (suffix, name)
            assert back.meta(name).extended_missing == lf.meta(name).extended_missing
    with pytest.raises(OutputError, match=r"extended missing codes .* SPSS files cannot store"):
        write_labelled(lf, tmp_path / "x.sav")


def test_dta_written_with_extended_missing_reads_in_haven_style(tmp_path: Path) -> None:
    lf = read_file(DATA / "stata" / "stata5_117.dta")
    out = write_labelled(lf, tmp_path / "s.dta")
    raw, meta = pyreadstat.read_dta(str(out), user_missing=True)
    assert meta.missing_user_values["byte_"] == ["a", "z"]
    assert raw["byte_"].iloc[8] == "a" and raw["byte_"].iloc[9] == "z"
    assert pd.isna(raw["byte_"].iloc[5])  # system missing stays system missing
    assert out.read_bytes()[:300].count(b"01 Jun 2024 00:00") == 1  # fixed timestamp


def test_declared_missing_as_na_equals_pyreadstat_without_user_missing() -> None:
    path = DATA / "spss" / "sample_missing.sav"
    lf = read_file(path)
    assert lf.meta("mynum").missing_ranges == ((2000.0, 3000.0),)
    applied = lf.with_declared_missing_as_na()
    plain, _ = pyreadstat.read_sav(str(path))  # user-missing codes as NaN
    for name in ("mynum", "mylabl", "myord"):
        np.testing.assert_array_equal(applied.data[name].to_numpy(), plain[name].to_numpy())
    assert {k: v.user for k, v in applied.counts.items()} == {"mynum": 2, "mylabl": 1, "myord": 2}
    assert applied.counts["mynum"].declaration == "-1; 2000 to 3000"
    assert lf.data["mynum"].iloc[6] == 2500.0  # the delivered data are untouched
    assert lf.declared_missing() == dict(applied.counts)


# ----------------------------------------------------------------------------- Excel


@pytest.mark.parametrize("name", ["datasets.xls", "datasets.xlsx"])
def test_workbook_with_several_sheets_needs_a_sheet(name: str) -> None:
    path = DATA / "excel" / name
    with pytest.raises(ReadError) as info:
        read_file(path)
    assert str(info.value) == (
        f"{path}: the workbook has 3 sheets (1: 'mtcars', 2: 'chickwts', 3: 'quakes'); "
        "choose one with --sheet NAME|N (Python: sheet=...)"
    )
    mtcars = read_file(path, sheet="mtcars").data
    assert mtcars.shape == (32, 11)
    assert mtcars["mpg"].mean() == pytest.approx(20.090625, abs=1e-12)  # R: mean(mtcars$mpg)
    assert mtcars["hp"].sum() == 4694  # R: sum(mtcars$hp)
    pd.testing.assert_frame_equal(read_file(path, sheet=1).data, mtcars)
    pd.testing.assert_frame_equal(read_file(path, sheet="MTCARS").data, mtcars)
    chick = read_file(path, sheet="2")
    assert chick.columns == ["weight", "feed"] and len(chick) == 71
    assert chick.file.notes == ("sheet 'chickwts' (2 of 3)",)
    with pytest.raises(ReadError, match=r"no sheet 'iris' in the workbook; its sheets are 1: "):
        read_file(path, sheet="iris")
    with pytest.raises(ReadError, match="no sheet 4"):
        read_file(path, sheet=4)


def test_xls_and_xlsx_read_the_same_values() -> None:
    for sheet in ("mtcars", "chickwts", "quakes"):
        a = read_file(DATA / "excel" / "datasets.xls", sheet=sheet).data
        b = read_file(DATA / "excel" / "datasets.xlsx", sheet=sheet).data
        pd.testing.assert_frame_equal(a, b)


def test_sheet_only_for_workbooks_and_cli_sheet(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ReadError, match=r"a sheet applies only to \.xlsx/\.xls"):
        read_file(DATA / "survey" / "apistrat.csv", sheet="x")
    main(["inspect", str(DATA / "excel" / "datasets.xlsx"), "--sheet", "quakes", "--json"])
    out = capsys.readouterr().out
    assert '"n_rows": 1000' in out and "sheet 'quakes' (3 of 3)" in out
    with pytest.raises(SystemExit) as info:
        main(["inspect", str(DATA / "excel" / "datasets.xlsx")])
    assert info.value.code == 2
    assert "choose one with --sheet" in capsys.readouterr().err


def test_fit_reads_a_sheet_of_a_workbook(tmp_path: Path) -> None:
    """``fit --sheet`` and ``surveytk.fit(sheet=...)`` read the sheet's needed columns."""
    import surveytk

    book = DATA / "excel" / "datasets.xlsx"
    res = surveytk.fit(book, sheet="mtcars", model="lpm", formula="am ~ wt", weights="carb")
    want = surveytk.fit(read_file(book, sheet="mtcars").data, model="lpm", formula="am ~ wt",
                        weights="carb")  # fmt: skip
    pd.testing.assert_series_equal(res.params, want.params)
    out = tmp_path / "fit.json"
    main(["fit", str(book), "--sheet", "1", "--model", "lpm", "--formula", "am ~ wt",
          "--weights", "carb", "--out", str(out)])  # fmt: skip
    assert json.loads(out.read_text())["coef"]["estimates"] == list(want.params)


def test_corrupt_workbook_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xls"
    bad.write_bytes((DATA / "excel" / "datasets.xls").read_bytes()[:3000])
    with pytest.raises(ReadError, match="truncated or corrupt workbook") as info:
        read_file(bad)
    assert "\n" not in str(info.value)


# ----------------------------------------------------------------------------- encodings

API_TEXT = (DATA / "survey" / "apistrat.csv").read_text(encoding="utf-8")
CYRILLIC = "oblast,name\nUA-63,Харківська\nUA-32,Київська\n"


@pytest.mark.parametrize(
    ("codec", "bom"),
    [
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-32-le", b""),
        ("utf-32-be", b""),
        ("utf-32-le", codecs.BOM_UTF32_LE),
    ],
)
def test_utf16_and_utf32_with_and_without_bom(codec: str, bom: bytes, tmp_path: Path) -> None:
    expected = read_file(DATA / "survey" / "apistrat.csv").data
    path = tmp_path / "api.csv"
    path.write_bytes(bom + API_TEXT.encode(codec))
    lf = read_file(path)
    pd.testing.assert_frame_equal(lf.data, expected)
    assert lf.file.encoding.replace("-", "").startswith(codec[:6].replace("-", ""))
    path.write_bytes(bom + CYRILLIC.encode(codec))
    assert read_file(path).data["name"].tolist() == ["Харківська", "Київська"]


def test_legacy_and_binary_text_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cp.csv"
    path.write_bytes(CYRILLIC.encode("cp1251"))
    with pytest.raises(ReadError, match=r"not valid UTF-8 .*--encoding") as info:
        read_file(path)
    assert "\n" not in str(info.value)
    assert read_file(path, encoding="cp1251").data["name"].iloc[0] == "Харківська"
    noise = tmp_path / "noise.csv"
    noise.write_bytes(bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)))
    with pytest.raises(ReadError, match="NUL bytes in no pattern of UTF-8, UTF-16 or UTF-32"):
        read_file(noise)


# ----------------------------------------------------------------------------- read errors


def test_binary_strl_is_named_not_blamed_on_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "blob.dta"
    frame = pd.DataFrame({"id": [1, 2], "photo": ["A" * 40, "B" * 40]})
    frame.to_stata(path, version=118, convert_strl=["photo"], write_index=False)
    raw = bytearray(path.read_bytes())
    for m in re.finditer(b"GSO", bytes(raw)):  # make both strLs binary (GSO type 129)
        t = m.start() + 3 + 4 + 8
        raw[t] = 129
        raw[t + 5 : t + 13] = b"\x89PNG\r\n\x1a\n"
    path.write_bytes(bytes(raw))
    for encoding in (None, "latin1"):
        with pytest.raises(ReadError) as info:
            read_file(path, encoding=encoding)
        assert info.value.reason == "binary_strl"
        assert "variable(s) photo hold binary strL content" in str(info.value)
        assert "--encoding" not in str(info.value)
    assert read_file(path, columns=["id"]).data["id"].tolist() == [1, 2]


def test_date_beyond_year_9999_names_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "dates.sav"
    frame = pd.DataFrame({"id": [1.0, 2.0], "born": [13e9, 1e13], "seen": [13e9, 13.1e9]})
    pyreadstat.write_sav(frame, str(path), variable_format={"born": "DATE11", "seen": "DATE11"})
    with pytest.raises(ReadError) as info:
        read_file(path)
    message = str(info.value)
    assert info.value.reason == "date_out_of_range"
    assert "variable born has the date format DATE11" in message
    assert "truncated" not in message and "seen" not in message


def test_text_in_a_numeric_variable_is_refused_not_nan() -> None:
    from surveytk.io.read_stat import _settle_numeric

    col = pd.Series([1.0, "oops", ".a", np.nan], dtype=object)
    extended = col.map(is_extended_missing).to_numpy(dtype=bool)
    with pytest.raises(ReadError, match="numeric variable q holds text values"):
        _settle_numeric(Path("f.dta"), "q", col, extended)
    fine = pd.Series([1.0, 2, np.nan], dtype=object)
    assert _settle_numeric(Path("f.dta"), "q", fine, np.zeros(3, bool)).dtype == "float64"


def test_sav_rewrite_keeps_missing_ranges(tmp_path: Path) -> None:
    lf = read_file(DATA / "spss" / "sample_missing.sav")
    back = read_file(write_labelled(lf, tmp_path / "again.sav"))
    for name in ("mynum", "mylabl", "myord"):
        assert back.meta(name).missing_values == lf.meta(name).missing_values
        assert back.meta(name).missing_ranges == lf.meta(name).missing_ranges
    assert back.declared_missing() == lf.declared_missing()


def test_sheet_on_every_command_reading_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from surveytk.models.api import fit

    book = str(DATA / "excel" / "datasets.xlsx")
    out = tmp_path / "fit.json"
    main(["fit", book, "--sheet", "mtcars", "--model", "lpm", "--formula", "am ~ mpg",
          "--out", str(out)])
    direct = fit(read_file(book, sheet="mtcars"), model="lpm", formula="am ~ mpg")
    assert f"{direct.params['mpg']:.4g}" in capsys.readouterr().out
    main(["tabulate", book, "--sheet", "chickwts", "--by", "feed", "--unweighted"])
    assert "| soybean | 14 |" in capsys.readouterr().out
    main(["estimate", book, "--sheet", "1", "--mean", "mpg"])
    assert "20.0906" in capsys.readouterr().out  # R: mean(mtcars$mpg) = 20.090625


def test_date_variable_with_extended_missing(tmp_path: Path) -> None:
    """pyreadstat cannot read .a in a %td variable as datetime; surveytk keeps both."""
    path = tmp_path / "d.dta"
    frame = pd.DataFrame({"d": pd.Series([21916.0, "a", np.nan], dtype=object), "x": [1.0, 2, 3]})
    pyreadstat.write_dta(frame, str(path), missing_user_values={"d": ["a"]},
                         variable_format={"d": "%td"})
    lf = read_file(path)
    assert lf.data["d"].tolist()[:2] == [pd.Timestamp("2020-01-02"), ".a"]
    assert pd.isna(lf.data["d"].iloc[2])
    assert lf.meta("d").storage == "date" and lf.meta("d").extended_missing == {".a": ""}
    assert lf.data["x"].dtype == "float64"
    applied = lf.with_declared_missing_as_na().data["d"]
    assert applied.dtype.kind == "M" and applied.isna().tolist() == [False, True, True]
    raw, meta = pyreadstat.read_dta(str(write_labelled(lf, tmp_path / "again.dta")),
                                    user_missing=True)
    assert raw["d"].tolist()[:2] == [pd.Timestamp("2020-01-02").date(), "a"]
    assert meta.original_variable_types["d"] == "%td"


def test_repeated_header_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.xlsx"
    frame = pd.DataFrame([[1, 2, 3]], columns=["a", "b", "c"]).rename(columns={"c": "a"})
    frame.to_excel(path, index=False)
    with pytest.raises(ReadError, match="has two columns named 'a' in its header row"):
        read_file(path)
    fine = tmp_path / "fine.xlsx"
    pd.DataFrame([[1, 2]], columns=["a", "a.1"]).to_excel(fine, index=False)
    assert read_file(fine).columns == ["a", "a.1"]  # a real "a.1" is not a repeat


def test_analyses_treat_sas_codes_and_dated_codes_as_missing(tmp_path: Path) -> None:
    from surveytk.analysis_frame import analysis_frame

    sas = analysis_frame(read_file(DATA / "sas" / "missing_test.sas7bdat"))
    assert all(sas.data[f"var{i}"].dtype == "float64" for i in range(1, 10))
    assert sas.data[[f"var{i}" for i in range(1, 9)]].isna().all().all()
    assert [m.variable for m in sas.set_missing] == [f"var{i}" for i in range(1, 8)]
    path = tmp_path / "d.dta"
    frame = pd.DataFrame({"d": pd.Series([21916.0, "a", np.nan], dtype=object), "x": [1.0, 2, 3]})
    pyreadstat.write_dta(frame, str(path), missing_user_values={"d": ["a"]},
                         variable_format={"d": "%td"})
    dated = analysis_frame(read_file(path))
    assert dated.data["d"].dtype.kind == "M"
    assert dated.data["d"].isna().tolist() == [False, True, True]
