"""The documentation site builds offline with warnings as errors, and its index reaches
the references in one click.

``mkdocs build --strict`` fails on a broken link or anchor, a page missing from the
navigation, or a docstring mkdocstrings cannot render. The build needs the ``docs`` extra;
without it the build test is skipped with a message (``.ci/run`` installs the extra and
builds the site, so CI always builds it).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from docs_blocks import DOCS, ROOT

import surveytk
from surveytk.codebook.loader import load_schema
from surveytk.codebook.model import MISSING_REASONS

MKDOCS = ROOT / "mkdocs.yml"


def _nav_pages(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [p for item in nav for p in _nav_pages(item)]
    if isinstance(nav, dict):
        return [p for v in nav.values() for p in _nav_pages(v)]
    return []


def _config() -> dict[str, object]:
    # mkdocs.yml has no custom tags; safe_load reads it whole
    return dict(yaml.safe_load(MKDOCS.read_text(encoding="utf-8")))


def test_mkdocs_builds_strict_and_offline(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec(
            "mkdocs_click") is None:
        pytest.skip('mkdocs is not installed: pip install -c constraints.txt -e ".[docs]" '
                    "(.ci/run installs it and builds the site)")
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={"PATH": str(Path(sys.executable).parent), "NO_MKDOCS_2_WARNING": "1",
             "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    cli = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    for command in ("harmonise", "estimate", "fit", "run", "codebook-new"):
        assert f'id="surveytk-{command}"' in cli, f"CLI reference lacks {command}"
    assert "--calibrate" in cli and "--keep-user-missing" in cli
    api = (site / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    assert "read_file" in api and "FitResult" in api
    schema = (site / "reference" / "schema" / "index.html").read_text(encoding="utf-8")
    for name in load_schema().variables:
        assert f'id="{name.replace("_", "-")}"' in schema, f"schema reference lacks {name}"
    # offline: no web fonts or scripts from elsewhere
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, page
        assert not re.search(r'<script[^>]+src="https?://', text), page


def test_nav_lists_every_page_once() -> None:
    nav = _nav_pages(_config()["nav"])
    assert len(nav) == len(set(nav)), "a page twice in the nav"
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert pages == set(nav), (
        f"not in nav: {sorted(pages - set(nav))}; missing files: {sorted(set(nav) - pages)}")


def test_theme_is_offline() -> None:
    theme = _config()["theme"]
    assert isinstance(theme, dict) and theme.get("font") is False


def test_index_reaches_the_references_in_one_click() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for target in ("reference/spec.md", "reference/outputs.md", "reference/cli.md",
                   "reference/schema.md",
                   "reference/r-stata.md", "conventions.md", "reference/glossary.md",
                   "tutorials/index.md"):
        assert f"]({target})" in index, target


def test_citation_matches_the_package() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == surveytk.__version__
    assert cff["license"] == "MIT"


def test_glossary_names_every_missing_reason() -> None:
    text = (DOCS / "reference" / "glossary.md").read_text(encoding="utf-8")
    entry = text.split("Missing reason\n", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"`(\w+)`", entry)) - {"var"} == set(MISSING_REASONS)
