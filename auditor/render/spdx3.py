"""`--format spdx3`: an SPDX 3.0.1 JSON-LD document with the AI and Dataset profiles,
written directly (no SPDX library at run time). `--format spdx` stays SPDX 2.3.

- one `CreationInfo` (blank node `_:creationinfo`) made by a `SoftwareAgent` using a `Tool`,
  both origin-auditor; an `SpdxDocument` whose root is a `software_Sbom` (type `analyzed`);
- each target a `software_Package` the SBOM is rooted at, which `contains` what was found in
  it (and `dependsOn`, scope runtime, the hosted services its code calls);
- each inventory entry a package (auditor.render.spdx3_packages): `ai_AIPackage` for models
  and loose weights, `dataset_DatasetPackage` for datasets, `software_Package` otherwise;
- agents: `suppliedBy` is the attributed organisation (else the publisher account, a
  `Person` when people publish it, a plain `Agent` when the kind is unknown), `originatedBy`
  the organisations the model answer (auditor.graph.trace) traces it to; SPDX 3.0.1 has no
  country field, so an Organization's country is its `comment` and an `auditor:country`
  entry of a `CdxPropertiesExtension` (the Extension profile's name/value list);
- licences are `simplelicensing_LicenseExpression` elements, `hasDeclaredLicense` from the
  component's own declaration, `hasConcludedLicense` only for a derived model whose lineage
  roots' licences are known (the weights are the roots', under their terms); a licence that
  is no SPDX expression is a `LicenseRef-` whose text is a `simplelicensing_SimpleLicensingText`;
- edges: `depends_on` is `dependsOn` (`hasOptionalDependency` for optional and extra
  scopes, scope `development` for dev), `contains` (vendored) is `contains`, lineage
  (`derived_from` and every hop of the model answer's paths) is `descendantOf` from child to
  parent with the relation word (`finetune`, `quantized`, `adapter`, `merge`) and its support
  in the relationship's comment, `trainedOn` when the parent is a dataset, and `copiedTo`
  from the parent to a loose file that is a copy of its bytes (relation `copy`).

Identifiers are `https://spdx.invalid/origin-auditor/<scan id>/SPDXRef-<kind>-…-<hash>`:
the same scan gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import quote

from auditor.graph.trace import COPY, SELF, Tracer, unversioned
from auditor.model import (
    MODEL_LAB,
    Component,
    ComponentKind,
    DependencyKind,
    Origin,
    Scan,
    Target,
    TargetKind,
)
from auditor.render import Renderer
from auditor.render.spdx import NAMESPACE_BASE, NOASSERTION, _licence, _timestamp, spdx_id
from auditor.render.spdx3_packages import (
    CREATION,
    Agents,
    is_dataset,
    package,
    referenced_package,
    service_package,
)

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
SPEC_VERSION = "3.0.1"
LINEAGE_WORDS = ("finetune", "quantized", "adapter", "merge")
"""The Hub's `base_model_relation` words; anything else (`derived`) says no more than that."""
TARGET_PURPOSE = {
    TargetKind.IMAGE: "container",
    TargetKind.LOCKFILE: "manifest",
    TargetKind.FILE: "file",
}


class Spdx3Renderer(Renderer):
    """`--format spdx3`."""

    name: ClassVar[str] = "spdx3"

    def render(self, scan: Scan) -> str:
        """The document as indented JSON; identical scans give identical text (orjson
        writes what `json.dumps(indent=2, ensure_ascii=False)` does, several times faster)."""
        import orjson

        return orjson.dumps(spdx3_document(scan), option=orjson.OPT_INDENT_2).decode() + "\n"


