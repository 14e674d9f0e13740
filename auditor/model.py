"""The value types every stage passes along (see the design's Vocabulary).

All are frozen, slotted dataclasses holding tuples, so a Scan can be shared between
threads, hashed and compared without defensive copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum, unique

from auditor.errors import Diagnostic


@unique
class ComponentKind(StrEnum):
    """What sort of thing a component is."""

    LIBRARY = "library"
    OS_PACKAGE = "os-package"
    MODEL = "model"
    DATASET = "dataset"
    WEIGHTS = "weights"
    APPLICATION = "application"
    SERVICE = "service"
    """A hosted API the code sends requests to (an AI model service), not a thing installed."""


@unique
class TargetKind(StrEnum):
    """How a named target was read."""

    LOCKFILE = "lockfile"
    DIRECTORY = "directory"
    ENVIRONMENT = "environment"
    IMAGE = "image"
    HF_CACHE = "hf-cache"
    FILE = "file"
    SBOM = "sbom"
    """A software bill of materials (CycloneDX, SPDX, syft JSON) read as the inventory."""


@unique
class Strength(StrEnum):
    """How much a piece of evidence can be trusted, strongest first."""

    ATTESTED = "attested"
    REGISTRY = "registry"
    DECLARED = "declared"
    INFERRED = "inferred"

    @property
    def rank(self) -> int:
        """Higher is stronger; lets callers pick the strongest support."""
        return _STRENGTH_RANK[self]


_STRENGTH_RANK = {
    Strength.ATTESTED: 4,
    Strength.REGISTRY: 3,
    Strength.DECLARED: 2,
    Strength.INFERRED: 1,
}


@unique
class OriginStatus(StrEnum):
    """Outcome of resolving one component's origin."""

    RESOLVED = "resolved"
    UNKNOWN = "unknown"
    UNREACHABLE = "unreachable"
    SKIPPED = "skipped"


@unique
class PublisherKind(StrEnum):
    """Who publishes a component: an organisation, or people in their own name."""

    ORGANISATION = "organisation"
    INDIVIDUAL = "individual"
    SELF_HOSTED = "self-hosted"
    """A service endpoint on this machine or a private network: the target's own operator."""


SELF_ROOT = "self"
"""`Root.relation` of a component that traces to itself alone (no lineage)."""
MODEL_LAB = "model-lab"
"""`Root.relation` of a hosted service's root for the lab whose model it serves, answered
beside the operator's own (auditor.graph.trace)."""
SELF_HOSTED_ROW = "self-hosted"
"""The roll-ups' row for a service endpoint the target runs itself (publisher kind
`self-hosted`): an answer of its own, not `unknown`."""

INDIVIDUAL_MAINTAINERS = "individual maintainers"
"""The roll-ups' row for components published by people, not by an organisation: an
answer of its own, not `unknown`."""


@unique
class Severity(StrEnum):
    """Finding severity, ordered by `rank`."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info up to 4 for critical."""
        return list(Severity).index(self)


@unique
class Action(StrEnum):
    """What a finding asks the caller to do."""

    REPORT = "report"
    WARN = "warn"
    BLOCK = "block"


@unique
class ScanStatus(StrEnum):
    """A scan is partial when anything was not read or not resolved."""

    COMPLETE = "complete"
    PARTIAL = "partial"
    FAILED = "failed"


@unique
class DependencyKind(StrEnum):
    """Edge kinds between components."""

    DEPENDS_ON = "depends_on"
    DERIVED_FROM = "derived_from"
    CONTAINS = "contains"
    """A distribution carries a copy of another inside it (vendored)."""


@dataclass(frozen=True, slots=True)
class Location:
    """Where a component was found."""

    target: str
    """The target's ref as the user named it."""
    path: str
    """Path inside the target, POSIX separators, relative to the target root."""
    line: int | None = None
    """1-based line in a lockfile, when the format has lines."""
    layer: str | None = None
    """Layer digest, for components found inside an image."""


