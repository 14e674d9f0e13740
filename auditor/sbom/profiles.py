"""Minimum-elements profiles: which fields an SBOM lacks that a profile requires, as
`sbom.missing-field` findings (one per field per document: how many components lack it and
the first of them), on the document itself.

Two profiles, each check citing the section that requires it:

- `ntia-2021`: NTIA, "The Minimum Elements For a Software Bill of Materials (SBOM)",
  July 12, 2021, section IV "Minimum Elements", table "Data Fields": supplier name, component
  name, version of the component, other unique identifiers, dependency relationship, author of
  SBOM data, timestamp.
- `bsi-tr-03183-2`: BSI Technical Guideline TR-03183-2 "Cyber Resilience Requirements for
  Manufacturers and Products, Part 2: Software Bill of Materials", version 2.0.0 (2024-09-20),
  §5.2.1 "Required data fields for the SBOM itself" (creator of the SBOM as an e-mail address
  or URL, timestamp) and §5.2.2 "Required data fields for each component" (component creator
  as an e-mail address or URL, name, version, filename, dependencies, distribution licences,
  SHA-512 hash of the deployable component, executable, archive and structured properties;
  in CycloneDX the last four are the `bsi:component:*` properties of §8.1's mapping).

A check reads only what the document states (`SbomDocument`, as every reader hands it over):
a field is missing when the document gives no value for it, never because we think a value
is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from auditor.config import SBOM_PROFILES
from auditor.model import Evidence, Finding, Strength
from auditor.sbom.document import SbomDocument, SbomEntry

RULE = "sbom.missing-field"
NTIA = "ntia-2021"
BSI = "bsi-tr-03183-2"
PROFILES = SBOM_PROFILES
PROFILE_SOURCE = "sbom-profile"
"""`Evidence.source` naming the profile a `sbom.missing-field` finding was checked against
(the pipeline keeps those of the profiles asked for)."""
SHOWN = 5
"""How many components a finding names (the count says how many lack the field)."""
_NTIA_DOC = 'NTIA "The Minimum Elements For a Software Bill of Materials" (2021) §IV, Data Fields'
_BSI_DOC = "BSI TR-03183-2 v2.0.0"
_EMAIL = re.compile(r"[\w.%+-]+@(?:[\w-]+\.)+[A-Za-z]{2,63}")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
# BSI TR-03183-2 v2.0.0 §8.1 (CycloneDX mapping) names these properties.
BSI_FILENAME = "bsi:component:filename"
BSI_EXECUTABLE = "bsi:component:executable"
BSI_ARCHIVE = "bsi:component:archive"
BSI_STRUCTURED = "bsi:component:structured"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One field a profile requires, of each component (`of_entry`) or of the document."""

    profile: str
    field: str
    """How the finding names it."""
    section: str
    of_entry: Callable[[SbomEntry], bool] | None = None
    """True when the component states the field."""
    of_document: Callable[[SbomDocument], bool] | None = None
    """True when the document states the field."""


def _contact(text: str) -> bool:
    return bool(_EMAIL.search(text) or _URL.search(text))


