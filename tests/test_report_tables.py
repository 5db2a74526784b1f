"""Tables: the format-neutral model, the numbers it shows, and every renderer.

Golden files in tests/golden/ were generated once with
``SURVEYTK_UPDATE_GOLDEN=1 pytest tests/test_report_tables.py`` (that run writes the
files and fails), read by eye, and committed; the tests compare byte for byte.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from surveytk.errors import OutputError
from surveytk.models.results import FitResult
from surveytk.report.examples import (
    EXAMPLE_SCHEMA,
    example_binary,
    example_multinomial,
    example_ordinal,
)
from surveytk.report.render_latex import escape_latex
from surveytk.report.style import format_number, parse_star_levels, stars_for
from surveytk.report.table_format import text_grid
from surveytk.report.table_model import TableOptions, build_table
from surveytk.report.tables import render_table, write_table
from surveytk.report.term_labels import Labeller, parse_schema_labels

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("SURVEYTK_UPDATE_GOLDEN") == "1"
MINUS = "\u2212"


@pytest.fixture()
def labeller() -> Labeller:
    return Labeller(parse_schema_labels(EXAMPLE_SCHEMA, "schema.yaml"))


@pytest.fixture()
def saved(tmp_path: Path) -> dict[str, Path]:
    """The example results written as results JSON and read back (as the CLI does)."""
    paths = {}
    for name, res in {
        "soep": example_binary("SOEP"),
        "wodc": example_binary("WODC", seed=5, scale=0.8),
        "unhcr": example_ordinal("UNHCR R6"),
        "fin": example_multinomial("Finland"),
    }.items():
        path = tmp_path / f"{name}.json"
        res.save(path)
        paths[name] = path
    return paths


def load(saved: dict[str, Path], *names: str) -> list[FitResult]:
    return [FitResult.load(saved[n]) for n in names]


def check_golden(name: str, text: str) -> None:
    """Compare with the committed golden file; with SURVEYTK_UPDATE_GOLDEN=1 only write it
    and fail, so that an updating run never passes (nor compares a file it has just written)."""
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        pytest.fail(f"wrote golden file {name} (SURVEYTK_UPDATE_GOLDEN=1): read it, commit it, "
                    "rerun without the flag", pytrace=False)
    assert path.is_file(), f"golden file {name} missing; run with SURVEYTK_UPDATE_GOLDEN=1"
    assert_same_text_and_numbers(text, path.read_text(encoding="utf-8"))


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def assert_same_text_and_numbers(got: str, want: str, rel: float = 1e-8) -> None:
    """Byte for byte outside numbers; numbers printed at full precision (CSV, tidy) may
    differ in their last digits between machines (BLAS kernels sum in a different
    order), so they match to ``rel``. Rounded numbers (2-3 decimals) still match exactly
    unless a value sits on a rounding edge."""
    assert NUMBER.split(got) == NUMBER.split(want), "text differs outside the numbers"
    got_numbers, want_numbers = NUMBER.findall(got), NUMBER.findall(want)
    assert len(got_numbers) == len(want_numbers)
    for g, w in zip(got_numbers, want_numbers, strict=True):
        if g != w:
            assert float(g) == pytest.approx(float(w), rel=rel, abs=1e-15), (g, w)


def test_golden_comparison_tolerates_last_digits_only() -> None:
    assert_same_text_and_numbers("a,0.1234567891234\n", "a,0.1234567891239\n")
    with pytest.raises(AssertionError):
        assert_same_text_and_numbers("a,0.12346\n", "a,0.12345\n")
    with pytest.raises(AssertionError):
        assert_same_text_and_numbers("b,0.1\n", "a,0.1\n")


def test_update_mode_writes_the_golden_file_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(globals(), "UPDATE", True)
    monkeypatch.setitem(globals(), "GOLDEN", tmp_path)
    with pytest.raises(pytest.fail.Exception, match=r"wrote golden file t\.md"):
        check_golden("t.md", "| a |\n")
    assert (tmp_path / "t.md").read_text(encoding="utf-8") == "| a |\n"


# ---- numbers ----------------------------------------------------------------------------


def test_format_number_uses_one_minus_sign_and_no_negative_zero() -> None:
    assert format_number(-1.23456, 3) == f"{MINUS}1.235"
    assert format_number(-0.0001, 3) == "0.000"
    assert format_number(2.0, 0) == "2"
    assert format_number(float("nan"), 3) == ""
    assert format_number(-1.5, 2, minus="-") == "-1.50"


def test_star_levels_and_stars() -> None:
    levels = parse_star_levels("0.01,0.1,0.05")
    assert levels == (0.1, 0.05, 0.01)
    assert stars_for(0.2, levels) == ""
    assert stars_for(0.07, levels) == "*"
    assert stars_for(0.03, levels) == "**"
    assert stars_for(0.001, levels) == "***"
    with pytest.raises(ValueError, match="between 0 and 1"):
        parse_star_levels("0.1,5")


def test_estimates_and_se_come_from_the_result(saved: dict[str, Path]) -> None:
    (res,) = load(saved, "soep")
    model = build_table([res], options=TableOptions(stat="se", digits=4))
    se = np.sqrt(np.diag(res.coef.cov))
    for row in model.estimates:
        i = res.coef.terms.index(row.term)
        entry = row.entries[0]
        assert entry is not None
        assert entry.estimate == pytest.approx(res.coef.estimates[i], rel=1e-12)
        assert entry.std_error == pytest.approx(se[i], rel=1e-12)
        t = res.coef.estimates[i] / se[i]
        assert entry.p_value == pytest.approx(2 * stats.t.sf(abs(t), res.df_resid), rel=1e-9)


def test_exp_gives_odds_ratios_with_delta_method_se(saved: dict[str, Path]) -> None:
    (res,) = load(saved, "unhcr")
    plain = build_table([res])
    odds = build_table([res], options=TableOptions(exp=True))
    q = stats.t.ppf(0.975, res.df_resid)
    for row_p, row_o in zip(plain.estimates, odds.estimates, strict=True):
        b, e = row_p.entries[0], row_o.entries[0]
        assert b is not None and e is not None
        assert e.estimate == pytest.approx(math.exp(b.estimate))
        assert e.std_error == pytest.approx(math.exp(b.estimate) * b.std_error)
        assert e.conf_low == pytest.approx(math.exp(b.estimate - q * b.std_error))
        assert e.p_value == pytest.approx(b.p_value)
    # thresholds are not exponentiated
    for row_p, row_o in zip(plain.thresholds, odds.thresholds, strict=True):
        assert row_o.entries[0] == row_p.entries[0]
    assert any("Thresholds are not exponentiated" in n for n in odds.notes)


def test_exp_refuses_non_logit_models(saved: dict[str, Path]) -> None:
    (res,) = load(saved, "soep")
    probit = FitResult.from_dict({**res.to_dict(), "model": "probit"})
    with pytest.raises(OutputError, match="probit"):
        build_table([probit], options=TableOptions(exp=True))


def test_ame_needs_ame_block(saved: dict[str, Path]) -> None:
    (res,) = load(saved, "soep")
    bare = FitResult.from_dict({**res.to_dict(), "ame": None})
    with pytest.raises(OutputError, match="refit with --ame"):
        build_table([bare], ["x"], options=TableOptions(ame=True))


# ---- layout -----------------------------------------------------------------------------


def test_side_by_side_union_of_terms_in_formula_order(
    saved: dict[str, Path], labeller: Labeller
) -> None:
    model = build_table(load(saved, "soep", "unhcr"), labeller=labeller)
    assert [c.model_label for c in model.columns] == ["SOEP", "UNHCR R6"]
    terms = [r.term for r in model.estimates]
    assert terms[0] == "(Intercept)"
    assert terms == list(example_binary().coef.terms)  # ordinal terms are a subset
    # the ordinal model has no intercept or distance: empty cells
    by_term = {r.term: r for r in model.estimates}
    assert by_term["(Intercept)"].entries[1] is None
    assert [r.label for r in model.thresholds] == [
        "Stay | Undecided",
        "Undecided | Return some day",
        "Return some day | Return within 12 months",
    ]
    assert all(r.entries[0] is None for r in model.thresholds)


def test_multinomial_gets_one_column_per_outcome_level(
    saved: dict[str, Path], labeller: Labeller
) -> None:
    res = load(saved, "fin", "unhcr")
    coef = build_table(res, labeller=labeller)
    assert [c.level_label for c in coef.columns] == ["Return", "Move on", "Undecided", ""]
    assert coef.spanners == (("Finland", 3), ("UNHCR R6", 1))
    assert any("base outcome Stay" in n for n in coef.notes)
    ame = build_table(res, labeller=labeller, options=TableOptions(ame=True))
    assert ame.spanners == (("Finland", 4), ("UNHCR R6", 4))
    assert [c.level for c in ame.columns[4:]] == list(example_ordinal().y_levels)
    assert len(text_grid(ame).header) == 2


def test_fit_statistics_and_variance_note(saved: dict[str, Path]) -> None:
    res = load(saved, "soep", "fin")
    model = build_table(res)
    fit = {r.label: r.values for r in model.fit}
    assert fit["N"][0] == res[0].design.n_obs
    assert fit["PSUs"][0] == 100
    assert fit["Design df"][0] == res[0].design.df_design
    assert fit["Residual df"][0] == res[0].df_resid
    # the logit shows R's design-based deviance and AIC instead of the raw-weight log
    # pseudo-likelihood; the multinomial logit (no design AIC) keeps the latter
    assert fit["Deviance"][0] == pytest.approx(res[0].extra["deviance"])
    assert fit["AIC (design-based)"][0] == pytest.approx(res[0].extra["aic"])
    assert fit["Log pseudo-likelihood"][0] is None
    assert fit["Log pseudo-likelihood"][1] == pytest.approx(res[1].loglik)
    assert res[0].design.describe() in " ".join(model.notes)
    assert res[1].design.describe() in " ".join(model.notes)


def test_user_title_and_notes(saved: dict[str, Path]) -> None:
    opts = TableOptions(title="Table 2", notes=("Source: SOEP 2023.",))
    model = build_table(load(saved, "soep"), options=opts)
    assert model.title == "Table 2"
    assert model.notes[-1] == "Source: SOEP 2023."


# ---- golden text formats ------------------------------------------------------------------


SCENARIOS = {
    "coef_stars": (("soep", "wodc", "unhcr"), TableOptions(stars=(0.1, 0.05, 0.01))),
    "ame_ci": (("fin", "unhcr"), TableOptions(ame=True, stat="ci")),
    "odds_ratios": (("soep", "unhcr"), TableOptions(exp=True, stat="p", digits=2)),
    "scaled": (
        ("soep", "wodc"),
        TableOptions(stat="ci", scale=(("age", 10.0, "years"), ("distance_km", 100.0, "km"))),
    ),
}
SUFFIX = {"md": "md", "latex": "tex", "html": "html", "csv": "csv", "docx": "docx.txt",
          "xlsx": "xlsx.txt"}


def docx_summary(data: bytes) -> str:
    """Page orientation, font size, column widths and every cell's text of a DOCX table."""
    import docx

    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    (table,) = document.tables
    lines = [
        f"orientation {section.orientation}, page {section.page_width.inches:.2f} in",
        "widths " + " ".join(f"{c.width.inches:.2f}" for c in table.columns),
        f"style {table.style.name}",
    ]
    lines += [" | ".join(c.text for c in row.cells) for row in table.rows]
    lines += [p.text for p in document.paragraphs]
    return "\n".join(lines) + "\n"


