"""Installed Python distributions (`*.dist-info`, `*.egg-info`) in venvs, site-packages, rootfs.

A distribution counts only when its metadata folder sits directly in a `site-packages` or
`dist-packages` folder (or at the tree root when the target is itself a site-packages):
dist-info folders deeper down are another distribution's data (test fixtures), except
vendored copies (`<package>/_vendor/`, pip's `vendor.txt`: `python_vendored.py`), listed with
a `contains` edge from their carrier. Each site-packages is read on its own: its Python
version decides markers, and its dependency edges only join distributions installed next to
each other. RECORD is
checked cheaply (parseable, listed files present) rather than hashed, which would read
every installed byte; a missing file is a Diagnostic, since it says the environment is
damaged rather than where a package came from.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.markers import default_environment as _host_environment
from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion

from auditor import purls
from auditor.bounded import load_json
from auditor.collectors import CollectContext, Collected, Collector
from auditor.collectors.packaged_weights import packaged_weights
from auditor.collectors.python_vendored import (
    VENDOR_DIR,
    Vendored,
    vendored_components,
    vendored_entry,
)
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

_SITE_DIRS = ("site-packages", "dist-packages")
_DECLARED_FIELDS = (
    ("home_page", "Home-page"),
    ("download_url", "Download-URL"),
    ("author", "Author"),
    ("author_email", "Author-email"),
    ("maintainer", "Maintainer"),
    ("maintainer_email", "Maintainer-email"),
    ("license", "License"),
)
_PYTHONS = tuple(f"3.{minor}" for minor in range(6, 15))
"""Versions tried when a site-packages does not say which Python it belongs to."""


@dataclass(slots=True)
class _Dist:
    """One installed distribution while its site-packages is being read."""

    component: Component
    requires: list[str]
    extras: set[str]
    requested: bool
    findings: list[Finding] = field(default_factory=list)


class PythonEnvironmentCollector(Collector):
    """Every installed distribution in the tree, grouped by the site-packages it is in."""

    name: ClassVar[str] = "python-env"

    def collect(self, tree: Tree, context: CollectContext) -> Collected:
        """Components, Requires-Dist edges, direct-reference findings and diagnostics."""
        paths = list(tree.index())
        root_is_site = any(re.fullmatch(r"[^/]+\.dist-info/METADATA", p) for p in paths)
        sites: dict[str, list[tuple[str, str]]] = {}
        vendored: dict[str, list[Vendored]] = {}

        def is_site(folder: str) -> bool:
            return posixpath.basename(folder) in _SITE_DIRS or (folder == "" and root_is_site)

        for path in paths:
            if f"{VENDOR_DIR}/" in path and (found := _vendored(path, is_site)) is not None:
                vendored.setdefault(found[0], []).append(found[1])
                continue
            dist_dir = _dist_dir(path)
            if dist_dir is None:
                continue
            site = posixpath.dirname(dist_dir)
            if is_site(site):
                sites.setdefault(site, []).append((dist_dir, path))
        return Collected.merge(
            _collect_site(tree, site, sites.get(site, []), vendored.get(site, []))
            for site in dict.fromkeys([*sites, *vendored])
        )


def _vendored(path: str, is_site: Callable[[str], bool]) -> tuple[str, Vendored] | None:
    """(site, entry) when `path` is vendored metadata of a package installed in a site."""
    parts = path.split("/")
    if VENDOR_DIR not in parts[1:]:
        return None
    site = "/".join(parts[: parts.index(VENDOR_DIR, 1) - 1])
    found = vendored_entry(site, path) if is_site(site) else None
    return (site, found) if found is not None else None


def _dist_dir(path: str) -> str | None:
    """The distribution's metadata folder (or single egg-info file) if `path` is its metadata."""
    head, _, name = path.rpartition("/")
    if (name == "METADATA" and head.endswith(".dist-info")) or (
        name == "PKG-INFO" and head.endswith(".egg-info")
    ):
        return head
    return path if name.endswith(".egg-info") else None


