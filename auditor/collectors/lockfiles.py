"""Dispatches every lockfile in a tree to its parser (the generic lockfile collector)."""

from __future__ import annotations

from typing import ClassVar

from auditor.collectors import CollectContext, Collected, Collector
from auditor.collectors.parsers import parser_for
from auditor.errors import Diagnostic, ParseError
from auditor.sources import Tree


class LockfileCollector(Collector):
    """Parses each discovered lockfile; a malformed one becomes a Diagnostic."""

    name: ClassVar[str] = "lockfiles"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """Every lockfile the registered parsers recognise by name."""
        results: list[Collected] = []
        for entry in tree.index().values():  # the tree lists itself once for every collector
            parser = parser_for(entry.path)
            if parser is None or _inside_environment(entry.path):
                continue
            try:
                results.append(parser.parse(tree, entry.path))
            except ParseError as exc:
                results.append(Collected(diagnostics=(Diagnostic(_subject(exc), exc.reason),)))
        return Collected.merge(results)


def _subject(exc: ParseError) -> str:
    return f"{exc.path}:{exc.line}" if exc.line is not None else exc.path


INSTALLED_TREES = ("/site-packages/", "/dist-packages/", "/node_modules/")


def _inside_environment(path: str) -> bool:
    # Installed packages ship their own lockfiles and test fixtures (a requirements file in
    # site-packages, a package-lock.json in node_modules/x/); those describe someone else's
    # project, and the environment collectors already report what is installed.
    return any(tree in f"/{path}" for tree in INSTALLED_TREES)
