"""PEP 751 `pylock.toml` / `pylock.<name>.toml` (lock-version 1.x) -> pypi components.

Identities as in uv_lock.py: packages from an index (`sdist`/`wheels`) are plain
`pkg:pypi/<name>@<version>`, and neither their `index` nor their file URLs are recorded
(they name a registry host and can hold credentials); `vcs` keeps
`vcs_url=<type>+<url or file:path>@<commit-id>`, `archive` keeps `download_url=<url>` (or
`file:<path>`), `directory` keeps `download_url=file:<path as written>`. Hashes come from
every `hashes` table (`{sha256 = "..."}` -> `sha256:<hex>`). `attestation-identities` are
kept as declared evidence: the lock says who should have published the files, nobody here
checked it.

Edges come from `packages.dependencies` (tables naming a package by some of its keys); the
edge carries the target's own `marker`. A reference that matches no package is a Diagnostic
with its key path, not a failure. `direct` and the root edges come from the pyproject.toml
beside the lock (python_lock.project_roots); without one, `direct` is None.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, ClassVar

from packaging.markers import Marker
from packaging.utils import canonicalize_name

from auditor import purls
from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
from auditor.collectors.python_lock import (
    LockedEntry,
    clean_hashes,
    headers,
    load_toml,
    pinned_files,
    project_roots,
    resolve,
    source_findings,
)
from auditor.errors import Diagnostic, ParseError
from auditor.model import Dependency, Evidence, Location, Strength
from auditor.sources import Tree
from auditor.urls import redact


def sniff(head: bytes) -> bool:
    """A TOML head with a `lock-version` key."""
    return bool(re.search(r"(?m)^lock-version\s*=", head.decode("utf-8", "replace")))


def parse(tree: Tree, path: str) -> Collected:
    """Every package in the lock, with its `dependencies` edges and the project's root edges."""
    text, doc = load_toml(tree, path)
    version = doc.get("lock-version")
    if not isinstance(version, str) or version.split(".")[0] != "1":
        raise ParseError(
            path,
            f"lock-version: unsupported PEP 751 lock version {version!r}, expected 1.x",
            hint="re-lock with a tool that writes lock-version 1.0, or upgrade the auditor",
        )
    packages = doc.get("packages", [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise ParseError(path, "packages: must be an array of tables ([[packages]])")
    lines = headers(text, "packages", len(packages))
    entries = [_Entry(path, tree.ref, i, p, lines[i]) for i, p in enumerate(packages)]
    by_name: dict[str, list[_Entry]] = {}
    for entry in entries:
        by_name.setdefault(entry.key, []).append(entry)
    edges: list[Dependency] = []
    diagnostics: list[Diagnostic] = []
    for entry in entries:
        for n, wanted in enumerate(entry.wants):
            found = [t for t in by_name.get(wanted["name"], []) if _matches(t.package, wanted)]
            if not found:
                where = f"{path}:{entry.line}" if entry.line else path
                message = f"{entry.at}.dependencies[{n}]: no package matches {wanted!r}"
                diagnostics.append(Diagnostic(where, message))
            edges += [Dependency(entry.purl, t.purl, marker=t.marker_text) for t in found]
    roots = project_roots(tree, path)
    direct: set[str] = set()
    root, declared = roots if roots else ("", [])
    for requirement, scope in declared:
        for target, marker in resolve(requirement, None, by_name):
            direct.add(target.purl)
            edges.append(Dependency(root, target.purl, scope=scope, marker=marker))
    components = tuple(e.component(None if roots is None else e.purl in direct) for e in entries)
    findings = tuple(f for e in entries for f in e.findings)
    return Collected(components, tuple(dict.fromkeys(edges)), findings, tuple(diagnostics))


def _matches(package: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """A dependency table names a package by a subset of its keys (name compared by PEP 503)."""
    return all(package.get(k) == v for k, v in wanted.items() if k != "name")


def _table(value: object, at: str, path: str, line: int | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(path, f"{at}: must be a table", line)
    return value


def _hashes(table: dict[str, Any], at: str, path: str, line: int | None) -> list[str]:
    hashes = _table(table.get("hashes", {}), f"{at}.hashes", path, line)
    if not all(isinstance(v, str) for v in hashes.values()):
        raise ParseError(path, f"{at}.hashes: values must be hex strings", line)
    return [f"{algorithm}:{value}" for algorithm, value in hashes.items()]


class _Entry(LockedEntry):
    """One `[[packages]]` table, checked; ParseError names its key path and header line."""

    found_by: ClassVar[str] = "pylock-toml"

    def __init__(
        self, path: str, ref: str, index: int, package: dict[str, Any], line: int | None
    ) -> None:
        self.at, self.package, self.line = f"packages[{index}]", package, line
        at = self.at
        if not isinstance(package.get("name"), str) or not package["name"]:
            raise ParseError(path, f"{at}.name: a non-empty string is required", line)
        for key in ("version", "marker", "index", "requires-python"):
            if not isinstance(package.get(key, ""), str):
                raise ParseError(path, f"{at}.{key}: must be a string", line)
        self.name: str = package["name"]
        self.key = canonicalize_name(self.name)
        self.version: str | None = package.get("version") or None
        self.marker_text: str | None = package.get("marker") or None
        try:
            self.marker = Marker(self.marker_text) if self.marker_text else None
        except Exception:  # packaging's marker errors differ between releases
            message = f"{at}.marker: not an environment marker: {self.marker_text!r}"
            raise ParseError(path, message, line) from None
        wants = package.get("dependencies", [])
        if not isinstance(wants, list) or not all(
            isinstance(w, dict) and isinstance(w.get("name"), str) for w in wants
        ):
            raise ParseError(path, f"{at}.dependencies: must be tables with a `name`", line)
        self.wants = [{**w, "name": canonicalize_name(w["name"])} for w in wants]
        hashes: list[str] = []
        files = package.get("wheels", [])
        if not isinstance(files, list):
            raise ParseError(path, f"{at}.wheels: must be an array of tables", line)
        for n, wheel in enumerate(files):
            hashes += _hashes(_table(wheel, f"{at}.wheels[{n}]", path, line), f"{at}.wheels[{n}]",
                              path, line)  # fmt: skip
        for key in ("sdist", "archive", "vcs", "directory"):
            if key in package:
                table = _table(package[key], f"{at}.{key}", path, line)
                hashes += _hashes(table, f"{at}.{key}", path, line)
                for field in ("url", "path", "type", "commit-id"):
                    if not isinstance(table.get(field, ""), str):
                        raise ParseError(path, f"{at}.{key}.{field}: must be a string", line)
        self.hashes = clean_hashes(hashes)
        pinned = [w for w in files if isinstance(w, dict)]
        if isinstance(package.get("sdist"), dict):
            pinned.append(package["sdist"])
        self.files = pinned_files(pinned, f"{path}:{line}" if line else path, ("name", "url"))
        self.kind = next((k for k in ("vcs", "archive", "directory") if k in package), "index")
        source: dict[str, Any] = package[self.kind] if self.kind != "index" else {}
        self.value = redact(source.get("url") or "") or (f"file:{source.get('path') or ''}")
        self.local = None
        vcs = download = None
        if self.kind == "vcs":
            vcs = f"{source.get('type') or 'git'}+{self.value}@{source.get('commit-id')}"
        elif self.kind != "index":
            download = self.value
            if self.kind == "directory":
                self.local = posixpath.normpath(str(source.get("path") or "."))
        self.purl = purls.pypi(self.name, self.version, vcs_url=vcs, download_url=download)
        where = f"{path}:{line}" if line else path
        evidence: list[Evidence] = []
        self.findings = []
        if self.kind != "index":
            evidence.append(Evidence("pylock", self.kind, self.value, where, Strength.DECLARED))
            editable = source.get("editable") is True
            self.findings = source_findings(self.name, self.purl, self.kind, self.value,
                                            editable, tuple(evidence))  # fmt: skip
        identities = package.get("attestation-identities", [])
        for identity in identities if isinstance(identities, list) else []:
            if isinstance(identity, dict) and isinstance(identity.get("kind"), str):
                value = ", ".join(f"{k}={v}" for k, v in sorted(identity.items()) if k != "kind")
                field = f"attestation-identities.{identity['kind']}"
                evidence.append(Evidence("pylock", field, value, where, Strength.DECLARED))
        self.evidence = tuple(evidence)
        self.location = Location(ref, path, line)


PARSER: FileParser = FileParser(
    name=_Entry.found_by, patterns=("pylock.toml", "pylock.*.toml"), parse=parse, sniff=sniff
)
