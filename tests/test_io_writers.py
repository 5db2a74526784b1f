"""Writers: labels and missing codes survive write → pyreadstat read; atomic; deterministic."""

from __future__ import annotations

import hashlib
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from surveytk.errors import OutputError
from surveytk.io.delivered_frame import FileMeta, LabelledFrame, VariableMeta
from surveytk.io.readers import read_file
from surveytk.io.writers import (
    read_parquet_metadata,
    write_dta,
    write_labelled,
    write_parquet,
    write_sav,
)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1.0, 2.0, 3.0, 4.0],
            "q": [1.0, 2.0, 98.0, 99.0],
            "oblast": [2.0, 26.0, 2.0, 98.0],
            "when": pd.to_datetime(["2023-10-02", "2024-01-15", "2024-02-29", "2024-03-31"]),
            "txt": ["a", "Київ", "", "ö"],
        }
    )


def _write_sample_sav(frame: pd.DataFrame, path: Path, **kw: object) -> Path:
    return write_sav(
        frame,
        path,
        variable_labels={"q": "Wilt u terugkeren als Oekraïne weer veilig is?", "id": "Id"},
        value_labels={
            "q": {1: "Ja", 2: "Nee", 98: "Weet niet", 99: "Wil niet zeggen"},
            "oblast": {2: "Kharkiv Oblast (Харківська область)", 98: "Weet niet"},
        },
        user_missing={"q": [98, 99], "oblast": [98]},
        measure={"q": "nominal", "id": "scale"},
        formats={"when": "DATE11"},
        **kw,  # type: ignore[arg-type]
    )


def test_sav_round_trip_labels_and_user_missing(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = _write_sample_sav(frame, tmp_path / "a.sav")
    df, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert meta.column_names_to_labels["q"] == "Wilt u terugkeren als Oekraïne weer veilig is?"
    assert meta.variable_value_labels["q"] == {
        1.0: "Ja",
        2.0: "Nee",
        98.0: "Weet niet",
        99.0: "Wil niet zeggen",
    }
    assert meta.variable_value_labels["oblast"][2.0] == "Kharkiv Oblast (Харківська область)"
    declared = {r["lo"] for r in meta.missing_ranges["q"]}
    assert declared == {98.0, 99.0}
    assert {r["lo"] for r in meta.missing_ranges["oblast"]} == {98.0}
    assert "id" not in meta.missing_ranges
    assert df["q"].tolist() == [1.0, 2.0, 98.0, 99.0]  # user_missing=True keeps the codes
    assert meta.original_variable_types["when"] == "DATE11"
    assert df["when"].tolist() == [
        date(2023, 10, 2),
        date(2024, 1, 15),
        date(2024, 2, 29),
        date(2024, 3, 31),
    ]
    assert df["txt"].tolist() == ["a", "Київ", "", "ö"]
    assert meta.variable_measure["q"] == "nominal"
    # without user_missing the declared codes become system missing
    plain, _ = pyreadstat.read_sav(str(path))
    assert plain["q"].isna().tolist() == [False, False, True, True]
    assert plain["oblast"].isna().tolist() == [False, False, False, True]


def test_sav_bytes_do_not_depend_on_the_clock(frame: pd.DataFrame, tmp_path: Path) -> None:
    first = _write_sample_sav(frame, tmp_path / "a.sav")
    time.sleep(1.05)  # ReadStat stamps seconds into the header
    second = _write_sample_sav(frame, tmp_path / "b.sav")
    assert _sha(first) == _sha(second)
    stamped = _write_sample_sav(frame, tmp_path / "c.sav", timestamp=datetime(2021, 3, 4, 5, 6, 7))
    assert _sha(stamped) != _sha(first)
    assert stamped.read_bytes()[92:109] == b"04 Mar 2105:06:07"


def test_dta_round_trip_and_fixed_timestamp(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "pid": np.array([90005651, 90005652], dtype=np.int32),
            "plj0085_v1": np.array([1, -1], dtype=np.int8),
            "phrf": [123.5, 0.0],
        }
    )
    labels = {"plj0085_v1": {-1: "[-1] no answer / don't know", 1: "[1] Yes", 2: "[2] No"}}
    path = write_dta(
        df,
        tmp_path / "pl.dta",
        variable_labels={"plj0085_v1": "Do you want to stay in Germany forever?"},
        value_labels=labels,
        file_label="test",
    )
    back, meta = pyreadstat.read_dta(str(path))
    assert back["pid"].tolist() == [90005651, 90005652]
    assert meta.variable_value_labels["plj0085_v1"] == labels["plj0085_v1"]
    assert meta.column_names_to_labels["plj0085_v1"] == "Do you want to stay in Germany forever?"
    assert meta.file_label == "test"
    raw = path.read_bytes()
    assert raw.startswith(b"<stata_dta><header><release>118</release>")
    assert b"<timestamp>\x1101 Jun 2024 00:00</timestamp>" in raw


