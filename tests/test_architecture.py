"""The package's layering, enforced: the import-linter contracts in pyproject.toml
(survey inference at the bottom, the CLI on top) and no import cycle between modules.

A failure names the import that breaks a layer or closes a cycle; docs/architecture.md
says which layer a new module belongs to.
"""

from __future__ import annotations

import os
from pathlib import Path

import grimp
from click.testing import CliRunner
from importlinter.cli import lint_imports_command

ROOT = Path(__file__).resolve().parents[1]


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative): each list of two or more
    modules is an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def test_strongly_connected_finds_a_cycle_and_only_the_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    assert cycles == [["a", "b", "c"]]


def test_layer_contracts_hold() -> None:
    old = Path.cwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(lint_imports_command, ["--no-cache"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output


def test_no_import_cycle_between_modules() -> None:
    graph = grimp.build_graph("surveytk", cache_dir=None)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    cycles = [c for c in strongly_connected(edges) if len(c) > 1]
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)