def _collect_site(
    tree: Tree, site: str, found: list[tuple[str, str]], vendored: list[Vendored]
) -> Collected:
    diagnostics: list[Diagnostic] = []
    envs = _environments(tree, site)
    read = [(dist_dir, _read_dist(tree, dist_dir, meta, diagnostics)) for dist_dir, meta in found]
    dists = [dist for _, dist in read if dist is not None]
    installed: dict[str, list[int]] = {}
    for index, dist in enumerate(dists):
        installed.setdefault(canonicalize_name(dist.component.name), []).append(index)
    dependencies: list[Dependency] = []
    required: set[int] = set()
    for dist in dists:
        where = dist.component.locations[0].path
        for text in dist.requires:
            try:
                requirement = Requirement(text)
            except InvalidRequirement as exc:
                diagnostics.append(Diagnostic(where, f"bad requirement {text!r}: {exc}"))
                continue
            targets = installed.get(canonicalize_name(requirement.name), [])
            applies, scope = _scope(requirement.marker, dist.extras, envs)
            if not applies:
                continue
            marker = str(requirement.marker) if requirement.marker else None
            for target in targets:
                required.add(target)
                purl = dists[target].component.purl
                dependencies.append(
                    Dependency(dist.component.purl, purl, scope=scope, marker=marker)
                )
    # pip writes REQUESTED only for what was asked for, uv for every install: the file tells
    # direct from transitive only when some distributions lack it; else the graph decides.
    informative = len({d.requested for d in dists}) == 2
    components = tuple(
        replace(d.component, direct=d.requested if informative else i not in required)
        for i, d in enumerate(dists)
    )
    findings = tuple(f for d in dists for f in d.findings)
    if vendored:
        carriers = [(d.component, dist_dir) for dist_dir, d in read if d is not None]
        copies, contains = vendored_components(
            tree, site, vendored, carriers, _vendored_dist, diagnostics
        )
        components += tuple(copies)
        dependencies += contains
    return Collected(components, tuple(dependencies), findings, tuple(diagnostics))


def _vendored_dist(
    tree: Tree, dist_dir: str, meta: str, diagnostics: list[Diagnostic]
) -> Component | None:
    """A vendored copy's component: its own requirements name copies beside it, never the
    site's distributions, so no edge is drawn from them."""
    dist = _read_dist(tree, dist_dir, meta, diagnostics)
    return dist.component if dist is not None else None


def _scope(
    marker: Marker | None, extras: set[str], envs: list[dict[str, str]]
) -> tuple[bool, str | None]:
    """(applies, scope): scope None for a runtime edge, `extra:<name>` for an extra's edge."""
    if marker is None or _applies(marker, envs, ""):
        return True, None
    named = set(re.findall(r"extra\s*==\s*['\"]([^'\"]+)['\"]", str(marker))) | extras
    for extra in sorted(named):
        if _applies(marker, envs, extra):
            return True, f"extra:{extra}"
    return False, None


def _applies(marker: Marker, envs: list[dict[str, str]], extra: str) -> bool:
    try:
        return any(marker.evaluate({**env, "extra": extra}) for env in envs)
    except (UndefinedComparison, UndefinedEnvironmentName, InvalidVersion):
        return False  # a marker no interpreter could satisfy


def _environments(tree: Tree, site: str) -> list[dict[str, str]]:
    """Marker environments for the site's Python: from `lib/pythonX.Y/` or pyvenv.cfg."""
    host = {key: str(value) for key, value in _host_environment().items()}
    version = None
    if found := re.search(r"(?:^|/)python(\d+\.\d+)[a-z]*/[^/]+$", site):
        version = found.group(1)
    parent = site
    for _ in range(3):
        parent = posixpath.dirname(parent)
        cfg = posixpath.join(parent, "pyvenv.cfg")
        if tree.entry(cfg) is not None:
            version = _cfg_version(tree, cfg) or version
            break
    if version is None:
        return [{**host, "python_version": v, "python_full_version": f"{v}.0"} for v in _PYTHONS]
    short, full = (
        ".".join(version.split(".")[:2]),
        version if version.count(".") >= 2 else f"{version}.0",
    )
    return [{**host, "python_version": short, "python_full_version": full}]


def _cfg_version(tree: Tree, path: str) -> str | None:
    try:
        text = tree.read_text(path)
    except ParseError:
        return None
    values = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    raw = values.get("version_info") or values.get("version") or ""
    found = re.match(r"\d+\.\d+(?:\.\d+)?", raw)
    return found.group(0) if found else None


