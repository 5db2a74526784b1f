"""The wheel carries what the package reads: package list, package data, built-in paths."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from surveytk import __version__
from surveytk.errors import OutputError, SpecError
from surveytk.paths import (
    BUILTIN_ANALYSES_DIR,
    BUILTIN_CODEBOOK_DIR,
    BUILTIN_SOURCES_DIR,
    PACKAGE_DIR,
    find_analysis,
    refuse_builtin_target,
)

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_package_list_names_every_package() -> None:
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "surveytk").rglob("__init__.py")
    }
    mapped = set(SETUPTOOLS["package-dir"])
    assert set(SETUPTOOLS["packages"]) == found | mapped
    assert SETUPTOOLS["package-dir"] == {"surveytk._builtin.codebooks": "codebooks",
                                         "surveytk._builtin.analyses": "analyses"}


@pytest.mark.parametrize("package", ["surveytk._builtin.codebooks", "surveytk._builtin.analyses"])
def test_package_data_covers_every_builtin_file(package: str) -> None:
    folder = ROOT / SETUPTOOLS["package-dir"][package]
    globs = SETUPTOOLS["package-data"][package]
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*")
             if p.is_file() and p.name != "__init__.py" and "__pycache__" not in p.parts]
    assert files
    missed = [f for f in files if not any(fnmatch.fnmatch(f, g) and f.count("/") == g.count("/")
                                          for g in globs)]
    assert missed == []


def test_builtin_files_are_found_through_the_package() -> None:
    assert (BUILTIN_CODEBOOK_DIR / "schema.yaml").is_file()
    assert {p.stem for p in BUILTIN_SOURCES_DIR.glob("*.yaml")} >= {"wodc_w1", "fi_moi_2025"}
    assert find_analysis("return_intentions") == BUILTIN_ANALYSES_DIR / "return_intentions.yaml"
    assert find_analysis("mine.yaml") == Path("mine.yaml")
    with pytest.raises(SpecError, match=r"no analysis spec named 'nope'.*return_intentions"):
        find_analysis("nope")


def test_builtin_files_are_never_written(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="refusing to write a draft into surveytk's built-in"):
        refuse_builtin_target(BUILTIN_SOURCES_DIR / "wodc_w1.yaml", what="a draft")
    with pytest.raises(OutputError, match="refusing"):
        refuse_builtin_target(PACKAGE_DIR / "x.yaml", what="a draft")
    with pytest.raises(OutputError, match="refusing"):
        refuse_builtin_target(BUILTIN_CODEBOOK_DIR, what="pages")
    refuse_builtin_target(tmp_path / "mine.yaml", what="a draft")   # a user's folder is fine


def test_codebook_docs_refuses_the_builtin_folder() -> None:
    from surveytk.codebook.docs import write_docs

    before = sorted(BUILTIN_CODEBOOK_DIR.rglob("*"))
    with pytest.raises(OutputError, match="refusing to write documentation pages"):
        write_docs(BUILTIN_CODEBOOK_DIR)
    assert sorted(BUILTIN_CODEBOOK_DIR.rglob("*")) == before


def test_python_dash_m_and_version(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "surveytk", "--version"], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"surveytk, version {__version__}"
    assert PYPROJECT["project"]["version"] == __version__
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