def _timestamp(doc: SbomDocument) -> bool:
    if not doc.created:
        return False
    try:
        datetime.fromisoformat(doc.created.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _dependencies(doc: SbomDocument) -> bool:
    """Relationships are stated: the described subject's, when the document has one; any,
    else; a document of one component has nothing to relate."""
    if len(doc.entries) <= 1:
        return True
    if doc.subject is not None and any(e.ref == doc.subject for e in doc.entries):
        return any(source == doc.subject for source, _ in doc.dependencies)
    return bool(doc.dependencies)


def _supplier(entry: SbomEntry) -> bool:
    roles = ("supplier", "manufacturer", "originator", "publisher")
    return any(p.role in roles and p.name.strip() for p in entry.parties)


def _creator_contact(entry: SbomEntry) -> bool:
    return any(p.email or p.url or _contact(p.name) for p in entry.parties)


def _property(name: str) -> Callable[[SbomEntry], bool]:
    def stated(entry: SbomEntry) -> bool:
        return any(key == name and value.strip() for key, value in entry.properties)

    return stated


def _filename(entry: SbomEntry) -> bool:
    return _property(BSI_FILENAME)(entry) or _property("spdx:packageFileName")(entry)


def _sha512(entry: SbomEntry) -> bool:
    return any(h.partition(":")[0] in ("sha512", "sha-512") for h in entry.hashes)


REQUIREMENTS: tuple[Requirement, ...] = (
    # NTIA 2021, §IV "Data Fields" (the table's rows, in its order)
    Requirement(NTIA, "supplier name", f"{_NTIA_DOC}: Supplier Name", of_entry=_supplier),
    Requirement(NTIA, "component name", f"{_NTIA_DOC}: Component Name",
                of_entry=lambda e: bool(e.name.strip())),
    Requirement(NTIA, "version", f"{_NTIA_DOC}: Version of the Component",
                of_entry=lambda e: bool((e.version or "").strip())),
    Requirement(NTIA, "other unique identifiers", f"{_NTIA_DOC}: Other Unique Identifiers",
                of_entry=lambda e: bool(e.purl or e.cpes)),
    Requirement(NTIA, "dependency relationship", f"{_NTIA_DOC}: Dependency Relationship",
                of_document=_dependencies),
    Requirement(NTIA, "author of SBOM data", f"{_NTIA_DOC}: Author of SBOM Data",
                of_document=lambda d: any(c.strip() for c in d.creators)),
    Requirement(NTIA, "timestamp", f"{_NTIA_DOC}: Timestamp", of_document=_timestamp),
    # BSI TR-03183-2 v2.0.0, §5.2.1 (the SBOM) and §5.2.2 (each component)
    Requirement(BSI, "creator of the SBOM (e-mail or URL)", f"{_BSI_DOC} §5.2.1",
                of_document=lambda d: any(_contact(c) for c in d.creators)),
    Requirement(BSI, "timestamp", f"{_BSI_DOC} §5.2.1", of_document=_timestamp),
    Requirement(BSI, "component creator (e-mail or URL)", f"{_BSI_DOC} §5.2.2",
                of_entry=_creator_contact),
    Requirement(BSI, "component name", f"{_BSI_DOC} §5.2.2",
                of_entry=lambda e: bool(e.name.strip())),
    Requirement(BSI, "component version", f"{_BSI_DOC} §5.2.2",
                of_entry=lambda e: bool((e.version or "").strip())),
    Requirement(BSI, "filename", f"{_BSI_DOC} §5.2.2", of_entry=_filename),
    Requirement(BSI, "dependencies", f"{_BSI_DOC} §5.2.2", of_document=_dependencies),
    Requirement(BSI, "distribution licences", f"{_BSI_DOC} §5.2.2",
                of_entry=lambda e: any(x.strip() for x in e.licences)),
    Requirement(BSI, "SHA-512 hash of the deployable component", f"{_BSI_DOC} §5.2.2",
                of_entry=_sha512),
    Requirement(BSI, "executable property", f"{_BSI_DOC} §5.2.2",
                of_entry=_property(BSI_EXECUTABLE)),
    Requirement(BSI, "archive property", f"{_BSI_DOC} §5.2.2", of_entry=_property(BSI_ARCHIVE)),
    Requirement(BSI, "structured property", f"{_BSI_DOC} §5.2.2",
                of_entry=_property(BSI_STRUCTURED)),
)  # fmt: skip


def document_purl(doc: SbomDocument) -> str:
    """What a finding on the document itself names: `pkg:generic/sbom/<file name>` with the
    file's path as a qualifier (a document is no component, and has no purl of its own)."""
    from packageurl import PackageURL

    name = doc.path.rpartition("/")[2] or "sbom"
    return str(
        PackageURL(type="generic", namespace="sbom", name=name, qualifiers={"path": doc.path})
    )


def missing_fields(doc: SbomDocument, profiles: Iterable[str] = PROFILES) -> tuple[Finding, ...]:
    """One `sbom.missing-field` finding per required field the document lacks, per profile."""
    from auditor.policy.builtin import finding

    wanted = frozenset(profiles)
    subject = document_purl(doc)
    found: list[Finding] = []
    for req in REQUIREMENTS:
        if req.profile not in wanted:
            continue
        note = Evidence(PROFILE_SOURCE, req.field, req.profile, req.section, Strength.DECLARED)
        if req.of_document is not None and not req.of_document(doc):
            message = f"{doc.path} lacks the {req.field} that {req.section} requires"
            found.append(finding(RULE, subject, message, (note,)))
        if req.of_entry is None:
            continue
        lacking = [e for e in doc.entries if not req.of_entry(e)]
        if lacking:
            first = ", ".join(e.ref for e in lacking[:SHOWN])
            more = f" and {len(lacking) - SHOWN} more" if len(lacking) > SHOWN else ""
            message = (
                f"{len(lacking)} of {len(doc.entries)} components in {doc.path} lack the"
                f" {req.field} that {req.section} requires: {first}{more}"
            )
            found.append(finding(RULE, subject, message, (note,)))
    return tuple(found)


def asked_for(found: Iterable[Finding], profiles: Iterable[str]) -> tuple[Finding, ...]:
    """`found` without the `sbom.missing-field` findings of profiles not asked for."""
    wanted = frozenset(profiles)
    return tuple(
        f
        for f in found
        if f.rule != RULE
        or any(e.source == PROFILE_SOURCE and e.value in wanted for e in f.evidence)
    )