class _Graph:
    """The `@graph` being built: elements by id in insertion order, relationships grouped
    by (from, type, scope, comment) so one relationship lists every `to`."""

    def __init__(self, scan: Scan) -> None:
        self.base = f"{NAMESPACE_BASE}{quote(scan.id, safe='')}/"
        self.elements: dict[str, dict[str, Any]] = {}
        self.relations: dict[tuple[str, str, str | None, str | None], list[str]] = {}

    def iri(self, kind: str, key: str) -> str:
        """A stable element IRI: the document's namespace and the SPDX 2.3 id of `key`."""
        return self.base + spdx_id(kind, key)

    def add(self, element: dict[str, Any]) -> str:
        """Keep the first element of each id; return the id."""
        self.elements.setdefault(element["spdxId"], element)
        return str(element["spdxId"])

    def relate(
        self, a: str, kind: str, b: str, scope: str | None = None, comment: str | None = None
    ) -> None:
        targets = self.relations.setdefault((a, kind, scope, comment), [])
        if b not in targets:
            targets.append(b)

    def relationships(self) -> list[dict[str, Any]]:
        out = []
        for (a, kind, scope, comment), targets in self.relations.items():
            key = f"{a} {kind} {scope or ''} {comment or ''} " + " ".join(targets)
            rel: dict[str, Any] = {
                "type": "LifecycleScopedRelationship" if scope else "Relationship",
                "spdxId": self.iri("Relationship", key),
                "creationInfo": CREATION,
                "from": a,
                "relationshipType": kind,
                "to": targets,
            }
            if scope:
                rel["scope"] = scope
            if comment:
                rel["comment"] = comment
            out.append(rel)
        return out


def spdx3_document(scan: Scan) -> dict[str, Any]:
    """The scan as an SPDX 3.0.1 JSON-LD document (a dict ready for json.dumps)."""
    from auditor import __version__

    graph = _Graph(scan)
    tracer = Tracer(scan)
    origins = scan.origins_by_purl()
    agents = Agents(graph.iri, graph.add)
    tool = f"origin-auditor {__version__}"
    creator = graph.add(_element("SoftwareAgent", graph.iri("Agent", tool), tool))
    using = graph.add(_element("Tool", graph.iri("Tool", tool), tool))

    listed = {c.purl: c for c in scan.components}
    revisions: dict[str, str] = {}
    for c in scan.components:
        revisions.setdefault(unversioned(c.purl), c.purl)

    def canonical(purl: str) -> str:
        """The inventory's purl for `purl` (a base named without its cached revision)."""
        return purl if purl in listed else revisions.get(unversioned(purl), purl)

    ids: dict[str, str] = {}

    def element_of(purl: str) -> str:
        """The package of `purl`: the inventory's, or one referenced by an edge."""
        purl = canonical(purl)
        if purl not in ids:
            ids[purl] = graph.iri("Package", purl)
            graph.add(referenced_package(ids[purl], purl, tracer.trace(purl), agents))
        return ids[purl]

    roots = [graph.add(_target_package(graph.iri("Target", t.identity), t)) for t in scan.targets]
    if not roots:  # the SBOM must be rooted at something
        roots.append(graph.add(_element("software_Package", graph.iri("Scan", scan.id),
                                        f"scan {scan.id}")))  # fmt: skip
    by_ref = {t.ref: graph.iri("Target", t.identity) for t in scan.targets}
    services = {}
    if any(c.kind is ComponentKind.SERVICE for c in scan.components):
        from auditor.render.services_view import service_rows

        services = {r.purl: r for r in service_rows(scan, tracer)}
    for c in scan.components:
        ids[c.purl] = graph.iri("Package", c.purl)
        trace = tracer.trace(c.purl)
        origin = origins.get(c.purl)
        if c.kind is ComponentKind.SERVICE:
            graph.add(service_package(ids[c.purl], c, services[c.purl], trace, agents))
        else:
            graph.add(package(ids[c.purl], c, origin, trace, agents))
        for ref in dict.fromkeys(loc.target for loc in c.locations if loc.target in by_ref):
            if c.kind is ComponentKind.SERVICE:  # called, not shipped
                graph.relate(by_ref[ref], "dependsOn", ids[c.purl], scope="runtime")
            else:
                graph.relate(by_ref[ref], "contains", ids[c.purl])

    def dataset(purl: str) -> bool:
        return is_dataset(canonical(purl), listed.get(canonical(purl)))

    for c in scan.components:
        _licences(graph, ids[c.purl], c, origins.get(c.purl), tracer, dataset)
    _edges(graph, scan, listed, element_of)
    _lineage(graph, scan, tracer, listed, canonical, element_of)

    sbom = graph.iri("Sbom", scan.id)
    data_licence = _expression(graph, "CC0-1.0", {})
    members = [i for i in graph.elements if i != sbom]
    relationships = graph.relationships()
    members += [r["spdxId"] for r in relationships]
    profiles = ["core", "software", "simpleLicensing"]
    types = {e["type"] for e in graph.elements.values()}
    if "ai_AIPackage" in types:
        profiles.append("ai")
    if "dataset_DatasetPackage" in types:
        profiles.append("dataset")
    # The Extension profile is used (CdxPropertiesExtension) but not declared: in the 3.0.1
    # JSON-LD context the word `extension` expands to the property Core/extension, not the
    # profile, so the model's shapes refuse it (the JSON schema alone would accept it).
    document = _element("SpdxDocument", graph.iri("Document", scan.id),
                        f"origin-auditor scan {scan.id}")  # fmt: skip
    document |= {
        "comment": f"scan status {scan.status.value}; {len(scan.diagnostics)} diagnostics",
        "dataLicense": data_licence,
        "profileConformance": profiles,
        "rootElement": [sbom],
        "element": [sbom, *members],
    }
    sbom_element = _element("software_Sbom", sbom, f"origin-auditor scan {scan.id}")
    sbom_element |= {"software_sbomType": ["analyzed"], "rootElement": roots,
                     "element": members}  # fmt: skip
    creation = {
        "type": "CreationInfo",
        "@id": CREATION,
        "specVersion": SPEC_VERSION,
        "created": _timestamp(scan.started_at),
        "createdBy": [creator],
        "createdUsing": [using],
    }
    return {
        "@context": CONTEXT,
        "@graph": [creation, document, sbom_element, *graph.elements.values(), *relationships],
    }


