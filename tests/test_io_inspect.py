"""The metadata report: counts and metadata only, never row-level data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyreadstat
from rich.console import Console

from surveytk.io.inspect import inspect_frame, render_rich, render_text
from surveytk.io.readers import read_file

SECRET_IDS = ["ID-7731-SECRET", "ID-9902-PRIVATE", "ID-4410-HIDDEN"]


def private_file(tmp_path: Path) -> Path:
    df = pd.DataFrame(
        {"rid": SECRET_IDS, "income": [123456.75, 98765.25, 55555.5], "q1": [1.0, 2.0, 7.0]}
    )
    path = tmp_path / "private.sav"
    pyreadstat.write_sav(
        df,
        path,
        column_labels=["Respondent id", "Income", "Question 1"],
        variable_value_labels={"q1": {1: "Yes", 2: "No"}},
        missing_ranges={"q1": [9]},
    )
    return path


def test_report_contains_no_row_level_data(tmp_path: Path) -> None:
    report = inspect_frame(read_file(private_file(tmp_path)))
    outputs = [render_text(report), json.dumps(report.to_dict(), ensure_ascii=False)]
    console = Console(record=True, width=200, force_terminal=False)
    render_rich(report, console)
    outputs.append(console.export_text())
    for text in outputs:
        for secret in [*SECRET_IDS, "123456", "98765", "55555"]:
            assert secret not in text
        assert "Respondent id" in text and "Question 1" in text


def test_report_counts_and_json_shape(tmp_path: Path) -> None:
    report = inspect_frame(read_file(private_file(tmp_path)))
    d = json.loads(json.dumps(report.to_dict()))
    assert d["n_rows"] == 3 and d["n_cols"] == 3 and d["format"] == "sav"
    q1 = next(v for v in d["variables"] if v["name"] == "q1")
    assert q1["value_labels"] == [{"code": 1, "label": "Yes"}, {"code": 2, "label": "No"}]
    assert q1["missing_values"] == [9]
    assert q1["n_unlabelled"] == 1  # the 7
    assert q1["n_missing_declared"] == 0
    rid = next(v for v in d["variables"] if v["name"] == "rid")
    assert rid["n_unlabelled"] is None and rid["storage"] == "string"


def test_infinite_missing_range_is_valid_json(testfiles: Path) -> None:
    report = inspect_frame(read_file(testfiles / "spss/spssio_test.sav"))
    text = json.dumps(report.to_dict(), allow_nan=False)
    income1 = next(v for v in json.loads(text)["variables"] if v["name"] == "Income1")
    assert income1["missing_ranges"] == [["-inf", -1.0]]


def test_text_render_lists_labels_and_declarations(testfiles: Path) -> None:
    text = render_text(inspect_frame(read_file(testfiles / "spss/sample_missing.sav")))
    assert "format: sav $FL2" in text
    assert "-1, 2000–3000" in text
    assert "    2 = Female" in text
    stata = render_text(inspect_frame(read_file(testfiles / "stata/stata5_117.dta")))
    assert ".a, .z" in stata
