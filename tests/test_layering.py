"""Module layering: no import cycles in bot/ and retrieval/, and the CLI does not import the pytest plugin."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def _modules() -> dict[str, Path]:
    """Return every module of bot/ and retrieval/ by dotted name."""
    found: dict[str, Path] = {}
    for package in ("bot", "retrieval"):
        for path in (ROOT / package).rglob("*.py"):
            found[".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")] = path
    return found


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Return the modules a file imports anywhere: at the top, under TYPE_CHECKING and deferred inside functions.

    A deferred import still ties two modules together; a cycle through one only moves the failure to run time.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    out = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            out.add(name)
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one import cycle of the graph, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for dep in sorted(graph[module] - {module}):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycles() -> None:
    known = _modules()
    # A module reaching its own package (bot.cli.query -> bot.cli) is how a package is built, not a cycle.
    graph = {name: {m for m in _imports(path, known) if not name.startswith(m + ".")} for name, path in known.items()}
    assert len(graph) > 50
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_quotebot_eval_does_not_import_the_pytest_plugin() -> None:
    probe = (
        "import sys, bot.cli, bot.golden.runner; "
        "print(sorted(m for m in sys.modules if m == 'pytest' or m.startswith('bot.testing')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
