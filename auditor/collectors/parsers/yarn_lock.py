"""yarn.lock, classic (v1, yarn's own format) and Berry (v2+, YAML) -> npm components and edges.

Also home of what the JavaScript lockfile parsers share (`Locked`, `assemble`, `hashes`,
`split_name`, `source_of`): the pnpm and bun parsers import them from here.

Identity choices (README, "npm package"): registry packages are `pkg:npm/<name>@<version>`
with the scope kept and the registry URL never recorded; an `npm:` alias is the package it
points at; git sources keep `vcs_url=git+<url>@<commit>`; other URLs keep `download_url`;
`file:`/`link:`/`portal:` packages keep `download_url=file:<path>` / `link:<path>` (relative
to the lock's folder), and every non-registry source is a `package.direct-reference` finding.
Workspaces (and the project) are graph roots, never inventory. Berry `patch:` entries are the
base package (same purl) with the patch as evidence; a patch other than yarn's built-in
compatibility patches is also a finding. Berry's `checksum` hashes the zip in yarn's cache,
not the registry tarball, so it is kept as `yarn-zip-sha512:<hex>`, never as `sha512`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import replace
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

# libyaml when the wheel has it: the pure-Python loader is ~10x slower on big locks.

_CLASSIC_HEADER = re.compile(r"(?m)^# yarn lockfile v1\s*$")
_TOKEN = re.compile(r'[ \t]*(?:(?P<q>"(?:[^"\\\n]|\\.)*")|(?P<w>[^\s:,"]+)|(?P<p>[:,]))')
_SCOPES = {"dependencies": None, "optionalDependencies": "optional"}
_BUILTIN_PATCH = "~builtin<"


def sniff(head: bytes) -> bool:
    """The classic header or Berry's `__metadata` block."""
    text = head.decode("utf-8", "replace")
    return bool(_CLASSIC_HEADER.search(text)) or bool(re.search(r"(?m)^__metadata:\s*$", text))


def parse(tree: Tree, path: str) -> Collected:
    """Every locked package, with edges from the project and its workspaces down."""
    text = tree.read_text(path)
    if re.search(r"(?m)^__metadata:\s*$", text):
        return _berry(tree, path, text)
    if not _CLASSIC_HEADER.search(text):
        raise ParseError(path, "expected `# yarn lockfile v1` (classic) or `__metadata:` (Berry)")
    return _classic(tree, path, text)


def _tokens(path: str, number: int, line: str) -> list[tuple[str, str]]:
    """(kind, text) per token of one line: `s` a string (quoted or bare), `p` `:` or `,`."""
    found: list[tuple[str, str]] = []
    position, end = 0, len(line.rstrip())
    while position < end:
        match = _TOKEN.match(line, position)
        if match is None or match.end() == position:
            raise ParseError(path, f"unexpected {line[position:end].strip()[:20]!r}", number)
        if match["q"] is not None:
            raw = match["q"][1:-1]
            found.append(("s", re.sub(r"\\(.)", r"\1", raw)))
        elif match["w"] is not None:
            found.append(("s", match["w"]))
        else:
            found.append(("p", match["p"]))
        position = match.end()
    return found


def _classic_entries(path: str, text: str) -> list[tuple[list[str], dict[str, Any], int]]:
    """(patterns, fields, line) per top-level entry; nested blocks become dicts."""
    entries: list[tuple[list[str], dict[str, Any], int]] = []
    stack: list[tuple[int, dict[str, Any]]] = [(-1, {})]
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        tokens = _tokens(path, number, line)
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        kinds = "".join(kind for kind, _ in tokens)
        if kinds.endswith("p") and tokens[-1][1] == ":" and re.fullmatch(r"s(ps)*p", kinds):
            keys = [value for kind, value in tokens if kind == "s"]
            if any(tokens[i][1] != "," for i in range(1, len(tokens) - 1, 2)):
                raise ParseError(path, "entry keys must be separated by commas", number)
            block: dict[str, Any] = {}
            if indent == 0:
                entries.append((keys, block, number))
            elif len(keys) == 1:
                parent[keys[0]] = block
            else:
                raise ParseError(path, "only top-level entries may have several keys", number)
            stack.append((indent, block))
        elif kinds in ("ss", "sps") and tokens[1][1] in (":", tokens[-1][1]) and indent > 0:
            parent[tokens[0][1]] = tokens[-1][1]
        else:
            raise ParseError(path, "expected `key value` or `key:` opening a block", number)
    return entries


