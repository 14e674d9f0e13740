"""What every JavaScript reader shares: SRI integrity, package names and sources, node's
module resolution, the project's package.json manifests, and turning locked packages into
components and edges. Used by the npm, yarn, pnpm and bun lockfile parsers and by the
node_modules collector.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import posixpath
import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from auditor import purls
from auditor.bounded import TooDeep, TooLarge, check_yaml_tree, load_json
from auditor.collectors import Collected
from auditor.errors import Diagnostic, ParseError
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

VCS_PREFIXES = ("git+", "git:", "github:", "gitlab:", "bitbucket:", "gist:")
"""How a non-registry npm dependency spec starts (git and hosted-git shorthands)."""
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml when present: lockfiles run to megabytes."""

SECTIONS = (
    ("dependencies", None),
    ("optionalDependencies", "optional"),
    ("peerDependencies", "peer"),
)
"""Dependency sections every package has, with the Dependency scope each gives."""


def integrity_hashes(value: Any) -> tuple[str, ...]:
    """SRI strings (`sha512-<base64>`, space separated) as sorted `algorithm:hex`."""
    found = set()
    for item in value.split() if isinstance(value, str) else ():
        algorithm, _, encoded = item.partition("-")
        try:
            digest = base64.b64decode(encoded.partition("?")[0], validate=True)
        except (binascii.Error, ValueError):
            continue  # not SRI: say nothing rather than guess
        if re.fullmatch(r"sha\d+", algorithm.lower()) and digest:
            found.add(f"{algorithm.lower()}:{digest.hex()}")
    return tuple(sorted(found))


def classify(resolved: str) -> tuple[str | None, str | None]:
    """(vcs_url, download_url) for a non-registry source; (None, None) for a registry one."""
    if resolved.startswith("file:"):
        return None, resolved
    try:
        url = urlsplit(redact(resolved))
    except ValueError:  # unparseable (a bad IPv6 literal): keep it as written, minus `user@`
        return None, resolved.rpartition("@")[2]
    if resolved.startswith(VCS_PREFIXES):
        vcs = urlunsplit(url._replace(fragment=""))
        vcs = vcs if vcs.startswith("git+") else f"git+{vcs}"
        return vcs + (f"@{url.fragment}" if url.fragment else ""), None
    if re.search(r"/-/[^/]+\.tgz$", url.path) or "://" not in resolved:
        return None, None  # a registry tarball (`<name>/-/<name>-<v>.tgz`) or a bare range
    return None, urlunsplit(url)


def resolve(folder: str, name: str, known: Container[str]) -> str | None:
    """Node's lookup: the nearest `<ancestor>/node_modules/<name>` of `folder` in `known`."""
    parts = folder.split("/") if folder else []
    for end in range(len(parts), -1, -1):
        if end and (parts[end - 1] == "node_modules" or parts[end - 1].startswith("@")):
            continue  # `x/node_modules/node_modules` and `@scope/node_modules` hold nothing
        candidate = "/".join([*parts[:end], "node_modules", name])
        if candidate in known:
            return candidate
    return None


def name_of(folder: str) -> str:
    """The package name a folder is installed under (`@scope/name` kept together)."""
    head, _, last = folder.rpartition("/")
    scope = head.rpartition("/")[2]
    return f"{scope}/{last}" if scope.startswith("@") else last


_MANIFEST_SECTIONS = (
    ("peerDependencies", "peer"),
    ("optionalDependencies", "optional"),
    ("dependencies", None),
    ("devDependencies", "dev"),
)


@dataclass(frozen=True, slots=True)
class Locked:
    """One package a JavaScript lockfile pins, before it becomes a Component."""

    name: str
    version: str | None
    line: int | None
    hashes: tuple[str, ...] = ()
    source: tuple[str, str] | None = None
    """(kind, value) for git, url, file, link and patch sources; None for the registry."""
    root: bool = False
    """The project or a workspace: a graph root, not inventory."""

    def purl(self) -> str:
        """The component identity the module docstring describes."""
        kind, value = self.source or ("registry", "")
        vcs = value if kind == "git" else None
        download = None if kind in ("registry", "git", "patch") else value
        if kind in ("file", "link"):
            download = f"{kind}:{value}"
        return purls.npm(self.name, self.version, vcs_url=vcs, download_url=download)