def _read_dist(
    tree: Tree, dist_dir: str, meta_path: str, diagnostics: list[Diagnostic]
) -> _Dist | None:
    """One distribution's component; problems become diagnostics, never exceptions."""
    try:
        raw, unparsed = parse_email(tree.read_bytes(meta_path))
    except ParseError as exc:
        diagnostics.append(Diagnostic(exc.path, exc.reason))
        return None
    stem = posixpath.basename(dist_dir).rsplit(".", 1)[0]
    folder_name, _, rest = stem.partition("-")
    name, version = raw.get("name") or folder_name, raw.get("version") or rest.partition("-")[0]
    if "name" not in raw or "version" not in raw or set(unparsed) & {"name", "version"}:
        diagnostics.append(
            Diagnostic(meta_path, "no usable Name/Version headers; taken from the folder name")
        )
    if not name.strip():  # a Name of only white space (control characters count) names nothing
        diagnostics.append(Diagnostic(meta_path, "no usable package name; distribution skipped"))
        return None
    evidence = [
        Evidence("metadata", label, value, meta_path, Strength.DECLARED)
        for key, label in _DECLARED_FIELDS
        if isinstance(value := raw.get(key), str) and value.strip()
    ]
    evidence += [
        Evidence("metadata", f"Project-URL.{label}", url, meta_path, Strength.DECLARED)
        for label, url in raw.get("project_urls", {}).items()
        if url
    ]
    installer = posixpath.join(dist_dir, "INSTALLER")
    if tree.entry(installer) is not None:
        try:
            text = tree.read_text(installer).strip()
        except ParseError as exc:
            diagnostics.append(Diagnostic(exc.path, exc.reason))
        else:
            evidence.append(Evidence("metadata", "INSTALLER", text, installer, Strength.DECLARED))
    reference = _direct_url(tree, posixpath.join(dist_dir, "direct_url.json"), diagnostics)
    purl = purls.pypi(name, version or None, vcs_url=reference.vcs, download_url=reference.download)
    evidence += reference.evidence
    component = Component(
        purl=purl,
        kind=ComponentKind.LIBRARY,
        name=name,
        version=version or None,
        hashes=tuple(sorted(set(reference.hashes))),
        license=_license(raw),
        locations=(Location(tree.ref, dist_dir),),
        evidence=tuple(evidence),
        found_by=PythonEnvironmentCollector.name,
    )
    requires = list(raw.get("requires_dist", []))
    if dist_dir.endswith(".egg-info") and tree.entry(f"{dist_dir}/requires.txt") is not None:
        requires += _egg_requires(tree, f"{dist_dir}/requires.txt", diagnostics)
    packaged: list[Finding] = []
    if dist_dir.endswith(".dist-info"):
        _check_record(tree, dist_dir, diagnostics)
        component, packaged, problems = packaged_weights(tree, dist_dir, component)
        diagnostics.extend(problems)
    dist = _Dist(
        component,
        requires,
        {canonicalize_name(e) for e in raw.get("provides_extra", [])},
        tree.entry(posixpath.join(dist_dir, "REQUESTED")) is not None,
        packaged,
    )
    if reference.kind:
        message = f"{name} was installed from a {reference.kind} ({reference.url})"
        dist.findings.append(finding("package.direct-reference", purl, message, reference.evidence))
    if reference.editable:
        message = f"{name} is an editable install of {reference.url}"
        dist.findings.append(finding("package.editable", purl, message, reference.evidence))
    return dist


def _license(raw: Any) -> str | None:
    if raw.get("license_expression"):
        return str(raw["license_expression"])
    text = str(raw.get("license") or "").strip()
    if text and "\n" not in text and len(text) <= 100:
        return text
    names = [
        c.split("::")[-1].strip() for c in raw.get("classifiers", []) if c.startswith("License ::")
    ]
    return "; ".join(names) or None


@dataclass(frozen=True, slots=True)
class _Reference:
    """What a PEP 610 direct_url.json says; empty when there is none."""

    kind: str = ""
    url: str = ""
    vcs: str | None = None
    download: str | None = None
    editable: bool = False
    hashes: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


