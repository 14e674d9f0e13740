"""bun.lock (bun's text lockfile, JSON with trailing commas) -> npm components and edges.

`workspaces` maps folders ("" is the project) to their manifests: they are graph roots.
`packages` maps install paths (`is-odd/is-number` is is-odd's own copy) to
`[name@version, registry, {dependencies...}, integrity]` for registry packages and shorter
arrays for `file:`, `link:`, `workspace:`, git and tarball packages. A dependency `d` of the
package at `a/b` is found like node finds it: `a/b/d`, then `a/d`, then `d`. Identities and
findings are those of yarn_lock (shared helpers); the registry URL is never recorded.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from auditor.bounded import TooDeep, load_json, strip_jsonc
from auditor.collectors import Collected
from auditor.collectors.npm_common import Locked, assemble, integrity_hashes, split_name
from auditor.collectors.parsers import FileParser
from auditor.errors import ParseError
from auditor.sources import Tree
from auditor.urls import redact

# One line per key; possessive repeats that never cross a line keep this linear.
_KEY_LINE = re.compile(r'^    "([^"\\\n]*+(?:\\.[^"\\\n]*+)*+)": \[', re.M)
_SECTIONS = (
    ("dependencies", None),
    ("devDependencies", "dev"),
    ("optionalDependencies", "optional"),
    ("peerDependencies", "peer"),
)


def sniff(head: bytes) -> bool:
    """A JSON object whose first key is `lockfileVersion` followed by `workspaces`."""
    return bool(re.match(rb'\s*\{\s*"lockfileVersion":\s*\d+,', head)) and b'"workspaces"' in head


def _segments(key: str) -> list[str]:
    """`@a/b/c/@d/e` -> [`@a/b`, `c`, `@d/e`]: install paths nest package names."""
    parts, found = key.split("/"), []
    while parts:
        part = parts.pop(0)
        found.append(f"{part}/{parts.pop(0)}" if part.startswith("@") and parts else part)
    return found


def _source(reference: str) -> tuple[str, str] | None:
    protocol, _, rest = reference.partition(":")
    if protocol in ("file", "link"):
        return protocol, posixpath.normpath(rest)
    if protocol in ("github", "git", "git+ssh", "git+https") or "#" in reference:
        url, _, commit = reference.partition("#")
        url = f"https://github.com/{rest}" if protocol == "github" else url
        url = "git+" + redact(url.partition("#")[0]).removeprefix("git+")
        return "git", f"{url}@{commit}" if commit else url
    if protocol in ("http", "https"):
        return "url", redact(reference)
    return None


def parse(tree: Tree, path: str) -> Collected:
    """Every locked package except workspaces, with edges from the workspaces down."""
    text = tree.read_text(path)
    try:
        doc = load_json(strip_jsonc(text))
    except json.JSONDecodeError as exc:
        raise ParseError(path, f"not valid JSON: {exc.msg}", exc.lineno) from None
    except TooDeep as exc:
        raise ParseError(path, f"JSON {exc}") from None
    if not isinstance(doc, dict) or doc.get("lockfileVersion") not in (0, 1, 2):
        raise ParseError(path, "expected `lockfileVersion` 0, 1 or 2", 1)
    workspaces, entries = doc.get("workspaces", {}), doc.get("packages", {})
    if not isinstance(workspaces, dict) or not isinstance(entries, dict):
        raise ParseError(path, "`workspaces` and `packages` must be objects")
    lines = _key_lines(text)
    packages: list[Locked] = []
    index: dict[str, int] = {}
    folders: dict[str, int] = {}  # workspace folder -> its own `packages` entry
    for key, value in entries.items():
        line = lines.get(key)
        if not isinstance(value, list) or not value or not isinstance(value[0], str):
            raise ParseError(
                path, f"package {key!r} must be an array starting with name@version", line
            )
        name, reference = split_name(path, value[0], line)
        source = _source(reference)
        integrity = value[-1] if len(value) > 3 else None
        version = reference if source is None and ":" not in reference else None
        root = reference.startswith("workspace:")
        if root:
            folders[posixpath.normpath(reference.removeprefix("workspace:"))] = len(packages)
        index[key] = len(packages)
        packages.append(Locked(name, version, line, integrity_hashes(integrity), source, root=root))
    edges: list[tuple[int, int, str | None]] = []
    for key, value in entries.items():
        meta = next((v for v in value[1:3] if isinstance(v, dict)), {})
        _edges(path, index, edges, index[key], _segments(key), meta, lines.get(key))
    for folder, manifest in workspaces.items():
        if not isinstance(manifest, dict):
            raise ParseError(path, f"workspace {folder!r} must be an object")
        named, version = manifest.get("name"), manifest.get("version")
        name = named if isinstance(named, str) and named else posixpath.basename(folder) or "root"
        project = Locked(name, version if isinstance(version, str) else None, None, root=True)
        owner = folders.get(posixpath.normpath(folder) if folder else "", len(packages))
        if owner == len(packages):
            packages.append(project)
        packages[owner] = project  # one node per workspace, named by its manifest
        _edges(path, index, edges, owner, [name] if folder else [], manifest, None)
    return assemble(PARSER.name, tree.ref, path, packages, edges)


def _key_lines(text: str) -> dict[str, int]:
    """The line of each `packages` key; newlines are counted once, between matches (counting
    from the top for each key was quadratic in the file's length)."""
    lines: dict[str, int] = {}
    line, counted = 1, 0
    for match in _KEY_LINE.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        lines[json.loads(f'"{match[1]}"')] = line
    return lines


def _edges(
    path: str,
    index: dict[str, int],
    edges: list[tuple[int, int, str | None]],
    owner: int,
    at: list[str],
    manifest: dict[str, Any],
    line: int | None,
) -> None:
    """Edges from `owner` (installed at path `at`) for each section of its manifest."""
    for section, scope in _SECTIONS:
        block = manifest.get(section, {})
        if not isinstance(block, dict):
            raise ParseError(path, f"`{section}` must be an object", line)
        for dep in block:
            candidates = ("/".join([*at[:depth], dep]) for depth in range(len(at), -1, -1))
            found = next((index[c] for c in candidates if c in index), None)
            if found is None and scope in (None, "dev"):
                raise ParseError(path, f"dependency {dep!r} is not a package in the lock", line)
            if found is not None and found != owner:
                edges.append((owner, found, scope))


PARSER: FileParser = FileParser(name="bun-lock", patterns=("bun.lock",), parse=parse, sniff=sniff)
