"""A targets file: one target per line, as `auditor scan` takes them.

Blank lines and lines starting with `#` are skipped. A relative path is made absolute from
the file's folder (workers run elsewhere, in other working directories). Every bad line is
reported at once, each named by its number, and nothing is submitted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import UsageError

MAX_LINE = 4096
"""Longer lines are refused: no path or reference is that long."""
PREFIXES = ("lockfile", "dir", "env", "image", "hf-cache", "modelscope")
"""`kind:` prefixes `auditor scan` understands (auditor.pipeline.PREFIXES)."""
DEFAULT_LOCATIONS = ("hf-cache", "modelscope")
"""Prefixes that mean the worker's own default cache when given alone."""


@dataclass(frozen=True, slots=True)
class Line:
    """One target of the file."""

    number: int
    target: str


def read_targets(path: Path) -> tuple[Line, ...]:
    """The targets in `path`, in order; UsageError naming every bad line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        number = data[: exc.start].count(b"\n") + 1
        raise UsageError(f"{path}:{number}: not UTF-8 text") from exc
    base = path.resolve().parent
    problems: list[str] = []
    lines: list[Line] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        problem = _problem(stripped)
        if problem is not None:
            problems.append(f"{path}:{number}: {problem}")
            continue
        target = _absolute(stripped, base)
        if target in seen:
            problems.append(f"{path}:{number}: {target!r} is already on line {seen[target]}")
            continue
        seen[target] = number
        lines.append(Line(number, target))
    if problems:
        raise UsageError(
            "\n".join(problems), hint="one target per line: a path, or kind:PATH (# comments)"
        )
    if not lines:
        raise UsageError(f"{path}: no targets (one per line; # starts a comment)")
    return tuple(lines)


def _problem(line: str) -> str | None:
    """What is wrong with one stripped line, or None."""
    if len(line) > MAX_LINE:
        return f"line is {len(line)} characters long (at most {MAX_LINE})"
    if any(ord(c) < 32 or ord(c) == 127 for c in line):
        return "control character in the line"
    lowered = line.lower()
    if lowered.startswith(("http://", "https://", "oci://", "docker://")):
        return (
            f"{_short(line)}: remote targets are not supported yet; give a path the "
            "workers can read"
        )
    prefix, sep, rest = line.partition(":")
    if sep and len(prefix) > 1 and "/" not in prefix and "\\" not in prefix:
        if prefix not in PREFIXES:
            return f"unknown target kind {prefix!r} (one of {', '.join(PREFIXES)})"
        if not rest and prefix not in DEFAULT_LOCATIONS:
            return f"'{prefix}:' needs a path after it"
    return None


def _absolute(line: str, base: Path) -> str:
    """`line` with a relative path made absolute from `base` (the prefix kept)."""
    prefix, sep, rest = line.partition(":")
    if sep and prefix in PREFIXES:
        return f"{prefix}:{_absolute_path(rest, base)}" if rest else line
    return _absolute_path(line, base)


def _absolute_path(path: str, base: Path) -> str:
    expanded = os.path.expanduser(path)
    return expanded if os.path.isabs(expanded) else os.path.normpath(base / expanded)


def _short(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