def _direct_url(tree: Tree, path: str, diagnostics: list[Diagnostic]) -> _Reference:
    if tree.entry(path) is None:
        return _Reference()
    try:
        doc = load_json(tree.read_bytes(path))
        url = _redact_any(doc["url"])
        if not isinstance(url, str) or not isinstance(doc, dict):
            raise TypeError
    except ParseError as exc:
        diagnostics.append(Diagnostic(exc.path, exc.reason))
        return _Reference()
    except (ValueError, KeyError, TypeError):
        diagnostics.append(Diagnostic(path, "not a PEP 610 direct_url.json (needs a `url`)"))
        return _Reference()
    claims = [("url", url)]
    hashes: tuple[str, ...] = ()
    vcs_info, archive, dir_info = (doc.get(k) for k in ("vcs_info", "archive_info", "dir_info"))
    if isinstance(vcs_info, dict):
        claims += [(f"vcs_info.{k}", str(v)) for k, v in vcs_info.items() if isinstance(v, str)]
        commit = vcs_info.get("commit_id")
        vcs = f"{vcs_info.get('vcs', 'git')}+{url}" + (f"@{commit}" if commit else "")
        kind, download, editable = "VCS checkout", None, False
    else:
        vcs, download = None, url
        editable = isinstance(dir_info, dict) and dir_info.get("editable") is True
        kind = "local directory" if isinstance(dir_info, dict) else "URL or file"
        hashes = _archive_hashes(archive) if isinstance(archive, dict) else ()
    evidence = tuple(Evidence("direct-url", k, v, path, Strength.DECLARED) for k, v in claims)
    return _Reference(kind, url, vcs, download, editable, hashes, evidence)


def _archive_hashes(archive: dict[str, Any]) -> tuple[str, ...]:
    found = dict(archive.get("hashes", {})) if isinstance(archive.get("hashes"), dict) else {}
    if isinstance(archive.get("hash"), str):
        algorithm, _, value = archive["hash"].partition("=")
        found.setdefault(algorithm, value)
    return tuple(
        f"{k.lower()}:{v.lower()}"
        for k, v in found.items()
        if isinstance(k, str) and isinstance(v, str) and re.fullmatch(r"[0-9a-fA-F]+", v)
    )


def _egg_requires(tree: Tree, path: str, diagnostics: list[Diagnostic]) -> list[str]:
    """requires.txt sections (`[extra]`, `[extra:marker]`, `[:marker]`) as Requires-Dist."""
    try:
        text = tree.read_text(path)
    except ParseError as exc:
        diagnostics.append(Diagnostic(exc.path, exc.reason))
        return []
    requires, marker = [], ""
    for line in (raw.strip() for raw in text.splitlines()):
        if line.startswith("[") and line.endswith("]"):
            extra, _, condition = line[1:-1].partition(":")
            parts = [f"({condition})" if condition else "", f'extra == "{extra}"' if extra else ""]
            marker = " and ".join(p for p in parts if p)
        elif line and not line.startswith("#"):
            requires.append(f"{line}; {marker}" if marker else line)
    return requires


def _check_record(tree: Tree, dist_dir: str, diagnostics: list[Diagnostic]) -> None:
    """RECORD must be CSV; files it lists with a hash must exist (hashing them is not cheap)."""
    path = posixpath.join(dist_dir, "RECORD")
    if tree.entry(path) is None:
        return
    site = posixpath.dirname(dist_dir)
    try:
        rows = list(csv.reader(io.StringIO(tree.read_text(path)), strict=True))
    except ParseError as exc:
        diagnostics.append(Diagnostic(exc.path, exc.reason))
        return
    except csv.Error as exc:
        diagnostics.append(Diagnostic(path, f"RECORD is not valid CSV: {exc}"))
        return
    missing = []
    for row in rows:
        if len(row) < 2 or not row[0] or not row[1] or row[0].startswith("/"):
            continue
        listed = posixpath.normpath(posixpath.join(site, row[0]))
        if listed.startswith("../") or listed == ".." or "__pycache__" in listed.split("/"):
            continue  # outside the tree, or caches that trees may leave out
        if tree.entry(listed) is None:
            missing.append(listed)
    if missing:
        diagnostics.append(
            Diagnostic(
                path, f"{len(missing)} file(s) listed in RECORD are missing, e.g. {missing[0]}"
            )
        )


def _redact_any(url: Any) -> Any:
    """PEP 610 asks installers to drop credentials; not all do. Non-strings pass through."""
    return redact(url) if isinstance(url, str) else url
