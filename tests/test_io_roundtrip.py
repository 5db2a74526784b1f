"""Write small files with pyreadstat / pandas / pyarrow, read them back with read_file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest

from surveytk.errors import ReadError
from surveytk.io.inspect import inspect_frame
from surveytk.io.read_parquet import METADATA_KEY, encode_surveytk_metadata
from surveytk.io.readers import read_file


def survey_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pid": [101.0, 102.0, 103.0, 104.0, 105.0, 106.0],
            "stay": [1.0, 2.0, -1.0, 2.0, 1.0, np.nan],
            "emp": [1.0, 9.0, 4.0, -2.0, 3.0, 10.0],
            "country": ["Poland", "Germany", "", "Poland", "Spain", "Italy"],
        }
    )


LABELS = {
    "stay": {1: "[1] Yes", 2: "[2] No", -1: "[-1] no answer"},
    "emp": {1: "Employed full-time", 9: "Not employed", -2: "does not apply"},
}
VAR_LABELS = ["Person ID", "Stay in Germany forever?", "Employment status", "Host country"]


@pytest.mark.parametrize("ext", ["sav", "zsav"])
def test_sav_round_trip_labels_and_user_missing(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"x.{ext}"
    pyreadstat.write_sav(
        survey_frame(),
        path,
        column_labels=VAR_LABELS,
        variable_value_labels=LABELS,
        missing_ranges={"stay": [-1], "emp": [{"lo": -9, "hi": -2}]},
        variable_measure={"stay": "nominal", "emp": "ordinal", "pid": "scale"},
        file_label="round trip",
        compress=ext == "zsav",
    )
    lf = read_file(path)
    assert lf.file.format == ext and lf.file.file_label == "round trip"
    assert [lf.meta(c).label for c in lf.columns] == VAR_LABELS
    assert lf.meta("stay").value_labels == LABELS["stay"]
    assert lf.meta("emp").value_labels == LABELS["emp"]
    assert lf.meta("stay").missing_values == (-1,)
    assert lf.meta("emp").missing_ranges == ((-9.0, -2.0),)
    assert lf.meta("emp").measure == "ordinal"
    assert lf.meta("country").storage == "string" and lf.meta("country").value_labels == {}
    # codes as delivered: user-missing -1 and -2 still there, NaN stays NaN
    assert lf.data["stay"].tolist()[:5] == [1.0, 2.0, -1.0, 2.0, 1.0]
    assert pd.isna(lf.data["stay"].iloc[5])
    assert lf.data["emp"].tolist() == survey_frame()["emp"].tolist()
    rep = {v.name: v for v in inspect_frame(lf).variables}
    assert (rep["stay"].n_missing_system, rep["stay"].n_missing_declared) == (1, 1)
    assert rep["emp"].n_missing_declared == 1
    assert rep["emp"].n_unlabelled == 3  # 4, 3 and 10 carry no label
    assert rep["pid"].n_unlabelled is None


def test_dta_round_trip_labels_and_extended_missing(tmp_path: Path) -> None:
    df = survey_frame()
    df["stay"] = df["stay"].astype(object)
    df.loc[5, "stay"] = "b"  # extended missing .b
    path = tmp_path / "x.dta"
    pyreadstat.write_dta(
        df,
        path,
        column_labels=VAR_LABELS,
        variable_value_labels=LABELS,
        missing_user_values={"stay": ["b"]},
        version=15,
    )
    lf = read_file(path)
    assert lf.file.format_version == "119"
    assert [lf.meta(c).label for c in lf.columns] == VAR_LABELS
    assert lf.meta("stay").value_labels == LABELS["stay"]
    assert lf.meta("stay").extended_missing == {".b": ""}
    assert lf.data["stay"].iloc[5] == ".b"
    assert lf.data["stay"].iloc[:5].astype(float).tolist() == [1.0, 2.0, -1.0, 2.0, 1.0]
    assert lf.meta("emp").extended_missing == {}
    assert lf.data["emp"].dtype.kind in "if"  # numeric columns without .a-.z stay numeric
    assert lf.data["country"].tolist() == df["country"].tolist()


@pytest.mark.parametrize("version", [8, 10, 12, 13, 14])
def test_dta_versions_round_trip(tmp_path: Path, version: int) -> None:
    expected = {8: "113", 10: "114", 12: "115", 13: "117", 14: "118"}[version]
    path = tmp_path / "v.dta"
    df = survey_frame()[["pid", "emp"]]
    pyreadstat.write_dta(df, path, variable_value_labels={"emp": LABELS["emp"]}, version=version)
    lf = read_file(path)
    assert lf.file.format_version == expected
    assert lf.meta("emp").value_labels == LABELS["emp"]
    assert lf.data["emp"].astype(float).tolist() == df["emp"].tolist()


def test_dates_stay_dates(tmp_path: Path) -> None:
    df = pd.DataFrame({"d": pd.to_datetime(["2023-01-15", "2024-06-30"]), "x": [1.0, 2.0]})
    for ext, writer in (("sav", pyreadstat.write_sav), ("dta", pyreadstat.write_dta)):
        path = tmp_path / f"dates.{ext}"
        writer(df, path)
        lf = read_file(path)
        assert lf.meta("d").storage in ("date", "datetime")
        assert pd.api.types.is_datetime64_any_dtype(lf.data["d"])
        assert lf.data["d"].dt.strftime("%Y-%m-%d").tolist() == ["2023-01-15", "2024-06-30"]


def test_por_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "x.por"
    df = survey_frame()[["pid", "emp"]]
    pyreadstat.write_por(df, path, column_labels=["Person ID", "Employment"])
    lf = read_file(path)
    assert lf.file.format == "por" and lf.file.format_version == "portable"
    assert lf.meta("EMP" if "EMP" in lf.columns else "emp").label == "Employment"


# --------------------------------------------------------------------------- text formats


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_delimiter_sniffed(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "x.csv"
    survey_frame().to_csv(path, sep=sep, index=False)
    lf = read_file(path)
    assert lf.columns == list(survey_frame().columns)
    assert f"delimiter {sep!r}" in lf.file.notes
    assert lf.data["emp"].tolist() == survey_frame()["emp"].tolist()


def test_tsv_and_explicit_delimiter(tmp_path: Path) -> None:
    tsv = tmp_path / "x.tsv"
    survey_frame().to_csv(tsv, sep="\t", index=False)
    assert read_file(tsv).file.format == "tsv"
    semi = tmp_path / "y.csv"
    survey_frame().to_csv(semi, sep=";", index=False)
    assert read_file(semi, delimiter=";").file.n_cols == 4


def test_csv_bom_and_cyrillic(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffoblast,n\nХарківська область,3\nКиїв,4\n".encode())
    lf = read_file(path)
    assert lf.file.encoding == "utf-8-sig"
    assert lf.columns == ["oblast", "n"]
    assert lf.data["oblast"].iloc[0] == "Харківська область"


def test_csv_not_utf8_needs_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("stadt;n\nDüsseldorf;1\nKöln;2\n".encode("latin-1"))
    with pytest.raises(ReadError) as info:
        read_file(path)
    assert "--encoding" in str(info.value) and "\n" not in str(info.value)
    assert "Düsseldorf" not in str(info.value)
    lf = read_file(path, encoding="latin1")
    assert lf.file.encoding == "latin1"
    assert lf.data["stadt"].tolist() == ["Düsseldorf", "Köln"]


def test_xlsx_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    survey_frame().to_excel(path, index=False)
    lf = read_file(path)
    assert lf.file.format == "xlsx" and lf.columns == list(survey_frame().columns)
    assert lf.data["emp"].tolist() == survey_frame()["emp"].tolist()


# --------------------------------------------------------------------------- parquet


def test_parquet_restores_surveytk_metadata(tmp_path: Path) -> None:
    src = tmp_path / "x.sav"
    pyreadstat.write_sav(
        survey_frame(),
        src,
        column_labels=VAR_LABELS,
        variable_value_labels=LABELS,
        missing_ranges={"stay": [-1], "emp": [{"lo": -9, "hi": -2}]},
    )
    original = read_file(src)
    table = pa.Table.from_pandas(original.data, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = encode_surveytk_metadata(original)
    pq.write_table(table.replace_schema_metadata(meta), tmp_path / "x.parquet")
    back = read_file(tmp_path / "x.parquet")
    assert back.file.format == "parquet"
    for name in original.columns:
        assert back.meta(name) == original.meta(name)
    assert any(original.file.sha256 in note for note in back.file.notes)
    pd.testing.assert_frame_equal(back.data, original.data)


def test_parquet_accepts_writers_layout_and_plain_files(tmp_path: Path) -> None:
    df = survey_frame()
    legacy = {
        "variables": {
            "stay": {
                "label": "Stay?",
                "value_labels": {"1": "Yes", "-1": "n/a"},
                "missing_values": ["-1"],
            },
            "country": {"label": "Host", "value_labels": {"1": "one"}, "missing_values": []},
        },
        "source_file": {"path": "pl.dta", "sha256": "ab" * 32},
    }
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata({METADATA_KEY: json.dumps(legacy).encode()})
    pq.write_table(table, tmp_path / "legacy.parquet")
    lf = read_file(tmp_path / "legacy.parquet")
    assert lf.meta("stay").value_labels == {1: "Yes", -1: "n/a"}
    assert lf.meta("stay").missing_values == (-1,)
    assert lf.meta("country").value_labels == {"1": "one"}  # string column keeps string codes
    assert lf.meta("pid").label is None
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "plain.parquet")
    plain = read_file(tmp_path / "plain.parquet")
    assert all(v.value_labels == {} for v in plain.variables.values())


def test_parquet_bad_metadata_is_read_error(tmp_path: Path) -> None:
    table = pa.Table.from_pandas(survey_frame(), preserve_index=False)
    pq.write_table(table.replace_schema_metadata({METADATA_KEY: b"{not json"}), tmp_path / "b.pq")
    with pytest.raises(ReadError, match="not valid JSON"):
        read_file(tmp_path / "b.pq")


@pytest.mark.parametrize("ext", ["sav", "dta"])
def test_progress_bar_chunked_read_equals_whole_read(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"p.{ext}"
    df = pd.DataFrame({"x": np.arange(500, dtype=float), "y": np.arange(500) % 7 - 1.0})
    writer = pyreadstat.write_sav if ext == "sav" else pyreadstat.write_dta
    writer(df, path, variable_value_labels={"y": {-1: "no answer", 0: "zero"}})
    whole = read_file(path, progress=False)
    chunked = read_file(path, progress=True)
    pd.testing.assert_frame_equal(chunked.data, whole.data)
    assert chunked.variables == whole.variables and chunked.file == whole.file
