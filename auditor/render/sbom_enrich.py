"""What the write-back adds to each entry of a vendor's SBOM, whatever its format: the scan's
component for the entry (found by the document's own id, kept by the reader as evidence
`sbom.ref`, else by its purl), and that component's origin facts — our attributed
organisation and country, the lineage roots (auditor.graph.trace, the model answer), the
source repository, and the `auditor:*` facts our own CycloneDX output carries, plus the
findings on it. `sbom_enrich_cdx` and `sbom_enrich_spdx` put them into the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packageurl import PackageURL
from packaging.utils import canonicalize_name

from auditor.graph.trace import Tracer
from auditor.model import Component, Finding, Origin, Scan
from auditor.render.cyclonedx_components import PREFIX, component_facts, trace_facts

REF_FIELD = "sbom.ref"
"""`Evidence.field` the SBOM readers keep an entry's bom-ref / SPDXID in
(auditor.sbom.collect.REF_FIELD; named here so a lockfile-only render imports no reader)."""


@dataclass(frozen=True, slots=True)
class Party:
    """An organisation as we attribute it, with its country when known."""

    name: str
    country: str | None


@dataclass(frozen=True, slots=True)
class Ancestor:
    """A lineage step above the entry (to its roots), as pedigree wants it."""

    purl: str
    name: str
    version: str | None
    component: Component | None
    """The ancestor's own inventory entry, when the scan has one."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What the scan says of one entry of the document."""

    component: Component
    origin: Origin | None
    supplier: Party | None
    """Our attributed organisation (who supplies it), from the origin."""
    manufacturer: Party | None
    """Whose work it is: the first lineage root with an organisation (itself, with none)."""
    ancestors: tuple[Ancestor, ...]
    repository: str | None
    """The source repository URL, when it is a web address."""
    properties: tuple[tuple[str, str], ...]
    """`auditor:`-prefixed name/value pairs, in our CycloneDX output's vocabulary."""


class Index:
    """The scan's components by the document ids and purls that name them."""

    def __init__(self, scan: Scan) -> None:
        self._scan = scan
        self._tracer = Tracer(scan)
        self._origins = scan.origins_by_purl()
        self._by_ref: dict[str, Component] = {}
        self._by_purl: dict[str, Component] = {}
        self._listed = {c.purl: c for c in scan.components}
        for c in scan.components:
            for e in c.evidence:
                if e.field == REF_FIELD:
                    self._by_ref.setdefault(e.value, c)
            self._by_purl.setdefault(c.purl, c)
        self._findings: dict[str, list[Finding]] = {}
        for f in scan.findings:
            self._findings.setdefault(f.purl, []).append(f)
        self._memo: dict[str, Facts] = {}
        self._keys: dict[str, Component] | None = None

    def find(self, ref: object, purl: object) -> Facts | None:
        """The facts of the entry with document id `ref` (else purl `purl`); None when the
        scan has no component for it."""
        found = self._by_ref.get(ref) if isinstance(ref, str) else None
        if found is None and isinstance(purl, str):
            found = self._by_purl.get(purl) or self._by_key().get(purl_key(purl))
        if found is None:
            return None
        if found.purl not in self._memo:
            self._memo[found.purl] = self._facts(found)
        return self._memo[found.purl]

    def _by_key(self) -> dict[str, Component]:
        """The components by normalised purl, made on the first lookup that needs it
        (parsing every purl is most of the cost on a large SBOM, and ids usually match)."""
        if self._keys is None:
            self._keys = {}
            for c in self._scan.components:
                self._keys.setdefault(purl_key(c.purl), c)
        return self._keys

    def _facts(self, c: Component) -> Facts:
        origin = self._origins.get(c.purl)
        trace = self._tracer.trace(c.purl)
        supplier = None
        if origin is not None and origin.organisation is not None:
            country = origin.country.value if origin.country else None
            supplier = Party(origin.organisation.value, country)
        root = next((s for s in trace.sources if s.organisation), None)
        manufacturer = None
        if root is not None and root.organisation:
            manufacturer = Party(root.organisation, root.country)
        ancestors = tuple(
            self._ancestor(p) for p in dict.fromkeys(p for s in trace.sources for p in s.purls[1:])
        )
        repository = origin.repository.value if origin and origin.repository else None
        if repository is not None and not _is_web(repository):
            repository = None
        facts = list(component_facts(c, origin, ()))
        if trace.derived or trace.organisations:  # a bare "itself, unknown" says nothing
            facts.extend(trace_facts(trace))
        facts.extend(
            ("finding", f"{f.rule} ({f.severity.value}, {f.action.value}): {f.message}")
            for f in self._findings.get(c.purl, ())
        )
        # Who found it is ours to know (the SBOM reader), not news about the component.
        properties = tuple(
            (f"{PREFIX}:{n}", v) for n, v in facts if v is not None and n != "found-by"
        )
        return Facts(c, origin, supplier, manufacturer, ancestors, repository, properties)

    def _ancestor(self, purl: str) -> Ancestor:
        known = self._listed.get(purl)
        if known is not None:
            return Ancestor(purl, known.name, known.version, known)
        try:
            parsed = PackageURL.from_string(purl)
        except ValueError:
            return Ancestor(purl, purl, None, None)
        name = f"{parsed.namespace}/{parsed.name}" if parsed.namespace else parsed.name
        return Ancestor(purl, name, parsed.version, None)


def purl_key(text: str) -> str:
    """A purl as the readers write it (a PyPI name normalised), to match a document's purl
    against the scan's; the text itself when it does not parse."""
    try:
        parsed = PackageURL.from_string(text.strip())
    except ValueError:
        return text
    if parsed.type == "pypi":
        parsed = parsed._replace(name=canonicalize_name(parsed.name))
    return str(parsed.to_string())


def _is_web(text: str) -> bool:
    return text.startswith(("https://", "http://")) and not any(ch.isspace() for ch in text)


def strip_ours(items: object, key: str = "name") -> Iterator[object]:
    """The entries of a list that are not ours (`auditor:`-named): a document enriched
    before gets today's facts, not two sets."""
    if not isinstance(items, list):
        return
    for item in items:
        name = item.get(key) if isinstance(item, dict) else None
        if not (isinstance(name, str) and name.startswith(f"{PREFIX}:")):
            yield item


def writeback_facts(
    scan: Scan, source: Path, sha256: str, serial: object, version: object, timestamp: object
) -> tuple[tuple[str, str], ...]:
    """The written-back document's own `auditor:*` metadata properties: where it came from
    (the vendor's serial, version, timestamp, file and its sha256) and the scan that enriched
    it; the same for CycloneDX JSON and XML."""
    facts: list[tuple[str, object]] = [
        ("source-serial-number", serial),
        ("source-version", version),
        ("source-timestamp", timestamp),
        ("source-sha256", sha256),
        ("source-file", PurePosixPath(source.as_posix()).name),
        ("scan:id", scan.id),
        ("scan:status", scan.status.value),
        ("scan:finished-at", scan.finished_at),
        ("scan:policy-version", scan.policy_version),
        ("scan:diagnostics", len(scan.diagnostics)),
    ]
    return tuple((f"{PREFIX}:{n}", str(v)) for n, v in facts if v is not None)