@dataclass(frozen=True, slots=True)
class Target:
    """One thing the user asked to scan."""

    ref: str
    """The path or name as given on the command line."""
    kind: TargetKind
    identity: str
    """Stable across scans: kind + normalised absolute path (or image name)."""
    digest: str
    """sha256 over the bytes the collectors read, so unchanged inputs give equal digests."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One claim about a component's origin from one source."""

    source: str
    """Who said it: `metadata`, `pypi`, `requirements`, `knowledge-base` …"""
    field: str
    """Which field of that source: `Project-URL.Source`, `ownership.organization` …"""
    value: str
    where: str
    """A file path, `pypi:/pypi/<name>/json`-style registry role and path, or a public URL."""
    strength: Strength
    retrieved_at: str | None = None
    """ISO 8601 time for registry answers; None for files read during the scan."""


@dataclass(frozen=True, slots=True)
class ComponentFile:
    """One file of a multi-file component (a model or dataset revision), as found on disk."""

    path: str
    """Path inside the component (e.g. `model.safetensors`, `onnx/model.onnx`)."""
    size: int | None = None
    sha256: str | None = None
    """Hex sha256 of the content (an LFS/Xet blob is named by it)."""
    git_sha1: str | None = None
    """Hex git blob id (sha1 of `blob <len>\\0` + content): what a hub lists for non-LFS files."""
    location: str | None = None
    """Where the bytes are inside the target (the snapshot path), when they are present."""


@dataclass(frozen=True, slots=True)
class Component:
    """One thing we depend on, identified by its purl."""

    purl: str
    kind: ComponentKind
    name: str
    version: str | None
    hashes: tuple[str, ...] = ()
    """`algorithm:hex`, sorted, lower-case."""
    license: str | None = None
    locations: tuple[Location, ...] = ()
    direct: bool | None = None
    """True when a target asks for it itself; None when the input cannot say."""
    evidence: tuple[Evidence, ...] = ()
    """What the collector read about its origin (`declared` or weaker, except a signature the
    collector verified itself: `attested`)."""
    found_by: str = ""
    """The collector or parser name that produced it."""
    files: tuple[ComponentFile, ...] = ()
    """The files of a model/dataset revision, sorted by path; () for single-artifact packages."""


@dataclass(frozen=True, slots=True)
class Dependency:
    """An edge as the lockfile or metadata states it."""

    source: str
    """purl of the dependent (may be a project root that is not itself in the inventory)."""
    target: str
    kind: DependencyKind = DependencyKind.DEPENDS_ON
    scope: str | None = None
    """`dev`, `optional`, `extra:<name>`, `group:<name>` …; None for a runtime dependency."""
    marker: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """One origin field's value with its strongest support."""

    value: str
    strength: Strength


@dataclass(frozen=True, slots=True)
class Root:
    """The origin at the end of one lineage chain (models)."""

    purl: str
    relation: str
    organisation: str | None = None
    country: str | None = None
    strength: Strength | None = None
    """What supports organisation and country: `registry` only when a registry answer (live,
    or cached) named the root's account; `inferred` for a namespace the knowledge base maps
    on its own."""
    retrieved_at: str | None = None
    """When the registry answer behind it was fetched (how old a cached answer is)."""
    license: str | None = None
    """The root's licence (SPDX, or `LicenseRef-<hub id>`): a derived model's weights are the
    root's, under its terms."""


PARENT_FIELD = "parent["
"""How the evidence field of one step of an organisation's `parent` chain starts
(`parent[volcengine]`: the organisation volcengine belongs to)."""

SCREENING_SOURCE = "screening"
"""`Evidence.source` of a screening-list match (`origin.listed-entity`)."""
LIST_FIELD = "list:"
"""How a screening-list match's `Evidence.field` starts: `list:<list id>`; its value is the
entry's name as published, `where` the list's official source."""

DECLARED_DISAGREEMENT = "declared repositories disagree: "
"""How an `Origin.conflicts` entry among the uploader's own declared links starts (no registry
fact takes part): rules tell it apart from a declared claim a registry or attestation
contradicts."""


@dataclass(frozen=True, slots=True)
class Origin:
    """The verdict on where one component comes from."""

    purl: str
    status: OriginStatus
    reason: str | None = None
    publisher: Claim | None = None
    repository: Claim | None = None
    organisation: Claim | None = None
    country: Claim | None = None
    roots: tuple[Root, ...] = ()
    conflicts: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    publisher_kind: PublisherKind | None = None
    """Whether the publisher is an organisation or individual maintainers; None: unknown."""

    @property
    def parents(self) -> tuple[Evidence, ...]:
        """The organisation's parent organisations, nearest first (`value`: the parent's
        name): the knowledge base's `parent` chain, recorded as evidence when the
        organisation was claimed, so a stored scan rolls up as it was attributed."""
        return tuple(e for e in self.evidence if e.field.startswith(PARENT_FIELD))


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's verdict on a component."""

    rule: str
    severity: Severity
    action: Action
    purl: str
    message: str
    evidence: tuple[Evidence, ...] = ()
    waiver: str | None = None
    """Why and until when the finding is waived; None when it is not."""

    @property
    def waived(self) -> bool:
        """A waived finding is reported but never fails a run."""
        return self.waiver is not None