def _element(kind: str, iri: str, name: str) -> dict[str, Any]:
    return {"type": kind, "spdxId": iri, "creationInfo": CREATION, "name": name}


def _target_package(iri: str, target: Target) -> dict[str, Any]:
    found = _element("software_Package", iri, target.ref)
    found["software_primaryPurpose"] = TARGET_PURPOSE.get(target.kind, "other")
    algorithm, _, digest = target.digest.partition(":")
    if algorithm == "sha256" and target.kind in (TargetKind.LOCKFILE, TargetKind.FILE):
        # A file target's digest is that file's sha256; a directory's is ours, not a file's.
        found["verifiedUsing"] = [{"type": "Hash", "algorithm": "sha256", "hashValue": digest}]
    found["comment"] = f"scanned target ({target.kind.value}): {target.identity}"
    return found


def _expression(graph: _Graph, text: str | None, texts: dict[str, Any], link: str | None = None
                ) -> str | None:  # fmt: skip
    """The LicenseExpression element of a declared licence (None when there is none): an SPDX
    expression when it is one, else a `LicenseRef-` whose text is kept whole."""
    expression = _licence(text, texts, link)
    if expression == NOASSERTION:
        return None
    iri = graph.iri("License", expression)
    element: dict[str, Any] = {
        "type": "simplelicensing_LicenseExpression",
        "spdxId": iri,
        "creationInfo": CREATION,
        "simplelicensing_licenseExpression": expression,
    }
    entry = texts.get(expression)
    if entry is not None:  # a LicenseRef-: its text, and where the card links it
        text_iri = graph.iri("LicenseText", expression)
        licensing: dict[str, Any] = {
            "type": "simplelicensing_SimpleLicensingText",
            "spdxId": text_iri,
            "creationInfo": CREATION,
            "name": entry["name"],
            "simplelicensing_licenseText": entry["extractedText"],
        }
        if entry.get("seeAlsos"):
            licensing["comment"] = "see " + " ".join(entry["seeAlsos"])
        graph.add(licensing)
        element["simplelicensing_customIdToUri"] = [
            {"type": "DictionaryEntry", "key": expression, "value": text_iri}
        ]
    return graph.add(element)


