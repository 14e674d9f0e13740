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

import tomli
from packaging.utils import canonicalize_name

from auditor import purls
from auditor.bounded import TooDeep, check_toml_depth
from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
from auditor.collectors.python_lock import headers, loads_toml, pinned_files
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
    text = tree.read_text(path)
    doc = _lifted_load(text) or loads_toml(path, text)
    if doc.get("version") != 1:
        raise ParseError(
            path,
            f"unsupported uv lock format version {doc.get('version')!r}, expected 1",
            hint="re-lock with a uv release that writes lock version 1, or upgrade the auditor",
        )
    return _Lock(path, tree.ref, text, doc).collect()


# The `wheels` arrays are ~85% of a uv.lock (7,186 lines of 2.7 MB for 680 packages), each
# line in the one shape uv writes. Those blocks are read here with a strict pattern (values:
# TOML basic strings without escapes, a decimal integer) and left out of what the TOML
# parser reads (~0.07 s of its ~0.1 s); anything else is the parser's, as is any doubt.
_STRING = r'"[^"\\\x00-\x1f\x7f]*"'
_WHEEL = (
    rf"    \{{ url = {_STRING}, hash = {_STRING}, size = (?:0|[1-9][0-9]*),"
    rf" upload-time = {_STRING} \}},\n"
)
_WHEELS = re.compile(rf"^wheels = \[\n((?:{_WHEEL})+)\]\n", re.MULTILINE)
_WHEEL_VALUES = re.compile(
    r'    \{ url = "([^"]*)", hash = "([^"]*)", size = ([0-9]+), upload-time = "([^"]*)" \},\n'
)
_MARK = "\\u0000wheels:"
"""Stands for a lifted block in the parsed text: a string no uv.lock holds (NUL escaped)."""


def _lifted_load(text: str) -> dict[str, Any] | None:
    """The document, its wheel blocks read apart; None when the TOML parser must read it all
    (multi-line strings, a marker already in the text, bad TOML: its errors are the parser's)."""
    if '"""' in text or "'''" in text or "\\u0000" in text or "\\U00000000" in text:
        return None
    blocks: list[list[dict[str, Any]]] = []

    def lift(match: re.Match[str]) -> str:
        body = match.group(1)
        blocks.append(
            [
                {"url": u, "hash": h, "size": int(n), "upload-time": t}
                for u, h, n, t in _WHEEL_VALUES.findall(body)
            ]  # the keys and order of the TOML parser's tables
        )
        # The same number of lines: error lines and [[package]] lines stay where they were.
        return f'wheels = "{_MARK}{len(blocks) - 1}"\n' + "\n" * (body.count("\n") + 1)

    lifted = _WHEELS.sub(lift, text)
    if not blocks:
        return None
    try:
        # What the parser reads is the lifted text (a block nests two levels, checked above):
        # its depth is what must be bounded, and it is ~15% of the file to scan.
        check_toml_depth(lifted)
        doc = tomli.loads(lifted)
    except (tomli.TOMLDecodeError, TooDeep):
        return None
    packages = doc.get("package")
    restored = 0
    for package in packages if isinstance(packages, list) else ():
        marker = package.get("wheels") if isinstance(package, dict) else None
        if isinstance(marker, str) and marker.startswith("\x00wheels:"):
            package["wheels"] = blocks[int(marker[8:])]
            restored += 1
    return doc if restored == len(blocks) else None  # a block outside a package: re-read


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
