"""Packages the operating system installed: dpkg, apk and rpm databases of a root filesystem.

Finds each database wherever a root file system starts in the tree (an image, an unpacked
rootfs, or a folder holding one): `var/lib/dpkg/status` and distroless `status.d/`,
`lib/apk/db/installed`, and the sqlite rpmdb (`var/lib/rpm/rpmdb.sqlite` or
`usr/lib/sysimage/rpm/rpmdb.sqlite`). Berkeley DB and NDB rpmdbs are reported as
unsupported (a Diagnostic), never guessed at. The distro comes from that root's
`etc/os-release` (or `usr/lib/os-release`): its ID is the purl namespace and
`<ID>-<VERSION_ID>` the `distro` qualifier. Maintainer, Homepage, Origin, Packager, Vendor
and the like are `declared` evidence. In an image a dpkg package's layer is that of its
`info/<name>.list` (the layer that installed it), not of the shared status file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from auditor import purls
from auditor.collectors import CollectContext, Collected, Collector
from auditor.collectors.rpmdb import read_rpmdb
from auditor.errors import Diagnostic, ParseError
from auditor.model import Component, ComponentKind, Evidence, Location, Strength
from auditor.sources import Tree

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"
APK_DB = "lib/apk/db/installed"
RPM_SQLITE = ("var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite")
RPM_UNSUPPORTED = {
    "var/lib/rpm/Packages": "Berkeley DB",
    "usr/lib/sysimage/rpm/Packages": "Berkeley DB",
    "var/lib/rpm/Packages.db": "NDB",
    "usr/lib/sysimage/rpm/Packages.db": "NDB",
}
OS_RELEASE = ("etc/os-release", "usr/lib/os-release")

_DEB_EVIDENCE = ("Maintainer", "Original-Maintainer", "Homepage", "Origin", "Source", "Bugs")
_APK_EVIDENCE = {"m": "Maintainer", "U": "URL", "o": "Origin", "c": "Commit"}
_RPM_EVIDENCE = ("Vendor", "Packager", "URL", "SourceRPM")


@dataclass(frozen=True, slots=True)
class Distro:
    """What os-release says about one root file system."""

    id: str | None
    qualifier: str | None
    """`debian-12`, `alpine-3.20.3`; the codename when there is no VERSION_ID."""


class OsPackagesCollector(Collector):
    """dpkg, apk and rpm packages of every root file system in the tree."""

    name: ClassVar[str] = "os-packages"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """One component per installed package; unreadable databases become diagnostics."""
        parts: list[Collected] = []
        distros: dict[str, Distro] = {}

        def distro(root: str) -> Distro:
            if root not in distros:
                distros[root] = _distro(tree, root)
            return distros[root]

        for path in tree.index():
            if path.endswith(DPKG_STATUS) and _at_root(path, DPKG_STATUS):
                root = path[: -len(DPKG_STATUS)]
                parts.append(_guard(partial(_dpkg, tree, path, root, distro(root))))
            elif DPKG_STATUS_D in path and _status_d(path):
                root = path[: path.index(DPKG_STATUS_D)]
                parts.append(_guard(partial(_dpkg, tree, path, root, distro(root))))
            elif path.endswith(APK_DB) and _at_root(path, APK_DB):
                root = path[: -len(APK_DB)]
                parts.append(_guard(partial(_apk, tree, path, distro(root))))
            elif any(path.endswith(s) and _at_root(path, s) for s in RPM_SQLITE):
                suffix = next(s for s in RPM_SQLITE if path.endswith(s))
                root = path[: -len(suffix)]
                parts.append(_guard(partial(_rpm, tree, path, distro(root))))
            else:
                for suffix, kind in RPM_UNSUPPORTED.items():
                    if path.endswith(suffix) and _at_root(path, suffix):
                        message = (
                            f"rpm database in {kind} format is not supported; only the sqlite "
                            "rpmdb (rpm >= 4.16) is read, so its packages are not listed"
                        )
                        parts.append(Collected(diagnostics=(Diagnostic(path, message),)))
        return Collected.merge(parts)


def _at_root(path: str, suffix: str) -> bool:
    return len(path) == len(suffix) or path[-len(suffix) - 1] == "/"


def _status_d(path: str) -> bool:
    head, _, name = path.rpartition("/")
    return (
        head.endswith(DPKG_STATUS_D.rstrip("/"))
        and _at_root(head, DPKG_STATUS_D.rstrip("/"))
        and not name.endswith((".md5sums", ".list"))
        and not name.startswith(".")
    )


def _guard(read: Callable[[], Collected]) -> Collected:
    """A database that cannot be read is a Diagnostic; the rest of the tree still counts."""
    try:
        return read()
    except ParseError as exc:
        return Collected(diagnostics=(Diagnostic(exc.path, exc.reason),))


def _distro(tree: Tree, root: str) -> Distro:
    for rel in OS_RELEASE:
        path = root + rel
        if tree.entry(path) is None:
            continue
        try:
            values = parse_os_release(tree.read_text(path))
        except ParseError:
            continue
        ident = values.get("ID", "").lower() or None
        version = values.get("VERSION_ID") or values.get("VERSION_CODENAME")
        qualifier = f"{ident}-{version}" if ident and version else ident
        return Distro(ident, qualifier)
    return Distro(None, None)


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines (values may be quoted, with shell escapes), as os-release(5) says."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        values[key.strip()] = value
    return values


def stanzas(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(first line, fields) of each blank-line separated stanza of a deb822 file."""
    fields: dict[str, str] = {}
    start, key = 0, ""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if fields:
                yield start, fields
            fields, key = {}, ""
            continue
        if line[0] in " \t":
            if key:
                fields[key] += "\n" + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        if not fields:
            start = number
        key = name.strip()
        fields[key] = value.strip()
    if fields:
        yield start, fields


