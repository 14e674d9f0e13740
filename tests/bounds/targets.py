"""What `tests.bounded.run_bounded` calls in the child process: one input through our code.

Each function takes the path of the input file and returns a short summary; an exception
it raises is judged by the test (a clean ParseError is fine, anything else is a bug).
"""

from __future__ import annotations

from pathlib import Path

from auditor.collectors.parsers import parser_for
from auditor.sources.directory import DirectoryTree


def parse_lockfile(path: str) -> str:
    """The registered parser for the file's name, on a tree holding only that file."""
    file = Path(path)
    parser = parser_for(file.name)
    assert parser is not None, file.name
    collected = parser.parse(DirectoryTree("t", file.parent, only=(file.name,)), file.name)
    return f"{len(collected.components)} components, {len(collected.dependencies)} edges"
