"""Hub downloads in Dockerfiles and shell scripts: `huggingface-cli download REPO` and
`hf download REPO` (huggingface_hub's CLIs), with `--revision` and `--repo-type`.

Continuation lines are joined (the reference's line is where its command starts); the
command ends at `&&`, `||`, `;` or `|`. Arguments are split with `shlex`.
"""

from __future__ import annotations

import re
import shlex

from auditor.references import Extracted, ModelReference
from auditor.weights.lineage import repo_id

COMMAND = re.compile(r"(?:^|[\s;&|(`])(huggingface-cli|hf)\s+download\s+(.*)")
_VALUED = frozenset(
    {
        "--revision",
        "--repo-type",
        "--local-dir",
        "--cache-dir",
        "--token",
        "--max-workers",
        "--include",
        "--exclude",
        "--format",
        "--local-dir-use-symlinks",
        "--etag-timeout",
    }
)
_END = re.compile(r"\s(?:&&|\|\||;|\|)\s|;\s*$")


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), 1):
        if not parts:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(stripped)
        lines.append((start, " ".join(parts)))
        parts = []
    if parts:
        lines.append((start, " ".join(parts)))
    return lines


def shell_references(path: str, text: str) -> Extracted:
    """References in one Dockerfile or shell script."""
    if "download" not in text:
        return Extracted()
    found: list[ModelReference] = []
    for line, logical in _logical_lines(text):
        if logical.lstrip().startswith("#"):
            continue
        for match in COMMAND.finditer(logical):
            rest = _END.split(match.group(2), maxsplit=1)[0]
            try:
                words = shlex.split(rest, comments=True)
            except ValueError:
                words = rest.split()
            options: dict[str, str] = {}
            positional: list[str] = []
            i = 0
            while i < len(words):
                word = words[i]
                if word.startswith("--") and "=" in word:
                    key, _, value = word.partition("=")
                    options[key] = value
                elif word in _VALUED and i + 1 < len(words):
                    options[word] = words[i + 1]
                    i += 1
                elif not word.startswith("-"):
                    positional.append(word)
                i += 1
            repo = repo_id(positional[0]) if positional else None
            if repo is None:
                continue
            repo_type = options.get("--repo-type")
            found.append(
                ModelReference(
                    repo,
                    path,
                    line,
                    f"{match.group(1)} download",
                    options.get("--revision"),
                    repo_type=repo_type if repo_type in ("dataset", "space") else None,
                )
            )
    return Extracted(tuple(found))
