"""Imports point one way: the lower layers never import their users.

Every module under auditor/ is parsed (not imported) and every import statement counts,
including those inside functions and under TYPE_CHECKING: a function-local import is still
a dependency, only a later one.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import networkx as nx
import pytest

import auditor

ROOT = Path(auditor.__file__).parent

ALLOWED_CYCLES: frozenset[frozenset[str]] = frozenset()
"""Cycles between top-level parts of `auditor` that are known and accepted, each as the set
of its parts with a one-line reason beside it. Keep it empty; add only what cannot be broken."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def imports() -> dict[str, frozenset[str]]:
    """Each auditor module and the auditor modules (or packages) it imports."""
    paths = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
    found: dict[str, frozenset[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        out: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    module = node.module or ""
                out.add(module)
                # `from auditor import config` imports the module auditor.config
                named = (f"{module}.{a.name}" for a in node.names)
                out.update(n for n in named if n in paths)
        found[name] = frozenset(m for m in out if m.startswith("auditor.") and m != name)
    return found


def _part(module: str) -> str:
    """The top-level part of auditor a module belongs to: `auditor.policy.engine` → `policy`."""
    return module.split(".")[1]


def imported_by(prefix: str) -> set[str]:
    """What the module `prefix`, or any module inside the package `prefix`, imports."""
    return {
        target
        for module, targets in imports().items()
        if module == prefix or module.startswith(prefix + ".")
        for target in targets
    }


def _within(module: str, parts: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in parts)


def test_the_parser_sees_the_known_imports() -> None:
    found = imports()
    assert "auditor.graph.build" in found["auditor.graph.queries"]
    assert "auditor.sigstore_trust" in found["auditor.resolvers.verdicts"]
    assert "auditor.config" in found["auditor.policy.builtin"]


@pytest.mark.parametrize(
    "lower, forbidden",
    [
        (
            "auditor.config",
            ("auditor.policy", "auditor.render", "auditor.cli", "auditor.pipeline"),
        ),
        ("auditor.sigstore_trust", ("auditor.resolvers", "auditor.signatures")),
    ],
)
def test_a_lower_layer_does_not_import_its_users(lower: str, forbidden: tuple[str, ...]) -> None:
    wrong = sorted(m for m in imported_by(lower) if _within(m, forbidden))
    assert not wrong, f"{lower} imports {wrong}"


def test_no_cycles_between_the_parts_of_auditor() -> None:
    graph: nx.DiGraph[str] = nx.DiGraph()
    for module, targets in imports().items():
        for target in targets if module != "auditor" else ():
            if _part(module) != _part(target):
                graph.add_edge(_part(module), _part(target))
    cycles = {frozenset(c) for c in nx.simple_cycles(graph)}
    unexpected = sorted(sorted(c) for c in cycles - ALLOWED_CYCLES)
    assert not unexpected, f"import cycles between parts of auditor: {unexpected}"
    stale = sorted(sorted(c) for c in ALLOWED_CYCLES - cycles)
    assert not stale, f"allowed cycles that no longer exist (remove them): {stale}"
