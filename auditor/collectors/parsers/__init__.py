"""One module per lockfile format, named after the file it reads; registered in PARSERS.

A parser is a pure function from a file in a Tree to Collected. It raises ParseError
(with the file and line) for input it cannot use; the caller decides whether that is fatal
(a named target) or a Diagnostic (a file discovered while walking).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from auditor.collectors import Collected
from auditor.sources import Tree


@dataclass(frozen=True, slots=True)
class FileParser:
    """What a parser module exports as PARSER."""

    name: str
    """Stable kebab-case name, used in `found_by` and diagnostics."""
    patterns: tuple[str, ...]
    """fnmatch patterns on the file name (or `dir/name` where they contain a slash)."""
    parse: Callable[[Tree, str], Collected]
    sniff: Callable[[bytes], bool] | None = None
    """For a named file whose name matches no pattern: does its start look like ours?"""
    sbom: bool = False
    """An SBOM format: a file it reads, named as a target, is of kind `sbom`."""

    def matches(self, path: str) -> bool:
        """Whether a discovered file at `path` is for this parser."""
        return _matches(self.patterns, path)


@dataclass(frozen=True, slots=True)
class Registered:
    """A registry line: a parser's name and file patterns, its module imported only when a
    file it claims is found (start-up is most of a small scan's wall time)."""

    name: str
    patterns: tuple[str, ...]
    """The module's PARSER.patterns (tests/test_registry.py keeps the two equal)."""
    module: str
    """The module's name inside this package."""

    def load(self) -> FileParser:
        """The module's PARSER (the import is cached by Python)."""
        parser = import_module(f"{__name__}.{self.module}").PARSER
        assert isinstance(parser, FileParser)
        return parser

    def matches(self, path: str) -> bool:
        """Whether a discovered file at `path` is for this parser."""
        return _matches(self.patterns, path)


def _matches(patterns: tuple[str, ...], path: str) -> bool:
    name = path.rpartition("/")[2]
    tail = "/".join(path.split("/")[-2:])
    return any(fnmatch.fnmatchcase(tail if "/" in p else name, p) for p in patterns)


def parser_for(path: str, head: bytes | None = None) -> FileParser | None:
    """The parser for a file by name, else (for a named file) by its first bytes.

    Only the parser that claims the file is imported (every parser's, to sniff a named file
    whose name none of them claims).
    """
    entry = registered_for(path)
    if entry is not None:
        return entry.load()
    if head is not None:
        for registered in PARSERS:
            parser = registered.load()
            if parser.sniff is not None and parser.sniff(head):
                return parser
    return None


def sbom_parser_for(path: str, head: bytes) -> FileParser | None:
    """The SBOM parser for a file named with the `sbom:` prefix: by name, else by its first
    bytes (every parser is imported to ask); None when no SBOM format claims it."""
    entry = registered_for(path)
    if entry is not None and entry.load().sbom:
        return entry.load()
    for registered in PARSERS:
        parser = registered.load()
        if parser.sbom and parser.sniff is not None and parser.sniff(head):
            return parser
    return None


def registered_for(path: str) -> Registered | None:
    """The registry line claiming a file by its name; imports nothing.

    Called for every file of a walked tree (tens of thousands in a venv), so exact file
    names are a dict lookup and only the few wildcard patterns are matched.
    """
    exact, wild = _lookup()
    found = exact.get(path.rpartition("/")[2])
    for index, parser in wild:
        if found is not None and index > found[0]:
            break  # an earlier-registered parser already claims the file
        if parser.matches(path):
            found = (index, parser)
            break
    return found[1] if found is not None else None


def any_registered(paths: list[str], names: set[str]) -> bool:
    """`any(registered_for(p) is not None for p in paths)`, `names` being their base names:
    exact names by one set intersection, wildcard patterns by one compiled expression per
    pattern over the distinct names (or the last two parts, for a pattern with a folder)."""
    exact, _ = _lookup()
    if not names.isdisjoint(exact):
        return True
    on_names, on_tails = _wild_expressions()
    if on_names is not None and any(on_names.match(n) for n in names):
        return True
    if on_tails is not None:
        tails = {"/".join(p.split("/")[-2:]) for p in paths}
        return any(on_tails.match(t) for t in tails)
    return False


@cache
def _wild_expressions() -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """The wildcard patterns (as fnmatchcase reads them) on names and on `folder/name`."""
    wild = [p for r in PARSERS for p in r.patterns if any(c in p for c in "*?[/")]
    names = [fnmatch.translate(p) for p in wild if "/" not in p]
    tails = [fnmatch.translate(p) for p in wild if "/" in p]
    return (
        re.compile("|".join(names)) if names else None,
        re.compile("|".join(tails)) if tails else None,
    )


@cache
def _lookup() -> tuple[dict[str, tuple[int, Registered]], tuple[tuple[int, Registered], ...]]:
    """(exact file name -> first parser claiming it, wildcard parsers), in registry order."""
    exact: dict[str, tuple[int, Registered]] = {}
    wild: list[tuple[int, Registered]] = []
    for index, parser in enumerate(PARSERS):
        literal = [p for p in parser.patterns if not any(c in p for c in "*?[/")]
        for pattern in literal:
            exact.setdefault(pattern, (index, parser))
        if len(literal) < len(parser.patterns):
            wild.append((index, parser))
    return exact, tuple(wild)


PARSERS: tuple[Registered, ...] = (
    Registered("uv-lock", ("uv.lock",), "uv_lock"),
    Registered(
        "requirements-txt", ("*requirements*.txt", "requirements/*.txt"), "requirements_txt"
    ),
    Registered(
        "package-lock-json", ("package-lock.json", "npm-shrinkwrap.json"), "package_lock_json"
    ),
    Registered("yarn-lock", ("yarn.lock",), "yarn_lock"),
    Registered("pnpm-lock-yaml", ("pnpm-lock.yaml",), "pnpm_lock_yaml"),
    Registered("bun-lock", ("bun.lock",), "bun_lock"),
    Registered("poetry-lock", ("poetry.lock",), "poetry_lock"),
    Registered("pipfile-lock", ("Pipfile.lock",), "pipfile_lock"),
    Registered("pdm-lock", ("pdm.lock",), "pdm_lock"),
    Registered("pylock-toml", ("pylock.toml", "pylock.*.toml"), "pylock_toml"),
    Registered("cyclonedx-json", ("*.cdx.json", "bom.json"), "cyclonedx_json"),
    Registered("cyclonedx-xml", ("*.cdx.xml", "bom.xml"), "cyclonedx_xml"),
    Registered("syft-json", ("*.syft.json",), "syft_json"),
    Registered("spdx-json", ("*.spdx.json",), "spdx_json"),
    Registered("spdx-tag-value", ("*.spdx",), "spdx_tag_value"),
    Registered("spdx3-jsonld", ("*.spdx3.json", "*.spdx.jsonld"), "spdx3_jsonld"),
)
"""Every lockfile parser; the first whose patterns match a file's name wins."""