def xlsx_summary(data: bytes) -> str:
    """Every non-empty cell with its value type and number format, and the frozen panes."""
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    lines = [f"freeze {ws.freeze_panes}"]
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None:
                value = f"{c.value:.10g}" if isinstance(c.value, float) else str(c.value)
                lines.append(f"{c.coordinate} {type(c.value).__name__} {c.number_format} {value}")
    return "\n".join(lines) + "\n"


def rendered_text(model: object, fmt: str) -> str:
    data = render_table(model, fmt)  # type: ignore[arg-type]
    if fmt == "docx":
        return docx_summary(data)
    if fmt == "xlsx":
        return xlsx_summary(data)
    return data.decode("utf-8")


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_golden(saved: dict[str, Path], labeller: Labeller, scenario: str, fmt: str) -> None:
    """Every format of tables made from real fits (surveytk.report.examples) against files
    written once with SURVEYTK_UPDATE_GOLDEN=1, read by eye and committed."""
    names, opts = SCENARIOS[scenario]
    model = build_table(load(saved, *names), options=opts, labeller=labeller)
    check_golden(f"table_{scenario}.{SUFFIX[fmt]}", rendered_text(model, fmt))


def test_latex_escapes_special_characters() -> None:
    assert escape_latex("50% & R_2 #1 {x} ~ ^ \\") == (
        r"50\% \& R\_2 \#1 \{x\} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
    assert escape_latex("[0.1, 0.2]").startswith("{[}")


def test_html_escapes_labels(saved: dict[str, Path]) -> None:
    schema = {"variables": {"age": {"label": "<script>alert(1)</script> & age"}}}
    lab = Labeller(parse_schema_labels(schema, "s"))
    html = render_table(build_table(load(saved, "soep"), labeller=lab), "html").decode()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; age" in html


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_latex_compiles(saved: dict[str, Path], labeller: Labeller, tmp_path: Path) -> None:
    body = render_table(
        build_table(load(saved, "fin", "unhcr"), labeller=labeller, options=TableOptions(ame=True)),
        "latex",
    ).decode()
    doc = tmp_path / "t.tex"
    doc.write_text(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n"
        "\\usepackage{graphicx}\n\\begin{document}\n" + body + "\\end{document}\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout[-2000:]


def test_csv_is_tidy_and_numeric(saved: dict[str, Path], labeller: Labeller) -> None:
    res = load(saved, "soep")
    text = render_table(build_table(res, labeller=labeller), "csv").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    age = next(r for r in rows if r["term"] == "age")
    assert age["label"] == "Age (years)" and age["model_label"] == "SOEP"
    assert float(age["estimate"]) == pytest.approx(res[0].params["age"], rel=1e-9)
    assert float(age["std_error"]) == pytest.approx(res[0].std_errors["age"], rel=1e-9)
    front = next(r for r in rows if r["term"] == "origin_area[frontline]")
    assert front["group"].startswith("Origin area") and front["label"] == "Front line"
    n = next(r for r in rows if r["effect"] == "fit" and r["term"] == "N")
    assert n["estimate"] == str(res[0].nobs)
    assert MINUS not in text and "(" not in age["std_error"]


def test_parquet_holds_the_same_numbers(saved: dict[str, Path], labeller: Labeller) -> None:
    import pyarrow.parquet as pq

    model = build_table(load(saved, "soep", "unhcr"), labeller=labeller)
    data = render_table(model, "parquet")
    table = pq.read_table(io.BytesIO(data))
    from_csv = pd.read_csv(io.BytesIO(render_table(model, "csv")), keep_default_na=False,
                           na_values=[""])
    got = table.to_pandas()
    assert list(got.columns) == list(from_csv.columns)
    np.testing.assert_allclose(got["estimate"], from_csv["estimate"], rtol=1e-9)
    meta = table.schema.metadata[b"surveytk"].decode()
    assert model.title in meta
    assert data == render_table(model, "parquet")


# ---- DOCX / XLSX --------------------------------------------------------------------------


def test_docx_is_a_word_table_with_title_and_notes(
    saved: dict[str, Path], labeller: Labeller, tmp_path: Path
) -> None:
    import docx

    res = load(saved, "soep", "unhcr")
    out = write_table(
        res, tmp_path / "t.docx", labeller=labeller, options=TableOptions(title="Table 1")
    )
    document = docx.Document(str(out))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Table 1"
    assert any(t.startswith("Notes: Standard errors in parentheses.") for t in texts)
    (table,) = document.tables
    grid = [[c.text for c in row.cells] for row in table.rows]
    assert grid[0] == ["", "SOEP", "UNHCR R6"]
    age = next(i for i, row in enumerate(grid) if row[0] == "Age (years)")
    expected = format_number(res[0].params["age"], 3)
    assert grid[age][1] == expected
    assert grid[age + 1][1] == f"({format_number(res[0].std_errors['age'], 3)})"
    assert ["N", f"{res[0].nobs:,}", f"{res[1].nobs:,}"] in grid
    assert document.core_properties.created.year == 2000


def test_xlsx_sheet_keeps_numbers_bold_header_and_neutralises_formulas(
    saved: dict[str, Path], tmp_path: Path
) -> None:
    import openpyxl

    schema = {
        "variables": {
            "age": {"label": '=HYPERLINK("http://x","age")'},
            "employed": {"label": "@SUM(A1)"},
            "distance_km": {"label": "+1 distance"},
        }
    }
    lab = Labeller(parse_schema_labels(schema, "s"))
    res = load(saved, "soep", "fin")
    out = write_table(res, tmp_path / "t.xlsx", labeller=lab)
    ws = openpyxl.load_workbook(out).active
    cells = {
        (r, c): ws.cell(row=r, column=c) for r in range(1, ws.max_row + 1) for c in range(1, 6)
    }
    labels = [cells[(r, 1)].value for r in range(1, ws.max_row + 1)]
    assert '\'=HYPERLINK("http://x","age")' in labels
    assert "'@SUM(A1)" in labels
    assert "'+1 distance" in labels
    assert all(c.data_type != "f" for c in cells.values())
    header = [cells[(3, c)] for c in range(2, 4)]
    assert [h.value for h in header] == ["SOEP", "Finland"]
    assert all(h.font.b for h in header)
    age = labels.index('\'=HYPERLINK("http://x","age")') + 1
    value = cells[(age, 2)]
    assert value.value == pytest.approx(res[0].params["age"])
    assert value.number_format == "0.000"
    assert cells[(age + 1, 2)].value == pytest.approx(res[0].std_errors["age"])
    assert any(isinstance(v, str) and v.startswith("Standard errors") for v in labels)
    # the header rows (title, blank, two header rows) and the label column stay in view
    assert ws.freeze_panes == "B5"
    first_level = labels.index("frontline") + 1
    assert cells[(first_level, 1)].alignment.indent == 1


@pytest.mark.parametrize("fmt", ["md", "latex", "html", "csv", "docx", "xlsx"])
def test_rerun_is_byte_identical(saved: dict[str, Path], tmp_path: Path, fmt: str) -> None:
    res = load(saved, "fin", "unhcr")
    a = write_table(res, tmp_path / "a.out", fmt=fmt, labeller=Labeller(enabled=False))
    b = write_table(res, tmp_path / "b.out", fmt=fmt, labeller=Labeller(enabled=False))
    assert a.read_bytes() == b.read_bytes()
    assert a.stat().st_size > 0


def test_unknown_suffix_needs_format(saved: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="--format"):
        write_table(load(saved, "soep"), tmp_path / "t.odt")
    assert not (tmp_path / "t.odt").exists()


def test_schema_yaml_is_read_by_write_table(saved: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump(EXAMPLE_SCHEMA), encoding="utf-8")
    out = write_table(load(saved, "soep"), tmp_path / "t.md", labeller=Labeller.from_schema(path))
    text = out.read_text(encoding="utf-8")
    assert "| Origin area" in text and "| \u2003Front line |" in text


def test_non_finite_numbers_leave_cells_empty(saved: dict[str, Path]) -> None:
    (res,) = load(saved, "soep")
    d = res.to_dict()
    d["coef"]["cov"][1][1] = float("nan")  # e.g. an aliased term
    d["loglik"] = float("nan")
    broken = FitResult.from_dict(d)
    for stat in ("se", "ci"):
        grid = text_grid(build_table([broken], options=TableOptions(stat=stat)))  # type: ignore[arg-type]
        rows = grid.sections[0].rows
        age = next(i for i, r in enumerate(rows) if r[0].text == "age")
        assert rows[age + 1][1].text == ""
        fit = {r[0].text: r[1].text for r in grid.sections[-1].rows}
        assert "Log pseudo-likelihood" not in fit or fit["Log pseudo-likelihood"] == ""


def test_exp_note_names_the_ratio_kind(saved: dict[str, Path]) -> None:
    model = build_table(load(saved, "fin"), options=TableOptions(exp=True))
    note = next(n for n in model.notes if n.startswith("Exponentiated"))
    assert "relative-risk ratios" in note and "odds ratios" not in note
    assert "Thresholds" not in note


def test_identical_variance_notes_are_grouped(saved: dict[str, Path]) -> None:
    model = build_table(load(saved, "soep", "wodc", "fin"))
    soep_design = FitResult.load(saved["soep"]).design.describe()
    assert f"SOEP, WODC: {soep_design}" in model.notes
    assert sum("Linearised" in n for n in model.notes) == 2


def test_design_note_names_every_design_field_once() -> None:
    from dataclasses import replace

    from surveytk.report.table_model import design_note, domain_note

    base = example_binary().design
    calibrated = replace(base, calibration="raked to age × sex margins (g 0.8–1.3)",
                         fpc="fpc", subpop='age >= 18')
    note = design_note(calibrated)
    assert note.count("raked to age × sex margins") == 1
    assert "finite population correction fpc" in note
    assert "strata stratum" in note and "PSUs psu" in note and "weights weight" in note
    assert domain_note(calibrated) is not None and "age >= 18" in domain_note(calibrated)
    assert domain_note(base) is None
