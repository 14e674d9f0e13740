"""pdm.lock (lock_version 4.x) -> pypi components, dependency edges and source findings.

Identities follow uv_lock.py: registry packages are plain `pkg:pypi/<name>@<version>` and
their file names or static URLs (`strategy = ["static_urls"]`) are never recorded; git (and
hg/svn/bzr) sources keep `vcs_url=<vcs>+<url>@<revision>`, URL sources `download_url=<url>`
and local paths `download_url=file:<path as written>`, all without credentials.

Edges come from each package's PEP 508 `dependencies` strings; see `resolve` for how a
requirement picks among several entries of one package (pdm writes those for lock targets
that resolve differently, `pdm lock --append --python ...`). A requirement naming no locked
package (its marker never applies to the lock) is no edge. `direct` and the root edges come
from the `pyproject.toml` beside the lock (`project_roots`); without one, `direct` is None.

The helpers below are shared with pylock_toml.py (the other lock format that needs the
project file to know what is direct).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, ClassVar

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
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
from auditor.errors import ParseError
from auditor.model import (
    Dependency,
    Evidence,
    Finding,
    Location,
    Strength,
)
from auditor.sources import Tree
from auditor.urls import redact

_VCS = ("git", "hg", "svn", "bzr")
# Environments in which "can these markers hold together?" is probed: every CPython/PyPy
# minor that lock targets split on, on the three platforms lockers target.


def sniff(head: bytes) -> bool:
    """A TOML head with pdm's `[metadata]` table and its `lock_version`."""
    text = head.decode("utf-8", "replace")
    return "[metadata]" in text and bool(re.search(r"(?m)^lock_version\s*=", text))


def parse(tree: Tree, path: str) -> Collected:
    """Every locked package, with edges between them and from the project beside the lock."""
    text, doc = load_toml(tree, path)
    metadata = doc.get("metadata")
    version = metadata.get("lock_version") if isinstance(metadata, dict) else None
    if not isinstance(version, str) or version.split(".")[0] != "4":
        raise ParseError(
            path,
            f"metadata.lock_version: unsupported pdm lock version {version!r}, expected 4.x",
            hint="re-lock with pdm 2.x, or upgrade the auditor",
        )
    packages = doc.get("package", [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise ParseError(path, "package: must be an array of tables ([[package]])")
    lines = headers(text, "package", len(packages))
    entries = [_Entry(path, tree.ref, i, p, lines[i]) for i, p in enumerate(packages)]
    # pdm locks `name[extra]` as one more entry of the same distribution, whose
    # dependencies are the base entry and the extra's: it adds edges, not a component.
    bases = [e for e in entries if not e.extras]
    by_name: dict[str, list[_Entry]] = {}
    for entry in bases:
        by_name.setdefault(entry.key, []).append(entry)
    edges = [
        Dependency(entry.purl, target.purl, marker=marker)
        for entry in entries
        for requirement in entry.requires
        for target, marker in resolve(requirement, entry.marker, by_name)
        if target.purl != entry.purl
    ]
    roots = project_roots(tree, path)
    direct: set[str] = set()
    root, wanted = roots if roots else ("", [])
    for requirement, scope in wanted:
        for target, marker in resolve(requirement, None, by_name):
            direct.add(target.purl)
            edges.append(Dependency(root, target.purl, scope=scope, marker=marker))
    components = tuple(e.component(None if roots is None else e.purl in direct) for e in bases)
    findings = tuple(f for e in bases for f in e.findings)
    return Collected(components, tuple(dict.fromkeys(edges)), findings)


class _Entry(LockedEntry):
    """One `[[package]]` table, checked; ParseError names its key path and header line."""

    found_by: ClassVar[str] = "pdm-lock"

    def __init__(
        self, path: str, ref: str, index: int, package: dict[str, Any], line: int | None
    ) -> None:
        at = f"package[{index}]"
        if not isinstance(package.get("name"), str) or not package["name"]:
            raise ParseError(path, f"{at}.name: a non-empty string is required", line)
        for key in ("version", "marker", "revision", "ref", "path", "url", *_VCS):
            if not isinstance(package.get(key, ""), str):
                raise ParseError(path, f"{at}.{key}: must be a string", line)
        self.name: str = package["name"]
        self.key = canonicalize_name(self.name)
        self.version: str | None = package.get("version") or None
        self.extras = bool(package.get("extras"))
        self.local: str | None = None
        try:
            self.marker = Marker(package["marker"]) if package.get("marker") else None
        except Exception:  # packaging's marker errors differ between releases
            message = f"{at}.marker: not an environment marker: {package['marker']!r}"
            raise ParseError(path, message, line) from None
        requires = package.get("dependencies", [])
        if not isinstance(requires, list):
            raise ParseError(path, f"{at}.dependencies: must be an array of strings", line)
        self.requires: list[Requirement] = []
        for n, text in enumerate(requires):
            try:
                self.requires.append(Requirement(text))
            except (InvalidRequirement, TypeError):
                message = f"{at}.dependencies[{n}]: not a PEP 508 requirement: {text!r}"
                raise ParseError(path, message, line) from None
        files = package.get("files", [])
        if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
            raise ParseError(path, f"{at}.files: must be an array of inline tables", line)
        self.hashes = clean_hashes([f["hash"] for f in files if isinstance(f.get("hash"), str)])
        self.files = pinned_files(files, f"{path}:{line}" if line else path)
        kind = next((k for k in (*_VCS, "url", "path") if package.get(k)), "registry")
        value = redact(str(package.get(kind, "")))
        vcs = download = None
        if kind in _VCS:
            vcs = f"{kind}+{value}@{package.get('revision') or package.get('ref')}"
        elif kind == "url":
            download = value
        elif kind == "path":
            download, self.local = f"file:{value}", posixpath.normpath(value)
        self.purl = purls.pypi(self.name, self.version, vcs_url=vcs, download_url=download)
        self.evidence: tuple[Evidence, ...] = ()
        self.findings: list[Finding] = []
        if kind != "registry":
            where = f"{path}:{line}" if line else path
            self.evidence = (Evidence("pdm-lock", kind, value, where, Strength.DECLARED),)
            editable = package.get("editable") is True
            self.findings = source_findings(self.name, self.purl, kind, value, editable,
                                            self.evidence)  # fmt: skip
        self.location = Location(ref, path, line)


PARSER: FileParser = FileParser(
    name=_Entry.found_by, patterns=("pdm.lock",), parse=parse, sniff=sniff
)