@dataclass(frozen=True, slots=True)
class Changed:
    """How many items of one kind changed since the previous scan, and the first few."""

    count: int
    examples: tuple[str, ...] = ()
    """Up to `CHANGE_EXAMPLES` of them, as a reader names them (a purl, `rule on purl` …)."""


CHANGE_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed since the previous scan of the same targets, counted when the scan was
    made and stored with it: a report of this scan says the same after the earlier scan is
    pruned (`auditor.changes`)."""

    previous: str | None
    """The id of the scan compared with; None: these targets were never scanned before."""
    previous_started_at: str | None = None
    added: Changed = Changed(0)
    removed: Changed = Changed(0)
    versions: Changed = Changed(0)
    """Components whose one version moved (`name 1.0 -> 2.0`)."""
    origins: Changed = Changed(0)
    """Origin claims that differ (`purl: country US -> CN`)."""
    takeovers: Changed = Changed(0)
    """Those of `origins` where a known value was replaced by another."""
    new_findings: Changed = Changed(0)
    resolved_findings: Changed = Changed(0)


@dataclass(frozen=True, slots=True)
class ListVersion:
    """One screening list at the version an evaluation used."""

    id: str
    version: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One judging of a scan's components and registry answers against the knowledge base,
    rules and screening lists of `evaluated_at`. Evaluation 1 is the scan's own, made when
    it ran (recorded since issue 34's follow-up: older stored scans have none); a
    re-evaluation of the stored scan (`auditor rescreen`) is numbered from 2."""

    number: int
    evaluated_at: str
    """ISO 8601 UTC, like Scan.started_at."""
    knowledge_base: str
    """`sha256:<16 hex>` of rules/publishers.yaml as it was read."""
    lists: tuple[ListVersion, ...] = ()
    """The screening lists in force, each at its version."""
    policy_version: str | None = None
    new: int = 0
    """Findings this evaluation has that the one before it had not."""
    cleared: int = 0
    """Findings of the one before that this evaluation no longer has (0 for evaluation 1)."""

    @property
    def rescreened(self) -> bool:
        """A re-evaluation of the stored scan, not the scan's own (which views mention only
        when asked what it was screened against: the attestation, JSON)."""
        return self.number > 1

    def describe(self, scan_id: str) -> str:
        """One line saying which evaluation a report shows."""
        # quoted: a version is free text and may hold commas ("Updated September 3, 2024")
        lists = ", ".join(f"{v.id} “{v.version}”" for v in self.lists) or "no screening lists"
        when = "re-screened" if self.rescreened else "screened when it ran on"
        return (
            f"evaluation {self.number} of scan {scan_id}, {when} {self.evaluated_at[:10]} "
            f"against lists {lists}; knowledge base {self.knowledge_base}"
        )


@dataclass(frozen=True, slots=True)
class Scan:
    """One run, as stored and rendered."""

    id: str
    started_at: str
    finished_at: str
    status: ScanStatus
    tool_version: str
    targets: tuple[Target, ...]
    components: tuple[Component, ...]
    origins: tuple[Origin, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    findings: tuple[Finding, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    policy_version: str | None = None
    host: str | None = None
    changes: Changes | None = None
    """Since the previous scan of the same targets; None when no history was consulted
    (`--no-store` without a cache, or a scan made before this was kept)."""
    evaluation: Evaluation | None = None
    """Which evaluation `findings` (and origins) are, and what it was judged against: 1,
    made when the scan ran (`pipeline.run_scan` records it), or a re-evaluation of the
    stored scan (`auditor rescreen`, 2 onwards). None: not recorded (a scan stored by an
    older version, or a Scan not made by the pipeline); its findings are then the scan's
    own."""

    def origins_by_purl(self) -> dict[str, Origin]:
        """Origins keyed by component purl, for O(1) lookups while rendering."""
        return {origin.purl: origin for origin in self.origins}
