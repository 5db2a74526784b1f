"""Word tables fit the page: widths from the content, numbers never wrap, landscape if wide.

The layout checks run everywhere. Where LibreOffice is installed (``soffice`` or
``libreoffice`` on PATH, with ``pdftotext`` from poppler) the tables are also converted
to PDF: each must fit on one page, every number and header word must come out whole,
and the estimated height must match the rendered one; elsewhere those tests are
skipped with a message.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from surveytk.models.results import FitResult
from surveytk.report.docx_layout import (
    FONT_NAME,
    LANDSCAPE_TEXT_WIDTH,
    MARGIN,
    PORTRAIT_TEXT_WIDTH,
    cell_width,
    fit_layout,
    is_text,
    line_count,
    text_width,
    wraps,
)
from surveytk.report.examples import (
    EXAMPLE_SCHEMA,
    example_binary,
    example_multinomial,
    example_ordinal,
)
from surveytk.report.table_format import text_grid
from surveytk.report.table_model import TableOptions, build_table
from surveytk.report.tables import render_table
from surveytk.report.term_labels import Labeller, parse_schema_labels
from surveytk.report.text_table import Cell, Section, TextTable


@pytest.fixture(scope="module")
def results() -> dict[str, FitResult]:
    return {
        "soep": example_binary("SOEP"),
        "wodc": example_binary("WODC", seed=5, scale=0.8),
        "unhcr": example_ordinal("UNHCR R6"),
        "fin": example_multinomial("Finland"),
    }


LABELLER = Labeller(parse_schema_labels(EXAMPLE_SCHEMA, "schema.yaml"))
CASES = {
    "narrow": (("soep",), TableOptions()),
    "five_columns_ci": (("soep", "wodc", "unhcr", "soep", "wodc"), TableOptions(stat="ci")),
    "multinomial_ame": (("fin", "unhcr"), TableOptions(ame=True, stat="ci")),
}


def _model(results: dict[str, FitResult], case: str):  # type: ignore[no-untyped-def]
    names, opts = CASES[case]
    return build_table([results[n] for n in names], options=opts, labeller=LABELLER)


@pytest.mark.parametrize("case", sorted(CASES))
def test_widths_hold_every_number_and_fit_the_page(
    results: dict[str, FitResult], case: str
) -> None:
    grid = text_grid(_model(results, case))
    layout = fit_layout(grid)
    limit = LANDSCAPE_TEXT_WIDTH if layout.landscape else PORTRAIT_TEXT_WIDTH
    assert layout.total <= limit
    for section in grid.sections:
        for row in section.rows:
            col = 0
            for cell in row:
                if not wraps(cell.text, col, layout.split_intervals) and cell.span == 1:
                    need = cell_width(cell.text, layout.font_pt, layout.split_intervals)
                    assert need < layout.widths[col]
                col += cell.span


def test_narrow_table_is_portrait_wide_table_landscape(results: dict[str, FitResult]) -> None:
    assert not fit_layout(text_grid(_model(results, "narrow"))).landscape
    wide = fit_layout(text_grid(_model(results, "multinomial_ame")))
    # eight interval columns fit a landscape page only with intervals over two lines
    assert wide.landscape and wide.split_intervals


def test_docx_number_cells_do_not_wrap_and_header_repeats(results: dict[str, FitResult]) -> None:
    import io
    import zipfile

    data = render_table(_model(results, "five_columns_ci"), "docx")
    archive = zipfile.ZipFile(io.BytesIO(data))
    xml = archive.read("word/document.xml").decode()
    assert xml.count("<w:noWrap/>") > 20
    assert "<w:tblHeader/>" in xml
    assert 'w:orient="landscape"' in xml
    assert '<w:tblStyle w:val="LightShading"/>' in xml
    # LibreOffice reads the hexadecimal look: first row, no banding (0x0020|0x0200|0x0400)
    assert 'w:val="0620"' in xml and 'w:noHBand="1"' in xml
    # single-spaced cell paragraphs, no space around them; the table kept on one page
    assert 'w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"' in xml
    assert "<w:keepNext/>" in xml
    # the font the widths are measured in is named in the styles and on every run
    styles = archive.read("word/styles.xml").decode()
    defaults = styles[styles.index("<w:docDefaults>"):styles.index("</w:docDefaults>")]
    assert f'w:ascii="{FONT_NAME}"' in defaults and "asciiTheme" not in defaults
    fonts = f'<w:r><w:rPr><w:rFonts w:ascii="{FONT_NAME}" w:hAnsi="{FONT_NAME}"/>'
    assert xml.count("<w:r>") == xml.count(fonts) > 0


def test_widths_are_arial_advance_widths() -> None:
    # Arial / Liberation Sans: digits 1139/2048 em, the minus sign 1196/2048 em
    assert text_width("0", 72.0) == pytest.approx(1139 / 2048 * 1.03)
    assert text_width("\u2212", 72.0) == pytest.approx(1196 / 2048 * 1.03)
    assert text_width("W", 72.0, bold=True) == pytest.approx(1933 / 2048 * 1.03)
    # a character not tabulated counts as a full em
    assert text_width("\u4e2d", 72.0) == pytest.approx(1.03)
    assert text_width("1,117,943.6", 10.0) > text_width("Finland", 10.0, bold=True)


def test_line_count_wraps_at_spaces_and_never_inside_a_word() -> None:
    one = text_width("Finland", 10.0)
    assert line_count("Finland MoI", one * 1.01, 10.0) == 2
    assert line_count("Finland MoI", one * 3, 10.0) == 1
    assert line_count("a\nb", 1.0, 10.0) == 2
    assert line_count("Finland", one / 2.5, 10.0) == 3  # only a word wider than the column


def test_words_wrap_numbers_do_not() -> None:
    assert is_text("Linearised (Taylor series) design-based variance")
    assert is_text("Multinomial logit")
    for number in ("1,117,943.6", "[−0.12, 0.35]", "2022 – 2023", "R5 – R6", "(0.104)", "<0.001"):
        assert not is_text(number), number
    assert wraps("Age (per 10 years)", 0, False)
    assert wraps("[−0.12, 0.35]", 3, True) and not wraps("[−0.12, 0.35]", 3, False)


def _long_table(n_rows: int, label: str = "A variable with a long label") -> TextTable:
    rows = tuple(
        (Cell(f"{label} {i}"), Cell("−0.123"), Cell("(0.045)"), Cell("1,234.5"))
        for i in range(n_rows)
    )
    return TextTable(
        title="A long table",
        header=((("", 1), ("First model", 1), ("Second model", 1), ("Third", 1)),),
        sections=(Section("estimates", None, rows),),
        notes=("A note.",),
        n_columns=4,
    )


def test_a_tall_table_shrinks_its_font_before_taking_two_pages() -> None:
    short = fit_layout(_long_table(20))
    assert (short.landscape, short.font_pt, short.pages) == (False, 10.0, 1)
    tall = fit_layout(_long_table(60))
    assert tall.pages == 1 and not tall.landscape and tall.font_pt < 10.0
    # too tall for any page: the fewest pages, portrait (more height) first
    huge = fit_layout(_long_table(200))
    assert huge.pages > 1 and not huge.landscape and huge.font_pt == 8.0


def test_text_columns_wrap_to_fit_the_width() -> None:
    design = "Linearised (Taylor series) design-based variance; strata stratum, PSUs psu"
    grid = TextTable(
        title="Design",
        header=((("Model", 1), ("N", 1), ("Design", 1), ("Domain", 1)),),
        sections=(Section("body", None, tuple(
            (Cell(f"Model {i}"), Cell("15,880"), Cell(design), Cell(design + " and more"))
            for i in range(6)
        )),),
        notes=(),
        n_columns=4,
    )
    layout = fit_layout(grid)
    limit = LANDSCAPE_TEXT_WIDTH if layout.landscape else PORTRAIT_TEXT_WIDTH
    assert layout.total <= limit
    # the text columns wrap (narrower than their text) but keep their longest word whole
    assert layout.widths[2] < text_width(design, layout.font_pt)
    assert layout.widths[2] > text_width("design-based", layout.font_pt)


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def rendered(results: dict[str, FitResult], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every case as DOCX, converted to PDF by LibreOffice in one call."""
    office = _soffice()
    if office is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or pdftotext not installed (`which soffice libreoffice "
                    "pdftotext`); the DOCX → PDF rendering checks need them")
    out = tmp_path_factory.mktemp("docx_pdf")
    paths = []
    for case in sorted(CASES):
        path = out / f"{case}.docx"
        path.write_bytes(render_table(_model(results, case), "docx"))
        paths.append(str(path))
    subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(out), *paths],
                   check=True, capture_output=True, timeout=300)
    return out