def split_name(path: str, spec: str, line: int | None) -> tuple[str, str]:
    """`name@rest` -> (name, rest); a scope's leading `@` is part of the name."""
    at = spec.find("@", 1)
    if at <= 0 or (spec.startswith("@") and "/" not in spec[:at]):
        raise ParseError(path, f"expected `name@version` or `name@range`, got {spec[:60]!r}", line)
    return spec[:at], spec[at + 1 :]


def yaml_document(path: str, text: str) -> tuple[Any, yaml.Node | None]:
    """The YAML document and its node tree (for key lines); ParseError with the line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        check_yaml_tree(node)  # before anything walks it: alias bombs, deep nesting
        return loader.construct_document(node), node
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ParseError(path, f"not valid YAML: {exc.problem}", line) from None
    except (TooDeep, TooLarge) as exc:
        raise ParseError(path, f"YAML {exc}") from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise ParseError(path, f"not valid YAML: {type(exc).__name__}") from None
    finally:
        loader.dispose()


def key_lines(node: yaml.Node | None, section: str | None = None) -> dict[str, int]:
    """1-based line of each key of the top-level mapping (or of its `section` mapping)."""
    if section is not None and isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if k.value == section), None)
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def manifests(tree: Tree, path: str) -> dict[str, tuple[Locked, dict[str, tuple[str, str | None]]]]:
    """By workspace folder ("." for the project): the root and what it asks for, read from
    the package.json files next to the lock (yarn classic records no roots; Berry and pnpm
    record no dev flag). Empty when there is no usable package.json: the lock still parses.
    """
    base = path.rpartition("/")[0]

    def read(folder: str) -> dict[str, Any] | None:
        name = posixpath.normpath(posixpath.join(base, folder, "package.json"))
        try:
            data = load_json(tree.read_text(name)) if tree.entry(name) else None
        except (ParseError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    found: dict[str, tuple[Locked, dict[str, tuple[str, str | None]]]] = {}
    root = read(".")
    globs = root.get("workspaces") if root else None
    globs = globs.get("packages") if isinstance(globs, dict) else globs
    folders = ["."]
    if isinstance(globs, list) and all(isinstance(g, str) for g in globs):
        prefix = f"{base}/" if base else ""
        for entry in tree.index():
            folder = entry[len(prefix) : -len("/package.json")]
            if (
                entry.startswith(prefix)
                and entry.endswith("/package.json")
                and any(
                    fnmatch.fnmatchcase(folder, g.strip("./")) and folder.count("/") == g.count("/")
                    for g in globs
                )
            ):
                folders.append(folder)
    for folder in folders:
        if (manifest := read(folder)) is None:
            continue
        name, version = manifest.get("name"), manifest.get("version")
        name = name if isinstance(name, str) and name else posixpath.basename(folder) or "root"
        requested: dict[str, tuple[str, str | None]] = {}
        for section, scope in _MANIFEST_SECTIONS:
            block = manifest.get(section)
            for dep, wanted in block.items() if isinstance(block, dict) else ():
                if isinstance(wanted, str):
                    requested[dep] = (wanted, scope)
        version = version if isinstance(version, str) else None
        found[folder] = (Locked(name, version, None, root=True), requested)
    return found


def assemble(
    found_by: str,
    ref: str,
    path: str,
    packages: list[Locked],
    edges: Iterable[tuple[int, int, str | None]],
) -> Collected:
    """Components (one per purl: aliases and repeated entries fold), findings and edges
    (at most MAX_EDGES_PER_PACKAGE from one package and MAX_EDGES in all; a diagnostic says
    what was left out)."""
    edges, diagnostics = _bounded_edges(path, packages, edges)
    keys = [p.purl() for p in packages]
    direct = {keys[t] for s, t, _ in edges if packages[s].root}
    components: dict[str, Component] = {}
    # Repeated entries of one purl are gathered first and folded once (folding each into the
    # last copied its locations every time: quadratic in the repeats).
    gathered: dict[str, tuple[dict[str, None], dict[Location, None], dict[Evidence, None]]] = {}
    findings: dict[tuple[str, str], Finding] = {}
    rooted = any(p.root for p in packages)
    for package, purl in zip(packages, keys, strict=True):
        if package.root:
            continue
        where = f"{path}:{package.line}" if package.line else path
        evidence: tuple[Evidence, ...] = ()
        if package.source is not None:
            kind, value = package.source
            evidence = (Evidence(found_by, f"source.{kind}", value, where, Strength.DECLARED),)
            message = f"{package.name} is locked to a non-registry source ({kind}: {value})"
            findings.setdefault(
                (purl, value), finding("package.direct-reference", purl, message, evidence)
            )
        if purl not in components:
            components[purl] = Component(
                purl=purl,
                kind=ComponentKind.LIBRARY,
                name=package.name,
                version=package.version,
                direct=purl in direct if rooted else None,
                found_by=found_by,
            )
            gathered[purl] = ({}, {}, {})
        hashes, locations, evidences = gathered[purl]
        hashes.update(dict.fromkeys(package.hashes))
        locations[Location(ref, path, package.line)] = None
        evidences.update(dict.fromkeys(evidence))
    for purl, (hashes, locations, evidences) in gathered.items():
        components[purl] = replace(
            components[purl],
            hashes=tuple(sorted(hashes)),
            locations=tuple(locations),
            evidence=tuple(evidences),
        )
    dependencies = dict.fromkeys(Dependency(keys[s], keys[t], scope=scope) for s, t, scope in edges)
    return Collected(
        tuple(components.values()),
        tuple(dependencies),
        tuple(findings.values()),
        tuple(diagnostics),
    )


MAX_EDGES_PER_PACKAGE = 5_000
"""Far above any real package's dependencies (a monorepo root lists a few hundred)."""
MAX_EDGES = 500_000
"""Far above any real lock's edges (the largest lockfiles hold ~100,000)."""
MAX_EDGE_DIAGNOSTICS = 20


