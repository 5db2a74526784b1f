"""``codebook docs``: documentation of the common schema and every crosswalk.

The content is collected once (:func:`surveytk.codebook.docs_site.build_site`) and
written as a browsable static site (:mod:`surveytk.codebook.docs_html`), as Markdown
(:mod:`surveytk.codebook.docs_markdown`), or as DDI-Codebook 2.5 XML
(:mod:`surveytk.codebook.ddi`). Text from codebooks and files is escaped in every
format; nothing from a label is ever markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from surveytk.codebook.ddi import ddi_codebook
from surveytk.codebook.docs_html import html_index, html_page
from surveytk.codebook.docs_markdown import markdown_index, markdown_page
from surveytk.codebook.docs_site import DISCLOSURE_THRESHOLD, build_site
from surveytk.errors import OutputError
from surveytk.io.atomic import write_text_atomic
from surveytk.paths import refuse_builtin_target

FORMATS = ("html", "markdown", "ddi")


def write_docs(out_dir: str | Path, *, codebooks: Sequence[str] | None = None,
               data: Sequence[str | Path] = (), formats: Sequence[str] = ("html", "markdown"),
               threshold: int = DISCLOSURE_THRESHOLD) -> list[Path]:
    """Write the documentation into ``out_dir``.

    Parameters
    ----------
    out_dir
        Target folder.
    codebooks
        Crosswalk names or paths; default every crosswalk on the codebook search path.
    data
        Harmonised Parquet files for frequencies and numeric summaries (optional).
    formats
        ``html`` (``index.html`` and ``<var>.html``, styled, offline), ``markdown``
        (``index.md`` and ``<var>.md``), ``ddi`` (``codebook.ddi.xml``, DDI-Codebook 2.5).
    threshold
        Disclosure threshold for frequencies and summaries.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise OutputError(f"unknown docs format {unknown[0]!r}; one of {list(FORMATS)}")
    refuse_builtin_target(out_dir, what="documentation pages")
    site = build_site(codebooks, data, threshold)
    out = Path(out_dir)
    written: list[Path] = []

    def put(name: str, text: str) -> None:
        write_text_atomic(out / name, text)
        written.append(out / name)

    if "markdown" in formats:
        for page in site.pages:
            put(f"{page.name}.md", markdown_page(page, site))
        put("index.md", markdown_index(site))
    if "html" in formats:
        for page in site.pages:
            put(f"{page.name}.html", html_page(page, site))
        put("index.html", html_index(site))
    if "ddi" in formats:
        put("codebook.ddi.xml", ddi_codebook(site))
    return written
