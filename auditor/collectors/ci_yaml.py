"""CI and manifest YAML read as nodes that keep their lines (workflows, compose, Kubernetes,
GitLab CI), bounded: a discovered file is data, so size, node count and depth are capped and
an alias is never expanded (a `uses:` or `image:` behind an anchor is read where it is
written)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

import yaml

from auditor.errors import Diagnostic, ParseError
from auditor.model import Component, Evidence, Location
from auditor.sources import Tree

MAX_BYTES = 2 * 1024 * 1024
"""Larger CI or manifest files are not hand-written: skipped with a diagnostic."""
MAX_NODES = 200_000
MAX_DEPTH = 64

# libyaml's composer is ~10x faster and keeps the same marks; compose() builds no objects.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlProblem(Exception):
    """A file that cannot be read as YAML; `str()` says where and why."""


def read(tree: Tree, path: str) -> tuple[list[yaml.Node], Diagnostic | None]:
    """The YAML documents of `path`, or the diagnostic saying why not (too large to read,
    unreadable, not YAML, past the node or depth bounds): how every CI reader opens a file."""
    entry = tree.entry(path)
    if entry is not None and entry.size > MAX_BYTES:
        return [], Diagnostic(path, "larger than 2 MiB; not read")
    try:
        return documents(tree.read_text(path)), None
    except ParseError as exc:
        return [], Diagnostic(path, exc.reason)
    except YamlProblem as exc:
        return [], Diagnostic(path, str(exc))


def documents(text: str) -> list[yaml.Node]:
    """Every document's root node (multi-document manifests: `---`); YamlProblem when the
    text is not YAML or exceeds the bounds."""
    if len(text) > MAX_BYTES:
        raise YamlProblem(f"larger than {MAX_BYTES} bytes; not read")
    try:
        roots = [n for n in yaml.compose_all(text, Loader=_LOADER) if n is not None]
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 0
        raise YamlProblem(f"line {line}: not valid YAML: {exc.problem}") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise YamlProblem(f"not valid YAML: {exc}") from None
    budget = [MAX_NODES]
    for root in roots:
        _check(root, 0, budget)
    return roots


def _check(node: yaml.Node, depth: int, budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise YamlProblem("too many or too deeply nested YAML nodes (or aliases)")
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _check(key, depth + 1, budget)
            _check(value, depth + 1, budget)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check(item, depth + 1, budget)


def line(node: yaml.Node) -> int:
    """The 1-based line a node starts on."""
    return int(node.start_mark.line) + 1


def text(node: yaml.Node | None) -> str | None:
    """A scalar's text; None for anything else."""
    if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str):
        return node.value
    return None


def items(node: yaml.Node | None) -> Iterator[tuple[str, yaml.Node]]:
    """A mapping's (key text, value node) pairs; nothing for any other node."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = text(key)
            if name is not None:
                yield name, value


def get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """One key of a mapping (the last, as YAML loaders keep it)."""
    found = None
    for name, value in items(node):
        if name == key:
            found = value
    return found


def sequence(node: yaml.Node | None) -> list[yaml.Node]:
    """A sequence's items; a single scalar or mapping counts as one item; () for None."""
    if node is None:
        return []
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return [node]


def fold(components: Iterable[Component]) -> tuple[Component, ...]:
    """One component per purl, locations and evidence united in order: a monorepo uses the
    same action or base image hundreds of times, and uniting them here is linear where
    uniting them pairwise later would not be."""
    locations: dict[str, dict[Location, None]] = {}
    evidence: dict[str, dict[Evidence, None]] = {}
    first: dict[str, Component] = {}
    for c in components:
        first.setdefault(c.purl, c)
        locations.setdefault(c.purl, {}).update(dict.fromkeys(c.locations))
        evidence.setdefault(c.purl, {}).update(dict.fromkeys(c.evidence))
    return tuple(
        replace(c, locations=tuple(locations[p]), evidence=tuple(evidence[p]))
        for p, c in first.items()
    )
