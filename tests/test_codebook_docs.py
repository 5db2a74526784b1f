"""`codebook docs`: a styled offline site, escaped text, code order, DDI-Codebook 2.5."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from surveytk.codebook.author import register_source
from surveytk.codebook.docs import write_docs
from surveytk.codebook.docs_markdown import md_escape
from surveytk.codebook.docs_site import category_order, frequencies, numeric_summaries
from surveytk.codebook.loader import load_schema
from surveytk.codebook.search import use_codebook_dirs
from surveytk.harmonise.run import harmonise_to_file

EVIL = '<script>alert("x")</script> `code` | *bold* [link](http://e.example)'
DDI = "{ddi:codebook:2_5}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fifth survey with hostile text in a question and a label, harmonised, documented."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "codebook_tutorial", Path(__file__).with_name("test_codebook_tutorial.py"))
    assert spec is not None and spec.loader is not None
    t = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(t)
    root = tmp_path_factory.mktemp("docs")
    (root / "delivery").mkdir()
    t.write_fifth_survey(root / "delivery" / "ces_2024.dta")
    (root / "mycb").mkdir()
    register_source(root / "mycb" / "schema.yaml", "ces", "Czech <b>emigrant</b> survey")
    text = t.tutorial_crosswalk().replace('question: "Gender of respondent"',
                                          f"question: {EVIL!r}")
    # map entries written out of code order: the docs sort them
    text = text.replace('      1: {to: male, label: "Male"}\n      2: {to: female, label: '
                        '"Female"}', '      2: {to: female, label: "Female"}\n'
                        '      1: {to: male, label: "Male"}')
    (root / "mycb" / "ces_2024.yaml").write_text(text, encoding="utf-8")
    with use_codebook_dirs([root / "mycb"]):
        harmonise_to_file("ces_2024", root / "delivery", root / "ces.parquet")
        write_docs(root / "site", codebooks=["ces_2024", "wodc_w1"],
                   data=[root / "ces.parquet"], formats=("html", "markdown", "ddi"))
    return root / "site"


def test_no_raw_html_from_labels(site: Path) -> None:
    for page in ("gender.html", "index.html", "gender.md", "index.md"):
        text = (site / page).read_text(encoding="utf-8")
        assert "<script" not in text and "<b>emigrant" not in text
    html = (site / "gender.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; `code` | *bold*" in html
    md = (site / "gender.md").read_text(encoding="utf-8")
    assert "> &lt;script&gt;alert(\"x\")&lt;/script&gt; \\`code\\` \\| \\*bold\\* " \
           "\\[link\\](http://e.example)" in md


def test_md_escape_line_starts() -> None:
    assert md_escape("# not a heading", line_start=True) == "\\# not a heading"
    assert md_escape("1. not a list", line_start=True) == "1\\. not a list"
    assert md_escape("v1.0.0") == "v1.0.0"


def test_styled_offline_pages_with_index(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    head = index.split("</head>")[0]
    assert "<style>" in head and "<link" not in head and "<script" not in index
    assert not re.search(r"(src|href)=\"https?://", index)
    names = re.findall(r'<a href="([a-z0-9_]+)\.html"><code>', index)
    assert names == list(load_schema().variables)
    assert all((site / f"{n}.html").is_file() for n in names)
    page = (site / "gender.html").read_text(encoding="utf-8")
    assert '<a href="index.html">all variables</a>' in page and "`" not in page.split(
        "<main>")[1].replace("`code`", "")


def test_maps_and_frequencies_in_code_order(site: Path) -> None:
    md = (site / "gender.md").read_text(encoding="utf-8")
    ces = md[md.index("ces\\_2024 (v1"):]
    assert ces.index("| 1 | Male | male |") < ces.index("| 2 | Female | female |")
    freq = md.split("## Frequencies by source")[1]
    rows = [line.split("|")[1].strip() for line in freq.splitlines() if line.startswith("| ")]
    assert rows[1:3] == ["female", "male"]  # schema order (female first), not by count
    assert rows[3].startswith("missing: dont")


def test_frequency_order_is_the_schema_order() -> None:
    schema = load_schema()
    var = schema.variables["return_intention"]
    t = pd.DataFrame({"source": ["a"] * 60, "wave": ["1"] * 60,
                      "return_intention": ["stay"] * 10 + ["return_soon"] * 30
                      + ["undecided"] * 20})
    tab = frequencies([t], "return_intention", order=category_order(var, schema))
    assert tab is not None
    assert list(tab.index) == ["stay", "undecided", "return_soon"]
    assert list(tab["a 1"]) == ["10", "20", "30"]
    order = category_order(schema.variables["employed"], schema)
    assert order[:2] == ["false", "true"]


def test_numeric_summaries_are_disclosure_safe() -> None:
    t = pd.DataFrame({"source": ["a"] * 30 + ["b"] * 5, "wave": ["1"] * 35,
                      "age": [*range(20, 50), 30, 31, 32, 33, 99]})
    a, b = numeric_summaries([t], "age")
    assert (a.n, a.mean, a.median) == ("30", "34.5", "34.5")
    assert (a.minimum, a.maximum) == ("≤29", "≥40")  # 10th smallest/largest: 29, 40
    assert b.n == "<10" and b.mean == "" and b.maximum == ""


def test_ddi_codebook_structure(site: Path) -> None:
    root = ET.parse(site / "codebook.ddi.xml").getroot()
    assert root.tag == f"{DDI}codeBook" and root.get("version") == "2.5"
    assert [c.tag.removeprefix(DDI) for c in root] == ["docDscr", "stdyDscr", "fileDscr",
                                                       "fileDscr", "dataDscr"]
    assert root.find(f"{DDI}stdyDscr/{DDI}citation/{DDI}titlStmt/{DDI}titl") is not None
    variables = root.findall(f"{DDI}dataDscr/{DDI}var")
    assert [v.get("name") for v in variables] == list(load_schema().variables)
    ids = {el.get("ID") for el in root.iter() if el.get("ID")}
    gender = next(v for v in variables if v.get("name") == "gender")
    assert gender.find(f"{DDI}labl").text == "Gender"  # type: ignore[union-attr]
    qstn = gender.findall(f"{DDI}qstn")
    assert all(q.get("sdatrefs") in ids for q in qstn)  # IDREFs resolve
    assert EVIL in [q.findtext(f"{DDI}qstnLit") for q in qstn]
    cats = gender.findall(f"{DDI}catgry")
    assert [c.findtext(f"{DDI}catValu") for c in cats if c.get("missing") != "Y"] == \
        ["female", "male"]
    assert "dont_know" in [c.findtext(f"{DDI}catValu") for c in cats if c.get("missing") == "Y"]
    for c in cats:
        stat = c.find(f"{DDI}catStat")
        assert stat is None or int(stat.text or "0") >= 10 or stat.text == "0"
    # DDI 2.5 element order inside var
    order = ["labl", "qstn", "valrng", "txt", "catgry", "derivation", "varFormat", "notes"]
    for v in variables:
        seen = [order.index(c.tag.removeprefix(DDI)) for c in v]
        assert seen == sorted(seen), v.get("name")
    age = next(v for v in variables if v.get("name") == "age")
    assert age.get("intrvl") == "contin" and age.find(f"{DDI}valrng/{DDI}range") is not None
