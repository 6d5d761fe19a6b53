"""No import loop inside `mistral_lsp/actions/`, counting type-only imports (issue #20).

import-linter keeps the layers apart; inside one layer, a loop means no module of it can be
read on its own: `session.py` named the actions' state types while the actions named the
session (through the editor). The session's state types live in `actions/state.py` (or in a
module that does not name the session), so the loop cannot close again unnoticed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mistral_lsp

PACKAGE = Path(mistral_lsp.__file__).parent


def imports_of(path: Path, package: str) -> set[str]:
    """Every module of `package` that `path` imports anywhere: at the top, under
    TYPE_CHECKING or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.startswith(package + ".") and name.count(".") == 2)
    return found


def loops(folder: Path, package: str) -> list[list[str]]:
    """The modules of `package` (in `folder`) that import each other in a loop: the strongly
    connected groups of more than one module (Tarjan's algorithm)."""
    graph = {f"{package}.{path.stem}": imports_of(path, package) for path in folder.glob("*.py")
             if path.stem != "__init__"}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for other in sorted(graph.get(module, ())):
            if other not in graph:
                continue
            if other not in order:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], order[other])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return found


def test_the_actions_import_no_loop_even_for_types() -> None:
    assert loops(PACKAGE / "actions", "mistral_lsp.actions") == []


def test_a_loop_through_a_type_only_and_a_function_level_import_is_found(tmp_path: Path) -> None:
    (tmp_path / "session.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.layer.state import State\n")
    (tmp_path / "state.py").write_text("def make():\n    from pkg.layer.editor import Editor\n")
    (tmp_path / "editor.py").write_text("from pkg.layer.session import Session\n")
    (tmp_path / "leaf.py").write_text("from pkg.layer import session\n")
    assert loops(tmp_path, "pkg.layer") == [["pkg.layer.editor", "pkg.layer.session", "pkg.layer.state"]]
