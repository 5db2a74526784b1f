"""The report document: one offline HTML page and one Word file with every exhibit."""

from __future__ import annotations

import io
import re

import pytest

from surveytk.report.document import (
    Exhibit,
    ReportContent,
    render_report_docx,
    render_report_html,
    simple_grid,
)
from surveytk.report.examples import EXAMPLE_SCHEMA, example_binary, example_multinomial
from surveytk.report.plots import forest_plot, save_figure
from surveytk.report.table_format import text_grid
from surveytk.report.table_model import TableOptions, build_table
from surveytk.report.term_labels import Labeller, parse_schema_labels


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> ReportContent:
    lab = Labeller(parse_schema_labels(EXAMPLE_SCHEMA, "schema.yaml"))
    results = [example_binary("SOEP"), example_binary("WODC", seed=5, scale=0.8)]
    narrow = text_grid(build_table(results, labeller=lab))
    wide = text_grid(build_table([example_multinomial(), *results], labeller=lab,
                                 options=TableOptions(ame=True, stat="ci")))
    png = tmp_path_factory.mktemp("fig") / "f.png"
    save_figure(forest_plot(results, kind="ame", labeller=lab), png, dpi=60)
    return ReportContent(
        title="Example report",
        description="Two synthetic sources.",
        exhibits=(
            Exhibit("table-coef", narrow.title, grid=narrow),
            Exhibit("table-ame", wide.title, grid=wide),
            Exhibit("figure-ame", "AMEs by source", png=png.read_bytes()),
        ),
        design=simple_grid("Design", ["Model", "N"], [["SOEP", "2,800"], ["WODC", "2,800"]]),
        audit=simple_grid("Audit", ["Source", "Age"], [["SOEP", "100.0%"]]),
        notes=("Synthetic data.",),
    )


def test_html_is_one_offline_file_with_every_exhibit(content: ReportContent) -> None:
    html = render_report_html(content)
    for ex in content.exhibits:
        assert f'id="{ex.name}"' in html and f'href="#{ex.name}"' in html
    assert html.count("<table>") == 4  # two exhibits, design, audit
    assert html.count('<img src="data:image/png;base64,') == 1
    # nothing is fetched from elsewhere: no scripts, stylesheets or remote sources
    assert not re.search(r"<script|<link|src=\"(?!data:)|url\(", html)
    assert html == render_report_html(content)


def test_docx_has_every_table_and_figure_and_landscape_where_needed(
    content: ReportContent,
) -> None:
    import docx

    data = render_report_docx(content)
    document = docx.Document(io.BytesIO(data))
    assert len(document.tables) == 4
    assert len(document.inline_shapes) == 1
    orientations = [s.page_width > s.page_height for s in document.sections]
    assert orientations[0] is False and True in orientations  # the wide AME table
    assert document.sections[-1].page_width < document.sections[-1].page_height
    assert data == render_report_docx(content)


def test_tabulation_figure_draws_each_visible_share_with_its_interval() -> None:
    """Bars from tabulate: one per unsuppressed cell, heights the shares in %, one error
    bar each spanning the cell's interval."""
    import numpy as np
    import pandas as pd

    from surveytk.analysis.tabulations import tabulation_figure
    from surveytk.tabulate import tabulate

    rng = np.random.default_rng(4)
    data = pd.DataFrame({"grp": rng.choice(["a", "b"], 600),
                         "level": rng.choice(["x", "y", "z"], 600, p=[0.5, 0.3, 0.2]),
                         "weight": rng.uniform(0.5, 2.0, 600)})
    tab = tabulate(data, ["grp", "level"], weights="weight", threshold=10)
    fig = tabulation_figure(tab, Labeller(enabled=False))
    ax = fig.axes[0]
    bars = [b for c in ax.containers if hasattr(c, "patches") for b in c.patches]
    cells = tab.to_frame()
    assert len(bars) == len(cells) == 6
    heights = sorted(round(b.get_height(), 6) for b in bars)
    assert heights == sorted(round(100 * s, 6) for s in cells["share"])
    whiskers = [c for c in ax.containers if not hasattr(c, "patches")]
    assert len(whiskers) == 6
