"""One module per lockfile format, named after the file it reads; registered in PARSERS.

A parser is a pure function from a file in a Tree to Collected. It raises ParseError
(with the file and line) for input it cannot use; the caller decides whether that is fatal
(a named target) or a Diagnostic (a file discovered while walking).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

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

    def matches(self, path: str) -> bool:
        """Whether a discovered file at `path` is for this parser."""
        name = path.rpartition("/")[2]
        tail = "/".join(path.split("/")[-2:])
        return any(fnmatch.fnmatchcase(tail if "/" in p else name, p) for p in self.patterns)


def parser_for(path: str, head: bytes | None = None) -> FileParser | None:
    """The parser for a file by name, else (for a named file) by its first bytes.

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
    if found is not None:
        return found[1]
    if head is not None:
        for parser in PARSERS:
            if parser.sniff is not None and parser.sniff(head):
                return parser
    return None


@cache
def _lookup() -> tuple[dict[str, tuple[int, FileParser]], tuple[tuple[int, FileParser], ...]]:
    """(exact file name -> first parser claiming it, wildcard parsers), in registry order."""
    exact: dict[str, tuple[int, FileParser]] = {}
    wild: list[tuple[int, FileParser]] = []
    for index, parser in enumerate(PARSERS):
        literal = [p for p in parser.patterns if not any(c in p for c in "*?[/")]
        for pattern in literal:
            exact.setdefault(pattern, (index, parser))
        if len(literal) < len(parser.patterns):
            wild.append((index, parser))
    return exact, tuple(wild)


# The registry sits below the interface it registers because its modules import it.
from auditor.collectors.parsers import (  # noqa: E402
    bun_lock,
    package_lock_json,
    pdm_lock,
    pipfile_lock,
    pnpm_lock_yaml,
    poetry_lock,
    pylock_toml,
    requirements_txt,
    uv_lock,
    yarn_lock,
)

PARSERS: tuple[FileParser, ...] = (
    uv_lock.PARSER,
    requirements_txt.PARSER,
    package_lock_json.PARSER,
    yarn_lock.PARSER,
    pnpm_lock_yaml.PARSER,
    bun_lock.PARSER,
    poetry_lock.PARSER,
    pipfile_lock.PARSER,
    pdm_lock.PARSER,
    pylock_toml.PARSER,
)
"""Every lockfile parser; the first whose patterns match a file's name wins."""
