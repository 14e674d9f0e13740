"""pnpm-lock.yaml, lockfile versions 6.x (pnpm 8) and 9.x (pnpm 9+) -> npm components and edges.

v6 keys packages `/name@1.0.0(peer@2.0.0)` and lists their dependencies there; v9 keys
`packages` without peers (`name@1.0.0`) and moves dependencies to `snapshots`, one per
peer-resolved instance. Peer suffixes are not part of the version: every instance of a
package is one component. Importers (the project and its workspaces, by folder) are graph
roots; their `devDependencies`/`optionalDependencies` give the edge scopes. Identities and
source findings are those of yarn_lock (shared helpers): directory resolutions are `file:`,
`link:` references `link:`, git resolutions `vcs_url`, tarball URLs `download_url`.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from auditor.collectors import Collected
from auditor.collectors.npm_common import (
    Locked,
    assemble,
    integrity_hashes,
    key_lines,
    manifests,
    split_name,
    yaml_document,
)
from auditor.collectors.parsers import FileParser
from auditor.errors import ParseError
from auditor.sources import Tree
from auditor.urls import redact

_SECTIONS = (
    ("dependencies", None),
    ("devDependencies", "dev"),
    ("optionalDependencies", "optional"),
)


def sniff(head: bytes) -> bool:
    """A YAML head starting with pnpm's `lockfileVersion`."""
    return bool(re.match(rb"\s*lockfileVersion:\s*'?[0-9]", head))


def _base(key: str) -> str:
    """`name@1.0.0(peer@2.0.0)` -> `name@1.0.0`; v6 keys also lose their leading `/`."""
    return key.removeprefix("/").split("(", 1)[0]


def _source(
    path: str, line: int | None, name: str, fields: dict[str, Any]
) -> tuple[str, str] | None:
    resolution = fields.get("resolution", {})
    if not isinstance(resolution, dict):
        raise ParseError(path, f"{name}: `resolution` must be a mapping", line)
    if resolution.get("type") == "directory":
        return "file", posixpath.normpath(str(resolution.get("directory", ".")))
    if resolution.get("type") == "git" or "commit" in resolution:
        repo = redact(str(resolution.get("repo", "")))
        return "git", f"git+{repo.removeprefix('git+')}@{resolution.get('commit', '')}"
    if "tarball" in resolution:
        tarball = str(resolution["tarball"])
        if tarball.startswith("file:"):
            return "file", posixpath.normpath(tarball.removeprefix("file:"))
        return None if re.search(r"/-/[^/]+\.tgz$", tarball) else ("url", redact(tarball))
    return None


def parse(tree: Tree, path: str) -> Collected:
    """Every locked package, with edges from the importers down."""
    doc, node = yaml_document(path, tree.read_text(path))
    if not isinstance(doc, dict):
        raise ParseError(path, "expected a mapping with `lockfileVersion` at the top level", 1)
    version = str(doc.get("lockfileVersion", ""))
    if not re.fullmatch(r"[69]\.[0-9]+", version):
        raise ParseError(
            path,
            f"unsupported pnpm lockfile version {version or None!r}, expected 6.x or 9.x",
            key_lines(node).get("lockfileVersion"),
            hint="re-lock with pnpm 8 or later",
        )
    v9 = version.startswith("9")
    lines = key_lines(node, "packages")
    entries = doc.get("packages") or {}
    snapshots = (doc.get("snapshots") or {}) if v9 else entries
    importers = doc.get("importers") or {".": doc}
    if not all(isinstance(x, dict) for x in (entries, snapshots, importers)):
        raise ParseError(path, "`packages`, `snapshots` and `importers` must be mappings")
    packages: list[Locked] = []
    index: dict[str, int] = {}
    for key, fields in entries.items():
        line = lines.get(str(key))
        if not isinstance(fields, dict):
            raise ParseError(path, f"package {key!r} must be a mapping", line)
        base = _base(str(key))
        name, ref = split_name(path, base, line) if "@" in base[1:] else (base, "")
        name = str(fields.get("name", name))
        source = _source(path, line, name, fields)
        found = fields.get("version", ref if source is None else None)
        integrity = fields.get("resolution", {}).get("integrity")
        index[base] = len(packages)
        packages.append(
            Locked(name, str(found) if found else None, line, integrity_hashes(integrity), source)
        )

    def target(name: str, ref: Any, owner: int | None) -> int | None:
        ref = str(ref)
        if ref.startswith("link:"):
            return None  # a workspace link (a root) or a linked folder outside the lock
        # an alias or v6 path (`/lodash@4.18.1`, `lodash@4.18.1`, `file:x`) is itself a key;
        # a plain version (peers and all) is one once the name is put in front
        found = index.get(_base(ref), index.get(_base(f"{name}@{ref}")))
        if found is None:
            line = packages[owner].line if owner is not None else None
            raise ParseError(path, f"dependency {name} {ref} is not a package in the lock", line)
        return found

    edges: list[tuple[int, int, str | None]] = []
    for key, fields in snapshots.items():
        owner = index.get(_base(str(key)))
        if owner is None or not isinstance(fields, dict):
            line = key_lines(node, "snapshots" if v9 else "packages").get(str(key))
            raise ParseError(path, f"snapshot {key!r} has no package entry", line)
        for section, scope in _SECTIONS[::2]:
            for dep, ref in _block(path, fields, section, packages[owner].line):
                if (found := target(dep, ref, owner)) is not None:
                    edges.append((owner, found, scope))
    declared = manifests(tree, path)
    for folder, fields in importers.items():
        folder = posixpath.normpath(str(folder))
        root, requested = declared.get(folder, (None, {}))
        name = posixpath.basename(folder).strip(".") or "root"  # no package.json to name it
        packages.append(root or Locked(name, None, None, root=True))
        if not isinstance(fields, dict):
            raise ParseError(path, f"importer {folder!r} must be a mapping")
        for section, scope in _SECTIONS:
            for dep, pinned in _block(path, fields, section, None):
                locked = pinned.get("version") if isinstance(pinned, dict) else pinned
                # pnpm installs a project's own peers (autoInstallPeers) as dependencies
                peer = requested.get(dep, ("", None))[1] == "peer" and scope is None
                if (found := target(dep, locked, None)) is not None:
                    edges.append((len(packages) - 1, found, "peer" if peer else scope))
    return assemble(PARSER.name, tree.ref, path, packages, edges)


def _block(path: str, fields: dict[str, Any], section: str, line: int | None) -> list[Any]:
    block = fields.get(section) or {}
    if not isinstance(block, dict):
        raise ParseError(path, f"`{section}` must be a mapping", line)
    return list(block.items())


PARSER: FileParser = FileParser(
    name="pnpm-lock-yaml", patterns=("pnpm-lock.yaml",), parse=parse, sniff=sniff
)
