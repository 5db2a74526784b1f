"""Hostile specs, codebooks and inputs (issue #16): each class of attack ends in one
clear ``SurveytkError`` before anything is read or written.

1. Paths built from spec or codebook content stay inside their folder.
2. No command writes onto one of its inputs or into a delivery folder.
3. Label templates are plain ``{field}`` placeholders, checked when the codebook loads.
5. Formulas and conditions have size limits; term de-duplication is linear.
7. Deeply nested YAML and formulas: one clear error, never ``RecursionError``.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from surveytk.errors import CodebookError, FormulaError, OutputError, SpecError, SurveytkError
from surveytk.paths import BUILTIN_ANALYSES_DIR, BUILTIN_SOURCES_DIR, check_safe_name

UNSAFE = ["../x", "../../etc/passwd", "/etc/passwd", "a/../../b", "..", ".hidden", "x/./y",
          "C:\\x", "a\x00b", "name with\nnewline"]


# --------------------------------------------------------------------------- 1. paths


@pytest.mark.parametrize("name", UNSAFE)
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(SurveytkError, match="not a safe name"):
        check_safe_name(name, what="t", subfolders=True)


def _ris_codebook(tmp_path: Path, old: str, new: str) -> Path:
    text = (BUILTIN_SOURCES_DIR / "unhcr_ris_r6.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "unhcr_ris_r6.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize("table", ["../../../../../../etc/passwd", "/etc/passwd",
                                   "../sources/unhcr_ris_r6.yaml"])
def test_codebook_lookup_table_cannot_leave_its_folder(tmp_path: Path, table: str) -> None:
    from surveytk.codebook.loader import load_codebook

    path = _ris_codebook(tmp_path, "table: countries.csv", f"table: '{table}'")
    with pytest.raises(CodebookError, match="not a safe name"):
        load_codebook(path)


def test_codebook_lookup_table_symlink_out_is_refused(tmp_path: Path) -> None:
    from surveytk.codebook.loader import load_codebook

    outside = tmp_path / "secret.csv"
    outside.write_text("name,iso3\nx,y\n", encoding="utf-8")
    home = tmp_path / "books"
    (home / "lookups").mkdir(parents=True)
    (home / "lookups" / "evil.csv").symlink_to(outside)
    path = _ris_codebook(home, "table: countries.csv", "table: evil.csv")
    with pytest.raises(CodebookError, match="leads out of"):
        load_codebook(path)


@pytest.mark.parametrize("file_path", ["../ris_r6_households.csv", "/etc/passwd"])
def test_codebook_file_paths_stay_in_the_delivery(tmp_path: Path, file_path: str) -> None:
    from surveytk.codebook.loader import load_codebook

    path = _ris_codebook(tmp_path, "path: ris_r6_households.csv", f"path: '{file_path}'")
    with pytest.raises(CodebookError, match="not a safe name"):
        load_codebook(path)


def test_delivered_file_symlink_out_is_refused(tmp_path: Path) -> None:
    from surveytk.codebook.loader import load_codebook
    from surveytk.harmonise.engine import harmonise
    from surveytk.synth import write_synthetic_sources

    write_synthetic_sources(tmp_path, seed=1, scale=0.02, sources=["unhcr_ris"])
    folder = tmp_path / "unhcr_ris"
    real = folder / "ris_r6_households.csv"
    moved = tmp_path / "elsewhere.csv"
    real.rename(moved)
    real.symlink_to(moved)
    with pytest.raises(SurveytkError, match="leads out of"):
        harmonise(load_codebook("unhcr_ris_r6"), folder)


@pytest.mark.parametrize("source", ["../../evil", "/tmp/evil", "a/b", "x..y/../z"])
def test_spec_source_names_cannot_build_paths(tmp_path: Path, source: str) -> None:
    from surveytk.analysis.spec import load_spec

    text = (BUILTIN_ANALYSES_DIR / "return_intentions.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace("source: wodc", f"source: '{source}'")
                    .replace("data: wodc", f"data: '{source}'"), encoding="utf-8")
    with pytest.raises(SpecError, match="source"):
        load_spec(spec)


# --------------------------------------------------------------------------- 2. inputs


def test_codebook_new_refuses_to_overwrite_the_delivery(tmp_path: Path) -> None:
    from surveytk.cli.main import cli

    delivery = tmp_path / "delivery"
    delivery.mkdir()
    data = delivery / "people.csv"
    data.write_text("id,age\n1,30\n2,40\n", encoding="utf-8")
    before = data.read_bytes()
    runner = CliRunner()
    for out in (data, delivery / "draft.yaml"):
        res = runner.invoke(cli, ["codebook", "new", "--source", "wodc", str(data),
                                   "--out", str(out)])
        assert res.exit_code != 0, res.output
        assert isinstance(res.exception, OutputError), res.output
        assert "refusing to" in str(res.exception)
    assert data.read_bytes() == before
    assert sorted(p.name for p in delivery.iterdir()) == ["people.csv"]
    ok = runner.invoke(cli, ["codebook", "new", "--source", "wodc", str(data),
                              "--out", str(tmp_path / "draft.yaml")])
    assert ok.exit_code == 0, ok.output


def test_harmonise_refuses_to_write_into_its_delivery(tmp_path: Path) -> None:
    from surveytk.harmonise.run import harmonise_to_file
    from surveytk.synth import write_synthetic_sources

    write_synthetic_sources(tmp_path, seed=1, scale=0.02, sources=["wodc"])
    folder = tmp_path / "wodc"
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(OutputError, match="delivery folder"):
        harmonise_to_file("wodc_w1", folder, folder / "sub" / "wodc.parquet")
    assert sorted(p.name for p in folder.iterdir()) == before


def test_run_refuses_an_output_folder_in_a_delivery(tmp_path: Path) -> None:
    from surveytk.analysis.runner import run_analysis

    delivery = tmp_path / "delivery"
    delivery.mkdir()
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: t\ninputs:\n  - {source: fi_moi, codebook: fi_moi_2025, input_dir: '"
        + str(delivery) + "'}\nmodels:\n  - {name: m, model: logit, data: fi_moi,"
        " formula: 'intends_return ~ age'}\n", encoding="utf-8")
    with pytest.raises(OutputError, match="delivery folder"):
        run_analysis(spec, out_dir=delivery / "out")
    assert list(delivery.iterdir()) == []


# --------------------------------------------------------------------------- 3. templates


@pytest.mark.parametrize("template", [
    "{name_en.__class__.__mro__}", "{name_en:>2000000000}", "{name_en!r}", "{0}",
    "{name_en[0]}", "{}", "{name_en", "x" * 2000,
])
def test_label_templates_are_plain_placeholders(tmp_path: Path, template: str) -> None:
    from surveytk.codebook.loader import load_codebook

    text = (BUILTIN_SOURCES_DIR / "fi_moi_2025.yaml").read_text(encoding="utf-8")
    text, n = re.subn(r"label_(format|column): [^,}\n]+",
                      lambda _: f"label_format: {json.dumps(template)}", text, count=1)
    assert n == 1
    path = tmp_path / "fi_moi_2025.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError, match="label template"):
        load_codebook(path)


def test_fill_template_only_substitutes() -> None:
    from surveytk.codebook.template import fill_template, template_fields

    row = {"name_en": "Kyiv", "name_uk": "Київ"}
    assert fill_template("{name_en} ({name_uk}) {{x}}", row) == "Kyiv (Київ) {x}"
    assert template_fields("{a} and {b_2}") == ["a", "b_2"]
    with pytest.raises(ValueError):
        fill_template("{name_en.__class__}", row)


# --------------------------------------------------------------------------- 5. size


def test_formula_term_deduplication_is_linear() -> None:
    from surveytk.models.formula_grammar import parse_formula

    # 1,999 distinct terms and the same term 4,000 times: parsed, each term once
    many = parse_formula("y ~ " + " + ".join(f"x{i}" for i in range(1999)))
    assert len(many.terms) == 1999
    same = parse_formula("y ~ " + " + ".join(["age"] * 4000))
    assert len(same.terms) == 1


@pytest.mark.parametrize("formula", [
    "y ~ " + " + ".join(f"x{i}" for i in range(2001)),
    "y ~ " + "*".join(f"x{i}" for i in range(16)),
    "y ~ " + " + ".join(f"longer_name_{i}" for i in range(4000)),
])
def test_huge_formulas_are_refused(formula: str) -> None:
    from surveytk.models.formula_grammar import parse_formula

    with pytest.raises(FormulaError, match=r"terms|characters"):
        parse_formula(formula)


# --------------------------------------------------------------------------- 7. nesting


@pytest.mark.parametrize("depth", [41, 1000, 100_000])
def test_deeply_nested_formulas_and_conditions(depth: int) -> None:
    from surveytk.language.expr import parse_condition
    from surveytk.models.formula_grammar import parse_formula

    inner = "(" * depth + "age" + ")" * depth
    with pytest.raises(FormulaError, match=r"deep|characters"):
        parse_formula(f"y ~ {inner}")
    with pytest.raises(FormulaError, match=r"deep|characters"):
        parse_formula(f"y ~ I({inner} + 1)")
    with pytest.raises(SurveytkError, match=r"deep|characters"):
        parse_condition(f"{inner} > 3")


def test_nesting_at_the_limit_still_parses() -> None:
    from surveytk.models.formula_grammar import parse_formula

    assert parse_formula("y ~ " + "(" * 40 + "age" + ")" * 40).terms
    assert parse_formula("y ~ I(" + "(" * 38 + "age + 1" + ")" * 38 + ")").terms


@pytest.mark.parametrize("text", [
    "codebook: " + "[" * 5000 + "]" * 5000,
    "codebook: " + "{a: " * 3000 + "1" + "}" * 3000,
    "".join(f"{'  ' * i}k{i}:\n" for i in range(60)) + "  " * 60 + "leaf: 1",
])
def test_deeply_nested_yaml(tmp_path: Path, text: str) -> None:
    from surveytk.analysis.spec import load_spec
    from surveytk.codebook.loader import load_codebook

    path = tmp_path / "deep.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="nested more than"):
        load_codebook(path)
    with pytest.raises(SpecError, match="nested more than"):
        load_spec(path)


# --------------------------------------------------------------------------- 7. damaged files


def _flipped(data: bytes, seed: int) -> list[bytes]:
    """Copies of ``data`` with 1, 3 or 10 random bits flipped (deterministic)."""
    import random

    rng = random.Random(seed)
    out = []
    for i in range(60):
        b = bytearray(data)
        for _ in range((1, 3, 10)[i % 3]):
            pos = rng.randrange(len(b))
            b[pos] ^= 1 << rng.randrange(8)
        out.append(bytes(b))
    return out


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_bit_flipped_parquet_and_xlsx_end_in_one_error(tmp_path: Path, suffix: str) -> None:
    import numpy as np

    from surveytk.io.readers import read_file

    df = pd.DataFrame({"a": np.arange(120), "b": ["x", "y"] * 60, "c": np.linspace(0, 1, 120)})
    clean = tmp_path / f"clean{suffix}"
    if suffix == ".parquet":
        df.to_parquet(clean)
    else:
        df.to_excel(clean, index=False)
    others: list[str] = []
    for i, data in enumerate(_flipped(clean.read_bytes(), seed=len(suffix))):
        path = tmp_path / f"f{i}{suffix}"
        path.write_bytes(data)
        try:
            read_file(path)
        except SurveytkError as exc:
            assert str(exc).strip() and "\n" not in str(exc)
        except Exception as exc:
            others.append(f"{i}: {type(exc).__name__}: {exc}"[:200])
    assert not others, others


def test_control_characters_in_labels_reach_xlsx_and_docx() -> None:
    import io
    import zipfile

    import numpy as np
    import openpyxl

    from surveytk.report.render_tabulation import render_tabulation
    from surveytk.tabulate import tabulate

    rng = np.random.default_rng(1)
    df = pd.DataFrame({"h": rng.choice(["a\x01b", "c\x0bd"], 300),
                       "g": rng.choice(["x\x00", "y\x1f\ufffe"], 300)})
    tab = tabulate(df, ["h", "g"], weighted=False)
    wb = openpyxl.load_workbook(io.BytesIO(render_tabulation(tab, "xlsx")))
    texts = [str(c.value) for r in wb.active.iter_rows() for c in r if c.value is not None]
    assert any("a\ufffdb" in t for t in texts), texts
    docx = zipfile.ZipFile(io.BytesIO(render_tabulation(tab, "docx")))
    body = docx.read("word/document.xml").decode("utf-8")
    assert "a\ufffdb" in body and "\x01" not in body


def test_disk_full_and_read_only_folders_are_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    from surveytk.cli.main import main

    data = tmp_path / "d.csv"
    data.write_text("g\n" + "a\n" * 30 + "b\n" * 30, encoding="utf-8")

    for code, words in ((errno.ENOSPC, "free disk space"), (errno.EROFS, "may write to")):
        def refuse(src: object, dst: object, code: int = code) -> None:
            raise OSError(code, os.strerror(code), str(dst))

        monkeypatch.setattr(os, "replace", refuse)
        with pytest.raises(SystemExit) as stop:
            main(["tabulate", str(data), "--by", "g", "--unweighted", "--out",
                  str(tmp_path / "t.md")])
        monkeypatch.undo()
        err = capsys.readouterr().err.strip()
        assert stop.value.code == 1
        assert err.startswith("surveytk: error:") and words in err and "\n" not in err, err
        assert "Traceback" not in err and not (tmp_path / "t.md").exists()
        assert not list(tmp_path.glob(".*.part"))


def _results_file(tmp_path: Path) -> Path:
    from surveytk.models.api import fit

    df = pd.read_csv(Path(__file__).parent / "data" / "survey" / "apistrat.csv")
    df["hi"] = (df["api00"] > 650).astype(float)
    path = tmp_path / "good.json"
    fit(df, model="logit", formula="hi ~ ell + meals", weights="pw", strata="stype").save(path)
    return path


def test_malformed_results_json_is_one_error(tmp_path: Path) -> None:
    import json
    import random

    from surveytk.models.by import load_any
    from surveytk.report.tables import write_table

    doc = json.loads(_results_file(tmp_path).read_text(encoding="utf-8"))
    rng = random.Random(3)
    junk = [None, "x", -1, [], {}, 1e308, [1, 2], True, float("nan"), float("-inf")]

    def mutate(d: object, depth: int = 0) -> None:
        if isinstance(d, dict) and d:
            k = rng.choice(list(d))
            if rng.random() < 0.5 or depth > 3:
                d[k] = rng.choice(junk)
            else:
                mutate(d[k], depth + 1)
        elif isinstance(d, list) and d:
            i = rng.randrange(len(d))
            if rng.random() < 0.5 or depth > 3:
                d[i] = rng.choice(junk)
            else:
                mutate(d[i], depth + 1)

    others: list[str] = []
    texts = ["", "{", "[]", "null", '"x"', '{"kind": "by", "results": 3}']
    cases = [*texts, *(None for _ in range(80))]
    for i, text in enumerate(cases):
        if text is None:
            d = json.loads(json.dumps(doc))
            mutate(d)
            text = json.dumps(d)
        path = tmp_path / "m.json"
        path.write_text(text, encoding="utf-8")
        try:
            results = load_any(path)
            for suffix in (".md", ".xlsx", ".docx", ".tex"):
                write_table(results, tmp_path / f"m{suffix}")
        except SurveytkError:
            pass
        except Exception as exc:
            others.append(f"{i}: {type(exc).__name__}: {exc}"[:200])
    assert not others, others


# --------------------------------------------------------------------------- 8. leftovers


def test_stale_part_files_are_removed_young_ones_kept(tmp_path: Path) -> None:
    from surveytk.io.atomic import STALE_PART_SECONDS, write_text_atomic

    target = tmp_path / "table.md"
    stale = tmp_path / ".table.md.k1ll3d.part"
    young = tmp_path / ".table.md.runn1ng.part"
    other = tmp_path / ".other.md.k1ll3d.part"
    for p in (stale, young, other):
        p.write_text("partial", encoding="utf-8")
    old = time.time() - STALE_PART_SECONDS - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    write_text_atomic(target, "complete\n")
    assert target.read_text(encoding="utf-8") == "complete\n"
    assert not stale.exists()
    assert young.exists() and other.exists()  # another process may still write these


@pytest.mark.parametrize("scale", [4.0, 12.0])
def test_synthetic_psus_nested_in_strata_at_any_scale(tmp_path: Path, scale: float) -> None:
    from surveytk.synth import write_synthetic_sources

    written = write_synthetic_sources(tmp_path, seed=20240601, scale=scale,
                                      sources=["unhcr_ris"])
    households = [p for p in written["unhcr_ris"] if "households" in p.name]
    assert households
    psus: dict[str, set[int]] = {}
    for path in households:
        hh = pd.read_csv(path)
        assert (hh.groupby("psu")["stratum"].nunique() == 1).all(), path.name
        assert (hh.groupby("psu")["country"].nunique() == 1).all(), path.name
        psus[path.name] = set(hh["psu"].unique())
    sets = list(psus.values())
    assert not set.intersection(*sets) if len(sets) > 1 else True  # rounds do not share ids


def test_codebook_docs_markdown_keeps_no_html_from_labels() -> None:
    import dataclasses
    import re

    from surveytk.codebook.docs_markdown import markdown_index, markdown_page
    from surveytk.codebook.docs_site import build_site

    payload = "<img src=x onerror=alert(1)><script>alert(2)</script><b>bold</b>"
    site = build_site(["wodc_w1"])
    pages = []
    for page in site.pages:
        var = page.var.model_copy(update={"label": payload, "description": payload})
        entries = tuple(dataclasses.replace(e, question=payload, note=payload)
                        for e in page.entries)
        pages.append(dataclasses.replace(page, var=var, entries=entries))
    site = dataclasses.replace(site, pages=tuple(pages))
    text = markdown_index(site) + "".join(markdown_page(p, site) for p in site.pages)
    assert "&lt;script&gt;" in text
    assert not re.findall(r"<[A-Za-z/!][^>]*>", text)


# --------------------------------------------------------------------------- 5. large inputs


def _xlsx_with_cell_at(path: Path, row: int, column: str) -> None:
    """A small workbook whose sheet XML names one cell far away (as a hostile file would)."""
    import zipfile

    clean = path.with_name("clean.xlsx")
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_excel(clean, index=False)
    with zipfile.ZipFile(clean) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                far = (f'<row r="{row}"><c r="{column}{row}" t="n"><v>1</v></c></row>'
                       "</sheetData>").encode()
                data = data.replace(b"</sheetData>", far)
            dst.writestr(info, data)


@pytest.mark.parametrize(("row", "column"), [(3_000_000, "A"), (1_000_000, "CV"),
                                             (10, "ZZZZ")])
def test_xlsx_declaring_a_huge_range_is_refused_before_parsing(
        tmp_path: Path, row: int, column: str) -> None:
    from surveytk.errors import ReadError
    from surveytk.io.readers import read_file

    path = tmp_path / "big.xlsx"
    _xlsx_with_cell_at(path, row, column)
    assert path.stat().st_size < 20_000
    with pytest.raises(ReadError, match="cells") as err:
        read_file(path)
    assert err.value.reason == "too_large"
    ok = tmp_path / "ok.xlsx"
    _xlsx_with_cell_at(ok, 500, "C")
    assert len(read_file(ok).data) == 499


def test_csv_with_a_million_columns_is_refused_before_parsing(tmp_path: Path) -> None:
    from surveytk.errors import ReadError
    from surveytk.io.readers import read_file
    from surveytk.io.xlsx_limits import MAX_TEXT_COLUMNS

    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n" + "1," * 999_999 + "1\n",
                    encoding="utf-8")
    with pytest.raises(ReadError, match="1,000,000 fields") as err:
        read_file(path)
    assert err.value.reason == "too_large"
    assert MAX_TEXT_COLUMNS >= 30_000  # the documented 30,000-column files still read


@pytest.mark.parametrize("pattern", ["(a+)+$", "(repw|r)*_", "(x){2,}", "(w)\\1", "x" * 201])
def test_repweights_patterns_cannot_backtrack_catastrophically(pattern: str) -> None:
    from surveytk.survey.shipped import read_shipped

    df = pd.DataFrame({"w": [1.0, 2.0], "a" * 40 + "!": [1.0, 1.0], "repw_1": [1.0, 2.0]})
    with pytest.raises(SurveytkError, match="repweights"):
        read_shipped(df, pattern, "jk1", None, None, None, "w")


def test_plain_repweights_patterns_still_match() -> None:
    from surveytk.survey.shipped import check_bounded_regex

    for pattern in ("^repw_", "repw_[0-9]+$", "^(repw|rw)_", "rep(w|wt)_[0-9]{1,3}$"):
        check_bounded_regex(pattern)
