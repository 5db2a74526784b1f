"""Word tables fit the page: widths from the content, numbers never wrap, landscape if wide.

The layout checks run everywhere. Where LibreOffice is installed (``soffice`` or
``libreoffice`` on PATH) the tables are also converted to PDF and each must fit on
one page; elsewhere that test is skipped with a message.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from surveytk.models.results import FitResult
from surveytk.report.docx_layout import (
    LANDSCAPE_TEXT_WIDTH,
    PORTRAIT_TEXT_WIDTH,
    cell_width,
    fit_layout,
)
from surveytk.report.examples import (
    EXAMPLE_SCHEMA,
    example_binary,
    example_multinomial,
    example_ordinal,
)
from surveytk.report.labels import Labeller, parse_schema_labels
from surveytk.report.table_model import TableOptions, build_table, text_grid
from surveytk.report.tables import render_table


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
                if col > 0 and cell.span == 1:
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
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert xml.count("<w:noWrap/>") > 20
    assert "<w:tblHeader/>" in xml
    assert 'w:orient="landscape"' in xml
    assert '<w:tblStyle w:val="LightShading"/>' in xml


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.parametrize("case", sorted(CASES))
def test_libreoffice_renders_each_table_on_one_page(
    results: dict[str, FitResult], case: str, tmp_path: Path
) -> None:
    office = _soffice()
    if office is None:
        pytest.skip("LibreOffice not installed (`which soffice libreoffice` finds nothing); "
                    "the DOCX → PDF rendering check needs it")
    path = tmp_path / f"{case}.docx"
    path.write_bytes(render_table(_model(results, case), "docx"))
    subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(path)], check=True, capture_output=True, timeout=180)
    pdf = (tmp_path / f"{case}.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, f"{case}: the table runs over {pages} pages"
