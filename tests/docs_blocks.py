"""Fenced code blocks of the documentation pages, and how the docs tests run them.

Conventions (docs/tutorials/index.md states them for readers):

- A ```` ```bash ```` block is a command example. In a tutorial page every such block
  runs, in page order, in one fresh folder (``run_page``). Anywhere else it must either be
  run by a test (its page is listed in ``tests/test_docs_examples.py``) or be marked, on
  the line before the fence, with ``<!-- docs-test: not-run (REASON) -->``, or with
  ``<!-- docs-test: run-by tests/FILE.py -->`` when another test runs the same commands.
- Blocks of other languages (``text``, ``yaml``, ``python``, none) are not commands,
  but a block with a line starting with ``surveytk``, ``pytest``, ``python``, ``pip`` or
  ``mkdocs`` is: it must be ```` ```bash ```` or marked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NOT_RUN = re.compile(r"<!--\s*docs-test:\s*not-run\s*\((?P<reason>[^)]+)\)\s*-->")
RUN_BY = re.compile(r"<!--\s*docs-test:\s*run-by\s+(?P<test>tests/\S+\.py)\s*-->")
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<lang>[\w+-]*)")
# files R survey ships, which the tutorials tell the reader to copy in
API_FILES = (
    ROOT / "tests" / "data" / "survey" / "apistrat.csv",
    ROOT / "tests" / "data" / "survey" / "apiclus1.csv",
    ROOT / "tests" / "reference" / "data" / "apiclus2.csv",
)


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    not_run: str | None  # the reason, when marked not-run
    run_by: str | None  # the test file that runs these commands, when marked run-by

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def is_command(self) -> bool:
        if self.lang in ("bash", "sh", "shell", "console"):
            return True
        starts = ("surveytk ", "$ surveytk", "pytest ", "python ", "python3 ", "pip ", "mkdocs ")
        return any(line.lstrip().startswith(starts) for line in self.text.splitlines())


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown page (nested fences are not used in the docs)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start = m.group("fence"), i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        prev = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        marked, by = NOT_RUN.search(prev), RUN_BY.search(prev)
        out.append(Block(path, start + 1, m.group("lang").lower(), "\n".join(body),
                         marked.group("reason").strip() if marked else None,
                         by.group("test") if by else None))
        i += 1
    return out


def runnable(path: Path) -> list[Block]:
    return [b for b in blocks(path)
            if b.lang == "bash" and b.not_run is None and b.run_by is None]


def surveytk_env() -> dict[str, str]:
    """The environment of the tutorials: this interpreter's ``surveytk`` first on PATH."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["MPLBACKEND"] = "Agg"
    env.pop("SURVEYTK_CODEBOOK_PATH", None)
    return env


def run_page(path: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    """Run every runnable bash block of ``path`` in order, as one script, in ``folder``."""
    for f in API_FILES:
        shutil.copy(f, folder / f.name)
    script = "set -euo pipefail\n" + "\n".join(
        f"# --- {b.where}\n{b.text}" for b in runnable(path)
    )
    return subprocess.run(["bash", "-c", script], cwd=folder, env=surveytk_env(),
                          capture_output=True, text=True, timeout=600)
