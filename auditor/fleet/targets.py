"""A targets file: one target per line, as `auditor scan` takes them, or a lockfile's URL.

Blank lines and lines starting with `#` are skipped. A relative path is made absolute from
the file's folder (workers run elsewhere, in other working directories). A URL line must lie
under a configured source (`auditor.fleet.sources`) and name a file the collectors recognise
by name (`uv.lock`, `requirements.txt`, …); it is kept in its normal form, credentials
stripped. Every bad line is reported at once, each named by its number, and nothing is
submitted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import UsageError
from auditor.fleet.sources import Sources, is_url, parse_location

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
    credentials_stripped: bool = False
    """A URL line whose `user:password@` was left out (it is never stored)."""


def read_targets(path: Path, sources: Sources | None = None) -> tuple[Line, ...]:
    """The targets in `path`, in order; UsageError naming every bad line. URL lines are
    allowed only under `sources`."""
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
        if problem is None and is_url(stripped):
            problem = url_problem(stripped, sources or Sources())
        if problem is not None:
            problems.append(f"{path}:{number}: {problem}")
            continue
        if is_url(stripped):
            location = parse_location(stripped)
            target, stripped_credentials = location.url, location.had_credentials
        else:
            target, stripped_credentials = _absolute(stripped, base), False
        if target in seen:
            problems.append(f"{path}:{number}: {target!r} is already on line {seen[target]}")
            continue
        seen[target] = number
        lines.append(Line(number, target, stripped_credentials))
    if problems:
        raise UsageError(
            "\n".join(problems),
            hint="one target per line: a path, kind:PATH, or a lockfile URL under a configured "
            "source (# comments)",
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
    if is_url(line):
        return None
    if line.lower().startswith(("oci://", "docker://")):
        return (
            f"{_short(line)}: registry images are not supported yet; give an image archive "
            "the workers can read"
        )
    prefix, sep, rest = line.partition(":")
    if sep and len(prefix) > 1 and "/" not in prefix and "\\" not in prefix:
        if prefix not in PREFIXES:
            return f"unknown target kind {prefix!r} (one of {', '.join(PREFIXES)})"
        if not rest and prefix not in DEFAULT_LOCATIONS:
            return f"'{prefix}:' needs a path after it"
        if is_url(rest):
            return f"'{prefix}:' takes a path; give a lockfile URL alone on its line"
    return None


def url_problem(line: str, sources: Sources) -> str | None:
    """Why the URL line `line` cannot be a target, or None. The message names the URL
    without credentials (it is printed)."""
    from auditor.collectors.parsers import registered_for
    from auditor.urls import redact

    problem = sources.problem(line)
    if problem is None:
        name = parse_location(line).file_name
        if not name or registered_for(name) is None:
            problem = (
                f"{name or 'the URL'} is no file the scanner recognises by name "
                "(uv.lock, poetry.lock, requirements.txt, package-lock.json, …)"
            )
    return None if problem is None else f"{_short(redact(line))}: {problem}"


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
