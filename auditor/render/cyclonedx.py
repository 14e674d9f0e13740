"""`--format cyclonedx`: a CycloneDX 1.6 JSON BOM built with cyclonedx-python-lib.

This module assembles the document; each inventory entry's component (ML-BOM facts and model
cards included) is made by `auditor.render.cyclonedx_components`.

What goes where:
- metadata: the tool, the scan's start time, the scanned target(s) as the metadata
  component (several targets: a parent with one sub-component each), and the scan's id,
  status and diagnostics count as properties;
- components: the inventory, in its order (see cyclonedx_components);
- services: the hosted AI services the code calls, with endpoints (see cyclonedx_services);
- dependencies: every `depends_on` edge of the scan, unchanged. A project root that is not
  an inventory entry (uv.lock's own project) becomes an `application` sub-component of the
  metadata component, which depends on it, so the graph stays complete; an edge to a purl
  the inventory lacks keeps its target as a component marked `auditor:inventory=referenced`;
- vulnerabilities: findings from vulnerability rules (`vuln.*`, `vulnerability.*`);
- model cards, added to the serialised JSON because cyclonedx-python-lib has no model for them.

The library is slow to import (~0.2 s), so it is imported only when this format is used.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from auditor.model import (
    DependencyKind,
    Finding,
    Scan,
    Target,
    TargetKind,
)
from auditor.render import Renderer
from auditor.render.cyclonedx_components import (
    CARD_FIELDS,
    HASH_ALGORITHMS,
    ML_KINDS,
    PREFIX,
    bom_components,
    cdx_hashes,
    model_cards,
    properties,
    purl_of,
)

if TYPE_CHECKING:
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.vulnerability import Vulnerability

TOOL_NAME = "origin-auditor"
VULNERABILITY_RULES = ("vuln.", "vulnerability.")
"""Rule id prefixes whose findings are vulnerabilities, not policy findings."""

__all__ = [  # with the component side's names, importable from here as before
    "CARD_FIELDS",
    "HASH_ALGORITHMS",
    "ML_KINDS",
    "PREFIX",
    "TOOL_NAME",
    "VULNERABILITY_RULES",
    "CycloneDxRenderer",
    "bom_components",
    "build_bom",
    "model_cards",
    "serial_number",
]


class CycloneDxRenderer(Renderer):
    """`--format cyclonedx`: CycloneDX 1.6 JSON."""

    name: ClassVar[str] = "cyclonedx"

    def render(self, scan: Scan) -> str:
        """The BOM as indented JSON; identical scans give identical text. A scan of one
        CycloneDX JSON SBOM gets that document back, enriched (auditor.render.sbom_enrich_cdx)."""
        import warnings

        from auditor.render.sbom_enrich_cdx import write_back

        if (enriched := write_back(scan)) is not None:
            return enriched

        from cyclonedx.output.json import JsonV1Dot6

        bom = build_bom(scan)
        with warnings.catch_warnings():
            # The library warns when the described component has no dependencies; a scan
            # that found nothing, or only a dependency cycle, is still a valid BOM.
            warnings.filterwarnings("ignore", message="The Component this BOM is describing")
            text = JsonV1Dot6(bom).output_as_string(indent=2)
        cards = model_cards(scan)
        if cards:
            text = _add_model_cards(text, cards)
        return text + "\n"

    def notices(self, scan: Scan) -> tuple[str, ...]:
        """Why a scan of one SBOM was not written back, if it was not."""
        from auditor.render.sbom_enrich_cdx import notice

        return tuple(n for n in (notice(scan),) if n)


def _add_model_cards(text: str, cards: dict[str, dict[str, object]]) -> str:
    bom = json.loads(text)
    for component in bom.get("components", []):
        card = cards.get(component.get("bom-ref", ""))
        if card is not None:
            component["modelCard"] = card
    return json.dumps(bom, indent=2)


def build_bom(scan: Scan) -> Bom:
    """The scan as a cyclonedx-python-lib Bom (no I/O; the renderer serialises it)."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.dependency import Dependency

    edges: dict[str, list[str]] = {}
    for dep in scan.dependencies:
        if dep.kind is DependencyKind.DEPENDS_ON:
            edges.setdefault(dep.source, []).append(dep.target)
    listed = {c.purl for c in scan.components}
    referenced = {t for targets in edges.values() for t in targets}
    roots = sorted(set(edges) - listed - referenced)
    missing = sorted(referenced - listed)
    from auditor.render.cyclonedx_services import bom_services

    components = bom_components(scan) + [_referenced_only(purl) for purl in missing]
    services = bom_services(scan)
    metadata = _metadata(scan, [_project_root(purl) for purl in roots])
    assert metadata.component is not None  # _metadata always describes the targets
    # The described component depends on what the project asks for: its roots, direct
    # components, anything nothing else depends on and, failing those, one member of each
    # cycle nothing else reaches, so every component is reachable from it.
    top = [*roots, *(c.purl for c in scan.components if c.direct or c.purl not in referenced)]
    top += _unreachable(top, [c.purl for c in scan.components], edges)
    edges[str(metadata.component.bom_ref)] = list(dict.fromkeys(top))
    refs = {str(c.bom_ref): c.bom_ref for c in metadata.component.get_all_nested_components(True)}
    refs.update((str(c.bom_ref), c.bom_ref) for c in components)
    refs.update((str(s.bom_ref), s.bom_ref) for s in services)
    dependencies = [
        Dependency(ref=refs[ref], dependencies=[Dependency(ref=refs[t]) for t in set(targets)])
        for ref, targets in edges.items()
    ]
    known = set(refs)
    return Bom(
        serial_number=serial_number(scan.id),
        metadata=metadata,
        components=components,
        services=services,
        dependencies=dependencies,
        vulnerabilities=[
            _vulnerability(f, n)
            for n, f in enumerate(scan.findings, 1)
            if f.rule.startswith(VULNERABILITY_RULES) and f.purl in known
        ],
    )