def _licences(
    graph: _Graph,
    iri: str,
    c: Component,
    origin: Origin | None,
    tracer: Tracer,
    dataset: Callable[[str], bool],
) -> None:
    """Declared: the component's own. Concluded: its lineage roots' (models, not the
    datasets it was trained on, whose terms need not pass to the weights)."""
    from auditor.licences import link_of

    declared = _expression(graph, c.license, {}, link_of(c, origin))
    if declared:
        graph.relate(iri, "hasDeclaredLicense", declared)
    sources = [
        s
        for s in tracer.trace(c.purl).sources
        if s.relation not in (SELF, MODEL_LAB) and not dataset(s.root)
    ]
    concluded = [_expression(graph, s.licence, {}) for s in sources if s.licence]
    known = [x for x in dict.fromkeys(concluded) if x]
    note = "the lineage roots' licences: the weights are theirs, under their terms"
    if len(concluded) < len(sources):
        note += "; some roots' licences are unknown"
    for expression in known:
        graph.relate(iri, "hasConcludedLicense", expression, comment=note)


DEV_SCOPES = frozenset({"dev", "develop", "development", "test"})


def _edges(graph: _Graph, scan: Scan, listed: dict[str, Component], element_of: Any) -> None:
    """`depends_on` and `contains` edges (lineage is `_lineage`)."""
    for d in dict.fromkeys(scan.dependencies):
        if d.kind is DependencyKind.DERIVED_FROM:
            continue
        a, b = element_of(d.source), element_of(d.target)
        if d.kind is DependencyKind.CONTAINS:
            graph.relate(a, "contains", b)
        elif d.scope and (d.scope == "optional" or d.scope.startswith("extra:")):
            graph.relate(a, "hasOptionalDependency", b, comment=f"scope {d.scope}")
        elif d.scope in DEV_SCOPES:
            graph.relate(a, "dependsOn", b, scope="development")
        else:
            graph.relate(a, "dependsOn", b, comment=f"scope {d.scope}" if d.scope else None)


def _lineage(
    graph: _Graph,
    scan: Scan,
    tracer: Tracer,
    listed: dict[str, Component],
    canonical: Any,
    element_of: Any,
) -> None:
    """Every `derived_from` edge and every hop of every traced path (a stored scan may hold
    only the roots), child to parent."""
    hops: dict[tuple[str, str], tuple[str | None, str]] = {}
    for d in scan.dependencies:
        if d.kind is DependencyKind.DERIVED_FROM:
            hops.setdefault((canonical(d.source), canonical(d.target)), (d.scope, "declared"))
    for c in scan.components:
        for source in tracer.trace(c.purl).sources:
            if source.relation == MODEL_LAB:
                continue  # a service's lab: an organisation (originatedBy), not a package
            for hop in source.path:
                key = (canonical(hop.child), canonical(hop.parent))
                known = hops.get(key)
                relation = hop.relation or (known[0] if known else None)
                hops[key] = (relation, hop.strength.value)
    for (child, parent), (relation, strength) in hops.items():
        if child == parent:
            continue
        a, b = element_of(child), element_of(parent)
        parent_component = listed.get(parent)
        if relation == COPY:
            graph.relate(b, "copiedTo", a, comment=f"the same bytes ({strength})")
        elif is_dataset(parent, parent_component):
            graph.relate(a, "trainedOn", b, comment=f"derived from the dataset ({strength})")
        else:
            word = relation if relation in LINEAGE_WORDS else "derived"
            graph.relate(a, "descendantOf", b, comment=f"{word} ({strength})")
