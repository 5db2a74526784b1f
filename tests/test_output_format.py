"""`format_from_path`: one rule for every writer (harmonised data, tables, estimates)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from surveytk.errors import OutputError
from surveytk.harmonise.output import SUFFIX_FORMATS as DATA_SUFFIXES
from surveytk.harmonise.output import write_data
from surveytk.io.formats import format_from_path
from surveytk.report.tables import SUFFIX_FORMATS as TABLE_SUFFIXES


@pytest.mark.parametrize(("name", "expected"), [
    ("t.md", "md"), ("T.MARKDOWN", "md"), ("t.tex", "latex"), ("t.htm", "html"),
    ("t.docx", "docx"), ("t.xlsx", "xlsx"), ("t.csv", "csv"), ("t.parquet", "parquet"),
])
def test_table_format_from_suffix(name: str, expected: str) -> None:
    assert format_from_path(name, TABLE_SUFFIXES) == expected


def test_given_format_wins_and_must_be_known() -> None:
    assert format_from_path("t.md", TABLE_SUFFIXES, "latex") == "latex"
    assert format_from_path("data", DATA_SUFFIXES, "dta") == "dta"
    with pytest.raises(OutputError, match=r"expecting one of \{parquet, dta, sav, csv\}; got 'md'"):
        format_from_path("d.parquet", DATA_SUFFIXES, "md")


@pytest.mark.parametrize("name", ["data", "data.txt", "data.xlsx"])
def test_unknown_suffix_is_refused_not_guessed(name: str) -> None:
    with pytest.raises(OutputError) as info:
        format_from_path(name, DATA_SUFFIXES)
    message = str(info.value)
    assert "\n" not in message and "--format" in message and ".parquet" in message


def test_harmonised_data_is_not_written_under_a_wrong_name(tmp_path: Path) -> None:
    table = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(OutputError, match="cannot tell the output format"):
        write_data(table, tmp_path / "harmonised.txt")
    assert not (tmp_path / "harmonised.txt").exists()
    written = write_data(table, tmp_path / "harmonised.txt", fmt="csv")
    assert written.read_text(encoding="utf-8") == "a\n1\n2\n"
