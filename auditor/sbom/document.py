"""What every SBOM reader produces, whatever the format: the document's own metadata and its
entries, with the vendor's claims kept as stated (they become `declared` evidence, never
truth), so the minimum-elements checks and the write-back see one shape."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Party:
    """A supplier, manufacturer, author, publisher or originator as the document names it."""

    name: str
    role: str
    """`supplier`, `manufacturer`, `authors`, `publisher`, `originator` (CycloneDX or SPDX)."""
    url: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class SbomEntry:
    """One component (CycloneDX `component`, SPDX `Package`/`software_Package`,
    `ai_AIPackage`, `dataset_DatasetPackage`, syft `artifact`), nested ones flattened."""

    ref: str
    """The document's own id for it: CycloneDX `bom-ref`, SPDX `SPDXID`/`spdxId`, syft `id`;
    synthesised from the position when the document gives none."""
    name: str
    version: str | None
    purl: str | None
    kind: str
    """The document's type word as written (`library`, `machine-learning-model`,
    `ai_AIPackage` …); the reader maps it to a ComponentKind."""
    hashes: tuple[str, ...] = ()
    """`algorithm:hex`, lower-case, our algorithm names (`sha256`, `sha512`, `sha1`, `md5`)."""
    cpes: tuple[str, ...] = ()
    licences: tuple[str, ...] = ()
    """SPDX expressions or licence names as written."""
    parties: tuple[Party, ...] = ()
    ancestors: tuple[str, ...] = ()
    """purls (or names when no purl) of CycloneDX `pedigree.ancestors` / SPDX 3 lineage."""
    parent_ref: str | None = None
    """The enclosing component's ref for a nested CycloneDX component."""
    line: int | None = None
    """Where in the file it starts, when the reader can tell (for messages)."""
    properties: tuple[tuple[str, str], ...] = ()
    """(name, value) pairs as written: CycloneDX `properties` (BSI TR-03183-2's
    `bsi:component:filename`, `…:executable`, `…:archive`, `…:structured`), SPDX 2
    `packageFileName` as `spdx:packageFileName`; read by the minimum-elements profiles."""


@dataclass(frozen=True, slots=True)
class SbomService:
    """A CycloneDX `services` entry: a hosted endpoint the product calls."""

    ref: str
    name: str
    version: str | None
    endpoints: tuple[str, ...] = ()
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class SbomDocument:
    """One SBOM as read."""

    path: str
    """The file inside the scanned tree."""
    format: str
    """`cyclonedx`, `spdx`, `syft`."""
    spec_version: str
    """`1.6`, `SPDX-2.3`, `3.0.1`, syft's schema version …"""
    serial: str | None
    """CycloneDX `serialNumber`, SPDX `documentNamespace` / SpdxDocument `spdxId`."""
    created: str | None
    creators: tuple[str, ...] = ()
    """Tools, organisations and persons that made the document, as written."""
    subject: str | None = None
    """The ref of what the SBOM describes (CycloneDX `metadata.component`, SPDX DESCRIBES)."""
    entries: tuple[SbomEntry, ...] = ()
    services: tuple[SbomService, ...] = ()
    dependencies: tuple[tuple[str, str], ...] = ()
    """(dependent ref, dependency ref) pairs as the document states them."""
