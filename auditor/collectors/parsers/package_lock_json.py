"""package-lock.json (lockfileVersion 1, 2, 3) and npm-shrinkwrap.json -> npm components.

Versions 2 and 3 are read from `packages` (keys are install folders: `node_modules/a`,
`node_modules/a/node_modules/b`, a workspace folder, or "" for the project); version 1's
nested `dependencies` tree is first turned into the same folder keys, so one resolver
serves all three. Edges follow node's module resolution: a dependency `c` of folder `F`
is the nearest `node_modules/c` walking up from `F`, through `link` entries to their
folders. The project ("") and its workspaces are graph roots, not inventory. Registry
tarball URLs are never recorded (they name a registry host); git sources keep
`vcs_url=git+<url>@<commit>`, other URLs `download_url`, local folders and tarballs
`download_url=file:<path as written>`, each with the declared source as evidence and a
`package.direct-reference` finding. `integrity` (SRI, base64) becomes `algorithm:hex`.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from auditor import purls
from auditor.bounded import TooDeep, load_json
from auditor.collectors import Collected
from auditor.collectors.npm_common import (
    SECTIONS,
    VCS_PREFIXES,
    classify,
    integrity_hashes,
    name_of,
    resolve,
)
from auditor.collectors.parsers import FileParser
from auditor.errors import ParseError
from auditor.model import (
    Component,
    ComponentKind,
    Dependency,
    Evidence,
    Finding,
    Location,
    Strength,
)
from auditor.policy.builtin import finding
from auditor.sources import Tree
from auditor.urls import redact

# `"key": {` on a line of its own. Horizontal space only, and possessive repeats that stop at
# a line's end: `^\s*` crossed blank lines, so each of n blank lines rescanned the rest (n²).
_KEY_LINE = re.compile(r'^[ \t]*+"([^"\\\n]*+(?:\\.[^"\\\n]*+)*+)"[ \t]*+:[ \t]*+\{', re.MULTILINE)


def sniff(head: bytes) -> bool:
    """A JSON object that names a `lockfileVersion`."""
    return head.lstrip().startswith(b"{") and b'"lockfileVersion"' in head


def parse(tree: Tree, path: str) -> Collected:
    """Every installed package of the lock, with edges from the project and workspaces."""
    text = tree.read_text(path)
    try:
        doc = load_json(text)
    except json.JSONDecodeError as exc:
        raise ParseError(path, f"not valid JSON: {exc.msg}", exc.lineno) from None
    except TooDeep as exc:
        raise ParseError(path, f"JSON {exc}") from None
    if not isinstance(doc, dict):
        raise ParseError(path, "expected a JSON object with `lockfileVersion`", 1)
    version = doc.get("lockfileVersion")
    if version not in (1, 2, 3) or isinstance(version, bool):
        raise ParseError(
            path,
            f"unsupported lockfileVersion {version!r}, expected 1, 2 or 3",
            hint="re-lock with npm 7 or later (lockfileVersion 3), or upgrade the auditor",
        )
    lock = _Lock(tree, path, text)
    if version == 1:
        lock.add_v1(doc)
    else:
        lock.add_packages(doc.get("packages"))
    return lock.collect()


class _Lock:
    """One parse: entries keyed by install folder, their lines, and then their purls."""

    def __init__(self, tree: Tree, path: str, text: str) -> None:
        self.tree, self.path = tree, path
        self.key_lines: list[tuple[int, str]] = []
        # Where each key occurs (indices into key_lines): a lookup is a bisection, not a
        # scan of the rest of the file for every key that has no line of its own.
        self.key_at: dict[str, list[int]] = {}
        line, counted = 1, 0
        for match in _KEY_LINE.finditer(text):  # newlines counted once, between matches
            line += text.count("\n", counted, match.start())
            counted = match.start()
            self.key_at.setdefault(match.group(1), []).append(len(self.key_lines))
            self.key_lines.append((line, match.group(1)))
        self.cursor = 0
        self.entries: dict[str, dict[str, Any]] = {}
        self.lines: dict[str, int | None] = {}
        self.rootless = False

    def line_of(self, key: str) -> int | None:
        """The next `"key": {` line: entries are visited in document order."""
        places = self.key_at.get(key, [])
        found = bisect_left(places, self.cursor)
        if found == len(places):
            return None
        self.cursor = places[found] + 1
        return self.key_lines[places[found]][0]

    def add(self, folder: str, entry: Any, line: int | None) -> dict[str, Any]:
        if not isinstance(entry, dict):
            raise ParseError(self.path, f"package {folder or '(root)'!r} must be an object", line)
        for key in ("name", "version", "resolved", "integrity"):
            if key in entry and not isinstance(entry[key], str):
                raise ParseError(self.path, f"package {folder!r}: `{key}` must be a string", line)
        for key in ("devDependencies", *(s for s, _ in SECTIONS)):
            deps = entry.get(key, {})
            if not isinstance(deps, dict) or not all(isinstance(v, str) for v in deps.values()):
                raise ParseError(
                    self.path, f"package {folder!r}: `{key}` must map names to strings", line
                )
        self.entries[folder], self.lines[folder] = entry, line
        return entry

    def add_packages(self, packages: Any) -> None:
        if not isinstance(packages, dict):
            raise ParseError(self.path, "lockfileVersion 2 and 3 need a `packages` object")
        self.line_of("packages")
        for folder, entry in packages.items():
            self.add(folder, entry, self.line_of(folder))

    def add_v1(self, doc: dict[str, Any]) -> None:
        """Version 1: the project from package.json beside the lock, then the nested tree."""
        manifest = self.manifest()
        self.rootless = not manifest  # then nothing says which packages the project asks for
        root: dict[str, Any] = {
            key: value
            for key, value in manifest.items()
            if key in ("devDependencies", *(s for s, _ in SECTIONS))
            and isinstance(value, dict)
            and all(isinstance(v, str) for v in value.values())
        }
        root["workspaces"] = manifest.get("workspaces", [])
        for key in ("name", "version"):
            if isinstance(value := manifest.get(key, doc.get(key)), str):
                root[key] = value
        self.add("", root, None)
        self.add_v1_tree("", doc.get("dependencies", {}), None)

    def add_v1_tree(self, parent: str, deps: Any, line: int | None) -> None:
        if not isinstance(deps, dict):
            raise ParseError(self.path, "`dependencies` must be an object", line)
        for name, raw in deps.items():
            folder = f"{parent}{'/' if parent else ''}node_modules/{name}"
            at = self.line_of(name)
            if not isinstance(raw, dict):
                raise ParseError(self.path, f"dependency {name!r} must be an object", at)
            entry = {k: raw[k] for k in ("resolved", "integrity", "dev", "optional") if k in raw}
            entry["dependencies"] = raw.get("requires", {})
            version = raw.get("version")
            if isinstance(version, str) and version.startswith("npm:"):
                entry["name"], _, entry["version"] = version[4:].rpartition("@")
            elif isinstance(version, str) and (
                version.startswith((*VCS_PREFIXES, "file:")) or "://" in version
            ):
                entry["resolved"] = version
                # a git source's commit (`...#<sha>`) is the best version v1 records for it
                entry["version"] = self.local_version(version) or version.partition("#")[2] or None
            elif version is not None:
                entry["version"] = version
            self.add(folder, {k: v for k, v in entry.items() if v is not None}, at)
            self.add_v1_tree(folder, raw.get("dependencies", {}), at)

    def manifest(self) -> dict[str, Any]:
        """package.json beside the lock (v1 has no project entry); {} when absent or unusable."""
        return self.read_json(posixpath.join(posixpath.dirname(self.path), "package.json"))

    def read_json(self, path: str) -> dict[str, Any]:
        try:
            doc = load_json(self.tree.read_bytes(path)) if self.tree.entry(path) else {}
        except (ParseError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def local_version(self, spec: str) -> str | None:
        if not spec.startswith("file:"):
            return None
        folder = self.tree.resolve_relative(self.path, spec[5:])
        version = self.read_json(f"{folder}/package.json").get("version") if folder else None
        return version if isinstance(version, str) else None

    def collect(self) -> Collected:
        entries, root = self.entries, self.entries.get("", {})
        links = {
            f: e["resolved"]
            for f, e in entries.items()
            if e.get("link") and isinstance(e.get("resolved"), str)
        }
        patterns = root.get("workspaces", [])
        patterns = patterns.get("packages", []) if isinstance(patterns, dict) else patterns
        patterns = (
            [p.strip("./") for p in patterns if isinstance(p, str)]
            if isinstance(patterns, list)
            else []
        )
        roots = {""} | {
            t for t in links.values() if any(fnmatch.fnmatchcase(t, p) for p in patterns)
        }
        names = {target: name_of(link) for link, target in links.items()}
        purl_of: dict[str, str] = {}
        for folder, entry in entries.items():
            if folder in links:
                continue
            name = entry.get("name") or names.get(folder) or (name_of(folder) if folder else "")
            vcs, download = classify(entry.get("resolved", ""))
            if folder in names and folder not in roots:
                download = f"file:{folder}"
            entry["_name"], entry["_source"] = (
                name or posixpath.basename(posixpath.dirname(self.path)) or "project",
                vcs or download,
            )
            try:
                purl_of[folder] = purls.npm(
                    entry["_name"], entry.get("version"), vcs_url=vcs, download_url=download
                )
            except ValueError:  # e.g. `@scope/` with no name
                raise ParseError(
                    self.path,
                    f"package {folder!r}: {entry['_name']!r} is not a package name",
                    self.lines[folder],
                ) from None
        edges = list(self.edges(roots, links, purl_of))
        direct = {target for source, target, _ in edges if source in roots}
        findings: list[Finding] = []
        components = [
            self.component(
                folder, purl_of[folder], None if self.rootless else folder in direct, findings
            )
            for folder in purl_of
            if folder not in roots
        ]
        dependencies = dict.fromkeys(
            Dependency(purl_of[s], purl_of[t], scope=scope) for s, t, scope in edges
        )
        return Collected(tuple(components), tuple(dependencies), tuple(findings))

    def edges(
        self, roots: set[str], links: dict[str, str], purl_of: dict[str, str]
    ) -> Iterator[tuple[str, str, str | None]]:
        for folder in purl_of:
            entry = self.entries[folder]
            sections = [*SECTIONS, ("devDependencies", "dev")] if folder in roots else SECTIONS
            seen: set[str] = set()
            for key, scope in reversed(sections):  # an optional dependency is listed twice
                for name in entry.get(key, {}):
                    target = resolve(folder, name, self.entries)
                    target = links.get(target, target) if target else None
                    if target in purl_of and name not in seen:
                        seen.add(name)
                        yield folder, target, scope

    def component(
        self, folder: str, purl: str, direct: bool | None, findings: list[Finding]
    ) -> Component:
        entry, line = self.entries[folder], self.lines[folder]
        where = f"{self.path}:{line}" if line else self.path
        evidence: list[Evidence] = []
        if entry["_name"] != name_of(folder) and "node_modules/" in folder:
            evidence.append(
                Evidence("package-lock", "alias", name_of(folder), where, Strength.DECLARED)
            )
        if entry["_source"]:
            source = redact(entry.get("resolved") or entry["_source"])
            evidence.append(Evidence("package-lock", "resolved", source, where, Strength.DECLARED))
            message = f"{entry['_name']} is locked to a non-registry source ({source})"
            findings.append(
                finding("package.direct-reference", purl, message, tuple(evidence[-1:]))
            )
        license = entry.get("license")
        return Component(
            purl=purl,
            kind=ComponentKind.LIBRARY,
            name=entry["_name"],
            version=entry.get("version"),
            hashes=integrity_hashes(entry.get("integrity")),
            license=license if isinstance(license, str) else None,
            locations=(Location(self.tree.ref, self.path, line),),
            direct=direct,
            evidence=tuple(evidence),
            found_by=PARSER.name,
        )


PARSER: FileParser = FileParser(
    name="package-lock-json",
    patterns=("package-lock.json", "npm-shrinkwrap.json"),
    parse=parse,
    sniff=sniff,
)