def _pdf_text(pdf: Path, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.mark.parametrize("case", sorted(CASES))
def test_libreoffice_renders_each_table_on_one_page(rendered: Path, case: str) -> None:
    pdf = (rendered / f"{case}.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, f"{case}: the table runs over {pages} pages"


@pytest.mark.parametrize("case", sorted(CASES))
def test_libreoffice_keeps_numbers_and_header_words_whole(
    results: dict[str, FitResult], rendered: Path, case: str
) -> None:
    text = _pdf_text(rendered / f"{case}.pdf", "-layout")
    grid = text_grid(_model(results, case))
    layout = fit_layout(grid)
    whole: list[str] = [w for row in grid.header for h, _ in row for w in h.split()]
    for section in grid.sections:
        for row in section.rows:
            col = 0
            for cell in row:
                if cell.text and not wraps(cell.text, col, layout.split_intervals):
                    whole.append(cell.text)
                col += cell.span
    need = {t: whole.count(t) for t in whole}
    broken = [t for t, n in need.items() if text.count(t) < n]
    assert not broken, f"{case}: wrapped in LibreOffice's rendering: {broken[:5]}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_estimated_height_matches_libreoffice(
    results: dict[str, FitResult], rendered: Path, case: str
) -> None:
    bbox = _pdf_text(rendered / f"{case}.pdf", "-bbox")
    bottom = max(float(y) for y in re.findall(r'yMax="([\d.]+)"', bbox)) / 72 - MARGIN
    layout = fit_layout(text_grid(_model(results, case)))
    assert layout.height == pytest.approx(bottom, abs=0.15)