def test_dta_refuses_non_integer_labels(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": [1.5, 2.0]})
    with pytest.raises(OutputError, match="non-integer"):
        write_dta(df, tmp_path / "x.dta", value_labels={"x": {1.5: "one and a half"}})
    assert list(tmp_path.iterdir()) == []


def test_sav_refuses_more_than_three_missing_codes(frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="at most three"):
        write_sav(frame, tmp_path / "a.sav", user_missing={"q": [96, 97, 98, 99]})


def test_labels_for_unknown_columns_are_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="not in the frame: nope"):
        write_sav(frame, tmp_path / "a.sav", variable_labels={"nope": "x"})
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_partial_file(
    frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_write(df: pd.DataFrame, dst: str, **kw: object) -> None:
        Path(dst).write_bytes(b"$FL2 truncated")
        raise OSError("disk full")

    target = tmp_path / "bad.sav"
    target.write_bytes(b"previous complete file")
    monkeypatch.setattr(pyreadstat, "write_sav", half_write)
    with pytest.raises(OSError, match="disk full"):
        write_sav(frame, target)
    assert [p.name for p in tmp_path.iterdir()] == ["bad.sav"]
    assert target.read_bytes() == b"previous complete file"


def test_parquet_round_trip_with_metadata(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None]})
    meta = {"codebook_version": "1.2", "hashes": {"wodc": "abc"}, "note": "Київ"}
    path = write_parquet(df, tmp_path / "t.parquet", metadata=meta)
    assert read_parquet_metadata(path) == meta
    back = pd.read_parquet(path)
    assert back["a"].tolist() == [1, 2, 3]
    assert back["b"].isna().tolist() == [False, False, True]
    again = write_parquet(df, tmp_path / "u.parquet", metadata=dict(reversed(meta.items())))
    assert _sha(path) == _sha(again)


def test_parquet_refuses_unserialisable_metadata(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="JSON"):
        write_parquet(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet", metadata={"x": object()})
    assert list(tmp_path.iterdir()) == []


def _labelled() -> LabelledFrame:
    data = pd.DataFrame({"geslacht": [1.0, 2.0, 99.0], "gewicht": [0.5, 1.0, 1.5]})
    variables = {
        "geslacht": VariableMeta(
            "geslacht",
            label="Geslacht",
            value_labels={1: "Man", 2: "Vrouw", 99: "Wil niet zeggen"},
            missing_values=(99,),
            measure="nominal",
        ),
        "gewicht": VariableMeta("gewicht", label="Weegfactor", measure="scale"),
    }
    file = FileMeta("x.sav", "sav", None, "UTF-8", 3, 2, "0" * 64, file_label="LOCOV")
    return LabelledFrame(data, variables, file)


@pytest.mark.parametrize("suffix", [".sav", ".zsav", ".dta", ".parquet"])
def test_write_labelled_keeps_metadata(tmp_path: Path, suffix: str) -> None:
    lf = _labelled()
    if suffix == ".dta":
        lf = LabelledFrame(
            lf.data.astype({"geslacht": "int8"}), lf.variables, lf.file
        )  # Stata labels integers
    path = write_labelled(lf, tmp_path / f"x{suffix}")
    if suffix == ".parquet":
        meta = read_parquet_metadata(path)
        assert meta["variables"]["geslacht"]["value_labels"][-1] == [99, "Wil niet zeggen"]
        back = read_file(path)
        assert back.meta("geslacht").value_labels == lf.meta("geslacht").value_labels
        assert back.meta("geslacht").missing_values == (99,)
        return
    if suffix == ".dta":
        _, meta = pyreadstat.read_dta(str(path))
    else:
        _, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert meta.column_names_to_labels == {"geslacht": "Geslacht", "gewicht": "Weegfactor"}
    assert meta.variable_value_labels["geslacht"][99] == "Wil niet zeggen"
    if suffix != ".dta":
        assert [r["lo"] for r in meta.missing_ranges["geslacht"]] == [99.0]


def test_write_labelled_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"cannot write format \.xyz"):
        write_labelled(_labelled(), tmp_path / "x.xyz")
