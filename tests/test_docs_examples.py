"""Every command example in README.md and docs/ is run by a test, or marked with a reason.

A command block (```` ```bash ````, or any block whose lines start with ``surveytk``)
must be a ```` ```bash ```` block — run here (pages other than the tutorials) or by
``tests/test_docs_tutorials.py`` — or be marked before its fence with
``<!-- docs-test: not-run (REASON) -->`` or ``<!-- docs-test: run-by tests/FILE.py -->``.
The bash blocks of a page run in order in one fresh folder holding R's api data files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_blocks import DOCS, ROOT, blocks, run_page, runnable

#: pages other engineers maintain under their own issues (not scanned here)
OWNED_ELSEWHERE = {DOCS / "python.md": "api (#20)", DOCS / "reporting.md": "reports (#18)"}
TUTORIALS = DOCS / "tutorials"


def pages() -> list[Path]:
    found = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    return [p for p in found if p not in OWNED_ELSEWHERE]


def example_pages() -> list[Path]:
    return [p for p in pages() if TUTORIALS not in p.parents and runnable(p)]


def test_every_command_block_is_run_or_marked() -> None:
    problems = []
    for page in pages():
        for b in blocks(page):
            if b.run_by is not None:
                if not (ROOT / b.run_by).is_file():
                    problems.append(f"{b.where}: run-by names a missing test {b.run_by}")
                continue
            if b.is_command() and b.lang != "bash" and b.not_run is None:
                problems.append(f"{b.where}: a command example that is neither ```bash "
                                "(run by a test) nor marked not-run with a reason")
            if b.not_run is not None and len(b.not_run) < 10:
                problems.append(f"{b.where}: say why it is not run ({b.not_run!r})")
    assert not problems, "\n".join(problems)


def test_the_scan_sees_the_examples() -> None:
    """The scanner finds bash blocks where they are (guards against a parser that
    silently finds nothing)."""
    assert any(b.lang == "bash" for b in blocks(DOCS / "estimation.md"))
    assert len(runnable(TUTORIALS / "calibration.md")) >= 5


@pytest.mark.parametrize("page", example_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_page_examples_run(page: Path, tmp_path: Path) -> None:
    proc = run_page(page, tmp_path)
    assert proc.returncode == 0, (
        f"{page.relative_to(ROOT)}: an example failed\n{proc.stdout[-3000:]}\n"
        f"{proc.stderr[-3000:]}")
    assert proc.stdout.strip(), "the examples printed nothing"


#: flags the docs mention that belong to other programs, with the program
OTHER_PROGRAMS = {
    "--help": "every command (click's help option)",
    "--no-deps": "pip wheel",
    "--examples": "scripts/fuzz_long.py", "--target": "scripts/fuzz_long.py",
    "--keep": "scripts/fuzz_long.py",
    "--repeat": "benchmarks/bench_ordinal_mlogit.py",
    "--stand-in": "benchmarks/bench_read.py",
}


def _cli_options() -> set[str]:
    import click

    from surveytk.cli.main import cli

    found: set[str] = set()
    ctx = click.Context(cli)

    def walk(cmd: click.Command) -> None:
        for p in cmd.params:
            found.update(p.opts, p.secondary_opts)
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None
                walk(sub)

    walk(cli)
    return found


def test_every_option_the_docs_name_exists() -> None:
    """An option written in the docs (``--maxiter``, say) that no command has is an error."""
    import re

    known = _cli_options()
    problems = []
    for page in [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for m in re.finditer(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text):
            flag = m.group(1)
            if flag not in known and flag not in OTHER_PROGRAMS:
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{page.relative_to(ROOT)}:{line}: {flag} is no surveytk option")
    assert not problems, "\n".join(problems)
    for script in {s for s in OTHER_PROGRAMS.values() if s.endswith(".py")}:
        assert (ROOT / script).is_file(), script
