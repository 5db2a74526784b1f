"""Imports at the top of the module: an import of a surveytk module inside a function
(outside the CLI, whose commands load lazily by design) must say why it is lazy, with a
trailing ``# lazy: <reason>`` comment (docs/architecture.md, "Imports")."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "surveytk"


def comments_by_line(source: str) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.start[0]: t.string for t in tokens if t.type == tokenize.COMMENT}


def imports_surveytk(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").startswith("surveytk")
    if isinstance(node, ast.Import):
        return any(alias.name.startswith("surveytk") for alias in node.names)
    return False


def surveytk_imports_in_functions(tree: ast.AST) -> list[ast.AST]:
    """Imports of surveytk modules inside functions (a module imported twice in one
    function is listed once per statement; nested functions are walked once each)."""
    found: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if imports_surveytk(inner):
                    found[id(inner)] = inner
    return list(found.values())


def unexplained_lazy_imports(source: str) -> list[int]:
    """Line numbers of in-function surveytk imports without a ``# lazy:`` comment."""
    comments = comments_by_line(source)
    lines = set()
    for node in surveytk_imports_in_functions(ast.parse(source)):
        span = range(node.lineno, (node.end_lineno or node.lineno) + 1)
        if not any(comments.get(n, "").startswith("# lazy:") for n in span):
            lines.add(node.lineno)
    return sorted(lines)


def test_the_check_finds_an_unexplained_lazy_import() -> None:
    source = (
        "def f():\n"
        "    from surveytk.errors import SurveytkError\n"
        "    from surveytk.models import api  # lazy: scipy\n"
        "    import os\n"
    )
    assert unexplained_lazy_imports(source) == [2]


def test_lazy_imports_outside_the_cli_say_why() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "cli" in path.relative_to(PACKAGE).parts:
            continue
        for line in unexplained_lazy_imports(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    assert not offenders, (
        "import at the top of the module, or add '# lazy: <reason>': " + ", ".join(offenders)
    )