def _classic_source(pattern_range: str, resolved: str) -> tuple[str, str] | None:
    """The non-registry source of a classic entry, from its first pattern and `resolved`."""
    for protocol, kind in (("file:", "file"), ("link:", "link"), ("portal:", "link")):
        if pattern_range.startswith(protocol):
            return kind, posixpath.normpath(pattern_range.removeprefix(protocol))
    if not resolved:
        return None
    url, _, fragment = resolved.partition("#")
    if resolved.startswith(("git+", "git://", "ssh://", "git@")) or url.endswith(".git"):
        vcs = "git+" + redact(url).removeprefix("git+")
        return "git", f"{vcs}@{fragment}" if fragment else vcs
    if re.search(r"/-/[^/]+\.tgz$", url):  # a registry tarball: its host is not kept
        return None
    return "url", redact(url)


def _classic(tree: Tree, path: str, text: str) -> Collected:
    packages: list[Locked] = []
    by_pattern: dict[str, int] = {}
    raw = _classic_entries(path, text)
    for keys, fields, line in raw:
        version, resolved = fields.get("version"), fields.get("resolved", "")
        if not isinstance(version, str) or not isinstance(resolved, str):
            raise ParseError(path, "entry needs a string `version`", line)
        name, wanted = split_name(path, keys[0], line)
        if wanted.startswith("npm:"):  # an alias: the entry is the package it points at
            name, wanted = split_name(path, wanted[4:], line)
        integrity = fields.get("integrity", "")
        sha1 = resolved.rpartition("#")[2] if "#" in resolved else ""
        found = integrity_hashes(integrity)
        if re.fullmatch(r"[0-9a-f]{40}", sha1) and _classic_source(wanted, resolved) is None:
            found = (*found, f"sha1:{sha1}")
        for key in keys:
            by_pattern[key] = len(packages)
        packages.append(Locked(name, version, line, found, _classic_source(wanted, resolved)))
    edges: list[tuple[int, int, str | None]] = []
    for index, (_, fields, line) in enumerate(raw):
        for section, scope in _SCOPES.items():
            for dep, target in _requires(path, line, fields.get(section, {}), section, by_pattern):
                if target is None and scope is None:
                    raise ParseError(path, f"dependency {dep!r} has no entry in the lock", line)
                if target is not None:
                    edges.append((index, target, scope))
    for root, requested in manifests(tree, path).values():
        packages.append(root)
        for name, (wanted, scope) in requested.items():
            if (target := by_pattern.get(f"{name}@{wanted}")) is not None:
                edges.append((len(packages) - 1, target, scope))
    return assemble(PARSER.name, tree.ref, path, packages, edges)


def _requires(
    path: str, line: int, block: Any, section: str, index: dict[str, int]
) -> Iterable[tuple[str, int | None]]:
    """(pattern, entry index or None) per `name range` line of a dependency block."""
    if not isinstance(block, dict):
        raise ParseError(path, f"`{section}` must be a block of `name range` lines", line)
    for name, wanted in block.items():
        if not isinstance(wanted, str):
            raise ParseError(path, f"`{section}.{name}` must be a version range", line)
        pattern = f"{name}@{wanted}"
        yield pattern, index.get(pattern)


def _berry_source(path: str, line: int | None, reference: str) -> tuple[str, str] | None:
    """The non-registry source named by a Berry resolution's reference (after `name@`)."""
    protocol, _, rest = reference.partition(":")
    if protocol in ("npm", "workspace"):  # a workspace is a root, never a component
        return None
    if protocol == "patch":
        return "patch", rest.partition("#")[2].partition("::")[0]
    if protocol in ("file", "link", "portal"):
        local = re.split(r"#|::", rest)[0]
        return ("file" if protocol == "file" else "link"), posixpath.normpath(local)
    if "#commit=" in reference or protocol in ("git", "git+ssh", "git+https", "github"):
        url, _, fragment = reference.partition("#")
        commit = re.search(r"(?:^|&)commit=([0-9a-f]+)", fragment)
        vcs = "git+" + redact(url).removeprefix("git+")
        return "git", f"{vcs}@{commit[1]}" if commit else vcs
    if protocol in ("http", "https"):
        return "url", redact(reference)
    raise ParseError(path, f"unknown resolution protocol {protocol!r}", line)