def _dpkg(tree: Tree, path: str, root: str, distro: Distro) -> Collected:
    text = tree.read_text(path)
    components = []
    diagnostics = []
    for line, fields in stanzas(text):
        name, version = fields.get("Package"), fields.get("Version")
        status = fields.get("Status", "install ok installed").split()
        if not name:
            diagnostics.append(Diagnostic(f"{path}:{line}", "stanza without a Package field"))
            continue
        if status[-1:] != ["installed"]:
            continue  # removed or half-installed: configuration files, not a package
        arch = fields.get("Architecture")
        where = f"{path}:{line}"
        evidence = tuple(
            Evidence("dpkg", key, fields[key], where, Strength.DECLARED)
            for key in _DEB_EVIDENCE
            if fields.get(key)
        )
        layer = _dpkg_layer(tree, root, name, arch) if path.endswith(DPKG_STATUS) else None
        components.append(
            Component(
                purl=purls.os_package(
                    "deb", distro.id, name, version, arch=arch, distro=distro.qualifier
                ),
                kind=ComponentKind.OS_PACKAGE,
                name=name,
                version=version,
                locations=(Location(tree.ref, path, line, layer),),
                evidence=evidence,
                found_by=OsPackagesCollector.name,
            )
        )
    return Collected(components=tuple(components), diagnostics=tuple(diagnostics))


def _dpkg_layer(tree: Tree, root: str, name: str, arch: str | None) -> str | None:
    info = f"{root}var/lib/dpkg/info/"
    for candidate in (f"{info}{name}:{arch}.list", f"{info}{name}.list"):
        entry = tree.entry(candidate)
        if entry is not None:
            return entry.layer
    return None


def _apk(tree: Tree, path: str, distro: Distro) -> Collected:
    text = tree.read_text(path)
    components = []
    diagnostics = []
    for line, fields in _apk_stanzas(text):
        name, version = fields.get("P"), fields.get("V")
        if not name:
            diagnostics.append(Diagnostic(f"{path}:{line}", "package without a P: (name) line"))
            continue
        where = f"{path}:{line}"
        evidence = tuple(
            Evidence("apk", label, fields[key], where, Strength.DECLARED)
            for key, label in _APK_EVIDENCE.items()
            if fields.get(key)
        )
        components.append(
            Component(
                purl=purls.os_package(
                    "apk", distro.id, name, version, arch=fields.get("A"), distro=distro.qualifier
                ),
                kind=ComponentKind.OS_PACKAGE,
                name=name,
                version=version,
                license=fields.get("L") or None,
                locations=(Location(tree.ref, path, line),),
                evidence=evidence,
                found_by=OsPackagesCollector.name,
            )
        )
    return Collected(components=tuple(components), diagnostics=tuple(diagnostics))


def _apk_stanzas(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """apk's installed db: `K:value` lines, packages separated by a blank line. Only the
    first of a repeated key is kept (F:/R: file lines repeat; we need none of them)."""
    fields: dict[str, str] = {}
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if fields:
                yield start, fields
            fields = {}
            continue
        key, sep, value = line.partition(":")
        if not sep or len(key) != 1:
            continue
        if not fields:
            start = number
        fields.setdefault(key, value)
    if fields:
        yield start, fields


def _rpm(tree: Tree, path: str, distro: Distro) -> Collected:
    components = []
    for header in read_rpmdb(tree.read_bytes(path), path):
        tags = header.tags
        name = tags.get("Name")
        if not name or name == "gpg-pubkey":
            continue  # imported signing keys are stored as pseudo-packages
        version = tags.get("Version")
        if version and tags.get("Release"):
            version = f"{version}-{tags['Release']}"
        where = f"{path}#{header.number}"
        evidence = tuple(
            Evidence("rpm", key, tags[key], where, Strength.DECLARED)
            for key in _RPM_EVIDENCE
            if tags.get(key) and tags[key] != "(none)"
        )
        components.append(
            Component(
                purl=purls.os_package(
                    "rpm",
                    distro.id,
                    name,
                    version,
                    arch=tags.get("Arch"),
                    distro=distro.qualifier,
                    epoch=tags.get("Epoch"),
                ),
                kind=ComponentKind.OS_PACKAGE,
                name=name,
                version=version,
                license=tags.get("License") or None,
                locations=(Location(tree.ref, path),),
                evidence=evidence,
                found_by=OsPackagesCollector.name,
            )
        )
    return Collected(components=tuple(components))
