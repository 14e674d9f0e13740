"""What the Python lockfile parsers share: reading TOML with line numbers, locating
`[[table]]` headers, matching requirements to locked entries under markers, the project's
own pyproject.toml as the graph's root, and findings for non-registry sources.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar
from urllib.parse import unquote

import tomli
from packaging.utils import canonicalize_name

from auditor import purls
from auditor.bounded import TooDeep, check_toml_depth
from auditor.errors import ParseError
from auditor.model import Component, ComponentFile, ComponentKind, Evidence, Finding, Location
from auditor.policy.builtin import finding
from auditor.sources import Tree

if TYPE_CHECKING:  # the marker and requirement parsers (~8 ms) load only for the lockfiles
    # that match requirements to locked entries (pdm, pylock), never for uv.lock or poetry.lock
    from packaging.markers import Marker
    from packaging.requirements import Requirement

_HASH = re.compile(r"[a-z0-9]+:[0-9a-f]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")


_PLATFORMS = (("linux", "Linux", "posix", "x86_64"), ("win32", "Windows", "nt", "AMD64"),
              ("darwin", "Darwin", "posix", "arm64"))  # fmt: skip


_PROBES = tuple(
    {"python_version": v, "python_full_version": f"{v}.0", "sys_platform": s,
     "platform_system": system, "os_name": os_name, "platform_machine": machine,
     "implementation_name": impl, "platform_python_implementation": impl_name, "extra": ""}
    for v in ("2.7", *(f"3.{minor}" for minor in range(17)))
    for s, system, os_name, machine in _PLATFORMS
    for impl, impl_name in (("cpython", "CPython"), ("pypy", "PyPy"))
)  # fmt: skip


class Locked(Protocol):
    """What `resolve` needs of a locked entry (pdm's and pylock's)."""

    @property
    def key(self) -> str: ...  # PEP 503 name
    @property
    def version(self) -> str | None: ...
    @property
    def marker(self) -> Marker | None: ...
    @property
    def local(self) -> str | None: ...  # normalised local path, for `-e ./path` roots


def load_toml(tree: Tree, path: str) -> tuple[str, dict[str, Any]]:
    """The file's text and TOML document; ParseError with the line for bad TOML."""
    text = tree.read_text(path)
    return text, loads_toml(path, text)


def loads_toml(path: str, text: str) -> dict[str, Any]:
    """`text` (the file at `path`) as a TOML document; ParseError with the line for bad TOML."""
    try:
        check_toml_depth(text)
        return tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise ParseError(path, f"not valid TOML: {exc.msg}", exc.lineno) from None
    except TooDeep as exc:
        raise ParseError(path, f"TOML {exc}") from None