def _vulnerability(f: Finding, n: int) -> Vulnerability:
    """A finding from a vulnerability rule: its advisory id when the evidence names one."""
    from cyclonedx.model.vulnerability import (
        BomTarget,
        Vulnerability,
        VulnerabilityRating,
        VulnerabilitySeverity,
        VulnerabilitySource,
    )

    advisory = next((e for e in f.evidence if e.field in ("id", "advisory")), None)
    return Vulnerability(
        bom_ref=f"{f.purl}#vulnerability-{n}",
        id=advisory.value if advisory else f.rule,
        source=VulnerabilitySource(name=advisory.source) if advisory else None,
        description=f.message,
        ratings=[VulnerabilityRating(severity=VulnerabilitySeverity(f.severity.value))],
        affects=[BomTarget(ref=f.purl)],
        properties=properties([("rule", f.rule), ("action", f.action.value)]),
    )


def _unreachable(top: list[str], purls: list[str], edges: dict[str, list[str]]) -> list[str]:
    """Entry points for what `top` cannot reach: parts only reachable through a cycle.

    Each pick is the first unreached purl in inventory order, so the output stays stable.
    """
    seen: set[str] = set()
    picked: list[str] = []

    def visit(start: str) -> None:
        todo = [start]
        while todo:
            ref = todo.pop()
            if ref not in seen:
                seen.add(ref)
                todo.extend(edges.get(ref, ()))

    for ref in top:
        visit(ref)
    for purl in purls:
        if purl not in seen:
            picked.append(purl)
            visit(purl)
    return picked


def serial_number(scan_id: str) -> uuid.UUID:
    """The scan id when it is a UUID (it always is for our scans), else one derived from it."""
    try:
        return uuid.UUID(scan_id)
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:{TOOL_NAME}:scan:{scan_id}")


def _metadata(scan: Scan, roots: list[CdxComponent]) -> BomMetaData:
    from cyclonedx.model.bom import BomMetaData
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.tool import ToolRepository

    tool = CdxComponent(type=ComponentType.APPLICATION, name=TOOL_NAME, version=scan.tool_version)
    targets = [_target_component(t) for t in scan.targets]
    if len(targets) == 1:
        described = targets[0]
        described.components = [*described.components, *roots]
    else:
        # Several targets: one parent so the BOM still describes exactly one thing.
        described = CdxComponent(
            type=ComponentType.APPLICATION,
            name=f"{len(targets)} targets",
            bom_ref=f"scan:{scan.id}",
            components=[*targets, *roots],
        )
    facts = [
        ("scan:id", scan.id),
        ("scan:status", scan.status.value),
        ("scan:finished-at", scan.finished_at),
        ("scan:policy-version", scan.policy_version),
        ("scan:diagnostics", str(len(scan.diagnostics))),
    ]
    return BomMetaData(
        timestamp=datetime.fromisoformat(scan.started_at),
        tools=ToolRepository(components=[tool]),
        component=described,
        properties=properties(facts),
    )


def _target_component(target: Target) -> CdxComponent:
    """A scanned target: a file for a lockfile, SBOM or weight file, else an application."""
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType

    is_file = target.kind in (TargetKind.LOCKFILE, TargetKind.FILE, TargetKind.SBOM)
    kind = {TargetKind.IMAGE: ComponentType.CONTAINER}.get(target.kind, ComponentType.APPLICATION)
    # A file target's digest is that file's sha256, a real hash; a directory's is ours.
    hashes, _ = cdx_hashes([target.digest] if is_file else [])
    facts = [
        ("target:kind", target.kind.value),
        ("target:identity", target.identity),
        ("target:digest", target.digest),
    ]
    return CdxComponent(
        type=ComponentType.FILE if is_file else kind,
        name=target.ref,
        bom_ref=f"target:{target.identity}",
        hashes=hashes,
        properties=properties(facts),
    )


def _project_root(purl: str) -> CdxComponent:
    """A dependency graph's root that the inventory does not list: the project itself."""
    return _from_purl(purl, "project-root")


def _referenced_only(purl: str) -> CdxComponent:
    """The target of an edge whose own entry the input lacks."""
    return _from_purl(purl, "referenced")


def _from_purl(purl: str, inventory: str) -> CdxComponent:
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType

    parsed = purl_of(purl)
    is_root = inventory == "project-root"
    return CdxComponent(
        type=ComponentType.APPLICATION if is_root else ComponentType.LIBRARY,
        name=parsed.name if parsed else purl,
        version=parsed.version if parsed else None,
        bom_ref=purl,
        purl=parsed,
        properties=properties([("inventory", inventory)]),
    )