def _berry(tree: Tree, path: str, text: str) -> Collected:
    doc, node = yaml_document(path, text)
    lines = key_lines(node)
    if not isinstance(doc, dict):
        raise ParseError(path, "expected a mapping of entries at the top level", 1)
    meta = doc.pop("__metadata", None)
    if not isinstance(meta, dict) or not str(meta.get("version", "")).isdigit():
        raise ParseError(path, "`__metadata` needs a numeric `version`", lines.get("__metadata"))
    packages: list[Locked] = []
    by_descriptor: dict[str, int] = {}
    entries = list(doc.items())
    for key, fields in entries:
        line = lines.get(key)
        if not isinstance(fields, dict) or not isinstance(fields.get("resolution"), str):
            raise ParseError(path, f"entry {key!r} needs a `resolution` string", line)
        name, reference = split_name(path, fields["resolution"], line)
        source = _berry_source(path, line, reference)
        version = str(fields.get("version", "")) or None
        if source is not None and source[0] == "patch":
            base = reference.partition("#")[0].removeprefix("patch:")
            name, base_ref = split_name(path, base.replace("%3A", ":"), line)
            source = None if source[1].startswith(_BUILTIN_PATCH) else source
            version = base_ref.removeprefix("npm:") if base_ref.startswith("npm:") else version
        elif source is None:
            version = reference.removeprefix("npm:")
        checksum = str(fields.get("checksum", "")).rpartition("/")[2]
        if checksum and not re.fullmatch(r"[0-9a-f]+", checksum):
            raise ParseError(path, "`checksum` must be hexadecimal", line)
        root = reference.startswith("workspace:")
        version = None if root and version == "0.0.0-use.local" else version
        found = (f"yarn-zip-sha512:{checksum}",) if checksum else ()
        for descriptor in key.split(", "):
            by_descriptor[descriptor] = by_descriptor[descriptor.split("::")[0]] = len(packages)
        packages.append(Locked(name, version, line, found, source, root=root))
    edges: list[tuple[int, int, str | None]] = []
    declared = manifests(tree, path)
    for index, (key, fields) in enumerate(entries):
        workspace = split_name(path, fields["resolution"], None)[1].removeprefix("workspace:")
        manifest, requested = declared.get(posixpath.normpath(workspace), (None, {}))
        if packages[index].root and manifest is not None:
            packages[index] = replace(packages[index], version=manifest.version)
        meta_deps = fields.get("dependenciesMeta") or {}
        for section in ("dependencies", "peerDependencies"):
            block = fields.get(section) or {}
            if not isinstance(block, dict) or not isinstance(meta_deps, dict):
                raise ParseError(path, f"`{section}` must be a mapping", lines.get(key))
            for dep, wanted in block.items():
                target = by_descriptor.get(f"{dep}@{wanted}")
                if target is None and section == "dependencies":
                    message = f"dependency {dep}@{wanted} has no entry in the lock"
                    raise ParseError(path, message, lines.get(key))
                optional = isinstance(meta_deps.get(dep), dict) and meta_deps[dep].get("optional")
                scope = (
                    "peer" if section == "peerDependencies" else "optional" if optional else None
                )
                if packages[index].root and requested.get(dep, ("", None))[1] == "dev":
                    scope = "dev"
                if target is not None:
                    edges.append((index, target, scope))
    return assemble(PARSER.name, tree.ref, path, packages, edges)


# What the JavaScript lockfile parsers share (pnpm_lock_yaml and bun_lock import these).


PARSER: FileParser = FileParser(name="yarn-lock", patterns=("yarn.lock",), parse=parse, sniff=sniff)