def headers(text: str, table: str, count: int) -> list[int | None]:
    """1-based lines of the `[[table]]` headers, when there is one per parsed table."""
    pattern = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]\s*(#.*)?$")
    found: list[int | None] = [n for n, s in enumerate(text.splitlines(), 1) if pattern.match(s)]
    return found if len(found) == count else [None] * count


def compatible(*markers: Marker | None) -> bool:
    """Whether all markers hold together in some probed environment."""
    present = [m for m in markers if m is not None]

    def holds(marker: Marker, env: dict[str, str]) -> bool:
        try:
            return bool(marker.evaluate(env))
        except Exception:  # an undecidable marker must not rule an entry out
            return True

    return any(all(holds(m, env) for m in present) for env in _PROBES)


_Locked = TypeVar("_Locked", bound=Locked)


def resolve(
    wanted: Requirement | str, owner: Marker | None, by_name: Mapping[str, Sequence[_Locked]]
) -> Iterator[tuple[_Locked, str | None]]:
    """The entries a requirement (or a local `-e` path) can resolve to, with the edge marker.

    Every entry of the name whose version satisfies the requirement; when there are several,
    those whose marker can hold together with the requirement's and the dependent's (else
    all of them, as the probes could not decide). The edge keeps the requirement's marker,
    joined with the entry's own when the lock has several entries of the name.
    """
    if isinstance(wanted, str):
        yield from ((e, None) for es in by_name.values() for e in es if e.local == wanted)
        return
    entries = by_name.get(canonicalize_name(wanted.name), [])
    found = [
        e
        for e in entries
        if e.version is None or wanted.specifier.contains(e.version, prereleases=True)
    ]
    if len(found) > 1:
        found = [e for e in found if compatible(owner, wanted.marker, e.marker)] or found
    for entry in found:
        markers = [wanted.marker] + ([entry.marker] if len(entries) > 1 else [])
        texts = [str(m) for m in markers if m is not None]
        yield entry, (" and ".join(f"({t})" for t in texts) if len(texts) > 1 else
                      next(iter(texts), None))  # fmt: skip


def project_roots(
    tree: Tree, lock: str
) -> tuple[str, list[tuple[Requirement | str, str | None]]] | None:
    """The project's purl and what it asks for (with scope), from pyproject.toml beside `lock`.

    Reads `[project] dependencies` (scope None), `optional-dependencies` (`extra:<name>`),
    `[dependency-groups]` and pdm's `[tool.pdm.dev-dependencies]` (`group:<name>`). A local
    `-e <path>` entry is returned as its normalised path. None when there is no usable
    project file: then nothing can be called direct.
    """
    folder = lock.rpartition("/")[0]
    sibling = f"{folder}/pyproject.toml" if folder else "pyproject.toml"
    if tree.entry(sibling) is None:
        return None
    try:
        _, doc = load_toml(tree, sibling)
    except ParseError:
        return None
    project = doc.get("project")
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        return None
    version = project.get("version") if isinstance(project.get("version"), str) else None
    lists: list[tuple[str | None, Any]] = [(None, project.get("dependencies", []))]
    tool = doc.get("tool", {})
    pdm = tool.get("pdm", {}) if isinstance(tool, dict) else {}
    for table, prefix in (
        (project.get("optional-dependencies"), "extra"),
        (doc.get("dependency-groups"), "group"),
        (pdm.get("dev-dependencies") if isinstance(pdm, dict) else None, "group"),
    ):
        if isinstance(table, dict):
            lists += [(f"{prefix}:{name}", items) for name, items in table.items()]
    wanted: list[tuple[Requirement | str, str | None]] = []
    for scope, items in lists:
        for item in items if isinstance(items, list) else []:
            parsed = _requirement(item)
            if parsed is not None:
                wanted.append((parsed, scope))
    try:
        return purls.pypi(project["name"], version), wanted
    except ValueError:  # a name packageurl refuses
        return None


def _requirement(item: object) -> Requirement | str | None:
    """A PEP 508 requirement, a local editable path (pdm's `-e file:///${PROJECT_ROOT}/x`)."""
    if not isinstance(item, str):
        return None  # e.g. {include-group = "..."}: that group is read on its own
    if item.startswith("-e "):
        target = re.sub(r"^file://+(\$\{PROJECT_ROOT\}/)?", "", item[3:].strip())
        return posixpath.normpath(target.split("#", 1)[0])
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(item)
    except InvalidRequirement:
        return None


def source_findings(
    name: str, purl: str, kind: str, value: str, editable: bool, evidence: tuple[Evidence, ...]
) -> list[Finding]:
    """`package.direct-reference` (and `package.editable`) for a non-registry source."""
    message = f"{name} is locked to a non-registry source ({kind}: {value})"
    found = [finding("package.direct-reference", purl, message, evidence)]
    if editable:
        message = f"{name} is an editable install of {value}"
        found.append(finding("package.editable", purl, message, evidence))
    return found


def clean_hashes(values: Sequence[str]) -> tuple[str, ...]:
    """`algorithm:hex`, lower-case, sorted, duplicates and malformed values dropped."""
    return tuple(sorted({v.lower() for v in values if _HASH.fullmatch(v.lower())}))


class LockedEntry:
    """What a pdm or pylock entry becomes in the inventory (subclasses set the fields)."""

    found_by: ClassVar[str]
    name: str
    version: str | None
    purl: str
    hashes: tuple[str, ...]
    files: tuple[ComponentFile, ...] = ()
    location: Location
    evidence: tuple[Evidence, ...]

    def component(self, direct: bool | None) -> Component:
        """The entry as a component; `direct` comes from the project beside the lock."""
        return Component(
            purl=self.purl,
            kind=ComponentKind.LIBRARY,
            name=self.name,
            version=self.version,
            hashes=self.hashes,
            files=self.files,
            locations=(self.location,),
            direct=direct,
            evidence=self.evidence,
            found_by=self.found_by,
        )


def pinned_files(
    entries: Sequence[Mapping[str, Any]], where: str, name_keys: Sequence[str] = ("file", "url")
) -> tuple[ComponentFile, ...]:
    """The distribution files a lock pins by name (`{file|url|name, hash|hashes, size}`
    tables): file name, sha256 and size, located at the lock entry (`path:line`) that pins
    them, so a digest the index disagrees with names its file and its lockfile."""
    # A 680-package uv.lock pins ~8,000 files: the loop avoids a call per step it can.
    out: dict[tuple[str, str], ComponentFile] = {}
    for entry in entries:
        raw = entry.get("hash")
        if raw is None:
            hashes = entry.get("hashes")
            if isinstance(hashes, Mapping) and isinstance(hashes.get("sha256"), str):
                raw = f"sha256:{hashes['sha256']}"
        if not isinstance(raw, str):
            continue
        name = None
        for key in name_keys:
            value = entry.get(key)
            if isinstance(value, str) and value:
                name = value
                break
        if name is None:
            continue
        algorithm, _, digest = raw.lower().partition(":")
        if algorithm != "sha256" or not _SHA256.fullmatch(digest):
            continue
        # Not urlsplit: it raises on a malformed host (`[`), and only the last segment counts.
        path = name.partition("?")[0].partition("#")[0]
        file = path[path.rfind("/") + 1 :]  # posixpath.basename, without its call
        if "%" in file:
            file = unquote(file)
        file = file or name
        if (file, digest) in out:
            continue
        size = entry.get("size")
        sized = size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None
        out[file, digest] = ComponentFile(file, sized, digest, None, where)
    return tuple(out[k] for k in sorted(out))
