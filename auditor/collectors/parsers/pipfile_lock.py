"""Pipfile.lock (pipfile-spec 6) -> pypi components and source findings.

pipenv writes one JSON object: `_meta` (spec version, hash, sources) and one object per package
category, `default` ([packages]) and `develop` ([dev-packages]), plus any custom category the
Pipfile declares. Each maps a package name to `version` ("==x"), `hashes`, `markers`, `index`,
`extras`, or a direct reference: `git`/`hg`/`svn`/`bzr` with `ref`, `path`, `file`, `editable`.

Decisions:
- The lock records no dependency edges and the Pipfile no project name, so there is no root to
  draw edges from: this parser emits no Dependency. `direct` comes from the sibling Pipfile
  (an entry of `default` is direct when `[packages]` names it, `develop` and `[dev-packages]`
  likewise); without a Pipfile it is None, never guessed. An unusable Pipfile is a Diagnostic.
- The same name in two categories gives two components (one location each); the pipeline
  folds equal purls.
- Identity: registry packages are `pkg:pypi/<name>@<version>`; `_meta.sources` and `index`
  are checked but never recorded (their URLs can carry credentials). VCS entries keep
  `vcs_url=<vcs>+<url>@<ref>`, `file` keeps `download_url=<url>` (a local file
  `file:<path>`), `path` keeps `download_url=file:<path as written>`; credentials are dropped.
  Those are `package.direct-reference` findings, `editable` adds `package.editable`. A
  registry entry without an `==` pin (pipenv writes `"*"` when it could not resolve a
  package for the locking platform) has no version and is a `package.unpinned` finding.
- Lines: each entry's `"name": {` line, found by a forward scan in file order (pipenv's
  indented output); None when the file is not laid out that way.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import tomli
from packaging.utils import canonicalize_name

from auditor import purls
from auditor.bounded import TooDeep, check_toml_depth, load_json
from auditor.collectors import Collected
from auditor.collectors.parsers import FileParser
from auditor.errors import Diagnostic, ParseError
from auditor.model import Component, ComponentKind, Evidence, Finding, Location, Strength
from auditor.policy.builtin import finding
from auditor.sources import Tree
from auditor.urls import redact

_VCS = ("git", "hg", "svn", "bzr")
_PIPFILE_TABLES = {"default": "packages", "develop": "dev-packages"}
_STRINGS = ("version", "markers", "index", "ref", "path", "file", *_VCS)
_HASH = re.compile(r"[a-z0-9]+:[0-9a-f]+")
_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)


def sniff(head: bytes) -> bool:
    """A JSON object whose `_meta` names a `pipfile-spec`."""
    return head.lstrip().startswith(b"{") and b'"_meta"' in head and b'"pipfile-spec"' in head


def parse(tree: Tree, path: str) -> Collected:
    """Every package of every category, each with the line of its `"name": {` key."""
    text = tree.read_text(path)
    try:
        doc = load_json(text)
    except json.JSONDecodeError as exc:
        raise ParseError(path, f"not valid JSON: {exc.msg}", exc.lineno) from None
    except TooDeep as exc:
        raise ParseError(path, f"JSON {exc}") from None
    if not isinstance(doc, dict):
        raise ParseError(path, "expected a JSON object with `_meta`, `default` and `develop`")
    meta = doc.get("_meta")
    spec = meta.get("pipfile-spec") if isinstance(meta, dict) else None
    if type(spec) is not int or spec != 6:
        raise ParseError(
            path,
            f"_meta.pipfile-spec: unsupported Pipfile.lock format {spec!r}, expected 6",
            next((n for n, s in enumerate(text.splitlines(), 1) if '"pipfile-spec"' in s), None),
            hint="re-lock with a current pipenv, or upgrade the auditor",
        )
    if not isinstance(doc["_meta"].get("sources", []), list):
        raise ParseError(path, "_meta.sources: expected an array")
    declared, diagnostics = _pipfile(tree, path)
    for section, packages in doc.items():
        if section != "_meta" and not isinstance(packages, dict):
            raise ParseError(path, f"{section}: expected an object of packages")
    lines = _lines(text, doc)
    components: list[Component] = []
    findings: list[Finding] = []
    for section, packages in doc.items():
        if section == "_meta":
            continue
        for name, entry in packages.items():
            direct = None if declared is None else canonicalize_name(name) in declared[section]
            line = lines.get((section, name))
            found = _entry(tree.ref, path, section, name, entry, line, direct)
            components.append(found[0])
            findings.extend(found[1])
    return Collected(tuple(components), (), tuple(findings), tuple(diagnostics))


def _entry(
    ref: str, path: str, section: str, name: str, entry: Any, line: int | None, direct: bool | None
) -> tuple[Component, list[Finding]]:
    """One package entry as a component and its findings; ParseError names its key path."""
    key = f"{section}.{name}"
    if not _NAME.fullmatch(name):
        raise ParseError(path, f"{section}: {name!r} is not a package name", line)
    if not isinstance(entry, dict):
        raise ParseError(path, f"{key}: expected an object", line)
    for field in _STRINGS:
        if not isinstance(entry.get(field, ""), str):
            raise ParseError(path, f"{key}.{field}: expected a string", line)
    for field in ("hashes", "extras"):
        value = entry.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ParseError(path, f"{key}.{field}: expected an array of strings", line)
    version = entry.get("version", "")
    pin = version.lstrip("=") or None if version.startswith("==") else None
    vcs = next((v for v in _VCS if v in entry), None)
    vcs_url = download = reference = None
    if vcs is not None:
        reference = redact(entry[vcs])
        vcs_url = reference if reference.startswith(f"{vcs}+") else f"{vcs}+{reference}"
        vcs_url += f"@{entry['ref']}" if entry.get("ref") else ""
    elif "file" in entry:
        reference = redact(entry["file"])
        download = reference if "://" in reference or reference.startswith("file:") else None
        download = download or f"file:{reference}"
    elif "path" in entry:
        reference = entry["path"]
        download = f"file:{reference}"
    purl = purls.pypi(name, pin, vcs_url=vcs_url, download_url=download)
    where = f"{path}:{line}" if line else path
    findings: list[Finding] = []
    evidence: tuple[Evidence, ...] = ()
    if reference is not None:
        kind = vcs or ("file" if "file" in entry else "path")
        evidence = (Evidence("pipfile-lock", kind, reference, where, Strength.DECLARED),)
        message = f"{name} is locked to a non-registry source ({kind}: {reference})"
        findings.append(finding("package.direct-reference", purl, message, evidence))
        if entry.get("editable") is True:
            message = f"{name} is an editable install of {reference}"
            findings.append(finding("package.editable", purl, message, evidence))
    elif pin is None:
        message = f"{name} is locked without an exact version ({version or 'no version'})"
        findings.append(finding("package.unpinned", purl, message))
    hashes = sorted({h.lower() for h in entry.get("hashes", []) if _HASH.fullmatch(h.lower())})
    component = Component(
        purl=purl,
        kind=ComponentKind.LIBRARY,
        name=name,
        version=pin,
        hashes=tuple(hashes),
        locations=(Location(ref, path, line),),
        direct=direct,
        evidence=evidence,
        found_by=PARSER.name,
    )
    return component, findings


def _lines(text: str, doc: dict[str, Any]) -> dict[tuple[str, str], int]:
    """(section, name) -> 1-based line of its `"name":` key, scanning forward in file order.

    A package key must sit at the indentation of its section's first key, so a package named
    like a field (`"markers"`) is not taken for that field of the entry before it; one
    forward pass keeps it linear.
    """
    rows = text.splitlines()
    cursor, found = 0, {}

    def seek(prefix: str, strip: bool = False) -> int | None:
        nonlocal cursor
        hit = next(
            (
                i
                for i in range(cursor, len(rows))
                if (rows[i].strip() if strip else rows[i]).startswith(prefix)
            ),
            None,
        )
        cursor = cursor if hit is None else hit + 1
        return hit

    for section, packages in doc.items():
        opening = seek(f"{json.dumps(section, ensure_ascii=False)}: {{", strip=True)
        if section == "_meta" or opening is None or cursor >= len(rows):
            continue
        indent = rows[cursor][: len(rows[cursor]) - len(rows[cursor].lstrip())]
        for name in packages:
            hit = seek(f"{indent}{json.dumps(name, ensure_ascii=False)}:")
            if hit is not None:
                found[(section, name)] = hit + 1
    return found


def _row(row: str, strip: bool) -> str:
    return row.strip() if strip else row


def _pipfile(tree: Tree, lock_path: str) -> tuple[dict[str, set[str]] | None, list[Diagnostic]]:
    """Lock section -> names its Pipfile table declares; None when there is no usable Pipfile."""
    path = Tree.resolve_relative(lock_path, "Pipfile") or "Pipfile"
    if tree.entry(path) is None:
        return None, []
    try:
        text = tree.read_text(path)
        check_toml_depth(text)
        doc = tomli.loads(text)
    except ParseError as exc:
        return None, [Diagnostic(exc.path, f"{exc.reason}; direct dependencies unknown")]
    except tomli.TOMLDecodeError as exc:
        reason = f"not valid TOML: {exc.msg}; direct dependencies of {lock_path} unknown"
        return None, [Diagnostic(f"{path}:{exc.lineno}", reason)]
    except TooDeep as exc:
        return None, [Diagnostic(path, f"TOML {exc}; direct dependencies unknown")]
    declared: dict[str, set[str]] = {}
    for section, table in doc.items():
        if isinstance(table, dict) and section not in ("source", "requires", "pipenv", "scripts"):
            names = {str(canonicalize_name(n)) for n in table}
            lock_section = {v: k for k, v in _PIPFILE_TABLES.items()}.get(section, section)
            declared[lock_section] = names
    return defaultdict(set, declared), []


PARSER: FileParser = FileParser(
    name="pipfile-lock", patterns=("Pipfile.lock",), parse=parse, sniff=sniff
)
