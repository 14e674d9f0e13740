"""Distributions vendored inside an installed one: real code that ships, listed with a
`contains` edge from the distribution that carries it (as trivy and syft list them).

Two forms are found on disk:
- `<site>/<package>/_vendor/<name>-<version>.dist-info/METADATA`: setuptools (since 71) and
  other packages install their vendored copies with full metadata;
- `<site>/pip/_vendor/vendor.txt`: pip vendors without metadata and pins every copy in this
  file (`name==version`, indented lines are the dependencies of the line above).

The carrier is the distribution whose `top_level.txt` or RECORD names the package folder
(`pkg_resources` belongs to setuptools), else the one named like the folder.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from packaging.utils import canonicalize_name

from auditor import purls
from auditor.errors import Diagnostic, ParseError
from auditor.model import (
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Location,
    Strength,
)
from auditor.sources import Tree

VENDOR_DIR = "_vendor"
VENDOR_TXT = "vendor.txt"
_PIN = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([^\s#;]+)")


@dataclass(frozen=True, slots=True)
class Vendored:
    """One vendored metadata file found below a site-packages folder."""

    package: str
    """The carrier's package folder, relative to the site (`setuptools`)."""
    path: str
    """A vendored dist-info's METADATA, or a vendor.txt."""


def vendored_entry(site: str, path: str) -> Vendored | None:
    """`path` as vendored metadata of a package folder directly in `site`, or None."""
    rel = path[len(site) + 1 :] if site else path
    parts = rel.split("/")
    if len(parts) == 4 and parts[1] == VENDOR_DIR and parts[2].endswith(".dist-info"):
        return Vendored(parts[0], path) if parts[3] == "METADATA" else None
    if len(parts) == 3 and parts[1] == VENDOR_DIR and parts[2] == VENDOR_TXT:
        return Vendored(parts[0], path)
    return None


ReadDist = Callable[[Tree, str, str, list[Diagnostic]], Component | None]


def vendored_components(
    tree: Tree,
    site: str,
    found: list[Vendored],
    carriers: list[tuple[Component, str]],
    read_dist: ReadDist,
    diagnostics: list[Diagnostic],
) -> tuple[list[Component], list[Dependency]]:
    """Components for the vendored copies and `contains` edges from their carriers.

    `carriers` are the site's distributions with their metadata folders; `read_dist` reads
    a vendored dist-info as python-env reads any (its problems become diagnostics).
    """
    components: list[Component] = []
    edges: list[Dependency] = []
    # One search per package folder: setuptools carries a dozen copies, and each listing
    # read is a random read of an image layer.
    known: dict[str, Component | None] = {}
    for item in found:
        if item.package not in known:
            known[item.package] = _carrier(tree, site, item.package, carriers)
        carrier = known[item.package]
        if item.path.endswith("/METADATA"):
            read = read_dist(tree, posixpath.dirname(item.path), item.path, diagnostics)
            copies = [read] if read is not None else []
        else:
            copies = _pins(tree, item.path, diagnostics)
        for copy in copies:
            components.append(replace(copy, direct=False))
            if carrier is not None:
                edges.append(Dependency(carrier.purl, copy.purl, DependencyKind.CONTAINS))
    return components, edges


def _carrier(
    tree: Tree, site: str, package: str, carriers: list[tuple[Component, str]]
) -> Component | None:
    """The distribution that installed the package folder `package`."""
    wanted = canonicalize_name(package)
    # The one named like the folder is asked first: it is nearly always the answer, and
    # asking every other distribution's RECORD first reads them all.
    named = [pair for pair in carriers if canonicalize_name(pair[0].name) == wanted]
    for component, dist_dir in named + [p for p in carriers if p not in named]:
        for listing, prefix in (("top_level.txt", ""), ("RECORD", f"{package}/")):
            path = posixpath.join(dist_dir, listing)
            if tree.entry(path) is None:
                continue
            try:
                lines = tree.read_text(path).splitlines()
            except ParseError:
                continue
            if any(line.strip() == package if not prefix else line.startswith(prefix)
                   for line in lines):  # fmt: skip
                return component
    return next((c for c, _ in carriers if canonicalize_name(c.name) == wanted), None)


def _pins(tree: Tree, path: str, diagnostics: list[Diagnostic]) -> list[Component]:
    """Components for the `name==version` lines of a pip vendor.txt."""
    try:
        text = tree.read_text(path)
    except ParseError as exc:
        diagnostics.append(Diagnostic(exc.path, exc.reason))
        return []
    found: list[Component] = []
    for number, line in enumerate(text.splitlines(), 1):
        pin = line.split("#", 1)[0].strip()
        if not pin:
            continue
        match = _PIN.fullmatch(pin)
        if match is None:
            diagnostics.append(Diagnostic(f"{path}:{number}", f"not a name==version pin: {pin!r}"))
            continue
        name, version = match.groups()
        evidence = Evidence("vendor.txt", "pin", pin, f"{path}:{number}", Strength.DECLARED)
        found.append(
            Component(
                purl=purls.pypi(name, version),
                kind=ComponentKind.LIBRARY,
                name=name,
                version=version,
                locations=(Location(tree.ref, path, number),),
                evidence=(evidence,),
                found_by="python-env",
            )
        )
    return found