def _bounded_edges(
    path: str, packages: list[Locked], edges: Iterable[tuple[int, int, str | None]]
) -> tuple[list[tuple[int, int, str | None]], list[Diagnostic]]:
    """The edges within the per-package and total bounds, and diagnostics naming the
    packages whose edges were cut (a crafted lock can claim millions)."""
    kept: list[tuple[int, int, str | None]] = []
    per_source: dict[int, int] = {}
    cut: dict[int, int] = {}
    for edge in edges:
        count = per_source.get(edge[0], 0)
        if count >= MAX_EDGES_PER_PACKAGE or len(kept) >= MAX_EDGES:
            cut[edge[0]] = cut.get(edge[0], 0) + 1
            continue
        per_source[edge[0]] = count + 1
        kept.append(edge)
    diagnostics = []
    for source, dropped in list(cut.items())[:MAX_EDGE_DIAGNOSTICS]:
        package = packages[source]
        where = f"{path}:{package.line}" if package.line else path
        bound = (
            f"the lock's {MAX_EDGES:,} edges"
            if per_source.get(source, 0) < MAX_EDGES_PER_PACKAGE
            else f"{MAX_EDGES_PER_PACKAGE:,} per package"
        )
        diagnostics.append(
            Diagnostic(where, f"{package.name}: {dropped:,} dependency edges past {bound} left out")
        )
    if len(cut) > MAX_EDGE_DIAGNOSTICS:
        diagnostics.append(
            Diagnostic(path, f"edges of {len(cut) - MAX_EDGE_DIAGNOSTICS:,} more packages left out")
        )
    return kept, diagnostics
