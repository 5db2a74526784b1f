"""Fuzzing the readers and the codebook loader: every case ends in a result or one
clear SurveytkError — never another exception, a hang or a traceback.

Hypothesis generates valid SPSS/Stata/CSV files (0 rows allowed, labels with
umlauts, Cyrillic and formula triggers, user-missing codes) and damages them
(truncation, flipped bytes, zero-filled tails, garbage, dropped headers, empty
files, foreign encodings). The long run is ``python scripts/fuzz_long.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fuzz.strategies import (
    ENCODINGS,
    FORMATS,
    YAML_INJECTIONS,
    Corruption,
    TextEdit,
    corruptions,
    frames,
    huge_value_map,
    outcome,
    text_edits,
    value_labels,
    write_valid,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveytk.codebook.loader import load_codebook, load_schema
from surveytk.errors import CodebookError, ReadError, SpecError
from surveytk.io.readers import read_file
from surveytk.paths import BUILTIN_ANALYSES_DIR, BUILTIN_SOURCES_DIR

FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

THIRD_PARTY = (
    "spss/employee_data.sav",
    "spss/sample_fl3.zsav",
    "spss/sample_missing.sav",
    "stata/stata4_114.dta",
    "stata/stata5_117.dta",
    "stata/stata12_be_118.dta",
)


def assert_clean(result_kind: str, detail: str) -> None:
    assert result_kind in ("ok", "error"), f"finding: {detail}"


# --------------------------------------------------------------------------- readers


@FUZZ
@given(df=frames(), fmt=st.sampled_from(FORMATS), damage=st.lists(corruptions, max_size=2),
       enc=st.sampled_from(ENCODINGS), data=st.data())
def test_generated_files_read_or_fail_cleanly(tmp_path_factory: pytest.TempPathFactory,
                                              df: pd.DataFrame, fmt: str,
                                              damage: list[Corruption], enc: str,
                                              data: st.DataObject) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"delivery.{fmt}"
    write_valid(df, fmt, path, labels=data.draw(value_labels(df)), encoding=enc, missing=True)
    raw = path.read_bytes()
    for c in damage:
        raw = c.apply(raw)
    path.write_bytes(raw)
    res = outcome(lambda: read_file(path))
    assert_clean(res.kind, res.detail)
    if not damage and fmt != "csv" and len(df):
        # an undamaged binary file must be read, and read completely
        lf = read_file(path)
        assert lf.data.shape == df.shape


@FUZZ
@given(name=st.sampled_from(THIRD_PARTY), damage=st.lists(corruptions, min_size=1, max_size=2))
def test_damaged_third_party_files(testfiles: Path, tmp_path_factory: pytest.TempPathFactory,
                                   name: str, damage: list[Corruption]) -> None:
    src = testfiles / name
    path = tmp_path_factory.mktemp("tp") / src.name
    raw = src.read_bytes()
    for c in damage:
        raw = c.apply(raw)
    path.write_bytes(raw)
    res = outcome(lambda: read_file(path))
    assert_clean(res.kind, res.detail)


@pytest.mark.parametrize("fmt", ["sav", "dta", "csv"])
def test_zero_rows_read_as_empty_frame(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame({"a": pd.Series([], dtype="float64"), "b": pd.Series([], dtype="float64")})
    path = write_valid(df, fmt, tmp_path / f"zero.{fmt}", labels={"a": {1.0: "Ja"}})
    lf = read_file(path)
    assert lf.data.shape == (0, 2)
    assert lf.file.n_rows == 0


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_huge_label_count(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame({"q": [1.0, 2.0, 5000.0]})
    labels = {"q": {float(i): f"label {i} Харків" for i in range(1, 5001)}}
    lf = read_file(write_valid(df, fmt, tmp_path / f"labels.{fmt}", labels=labels))
    assert len(lf.meta("q").value_labels) == 5000


def test_thirty_thousand_columns_csv(tmp_path: Path) -> None:
    cols = [f"v{i}" for i in range(30_000)]
    path = tmp_path / "wide.csv"
    pd.DataFrame(np.ones((3, len(cols)), dtype=np.int8), columns=cols).to_csv(path, index=False)
    lf = read_file(path)
    assert lf.data.shape == (3, 30_000)
    assert len(lf.variables) == 30_000


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_thirty_thousand_columns_binary(tmp_path: Path, fmt: str) -> None:
    cols = [f"v{i}" for i in range(30_000)]
    df = pd.DataFrame(np.ones((3, len(cols))), columns=cols)
    lf = read_file(write_valid(df, fmt, tmp_path / f"wide.{fmt}"))
    assert lf.data.shape == (3, 30_000)


@pytest.mark.parametrize("enc", ["cp1251", "cp1252", "utf-16"])
def test_wrong_encoding_csv_is_one_clear_error(tmp_path: Path, enc: str) -> None:
    path = tmp_path / "oblast.csv"
    text = "Харківська область" if enc == "cp1251" else "Größe"
    path.write_bytes(f"oblast,n\n{text},1\n{text} 2,2\n".encode(enc))
    if enc == "utf-16":  # has a BOM: read correctly
        assert read_file(path).data.shape == (2, 2)
        return
    with pytest.raises(ReadError, match="--encoding") as info:
        read_file(path)
    assert "\n" not in str(info.value)
    assert read_file(path, encoding=enc).data.shape == (2, 2)


# --------------------------------------------------------------------------- codebooks


CODEBOOK_TEXTS = {p.name: p.read_text(encoding="utf-8")
                  for p in sorted(BUILTIN_SOURCES_DIR.glob("*.yaml"))}


@settings(FUZZ, max_examples=15)
@given(name=st.sampled_from(sorted(CODEBOOK_TEXTS)),
       edits=st.lists(text_edits, min_size=1, max_size=3))
def test_mutated_codebooks_load_or_fail_cleanly(tmp_path_factory: pytest.TempPathFactory,
                                                name: str, edits: list[TextEdit]) -> None:
    text = CODEBOOK_TEXTS[name]
    for e in edits:
        text = e.apply(text)
    path = tmp_path_factory.mktemp("cb") / name
    path.write_text(text, encoding="utf-8")
    schema = load_schema()
    res = outcome(lambda: load_codebook(path, schema=schema))
    assert_clean(res.kind, res.detail)


def test_impossible_date_in_codebook_is_codebook_error(tmp_path: Path) -> None:
    # YAML's timestamp resolver accepts 2024-13-45 and datetime() raises ValueError
    path = tmp_path / "wodc_w1.yaml"
    path.write_text(CODEBOOK_TEXTS["wodc_w1.yaml"].replace(
        'version: "1.0.0"', "version: 2024-13-45"), encoding="utf-8")
    with pytest.raises(CodebookError, match=r"wodc_w1\.yaml"):
        load_codebook(path)


def test_impossible_date_in_spec_is_spec_error(tmp_path: Path) -> None:
    from surveytk.analysis.spec import load_spec

    path = tmp_path / "spec.yaml"
    text = (BUILTIN_ANALYSES_DIR / "return_intentions.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace('version: "1"', "version: 2024-02-30"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"spec\.yaml"):
        load_spec(path)


def test_huge_value_map_loads_or_fails_cleanly(tmp_path: Path) -> None:
    text = CODEBOOK_TEXTS["wodc_w1.yaml"]
    start = text.index("  gender:\n")
    end = text.index("  n_children_u18:")
    path = tmp_path / "wodc_w1.yaml"
    path.write_text(text[:start] + huge_value_map(5_000) + text[end:], encoding="utf-8")
    res = outcome(lambda: load_codebook(path))
    assert res.kind in ("ok", "error"), res.detail
    assert res.seconds < 20


@pytest.mark.parametrize("payload", YAML_INJECTIONS)
def test_codebook_injection_never_constructs_objects(tmp_path: Path, payload: str) -> None:
    marker = Path("/tmp/surveytk_pwned")
    marker.unlink(missing_ok=True)
    path = tmp_path / "wodc_w1.yaml"
    path.write_text(CODEBOOK_TEXTS["wodc_w1.yaml"].replace(
        "title: WODC", f"title: {payload}\nold_title: WODC"), encoding="utf-8")
    with pytest.raises(CodebookError):
        load_codebook(path)
    assert not marker.exists()


def test_empty_and_binary_codebooks(tmp_path: Path) -> None:
    for name, data in (("empty.yaml", b""), ("nul.yaml", b"\x00\x01\x02"),
                       ("latin.yaml", "codebook: gr\xf6\xdfe\n".encode("latin-1"))):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CodebookError) as info:
            load_codebook(path)
        assert name in str(info.value)


def test_codebook_folder_copy_still_loads(tmp_path: Path) -> None:
    # the oracle's baseline: unmutated codebooks load (so "error" above is not vacuous)
    for name in CODEBOOK_TEXTS:
        shutil.copy(BUILTIN_SOURCES_DIR / name, tmp_path / name)
        assert load_codebook(tmp_path / name).name == name.removesuffix(".yaml")


def test_corrupt_spss_date_is_read_error(testfiles: Path, tmp_path: Path) -> None:
    # found by the fuzzer: flipped bytes in the data give a date pyreadstat cannot convert
    raw = Corruption("flip", 0.6285819033714587, 54).apply(
        (testfiles / "spss/employee_data.sav").read_bytes())
    path = tmp_path / "employee_data.sav"
    path.write_bytes(raw)
    with pytest.raises(ReadError, match="corrupt") as info:
        read_file(path)
    assert "\n" not in str(info.value)


def test_billion_laughs_codebook_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = outcome(lambda: load_codebook(path))
    assert res.kind == "error", res.detail
    assert res.seconds < 5


def test_alias_bombs_in_specs_are_refused(tmp_path: Path) -> None:
    from surveytk.analysis.spec import load_spec

    text = (BUILTIN_ANALYSES_DIR / "return_intentions.yaml").read_text(encoding="utf-8")
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    for extra in ("\n".join(bomb), "loop: &l [*l]"):
        path = tmp_path / "spec.yaml"
        path.write_text(extra + "\n" + text, encoding="utf-8")
        res = outcome(lambda p=path: load_spec(p))  # type: ignore[misc]
        assert res.kind == "error", res.detail
        assert res.seconds < 5


def test_corrupt_stata_metadata_is_read_error(testfiles: Path, tmp_path: Path) -> None:
    # found by scripts/fuzz_long.py: pyreadstat raises TypeError on this damaged header
    raw = (testfiles / "stata/stata4_114.dta").read_bytes()
    for c in (Corruption("garbage", 0.44074096695229603, 32),
              Corruption("zero_tail", 0.16761046071716515, 59)):
        raw = c.apply(raw)
    path = tmp_path / "stata4_114.dta"
    path.write_bytes(raw)
    with pytest.raises(ReadError, match="corrupt") as info:
        read_file(path)
    assert "\n" not in str(info.value)


def test_stata_header_declaring_billions_of_rows_is_refused_fast(testfiles: Path,
                                                                tmp_path: Path) -> None:
    # found by scripts/fuzz_long.py: a 1 KB file whose header declares 1.5e9 observations
    # made pyreadstat allocate for all of them (40 s, gigabytes) before failing
    raw = (testfiles / "stata/stata4_108.dta").read_bytes()
    for c in (Corruption("zero_tail", 0.8326014897098049, 55),
              Corruption("flip", 0.8853682450437201, 39),
              Corruption("garbage", 0.5217636678637351, 29)):
        raw = c.apply(raw)
    path = tmp_path / "stata4_108.dta"
    path.write_bytes(raw)
    res = outcome(lambda: read_file(path))
    assert res.kind == "error", res.detail
    assert res.seconds < 5
    with pytest.raises(ReadError, match="header declares"):
        read_file(path)
