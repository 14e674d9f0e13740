"""uv.lock (lock format version 1) -> pypi components, dependency edges and source findings.

The project itself (its workspace members, or the single editable/virtual "." package) is
the graph's root: it gets edges but is not part of the inventory. Identity choices:
registry packages are plain `pkg:pypi/<name>@<version>` and their index URL is never
recorded (it can hold credentials and names a registry host); git sources keep
`vcs_url=git+<url>@<commit>`; URL sources keep `download_url=<url>`; local path, directory
and editable sources keep `download_url=file:<path as written in the lock>` (relative to the
lock's folder), so a local package never shares a purl with a registry release of the same
name and is never looked up there. URL credentials are dropped everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from packaging.utils import canonicalize_name

from auditor import purls
from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
from auditor.collectors.python_lock import headers, load_toml, pinned_files
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

_KINDS = ("registry", "git", "url", "path", "directory", "editable", "virtual")
_ROOT_SOURCES = ("editable", "virtual")
_LOCAL_SOURCES = ("path", "directory", "editable", "virtual")
_HASH = re.compile(r"[a-z0-9]+:[0-9a-f]+")


def sniff(head: bytes) -> bool:
    """A TOML head with `version = 1` and a package table or `requires-python`."""
    text = head.decode("utf-8", "replace")
    return bool(re.search(r"(?m)^version\s*=\s*1\s*$", text)) and (
        "[[package]]" in text or bool(re.search(r"(?m)^requires-python\s*=", text))
    )


def parse(tree: Tree, path: str) -> Collected:
    """Every locked package except the project roots, with edges from the roots down."""
    text, doc = load_toml(tree, path)
    if doc.get("version") != 1:
        raise ParseError(
            path,
            f"unsupported uv lock format version {doc.get('version')!r}, expected 1",
            hint="re-lock with a uv release that writes lock version 1, or upgrade the auditor",
        )
    return _Lock(path, tree.ref, text, doc).collect()


class _Lock:
    """One parse: package records keyed by position, with their purls and header lines."""

    def __init__(self, path: str, ref: str, text: str, doc: dict[str, Any]) -> None:
        self.path, self.ref = path, ref
        packages = doc.get("package", [])
        if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
            raise ParseError(path, "`package` must be an array of tables ([[package]])")
        self.lines = headers(text, "package", len(packages))
        self.packages: list[dict[str, Any]] = packages
        self.by_name: dict[str, list[int]] = {}
        for index, package in enumerate(packages):
            if not isinstance(package.get("name"), str) or not package["name"]:
                raise self.error(index, "package needs a string `name`")
            if not isinstance(package.get("version", ""), str):
                raise self.error(index, "package `version` must be a string")
            if not isinstance(package.setdefault("source", {}), dict):
                raise self.error(index, "`source` must be an inline table")
            self.by_name.setdefault(canonicalize_name(package["name"]), []).append(index)
        manifest = doc.get("manifest", {})
        members = manifest.get("members", []) if isinstance(manifest, dict) else []
        members = {canonicalize_name(m) for m in members if isinstance(m, str)}
        self.roots = {
            i
            for i, p in enumerate(packages)
            if self.kind(i) in _ROOT_SOURCES
            and (
                canonicalize_name(p["name"]) in members
                or (not members and p["source"].get(self.kind(i)) == ".")
            )
        }
        self.purls = [self.purl(i) for i in range(len(packages))]

    def error(self, index: int, message: str) -> ParseError:
        return ParseError(self.path, message, self.lines[index])

    def kind(self, index: int) -> str:
        """The source kind: registry, git, url, path, directory, editable or virtual."""
        source = self.packages[index]["source"]
        return next((k for k in _KINDS if k in source), next(iter(source), "registry"))

    def purl(self, index: int) -> str:
        package, kind = self.packages[index], self.kind(index)
        value = str(package["source"].get(kind, "")) if index not in self.roots else ""
        vcs = download = None
        if kind == "git":
            url = urlsplit(redact(value))
            vcs = f"git+{urlunsplit(url._replace(query='', fragment=''))}"
            vcs += f"@{url.fragment}" if url.fragment else ""
        elif kind == "url":
            download = redact(value)
        elif kind in _LOCAL_SOURCES and value:
            download = f"file:{value}"
        return purls.pypi(
            package["name"], package.get("version"), vcs_url=vcs, download_url=download
        )

    def targets(self, entry: Any, owner: int) -> Iterator[int]:
        """The packages a dependency entry names; version and source disambiguate forks."""
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise self.error(owner, "a dependency must be an inline table with a `name`")
        found = [
            i
            for i in self.by_name.get(canonicalize_name(entry["name"]), [])
            if entry.get("version", (p := self.packages[i]).get("version")) == p.get("version")
            and entry.get("source", p.get("source")) == p.get("source")
        ]
        if not found:
            raise self.error(owner, f"dependency {entry['name']!r} is not a package in the lock")
        yield from found

    def edges(self, index: int) -> Iterator[tuple[int, str | None, str | None]]:
        """(target, scope, marker) for runtime, optional and group dependencies."""
        package = self.packages[index]
        tables: list[tuple[str | None, Any]] = [(None, package.get("dependencies", []))]
        for key, prefix in (("optional-dependencies", "extra"), ("dev-dependencies", "group")):
            table = package.get(key, {})
            if not isinstance(table, dict):
                raise self.error(index, f"`{key}` must be a table")
            tables += [(f"{prefix}:{name}", deps) for name, deps in table.items()]
        for scope, deps in tables:
            if not isinstance(deps, list):
                raise self.error(index, "dependencies must be an array")
            for entry in deps:
                marker = entry.get("marker") if isinstance(entry, dict) else None
                for target in self.targets(entry, index):
                    yield target, scope, marker if isinstance(marker, str) else None

    def collect(self) -> Collected:
        edges = [(i, *edge) for i in range(len(self.packages)) for edge in self.edges(i)]
        direct = {target for source, target, _, _ in edges if source in self.roots}
        components: list[Component] = []
        findings: list[Finding] = []
        for index, package in enumerate(self.packages):
            if index in self.roots:
                continue
            purl, kind, line = self.purls[index], self.kind(index), self.lines[index]
            evidence: tuple[Evidence, ...] = ()
            if kind != "registry":
                value = redact(str(package["source"][kind]))
                where = f"{self.path}:{line}" if line else self.path
                evidence = (Evidence("uv-lock", f"source.{kind}", value, where, Strength.DECLARED),)
                message = f"{package['name']} is locked to a non-registry source ({kind}: {value})"
                findings.append(finding("package.direct-reference", purl, message, evidence))
                if kind == "editable":
                    message = f"{package['name']} is an editable install of {value}"
                    findings.append(finding("package.editable", purl, message, evidence))
            components.append(
                Component(
                    purl=purl,
                    kind=ComponentKind.LIBRARY,
                    name=package["name"],
                    version=package.get("version"),
                    hashes=self.hashes(index),
                    files=pinned_files(
                        [package.get("sdist", {}), *package.get("wheels", [])],
                        f"{self.path}:{line}" if line else self.path,
                        ("url", "filename", "path"),
                    ),
                    locations=(Location(self.ref, self.path, line),),
                    direct=index in direct,
                    evidence=evidence,
                    found_by=PARSER.name,
                )
            )
        dependencies = tuple(
            dict.fromkeys(
                Dependency(self.purls[s], self.purls[t], scope=scope, marker=marker)
                for s, t, scope, marker in edges
            )
        )
        return Collected(tuple(components), dependencies, tuple(findings))

    def hashes(self, index: int) -> tuple[str, ...]:
        package = self.packages[index]
        files = [package.get("sdist", {}), *package.get("wheels", [])]
        if not all(isinstance(f, dict) for f in files):
            raise self.error(index, "`sdist` and `wheels` entries must be inline tables")
        found = {f["hash"].lower() for f in files if isinstance(f.get("hash"), str)}
        return tuple(sorted(h for h in found if _HASH.fullmatch(h)))


PARSER: FileParser = FileParser(name="uv-lock", patterns=("uv.lock",), parse=parse, sniff=sniff)
