"""Codebook model and loader: shipped codebooks, line-numbered errors, labels, CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from surveytk.cli.main import main
from surveytk.codebook.derivation_signatures import SIGNATURES
from surveytk.codebook.loader import load_codebook, load_schema
from surveytk.codebook.yaml_document import read_yaml
from surveytk.errors import CodebookError
from surveytk.harmonise.label_check import compare_label, split_code_prefix
from surveytk.paths import BUILTIN_SOURCES_DIR

SHIPPED = sorted(p.stem for p in BUILTIN_SOURCES_DIR.glob("*.yaml"))


def test_schema_loads_with_levels_and_reasons() -> None:
    schema = load_schema()
    assert schema.version == "1.1.0"
    assert schema.variables["return_intention"].level_values == (
        "stay", "undecided", "return_someday", "return_soon")
    assert schema.variables["return_intention"].type == "ordered"
    assert "gender" in schema.missing_columns


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_codebooks_load(name: str) -> None:
    book = load_codebook(name)
    assert book.name == name and book.version
    assert len(book.sha256) == 64


def test_expected_codebooks_are_shipped() -> None:
    assert {"soep_ukr_2023", "unhcr_ris_r5", "unhcr_ris_r6", "wodc_w1", "fi_moi_2025"} <= set(
        SHIPPED)


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "cb.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def broken_copy(tmp_path: Path, old: str, new: str, name: str = "fi_moi_2025") -> Path:
    text = (BUILTIN_SOURCES_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    assert old in text
    return write(tmp_path, text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_every_error_reported_with_file_and_line(tmp_path: Path) -> None:
    p = broken_copy(tmp_path, "      1: {to: female, label: Female}",
                    "      1: {to: woman, label: Female}")
    text = p.read_text(encoding="utf-8").replace("function: band_midpoint",
                                                  "function: band_middle")
    text = text.replace("    from: survey.q12", "    from: survey.q12\n    frm: x")
    p.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as err:
        load_codebook(p)
    msg = str(err.value)
    # pydantic shape errors come first (and alone): the unknown key
    assert f"cb.yaml:{line_of(p, 'frm: x')}" in msg and "frm" in msg
    p.write_text(text.replace("\n    frm: x", ""), encoding="utf-8")
    with pytest.raises(CodebookError) as err:
        load_codebook(p)
    msg = str(err.value)
    assert "(2 problems)" in msg
    assert f"cb.yaml:{line_of(p, 'to: woman')}" in msg and "'woman'" in msg
    assert f"cb.yaml:{line_of(p, 'band_middle')}" in msg and "unknown derivation" in msg


def test_references_and_levels_are_checked(tmp_path: Path) -> None:
    p = broken_copy(tmp_path, "    from: survey.q12", "    from: nofile.q12")
    with pytest.raises(CodebookError, match=r"cb.yaml:\d+: 'nofile.q12' is not <file>.<column>"):
        load_codebook(p)
    p = broken_copy(tmp_path, "to_date: $interview_date", "to_date: $months_in_host",
                    name="wodc_w1")
    with pytest.raises(CodebookError, match="only earlier variables"):
        load_codebook(p)


def test_missing_common_variable_is_named(tmp_path: Path) -> None:
    p = broken_copy(tmp_path, "  months_in_host:\n    missing_reason: unmapped_in_source\n", "")
    with pytest.raises(CodebookError, match="common variable 'months_in_host' is not given"):
        load_codebook(p)


def test_yaml_syntax_and_duplicate_keys(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match=r"cb.yaml:\d+: not valid YAML"):
        load_codebook(write(tmp_path, "codebook: [unclosed\n"))
    with pytest.raises(CodebookError, match=r"cb.yaml:2: duplicate key 'a'"):
        read_yaml(write(tmp_path, "a: 1\na: 2\n"))


def test_yes_no_stay_text(tmp_path: Path) -> None:
    doc = read_yaml(write(tmp_path, "Yes: {to: true}\nNo: off\nx: true\n"))
    assert doc.data == {"Yes": {"to": True}, "No": "off", "x": True}


def test_no_python_objects(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="not valid YAML"):
        read_yaml(write(tmp_path, "a: !!python/object/apply:os.system ['true']\n"))


def test_unknown_codebook_name_lists_known() -> None:
    with pytest.raises(CodebookError, match=r"expected one of .*wodc_w1"):
        load_codebook("no_such_codebook")


@pytest.mark.parametrize(
    ("code", "delivered", "expected", "ok"),
    [
        (1, "[1] Yes", "yes", True),
        (1, "  Stay in  Finland ", "stay in  finland", True),
        (1, "[-1] Employed full-time", "Employed full-time", False),
        (2, "[2] No", "Yes", False),
        (3, "Cafe\u0301", "Café", True),  # NFC
    ],
)
def test_compare_label(code: int, delivered: str, expected: str, ok: bool) -> None:
    assert (compare_label(code, delivered, expected) is None) == ok


def test_split_code_prefix() -> None:
    assert split_code_prefix("[-1] no answer") == (-1.0, "no answer")
    assert split_code_prefix("plain") == (None, "plain")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_codebook_help(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["codebook", "--help"], ["codebook", "check", "--help"],
                 ["codebook", "new", "--help"], ["harmonise", "--help"], ["pool", "--help"]):
        code, out, _ = run(args, capsys)
        assert code == 0 and "Usage" in out


@pytest.fixture(scope="module")
def fi_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from surveytk.synth import write_synthetic_sources

    out = tmp_path_factory.mktemp("fi")
    write_synthetic_sources(out, seed=3, scale=0.05, sources=["fi_moi"])
    return out / "fi_moi"


def test_check_ok_and_problems(fi_dir: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["codebook", "check", "--codebook", "fi_moi_2025", "--input-dir",
                        str(fi_dir)], capsys)
    assert code == 0 and out.startswith("OK: fi_moi_2025")
    p = broken_copy(tmp_path, "      2: {to: male, label: Male}", "      2: {to: male, label: Man}")
    text = p.read_text(encoding="utf-8").replace("survey.q12", "survey.q99")
    p.write_text(text, encoding="utf-8")
    code, _, err = run(["codebook", "check", "--codebook", str(p), "--input-dir", str(fi_dir)],
                       capsys)
    assert code == 1
    assert re.search(r"cb.yaml:\d+: variable 'q99' is not in fi_moi_2025.sav", err)
    code, _, err = run(["codebook", "check", "--codebook", str(p.with_name("x.yaml")),
                        "--input-dir", str(fi_dir)], capsys)
    assert code == 1 and "not found" in err


def test_check_lists_label_mismatch(fi_dir: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    p = broken_copy(tmp_path, "      2: {to: male, label: Male}", "      2: {to: male, label: Man}")
    code, _, err = run(["codebook", "check", "--codebook", str(p), "--input-dir", str(fi_dir)],
                       capsys)
    assert code == 1 and "q1 code 2: label is 'Male', the codebook expects 'Man'" in err


def test_new_drafts_a_loadable_crosswalk(fi_dir: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "draft.yaml"
    code, _, _ = run(["codebook", "new", "--source", "fi_moi", str(fi_dir / "fi_moi_2025.sav"),
                      "--out", str(out)], capsys)
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert "TODO" in text and '#     1: {to: TODO, label: "Female"}' in text
    book = load_codebook(out)
    assert book.crosswalk.base == "fi_moi_2025"
    code, printed, _ = run(["codebook", "new", "--source", "fi_moi",
                            str(fi_dir / "fi_moi_2025.sav")], capsys)
    assert code == 0 and printed == text


def test_suppress_small_cells() -> None:
    from surveytk.codebook.docs_site import suppress

    assert [suppress(c) for c in (0, 1, 9, 10, 250)] == ["0", "<10", "<10", "10", "250"]


def test_docs_pages(fi_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from surveytk.harmonise.run import harmonise_to_file

    data = tmp_path / "fi.parquet"
    harmonise_to_file("fi_moi_2025", fi_dir, data)
    out = tmp_path / "docs"
    code, text, _ = run(["codebook", "docs", "--out", str(out), "--codebook", "fi_moi_2025",
                         "--data", str(data)], capsys)
    assert code == 0 and "pages" in text
    page = (out / "gender.md").read_text(encoding="utf-8")
    assert "What is your gender?" in page and "| 4 | Prefer not to say | missing: refused |" in page
    section = page.split("## Frequencies by source")[1]
    rows = [r for r in section.splitlines() if r.startswith("| ") and "value" not in r]
    freq = {r.split("|")[1].strip(): r.split("|")[2].strip() for r in rows}
    import pandas as pd

    counts = pd.read_parquet(data)["gender"].value_counts()
    for level in ("female", "male"):
        n = int(counts[level])
        assert freq[level] == (str(n) if n >= 10 else "<10")
    assert (out / "gender.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_check_reports_type_mismatch(fi_dir: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    numeric_keys = '      1: {to: true, label: "Yes"}\n      2: {to: false, label: "No"}'
    p = broken_copy(tmp_path, numeric_keys, '      "Yes": {to: true}\n      "No": {to: false}')
    code, _, err = run(["codebook", "check", "--codebook", str(p), "--input-dir", str(fi_dir)],
                       capsys)
    assert code == 1
    assert re.search(r"cb.yaml:\d+: the map of spouse_child_in_ukraine is keyed by text but "
                     r"fi_moi_2025.sav delivers q12 as numeric codes; key the map by the codes",
                     err)


def test_docs_list_every_derivation() -> None:
    """The table of derivations in docs/codebooks.md names exactly the defined ones."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "codebooks.md").read_text("utf-8")
    section = text.split("### Derivations", 1)[1].split("\n\n`schema.yaml` derives", 1)[0]
    listed = re.findall(r"^\| `(\w+)` \|", section, flags=re.M)
    assert sorted(listed) == sorted(SIGNATURES)
